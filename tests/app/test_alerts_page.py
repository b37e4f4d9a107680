"""The Alerts page on a real DuckDB file: alerts fired (one delivered, one failed) shown
with their counts, below each budget's spend this month; an empty log says how to set
budgets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from app.alerts import AlertsConfig, check_alerts
from app.webhooks import parse_webhooks
from collectors.store import Store
from tests.app.conftest import APP
from tests.normalizing import rows_batch
from tests.sql.test_budget_alerts import build_store
from tests.sql.test_chargeback import call
from tests.webhook_receiver import WebhookReceiver

# The reference files the server reads (cwd is the test's folder): those of build_store.
TENANTS = """
[[tenant]]
id = "acme"
cost_center = "CC-1"
monthly_budget_usd = 100
[[tenant]]
id = "bee"
cost_center = "CC-1"
monthly_budget_usd = 10
[[tenant]]
id = "cee"
cost_center = "CC-2"
[[cost_center]]
id = "CC-1"
monthly_budget_usd = 50
"""
DEPLOYMENTS = """
[[deployment]]
name = "mini"
model = "gpt-4o-mini"
deployment_type = "GlobalStandard"
monthly_budget_usd = 40
"""


def open_alerts(path: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("LENS_DB", str(path))
    (path.parent / "tenants.toml").write_text(TENANTS)
    (path.parent / "deployments.toml").write_text(DEPLOYMENTS)
    at = AppTest.from_file(APP, default_timeout=30)
    at.run()
    at.switch_page("app_pages/alerts.py")
    at.run()
    assert not at.exception
    return at


def test_fired_alerts_and_their_deliveries_are_listed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = datetime.now(UTC)
    store = build_store(tmp_path / "lens.duckdb")
    when = now - timedelta(seconds=1)
    spent = call("b1", "bee", "mini", "gpt-4o-mini", "GlobalStandard", when, 40_000_000, 0)
    store.write_many([rows_batch([spent])])  # $6.00 of bee's $10: 60 %
    with WebhookReceiver() as good, WebhookReceiver(statuses=[400]) as bad:
        hooks = parse_webhooks(f"{good.url},slack:{bad.url}")
        config = AlertsConfig(webhooks=hooks, thresholds_pct=(50.0,), forecast=False)
        report = check_alerts(store, config, now, sleep=lambda _: None)
    assert [a["scope"] for a in report.as_dict()["fired"]] == ["bee"]
    store.close()
    at = open_alerts(tmp_path / "lens.duckdb", monkeypatch)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics == {"Alerts fired": "1", "Delivered": "1", "Failed deliveries": "1"}
    budgets = at.dataframe[0].value
    assert list(zip(budgets["scope"], budgets["spend_usd"], strict=True)) == [
        ("CC-1", 6.0), ("mini", 6.0), ("acme", 0.0), ("bee", 6.0),
    ]  # fmt: skip
    table = at.dataframe[1].value
    assert list(table["status"]) == ["delivered", "failed"]
    assert list(table["last_error"].fillna("")) == ["", "HTTP 400: receiver error"]
    assert [float(v) for v in table["budget_usd"]] == [10.0, 10.0]


def test_an_empty_alert_log_says_how_to_set_budgets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    Store(tmp_path / "lens.duckdb").close()
    at = open_alerts(tmp_path / "lens.duckdb", monkeypatch)
    assert "No budget alert in the last 30 days." in at.info[0].value
    assert "LENS_ALERT_WEBHOOKS" in at.caption[0].value
