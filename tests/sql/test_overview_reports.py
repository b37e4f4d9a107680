"""Overview reports on a real DuckDB file seeded from tests/fixtures/seed/calls.csv.

Expected numbers are computed by hand from the CSV (see its README): the seed's latest
call (c06) is placed at 12:30 on 2026-11-20 UTC, as written in the file. Tenants follow the
default rule (the tenant.id attribute): c01, c02 contoso; c03, c04 fabrikam; c05, c06 none.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from queries import overview
from queries.scope import Scope
from queries.usage import usage_in_scope
from tests.seeding import seeded_database

LATEST = datetime(2026, 11, 20, 12, 30, tzinfo=UTC)
DAY = Scope(LATEST - timedelta(days=1), LATEST + timedelta(hours=1))
# Test prices (tests/fixtures/prices): c01 (1000 x 2.50 + 200 x 10.00) = 0.0045;
# c02 (1024 x 2.50 + 1024 cached x 1.25 + 400 x 10.00) = 0.00784; c04 o4-mini on
# DataZoneStandard (500 x 1.10 + 1500 x 4.40) x 1.1 = 0.007865; c05 embedding on Standard
# 300 x 0.02 x 1.1 = 0.0000066; c06 assumed GlobalStandard 150 x 0.15 = 0.0000225.
COST = {"c01": 0.0045, "c02": 0.00784, "c04": 0.007865, "c05": 0.0000066, "c06": 0.0000225}


@pytest.fixture
def cur(tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    con = duckdb.connect(str(seeded_database(tmp_path / "seed.duckdb", LATEST, tenants=True)))
    yield con
    con.close()


def test_totals_for_the_whole_seed(cur: duckdb.DuckDBPyConnection) -> None:
    got = overview.overview_totals(cur, usage_in_scope(cur, DAY)).iloc[0].to_dict()
    assert got["calls"] == 6
    assert got["errors"] == 2  # c03 (429), c06 (400)
    assert got["error_rate"] == pytest.approx(2 / 6)
    assert got["filtered_calls"] == 1  # c06, blocked prompt; c02 is only annotated
    assert got["filtered_rate"] == pytest.approx(1 / 6)
    assert got["input_tokens"] == 1000 + 2048 + 500 + 300 + 150
    assert got["cached_input_tokens"] == 1024
    assert got["output_tokens"] == 200 + 400 + 1500
    assert got["reasoning_tokens"] == 1000
    assert got["tokens"] == 3998 + 2100
    assert got["deployments"] == 4
    assert got["unknown_deployment_calls"] == 0
    assert got["demo_calls"] == 0
    assert float(got["payg_cost_usd"]) == pytest.approx(sum(COST.values()), abs=1e-9)
    assert got["unpriced_calls"] == 0


def test_totals_for_one_tenant(cur: duckdb.DuckDBPyConnection) -> None:
    got = overview.overview_totals(
        cur, usage_in_scope(cur, Scope(DAY.start, DAY.end, tenants=("contoso",)))
    ).iloc[0]
    assert got["calls"] == 2
    assert got["tokens"] == 1200 + 2448
    assert float(got["payg_cost_usd"]) == pytest.approx(COST["c01"] + COST["c02"], abs=1e-9)


def test_deployment_type_filter_uses_the_billed_type(cur: duckdb.DuckDBPyConnection) -> None:
    # c06 says no type and the registry has none: billed, and so filtered, as GlobalStandard.
    scope = Scope(DAY.start, DAY.end, deployment_types=("GlobalStandard",))
    got = overview.overview_totals(cur, usage_in_scope(cur, scope)).iloc[0]
    assert got["calls"] == 4  # c01, c02, c03, c06
    assert float(got["payg_cost_usd"]) == pytest.approx(
        COST["c01"] + COST["c02"] + COST["c06"], abs=1e-9
    )


def test_filters_combine_with_and(cur: duckdb.DuckDBPyConnection) -> None:
    scope = Scope(
        DAY.start,
        DAY.end,
        tenants=("fabrikam", "unassigned"),
        models=("o4-mini-2025-04-16", "text-embedding-3-small"),
        services=("search",),
    )
    got = overview.overview_totals(cur, usage_in_scope(cur, scope)).iloc[0]
    assert got["calls"] == 1  # c04: fabrikam, o4-mini, search (c05 is the indexer's)
    assert float(got["payg_cost_usd"]) == pytest.approx(COST["c04"], abs=1e-9)


def test_period_bounds_are_half_open(cur: duckdb.DuckDBPyConnection) -> None:
    # [10:35, 12:00): c02 at 10:35 is in, c05 at 12:00 is out -> c02, c03, c04.
    start = datetime(2026, 11, 20, 10, 35, tzinfo=UTC)
    row = overview.overview_totals(
        cur, usage_in_scope(cur, Scope(start, datetime(2026, 11, 20, 12, 0, tzinfo=UTC)))
    )
    assert row.iloc[0]["calls"] == 3
    assert row.iloc[0]["input_tokens"] == 2048 + 500  # c03 has no usage


def test_the_previous_period_is_the_same_length_just_before() -> None:
    scope = Scope(LATEST - timedelta(days=7), LATEST, tenants=("contoso",))
    assert scope.previous() == Scope(
        LATEST - timedelta(days=14), LATEST - timedelta(days=7), tenants=("contoso",)
    )


def test_empty_period_gives_zeros_not_nulls(cur: duckdb.DuckDBPyConnection) -> None:
    empty = Scope(LATEST + timedelta(days=1), LATEST + timedelta(days=2))
    got = overview.overview_totals(cur, usage_in_scope(cur, empty)).iloc[0].to_dict()
    assert got == {
        "calls": 0,
        "errors": 0,
        "error_rate": 0,
        "filtered_calls": 0,
        "filtered_rate": 0,
        "input_tokens": 0,
        "cached_input_tokens": 0,
        "output_tokens": 0,
        "reasoning_tokens": 0,
        "tokens": 0,
        "payg_cost_usd": 0,
        "unpriced_calls": 0,
        "deployments": 0,
        "unknown_token_calls": 0,
        "unknown_deployment_calls": 0,
        "demo_calls": 0,
    }


def test_usage_over_time_by_hour_and_deployment(cur: duckdb.DuckDBPyConnection) -> None:
    frame = overview.usage_over_time(
        cur, usage_in_scope(cur, DAY), timedelta(hours=1), "deployment"
    )
    got = [
        (r.bucket.hour, r.deployment, r.calls, r.errors, r.tokens)
        for r in frame.itertuples(index=False)
    ]
    assert got == [
        (10, "gpt-4o-prod", 2, 0, 1200 + 2448),  # c01, c02
        (11, "gpt-4o-prod", 1, 1, 0),  # c03, throttled, no usage
        (11, "o4-mini", 1, 0, 2000),  # c04
        (12, "embed-small", 1, 0, 300),  # c05
        (12, "gpt-4o-mini", 1, 1, 150),  # c06, blocked prompt
    ]


def test_usage_over_time_by_tenant(cur: duckdb.DuckDBPyConnection) -> None:
    frame = overview.usage_over_time(cur, usage_in_scope(cur, DAY), timedelta(days=1), "tenant_id")
    got = [(r.tenant_id, r.calls, r.tokens) for r in frame.itertuples(index=False)]
    assert got == [("contoso", 2, 3648), ("fabrikam", 2, 2000), ("unassigned", 2, 450)]


def test_spend_by_tenant_most_first_with_shares(cur: duckdb.DuckDBPyConnection) -> None:
    frame = overview.spend_by_group(cur, usage_in_scope(cur, DAY), "tenant_id")
    total = sum(COST.values())
    expected = [
        ("contoso", 2, COST["c01"] + COST["c02"]),
        ("fabrikam", 2, COST["c04"]),
        ("unassigned", 2, COST["c05"] + COST["c06"]),
    ]
    assert [r.tenant_id for r in frame.itertuples()] == [name for name, _, _ in expected]
    for row, (_, requests, spend) in zip(frame.itertuples(), expected, strict=True):
        assert row.requests == requests
        assert float(row.payg_cost_usd) == pytest.approx(spend, abs=1e-9)
        assert float(row.share_of_spend) == pytest.approx(spend / total, rel=1e-6)


def test_spend_over_time_per_day_and_deployment(cur: duckdb.DuckDBPyConnection) -> None:
    frame = overview.spend_over_time(cur, usage_in_scope(cur, DAY), "deployment")
    got = {r.deployment: float(r.payg_cost_usd) for r in frame.itertuples()}
    assert got == pytest.approx(
        {
            "gpt-4o-prod": COST["c01"] + COST["c02"],
            "o4-mini": COST["c04"],
            "embed-small": COST["c05"],
            "gpt-4o-mini": COST["c06"],
        },
        abs=1e-9,
    )
    assert {r.day.isoformat() for r in frame.itertuples()} == {"2026-11-20"}


def test_filter_options_list_what_the_range_holds(cur: duckdb.DuckDBPyConnection) -> None:
    options = overview.filter_options(cur, DAY.start, DAY.end)
    assert options["tenant_id"] == ["contoso", "fabrikam", "unassigned"]
    assert options["deployment"] == ["embed-small", "gpt-4o-mini", "gpt-4o-prod", "o4-mini"]
    assert options["deployment_type"] == ["DataZoneStandard", "GlobalStandard", "Standard"]
    assert options["service"] == ["chat-api", "indexer", "search"]
    assert "gpt-4o-2024-11-20" in options["model"]
    assert (
        overview.filter_options(cur, LATEST + timedelta(days=1), LATEST + timedelta(days=2)) == {}
    )
