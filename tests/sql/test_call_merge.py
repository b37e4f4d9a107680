"""One call reported by two sources (the same request_id) is one row with the richer
fields of both; a re-read of a stored call refreshes what it says."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from collectors.rows import FilterResultRow
from collectors.store import Store
from queries import audits
from tests.normalizing import HAND_BUILT_AT, hand_built_call, rows_batch

AT = HAND_BUILT_AT
call = hand_built_call


def stored(store: Store) -> list[tuple[object, ...]]:
    """The stored calls, after checking the daily summary followed the merge or refresh."""
    assert audits.usage_hourly_drift(store.cursor()).empty
    return (
        store.cursor()
        .execute(
            "SELECT call_id, source, deployment, deployment_source, trace_id, input_tokens, "
            "apim_subscription, filter_action, also_seen_by, attributes::VARCHAR "
            "FROM calls ORDER BY call_id"
        )
        .fetchall()
    )


def test_the_second_report_fills_what_the_first_lacked_and_keeps_the_rest(tmp_path: Path) -> None:
    store = Store(tmp_path / "lens.duckdb")
    otlp = call(
        "t1s1", "otlp", request_id="r1", trace_id="t1", input_tokens=100,
        filter_action="annotated", attributes={"a": 1, "shared": "otlp"},
    )  # fmt: skip
    apim = call(
        "apim:c1", "loganalytics:apim", request_id="r1", deployment="gpt-4o-prod",
        deployment_source="log", input_tokens=90, apim_subscription="sub-1",
        attributes={"b": 2, "shared": "apim"},
    )  # fmt: skip
    store.write_many([rows_batch([otlp], [], "otlp")])
    (result,) = store.write_many([rows_batch([apim], [], "loganalytics:apim")])
    assert (result.calls_inserted, result.calls_duplicate, result.calls_merged) == (0, 1, 1)
    ((*row, attributes),) = stored(store)
    assert row == [
        "t1s1", "otlp", "gpt-4o-prod", "log", "t1", 100, "sub-1", "annotated",
        ["loganalytics:apim"],
    ]  # fmt: skip
    assert json.loads(str(attributes)) == {"a": 1, "b": 2, "shared": "otlp"}


def test_a_reread_refreshes_the_stored_values(tmp_path: Path) -> None:
    store = Store(tmp_path / "lens.duckdb")
    first = call("apim:c1", "loganalytics:apim", input_tokens=10, apim_subscription="sub-1")
    store.write_many([rows_batch([first], [], "loganalytics:apim")])
    again = replace(first, input_tokens=12, apim_subscription=None)
    (result,) = store.write_many([rows_batch([again], [], "loganalytics:apim")])
    assert (result.calls_inserted, result.calls_duplicate, result.calls_merged) == (0, 1, 0)
    ((_, _, _, _, _, tokens, subscription, _, seen, _),) = stored(store)
    assert (tokens, subscription, seen) == (12, "sub-1", None)  # newer count; nothing lost


def test_two_reports_in_one_batch_are_one_call(tmp_path: Path) -> None:
    store = Store(tmp_path / "lens.duckdb")
    a = call("diag:r1", "loganalytics:azure_diagnostics", request_id="r1", input_tokens=None)
    b = call("apim:c1", "loganalytics:apim", request_id="r1", input_tokens=7)
    (result,) = store.write_many([rows_batch([a, b], [], "mixed")])
    assert result.calls_inserted == 1
    assert [(row[0], row[5]) for row in stored(store)] == [("diag:r1", 7)]


def verdict(call_id: str, category: str) -> FilterResultRow:
    return FilterResultRow(call_id, "prompt", 0, category, "safe", False, None)


def verdicts(store: Store) -> list[tuple[object, ...]]:
    return (
        store.cursor()
        .execute("SELECT call_id, category FROM filter_results ORDER BY call_id, category")
        .fetchall()
    )


def test_one_batch_of_new_reread_and_merged_calls(tmp_path: Path) -> None:
    store = Store(tmp_path / "lens.duckdb")
    otlp = call("t1s1", "otlp", request_id="r1", input_tokens=100)  # no verdicts yet
    kept = call("apim:c0", "loganalytics:apim", input_tokens=5)
    store.write_many([rows_batch([otlp, kept], [verdict("apim:c0", "hate")], "otlp")])
    batch = [
        replace(kept, input_tokens=6),  # read again, with a newer count
        call("apim:c1", "loganalytics:apim", request_id="r1", input_tokens=90),  # = t1s1
        call("apim:c2", "loganalytics:apim", input_tokens=3, start_time=AT.replace(day=21)),
    ]
    rows = [verdict("apim:c0", "violence"), verdict("apim:c1", "sexual")]
    rows.append(verdict("apim:c2", "jailbreak"))
    (result,) = store.write_many([rows_batch(batch, rows, "loganalytics:apim")])
    assert (result.calls_inserted, result.calls_duplicate, result.calls_merged) == (1, 2, 1)
    assert [(row[0], row[5], row[8]) for row in stored(store)] == [
        ("apim:c0", 6, None),
        ("apim:c2", 3, None),
        ("t1s1", 100, ["loganalytics:apim"]),
    ]
    # A new call's verdicts go in; a merged call's go to the stored call that had none; a
    # call read again keeps the verdicts of its first insert.
    assert verdicts(store) == [("apim:c0", "hate"), ("apim:c2", "jailbreak"), ("t1s1", "sexual")]
    (again,) = store.write_many([rows_batch(batch, rows, "loganalytics:apim")])
    assert (again.calls_inserted, again.calls_duplicate) == (0, 3)
    assert len(stored(store)) == 3 and len(verdicts(store)) == 3


def test_a_reread_that_says_what_is_stored_changes_nothing(tmp_path: Path) -> None:
    store = Store(tmp_path / "lens.duckdb")
    calls = [call(f"apim:c{i}", "loganalytics:apim", input_tokens=i) for i in range(3)]
    store.write_many([rows_batch(calls, [], "loganalytics:apim")])
    before = store.cursor().execute("SELECT * FROM calls ORDER BY call_id").fetchall()
    (result,) = store.write_many([rows_batch([*calls], [], "loganalytics:apim")])
    assert (result.calls_inserted, result.calls_duplicate) == (0, 3)
    assert store.cursor().execute("SELECT * FROM calls ORDER BY call_id").fetchall() == before
    assert len(stored(store)) == 3


def test_a_sampled_call_seen_by_a_source_that_logs_every_call_counts_once(
    tmp_path: Path,
) -> None:
    """Application Insights kept one call in 10 and the gateway logged all ten: the kept one,
    merged with its gateway row, is one call; the nine others are the gateway's own rows."""
    store = Store(tmp_path / "lens.duckdb")
    sampled = call(
        "t1s1", "loganalytics:app_insights", request_id="r1", input_tokens=100,
        deployment="gpt-4o-prod", deployment_source="attribute", sample_weight=10.0,
    )  # fmt: skip
    gateway = [
        call(f"apim:c{n}", "loganalytics:apim", request_id=f"r{n}", input_tokens=100,
             deployment="gpt-4o-prod", deployment_source="log")
        for n in range(1, 11)
    ]  # fmt: skip
    store.write_many([rows_batch([sampled], [], "loganalytics:app_insights")])
    requests, tokens = (
        store.cursor().execute("SELECT sum(requests), sum(input_tokens) FROM usage_hourly")
    ).fetchall()[0]
    assert (requests, tokens) == (10, 1000)  # alone, it stands for ten calls
    store.write_many([rows_batch(gateway, [], "loganalytics:apim")])
    assert len(stored(store)) == 10  # the drift audit passes: the summary followed
    weights = store.cursor().execute("SELECT sum(sample_weight) FROM calls").fetchall()
    assert weights == [(10.0,)]
    requests, tokens = (
        store.cursor().execute("SELECT sum(requests), sum(input_tokens) FROM usage_hourly")
    ).fetchall()[0]
    assert (requests, tokens) == (10, 1000)


