"""Bounded ingest queue and the one writer thread that drains it into the store.

Receivers ``submit`` a normalised batch and get a future that resolves only after
the batch's transaction has committed, so an OTLP 200 always means "stored". When
the spans waiting would exceed the bound, ``submit`` raises ``BackpressureError``
(answered 503 + Retry-After). The writer group-commits whatever is waiting, up to
``max_group_calls`` calls per transaction.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from concurrent.futures import Future
from dataclasses import dataclass

from collectors.rows import NormalizedBatch
from collectors.store import Store, StoreError, WriteResult

log = logging.getLogger(__name__)


class BackpressureError(Exception):
    """The queue is full; the sender should retry after ``retry_after_s`` seconds."""

    def __init__(self, waiting: int, retry_after_s: int) -> None:
        super().__init__(f"ingest queue is full ({waiting} spans waiting)")
        self.waiting = waiting
        self.retry_after_s = retry_after_s


class QueueClosedError(Exception):
    """The server is shutting down and takes no more batches."""


@dataclass
class _Item:
    batch: NormalizedBatch
    source: str
    future: Future[WriteResult]


class IngestQueue:
    def __init__(
        self, store: Store, *, max_waiting_calls: int = 50_000, max_group_calls: int = 20_000
    ) -> None:
        self._store = store
        self._max_waiting = max_waiting_calls
        self._max_group = max_group_calls
        self._items: deque[_Item] = deque()
        self._waiting = 0
        self._cond = threading.Condition()
        self._closed = False
        self._thread = threading.Thread(target=self._drain, name="lens-writer", daemon=True)
        self._thread.start()

    @property
    def waiting(self) -> int:
        """Calls accepted but not yet committed."""
        with self._cond:
            return self._waiting

    def submit(self, batch: NormalizedBatch, *, source: str) -> Future[WriteResult]:
        future: Future[WriteResult] = Future()
        size = len(batch.calls)
        with self._cond:
            if self._closed:
                raise QueueClosedError("the server is shutting down")
            if self._waiting and self._waiting + size > self._max_waiting:
                raise BackpressureError(self._waiting, self._retry_after_s())
            self._items.append(_Item(batch, source, future))
            self._waiting += size
            self._cond.notify()
        return future

    def _retry_after_s(self) -> int:
        # About how long the writer needs for what is waiting, at >= 10k calls/s.
        return max(1, min(30, self._waiting // 10_000 + 1))

    def _take_group(self) -> list[_Item] | None:
        with self._cond:
            while not self._items and not self._closed:
                self._cond.wait()
            if not self._items:
                return None
            group = [self._items.popleft()]
            size = len(group[0].batch.calls)
            while self._items and size + len(self._items[0].batch.calls) <= self._max_group:
                item = self._items.popleft()
                size += len(item.batch.calls)
                group.append(item)
            return group

    def _drain(self) -> None:
        while (group := self._take_group()) is not None:
            try:
                results = self._store.write_many(
                    (i.batch.calls, i.batch.filter_results, i.source, i.batch.rejected)
                    for i in group
                )
            except StoreError as exc:
                log.error("write of %d batches failed: %s", len(group), exc)
                for item in group:
                    item.future.set_exception(exc)
            else:
                for item, result in zip(group, results, strict=True):
                    item.future.set_result(result)
            finally:
                with self._cond:
                    self._waiting -= sum(len(i.batch.calls) for i in group)

    def close(self, timeout_s: float = 30.0) -> None:
        """Stop taking batches, commit what is waiting, and stop the writer."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        self._thread.join(timeout_s)
