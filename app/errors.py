"""Errors a user sees: a message saying what went wrong and a hint saying what to do."""

from __future__ import annotations


class LensError(Exception):
    """Base of every error aoai-lens shows to a person."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class ConfigError(LensError):
    """A setting is missing or invalid."""


class DatabaseBusyError(LensError):
    """Another process holds the DuckDB file."""


class ServerError(LensError):
    """A running lens server answered with an error or could not be reached."""
