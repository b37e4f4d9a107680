"""Budget alerts on a real DuckDB file, spend worked out by hand.

Prices: tests/fixtures/prices/price_book.csv (gpt-4o-mini input $0.15 per 1M tokens).
November 2026 has 30 days; checked at 2026-11-16 00:00 UTC, 15 days in, the linear
forecast is twice the spend. Budgets: acme $100 and bee $10 (both CC-1, budget $50),
cee none; deployment mini $40.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest

from app.alerts import AlertsConfig, check_alerts
from app.webhooks import parse_webhooks
from collectors.deployments import Deployment, write_deployments
from collectors.prices.book import DEPLOYMENT_TYPES, load_reference_data
from collectors.store import Store
from collectors.tenants import CostCenter, Tenant, TenantRule, TenantsConfig, write_tenants
from queries.alerts import alert_entries, budget_spend
from queries.chargeback import month_bounds
from tests.normalizing import rows_batch
from tests.sql.test_call_costs import PRICES
from tests.sql.test_chargeback import call
from tests.webhook_receiver import WebhookReceiver

NOW = datetime(2026, 11, 16, tzinfo=UTC)
LATER = datetime(2026, 11, 20, tzinfo=UTC)


def mini(call_id: str, tenant: str, day: int, input_tokens: int) -> object:
    when = datetime(2026, 11, day, 10, tzinfo=UTC)
    return call(call_id, tenant, "mini", "gpt-4o-mini", "GlobalStandard", when, input_tokens, 0)


FIRST = [
    mini("a1", "acme", 2, 200_000_000),  # $30.00
    mini("b1", "bee", 3, 40_000_000),  # $6.00
    mini("c1", "cee", 4, 10_000_000),  # $1.50
]


def build_store(path: Path) -> Store:
    store = Store(path)
    load_reference_data(store, PRICES, DEPLOYMENT_TYPES)
    write_tenants(
        store,
        TenantsConfig(
            tenants=(
                Tenant("acme", "Acme", "CC-1", None, Decimal("100")),
                Tenant("bee", "Bee", "CC-1", None, Decimal("10")),
                Tenant("cee", "Cee", "CC-2", None, None),
            ),
            rules=(TenantRule("attribute", None, None),),
            cost_centers=(CostCenter("CC-1", Decimal("50")),),
        ),
    )
    write_deployments(
        store,
        (Deployment("mini", None, None, "gpt-4o-mini", "GlobalStandard", None, None, None,
                    monthly_budget_usd=Decimal("40")),),
    )  # fmt: skip
    return store


@pytest.fixture
def store(tmp_path: Path) -> Store:
    store = build_store(tmp_path / "lens.duckdb")
    store.write_many([rows_batch(FIRST, [], "test")])  # type: ignore[list-item]
    return store


def test_budget_spend_per_tenant_cost_center_and_deployment(store: Store) -> None:
    start, end = month_bounds("2026-11")
    frame = budget_spend(store.cursor(), start, end, NOW)
    got = [
        (r.scope_kind, r.scope, r.spend_usd, r.forecast_usd, r.budget_usd, r.spend_pct)
        for r in frame.itertuples(index=False)
    ]
    assert got == [
        ("cost_center", "CC-1", 36.0, 72.0, 50.0, 72.0),  # acme 30 + bee 6
        ("deployment", "mini", 37.5, 75.0, 40.0, 93.75),  # all three tenants' calls
        ("tenant", "acme", 30.0, 60.0, 100.0, 30.0),
        ("tenant", "bee", 6.0, 12.0, 10.0, 60.0),
    ]


def fired(report: object) -> list[tuple[str, str, str, float]]:
    return sorted(
        (a["scope_kind"], a["scope"], a["rule"], a["threshold_pct"])
        for a in report.as_dict()["fired"]  # type: ignore[attr-defined]
    )


def test_thresholds_cross_once_and_fire_once_even_after_a_restart(
    store: Store, tmp_path: Path
) -> None:
    with WebhookReceiver() as receiver:
        config = AlertsConfig(webhooks=parse_webhooks(receiver.url))
        first = check_alerts(store, config, NOW)
        assert fired(first) == [
            ("cost_center", "CC-1", "forecast", 100.0),
            ("cost_center", "CC-1", "spend", 50.0),
            ("deployment", "mini", "forecast", 100.0),
            ("deployment", "mini", "spend", 80.0),  # 50 % crossed too: superseded, not sent
            ("tenant", "bee", "forecast", 100.0),
            ("tenant", "bee", "spend", 50.0),
        ]
        assert first.superseded == 1
        assert len(receiver.bodies) == 6
        bee = next(b for b in receiver.bodies if b["scope"] == "bee" and b["spend_usd"] < 10)
        assert bee == {
            "scope_kind": "tenant", "scope": "bee", "month": "2026-11", "threshold_pct": 50.0,
            "spend_usd": 6.0, "budget_usd": 10.0, "forecast_usd": 12.0,
            "fired_at": "2026-11-16T00:00:00+00:00",
        }  # fmt: skip
        assert fired(check_alerts(store, config, NOW)) == []  # a second evaluation
        store.close()
        reopened = Store(tmp_path / "lens.duckdb")  # a restarted server
        assert fired(check_alerts(reopened, config, NOW)) == []
        reopened.write_many([rows_batch([mini("a2", "acme", 17, 400_000_000)], [], "test")])
        # acme now $90 of $100 (80 % sent, 50 % superseded; forecast 90 x 30/19 > 100);
        # CC-1 $96 of $50: 100 %; mini $97.50 of $40: 100 %
        assert fired(check_alerts(reopened, config, LATER)) == [
            ("cost_center", "CC-1", "spend", 100.0),
            ("deployment", "mini", "spend", 100.0),
            ("tenant", "acme", "forecast", 100.0),
            ("tenant", "acme", "spend", 80.0),
        ]
        assert len(receiver.bodies) == 10
        log = alert_entries(reopened.cursor(), NOW, LATER.replace(day=21), [])
        assert sorted(log["status"].value_counts().items()) == [
            ("delivered", 10),
            ("superseded", 3),
        ]
        reopened.close()


def test_a_failing_receiver_is_retried_with_backoff_and_logged(store: Store) -> None:
    waits: list[float] = []
    with WebhookReceiver(statuses=[500, 200]) as flaky, WebhookReceiver(statuses=[503] * 9) as down:
        config = AlertsConfig(
            webhooks=parse_webhooks(f"{flaky.url}/hook, {down.url}/hook"),
            thresholds_pct=(50.0,), forecast=False, attempts=3, backoff_s=0.5,
        )  # fmt: skip
        report = check_alerts(store, config, NOW, sleep=waits.append)
    # CC-1, mini and bee cross 50 %; the flaky receiver fails the first POST only
    assert len(report.fired) == 3
    assert len(flaky.bodies) == 4 and len(down.bodies) == 9
    assert waits == [0.5] + [0.5, 1.0] * 3  # 1 retry to flaky, 2 per alert to the down one
    log = alert_entries(store.cursor(), NOW, LATER, [])
    by_hook = {
        (r.scope, r.webhook): (r.status, r.attempts, r.last_error)
        for r in log.astype(object).where(log.notna(), None).itertuples(index=False)
    }
    flaky_label, down_label = f"json:{flaky.url}", f"json:{down.url}"
    assert by_hook[("CC-1", flaky_label)] == ("delivered", 2, None)
    assert by_hook[("bee", flaky_label)] == ("delivered", 1, None)
    assert by_hook[("bee", down_label)] == ("failed", 3, "HTTP 503: receiver error")
    failed = alert_entries(store.cursor(), NOW, LATER, ["failed"])
    assert failed["scope"].tolist() == ["CC-1", "mini", "bee"]
    assert set(failed["webhook"]) == {down_label}


def test_dry_run_sends_and_logs_nothing(store: Store) -> None:
    with WebhookReceiver() as receiver:
        config = AlertsConfig(webhooks=parse_webhooks(receiver.url))
        report = check_alerts(store, config, NOW, dry_run=True)
        assert len(report.fired) == 6 and report.dry_run
        assert receiver.bodies == []
        assert alert_entries(store.cursor(), NOW, LATER, []).empty
        assert len(check_alerts(store, config, NOW).fired) == 6  # still due afterwards


def test_the_forecast_waits_for_the_first_days_of_the_month(tmp_path: Path) -> None:
    store = build_store(tmp_path / "lens.duckdb")
    first_hour = mini("early", "bee", 1, 1_000_000)  # $0.15 at 10:00 on November 1st
    store.write_many([rows_batch([first_hour], [], "test")])  # type: ignore[list-item]
    noon = datetime(2026, 11, 1, 12, tzinfo=UTC)  # forecast $0.15 x 60 = $9: 90 % of $10
    config = AlertsConfig(forecast_after_days=0)
    assert check_alerts(store, config, noon, dry_run=True).fired == []
    store.write_many([rows_batch([mini("more", "bee", 1, 1_000_000)], [], "test")])  # type: ignore[list-item]
    # $0.30 x 60 = $18: over bee's $10 (CC-1's $50 and mini's $40 are not reached)
    assert fired(check_alerts(store, config, noon, dry_run=True)) == [
        ("tenant", "bee", "forecast", 100.0)
    ]
    assert fired(check_alerts(store, AlertsConfig(), noon, dry_run=True)) == []  # 3 days
    store.close()


def redelivery_config(url: str) -> AlertsConfig:
    return AlertsConfig(
        webhooks=parse_webhooks(url), thresholds_pct=(50.0,), forecast=False, attempts=2
    )


def test_a_failed_delivery_is_sent_again_by_the_next_check(store: Store) -> None:
    with WebhookReceiver(statuses=[503] * 6) as flaky:
        config = redelivery_config(flaky.url)
        check_alerts(store, config, NOW, sleep=lambda _: None)  # CC-1, mini, bee: 2 attempts
        assert len(flaky.bodies) == 6
        again = check_alerts(store, config, NOW, sleep=lambda _: None)  # the receiver is back
        assert again.fired == [] and len(again.redelivered) == 3
        assert [d["deliveries"][0]["status"] for d in again.redelivered] == ["delivered"] * 3
        assert check_alerts(store, config, NOW, sleep=lambda _: None).redelivered == []
        assert len(flaky.bodies) == 9
    log = alert_entries(store.cursor(), NOW, LATER, [])
    assert set(zip(log["status"], log["attempts"], strict=True)) == {("delivered", 3)}


def test_a_receiver_that_stays_down_is_tried_by_three_checks_only(store: Store) -> None:
    with WebhookReceiver(statuses=[500] * 99) as broken:
        config = redelivery_config(broken.url)
        for _check in range(5):
            check_alerts(store, config, NOW, sleep=lambda _: None)
        assert len(broken.bodies) == 3 * 3 * 2  # 3 alerts x 3 checks x 2 attempts
    log = alert_entries(store.cursor(), NOW, LATER, [])
    assert set(zip(log["status"], log["attempts"], strict=True)) == {("failed", 6)}


def test_a_delivery_left_pending_by_a_stopped_process_is_sent(store: Store) -> None:
    with WebhookReceiver() as receiver:
        config = AlertsConfig(webhooks=parse_webhooks(receiver.url), forecast=False)
        check_alerts(store, config, NOW)
        with store.transaction() as cur:  # as if the process had stopped before sending
            cur.execute("UPDATE alert_log SET status = 'pending', attempts = 0 WHERE scope = 'bee'")
        again = check_alerts(store, config, NOW)
        assert [(a["scope"], a["threshold_pct"]) for a in again.redelivered] == [("bee", 50.0)]
        assert len(receiver.bodies) == 4  # CC-1, mini, bee, and bee once more


def test_months_are_utc_calendar_months_whatever_the_clock_zone(store: Store) -> None:
    east_midnight = datetime(2026, 12, 1, 0, 30, tzinfo=timezone(timedelta(hours=2)))
    report = check_alerts(store, AlertsConfig(), east_midnight, dry_run=True)
    assert report.month == "2026-11"  # 2026-11-30 22:30 UTC
    assert {a["scope"] for a in report.fired} == {"CC-1", "mini", "bee"}
