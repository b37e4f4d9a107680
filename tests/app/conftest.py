"""Pages run in-process under AppTest against a real DuckDB file."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from app import access
from app.dashboard import db

APP = str(Path(__file__).resolve().parents[2] / "app" / "dashboard" / "entrypoint.py")


@pytest.fixture(autouse=True)
def fresh_store() -> Iterator[None]:
    """Each test opens its own file; the store is closed and forgotten afterwards."""
    access.forget_access()
    yield
    access.forget_access()
    store = db._store
    db.use_store(None)
    if store is not None:
        store.close()
