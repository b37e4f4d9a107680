"""A write prepared beside the writer (its calls summed before the commit) stores what an
unprepared write stores: the same usage summary, a re-sent batch counted once, and
sums made again when the store changed between the two. Sums made on another thread while
the writer inserts (decision 0039) are appended once made; sums that fail or never come are
made by the writer."""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

import pyarrow as pa
import pytest

from collectors.otlp.synthetic import export_requests
from collectors.rows import calls_table
from collectors.store import Batch, Store
from collectors.summaries import ComingSummaries
from queries import audits
from tests.normalizing import normalized_tables
from tests.sql.test_call_merge import call

END = datetime(2026, 11, 20, 6, 0, tzinfo=UTC)
SUMS = {
    "usage_hourly": "SELECT hour, deployment, model, tenant_id, service_tier, context_tier, "
    "sum(requests), sum(errors), sum(input_tokens), sum(output_tokens) "
    "FROM usage_hourly GROUP BY ALL ORDER BY ALL",
}


def batches() -> list[Batch]:
    requests = export_requests(END - timedelta(days=2), END, 400, batch_size=100)
    return [normalized_tables(request) for request in requests]


def sums(store: Store) -> dict[str, list[tuple[object, ...]]]:
    return {table: store.cursor().execute(sql).fetchall() for table, sql in SUMS.items()}


def test_a_prepared_write_sums_what_the_writer_sums(tmp_path: Path) -> None:
    plain, prepared = Store(tmp_path / "plain.duckdb"), Store(tmp_path / "prepared.duckdb")
    for batch in batches():
        plain.write_many([batch])
        prepared.write_many([batch], prepared=prepared.prepare([batch]))
    assert sums(prepared) == sums(plain)
    assert sums(plain)["usage_hourly"]  # something was summed
    ((requests,),) = prepared.cursor().execute("SELECT sum(requests) FROM usage_hourly").fetchall()
    assert requests == 400
    assert audits.usage_hourly_drift(prepared.cursor()).empty
    plain.close()
    prepared.close()


def test_a_prepared_resend_is_counted_once(tmp_path: Path) -> None:
    store = Store(tmp_path / "lens.duckdb")
    first, second = batches()[:2]
    store.write_many([first], prepared=store.prepare([first]))
    resend = store.prepare([first, second])  # summed before the commit finds first stored
    store.write_many([first, second], prepared=resend)
    ((requests,),) = store.cursor().execute("SELECT sum(requests) FROM usage_hourly").fetchall()
    assert requests == 200  # 100 + 100, not 300
    assert audits.usage_hourly_drift(store.cursor()).empty
    store.close()


def test_a_write_prepared_before_the_context_tiers_changed_is_summed_again(
    tmp_path: Path,
) -> None:
    store = Store(tmp_path / "lens.duckdb")
    long_prompt = call(
        "c1", "otlp", start_time=END, deployment="gpt-4o", model="gpt-4o",
        deployment_source="attribute", input_tokens=5_000, output_tokens=10,
    )  # fmt: skip
    batch = Batch(calls_table([long_prompt, replace(long_prompt, call_id="c2")]), None, "otlp")
    prepared = store.prepare([batch])  # no tier known: both calls 'short'
    with store.transaction() as con:  # prompts above 1,000 tokens now bill as long context
        con.execute("INSERT INTO context_tiers VALUES ('gpt-4o', 1000, 'test')")
    store.write_many([batch], prepared=prepared)
    rows = store.cursor().execute(SUMS["usage_hourly"]).fetchall()
    assert [(row[5], row[6]) for row in rows] == [("long", 2)]
    store.close()


def test_sums_made_on_another_thread_while_the_writer_inserts_are_appended(
    tmp_path: Path,
) -> None:
    plain, beside = Store(tmp_path / "plain.duckdb"), Store(tmp_path / "beside.duckdb")
    for batch in batches():
        plain.write_many([batch])
        write, coming = beside.prepare_unsummed([batch])
        # The sums start only after the writer has begun: it waits for them to append.
        summer = threading.Timer(0.2, coming.sum)
        started = time.monotonic()
        summer.start()
        beside.write_many([batch], prepared=write)
        assert time.monotonic() - started >= 0.2  # it waited for these sums
        summer.join()
    assert sums(beside) == sums(plain)
    ((requests,),) = beside.cursor().execute("SELECT sum(requests) FROM usage_hourly").fetchall()
    assert requests == 400
    plain.close()
    beside.close()


def test_sums_that_fail_or_never_come_are_made_by_the_writer(tmp_path: Path) -> None:
    plain, beside = Store(tmp_path / "plain.duckdb"), Store(tmp_path / "beside.duckdb")
    failing, missing = batches()[:2]
    for batch in (failing, missing):
        plain.write_many([batch])
    write, coming = beside.prepare_unsummed([failing])
    broken = ComingSummaries(write.incoming, {"gpt-4o": "not a number"})  # type: ignore[dict-item]
    broken.sum()
    with pytest.raises(pa.ArrowInvalid):  # the sums failed
        broken.result()
    beside.write_many([failing], prepared=replace(write, summaries=broken.result))
    write, coming = beside.prepare_unsummed([missing])  # never summed
    started = time.monotonic()
    beside.write_many([missing], prepared=replace(write, summaries=partial(coming.result, 0.2)))
    assert 0.2 <= time.monotonic() - started < 10
    assert sums(beside) == sums(plain)
    ((requests,),) = beside.cursor().execute("SELECT sum(requests) FROM usage_hourly").fetchall()
    assert requests == 200
    plain.close()
    beside.close()
