"""Fixtures of the SQL tests."""

from __future__ import annotations

import pytest

from collectors import store


@pytest.fixture(params=["index probe", "bulk"])
def write_path(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Each way the store inserts calls: small batches probe the call_id index (INSERT OR
    IGNORE), batches of ``BULK_CALLS`` or more find stored calls with one join."""
    if request.param == "bulk":
        monkeypatch.setattr(store, "BULK_CALLS", 1)
    return str(request.param)
