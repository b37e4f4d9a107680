"""call_costs: prices x tokens, computed by hand, on a real DuckDB file.

Prices are those of tests/fixtures/prices/price_book.csv (USD per 1M tokens); deployment-type
multipliers those shipped in collectors/prices/deployment_types.csv.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from collectors.prices.book import DEPLOYMENT_TYPES, load_reference_data
from collectors.rows import CallRow
from collectors.store import Store
from queries import run
from tests.normalizing import rows_batch

PRICES = Path(__file__).parents[1] / "fixtures" / "prices" / "price_book.csv"


def call(
    call_id: str,
    model: str | None,
    deployment_type: str | None,
    input_tokens: int | None,
    output_tokens: int | None = 0,
    cached: int | None = 0,
    reasoning: int | None = 0,
    day: int = 20,
) -> CallRow:
    return CallRow(
        call_id=call_id, source="test", trace_id=None, span_id=None,
        start_time=datetime(2026, 11, day, 12, 0, tzinfo=UTC), duration_ms=100.0,
        ttft_ms=None, operation="chat", endpoint=None, region="Sweden Central",
        deployment="d", deployment_source="attribute", model=model, request_model="d",
        provider="openai", api_version=None, deployment_type=deployment_type,
        tenant_id=None, end_user=None, service=None, status="ok", http_status=200,
        error_type=None, input_tokens=input_tokens, cached_input_tokens=cached,
        output_tokens=output_tokens, reasoning_tokens=reasoning, finish_reason="stop",
        filter_action="none", response_id=None,
    )  # fmt: skip


CALLS = [
    call("cached", "gpt-4o-2024-11-20", "GlobalStandard", 2000, 500, cached=1024),
    call("reasoning", "o4-mini-2025-04-16", "GlobalStandard", 1000, 3000, reasoning=2000),
    call("batch", "gpt-4o-mini", "GlobalBatch", 10_000, 2000),
    call("before_cut", "gpt-4.1-2025-04-14", "GlobalStandard", 1_000_000, 100_000, day=10),
    call("after_cut", "gpt-4.1-2025-04-14", "GlobalStandard", 1_000_000, 100_000, day=20),
    call("own_type_row", "gpt-4.1", "DataZoneStandard", 1_000_000),
    call("regional", "gpt-4o", "Standard", 1_000_000),
    call("assumed", "gpt-4o-mini-2024-07-18", None, 1_000_000),
    call("ptu", "gpt-4o", "ProvisionedManaged", 1_000_000, 1000),
    call("embedding", "text-embedding-3-small", "Standard", 1_000_000, None),
    call("unknown_model", "gpt-9-preview", "GlobalStandard", 100),
    call("no_model", None, "GlobalStandard", 100, 10),
    call("odd_type", "gpt-4o", "SomethingNew", 100),
    replace(
        call("throttled", None, "GlobalStandard", None, None, None, None),
        status="error",
        http_status=429,
        error_type="RateLimitError",
    ),
    # Answered, but the source (the resource log) gave no token counts.
    call("tokens_unknown", None, "GlobalStandard", None, None, None, None),
]

# (priced, payg_cost_usd, type_assumed, unpriced_reason), each worked out by hand.
EXPECTED = {
    # (976 uncached x 2.50 + 1024 cached x 1.25 + 500 x 10.00) / 1M
    "cached": (True, Decimal("0.008720"), False, None),
    # reasoning tokens are inside output: (1000 x 1.10 + 3000 x 4.40) / 1M
    "reasoning": (True, Decimal("0.014300"), False, None),
    # GlobalBatch = 0.5 x GlobalStandard: (10000 x 0.15 + 2000 x 0.60) / 1M x 0.5
    "batch": (True, Decimal("0.001350"), False, None),
    # gpt-4.1 2.40/9.60 until 2026-11-15, then 2.00/8.00
    "before_cut": (True, Decimal("3.360000"), False, None),
    "after_cut": (True, Decimal("2.800000"), False, None),
    # the book's own DataZoneStandard row wins over GlobalStandard x 1.1
    "own_type_row": (True, Decimal("2.200000"), False, None),
    # Standard has no own row: 2.50 x 1.1
    "regional": (True, Decimal("2.750000"), False, None),
    # no deployment type: billed as GlobalStandard, marked assumed
    "assumed": (True, Decimal("0.150000"), True, None),
    # provisioned: no per-token cost (hours are allocated separately)
    "ptu": (True, Decimal("0"), False, None),
    "embedding": (True, Decimal("0.022000"), False, None),  # 0.02 x 1.1 (Standard)
    "unknown_model": (
        False, Decimal("0"), False, "no price for gpt-9-preview (GlobalStandard) on 2026-11-20"
    ),
    "no_model": (False, Decimal("0"), False, "the call does not say which model served it"),
    "odd_type": (False, Decimal("0"), False, "unknown deployment type SomethingNew"),
    "throttled": (True, Decimal("0"), False, None),  # refused, no tokens: nothing to bill
    # not $0: the cost is unknown
    "tokens_unknown": (
        False, Decimal("0"), False, "tokens unknown: the source gave no token counts"
    ),
}  # fmt: skip


@pytest.fixture
def store(tmp_path: Path) -> Store:
    store = Store(tmp_path / "lens.duckdb")
    load_reference_data(store, PRICES, DEPLOYMENT_TYPES)
    store.write_many([rows_batch(CALLS, [], "test")])
    return store


def costs(store: Store) -> dict[str, tuple[bool, Decimal, bool, str | None]]:
    frame = (
        store.cursor()
        .execute(
            "SELECT call_id, priced, payg_cost_usd, type_assumed, unpriced_reason FROM call_costs"
        )
        .fetchall()
    )
    return {row[0]: (row[1], row[2].quantize(Decimal("0.000001")), row[3], row[4]) for row in frame}


def test_each_call_costs_what_was_worked_out_by_hand(store: Store) -> None:
    assert costs(store) == EXPECTED


def test_unpriced_audit_lists_calls_with_tokens_and_no_price(store: Store) -> None:
    frame = run(store.cursor(), "unpriced_calls")
    assert list(frame["call_id"]) == ["no_model", "odd_type", "unknown_model"]


def test_a_new_price_book_version_reprices_history(store: Store, tmp_path: Path) -> None:
    raised = tmp_path / "price_book.csv"
    old_row, new_row = (
        "gpt-4o,GlobalStandard,,2.50,1.25,10.00",
        "gpt-4o,GlobalStandard,,5.00,2.50,20.00",
    )
    raised.write_text(PRICES.read_text().replace(old_row, new_row))
    load_reference_data(store, raised, DEPLOYMENT_TYPES)
    after = costs(store)
    assert after["cached"][1] == Decimal("0.017440")  # every gpt-4o price doubled
    assert after["regional"][1] == Decimal("5.500000")
    assert after["batch"] == EXPECTED["batch"]  # other models unchanged


def test_loading_the_same_file_twice_adds_no_version(store: Store) -> None:
    version = load_reference_data(store, PRICES, DEPLOYMENT_TYPES)
    rows = store.cursor().execute("SELECT version FROM price_book_versions").fetchall()
    assert rows == [(version,)]
