"""Switchable faults of the simulated resources, and the admin route that switches them.

Each resource (``default``, the one at the root, and each region) has at most one fault at a
time: an ``outage`` (503), a ``throttle`` storm (429 with ``retry-after``), ``slow``
answers, ``saturated`` provisioned deployments (429 or spillover) or a Priority
``downgrade``. They start as ``SimulatorConfig.faults`` says and change through

    GET    /admin/faults              every resource and its fault
    PUT    /admin/faults/{resource}   {"kind": "outage" | "throttle" | "slow" | "saturated"
                                       | "downgrade", "retry_after_s": N, "delay_ms": N}
    DELETE /admin/faults/{resource}   back to normal
    DELETE /admin/faults              every resource back to normal

Errors answer ``{"error": ..., "hint": ...}`` (404 for an unknown resource, 400 for a body
that is not a fault).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from dataclasses import asdict
from typing import Any, cast

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from azure_openai_wire import errors, headers
from simulator.config import FAULT_KINDS, Fault, FaultKind

DEFAULT_THROTTLE_RETRY_AFTER_S = 10


class FaultBoard:
    """The current fault of each resource; safe to share between threads."""

    def __init__(self, resources: tuple[str, ...], faults: Mapping[str, Fault]) -> None:
        self.resources = resources
        self._faults = dict(faults)
        self._lock = threading.Lock()

    def get(self, resource: str) -> Fault | None:
        with self._lock:
            return self._faults.get(resource)

    def set(self, resource: str, fault: Fault | None) -> None:
        with self._lock:
            if fault is None:
                self._faults.pop(resource, None)
            else:
                self._faults[resource] = fault

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def as_dict(self) -> dict[str, Any]:
        with self._lock:
            return {r: asdict(self._faults[r]) if r in self._faults else None
                    for r in self.resources}  # fmt: skip


def fault_answer(
    fault: Fault | None, operation: str, api_version: str, region: str | None
) -> Response | None:
    """The 503 or 429 a faulty resource answers with; None when it answers as usual."""
    if fault is None or fault.kind not in ("outage", "throttle"):
        return None
    region_header = {headers.REGION: region} if region else {}
    if fault.kind == "outage":
        retry = headers.retry_headers(fault.retry_after_s) if fault.retry_after_s else {}
        return JSONResponse(
            errors.unavailable_body(), status_code=503, headers={**region_header, **retry}
        )
    seconds = fault.retry_after_s or DEFAULT_THROTTLE_RETRY_AFTER_S
    return JSONResponse(
        errors.throttled_body(operation, api_version, "call", seconds),
        status_code=429,
        headers={**region_header, **headers.retry_headers(seconds)},
    )


def admin_routes(board: FaultBoard) -> list[Route]:
    """The admin route's handlers over ``board``."""

    async def show(_: Request) -> Response:
        return JSONResponse({"faults": board.as_dict()})

    async def clear_all(_: Request) -> Response:
        board.clear()
        return JSONResponse({"faults": board.as_dict()})

    async def change(request: Request) -> Response:
        resource = request.path_params["resource"]
        if resource not in board.resources:
            return _refused(
                404,
                f"no simulated resource {resource!r}",
                f"use one of: {', '.join(board.resources)}",
            )
        if request.method == "DELETE":
            board.set(resource, None)
        else:
            try:
                fault = _fault(await request.body())
            except (ValueError, TypeError) as error:
                return _refused(
                    400,
                    f"not a fault: {error}",
                    'send {"kind": "outage" | "throttle" | "slow" | "saturated" | "downgrade", '
                    '"retry_after_s": N, "delay_ms": N}',
                )
            board.set(resource, fault)
        return JSONResponse({"faults": board.as_dict()})

    return [
        Route("/admin/faults", show, methods=["GET"]),
        Route("/admin/faults", clear_all, methods=["DELETE"]),
        Route("/admin/faults/{resource}", change, methods=["PUT", "DELETE"]),
    ]


def _fault(raw: bytes) -> Fault:
    document = json.loads(raw or b"null")
    if not isinstance(document, dict):
        raise ValueError("the body must be a JSON object")
    extra = set(document) - {"kind", "retry_after_s", "delay_ms"}
    if extra:
        raise ValueError(f"unknown fields: {', '.join(sorted(extra))}")
    retry = document.get("retry_after_s")
    delay = document.get("delay_ms", 0)
    if retry is not None and (not isinstance(retry, int) or isinstance(retry, bool)):
        raise ValueError("retry_after_s must be a whole number of seconds")
    if not isinstance(delay, int | float) or isinstance(delay, bool):
        raise ValueError("delay_ms must be a number")
    kind = document.get("kind")
    if kind not in FAULT_KINDS:
        raise ValueError(f"kind must be one of {', '.join(FAULT_KINDS)}")
    return Fault(kind=cast(FaultKind, kind), retry_after_s=retry, delay_ms=float(delay))


def _refused(status: int, message: str, hint: str) -> JSONResponse:
    return JSONResponse({"error": message, "hint": hint}, status_code=status)
