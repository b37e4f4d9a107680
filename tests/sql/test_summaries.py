"""The usage sums a commit appends (collectors/summaries.py, Arrow) are the rows the
summary macro gives for the same calls (hourly_usage_of: what rebuilds and days summed
again read), on calls chosen for every branch of that macro; a few of the sums by hand;
and the latency sketch of sealed hours (hourly_latency_of, counted when an hour is sealed)
by hand."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa

from collectors.rows import calls_table
from collectors.store import Batch, Store, joined_writes
from collectors.summaries import summaries_of
from queries import audits, registered
from tests.sql.test_call_merge import call

AT = datetime(2026, 11, 20, 6, 30, tzinfo=UTC)
LONG_ABOVE = {"gpt-4o": 1_000}


def edge_calls() -> pa.Table:
    base = call(
        "c0", "otlp", start_time=AT, deployment="gpt-4o", deployment_source="attribute",
        model="gpt-4o-2024-08-06", tenant_id="contoso", input_tokens=100, output_tokens=50,
        duration_ms=1_000.0, ttft_ms=200.0, http_status=200,
    )  # fmt: skip
    demo = {"resource": {"lens.demo": True}}
    # fmt: off
    calls = [
        base,
        replace(base, call_id="c1", sample_weight=2.5, input_tokens=5_000),  # 3 calls, long
        replace(base, call_id="c2", sample_weight=0.4, model="GPT-4o"),  # 1 call
        replace(base, call_id="c3", status="error", http_status=429, input_tokens=None,
                output_tokens=None, duration_ms=0.0, ttft_ms=None),
        replace(base, call_id="c4", input_tokens=None, output_tokens=None),  # unknown tokens
        replace(base, call_id="c5", deployment="unknown", deployment_source="unknown",
                model=None, tenant_id=None, duration_ms=-3.0, ttft_ms=float("inf")),
        replace(base, call_id="c6", attributes=demo, sample_weight=2.0),
        replace(base, call_id="c7", attributes={"azure.openai.simulated": "true"}),
        replace(base, call_id="c8", attributes={"lens.demo": True}),  # not the resource's
        replace(base, call_id="c9", attributes={"resource": {"lens.demo": False}}),
        replace(base, call_id="c10", filter_action="blocked_prompt", end_user="u1",
                service_tier="Priority", cache_write_tokens=7),
        replace(base, call_id="c11", filter_action="none", end_user="u2", service_tier="auto",
                start_time=AT + timedelta(hours=1), output_tokens=0),
        replace(base, call_id="c12", ttft_ms=2_000.0, start_time=AT + timedelta(days=1)),
        replace(base, call_id="c13", duration_ms=None, ttft_ms=None),
        replace(base, call_id="c14", model="gpt-4o-mini", input_tokens=5_000),  # no tier
    ]
    # fmt: on
    return calls_table(calls)


def rows(table: pa.Table, columns: list[str]) -> list[tuple[object, ...]]:
    return sorted(tuple(row[c] for c in columns) for row in table.to_pylist())


def macro_usage(tmp_path: Path, calls: pa.Table) -> pa.Table:
    store = Store(tmp_path / "lens.duckdb")
    cur = store.cursor()
    with store.transaction() as con:
        con.execute("INSERT INTO context_tiers VALUES ('gpt-4o', 1000, 'test')")
    with registered(cur, "summed_calls", calls):
        usage = cur.sql("SELECT * FROM hourly_usage_of('summed_calls')").to_arrow_table()
    store.close()
    return usage


def test_the_sums_a_commit_appends_are_the_macros_sums(tmp_path: Path) -> None:
    calls = edge_calls()
    expected = macro_usage(tmp_path, calls)
    summed = summaries_of(calls, LONG_ABOVE).usage
    assert expected.num_rows > 3
    assert rows(summed, expected.column_names) == rows(expected, expected.column_names)


def test_the_sums_by_hand() -> None:
    usage = summaries_of(edge_calls(), LONG_ABOVE).usage.to_pylist()

    def total(column: str, **keys: object) -> int:
        kept = [r for r in usage if all(r[k] == v for k, v in keys.items())]
        return sum(int(r[column]) for r in kept)

    # 15 calls; c1 counts 3 (2.5 rounds up), c6 counts 2, c2 counts 1 (0.4 is at least 1).
    assert total("requests") == 18
    assert total("synthetic") == 3  # c6 (2) and c7; not c8 (lens.demo outside the resource)
    assert total("requests", context_tier="long") == 3  # c1 only: gpt-4o-mini has no tier
    assert total("throttled") == 1 and total("errors") == 1
    assert total("unknown_tokens") == 1  # c4; c3 failed
    assert total("unknown_deployment") == 1
    assert total("requests", incident_end_user="u1", service_tier="priority") == 1
    assert total("cache_write_tokens") == 7
    assert total("input_tokens") == 100 * 10 + 5_000 * 3 + 5_000 + 100 * 2  # c6 twice


def test_the_sketch_of_sealed_hours_by_hand(tmp_path: Path) -> None:
    store = Store(tmp_path / "lens.duckdb")
    store.write(edge_calls(), source="otlp")
    hour = AT.replace(minute=0)  # c11 an hour later, c12 a day later
    assert store.seal_latency_hours() == [hour, hour + timedelta(hours=1), hour + timedelta(days=1)]
    hours = store.cursor().sql("SELECT * FROM latency_hourly").to_arrow_table().to_pylist()
    # c5's duration -3 and c3's 0 are in the zero bucket; c5's infinite ttft is not counted.
    assert sum(r["duration_calls"] for r in hours if r["bucket"] == -32768) == 2
    assert sum(r["duration_calls"] for r in hours) == 14  # 15 less c13
    assert sum(r["ttft_calls"] for r in hours) == 12  # 15 less c3, c5 and c13
    # Speed: not c3, c4 (no tokens), c5 (ttft above duration), c11 (0 tokens), c12 (ttft
    # above duration), c13 (no duration).
    assert sum(r["speed_calls"] for r in hours) == 9
    ((daily,),) = store.cursor().execute("SELECT sum(ttft_calls) FROM latency_daily").fetchall()
    assert daily == 12
    store.close()


def test_a_commit_of_these_calls_keeps_the_summary_equal_to_the_ledger(tmp_path: Path) -> None:
    store = Store(tmp_path / "lens.duckdb")
    calls = edge_calls()  # two requests in one group: c6 in the first, c7 in the second
    group = [Batch(calls.slice(0, 7), None, "otlp"), Batch(calls.slice(7), None, "otlp")]
    store.write_many(group, prepared=store.prepare(group))
    assert audits.usage_hourly_drift(store.cursor()).empty
    store.seal_latency_hours()
    assert audits.latency_hourly_drift(store.cursor()).empty
    ((synthetic,),) = store.cursor().execute("SELECT sum(synthetic) FROM usage_hourly").fetchall()
    assert synthetic == 3
    store.close()


def test_groups_prepared_apart_and_committed_together_keep_the_summary_equal_to_the_ledger(
    tmp_path: Path,
) -> None:
    store = Store(tmp_path / "lens.duckdb")
    calls = edge_calls()  # c6 in the first group, c7 in the second
    first, second = [Batch(calls.slice(0, 7), None, "otlp")], [Batch(calls.slice(7), None, "otlp")]
    joined = joined_writes([store.prepare(first), store.prepare(second)])
    assert joined is not None and joined.incoming.num_rows == calls.num_rows
    store.write_many(first + second, prepared=joined)
    assert audits.usage_hourly_drift(store.cursor()).empty
    store.seal_latency_hours()
    assert audits.latency_hourly_drift(store.cursor()).empty
    ((synthetic, requests),) = (
        store.cursor().execute("SELECT sum(synthetic), sum(requests) FROM usage_hourly").fetchall()
    )
    assert (synthetic, requests) == (3, 18)  # as summed by hand above
    store.close()


def test_groups_are_not_joined_when_one_was_not_prepared_or_the_store_changed_between(
    tmp_path: Path,
) -> None:
    store = Store(tmp_path / "lens.duckdb")
    calls = edge_calls()
    first, second = [Batch(calls.slice(0, 7), None, "otlp")], [Batch(calls.slice(7), None, "otlp")]
    before = store.prepare(first)
    assert joined_writes([before, None]) is None
    with store.transaction():  # another write ends: the context tiers may have changed
        pass
    assert joined_writes([before, store.prepare(second)]) is None
    store.close()


def _synthetic_calls(usage: pa.Table) -> int:
    return sum(usage["synthetic"].to_pylist())


def test_a_demo_call_is_found_in_any_slice_of_a_group_or_any_table_of_it() -> None:
    base = call(
        "c0", "otlp", start_time=AT, deployment="gpt-4o", deployment_source="attribute",
        model="gpt-4o", input_tokens=10, output_tokens=5,
    )  # fmt: skip
    demo = replace(base, call_id="c3", attributes={"resource": {"lens.demo": True}})
    plain = [replace(base, call_id=f"c{i}") for i in range(3)]
    group = calls_table([*plain, demo])
    # A group's requests are slices of one table: every chunk shares the column's buffer.
    sliced = pa.concat_tables([group.slice(at, 1) for at in range(4)])
    assert sliced["attributes"].num_chunks == 4
    assert _synthetic_calls(summaries_of(sliced, LONG_ABOVE).usage) == 1
    # Tables made apart have a buffer each: the demo call is in the last one only.
    apart = pa.concat_tables([calls_table(plain), calls_table([demo])])
    assert _synthetic_calls(summaries_of(apart, LONG_ABOVE).usage) == 1
    assert _synthetic_calls(summaries_of(calls_table(plain), LONG_ABOVE).usage) == 0
