"""Spikes fire like budget thresholds, on the seeded weeks of test_daily_spikes: Mondays
100M tokens ($15.00), other days 10M ($1.50), and the spike, Wednesday 2026-11-25, 60M
tokens ($9.00) at 12:00 UTC, of tenant acme on deployment mini.

By hand, checked at 18:00 that Wednesday: the day's spend $9.00, the usual (median of the 4
Wednesdays before) $1.50, so threshold_pct = 9.00 / 1.50 = 600 %; projected to the whole
day from 18 of its 24 hours, $9.00 x 24 / 18 = $12.00.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from app.alerts import AlertsConfig, check_alerts
from app.webhooks import GENERIC_FIELDS, parse_webhooks
from collectors.store import Store
from tests.sql.test_daily_spikes import seed_weeks
from tests.webhook_receiver import WebhookReceiver


def spikes(receiver: WebhookReceiver, path: str = "/json") -> list[dict[str, Any]]:
    return [
        body
        for at, body in zip(receiver.paths, receiver.bodies, strict=True)
        if at == path and str(body.get("scope_kind", "")).endswith("_spike")
    ]


def check(store: Store, config: AlertsConfig, when: datetime) -> dict[str, Any]:
    return check_alerts(store, config, when, sleep=lambda _: None).as_dict()


def test_a_spike_fires_once_and_not_again_after_a_restart(tmp_path: Path) -> None:
    store = seed_weeks(tmp_path / "lens.duckdb")
    with WebhookReceiver() as receiver:
        hooks = parse_webhooks(f"json:{receiver.url}/json,slack:{receiver.url}/slack")
        config = AlertsConfig(webhooks=hooks, forecast=False)
        first = check(store, config, datetime(2026, 11, 25, 18, tzinfo=UTC))
        fired = [a for a in first["fired"] if a["scope_kind"].endswith("_spike")]
        assert [(a["scope_kind"], a["scope"], a["rule"]) for a in fired] == [
            ("deployment_spike", "mini", "spike 2026-11-25"),
            ("tenant_spike", "acme", "spike 2026-11-25"),
        ]
        tenant = next(b for b in spikes(receiver) if b["scope_kind"] == "tenant_spike")
        assert set(tenant) == set(GENERIC_FIELDS)
        assert {k: v for k, v in tenant.items() if k != "fired_at"} == {
            "scope_kind": "tenant_spike", "scope": "acme", "month": "2026-11",
            "threshold_pct": 600.0, "spend_usd": 9.0, "budget_usd": 1.5, "forecast_usd": 12.0,
        }  # fmt: skip
        slack = [b for at, b in zip(receiver.paths, receiver.bodies, strict=True)
                 if at == "/slack" and "spiked" in b["text"]]  # fmt: skip
        assert "Tenant acme spiked on 2026-11-25: 600 % of its usual day" in [
            b["text"] for b in slack
        ]
        assert slack[0]["blocks"][0]["text"]["text"] == "Spike alert"
        later = check(store, config, datetime(2026, 11, 25, 19, tzinfo=UTC))
        assert [a for a in later["fired"] if a["scope_kind"].endswith("_spike")] == []
        store.close()

        restarted = Store(tmp_path / "lens.duckdb")  # the same file, opened again
        again = check(restarted, config, datetime(2026, 11, 25, 20, tzinfo=UTC))
        next_day = check(restarted, config, datetime(2026, 11, 26, 10, tzinfo=UTC))
        for report in (again, next_day):
            assert [a for a in report["fired"] if a["scope_kind"].endswith("_spike")] == []
        assert len(spikes(receiver)) == 2  # one per scope, once
        restarted.close()


def test_a_weekly_pattern_raises_no_alarm_on_mondays(tmp_path: Path) -> None:
    store = seed_weeks(tmp_path / "lens.duckdb")
    config = AlertsConfig(forecast=False)
    for when in (datetime(2026, 11, 23, 18, tzinfo=UTC), datetime(2026, 11, 24, 9, tzinfo=UTC)):
        report = check(store, config, when)  # Monday's $15.00 and the Tuesday after it
        assert [a for a in report["fired"] if a["scope_kind"].endswith("_spike")] == []
    store.close()


def test_spikes_can_be_turned_off(tmp_path: Path) -> None:
    store = seed_weeks(tmp_path / "lens.duckdb")
    config = AlertsConfig(forecast=False, spikes=False)
    report = check(store, config, datetime(2026, 11, 25, 18, tzinfo=UTC))
    assert [a for a in report["fired"] if a["scope_kind"].endswith("_spike")] == []
    store.close()