def test_the_client_and_the_gateway_each_add_their_part_of_the_route(tmp_path: Path) -> None:
    """The client knows the tier, failover and spillover; the gateway's log the backend."""
    store = Store(tmp_path / "lens.duckdb")
    otlp = call(
        "t1s1", "otlp", request_id="r1", service_tier="default",
        service_tier_requested="priority", failover_from="https://aoai-swc.openai.azure.com",
        attempts=2, spillover=False,
    )  # fmt: skip
    apim = call("apim:c1", "loganalytics:apim", request_id="r1", backend="aoai-weu-backend")
    store.write_many([rows_batch([otlp], [], "otlp")])
    store.write_many([rows_batch([apim], [], "loganalytics:apim")])
    rows = (
        store.cursor()
        .execute(
            "SELECT call_id, service_tier, service_tier_requested, backend, failover_from, "
            "attempts, spillover, spillover_from FROM calls"
        )
        .fetchall()
    )
    assert rows == [
        ("t1s1", "default", "priority", "aoai-weu-backend", "https://aoai-swc.openai.azure.com",
         2, False, None),
    ]  # fmt: skip


def test_a_reread_whose_start_a_source_rounded_refreshes_the_stored_call(
    tmp_path: Path,
) -> None:
    """The same call id is looked for within a second of the batch's start times: a copy
    whose start another source rounded to the millisecond is still the same call."""
    store = Store(tmp_path / "lens.duckdb")
    first = call("t1s1", "otlp", start_time=AT.replace(microsecond=999_600), input_tokens=10)
    store.write_many([rows_batch([first], [], "otlp")])
    rounded = replace(first, start_time=AT.replace(microsecond=999_000), input_tokens=11)
    (result,) = store.write_many([rows_batch([rounded], [], "otlp")])
    assert (result.calls_inserted, result.calls_duplicate) == (0, 1)
    ((call_id, *_, tokens, _, _, _, _),) = stored(store)
    assert (call_id, tokens) == ("t1s1", 11)


