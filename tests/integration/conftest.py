"""Fixtures the Log Analytics tests share: Azure's query API at the wire, and a ledger."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from collectors.store import Store
from lens_harness.log_analytics import FakeLogAnalytics


@pytest.fixture
def fake() -> Iterator[FakeLogAnalytics]:
    """The Log Analytics query API on 127.0.0.1 (the fake workspace)."""
    server = FakeLogAnalytics().start()
    yield server
    server.stop()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """A ledger in a DuckDB file of the test's own folder."""
    opened = Store(tmp_path / "lens.duckdb")
    yield opened
    opened.close()
