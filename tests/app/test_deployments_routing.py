"""The Deployments page's routing section on the demo's data (the synthetic spans `make run`
seeds, stored as ingest stores them), against the SQL truth on the same file; and its
empty state on calls that say nothing of their route."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from app.dashboard import db
from collectors.otlp.synthetic import export_requests
from collectors.prices.book import load_reference_data
from collectors.store import Store
from collectors.tenants import default_tenants, write_tenants
from queries import routing
from tests.app.conftest import APP
from tests.app.test_dashboard_pages import metric, open_page, page_scope
from tests.normalizing import normalized_tables


def demo_ledger(path: Path) -> Path:
    store = Store(path)
    load_reference_data(store)
    write_tenants(store, default_tenants())
    end = datetime.now(UTC)
    for request in export_requests(end - timedelta(days=2), end, 3000, batch_size=500):
        store.write_many([normalized_tables(request)])
    store.close()
    return path


def open_demo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("LENS_DB", str(demo_ledger(tmp_path / "lens.duckdb")))
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.switch_page("app_pages/deployments.py")
    at.query_params["range"] = "7d"
    at.run()
    assert not at.exception
    return at


def test_the_demo_shows_failover_spillover_and_downgrades(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = open_demo(tmp_path, monkeypatch)
    assert [h.value for h in at.subheader] == ["Cost", "Routing"]
    truth = routing.routing_totals(db.cursor(), page_scope(at)).iloc[0]
    assert truth["failed_over"] > 0 and truth["spilled"] > 0 and truth["downgraded"] > 0
    assert metric(at, "Failover rate") == f"{truth['failover_rate'] * 100:.1f}%"
    assert metric(at, "Spillover share") == f"{truth['spillover_share'] * 100:.1f}%"
    assert metric(at, "Priority downgrades") == f"{truth['downgrade_share'] * 100:.1f}%"
    assert len(at.get("plotly_chart")) == 3  # histogram, p95, failovers beside 429s
    assert len(at.dataframe) == 2  # stats and cost; spend by route waits behind its toggle

    at.toggle(key="routing_spend").set_value(True).run()
    assert not at.exception
    by_region = at.dataframe[2].value
    expected = routing.routing_by_group(db.cursor(), page_scope(at), "region")
    assert list(by_region["region"]) == list(expected["region"])
    assert "West Europe" in set(by_region["region"])  # where Sweden Central failed over to
    extra = routing.failover_extra_cost(db.cursor(), page_scope(at)).iloc[0]
    assert float(extra["extra_cost_usd"]) > 0  # spilled calls cost what the PTU does not
    shown = metric(at, "Extra cost of failover")
    assert shown.startswith("$") and shown != "$0.00"


def test_calls_without_routing_say_how_to_record_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = open_page(tmp_path, monkeypatch, "deployments")  # the seed: no routing fields
    assert [h.value for h in at.subheader] == ["Cost", "Routing"]
    assert any("AZURE_OPENAI_ENDPOINTS" in i.value for i in at.info)
    assert len(at.get("plotly_chart")) == 2
