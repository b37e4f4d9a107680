"""Per-thread cursors on the one DuckDB connection the lens server owns.

Inside the lens server pages read the running lens's ``Store`` through ``cursor()``.
Anywhere else (AppTest) the first call opens the store from settings, in this process,
which then owns the file.
"""

from __future__ import annotations

import threading

import duckdb

from app.config import load_settings
from app.errors import DatabaseBusyError
from app.lens import running_lens
from app.store_setup import open_store
from collectors.store import Store, StoreError

_lock = threading.Lock()
_store: Store | None = None


def use_store(store: Store | None) -> None:
    """Register (or, with None, forget) the store this process owns outside a server."""
    global _store
    with _lock:
        _store = store


def get_store() -> Store:
    """The running lens's store, else the one of this process, opened from settings on
    first use."""
    global _store
    lens = running_lens()
    if lens is not None and lens.store is not None:
        return lens.store
    with _lock:
        if _store is None:
            settings = load_settings()
            path = settings.lens_db
            try:
                _store = open_store(settings)
            except StoreError as exc:
                raise DatabaseBusyError(
                    f"cannot open the database {path}",
                    "another process (a running lens server?) holds it; stop it or use its URL",
                ) from exc
        return _store


def cursor() -> duckdb.DuckDBPyConnection:
    """A cursor for the calling thread on the owned connection."""
    return get_store().cursor()
