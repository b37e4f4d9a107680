"""The routes' door: with an access file, each of our routes needs a bearer token whose
role may use it. ASGI middleware, after ``LocalOnly`` (Host and cross-site checks).

- ``POST /v1/traces``: ``ingest`` or ``admin``;
- ``GET /api/chargeback.csv``: any role that reads costs, the rows limited to its tenants;
- ``POST /api/prices/refresh``: ``admin`` or ``finops`` (``apply=true``: ``admin``);
- ``POST /api/backfill``: ``admin``;
- ``POST /api/alerts/check``: ``admin`` or ``finops``;
- ``GET /api/advise``: ``admin`` or ``finops``;
- ``POST /api/reconcile``: ``admin`` or ``finops``;
- ``POST /api/reconcile/prices``: ``admin`` or ``finops``, not limited to some tenants;
- ``/simulator``: a token of a role that may use the playground, as the ``api-key`` header
  (what an Azure OpenAI client sends) or as a bearer token;
- ``GET /healthz``: open; the anonymous are told only ``status``.

No or unknown credentials: 401; a role that may not: 403; both as ``{"error", "hint"}``
and an audit entry ``denied``. The state-changing routes are POSTs that need an
``Authorization`` header, which no plain form or cross-site fetch can send without a
CORS preflight the server never grants: that is the CSRF defence.
Without an access file (local mode) every request acts as the local admin.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final

import grpc
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from app.access import LOCAL, AccessPolicy, Identity
from app.server.http_errors import error_answer
from lens_errors import ForbiddenError, LensError, UnauthorizedError

# (path, or a prefix ending in "/") -> the action it needs
ROUTE_ACTIONS: Final = (
    ("/v1/traces", "ingest"),
    ("/api/chargeback.csv", "read"),
    ("/api/prices/refresh", "prices.refresh"),
    ("/api/backfill", "backfill"),
    ("/api/reconcile", "reconcile"),
    ("/api/reconcile/prices", "prices.bill"),
    ("/api/audit.csv", "audit"),
    ("/api/alerts/check", "alerts"),
    ("/api/advise", "advise"),
    ("/simulator/", "playground"),
    ("/simulator", "playground"),
)
TOKEN_HINT: Final = (
    "send Authorization: Bearer <token> with a token listed (as its SHA-256 digest) in the "
    "lens's access file"
)

Auditor = Callable[[Identity | None, str, str, dict[str, object]], None]


@dataclass
class GuardState:
    """What the lifespan gives the guard: the policy (None: local mode) and the audit log."""

    policy: AccessPolicy | None = None
    audit: Auditor | None = field(default=None, repr=False)


def route_action(path: str) -> str | None:
    """The action a request path needs, or None for paths that are not ours (pages)."""
    for route, action in ROUTE_ACTIONS:
        if path == route or (route.endswith("/") and path.startswith(route)):
            return action
    return None


def presented_token(headers: Headers, action: str) -> str | None:
    """The bearer token, or for the simulator also the ``api-key`` header's value."""
    authorization = headers.get("authorization", "")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    if action == "playground" and headers.get("api-key"):
        return headers["api-key"]
    return None


def request_identity(scope: Scope) -> Identity | None:
    """The identity the guard found for this request (None: anonymous)."""
    identity = scope.get("state", {}).get("identity")
    return identity if isinstance(identity, Identity) else None


class AccessGuard:
    def __init__(self, app: ASGIApp, state: GuardState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        policy = self.state.policy
        request_state = scope.setdefault("state", {})
        if policy is None:
            request_state["identity"] = LOCAL
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        action = route_action(path)
        headers = Headers(scope=scope)
        token = presented_token(headers, action or "")
        identity = policy.identity_for_token(token) if token is not None else None
        request_state["identity"] = identity
        if action is None:  # pages and /healthz: Streamlit's sign-in, or open
            await self.app(scope, receive, send)
            return
        if identity is None:
            reason = "an unknown token" if token is not None else "no credentials"
            await self._deny(scope, receive, send, None, UnauthorizedError(
                f"{path} needs a token: the request carried {reason}", TOKEN_HINT))  # fmt: skip
            return
        if not identity.may(action):
            await self._deny(scope, receive, send, identity, ForbiddenError(
                f"the role {identity.role!r} of {identity.actor!r} may not use {path}",
                "ask an admin for a token of a role that may"))  # fmt: skip
            return
        await self.app(scope, receive, send)

    async def _deny(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        identity: Identity | None,
        error: LensError,
    ) -> None:
        audit = self.state.audit
        if audit is not None:
            detail: dict[str, object] = {"status": error.status, "method": scope.get("method", "")}
            await run_in_threadpool(audit, identity, "denied", scope.get("path", ""), detail)
        await error_answer(error)(scope, receive, send)


def grpc_authorizer(
    policy: AccessPolicy, state: GuardState
) -> Callable[[str | None], tuple[grpc.StatusCode, str] | None]:
    """The OTLP/gRPC service's door: the same tokens and roles as ``POST /v1/traces``,
    answered ``UNAUTHENTICATED`` or ``PERMISSION_DENIED``, and audited as ``denied``."""

    def authorize(token: str | None) -> tuple[grpc.StatusCode, str] | None:
        identity = policy.identity_for_token(token) if token is not None else None
        if identity is not None and identity.may("ingest"):
            return None
        code = grpc.StatusCode.UNAUTHENTICATED
        reason = f"OTLP/gRPC export needs a token: {TOKEN_HINT} (as metadata)"
        if identity is not None:
            code = grpc.StatusCode.PERMISSION_DENIED
            reason = f"the role {identity.role!r} of {identity.actor!r} may not export spans"
        if state.audit is not None:
            state.audit(identity, "denied", "otlp-grpc", {"status": code.name})
        return code, reason

    return authorize
