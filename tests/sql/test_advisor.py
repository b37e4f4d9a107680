"""The savings advisor on a real DuckDB file, worked out by hand.

Prices: tests/fixtures/prices/price_book.csv (gpt-4o $2.50 / $1.25 cached / $10 per 1M;
gpt-4o-mini $0.15 / $0.075 / $0.60; gpt-4.1 Data Zone $2.20 / $0.55 / $8.80).
PTU figures: collectors/prices/ptu_figures.csv (gpt-4o: 2,500 input TPM per PTU).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from app.advisor import advise
from app.what_if import what_if
from collectors.deployments import Deployment, write_deployments
from collectors.prices.book import DEPLOYMENT_TYPES, load_reference_data
from collectors.rows import CallRow
from collectors.store import Store
from collectors.tenants import Tenant, TenantRule, TenantsConfig, write_tenants
from tests.normalizing import rows_batch
from tests.sql.test_call_costs import PRICES
from tests.sql.test_chargeback import call

HOUR = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


def build(path: Path, calls: list[CallRow], prices: Path = PRICES) -> Store:
    store = Store(path)
    load_reference_data(store, prices, DEPLOYMENT_TYPES)
    write_tenants(
        store,
        TenantsConfig(
            tenants=(Tenant("acme", "Acme", "CC-1", None, None),
                     Tenant("bee", "Bee", "CC-1", None, None)),
            rules=(TenantRule("attribute", None, None),),
        ),
    )  # fmt: skip
    write_deployments(
        store,
        (Deployment("ptu4o", None, None, "gpt-4o", "ProvisionedManaged", 100, Decimal("2"),
                    None),),
    )  # fmt: skip
    store.write_many([rows_batch(calls, [], "test")])  # type: ignore[list-item]
    return store


def test_what_if_prices_a_scope_again_to_the_cent(tmp_path: Path) -> None:
    # bee: 1,000,000 input (200,000 cached) and 100,000 output on gpt-4o Global Standard:
    # 800,000 x 2.50 + 200,000 x 1.25 + 100,000 x 10 per 1M = 2.00 + 0.25 + 1.00 = $3.25.
    calls = [
        call("b1", "bee", "chat", "gpt-4o", "GlobalStandard", HOUR, 1_000_000, 100_000, 200_000),
        call("a1", "acme", "chat", "gpt-4o", "GlobalStandard", HOUR, 5_000_000, 0),
    ]
    store = build(tmp_path / "lens.duckdb", calls)
    now = HOUR + timedelta(days=10)  # the window's calls began 10 days before
    cur = store.cursor()
    mini = what_if(cur, 30, tenants=["bee"], target_model="gpt-4o-mini", now=now)
    # 800,000 x 0.15 + 200,000 x 0.075 + 100,000 x 0.60 per 1M = 0.12 + 0.015 + 0.06
    assert mini.baseline_usd == pytest.approx(3.25, abs=1e-9)
    assert mini.what_if_usd == pytest.approx(0.195, abs=1e-9)
    assert mini.difference_usd == pytest.approx(3.055, abs=1e-9)
    assert mini.monthly_saving_usd == pytest.approx(3.055 * 3, abs=1e-9)  # 10 days -> 30
    assert mini.saving_low_usd == pytest.approx(3.055 * 3 * 0.75)
    assert mini.saving_high_usd == pytest.approx(3.055 * 3 * 1.25)
    assert any("quality" in caveat for caveat in mini.caveats)
    # gpt-4.1 has its own Data Zone row: 800,000 x 2.20 + 200,000 x 0.55 + 100,000 x 8.80
    zone = what_if(cur, 30, tenants=["bee"], target_model="gpt-4.1",
                   target_type="DataZoneStandard", now=now)  # fmt: skip
    assert zone.what_if_usd == pytest.approx(1.76 + 0.11 + 0.88, abs=1e-9)
    assert any("data zone" in caveat for caveat in zone.caveats)
    # Batch: the Global Standard price x 0.5 (deployment_types.csv); Flex: x 0.5 as well
    batch = what_if(cur, 30, tenants=["bee"], target_type="GlobalBatch", now=now)
    assert batch.what_if_usd == pytest.approx(1.625, abs=1e-9)
    assert any("24 hours" in caveat for caveat in batch.caveats)
    flex = what_if(cur, 30, tenants=["bee"], target_type="Flex", now=now)
    assert flex.what_if_usd == pytest.approx(1.625, abs=1e-9)
    assert any("no latency SLA" in caveat for caveat in flex.caveats)
    # a model the price book does not know: its tokens are unpriced, never $0
    unknown = what_if(cur, 30, tenants=["bee"], target_model="no-such-model", now=now)
    assert unknown.what_if_usd == 0 and unknown.unpriced_tokens == 1_100_000


def test_what_if_prices_at_the_default_tier_beside_priority_and_long_context_rows(
    tmp_path: Path,
) -> None:
    # The same price book plus gpt-4o-mini rows at Priority and long-context rates: the
    # what-if still prices bee's tokens at the default tier, any prompt length ($0.195).
    header, *lines = PRICES.read_text().splitlines()
    book = tmp_path / "prices.csv"
    book.write_text(
        "\n".join([header + ",service_tier,context_tier", *(line + ",default," for line in lines),
                   "gpt-4o-mini,GlobalStandard,,0.30,0.15,1.20,2024-10-01,,test,priority,",
                   "gpt-4o-mini,GlobalStandard,,0.60,0.30,2.40,2024-10-01,,test,default,long"])
        + "\n"
    )  # fmt: skip
    calls = [call("b1", "bee", "chat", "gpt-4o", "GlobalStandard", HOUR, 1_000_000, 100_000,
                  200_000)]  # fmt: skip
    store = build(tmp_path / "lens.duckdb", calls, book)
    mini = what_if(store.cursor(), 30, tenants=["bee"], target_model="gpt-4o-mini",
                   now=HOUR + timedelta(days=10))  # fmt: skip
    assert mini.what_if_usd == pytest.approx(0.195, abs=1e-9)


def steady_hour(deployment: str, model: str, kind: str, tokens: int) -> list[CallRow]:
    """One call a minute for the hour from HOUR, each ``tokens`` input tokens."""
    return [
        call(f"{deployment}-{i}", "acme", deployment, model, kind, HOUR + timedelta(minutes=i),
             tokens, 0)
        for i in range(60)
    ]  # fmt: skip


def test_ptu_break_even_and_right_sizing_from_the_minute_profile(tmp_path: Path) -> None:
    calls = steady_hour("bulk", "gpt-4o", "GlobalStandard", 37_500)
    calls += steady_hour("ptu4o", "gpt-4o", "ProvisionedManaged", 37_500)
    store = build(tmp_path / "lens.duckdb", calls)
    report = advise(store.cursor(), timedelta(hours=1), HOUR + timedelta(hours=1))
    assert report.observed_days == pytest.approx(1 / 24, abs=1e-3)  # scaled by 720
    sizing = {row["deployment"]: row for row in report.ptu_sizing}
    bulk = sizing["bulk"]
    # every minute 37,500 input TPM: / 2,500 = 15 PTUs (the Global minimum), used 100 %
    assert (bulk["peak_tpm"], bulk["p95_tpm"], bulk["p50_tpm"]) == (37_500, 37_500, 37_500)
    assert bulk["ptus_at_p95"] == 15
    assert bulk["utilisation_at_p95_size"] == pytest.approx(1.0)
    # pay-as-you-go: 60 x 37,500 x $2.50 / 1M = $5.625 an hour, x 720 = $4,050 a month
    assert bulk["payg_monthly_usd"] == pytest.approx(4050.0)
    assert bulk["ptu_hourly_monthly_usd"] == pytest.approx(15 * 1.0 * 730)  # $10,950
    assert bulk["ptu_reserved_monthly_usd"] == pytest.approx(15 * 260.0)  # $3,900
    assert bulk["break_even_utilisation_reserved"] == pytest.approx(3900 / 4050)
    assert bulk["break_even_utilisation_hourly"] == pytest.approx(10950 / 4050)
    hourly = [row for row in report.tpm_by_hour if row["deployment"] == "bulk"]
    assert hourly == [
        {"deployment": "bulk", "hour_of_day": 10, "peak_tpm": 37_500.0, "p95_tpm": 37_500.0,
         "p50_tpm": 37_500.0, "active_minutes": 60},
    ]  # fmt: skip
    recs = {(r.kind, r.scope): r for r in report.recommendations}
    move = recs[("ptu", "bulk")]
    assert move.monthly_saving_usd == pytest.approx(150.0)  # 4,050 - 3,900
    assert move.saving_low_usd == pytest.approx(4050 * 0.75 - 3900)
    assert move.saving_high_usd == pytest.approx(4050 * 1.25 - 3900)
    assert "reservation" in move.title and move.estimate
    # ptu4o: 100 PTUs deployed at $2 an hour; Regional minimum 50 covers 37,500 TPM
    over = recs[("provisioned", "ptu4o")]
    assert sizing["ptu4o"]["ptus_at_p95"] == 50
    assert "over-provisioned" in over.title
    assert over.monthly_saving_usd == pytest.approx(50 * 2.0 * 730)  # $73,000
    assert "0 of 60 calls answered 429 and 0 more spilled over" in " ".join(over.assumptions)


def test_an_under_provisioned_deployment_shows_its_429s(tmp_path: Path) -> None:
    calls = steady_hour("ptu4o", "gpt-4o", "ProvisionedManaged", 37_500)
    calls += [
        replace(call(f"t{i}", "acme", "ptu4o", "gpt-4o", "ProvisionedManaged",
                     HOUR + timedelta(minutes=i), 0, 0), status="error", http_status=429)
        for i in range(3)
    ]  # fmt: skip
    store = build(tmp_path / "lens.duckdb", calls)
    report = advise(store.cursor(), timedelta(hours=1), HOUR + timedelta(hours=1))
    short = next(r for r in report.recommendations if r.kind == "provisioned")
    assert "under-provisioned" in short.title
    assert short.monthly_saving_usd < 0  # adding PTUs costs money
    assert "3 of 63 calls answered 429 and 0 more spilled over" in " ".join(short.assumptions)
    assert "(4.8% of the calls sent to it)" in " ".join(short.assumptions)


def test_calls_spilled_to_standard_count_as_evidence_of_a_short_deployment(
    tmp_path: Path,
) -> None:
    # 60 calls served by the PTU at 37,500 TPM (50 PTUs needed, 100 deployed: over-sized by
    # the profile), but 2 more calls spilled to the standard deployment: 2 / 62 = 3.2 % >= 1 %
    calls = steady_hour("ptu4o", "gpt-4o", "ProvisionedManaged", 37_500)
    calls += [
        replace(call(f"s{i}", "acme", "gpt-4o-std", "gpt-4o", "Standard",
                     HOUR + timedelta(minutes=i), 10, 10), spillover=True,
                spillover_from="ptu4o")
        for i in range(2)
    ]  # fmt: skip
    store = build(tmp_path / "lens.duckdb", calls)
    report = advise(store.cursor(), timedelta(hours=1), HOUR + timedelta(hours=1))
    short = next(r for r in report.recommendations if r.kind == "provisioned")
    assert "under-provisioned" in short.title
    assert "0 of 60 calls answered 429 and 2 more spilled over" in " ".join(short.assumptions)
    assert "(3.2% of the calls sent to it)" in " ".join(short.assumptions)
    sizing = {row["deployment"]: row for row in report.ptu_sizing}
    assert sizing["ptu4o"]["spilled_calls"] == 2


def test_caching_potential_counts_repeated_long_prefixes(tmp_path: Path) -> None:
    def hashed(call_id: str, minute: int, tokens: int, prefix: str | None) -> CallRow:
        row = call(call_id, "acme", "chat", "gpt-4o", "GlobalStandard",
                   HOUR + timedelta(minutes=minute), tokens, 10)  # fmt: skip
        attrs = {"azure.openai.prompt_prefix_hash": prefix} if prefix else {}
        return replace(row, attributes=attrs)

    calls = [
        hashed("p1", 0, 3000, "aaa"),  # the first of its prefix: not a repeat
        hashed("p2", 1, 3000, "aaa"),  # repeats: 1,024 cacheable tokens each
        hashed("p3", 2, 3000, "aaa"),
        hashed("p4", 3, 500, "aaa"),  # too short for Azure's cache
        hashed("p5", 4, 3000, "bbb"),  # a prefix seen once
        hashed("p6", 5, 3000, None),  # no fingerprint
    ]
    store = build(tmp_path / "lens.duckdb", calls)
    report = advise(store.cursor(), timedelta(hours=1), HOUR + timedelta(hours=1))
    (entry,) = report.caching
    assert entry["shared_prefix_share"] == pytest.approx(2 / 6)
    assert entry["fingerprinted_share"] == pytest.approx(5 / 6)
    assert entry["long_prompt_share"] == pytest.approx(5 / 6)
    assert entry["cacheable_tokens"] == 2048
    rec = next(r for r in report.recommendations if r.kind == "caching")
    # 2,048 tokens x ($2.50 - $1.25) per 1M = $0.00256 in the hour, x 720 a month
    assert rec.monthly_saving_usd == pytest.approx(0.00256 * 720)
    assert rec.saving_low_usd == pytest.approx(0.00256 * 720 * 0.75)


def test_batch_candidates_are_named_services_that_never_stream(tmp_path: Path) -> None:
    nightly = [
        replace(call(f"n{i}", "acme", "chat", "gpt-4o", "GlobalStandard",
                     HOUR + timedelta(minutes=i), 1_000_000, 0), service="nightly")
        for i in range(2)
    ]  # fmt: skip
    chat = [
        replace(call("c1", "bee", "chat", "gpt-4o", "GlobalStandard", HOUR, 1_000_000, 0),
                service="chat-ui", ttft_ms=250.0),
    ]  # fmt: skip
    store = build(tmp_path / "lens.duckdb", nightly + chat)
    report = advise(store.cursor(), timedelta(hours=1), HOUR + timedelta(hours=1))
    rows = {(r["service"], r["tenant_id"]): r for r in report.batch}
    assert rows[("nightly", "acme")]["eligible"]
    assert not rows[("chat-ui", "bee")]["eligible"]
    assert "streamed" in rows[("chat-ui", "bee")]["reason"]
    rec = next(r for r in report.recommendations if r.kind == "batch")
    # $5.00 of Global Standard input in the hour, half of it saved on GlobalBatch, x 720
    assert rec.scope == "nightly / acme"
    assert rec.monthly_saving_usd == pytest.approx(2.5 * 720)


def test_an_empty_ledger_has_nothing_to_advise(tmp_path: Path) -> None:
    store = build(tmp_path / "lens.duckdb", [])
    report = advise(store.cursor(), timedelta(days=30), HOUR).as_dict()
    assert report["recommendations"] == [] and report["ptu_sizing"] == []
    assert report["notes"] == ["No calls in the window: nothing to advise yet."]
