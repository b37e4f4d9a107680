"""Retention with a moved clock: calls, verdicts and message content purged; the hourly
summary kept, so chargeback of a purged month is the same CSV, byte for byte."""

from __future__ import annotations

import json
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest

from app.exports import chargeback_csv
from collectors.retention import PurgeTimer, RetentionConfig, horizons
from collectors.rows import CallRow, FilterResultRow
from collectors.store import Store
from collectors.tenants import TenantRule, TenantsConfig, write_tenants
from queries import run
from queries.calls import content_purged
from queries.chargeback import chargeback, chargeback_months
from tests.normalizing import rows_batch
from tests.sql.test_chargeback import CALLS, call
from tests.sql.test_chargeback import store as chargeback_store  # noqa: F401 (a fixture)

# 400 days after the UTC day of 2027-12-06 is 2026-11-01: October 2026 is purged whole, its
# chargeback computed from the hourly summary alone; November's calls are kept.
LATER = datetime(2027, 12, 6, 3, 0, tzinfo=UTC)
RETENTION = RetentionConfig(calls_days=400, content_days=30)
CONTENT = {"gen_ai.prompt.0.content": "hello", "gen_ai.prompt.0.role": "user", "n": 1}


OCTOBER_DURATIONS = (
    "SELECT coalesce(sum(duration_calls), 0) FROM latency_hourly "
    "WHERE hour < TIMESTAMPTZ '2026-11-01 00:00:00+00'"
)


def csv_of(store: Store, month: str) -> str:
    return chargeback_csv(chargeback(store.cursor(), month, now=LATER))


def count(store: Store, sql: str) -> int:
    ((value,),) = store.cursor().execute(sql).fetchall()
    return int(value)


def test_horizons_are_utc_midnights_the_days_before_now() -> None:
    assert horizons(RETENTION, LATER) == (
        datetime(2026, 11, 1, tzinfo=UTC),
        datetime(2027, 11, 6, tzinfo=UTC),
    )


def test_chargeback_of_a_purged_month_is_the_same_csv(
    chargeback_store: Store,  # noqa: F811
) -> None:
    store = chargeback_store
    october, november = csv_of(store, "2026-10"), csv_of(store, "2026-11")
    months_before = chargeback_months(store.cursor(), "2026-11", 12)

    result = store.purge(RETENTION, LATER)

    assert (result.calls_deleted, result.calls_before) == (6, datetime(2026, 11, 1, tzinfo=UTC))
    assert count(store, "SELECT count(*) FROM calls") == 1  # November's call
    assert csv_of(store, "2026-10") == october
    assert csv_of(store, "2026-11") == november
    assert chargeback_months(store.cursor(), "2026-11", 12) == months_before
    assert run(store.cursor(), "usage_hourly_drift").empty  # the audit holds after a purge
    assert run(store.cursor(), "latency_hourly_drift").empty  # and the latency sketch's
    # October's hours were open (their calls not counted in the latency sketch yet): the
    # purge sealed them before deleting their calls, so their durations outlive the calls,
    # as the summary does.
    sketched = count(store, OCTOBER_DURATIONS)
    assert sketched == 6
    path = store.path
    store.close()
    reopened = Store(path)  # the summary is in step: not summed again from the calls left
    try:
        assert csv_of(reopened, "2026-10") == october
        assert count(reopened, OCTOBER_DURATIONS) == sketched
        reopened.rebuild_usage_summary()  # even summed again, the purged hours stay
        reopened.rebuild_latency_sketch()
        assert csv_of(reopened, "2026-10") == october
        assert count(reopened, OCTOBER_DURATIONS) == sketched
        # An October call sent again is not stored: its hour would count twice.
        reopened.write_many([rows_batch([CALLS[0]], [], "test")])
        assert count(reopened, "SELECT count(*) FROM calls") == 1
        assert csv_of(reopened, "2026-10") == october
    finally:
        reopened.close()


def test_verdicts_go_with_their_calls_and_content_goes_before_the_call(tmp_path: Path) -> None:
    store = Store(tmp_path / "lens.duckdb")
    old = call("old", "acme", "mini", "gpt-4o-mini", "GlobalStandard",
               datetime(2026, 10, 31, 23, 0, tzinfo=UTC), 10, 1)  # fmt: skip
    aged = _with_attributes(replace(old, call_id="aged", start_time=at(2027, 11, 5, 9)))
    fresh = _with_attributes(replace(old, call_id="fresh", start_time=at(2027, 11, 6, 1)))
    verdicts = [FilterResultRow(cid, "prompt", 0, "hate", "safe", False, None)
                for cid in ("old", "aged")]  # fmt: skip
    store.write_many([rows_batch([_with_attributes(old), aged, fresh], verdicts, "test")])

    result = store.purge(RETENTION, LATER)

    assert (result.calls_deleted, result.verdicts_deleted, result.contents_removed) == (1, 1, 1)
    assert count(store, "SELECT count(*) FROM filter_results WHERE call_id = 'old'") == 0
    assert count(store, "SELECT count(*) FROM filter_results WHERE call_id = 'aged'") == 1
    attributes = dict(store.cursor().execute("SELECT call_id, attributes FROM calls").fetchall())
    assert json.loads(attributes["aged"]) == {
        "gen_ai.prompt.0.role": "user", "n": 1, "lens.content_purged": True,
    }  # fmt: skip
    assert json.loads(attributes["fresh"]) == CONTENT
    assert content_purged(attributes["aged"]) and not content_purged(attributes["fresh"])
    # A second purge the same day finds nothing more to do.
    again = store.purge(RETENTION, LATER)
    assert (again.calls_deleted, again.verdicts_deleted, again.contents_removed) == (0, 0, 0)
    # A call from before the content horizon written later (a backfill) keeps no content.
    late = _with_attributes(replace(old, call_id="late", start_time=at(2027, 10, 1, 9)))
    store.write_many([rows_batch([late, replace(fresh, call_id="fresh-2")], [], "test")])
    attributes = dict(store.cursor().execute("SELECT call_id, attributes FROM calls").fetchall())
    assert "gen_ai.prompt.0.content" not in json.loads(attributes["late"])
    assert json.loads(attributes["fresh-2"]) == CONTENT
    store.close()


