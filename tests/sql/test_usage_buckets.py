"""A scope's usage summed per chart bucket (6 or 24 whole hours) before it is priced
(usage_source(..., hours), usage_in_scope.sql) gives every sum the hourly groups give:
hours are summed only with hours that price alike.

Six calls on 2026-11-10, read over 40 days (day buckets) and over that day (hours):
  p1 10:10 chat (gpt-4o)          1,000 in, 100 out        2.5 and 10 $/1M: $0.0035
  p2 10:40 chat                   2,000 in (1,000 cached)  1,000 x 2.5 + 1,000 x 1.25: $0.00375
  n1 11:05 mystery (no price)     500 in, 50 out           unpriced
  n2 12:15 mystery                failed, no tokens        its hour has no tokens: not unpriced
  u1 13:30 chat                   answered, tokens unknown unpriced (tokens unknown)
  e1 14:00 chat                   429, no tokens
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from collectors.rows import CallRow
from collectors.store import Store
from queries import costs, overview
from queries.scope import Scope, chart_bucket
from queries.usage import usage_in_scope
from tests.normalizing import rows_batch
from tests.seeding import ledger_holding
from tests.sql.test_call_merge import call

DAY = datetime(2026, 11, 10, tzinfo=UTC)


def on(call_id: str, minutes: int, deployment: str, model: str, **fields: object) -> CallRow:
    return call(
        call_id, "otlp", start_time=DAY + timedelta(minutes=minutes), deployment=deployment,
        deployment_source="attribute", model=model, deployment_type="GlobalStandard",
        tenant_id="contoso", **fields,
    )  # fmt: skip


CALLS = [
    on("p1", 10 * 60 + 10, "chat", "gpt-4o", input_tokens=1000, output_tokens=100),
    on(
        "p2",
        10 * 60 + 40,
        "chat",
        "gpt-4o",
        input_tokens=2000,
        cached_input_tokens=1000,
        output_tokens=0,
    ),
    on("n1", 11 * 60 + 5, "mystery", "gpt-mystery", input_tokens=500, output_tokens=50),
    on("n2", 12 * 60 + 15, "mystery", "gpt-mystery", status="error", http_status=500),
    on("u1", 13 * 60 + 30, "chat", "gpt-4o"),
    on("e1", 14 * 60, "chat", "gpt-4o", status="error", http_status=429),
]
FORTY_DAYS = Scope(DAY - timedelta(days=30), DAY + timedelta(days=10))
ONE_DAY = Scope(DAY, DAY + timedelta(days=1))


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    store = ledger_holding(tmp_path / "lens.duckdb", CALLS, reference_data=True)
    yield store
    store.close()


def test_the_bucket_follows_the_range() -> None:
    assert chart_bucket(DAY, DAY + timedelta(days=2)) == timedelta(hours=1)
    assert chart_bucket(DAY, DAY + timedelta(days=31)) == timedelta(hours=6)
    assert FORTY_DAYS.bucket == timedelta(days=1)


@pytest.mark.parametrize("scope", [FORTY_DAYS, ONE_DAY], ids=["day buckets", "hours"])
def test_totals_by_hand(store: Store, scope: Scope) -> None:
    cur = store.cursor()
    usage = usage_in_scope(cur, scope)
    totals = overview.overview_totals(cur, usage).iloc[0]
    assert (totals["calls"], totals["errors"]) == (6, 2)  # n2, e1
    assert (totals["input_tokens"], totals["output_tokens"]) == (3500, 150)
    assert totals["payg_cost_usd"] == Decimal("0.00725")  # p1 + p2
    # n1's hour (no price) and u1's (tokens unknown); n2's hour holds no tokens, so it is
    # not unpriced, though a day's group of mystery calls would be.
    assert (totals["unpriced_calls"], totals["unknown_token_calls"]) == (2, 1)
    coverage = costs.pricing_coverage(cur, usage).iloc[0]
    assert (coverage["tokens"], coverage["priced_tokens"], coverage["unpriced_tokens"]) == (
        3650, 3100, 550,
    )  # fmt: skip
    assert coverage["unpriced_calls"] == 1  # n1 only
    spend = overview.spend_by_group(cur, usage, "deployment").set_index("deployment")
    assert spend.loc["chat", "payg_cost_usd"] == Decimal("0.00725")
    over_time = overview.usage_over_time(cur, usage, timedelta(days=1), "deployment")
    got = [(r.bucket, r.deployment, r.calls, r.errors, r.tokens) for r in over_time.itertuples()]
    assert got == [(DAY, "chat", 4, 1, 3100), (DAY, "mystery", 2, 1, 550)]


def test_day_buckets_price_fewer_rows(store: Store) -> None:
    cur = store.cursor()
    # Hours 10 (p1, p2), 11, 12, 13 and 14: five groups; by day, one per deployment and
    # kind of group (chat: tokens, tokens unknown, none; mystery: tokens, none).
    assert usage_in_scope(cur, ONE_DAY).num_rows == 5
    assert usage_in_scope(cur, FORTY_DAYS).num_rows == 5
    # Over 40 days, a second day of p1's keys joins its group.
    later = on("p3", 24 * 60 + 10 * 60, "chat", "gpt-4o", input_tokens=10, output_tokens=1)
    store.write_many([rows_batch([later], [], "otlp")])
    rows = usage_in_scope(cur, FORTY_DAYS)
    assert rows.num_rows == 6  # the next day's group
    next_day = [hour for hour in rows.column("hour").to_pylist() if hour > DAY]
    assert next_day == [DAY + timedelta(days=1)]  # a bucket, from UTC midnight
