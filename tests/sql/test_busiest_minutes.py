"""The Deployments page's busiest minutes of sealed hours (057_deployment_summaries.sql): the peak
tokens per minute over a long range read from them equal those read from the calls, at
every moment: a late call, a purge, a filter, an hour not yet sealed, two readers.

Six calls through the store (H1 = 2026-11-10 10:00, H2 = 11:00; tokens = input + output):
  p1 H1 10:05:10 contoso  gpt-4o-prod  100 +  20 = 120
  p2 H1 10:05:40 fabrikam gpt-4o-prod  200 +  30 = 230   minute 10:05: 350
  p3 H1 10:30:00 contoso  gpt-4o-prod  300 +  40 = 340   minute 10:30: 340
  p4 H2 11:10:00 fabrikam gpt-4o-prod  400 + 100 = 500   (H1 690 tokens, H2 500)
  m1 H2 11:20:00 contoso  gpt-4o-mini   50 +  10 =  60
  m2 H2 11:21:00 contoso  gpt-4o-mini   70 +   0 =  70   (H2 130 tokens)
gpt-4o-prod's busiest hour is H1, its busiest minute 10:05 (350); gpt-4o-mini's is H2, 11:21
(70). The range is 16 days (read from the sketches, past 14).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest

from collectors.retention import RetentionConfig
from collectors.rows import CallRow
from collectors.store import Store
from queries import deployments, run
from queries.scope import Scope
from tests.normalizing import rows_batch
from tests.seeding import ledger_holding
from tests.sql.test_call_merge import call

H1 = datetime(2026, 11, 10, 10, 0, tzinfo=UTC)
H2 = H1 + timedelta(hours=1)
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)  # both hours sealed
LONG = Scope(H1 - timedelta(days=8), H1 + timedelta(days=8))


def used(call_id: str, at: datetime, tenant: str, deployment: str, tokens: tuple[int, int]
         ) -> CallRow:  # fmt: skip
    return call(
        call_id, "otlp", start_time=at, tenant_id=tenant, deployment=deployment,
        deployment_source="attribute", model="gpt-4o", input_tokens=tokens[0],
        output_tokens=tokens[1], duration_ms=500.0,
    )  # fmt: skip


CALLS = [
    used("p1", H1 + timedelta(minutes=5, seconds=10), "contoso", "gpt-4o-prod", (100, 20)),
    used("p2", H1 + timedelta(minutes=5, seconds=40), "fabrikam", "gpt-4o-prod", (200, 30)),
    used("p3", H1 + timedelta(minutes=30), "contoso", "gpt-4o-prod", (300, 40)),
    used("p4", H2 + timedelta(minutes=10), "fabrikam", "gpt-4o-prod", (400, 100)),
    used("m1", H2 + timedelta(minutes=20), "contoso", "gpt-4o-mini", (50, 10)),
    used("m2", H2 + timedelta(minutes=21), "contoso", "gpt-4o-mini", (70, 0)),
]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    store = ledger_holding(tmp_path / "lens.duckdb", CALLS)
    yield store
    store.close()


def peak_of(row: Any) -> int | None:
    return None if pd.isna(row.peak_tpm) else int(row.peak_tpm)


def peaks(cur: duckdb.DuckDBPyConnection, scope: Scope = LONG, now: datetime = NOW) -> dict:
    frame = deployments.deployment_stats(cur, scope, now)
    return {row.deployment: peak_of(row) for row in frame.itertuples()}


def from_calls(cur: duckdb.DuckDBPyConnection, scope: Scope = LONG) -> dict:
    frame = run(cur, "deployment_stats_from_sketches", summarised=False, calls_from=scope.start,
                **scope.params())  # fmt: skip
    return {row.deployment: peak_of(row) for row in frame.itertuples()}


def kept(cur: duckdb.DuckDBPyConnection) -> list[tuple[object, ...]]:
    query = (
        "SELECT hour, deployment, requests, tokens, peak_tokens FROM busiest_minutes ORDER BY ALL"
    )
    return cur.execute(query).fetchall()


PEAKS = {"gpt-4o-prod": 350, "gpt-4o-mini": 70}


def test_the_busiest_minutes_of_sealed_hours_are_kept_and_read_back(store: Store) -> None:
    cur = store.cursor()
    assert from_calls(cur) == PEAKS
    assert peaks(cur) == PEAKS
    assert kept(cur) == [(H1, "gpt-4o-prod", 3, 690, 350), (H2, "gpt-4o-mini", 2, 130, 70)]
    # Behind the summary's back (its usage unchanged): the read shows the kept minute.
    cur.execute("UPDATE busiest_minutes SET peak_tokens = 999 WHERE deployment = 'gpt-4o-prod'")
    assert peaks(cur) == {"gpt-4o-prod": 999, "gpt-4o-mini": 70}


def test_a_late_call_in_a_kept_hour_is_counted(store: Store) -> None:
    cur = store.cursor()
    assert peaks(cur) == PEAKS
    cur.execute("UPDATE busiest_minutes SET peak_tokens = 999 WHERE deployment = 'gpt-4o-prod'")
    # 10:30 becomes the busiest minute: 340 + 25 = 365 (H1 now 715 tokens, 4 calls).
    late = used("p5", H1 + timedelta(minutes=30, seconds=30), "contoso", "gpt-4o-prod", (25, 0))
    store.write_many([rows_batch([late], [], "otlp")])
    assert peaks(cur) == {"gpt-4o-prod": 365, "gpt-4o-mini": 70}
    assert kept(cur)[0] == (H1, "gpt-4o-prod", 4, 715, 365)  # kept again


def test_a_late_call_that_makes_another_hour_the_busiest(store: Store) -> None:
    cur = store.cursor()
    assert peaks(cur) == PEAKS
    # H2 of gpt-4o-prod: 500 + 300 = 800 tokens > H1's 690; its minutes 11:10 (500), 11:40.
    late = used("p6", H2 + timedelta(minutes=40), "fabrikam", "gpt-4o-prod", (250, 50))
    store.write_many([rows_batch([late], [], "otlp")])
    assert peaks(cur) == {"gpt-4o-prod": 500, "gpt-4o-mini": 70}
    assert (H2, "gpt-4o-prod", 2, 800, 500) in kept(cur)


def test_a_scope_with_a_tenant_model_type_or_service_reads_the_calls(store: Store) -> None:
    cur = store.cursor()
    assert peaks(cur) == PEAKS
    cur.execute("UPDATE busiest_minutes SET peak_tokens = 999")  # never read below
    # contoso: gpt-4o-prod H1 120 + 340 = 460 (H2 none), minutes 10:05 120, 10:30 340.
    contoso = {"gpt-4o-prod": 340, "gpt-4o-mini": 70}
    assert peaks(cur, replace(LONG, tenants=("contoso",))) == contoso
    # fabrikam: gpt-4o-prod H1 230, H2 500: its busiest hour is H2, minute 11:10.
    assert peaks(cur, replace(LONG, tenants=("fabrikam",))) == {"gpt-4o-prod": 500}
    # Someone who may see contoso only, choosing no tenant: as contoso chosen.
    limited = replace(LONG, allowed_tenants=("contoso",))
    assert peaks(cur, limited) == contoso
    for chosen in ({"models": ("gpt-4o",)}, {"deployment_types": ("GlobalStandard",)},
                   {"services": ("",)}):  # fmt: skip
        scope = replace(LONG, **chosen)  # type: ignore[arg-type]
        assert peaks(cur, scope) == PEAKS == from_calls(cur, scope)
    # A deployment chosen is answered by the kept rows.
    assert peaks(cur, replace(LONG, deployments=("gpt-4o-mini",))) == {"gpt-4o-mini": 999}


def test_hours_not_sealed_and_partial_hours_are_read_from_the_calls(store: Store) -> None:
    cur = store.cursor()
    # Two hours after H2: neither hour ended a day ago, so nothing is kept.
    assert peaks(cur, now=H2 + timedelta(hours=2)) == PEAKS
    assert kept(cur) == []
    # The range starts at 10:05:30, inside H1: p1 is out, H1 has 230 + 340 = 570 tokens in
    # range, its minute 10:05 230 (p2 only), 10:30 340. H1 is not whole: never kept.
    inside = Scope(H1 + timedelta(minutes=5, seconds=30), H1 + timedelta(days=16))
    assert peaks(cur, inside) == {"gpt-4o-prod": 340, "gpt-4o-mini": 70} == from_calls(cur, inside)
    assert kept(cur) == [(H2, "gpt-4o-mini", 2, 130, 70)]


def test_purged_hours_are_not_read_from_the_summary(store: Store) -> None:
    cur = store.cursor()
    assert peaks(cur) == PEAKS
    # A call the next day (2026-11-11 10:00, gpt-4o-prod, 5 + 5 tokens), then the calls
    # before 2026-11-11 00:00 are deleted (H1 and H2). The usage summary keeps those hours,
    # but their minutes are gone: gpt-4o-prod's busiest hour with calls left is the next
    # day's (10 tokens); gpt-4o-mini has none and is listed without a peak.
    next_day = used("p7", H1 + timedelta(days=1), "contoso", "gpt-4o-prod", (5, 5))
    store.write_many([rows_batch([next_day], [], "otlp")])
    store.purge(RetentionConfig(calls_days=9, content_days=9), now=NOW)
    assert from_calls(cur) == {"gpt-4o-prod": 10, "gpt-4o-mini": None}
    assert peaks(cur) == {"gpt-4o-prod": 10, "gpt-4o-mini": None}
    stats = deployments.deployment_stats(cur, LONG, NOW).set_index("deployment")
    assert stats.loc["gpt-4o-mini", "calls"] == 2  # its counts from the summary stand


def test_a_reader_that_cannot_keep_the_hours_still_answers(store: Store) -> None:
    cur = store.cursor()
    other = cur.cursor()  # another reader, keeping the same hours at the same time
    other.begin()
    deployments.keep_busiest_minutes(other, [H1, H2], ["gpt-4o-prod", "gpt-4o-mini"])
    assert peaks(cur) == PEAKS  # kept them first
    with pytest.raises(duckdb.TransactionException):
        other.commit()  # never kept twice
    assert len(kept(cur)) == 2
    assert peaks(cur) == PEAKS
    other.close()


def test_a_read_only_file_answers_without_keeping(store: Store, tmp_path: Path) -> None:
    store.close()
    con = duckdb.connect(str(tmp_path / "lens.duckdb"), read_only=True)
    try:
        assert peaks(con.cursor()) == PEAKS
        assert kept(con.cursor()) == []
    finally:
        con.close()


def test_a_sampled_call_counts_as_the_calls_it_stands_for(store: Store) -> None:
    """A sampled source's call with sample_weight 4 at 11:21:30 (10 + 5 tokens): minute 11:21
    of gpt-4o-mini holds 70 + 4 x 15 = 130 tokens, at 7 days (the exact report) as at 16
    (from the calls, then kept); unweighted it would be 85."""
    cur = store.cursor()
    sampled = used("m3", H2 + timedelta(minutes=21, seconds=30), "contoso", "gpt-4o-mini", (10, 5))
    store.write_many([rows_batch([replace(sampled, sample_weight=4.0)], [], "otlp")])
    week = Scope(H1 - timedelta(days=3), H1 + timedelta(days=4))
    exact = deployments.deployment_stats(cur, week, NOW)
    assert dict(zip(exact["deployment"], exact["peak_tpm"], strict=True))["gpt-4o-mini"] == 130
    weighted = {"gpt-4o-prod": 350, "gpt-4o-mini": 130}
    assert from_calls(cur) == weighted
    assert peaks(cur) == weighted
    assert (H2, "gpt-4o-mini", 6, 190, 130) in kept(cur)