def at(year: int, month: int, day: int, hour: int) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


def _with_attributes(row: CallRow) -> CallRow:
    return replace(row, attributes=dict(CONTENT))


def test_with_an_end_user_rule_chargeback_reads_calls_and_loses_purged_months(
    chargeback_store: Store,  # noqa: F811
) -> None:
    """The summary has no end users: while a tenant rule reads them, reports read calls,
    and a purged month's chargeback is gone with them (as the README says)."""
    store = chargeback_store
    write_tenants(store, TenantsConfig((), (TenantRule("end_user", "u1", "acme"),
                                            TenantRule("attribute", None, None))))  # fmt: skip
    assert "acme" in csv_of(store, "2026-10")
    store.purge(RETENTION, LATER)
    assert "acme" not in csv_of(store, "2026-10")


def test_the_timer_purges_at_start_and_stops(tmp_path: Path) -> None:
    purged: list[datetime] = []

    class Recorder:
        def purge(self, config: RetentionConfig, now: datetime | None = None) -> Any:
            purged.append(now or LATER)
            raise duckdb.IOException("disk full")  # logged, tried again the next day

        def interrupt_purge(self) -> None:
            raise AssertionError("nothing to interrupt")

    timer = PurgeTimer(Recorder(), RETENTION, clock=lambda: LATER)
    timer.start()
    deadline = time.monotonic() + 10
    while not purged:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    timer.stop()
    assert purged == [LATER]


def store_of_calls_with_content(tmp_path: Path) -> Store:
    """A store of 300,000 calls with message content, 30 s apart: a purge of their content
    takes long enough to be stopped."""
    store = Store(tmp_path / "lens.duckdb")
    with store.transaction() as con:
        con.execute(
            "INSERT INTO calls BY NAME SELECT 'c' || i AS call_id, hash('c' || i) AS call_key,"
            " 'test' AS source, TIMESTAMPTZ '2027-01-01' + to_seconds(i * 30) AS start_time,"
            " 'chat' AS operation, 'd' AS deployment, 'attribute' AS deployment_source,"
            " 'ok' AS status, 'none' AS filter_action,"
            ' \'{"gen_ai.prompt.0.content": "hi"}\' AS attributes FROM range(300000) t(i)'
        )
    return store


def test_stopping_interrupts_a_long_purge(tmp_path: Path) -> None:
    """The first purge of a large ledger may take seconds: the server's stop does not wait,
    and the purge is rolled back whole."""
    store = store_of_calls_with_content(tmp_path)
    timer = PurgeTimer(store, RetentionConfig(calls_days=400, content_days=1), clock=lambda: LATER)
    started = time.monotonic()
    timer.start()
    timer.stop(grace_s=0.05)
    assert time.monotonic() - started < 5
    assert count(store, "SELECT count(*) FROM calls") == 300_000
    assert count(store, "SELECT count(*) FROM retention_state WHERE purged_at IS NULL") == 1
    store.close()


def test_a_purge_that_begins_after_the_first_interrupt_is_stopped_all_the_same(
    tmp_path: Path,
) -> None:
    """A stop that comes as the purge thread starts (its statement not begun when the first
    interrupt lands) still rolls the purge back: the interrupts go on until it ends."""
    store = store_of_calls_with_content(tmp_path)

    class LateStart:
        def purge(self, config: RetentionConfig, now: datetime | None = None) -> Any:
            time.sleep(0.3)  # the stop's grace (0.05 s) and its first interrupt pass
            return store.purge(config, now)

        def interrupt_purge(self) -> None:
            store.interrupt_purge()

    timer = PurgeTimer(LateStart(), RetentionConfig(calls_days=400, content_days=1),
                       clock=lambda: LATER)  # fmt: skip
    timer.start()
    timer.stop(grace_s=0.05)
    assert count(store, "SELECT count(*) FROM retention_state WHERE purged_at IS NULL") == 1
    assert count(store, "SELECT count(*) FROM calls WHERE attributes LIKE '%content%'") == 300_000
    store.close()


@pytest.mark.parametrize("days", [0, -1])
def test_retention_of_calls_is_at_least_a_day(days: int, monkeypatch: pytest.MonkeyPatch) -> None:
    from app.config import Settings

    monkeypatch.setenv("LENS_RETENTION_DAYS", str(days))
    with pytest.raises(ValueError, match="lens_retention_days"):
        Settings()
