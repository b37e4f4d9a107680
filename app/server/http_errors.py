"""The routes' one translation of errors into HTTP answers: a ``LensError`` becomes
``{"error": message, "hint": hint}`` with the error's status (and ``Retry-After`` when it
carries one); anything else is a bug, logged in full with an id and answered 500 with that id.

The guards before the routes (``local_mode``, ``access_guard``) and the simulator's mount
answer their refusals with ``error_answer`` too. The OTLP receivers answer in their own
protocol (OTLP/HTTP status and body, gRPC status codes) and do not go through here.
"""

from __future__ import annotations

import functools
import logging
import uuid
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from lens_errors import LensError

log = logging.getLogger("app.routes")

Endpoint = Callable[[Request], Awaitable[Response]]


def error_answer(error: LensError) -> JSONResponse:
    """The JSON answer to ``error``: its status, message and hint (and Retry-After, or for
    a 401 the ``WWW-Authenticate: Bearer`` challenge)."""
    headers = {}
    if error.retry_after_s is not None:
        headers["Retry-After"] = str(error.retry_after_s)
    if error.status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    return JSONResponse(
        {"error": error.message, "hint": error.hint}, status_code=error.status, headers=headers
    )


def unexpected_answer(exc: Exception, path: str) -> JSONResponse:
    """A bug: logged with an id; the answer says only that id."""
    error_id = uuid.uuid4().hex[:8]
    log.error("route %s failed, error id %s", path, error_id, exc_info=exc)
    return JSONResponse(
        {
            "error": f"the lens server failed unexpectedly (error id {error_id})",
            "hint": "the server log has the details; retry, and report it if it persists",
        },
        status_code=500,
    )


def answers_errors(route: Endpoint) -> Endpoint:
    """Wrap a route so every error it raises is answered here, once."""

    @functools.wraps(route)
    async def answer(request: Request) -> Response:
        try:
            return await route(request)
        except LensError as error:
            return error_answer(error)
        except Exception as exc:
            return unexpected_answer(exc, request.url.path)

    return answer
