"""The Content safety page's verdict summary of sealed hours (056_safety_hourly.sql): the
heat map and the verdicts by category read from it equal those read from the calls, at
every moment: a late call, a late verdict, a purge, a filter, an hour not yet sealed.

Four calls through the store, around midnight of 2026-11-10 (hours H1 = 23:00, H2 = 00:00):
  a1 23:10 contoso  gpt-4o-prod  blocked_prompt  prompt hate medium (filtered),
                                                 jailbreak (detected, filtered)
  a2 23:40 fabrikam gpt-4o-prod  annotated       prompt hate low, completion violence low
  a3 00:05 contoso  gpt-4o-mini  annotated       prompt hate low twice (prompts 0 and 1)
  a4 00:30 contoso  gpt-4o-mini  none            prompt hate safe (not an incident, left out)
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from collectors.retention import RetentionConfig
from collectors.rows import CallRow, FilterResultRow
from collectors.store import Store
from queries import safety
from queries.scope import Scope
from tests.normalizing import rows_batch
from tests.seeding import ledger_holding
from tests.sql.test_call_merge import call

H1 = datetime(2026, 11, 10, 23, 0, tzinfo=UTC)
H2 = H1 + timedelta(hours=1)
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)  # both hours sealed
BOTH = Scope(H1, H2 + timedelta(hours=1))


def flagged(call_id: str, at: datetime, tenant: str, deployment: str, action: str) -> CallRow:
    return call(
        call_id, "otlp", start_time=at, tenant_id=tenant, deployment=deployment,
        deployment_source="attribute", model="gpt-4o", input_tokens=10, output_tokens=5,
        filter_action=action,
    )  # fmt: skip


def verdict(call_id: str, target: str, category: str, severity: str | None, filtered: bool,
            detected: bool | None = None, idx: int = 0) -> FilterResultRow:  # fmt: skip
    return FilterResultRow(call_id, target, idx, category, severity, filtered, detected)


CALLS = [
    flagged("a1", H1 + timedelta(minutes=10), "contoso", "gpt-4o-prod", "blocked_prompt"),
    flagged("a2", H1 + timedelta(minutes=40), "fabrikam", "gpt-4o-prod", "annotated"),
    flagged("a3", H2 + timedelta(minutes=5), "contoso", "gpt-4o-mini", "annotated"),
    flagged("a4", H2 + timedelta(minutes=30), "contoso", "gpt-4o-mini", "none"),
]
VERDICTS = [
    verdict("a1", "prompt", "hate", "medium", True),
    verdict("a1", "prompt", "jailbreak", None, True, True),
    verdict("a2", "prompt", "hate", "low", False),
    verdict("a2", "completion", "violence", "low", False),
    verdict("a3", "prompt", "hate", "low", False),
    verdict("a3", "prompt", "hate", "low", False, idx=1),
    verdict("a4", "prompt", "hate", "safe", False),
]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    store = ledger_holding(tmp_path / "lens.duckdb", CALLS, VERDICTS, reference_data=True)
    yield store
    store.close()


def heatmap(cur: duckdb.DuckDBPyConnection, scope: Scope = BOTH, now: datetime = NOW) -> list:
    frame = safety.safety_heatmap(cur, scope, now)
    return [(r.target, r.category, r.severity, r.calls, r.filtered) for r in frame.itertuples()]


def by_category(cur: duckdb.DuckDBPyConnection, scope: Scope = BOTH, now: datetime = NOW) -> list:
    frame = safety.safety_by_category(cur, scope, (), now)
    return [(r.category, r.intervention_point, r.calls, r.detected, r.filtered,
             r.blocked_or_filtered_calls) for r in frame.itertuples()]  # fmt: skip


def kept_hours(cur: duckdb.DuckDBPyConnection) -> list[datetime]:
    rows = cur.execute("SELECT hour FROM safety_hours ORDER BY hour").fetchall()
    return [row[0] for row in rows]


HEATMAP = [
    ("completion", "violence", "low", 1, 0),  # a2
    ("prompt", "hate", "low", 2, 0),  # a2, a3 (a3's two prompts count once)
    ("prompt", "hate", "medium", 1, 1),  # a1
    ("prompt", "jailbreak", "detected", 1, 1),  # a1: no severity
]
BY_CATEGORY = [
    ("hate", "user_input", 3, 3, 1, 1),  # a1 (blocked), a2, a3
    ("jailbreak", "user_input", 1, 1, 1, 1),  # a1
    ("violence", "output", 1, 1, 0, 0),  # a2's answer
]


def test_sealed_hours_are_kept_and_read_back_the_same(store: Store) -> None:
    cur = store.cursor()
    assert heatmap(cur) == HEATMAP
    assert kept_hours(cur) == [H1, H2]
    kept = cur.execute(
        "SELECT hour, tenant_id, target, category, severity, calls, filtered "
        "FROM safety_heatmap_hourly ORDER BY ALL"
    ).fetchall()
    assert kept == [
        (H1, "contoso", "prompt", "hate", "medium", 1, 1),
        (H1, "contoso", "prompt", "jailbreak", "detected", 1, 1),
        (H1, "fabrikam", "completion", "violence", "low", 1, 0),
        (H1, "fabrikam", "prompt", "hate", "low", 1, 0),
        (H2, "contoso", "prompt", "hate", "low", 1, 0),
    ]
    assert by_category(cur) == BY_CATEGORY  # kept by the heat map's read already
    assert heatmap(cur) == HEATMAP


def test_kept_hours_are_read_from_the_summary(store: Store) -> None:
    cur = store.cursor()
    heatmap(cur)
    # Behind the summary's back (its fingerprints unchanged): the read shows the kept cell.
    cur.execute("UPDATE safety_heatmap_hourly SET calls = 7 WHERE hour = $h2", {"h2": H2})
    assert ("prompt", "hate", "low", 8, 0) in heatmap(cur)  # a2 from H1, 7 from H2


def test_a_late_call_in_a_kept_hour_is_counted(store: Store) -> None:
    cur = store.cursor()
    assert heatmap(cur) == HEATMAP
    late = flagged("a5", H1 + timedelta(minutes=50), "contoso", "gpt-4o-prod", "blocked_prompt")
    store.write_many([rows_batch([late], [verdict("a5", "prompt", "hate", "medium", True)])])
    assert heatmap(cur) == [
        ("completion", "violence", "low", 1, 0),
        ("prompt", "hate", "low", 2, 0),
        ("prompt", "hate", "medium", 2, 2),  # a1, a5
        ("prompt", "jailbreak", "detected", 1, 1),
    ]
    assert by_category(cur)[0] == ("hate", "user_input", 4, 4, 2, 2)
    assert kept_hours(cur) == [H1, H2]  # H1 summed again


def test_a_late_verdict_is_counted_in_its_calls_hour(store: Store) -> None:
    cur = store.cursor()
    assert heatmap(cur) == HEATMAP
    # A verdict of a2 (H1) written later, with the time of another report of the call
    # 40 minutes after it: in H2.
    cur.execute(
        "INSERT INTO filter_results (call_id, target, idx, category, severity, filtered, "
        "detected, start_time, intervention_point) "
        "VALUES ('a2', 'completion', 0, 'sexual', 'high', true, NULL, $at, 'output')",
        {"at": H1 + timedelta(minutes=80)},
    )
    assert ("completion", "sexual", "high", 1, 1) in heatmap(cur)
    assert ("sexual", "output", 1, 1, 1, 0) in by_category(cur)  # a2 was annotated only


def test_purged_calls_leave_the_kept_hours(store: Store) -> None:
    cur = store.cursor()
    assert heatmap(cur) == HEATMAP
    # Calls before 2026-11-11 00:00 (H1's) are deleted with their verdicts; the hourly
    # usage summary keeps H1.
    store.purge(RetentionConfig(calls_days=9, content_days=9), now=NOW)
    assert heatmap(cur) == [("prompt", "hate", "low", 1, 0)]  # a3
    assert by_category(cur) == [("hate", "user_input", 1, 1, 0, 0)]
    # H1 was summed again (its verdicts went): it is kept with no cells.
    assert kept_hours(cur) == [H1, H2]
    heat = "SELECT DISTINCT hour FROM safety_heatmap_hourly"
    assert cur.execute(heat).fetchall() == [(H2,)]
    categories = "SELECT DISTINCT hour FROM safety_category_hourly"
    assert cur.execute(categories).fetchall() == [(H2,)]


def test_filters_apply_to_the_kept_cells(store: Store) -> None:
    cur = store.cursor()
    heatmap(cur)
    contoso = replace(BOTH, tenants=("contoso",))
    assert heatmap(cur, contoso) == [
        ("prompt", "hate", "low", 1, 0),  # a3
        ("prompt", "hate", "medium", 1, 1),  # a1
        ("prompt", "jailbreak", "detected", 1, 1),  # a1
    ]
    mini = replace(BOTH, deployments=("gpt-4o-mini",))
    assert heatmap(cur, mini) == [("prompt", "hate", "low", 1, 0)]  # a3
    assert by_category(cur, replace(BOTH, services=("chat-api",))) == []  # no call has one


def test_partial_hours_and_hours_not_sealed_are_read_from_the_calls(store: Store) -> None:
    cur = store.cursor()
    edges = Scope(H1 + timedelta(minutes=30), H2 + timedelta(minutes=15))  # a2, a3
    assert heatmap(cur, edges) == [
        ("completion", "violence", "low", 1, 0),
        ("prompt", "hate", "low", 2, 0),
    ]
    assert kept_hours(cur) == []  # no whole hour in the range
    # Two hours after H2: neither hour ended a day ago, so nothing is kept.
    assert heatmap(cur, BOTH, now=H2 + timedelta(hours=2)) == HEATMAP
    assert kept_hours(cur) == []


def test_a_reader_that_cannot_keep_the_hours_still_answers(store: Store) -> None:
    cur = store.cursor()
    other = cur.cursor()  # another reader, summing the same hours at the same time
    other.begin()
    safety.summarise_safety_hours(other, [H1, H2])
    assert heatmap(cur) == HEATMAP  # kept them first
    assert by_category(cur) == BY_CATEGORY
    with pytest.raises(duckdb.TransactionException, match="PRIMARY KEY"):
        other.commit()  # never kept twice
    assert kept_hours(cur) == [H1, H2]
    assert heatmap(cur) == HEATMAP
    other.close()
