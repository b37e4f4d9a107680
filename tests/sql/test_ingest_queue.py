"""The writer cannot die: a batch the store refuses fails alone, a store that cannot be
written is reported and retried by the sender, and closing never leaves a request hanging."""

from __future__ import annotations

import dataclasses
from concurrent.futures import Future
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from collectors.otlp.normalize import normalize_export_request
from collectors.otlp.synthetic import export_requests
from collectors.queue import IngestQueue, QueueClosedError, WriteRefusedError
from collectors.rows import NormalizedBatch
from collectors.store import Store, StoreError, WriteResult


def batches(count: int, size: int = 50) -> list[NormalizedBatch]:
    end = datetime(2026, 11, 20, tzinfo=UTC)
    requests = export_requests(end - timedelta(days=1), end, size * count, batch_size=size)
    return [normalize_export_request(r) for r in requests]


def poisoned(batch: NormalizedBatch) -> NormalizedBatch:
    """The batch with one verdict whose index no 32-bit column holds."""
    rows = list(batch.filter_results)
    rows[0] = dataclasses.replace(rows[0], idx=2**40)
    return dataclasses.replace(batch, filter_results=rows)


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
    assert futures[0].result(30) == WriteResult(50, 0)
    with pytest.raises(WriteRefusedError, match="cannot be stored"):
        futures[1].result(30)
    assert futures[2].result(30) == WriteResult(50, 0)
    assert stored_calls(store) == 100

    health = queue.health()
    assert health.alive and not health.failing
    assert health.refused == 1
    assert health.last_error is not None
    # The writer goes on: the refused batch, mended, is stored.
    assert queue.submit(bad, source="otlp").result(30) == WriteResult(50, 0)
    assert queue.close()
    store.close()


def test_a_writer_that_refuses_everything_reports_failing(tmp_path: Path) -> None:
    store = Store(tmp_path / "lens.duckdb")
    queue = IngestQueue(store)
    for batch in batches(3):
        with pytest.raises(WriteRefusedError):
            queue.submit(poisoned(batch), source="otlp").result(30)
    assert queue.health().failing
    assert queue.submit(batches(1)[0], source="otlp").result(30) == WriteResult(50, 0)
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
    queue = IngestQueue(store, max_waiting_calls=1_000_000, max_group_calls=100)
    futures: list[Future[WriteResult]] = [
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
