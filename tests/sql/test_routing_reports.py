"""Routing reports on a real DuckDB file: failover, spillover and downgrade shares, calls
and spend by region, endpoint and backend, failovers beside 429s, and the extra cost of
failover, each worked out by hand.

Prices are those of tests/fixtures/prices/price_book.csv (gpt-4o Global Standard: 2.50
input, 1.25 cached input, 10.00 output, USD per 1M tokens); Standard bills at 1.1x and
provisioned deployments per hour, not per token (collectors/prices/deployment_types.csv).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from collectors.prices.book import DEPLOYMENT_TYPES, load_reference_data
from collectors.rows import CallRow
from collectors.store import Store
from queries import routing
from queries.scope import Scope
from tests.normalizing import rows_batch

PRICES = Path(__file__).parents[1] / "fixtures" / "prices" / "price_book.csv"
AT = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
SCOPE = Scope(AT - timedelta(hours=1), AT + timedelta(hours=1))
SWC, WEU = "aoai-swc.openai.azure.com", "aoai-weu.openai.azure.com"


def call(
    call_id: str,
    endpoint: str | None,
    region: str | None,
    deployment: str,
    deployment_type: str,
    input_tokens: int,
    output_tokens: int,
    **routed: Any,
) -> CallRow:
    return CallRow(
        call_id=call_id, source="test", trace_id=None, span_id=None, start_time=AT,
        duration_ms=100.0, ttft_ms=None, operation="chat", endpoint=endpoint, region=region,
        deployment=deployment, deployment_source="attribute", model="gpt-4o-2024-11-20",
        request_model=deployment, provider="openai", api_version=None,
        deployment_type=deployment_type, tenant_id="contoso", end_user=None, service=None,
        status="ok", http_status=200, error_type=None, input_tokens=input_tokens,
        cached_input_tokens=0, output_tokens=output_tokens, reasoning_tokens=0,
        finish_reason="stop", filter_action="none", response_id=None, **routed,
    )  # fmt: skip


CALLS = [
    # Served where meant: Sweden Central's gpt-4o, (1,000,000 x 2.50 + 100,000 x 10.00) / 1M
    # = 3.50 USD; it asked for Priority and was served at default (a Priority call is priced
    # only by a priority price row, which this price book has none of).
    call("a1", SWC, "Sweden Central", "gpt-4o", "GlobalStandard", 1_000_000, 100_000,
         attempts=1, service_tier_requested="priority", service_tier="default"),
    # Failed over to West Europe's Standard gpt-4o: (200,000 x 2.50 + 20,000 x 10.00) / 1M
    # x 1.1 = 0.77 USD served; at Sweden Central's prices (a1's) 0.70: 0.07 extra. It asked
    # for Priority and was served at default.
    call("f1", WEU, "West Europe", "gpt-4o", "Standard", 200_000, 20_000, attempts=2,
         failover_from=f"https://{SWC}", service_tier_requested="priority",
         service_tier="default"),
    # The provisioned deployment served it: no per-token cost. Spillover asked, not needed.
    call("p1", SWC, "Sweden Central", "gpt-4o-ptu", "ProvisionedManaged", 500_000, 50_000,
         spillover=False),
    # Spilled from the provisioned deployment to a Standard one: (100,000 x 2.50 + 10,000 x
    # 10.00) / 1M x 1.1 = 0.385 USD served, 0 meant (p1's place costs nothing per token).
    call("s1", SWC, "Sweden Central", "gpt-4o-std", "Standard", 100_000, 10_000,
         spillover=True, spillover_from="gpt-4o-ptu"),
    # Failed over from an endpoint that served nothing itself: its prices are unknown.
    # Served: 1,000 x 2.50 / 1M = 0.0025 USD.
    call("f2", "aoai-eus2.openai.azure.com", "East US 2", "gpt-4o", "GlobalStandard", 1000, 0,
         attempts=2, failover_from="https://aoai-gone.openai.azure.com/"),
    # A 429 the caller saw, and a gateway call that names only its backend.
    replace(call("t1", SWC, "Sweden Central", "gpt-4o", "GlobalStandard", 0, 0),
            status="error", http_status=429, error_type="RateLimitError", input_tokens=None,
            output_tokens=None, cached_input_tokens=None, reasoning_tokens=None),
    call("g1", None, None, "gpt-4o", "GlobalStandard", 0, 0, backend="apim-pool-1"),
]  # fmt: skip


@pytest.fixture
def store(tmp_path: Path) -> Store:
    store = Store(tmp_path / "lens.duckdb")
    load_reference_data(store, PRICES, DEPLOYMENT_TYPES)
    store.write_many([rows_batch(CALLS, [], "test")])
    return store


def test_shares_are_over_the_calls_that_can_say_them(store: Store) -> None:
    got = routing.routing_totals(store.cursor(), SCOPE).iloc[0].to_dict()
    assert (got["calls"], got["routed_calls"]) == (7, 6)  # t1 says nothing of its route
    assert (got["failover_known"], got["failed_over"]) == (3, 2)  # a1, f1, f2; f1, f2
    assert got["failover_rate"] == pytest.approx(2 / 3)
    assert (got["spillover_known"], got["spilled"]) == (2, 1)  # p1, s1; s1
    assert got["spillover_share"] == pytest.approx(0.5)
    assert (got["priority_asked"], got["downgraded"]) == (2, 2)  # a1, f1; a1, f1
    assert got["downgrade_share"] == pytest.approx(1.0)


def test_the_extra_cost_of_failover_is_served_minus_meant(store: Store) -> None:
    got = routing.failover_extra_cost(store.cursor(), SCOPE).iloc[0].to_dict()
    assert (got["rerouted_calls"], got["priced_calls"], got["unpriced_calls"]) == (3, 2, 1)
    assert float(got["served_cost_usd"]) == pytest.approx(0.77 + 0.385)
    assert float(got["intended_cost_usd"]) == pytest.approx(0.70)
    assert float(got["extra_cost_usd"]) == pytest.approx(0.07 + 0.385)


def test_calls_and_spend_by_serving_region(store: Store) -> None:
    frame = routing.routing_by_group(store.cursor(), SCOPE, "region")
    got = {
        r.region: (r.calls, r.failed_over, r.spilled, r.throttled, round(float(r.payg_cost_usd), 6))
        for r in frame.itertuples()
    }
    assert list(frame["region"]) == ["Sweden Central", "", "East US 2", "West Europe"]
    assert got == {
        "Sweden Central": (4, 0, 1, 1, 3.885),  # a1 3.50 + p1 0 + s1 0.385 + t1
        "": (1, 0, 0, 0, 0.0),  # g1 names no region
        "East US 2": (1, 1, 0, 0, 0.0025),
        "West Europe": (1, 1, 0, 0, 0.77),
    }


def test_calls_by_backend_and_endpoint(store: Store) -> None:
    backends = routing.routing_by_group(store.cursor(), SCOPE, "backend")
    assert dict(zip(backends["backend"], backends["calls"], strict=True)) == {
        "": 6, "apim-pool-1": 1
    }  # fmt: skip
    endpoints = routing.routing_by_group(store.cursor(), SCOPE, "endpoint")
    assert endpoints.iloc[0]["endpoint"] == SWC and endpoints.iloc[0]["calls"] == 4


def test_failovers_beside_429s_over_time(store: Store) -> None:
    frame = routing.routing_over_time(store.cursor(), SCOPE, timedelta(hours=1))
    (row,) = frame.itertuples()
    assert (row.failovers, row.throttled, row.spilled, row.downgraded) == (2, 1, 1, 2)


def test_another_tenant_sees_none_of_it(store: Store) -> None:
    scope = replace(SCOPE, allowed_tenants=("fabrikam",))
    assert routing.routing_totals(store.cursor(), scope).iloc[0]["calls"] == 0
    assert routing.failover_extra_cost(store.cursor(), scope).iloc[0]["rerouted_calls"] == 0
    assert routing.routing_by_group(store.cursor(), scope, "region").empty