def test_a_span_copy_is_looked_for_within_a_second_and_a_log_row_within_a_minute(
    tmp_path: Path,
) -> None:
    """What the narrow windows cost (decision 0040): an OTLP copy whose start moved by more
    than a second (SPAN_COPY_PAD) is stored again, and the duplicate-calls audit names it;
    a log row read again with a stamp 30 seconds off (another of the call's rows) is the
    same call."""
    store = Store(tmp_path / "lens.duckdb")
    span = call("t1s1", "otlp", input_tokens=10)
    row = call("apim:c1", "loganalytics:apim", input_tokens=20)
    store.write_many([rows_batch([span], [], "otlp")])
    store.write_many([rows_batch([row], [], "loganalytics:apim")])
    moved = replace(span, start_time=AT + timedelta(seconds=2))
    (result,) = store.write_many([rows_batch([moved], [], "otlp")])
    assert (result.calls_inserted, result.calls_duplicate) == (1, 0)
    stamped = replace(row, start_time=AT + timedelta(seconds=30), input_tokens=21)
    (result,) = store.write_many([rows_batch([stamped], [], "loganalytics:apim")])
    assert (result.calls_inserted, result.calls_duplicate) == (0, 1)
    assert audits.duplicate_calls(store.cursor())["call_id"].tolist() == ["t1s1"]


def test_another_source_within_an_hour_of_the_call_is_merged_and_beyond_is_not(
    tmp_path: Path,
) -> None:
    """A report of another source (the same request_id) is looked for within an hour of the
    batch's start times (REPORT_PAD): a gateway log stamped 50 minutes after the client's
    span is the same call; one two hours after is a call of its own."""
    store = Store(tmp_path / "lens.duckdb")
    store.write_many([rows_batch([
        call("t1s1", "otlp", request_id="r1", input_tokens=100),
        call("t2s2", "otlp", request_id="r2", input_tokens=200),
    ], [], "otlp")])  # fmt: skip
    near = call("apim:c1", "loganalytics:apim", request_id="r1",
                start_time=AT + timedelta(minutes=50), apim_subscription="sub-1")  # fmt: skip
    far = call("apim:c2", "loganalytics:apim", request_id="r2",
               start_time=AT + timedelta(hours=2), apim_subscription="sub-2")  # fmt: skip
    (result,) = store.write_many([rows_batch([near], [], "loganalytics:apim")])
    assert (result.calls_inserted, result.calls_merged) == (0, 1)
    (result,) = store.write_many([rows_batch([far], [], "loganalytics:apim")])
    assert (result.calls_inserted, result.calls_merged) == (1, 0)
    assert [(row[0], row[6]) for row in stored(store)] == [
        ("apim:c2", "sub-2"), ("t1s1", "sub-1"), ("t2s2", None),
    ]  # fmt: skip


def test_a_reread_in_a_batch_of_later_calls_is_found(tmp_path: Path) -> None:
    """The window is the batch's first to last start, whatever lies between."""
    store = Store(tmp_path / "lens.duckdb")
    early = call("t1s1", "otlp", input_tokens=10)
    store.write_many([rows_batch([early], [], "otlp")])
    later = call("t2s2", "otlp", start_time=AT + timedelta(hours=5), input_tokens=20)
    (result,) = store.write_many([rows_batch([later, early], [], "otlp")])
    assert (result.calls_inserted, result.calls_duplicate) == (1, 1)
    assert [(row[0], row[5]) for row in stored(store)] == [("t1s1", 10), ("t2s2", 20)]


def test_stored_call_keys_are_the_md5_number_lower_of_their_ids(tmp_path: Path) -> None:
    """insert_calls computes md5_number_lower without its macro; a call's page finds its
    row by md5_number_lower($call_id) (call_start_time.sql)."""
    store = Store(tmp_path / "lens.duckdb")
    calls = [call(f"t{i}s{i}", "otlp") for i in range(50)]
    store.write_many([rows_batch(calls, [], "otlp")])
    ((count, same),) = (
        store.cursor()
        .execute(
            "SELECT count(*), count(*) FILTER (WHERE call_key = md5_number_lower(call_id)) "
            "FROM calls"
        )
        .fetchall()
    )
    assert count == same == 50
