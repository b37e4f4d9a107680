"""Overview reports on a real DuckDB file seeded from tests/fixtures/seed/calls.csv.

Expected numbers are computed by hand from the CSV (see its README): the seed's latest
call (c06) is placed at 12:30 on 2026-11-20 UTC, as written in the file.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from queries import overview
from tests.seeding import seeded_database

LATEST = datetime(2026, 11, 20, 12, 30, tzinfo=UTC)


@pytest.fixture
def cur(tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    con = duckdb.connect(str(seeded_database(tmp_path / "seed.duckdb", LATEST)))
    yield con
    con.close()


def test_totals_for_the_whole_seed(cur: duckdb.DuckDBPyConnection) -> None:
    row = overview.overview_totals(cur, LATEST - timedelta(days=1), LATEST + timedelta(hours=1))
    got = row.iloc[0].to_dict()
    assert got["calls"] == 6
    assert got["errors"] == 2  # c03 (429), c06 (400)
    assert got["error_rate"] == pytest.approx(2 / 6)
    assert got["input_tokens"] == 1000 + 2048 + 500 + 300 + 150
    assert got["cached_input_tokens"] == 1024
    assert got["output_tokens"] == 200 + 400 + 1500
    assert got["reasoning_tokens"] == 1000
    assert got["tokens"] == 3998 + 2100
    assert got["deployments"] == 4
    assert got["unknown_deployment_calls"] == 0
    assert got["demo_calls"] == 0
    # Test prices (tests/fixtures/prices): c01 (1000 x 2.50 + 200 x 10.00) = 0.0045;
    # c02 (1024 x 2.50 + 1024 cached x 1.25 + 400 x 10.00) = 0.00784; c04 o4-mini on
    # DataZoneStandard (500 x 1.10 + 1500 x 4.40) x 1.1 = 0.007865; c05 embedding on Standard
    # 300 x 0.02 x 1.1 = 0.0000066; c06 assumed GlobalStandard 150 x 0.15 = 0.0000225.
    assert float(got["payg_cost_usd"]) == pytest.approx(0.0202341, abs=1e-9)
    assert got["unpriced_calls"] == 0


def test_period_bounds_are_half_open(cur: duckdb.DuckDBPyConnection) -> None:
    # [10:35, 12:00): c02 at 10:35 is in, c05 at 12:00 is out -> c02, c03, c04.
    start = datetime(2026, 11, 20, 10, 35, tzinfo=UTC)
    row = overview.overview_totals(cur, start, datetime(2026, 11, 20, 12, 0, tzinfo=UTC))
    assert row.iloc[0]["calls"] == 3
    assert row.iloc[0]["input_tokens"] == 2048 + 500  # c03 has no usage


def test_empty_period_gives_zeros_not_nulls(cur: duckdb.DuckDBPyConnection) -> None:
    row = overview.overview_totals(cur, LATEST + timedelta(days=1), LATEST + timedelta(days=2))
    assert row.iloc[0].to_dict() == {
        "calls": 0,
        "errors": 0,
        "error_rate": 0,
        "input_tokens": 0,
        "cached_input_tokens": 0,
        "output_tokens": 0,
        "reasoning_tokens": 0,
        "tokens": 0,
        "payg_cost_usd": 0,
        "unpriced_calls": 0,
        "deployments": 0,
        "unknown_deployment_calls": 0,
        "demo_calls": 0,
    }


def test_calls_over_time_by_hour_and_deployment(cur: duckdb.DuckDBPyConnection) -> None:
    frame = overview.calls_over_time(
        cur, LATEST - timedelta(days=1), LATEST + timedelta(hours=1), timedelta(hours=1)
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
