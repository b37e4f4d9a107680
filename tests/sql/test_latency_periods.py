"""The Deployments page's p50 and p95 over time of sealed chart buckets (latency_periods,
057_deployment_summaries.sql): over a long range, read from the kept buckets they equal those
read from the latency sketch, at every moment: a late call, a filter, a bucket at the
range's edge or not yet sealed, a read-only file.

Five calls through the store, in two 6-hour buckets of 2026-11-10 (P1 = 06:00, P2 = 12:00):
  q1 P1 07:00 contoso  gpt-4o-prod  100 ms
  q2 P1 08:00 fabrikam gpt-4o-prod  200 ms
  q3 P1 09:00 contoso  gpt-4o-prod  300 ms   P1 gpt-4o-prod: 3 calls, p50 200, p95 290
  q4 P2 13:00 contoso  gpt-4o-prod  400 ms   P2 gpt-4o-prod: 1 call, 400
  q5 P2 14:00 contoso  gpt-4o-mini  500 ms   P2 gpt-4o-mini: 1 call, 500
(p95 of 100, 200, 300 as quantile_cont: rank 0.95 x 2 = 1.9, 200 + 0.9 x 100 = 290.) The
sketch's answers are within 1 % of these.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from collectors.rows import CallRow
from collectors.store import Store
from queries import deployments, run
from queries.scope import Scope
from tests.normalizing import rows_batch
from tests.seeding import ledger_holding
from tests.sql.test_call_merge import call

P1 = datetime(2026, 11, 10, 6, 0, tzinfo=UTC)
P2 = P1 + timedelta(hours=6)
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)  # both buckets sealed
LONG = Scope(P1 - timedelta(days=8), P1 + timedelta(days=8))
SIX = timedelta(hours=6)


def timed(call_id: str, at: datetime, tenant: str, deployment: str, ms: float) -> CallRow:
    return call(
        call_id, "otlp", start_time=at, tenant_id=tenant, deployment=deployment,
        deployment_source="attribute", model="gpt-4o", input_tokens=10, output_tokens=5,
        duration_ms=ms,
    )  # fmt: skip


CALLS = [
    timed("q1", P1 + timedelta(hours=1), "contoso", "gpt-4o-prod", 100.0),
    timed("q2", P1 + timedelta(hours=2), "fabrikam", "gpt-4o-prod", 200.0),
    timed("q3", P1 + timedelta(hours=3), "contoso", "gpt-4o-prod", 300.0),
    timed("q4", P2 + timedelta(hours=1), "contoso", "gpt-4o-prod", 400.0),
    timed("q5", P2 + timedelta(hours=2), "contoso", "gpt-4o-mini", 500.0),
]
EXPECTED = [
    (P1, "gpt-4o-prod", 3, 200.0, 290.0),
    (P2, "gpt-4o-mini", 1, 500.0, 500.0),
    (P2, "gpt-4o-prod", 1, 400.0, 400.0),
]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    store = ledger_holding(tmp_path / "lens.duckdb", CALLS)
    yield store
    store.close()


def over_time(cur: duckdb.DuckDBPyConnection, scope: Scope = LONG, now: datetime = NOW) -> list:
    frame = deployments.latency_over_time(cur, scope, SIX, now)
    return [(r.bucket, r.deployment, r.calls, r.p50_ms, r.p95_ms) for r in frame.itertuples()]


def from_sketch(cur: duckdb.DuckDBPyConnection, scope: Scope = LONG) -> list:
    frame = run(cur, "latency_over_time_from_sketches", bucket=SIX, summarised=False,
                sketch_from=scope.start, **scope.params())  # fmt: skip
    return [(r.bucket, r.deployment, r.calls, r.p50_ms, r.p95_ms) for r in frame.itertuples()]


def near(rows: list, expected: list) -> bool:
    """The same buckets and calls, percentiles within the sketch's 1 %."""
    if len(rows) != len(expected):
        return False
    for got, want in zip(rows, expected, strict=True):
        percentiles = zip(got[3:], want[3:], strict=True)
        if got[:3] != want[:3] or not all(g == pytest.approx(w, rel=0.01) for g, w in percentiles):
            return False
    return True


def kept(cur: duckdb.DuckDBPyConnection) -> list[tuple[object, ...]]:
    query = "SELECT hours, period, deployment, calls FROM latency_periods ORDER BY ALL"
    return cur.execute(query).fetchall()


