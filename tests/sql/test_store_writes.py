"""The store's idempotent group writes, checked with the audits on a real DuckDB file."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from collectors.otlp.normalize import normalize_export_request
from collectors.otlp.synthetic import export_requests
from collectors.rows import CALL_SCHEMA, CallRow, NormalizedBatch
from collectors.store import Store, WriteResult
from queries import audits


def batches(count: int) -> list[NormalizedBatch]:
    end = datetime(2026, 11, 20, tzinfo=UTC)
    requests = export_requests(end - timedelta(days=1), end, 100 * count, batch_size=100)
    return [normalize_export_request(r) for r in requests]


def as_write(batch: NormalizedBatch) -> tuple[list, list, str, int]:  # type: ignore[type-arg]
    return batch.calls, batch.filter_results, "otlp", batch.rejected


@pytest.mark.usefixtures("write_path")
def test_resent_batches_store_calls_and_verdicts_once(tmp_path: Path) -> None:
    first, second = batches(2)
    store = Store(tmp_path / "lens.duckdb")
    # The same batch twice in one group (two senders re-sending at once), then again later.
    results = store.write_many([as_write(first), as_write(second), as_write(first)])
    assert results == [WriteResult(100, 0), WriteResult(100, 0), WriteResult(0, 100)]
    assert store.write_many([as_write(first)]) == [WriteResult(0, 100)]
    cur = store.cursor()
    ((calls, verdicts),) = cur.execute(
        "SELECT (SELECT count(*) FROM calls), (SELECT count(*) FROM filter_results)"
    ).fetchall()
    assert calls == 200
    assert verdicts == len(first.filter_results) + len(second.filter_results) > 0
    for audit in audits.AUDITS:
        assert getattr(audits, audit)(cur).empty, audit
    store.close()


@pytest.mark.usefixtures("write_path")
def test_verdicts_carry_their_calls_start(tmp_path: Path) -> None:
    """Reports read only the verdicts near their range by this time (033_verdict_time)."""
    (batch,) = batches(1)
    store = Store(tmp_path / "lens.duckdb")
    store.write(batch.calls, batch.filter_results, source="otlp")
    ((verdicts, off_time),) = (
        store.cursor()
        .execute(
            "SELECT count(*), count(*) FILTER (WHERE r.start_time IS DISTINCT FROM c.start_time) "
            "FROM filter_results AS r JOIN calls AS c USING (call_id)"
        )
        .fetchall()
    )
    assert verdicts == len(batch.filter_results) > 0
    assert off_time == 0
    store.close()


def as_table(calls: list[CallRow]) -> pa.Table:
    """Calls as the table of columns a Log Analytics normaliser returns."""
    rows = [{**asdict(c), "attributes": json.dumps(c.attributes)} for c in calls]
    return pa.Table.from_pylist(rows, schema=CALL_SCHEMA)


def stored(store: Store) -> list[tuple[object, ...]]:
    cur = store.cursor()
    calls = cur.execute("SELECT * EXCLUDE (ingested_at) FROM calls ORDER BY call_id").fetchall()
    verdicts = cur.execute("SELECT * FROM filter_results ORDER BY ALL").fetchall()
    return [*calls, *verdicts]


@pytest.mark.usefixtures("write_path")
def test_a_table_of_calls_is_stored_as_its_rows_are(tmp_path: Path) -> None:
    first, second = batches(2)
    repeated = [*second.calls, second.calls[0]]  # a call twice in one batch: merged once
    repeated[3].request_id = repeated[4].request_id = "req-shared"  # one request, two ids
    tables = [as_table(first.calls), as_table(repeated)]  # before the row write merges rows
    by_rows, by_table = Store(tmp_path / "rows.duckdb"), Store(tmp_path / "table.duckdb")
    rows_result = by_rows.write_many(
        [as_write(first), (repeated, second.filter_results, "otlp", 0)]
    )
    table_result = by_table.write_many(
        [
            (tables[0], first.filter_results, "otlp", first.rejected),
            (tables[1], second.filter_results, "otlp", 0),
        ]
    )
    assert table_result == rows_result
    assert rows_result[0] == WriteResult(100, 0)
    assert stored(by_table) == stored(by_rows)
    ((calls,),) = by_table.cursor().execute("SELECT count(*) FROM calls").fetchall()
    assert calls == 199  # 100 + 100, the two copies of one request as one call
    for audit in audits.AUDITS:
        assert getattr(audits, audit)(by_table.cursor()).empty, audit
    by_rows.close()
    by_table.close()


def test_audits_find_planted_bad_rows(tmp_path: Path) -> None:
    (batch,) = batches(1)
    store = Store(tmp_path / "lens.duckdb")
    store.write(batch.calls, batch.filter_results, source="otlp")
    store.close()
    with duckdb.connect(str(tmp_path / "lens.duckdb")) as con:
        con.execute("INSERT INTO filter_results SELECT * FROM filter_results LIMIT 1")
        con.execute(
            "INSERT INTO filter_results VALUES ('no-such-call', 'prompt', 0, 'hate', 'safe', "
            "false, NULL, NULL)"
        )
        duplicates = audits.duplicate_verdicts(con)
        orphans = audits.orphan_verdicts(con)
    assert len(duplicates) == 1 and duplicates.iloc[0]["copies"] == 2
    assert orphans.to_dict("records") == [{"call_id": "no-such-call", "verdicts": 1}]
