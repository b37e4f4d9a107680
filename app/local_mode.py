"""Local mode: one person on this machine, no sign-in (no access file; ``app.access``).

Without an access file the lens serves this machine only:

- ``aoai-lens serve`` binds a loopback address only (``require_loopback``);
- the server answers only requests addressed to a loopback name (or a name listed in
  ``LENS_ALLOWED_HOSTS``), so a page on another site whose DNS name is made to point at
  127.0.0.1 (DNS rebinding) cannot read it;
- a browser's POST or WebSocket from another site is refused, so a web page cannot
  change prices, start pulls or send forged calls, or open the dashboard's socket.

Both checks run in ``LocalOnly``, an ASGI middleware around every route and page.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Final
from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from app.server.http_errors import error_answer
from lens_errors import BadInputError, ForbiddenError

NOTE: Final = "Local mode, no sign-in: this lens answers this machine only."
TUNNEL: Final = "from another machine, through an SSH tunnel: ssh -L 8501:127.0.0.1:8501 HOST"
HINT: Final = (
    "open the lens at http://127.0.0.1:<port> or http://localhost:<port> on the machine "
    f"that runs it ({TUNNEL})"
)
SAFE_METHODS: Final = frozenset({"GET", "HEAD", "OPTIONS"})
_POLICY_VIOLATION: Final = 1008  # WebSocket close code


def is_loopback(host: str | None) -> bool:
    """True for a loopback address (127.0.0.0/8, ::1) or the name ``localhost``."""
    if not host:
        return False
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def require_loopback(host: str) -> str | None:
    """Why ``host`` may not be bound in local mode, or None when it may."""
    if is_loopback(host):
        return None
    return (
        f"without an access file aoai-lens has no sign-in, so it binds a loopback address "
        f"only (127.0.0.1, localhost or ::1), not {host!r}: anyone who reached the port could "
        f"read every tenant's spend and every captured prompt. Serve on 127.0.0.1 (the "
        f"default of --host and LENS_HOST) and open it on this machine, or {TUNNEL}; to "
        f"share it, write an access file (LENS_ACCESS_FILE, see access.example.toml)."
    )


@dataclass
class HostPolicy:
    """The host names the server answers to besides loopback ones (``LENS_ALLOWED_HOSTS``
    and the bound address); the lifespan sets them from the settings."""

    extra: frozenset[str] = frozenset()

    def allows(self, host: str | None) -> bool:
        return is_loopback(host) or (host is not None and host.lower() in self.extra)


@dataclass(frozen=True)
class Refusal:
    status: int  # 400: addressed to another host; 403: a browser request from another site
    reason: str


def refusal(headers: Headers, method: str, websocket: bool, policy: HostPolicy) -> Refusal | None:
    """Why a request may not be served in local mode, or None when it may."""
    host = _hostname(headers.get("host", ""))
    if not policy.allows(host):
        return Refusal(400, f"this lens answers requests to 127.0.0.1, localhost or "
                            f"LENS_ALLOWED_HOSTS only, not to {(host or '')[:80]!r}")  # fmt: skip
    if websocket or method.upper() not in SAFE_METHODS:
        if headers.get("sec-fetch-site") == "cross-site":
            return Refusal(403, "a browser request from another site may not change or read "
                                "this lens")  # fmt: skip
        origin = headers.get("origin")
        if origin is not None and not policy.allows(_hostname(origin, is_url=True)):
            return Refusal(403, f"a browser request from {origin[:80]!r} may not change or "
                                f"read this lens")  # fmt: skip
    return None


def _hostname(value: str, *, is_url: bool = False) -> str | None:
    """The host name of a ``Host`` header (``name[:port]``) or of an ``Origin`` URL."""
    try:
        return urlsplit(value if is_url else f"//{value}").hostname
    except ValueError:
        return None


class LocalOnly:
    """ASGI middleware: a request local mode may not serve gets a 400 or 403 with the reason
    (a WebSocket is closed before it opens)."""

    def __init__(self, app: ASGIApp, policy: HostPolicy) -> None:
        self.app = app
        self.policy = policy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            websocket = scope["type"] == "websocket"
            refused = refusal(
                Headers(scope=scope), scope.get("method", "GET"), websocket, self.policy
            )
            if refused is not None:
                if websocket:
                    await send({"type": "websocket.close", "code": _POLICY_VIOLATION})
                    return
                error_class = BadInputError if refused.status == 400 else ForbiddenError
                await error_answer(error_class(refused.reason, HINT))(scope, receive, send)
                return
        await self.app(scope, receive, send)