def test_sealed_buckets_are_kept_and_read_back(store: Store) -> None:
    cur = store.cursor()
    truth = from_sketch(cur)
    assert near(truth, EXPECTED)
    assert over_time(cur) == truth
    assert kept(cur) == [
        (6, P1, "gpt-4o-prod", 3),
        (6, P2, "gpt-4o-mini", 1),
        (6, P2, "gpt-4o-prod", 1),
    ]
    assert over_time(cur) == truth  # read from the kept buckets
    # Behind the summary's back (the sketch unchanged): the read shows the kept bucket.
    cur.execute("UPDATE latency_periods SET p95_ms = 999 WHERE period = $p1", {"p1": P1})
    assert over_time(cur)[0] == (P1, "gpt-4o-prod", 3, truth[0][3], 999.0)


def test_a_late_call_in_a_kept_bucket_is_counted(store: Store) -> None:
    cur = store.cursor()
    over_time(cur)
    cur.execute("UPDATE latency_periods SET p95_ms = 999 WHERE period = $p1", {"p1": P1})
    # 100, 200, 300, 1000: p50 250, p95 rank 0.95 x 3 = 2.85, 300 + 0.85 x 700 = 895.
    late = timed("q6", P1 + timedelta(hours=4), "fabrikam", "gpt-4o-prod", 1000.0)
    store.write_many([rows_batch([late], [], "otlp")])
    rows = over_time(cur)
    assert near(rows, [(P1, "gpt-4o-prod", 4, 250.0, 895.0), *EXPECTED[1:]])
    assert rows == from_sketch(cur)
    assert (6, P1, "gpt-4o-prod", 4) in kept(cur)  # kept again


def test_a_scope_with_a_tenant_model_type_or_service_reads_the_sketch(store: Store) -> None:
    cur = store.cursor()
    over_time(cur)
    cur.execute("UPDATE latency_periods SET p95_ms = 999")  # never read below
    contoso = replace(LONG, tenants=("contoso",))
    rows = over_time(cur, contoso)  # q1, q3 in P1: p50 200, p95 100 + 0.95 x 200 = 290
    assert near(rows, [(P1, "gpt-4o-prod", 2, 200.0, 290.0), *EXPECTED[1:]])
    assert rows == from_sketch(cur, contoso)
    for chosen in ({"models": ("gpt-4o",)}, {"deployment_types": ("GlobalStandard",)},
                   {"services": ("",)}):  # fmt: skip
        scope = replace(LONG, **chosen)  # type: ignore[arg-type]
        assert over_time(cur, scope) == from_sketch(cur, scope)
        assert 999.0 not in [row[4] for row in over_time(cur, scope)]
    # A deployment chosen is answered by the kept buckets.
    mini = over_time(cur, replace(LONG, deployments=("gpt-4o-mini",)))
    assert [(row[0], row[1], row[2], row[4]) for row in mini] == [(P2, "gpt-4o-mini", 1, 999.0)]


def test_buckets_at_the_edges_and_not_sealed_are_read_from_the_sketch(store: Store) -> None:
    cur = store.cursor()
    # Two hours after P2 ended: neither bucket ended a day ago, so nothing is kept.
    assert over_time(cur, now=P2 + SIX + timedelta(hours=2)) == from_sketch(cur)
    assert kept(cur) == []
    # From 08:30: P1 holds q3 only and is not of whole hours inside the range: never kept.
    inside = Scope(P1 + timedelta(hours=2, minutes=30), P1 + timedelta(days=16))
    rows = over_time(cur, inside)
    assert near(rows, [(P1, "gpt-4o-prod", 1, 300.0, 300.0), *EXPECTED[1:]])
    assert rows == from_sketch(cur, inside)
    assert kept(cur) == [(6, P2, "gpt-4o-mini", 1), (6, P2, "gpt-4o-prod", 1)]
    assert over_time(cur, inside) == rows  # P2 kept, P1 from the sketch
    # To 13:30, inside P2: P2 holds q4 only and is not of whole hours inside the range.
    cur.execute("DELETE FROM latency_periods")
    before_end = Scope(P1 - timedelta(days=15), P2 + timedelta(hours=1, minutes=30))
    rows = over_time(cur, before_end)
    assert near(rows, [EXPECTED[0], EXPECTED[2]])
    assert rows == from_sketch(cur, before_end)
    assert kept(cur) == [(6, P1, "gpt-4o-prod", 3)]
    assert over_time(cur, before_end) == rows  # P1 kept, P2 from the sketch


def test_a_read_only_file_answers_without_keeping(store: Store, tmp_path: Path) -> None:
    store.close()
    con = duckdb.connect(str(tmp_path / "lens.duckdb"), read_only=True)
    try:
        assert near(over_time(con.cursor()), EXPECTED)
        assert kept(con.cursor()) == []
    finally:
        con.close()
