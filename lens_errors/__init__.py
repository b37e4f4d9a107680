"""The one error hierarchy of aoai-lens, importable by every layer (``queries``,
``collectors``, ``app``); it imports nothing of ours.

An error a person sees is a ``LensError``: a ``message`` saying what went wrong and a
``hint`` saying what to do next. Each subclass carries what the boundaries need to answer
it without knowing where it came from:

- ``status``: the HTTP status a route answers with, as ``{"error": message, "hint": hint}``;
- ``exit_code``: the CLI's exit code, after ``error: message`` and the hint on stderr;
- ``retry_after_s``: for the busy and unavailable, the ``Retry-After`` seconds (or None).

Each boundary translates once: the routes in ``app/server/http_errors.py``, the pages in
``app/dashboard/components/states.py`` (``lens_error``), the CLI in ``app/cli/errors.py``.
Anything that is not a ``LensError`` is a bug: a 500 with an id, a page line with an id,
or a traceback.
"""

from __future__ import annotations

__all__ = [
    "BadInputError",
    "BusyError",
    "ConfigError",
    "ForbiddenError",
    "LensError",
    "NotFoundError",
    "UnauthorizedError",
    "UnavailableError",
    "UpstreamError",
]


class LensError(Exception):
    """Base of every error aoai-lens shows to a person: what went wrong and the next step."""

    status: int = 500  # HTTP status of the route's answer
    exit_code: int = 1  # the CLI's exit code
    retry_after_s: int | None = None  # Retry-After seconds, for the busy and unavailable

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class BadInputError(LensError):
    """The request, file or value given cannot be used as it is: fixing it is the caller's
    part, retrying the same input never helps (HTTP 400; exit 2, as a usage error)."""

    status = 400
    exit_code = 2


class UnauthorizedError(LensError):
    """Who asks is not known: no credential, or one the lens does not know (HTTP 401)."""

    status = 401


class ForbiddenError(LensError):
    """Who asks may not do this (HTTP 403)."""

    status = 403


class NotFoundError(LensError):
    """What was named does not exist (HTTP 404)."""

    status = 404


class ConfigError(LensError):
    """A setting or a reference file (tenants, deployments, access) is missing or invalid,
    or the lens is not configured for what was asked (HTTP 409; exit 2)."""

    status = 409
    exit_code = 2


class UnavailableError(LensError):
    """Not now: the lens is starting, stopping or its database is held (HTTP 503 with
    ``Retry-After`` when ``retry_after_s`` is known)."""

    status = 503

    def __init__(self, message: str, hint: str = "", retry_after_s: int | None = None) -> None:
        super().__init__(message, hint)
        self.retry_after_s = retry_after_s


class BusyError(UnavailableError):
    """Too much at once: a queue or a limit is full, retry after ``retry_after_s`` (HTTP 429)."""

    status = 429


class UpstreamError(LensError):
    """A service the lens reads (Azure: Retail Prices, Log Analytics, Key Vault, Monitor; or
    another lens server) failed or refused (HTTP 502)."""

    status = 502
