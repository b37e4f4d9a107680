"""The writer cannot die: a batch the store refuses fails alone, a store that cannot be
written is reported and retried by the sender, and closing never leaves a request hanging."""

from __future__ import annotations

import time
from concurrent.futures import Future
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pytest

from collectors.otlp.flatten import FlatRequest, flatten_request
from collectors.otlp.synthetic import export_requests
from collectors.queue import IngestQueue, IngestResult, QueueClosedError, WriteRefusedError
from collectors.store import Store, StoreError, WriteResult


def batches(count: int, size: int = 50) -> list[FlatRequest]:
    end = datetime.now(UTC)
    requests = export_requests(end - timedelta(days=1), end, size * count, batch_size=size)
    return [flatten_request(r) for r in requests]


def poisoned(flat: FlatRequest) -> FlatRequest:
    """The request's spans without a column the normaliser reads: it fails on them (a
    stand-in for any exception a write of one request might raise)."""
    return FlatRequest(flat.spans.drop_columns(["kept"]), flat.not_genai)


def impossible(flat: FlatRequest) -> FlatRequest:
    """The request with a verdict index no column holds: the normaliser refuses it."""
    verdicts = '[{"prompt_index": 1099511627776, "content_filter_results": {}}]'
    spans = flat.spans.set_column(
        flat.spans.schema.get_field_index("azure.openai.prompt_filter_results"),
        "azure.openai.prompt_filter_results",
        pa.array([verdicts] * flat.spans.num_rows, pa.string()),
    )
    return FlatRequest(spans, flat.not_genai)


def stored_write(future: Future[IngestResult]) -> WriteResult:
    return future.result(10).write


def stored_calls(store: Store) -> int:
    return int(store.cursor().execute("SELECT count(*) FROM calls").fetchone()[0])  # type: ignore[index]


def test_a_batch_the_store_refuses_fails_alone_and_its_neighbours_commit(
    tmp_path: Path,
) -> None:
    store = Store(tmp_path / "lens.duckdb")
    queue = IngestQueue(store)
    good_a, bad, good_b = batches(3)
    # Submitted together, they are written as one group: the group fails, then each alone.
    futures = [queue.submit(b, source="otlp") for b in (good_a, poisoned(bad), good_b)]
    assert stored_write(futures[0]) == WriteResult(50, 0)
    with pytest.raises(WriteRefusedError, match="cannot be stored"):
        futures[1].result(30)
    assert stored_write(futures[2]) == WriteResult(50, 0)
    assert stored_calls(store) == 100

    health = queue.health()
    assert health.alive and not health.failing
    assert health.refused == 1
    assert health.last_error is not None
    # The writer goes on: the refused batch, mended, is stored.
    assert stored_write(queue.submit(bad, source="otlp")) == WriteResult(50, 0)
    assert queue.close()
    store.close()


def test_a_request_after_a_refused_one_is_written_at_once(tmp_path: Path) -> None:
    # The normaliser and the writer both sleep while nothing waits. A refused request
    # never reaches the writer, so the writer is the longer sleeper when the next request
    # comes: that request must still wake the normaliser.
    store = Store(tmp_path / "lens.duckdb")
    queue = IngestQueue(store)
    for number, flat in enumerate(batches(20, size=1), start=1):
        with pytest.raises(WriteRefusedError, match=r"outside 0\.\.2147483647"):
            queue.submit(impossible(flat), source="otlp").result(30)
        assert stored_write(queue.submit(flat, source="otlp")) == WriteResult(1, 0)
        assert stored_calls(store) == number
    assert queue.close()
    store.close()


def test_a_writer_that_refuses_everything_reports_failing(tmp_path: Path) -> None:
    store = Store(tmp_path / "lens.duckdb")
    queue = IngestQueue(store)
    for batch in batches(3):
        with pytest.raises(WriteRefusedError):
            queue.submit(poisoned(batch), source="otlp").result(30)
    assert queue.health().failing
    assert stored_write(queue.submit(batches(1)[0], source="otlp")) == WriteResult(50, 0)
    assert not queue.health().failing
    queue.close()
    store.close()


def test_a_store_that_cannot_be_written_fails_requests_as_retryable(tmp_path: Path) -> None:
    store = Store(tmp_path / "lens.duckdb")
    queue = IngestQueue(store)
    store.close()  # every write now fails on the database, not on the data
    with pytest.raises(StoreError):
        queue.submit(batches(1)[0], source="otlp").result(30)
    health = queue.health()
    assert health.alive
    assert health.failing
    assert health.last_error is not None
    assert queue.close()


