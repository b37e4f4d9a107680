"""Sources page: collector health, errors with what to do, coverage; the empty state."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from collectors.loganalytics import state
from collectors.prices.apply import record_unmapped
from collectors.prices.parse import UnmappedMeter
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
    return at


def text_of(at: AppTest) -> str:
    return "\n".join(e.value for e in [*at.markdown, *at.info, *at.error, *at.caption])


def test_empty_ledger_without_workspace_says_what_to_configure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    Store(tmp_path / "lens.duckdb").close()
    at = open_page(monkeypatch, tmp_path / "lens.duckdb")
    assert not at.exception
    shown = text_of(at)
    assert "LOG_ANALYTICS_WORKSPACE_ID" in shown
    assert "Request and Response Logs" in shown  # what azure_diagnostics needs
    assert "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT" in shown


def test_failed_source_shows_its_error_and_what_to_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = seeded_database(tmp_path / "lens.duckdb", datetime.now(UTC) - timedelta(hours=1))
    store = Store(db)
    end = datetime.now(UTC) - timedelta(minutes=20)
    state.record_success(store, "apim", end - timedelta(hours=1), end)
    state.record_failure(
        store, "app_insights", "Log Analytics answered 403: denied", "grant Reader"
    )
    store.close()
    at = open_page(
        monkeypatch,
        db,
        LOG_ANALYTICS_WORKSPACE_ID="11111111-2222-3333-4444-555555555555",
        LENS_LOG_ANALYTICS_SOURCES="apim,app_insights",
    )
    assert not at.exception
    assert [e.value for e in at.error] == ["`app_insights`: the last pull failed."]
    assert [t.value for t in at.text] == [
        "Log Analytics answered 403: denied",
        "What to do: grant Reader",
    ]
    health = at.dataframe[0].value
    assert list(health["source"]) == ["otlp", "apim", "app_insights"]
    apim = health[health["source"] == "apim"].iloc[0]
    assert 19 <= apim["lag_minutes"] <= 25
    coverage = at.dataframe[1].value
    assert coverage["calls"].sum() == 6  # the seed's calls, all within the period


def test_a_sampled_source_and_a_degraded_pull_are_shown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import duckdb

    db = seeded_database(tmp_path / "lens.duckdb", datetime.now(UTC) - timedelta(hours=1))
    with duckdb.connect(str(db)) as con:  # six calls: one of them stands for ten
        con.execute("UPDATE calls SET sample_weight = 10 WHERE call_id = 'c01'")
        # c02 came through the gateway, whose logs lacked the backend's request id.
        con.execute(
            "UPDATE calls SET source = 'loganalytics:apim', request_id = NULL WHERE call_id = 'c02'"
        )
    store = Store(db)
    end = datetime.now(UTC) - timedelta(minutes=20)
    state.record_pull(
        store, "apim", end - timedelta(hours=1), end, outcome="degraded", rows_read=3,
        rows_stored=3, seconds=0.1, error="3 of 3 calls had no row in ApiManagementGatewayLogs",
    )  # fmt: skip
    store.close()
    at = open_page(
        monkeypatch,
        db,
        LOG_ANALYTICS_WORKSPACE_ID="11111111-2222-3333-4444-555555555555",
        LENS_LOG_ANALYTICS_SOURCES="apim",
    )
    assert not at.exception
    assert any("`otlp` samples: its 5 stored calls stand for 14" in i.value for i in at.info)
    assert any("`apim`: 1 of 1 stored calls carry no backend `apim-request-id`" in w.value
               for w in at.warning)  # fmt: skip
    assert any("`apim`: the last pull stored calls with fields missing" in w.value
               for w in at.warning)  # fmt: skip
    assert any("3 of 3 calls had no row" in t.value for t in at.text)


def test_meters_the_last_price_refresh_could_not_map_are_shown_with_the_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = seeded_database(tmp_path / "lens.duckdb", datetime.now(UTC) - timedelta(hours=1))
    store = Store(db)
    unmapped = [UnmappedMeter("chat-latest 08062026 opt Gl 1M Tokens", "Azure OpenAI GPT5",
                              "1M", "'chat' does not start a model name")]  # fmt: skip
    record_unmapped(store, unmapped, datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
    store.close()
    at = open_page(monkeypatch, db)
    assert not at.exception
    toggle = next(t for t in at.toggle if "could not map" in t.label)
    toggle.set_value(True).run()
    assert not at.exception
    shown = at.dataframe[-1].value
    assert list(shown["meter"]) == ["chat-latest 08062026 opt Gl 1M Tokens"]
    assert list(shown["reason"]) == ["'chat' does not start a model name"]
