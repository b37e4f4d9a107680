"""The store's idempotent group writes, checked with the audits on a real DuckDB file."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pyarrow as pa

from collectors.otlp.synthetic import export_requests
from collectors.retention import RetentionConfig
from collectors.rows import call_rows
from collectors.store import Batch, Store, WriteResult
from queries import audits
from tests.normalizing import normalized_tables, rows_batch


def batches(count: int) -> list[Batch]:
    end = datetime(2026, 11, 20, tzinfo=UTC)
    requests = export_requests(end - timedelta(days=1), end, 100 * count, batch_size=100)
    return [normalized_tables(r) for r in requests]


def verdicts_of(batch: Batch) -> int:
    return batch.verdicts.num_rows if batch.verdicts is not None else 0


def test_resent_batches_store_calls_and_verdicts_once(tmp_path: Path) -> None:
    first, second = batches(2)
    store = Store(tmp_path / "lens.duckdb")
    # The same batch twice in one group (two senders re-sending at once), then again later.
    results = store.write_many([first, second, first])
    assert results == [WriteResult(100, 0), WriteResult(100, 0), WriteResult(0, 100)]
    assert store.write_many([first]) == [WriteResult(0, 100)]
    cur = store.cursor()
    ((calls, verdicts),) = cur.execute(
        "SELECT (SELECT count(*) FROM calls), (SELECT count(*) FROM filter_results)"
    ).fetchall()
    assert calls == 200
    assert verdicts == verdicts_of(first) + verdicts_of(second) > 0
    for audit in audits.AUDITS:
        assert getattr(audits, audit)(cur).empty, audit
    store.close()


def test_verdicts_carry_their_calls_start(tmp_path: Path) -> None:
    """Reports read only the verdicts near their range by this time (033_verdict_time)."""
    (batch,) = batches(1)
    store = Store(tmp_path / "lens.duckdb")
    store.write_many([batch])
    ((verdicts, off_time),) = (
        store.cursor()
        .execute(
            "SELECT count(*), count(*) FILTER (WHERE r.start_time IS DISTINCT FROM c.start_time) "
            "FROM filter_results AS r JOIN calls AS c USING (call_id)"
        )
        .fetchall()
    )
    assert verdicts == verdicts_of(batch) > 0
    assert off_time == 0


def test_verdicts_without_an_intervention_point_take_their_targets(tmp_path: Path) -> None:
    """047_verdict_details: a prompt verdict is user_input, a completion verdict output,
    unless the verdict names its point; details arrive as JSON."""
    (batch,) = batches(1)
    assert batch.verdicts is not None
    points = batch.verdicts["intervention_point"].to_pylist()
    points[0] = "tool_response"
    named = batch.verdicts.set_column(
        batch.verdicts.schema.get_field_index("intervention_point"), "intervention_point",
        pa.array(points, pa.string()),
    )  # fmt: skip
    store = Store(tmp_path / "lens.duckdb")
    store.write_many([replace(batch, verdicts=named)])
    rows = (
        store.cursor()
        .execute(
            "SELECT target, intervention_point, count(*) FROM filter_results "
            "GROUP BY ALL ORDER BY ALL"
        )
        .fetchall()
    )
    store.close()
    first_target = batch.verdicts["target"][0].as_py()
    expected = {("prompt", "user_input"), ("completion", "output"), (first_target, "tool_response")}
    assert {(target, point) for target, point, _ in rows} <= expected
    assert sum(n for *_, n in rows) == verdicts_of(batch)
    assert (first_target, "tool_response", 1) in rows
    store.close()


def test_a_batch_holding_a_call_twice_stores_it_once(tmp_path: Path) -> None:
    first, second = batches(2)
    calls = call_rows(second.calls)
    repeated = [*calls, replace(calls[0])]  # a call twice in one batch: merged once
    repeated[3] = replace(repeated[3], request_id="req-shared")  # one request, two ids
    repeated[4] = replace(repeated[4], request_id="req-shared")
    store = Store(tmp_path / "lens.duckdb")
    results = store.write_many([first, rows_batch(repeated, source="otlp")])
    assert results[0] == WriteResult(100, 0)
    ((stored_calls,),) = store.cursor().execute("SELECT count(*) FROM calls").fetchall()
    assert stored_calls == 199  # 100 + 100, the two copies of one request as one call
    for audit in audits.AUDITS:
        assert getattr(audits, audit)(store.cursor()).empty, audit
    store.close()


def test_audits_find_planted_bad_rows(tmp_path: Path) -> None:
    (batch,) = batches(1)
    store = Store(tmp_path / "lens.duckdb")
    store.write_many([batch])
    store.close()
    with duckdb.connect(str(tmp_path / "lens.duckdb")) as con:
        con.execute("INSERT INTO filter_results SELECT * FROM filter_results LIMIT 1")
        con.execute(
            "INSERT INTO filter_results VALUES ('no-such-call', 'prompt', 0, 'hate', 'safe', "
            "false, NULL, NULL, NULL, 'user_input')"
        )
        duplicates = audits.duplicate_verdicts(con)
        orphans = audits.orphan_verdicts(con)
    assert len(duplicates) == 1 and duplicates.iloc[0]["copies"] == 2
    assert orphans.to_dict("records") == [{"call_id": "no-such-call", "verdicts": 1}]


def test_under_a_retention_horizon_only_older_calls_are_left_out(tmp_path: Path) -> None:
    """A running lens always knows a horizon (it purges daily): a group whose calls are all
    newer stores every one, a batch of older calls is reported too old."""
    old, new = batches(2)  # 2026-11-19, before the horizon below
    newer = [replace(c, start_time=c.start_time + timedelta(days=2)) for c in call_rows(new.calls)]
    new = rows_batch(newer, source="otlp")
    store = Store(tmp_path / "lens.duckdb")
    store.purge(
        RetentionConfig(calls_days=1, content_days=1), now=datetime(2026, 11, 21, 1, tzinfo=UTC)
    )
    assert store.write_many([new]) == [WriteResult(100, 0)]
    again = rows_batch([replace(c, call_id=f"{c.call_id}-2") for c in newer], source="otlp")
    assert store.write_many([old, again]) == [WriteResult(0, 0, 0, 100), WriteResult(100, 0)]
    ((calls, before),) = (
        store.cursor()
        .execute("SELECT count(*), count(*) FILTER (WHERE start_time < '2026-11-20') FROM calls")
        .fetchall()
    )
    assert (calls, before) == (200, 0)
    for audit in audits.AUDITS:
        assert getattr(audits, audit)(store.cursor()).empty, audit
    store.close()
