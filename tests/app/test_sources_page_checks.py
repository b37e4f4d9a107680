"""What the Sources page checks in the stored calls beyond sampling and request ids: calls
that name no deployment, and the metrics source among the collectors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from collectors.loganalytics import state
from collectors.store import Store
from tests.app.conftest import APP
from tests.seeding import seeded_database


def open_page(monkeypatch: pytest.MonkeyPatch, db: Path, **env: str) -> AppTest:
    monkeypatch.setenv("LENS_DB", str(db))
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    at = AppTest.from_file(APP, default_timeout=30)
    at.run()
    at.switch_page("app_pages/sources.py").run()
    assert not at.exception
    return at


def test_calls_without_a_deployment_and_a_partial_metrics_read_are_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = seeded_database(tmp_path / "lens.duckdb", datetime.now(UTC) - timedelta(hours=1))
    with duckdb.connect(str(db)) as con:  # two of the six calls came from the resource log
        con.execute(
            "UPDATE calls SET source = 'loganalytics:azure_diagnostics' "
            "WHERE call_id IN ('c02', 'c03')"
        )
        con.execute("UPDATE calls SET deployment = 'unknown' WHERE call_id = 'c03'")
    store = Store(db)  # the metrics source read what the resource defines, not InputTokens
    end = datetime.now(UTC) - timedelta(minutes=5)
    state.record_pull(
        store, "azure_monitor_metrics", end - timedelta(hours=2), end, outcome="degraded",
        rows_read=4, rows_stored=4, seconds=0.1, error="metric: InputTokens is not defined",
    )  # fmt: skip
    store.close()
    at = open_page(
        monkeypatch,
        db,
        LOG_ANALYTICS_WORKSPACE_ID="11111111-2222-3333-4444-555555555555",
        LENS_LOG_ANALYTICS_SOURCES="azure_diagnostics",
        LENS_METRICS_RESOURCE_IDS="/subscriptions/s/resourceGroups/rg/providers/"
        "Microsoft.CognitiveServices/accounts/aoai-prod",
    )
    warnings = [w.value for w in at.warning]
    assert any("`azure_diagnostics`: 1 of 2 stored calls name no deployment" in w for w in warnings)
    assert not any("`otlp`" in w and "no deployment" in w for w in warnings)
    assert "`azure_monitor_metrics`: the last pull read only some of its metrics." in warnings
    assert "metric: InputTokens is not defined" in [t.value for t in at.text]
    health = at.dataframe[0].value
    # The metrics source is configured: it is a collector the page watches.
    assert list(health["source"]) == ["otlp", "azure_diagnostics", "azure_monitor_metrics"]