def test_closing_resolves_every_request_within_its_deadline(tmp_path: Path) -> None:
    store = Store(tmp_path / "lens.duckdb")
    queue = IngestQueue(store, max_waiting_spans=1_000_000, max_group_spans=100)
    futures: list[Future[IngestResult]] = [
        queue.submit(b, source="otlp") for b in batches(200, size=100)
    ]
    assert queue.close(timeout_s=0.2)
    outcomes = {"stored": 0, "closed": 0, "interrupted": 0}
    for future in futures:
        assert future.done()
        error = future.exception()
        if error is None:
            outcomes["stored"] += 1
        elif isinstance(error, QueueClosedError):
            outcomes["closed"] += 1
        else:
            assert isinstance(error, StoreError)
            outcomes["interrupted"] += 1
    assert outcomes["closed"] > 0, outcomes
    assert stored_calls(store) == 100 * outcomes["stored"]
    with pytest.raises(QueueClosedError):
        queue.submit(batches(1)[0], source="otlp")
    store.close()


def test_while_the_writer_is_busy_a_request_being_decoded_joins_the_group_waiting(
    tmp_path: Path,
) -> None:
    store = Store(tmp_path / "lens.duckdb")
    queue = IngestQueue(store, max_arrival_wait_s=5.0)
    busy, first, second = batches(3)
    with store.transaction():  # the writer's commit of ``busy`` waits for this one
        writing = queue.submit(busy, source="otlp")
        time.sleep(0.3)
        with queue.arriving():  # a request is being decoded
            waiting = queue.submit(first, source="otlp")
            time.sleep(0.3)
            joined = queue.submit(second, source="otlp")
    assert stored_write(writing) == WriteResult(50, 0)
    assert stored_write(waiting) == WriteResult(50, 0)
    assert stored_write(joined) == WriteResult(50, 0)
    commits = (
        store.cursor()
        .execute("SELECT received_at, count(*) FROM ingest_log GROUP BY ALL ORDER BY ALL")
        .fetchall()
    )
    assert [count for _, count in commits] == [1, 2]  # the two in one transaction
    assert queue.close()
    store.close()


def commit_sizes(store: Store) -> list[int]:
    """The requests of each transaction, in commit order (one ingest_log row a request)."""
    rows = store.cursor().execute(
        "SELECT received_at, count(*) FROM ingest_log GROUP BY ALL ORDER BY ALL"
    )
    return [count for _, count in rows.fetchall()]


def test_the_writer_takes_every_group_normalised_while_it_was_busy_into_one_commit(
    tmp_path: Path,
) -> None:
    store = Store(tmp_path / "lens.duckdb")
    queue = IngestQueue(store, max_arrival_wait_s=0)
    busy, first, second, third = batches(4)
    with store.transaction():  # the writer's commit of ``busy`` waits for this one
        writing = queue.submit(busy, source="otlp")
        time.sleep(0.3)
        futures = []
        for flat in (first, second, third):  # each normalised alone, none decoding
            futures.append(queue.submit(flat, source="otlp"))
            time.sleep(0.3)
    assert [stored_write(f) for f in (writing, *futures)] == [WriteResult(50, 0)] * 4
    assert commit_sizes(store) == [1, 3]
    assert stored_calls(store) == 200
    assert queue.close()
    store.close()


def test_what_the_writer_takes_at_once_is_bounded_by_the_group_size(tmp_path: Path) -> None:
    store = Store(tmp_path / "lens.duckdb")
    queue = IngestQueue(store, max_group_spans=100, max_arrival_wait_s=0)
    busy, *rest = batches(4)
    with store.transaction():
        writing = queue.submit(busy, source="otlp")
        time.sleep(0.3)
        futures = []
        for flat in rest:
            futures.append(queue.submit(flat, source="otlp"))
            time.sleep(0.3)
    assert [stored_write(f) for f in (writing, *futures)] == [WriteResult(50, 0)] * 4
    assert commit_sizes(store) == [1, 2, 1]  # 100 spans at most a commit
    assert queue.close()
    store.close()


def test_an_idle_writer_waits_for_a_request_being_decoded_to_join_the_group(
    tmp_path: Path,
) -> None:
    store = Store(tmp_path / "lens.duckdb")
    queue = IngestQueue(store, max_arrival_wait_s=5.0)
    first, second = batches(2)
    with queue.arriving():  # a request is being decoded
        waiting = queue.submit(first, source="otlp")
        time.sleep(0.3)
        joined = queue.submit(second, source="otlp")
    assert stored_write(waiting) == WriteResult(50, 0)
    assert stored_write(joined) == WriteResult(50, 0)
    assert commit_sizes(store) == [2]  # one transaction for both
    assert queue.close()
    store.close()


def test_a_request_being_decoded_holds_the_group_no_longer_than_the_wait(
    tmp_path: Path,
) -> None:
    store = Store(tmp_path / "lens.duckdb")
    queue = IngestQueue(store, max_arrival_wait_s=0.5)
    (first,) = batches(1)
    with queue.arriving():  # a request is being decoded, and never comes
        started = time.monotonic()
        waiting = queue.submit(first, source="otlp")
        assert stored_write(waiting) == WriteResult(50, 0)
        assert 0.5 <= time.monotonic() - started < 5
    assert queue.close()
    store.close()
