"""Billing modes: a call is priced by model, deployment type, the service tier its response
reported, its context tier and its token classes. On a real DuckDB file; prices are those of
tests/fixtures/prices/billing_modes.csv (USD per 1M tokens), the long-context threshold that
of tests/fixtures/prices/context_tiers.csv (gpt-5.6-luna: prompts above 200,000 tokens).
Every expected cost is worked out by hand in the comment above it.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

from collectors.prices.book import DEPLOYMENT_TYPES, load_reference_data
from collectors.rows import CallRow
from collectors.store import Store
from queries import run
from queries.calls import call_cost
from tests.normalizing import rows_batch

FIXTURES = Path(__file__).parents[1] / "fixtures" / "prices"
LUNA = "gpt-5.6-luna-2026-07-09"


def call(
    call_id: str,
    model: str,
    deployment_type: str,
    input_tokens: int,
    output_tokens: int = 0,
    *,
    tier: str | None = None,
    cached: int = 0,
    writes: int | None = None,
    reasoning: int = 0,
    day: int = 20,
    hour: int = 12,
) -> CallRow:
    return CallRow(
        call_id=call_id, source="test", trace_id=None, span_id=None,
        start_time=datetime(2026, 11, day, hour, 0, tzinfo=UTC), duration_ms=100.0,
        ttft_ms=None, operation="chat", endpoint=None, region="Sweden Central",
        deployment="d", deployment_source="attribute", model=model, request_model="d",
        provider="openai", api_version=None, deployment_type=deployment_type,
        tenant_id=None, end_user=None, service=None, status="ok", http_status=200,
        error_type=None, input_tokens=input_tokens, cached_input_tokens=cached,
        output_tokens=output_tokens, reasoning_tokens=reasoning, finish_reason="stop",
        filter_action="none", response_id=None, service_tier=tier, cache_write_tokens=writes,
    )  # fmt: skip


CALLS = [
    call("data_zone", LUNA, "DataZoneStandard", 10_000, 1_000, tier="default"),
    call("regional", "gpt-4.1", "Standard", 1_000_000, 100_000),
    call("global_batch", "gpt-4o-mini", "GlobalBatch", 10_000, 2_000),
    call("flex", LUNA, "GlobalStandard", 100_000, 10_000, tier="flex", cached=20_000),
    call("priority_kept", LUNA, "GlobalStandard", 100_000, 10_000, tier="priority"),
    # asked for priority, downgraded: the response says default
    replace(
        call("priority_downgraded", LUNA, "GlobalStandard", 100_000, 10_000, tier="default"),
        attributes={"azure.openai.request.service_tier": "priority"},
    ),
    call("priority_no_row", "gpt-4.1", "GlobalStandard", 1_000, 100, tier="priority"),
    call("long_context", LUNA, "GlobalStandard", 250_000, 1_000, tier="auto"),
    call("at_threshold", LUNA, "GlobalStandard", 200_000, 1_000),
    call("cache_writes", LUNA, "GlobalStandard", 50_000, 2_000, cached=10_000, writes=30_000),
    call("writes_no_price", "gpt-4o-mini", "GlobalStandard", 10_000, writes=4_000),
    call("cached_reasoning", "o4-mini", "GlobalStandard", 1_000, 3_000, cached=200,
         reasoning=2_000),
    call("before_change", "gpt-4.1", "GlobalStandard", 1_000_000, 100_000, day=10),
    call("after_change", "gpt-4.1", "GlobalStandard", 1_000_000, 100_000, day=20, hour=13),
]  # fmt: skip

EXPECTED = {
    # the Data Zone row, short context: (10,000 x 1.10 + 1,000 x 8.80) / 1M
    "data_zone": Decimal("0.019800"),
    # the regional row for swedencentral: (1M x 2.20 + 100,000 x 8.80) / 1M
    "regional": Decimal("3.080000"),
    # Global Batch = 0.5 x Global Standard: (10,000 x 0.15 + 2,000 x 0.60) / 1M x 0.5
    "global_batch": Decimal("0.001350"),
    # no flex row: half the default row, (80,000 x 1.00 + 20,000 x 0.10 + 10,000 x 8.00)
    # / 1M x 0.5
    "flex": Decimal("0.081000"),
    # the priority row: (100,000 x 2.00 + 10,000 x 16.00) / 1M
    "priority_kept": Decimal("0.360000"),
    # billed at standard: (100,000 x 1.00 + 10,000 x 8.00) / 1M
    "priority_downgraded": Decimal("0.180000"),
    # 250,000 > 200,000: the long-context row, (250,000 x 2.00 + 1,000 x 12.00) / 1M
    "long_context": Decimal("0.512000"),
    # 200,000 is not above the threshold: short, (200,000 x 1.00 + 1,000 x 8.00) / 1M
    "at_threshold": Decimal("0.208000"),
    # 10,000 uncached x 1.00 + 10,000 cached x 0.10 + 30,000 written x 1.25 + 2,000 x 8.00,
    # / 1M = (10,000 + 1,000 + 37,500 + 16,000) / 1M
    "cache_writes": Decimal("0.064500"),
    # no cache-write price: written tokens bill as input, 10,000 x 0.15 / 1M
    "writes_no_price": Decimal("0.001500"),
    # reasoning inside output: (800 x 1.10 + 200 x 0.275 + 3,000 x 4.40) / 1M
    "cached_reasoning": Decimal("0.014135"),
    # the price in force on 2026-11-10: (1M x 2.40 + 100,000 x 9.60) / 1M
    "before_change": Decimal("3.360000"),
    # the price from 2026-11-15: (1M x 2.00 + 100,000 x 8.00) / 1M
    "after_change": Decimal("2.800000"),
}


@pytest.fixture
def store(tmp_path: Path) -> Store:
    store = Store(tmp_path / "lens.duckdb")
    load_reference_data(
        store, FIXTURES / "billing_modes.csv", DEPLOYMENT_TYPES, FIXTURES / "context_tiers.csv"
    )
    store.write_many([rows_batch(CALLS, [], "test")])
    return store


def costs(store: Store) -> dict[str, tuple[object, ...]]:
    frame = (
        store.cursor()
        .execute(
            "SELECT call_id, priced, payg_cost_usd, unpriced_reason, service_tier, context_tier "
            "FROM call_costs"
        )
        .df()
    )
    return {
        row.call_id: (
            bool(row.priced),
            Decimal(str(row.payg_cost_usd)).quantize(Decimal("0.000001")),
            row.unpriced_reason if isinstance(row.unpriced_reason, str) else None,
            row.service_tier,
            row.context_tier,
        )
        for row in frame.itertuples()
    }


def test_each_billing_mode_costs_what_was_worked_out_by_hand(store: Store) -> None:
    found = costs(store)
    assert {k: v[1] for k, v in found.items() if k in EXPECTED} == EXPECTED
    assert all(found[k][0] for k in EXPECTED)


def test_tiers_are_read_as_the_response_reported_them(store: Store) -> None:
    found = costs(store)
    tiers = {k: (v[3], v[4]) for k, v in found.items()}
    assert tiers["flex"] == ("flex", "short")
    assert tiers["priority_kept"] == ("priority", "short")
    assert tiers["priority_downgraded"] == ("default", "short")
    assert tiers["long_context"] == ("default", "long")  # 'auto' is a request, not an answer
    assert tiers["regional"] == ("default", "short")  # no threshold: short


def test_priority_without_a_priority_price_is_unpriced_not_billed_as_standard(
    store: Store,
) -> None:
    priced, cost, reason, *_ = costs(store)["priority_no_row"]
    assert (priced, cost) == (False, Decimal("0.000000"))
    assert reason == "no priority price for gpt-4.1 (GlobalStandard) on 2026-11-20"


def test_the_call_detail_names_the_price_row_and_its_meters(store: Store) -> None:
    start = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    version = run(store.cursor(), "price_book_in_force")["version"].iloc[0]
    dz = call_cost(store.cursor(), "data_zone", start).iloc[0]
    assert dz["price_row"] == (
        f"{version}: gpt-5.6-luna DataZoneStandard default short context from 2026-01-01"
    )
    assert dz["price_meters"] == "5.6 luna ShortCo Inp Std DZ 1M Tokens"
    writes = call_cost(store.cursor(), "cache_writes", start).iloc[0]
    # 30,000 x 1.25 / 1M, apart from the input cost (10,000 x 1.00 / 1M)
    assert Decimal(str(writes["cache_write_cost_usd"])) == Decimal("0.0375")
    assert Decimal(str(writes["input_cost_usd"])) == Decimal("0.01")
    assert writes["cache_write_tokens"] == 30_000
    flex = call_cost(store.cursor(), "flex", start).iloc[0]
    assert flex["price_row"] == (
        f"{version}: gpt-5.6-luna GlobalStandard default short context from 2026-01-01"
    )
    regional = call_cost(store.cursor(), "regional", start).iloc[0]
    assert regional["price_row"] == (
        f"{version}: gpt-4.1 Standard swedencentral default from 2025-01-01"
    )
    assert pd.isna(regional["price_meters"])  # a book row, not read from Azure's meters


def test_the_hourly_summary_keeps_the_tiers_apart_and_prices_the_same(store: Store) -> None:
    rows = (
        store.cursor()
        .execute(
            "SELECT service_tier, context_tier, sum(requests), sum(cache_write_tokens) "
            "FROM usage_hourly WHERE model = ? GROUP BY ALL ORDER BY ALL",
            [LUNA],
        )
        .fetchall()
    )
    # data_zone, priority_downgraded, at_threshold, cache_writes | flex | long_context |
    # priority_kept
    assert rows == [
        ("default", "long", 1, 0),
        ("default", "short", 4, 30_000),
        ("flex", "short", 1, 0),
        ("priority", "short", 1, 0),
    ]
    start, end = datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC)
    summed = "SELECT sum(payg_cost_usd) FROM costed_usage(?, ?, {per_call})"
    totals = [
        store.cursor().execute(summed.replace("{per_call}", flag), [start, end]).fetchall()[0][0]
        for flag in ("false", "true")
    ]
    # the summary's hours and the calls one by one: the same sum, the hand-worked one
    assert totals[0] == totals[1] == sum(EXPECTED.values())


def test_summary_is_summed_again_when_a_threshold_changes(store: Store, tmp_path: Path) -> None:
    lower = tmp_path / "context_tiers.csv"
    lower.write_text("model,long_above_tokens,source\ngpt-5.6-luna,150000,test\n")
    load_reference_data(store, FIXTURES / "billing_modes.csv", DEPLOYMENT_TYPES, lower)
    found = costs(store)
    # 200,000 > 150,000 now: (200,000 x 2.00 + 1,000 x 12.00) / 1M
    assert found["at_threshold"][1:] == (Decimal("0.412000"), None, "default", "long")
    long_calls = (
        store.cursor()
        .execute("SELECT sum(requests) FROM usage_hourly WHERE context_tier = 'long'")
        .fetchone()
    )
    assert long_calls == (2,)


def test_reconciliation_sees_cache_writes_as_their_own_token_class(store: Store) -> None:
    start, end = datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC)
    lens = run(store.cursor(), "reconcile_lens_costs", start=start, end=end)
    writes = lens[lens["token_class"] == "cache_write"]
    # only cache_writes' model bills them: 30,000 x 1.25 / 1M; writes_no_price's 4,000 are
    # input (gpt-4o-mini has no cache-write price), as Azure bills them
    assert list(writes["model"]) == ["gpt-5.6-luna"]
    assert [Decimal(str(v)) for v in writes["lens_cost_usd"]] == [Decimal("0.0375")]
    mini = lens[(lens["model"] == "gpt-4o-mini") & (lens["deployment_type"] == "GlobalStandard")]
    assert list(mini["token_class"]) == ["input"]
    assert [Decimal(str(v)) for v in mini["lens_cost_usd"]] == [Decimal("0.0015")]
