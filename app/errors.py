"""The app's own errors, on the one hierarchy in ``lens_errors`` (re-exported here for the
modules that import them from ``app.errors``)."""

from __future__ import annotations

from lens_errors import (
    BadInputError,
    BusyError,
    ConfigError,
    ForbiddenError,
    LensError,
    NotFoundError,
    UnauthorizedError,
    UnavailableError,
    UpstreamError,
)

__all__ = [
    "BadInputError",
    "BusyError",
    "ConfigError",
    "DatabaseBusyError",
    "ForbiddenError",
    "LensError",
    "NotFoundError",
    "ServerError",
    "UnauthorizedError",
    "UnavailableError",
    "UpstreamError",
]


class DatabaseBusyError(UnavailableError):
    """Another process holds the DuckDB file."""


class ServerError(UpstreamError):
    """A running lens server answered with an error or could not be reached."""
