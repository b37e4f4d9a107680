"""Bounded ingest queue and the one writer thread that drains it into the store.

Receivers ``submit`` a normalised batch and get a future that resolves only after
the batch's transaction has committed, so an OTLP 200 always means "stored". When
the spans waiting would exceed the bound, ``submit`` raises ``BackpressureError``
(answered 429 + Retry-After). The writer group-commits whatever is waiting, up to
``max_group_calls`` calls per transaction.

The writer cannot die: any exception in a group write fails that group only, and the
group is written again request by request, so one bad request is refused with its reason
(``WriteRefusedError``, permanent) and its neighbours commit. A store that cannot be
written (``StoreError``, transient) fails the request with a retryable error and marks
the writer as failing until a write succeeds again (``health()``).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

from collectors.rows import NormalizedBatch
from collectors.store import Store, StoreError, WriteResult

log = logging.getLogger(__name__)

# Refusals in a row (no commit between them) after which the writer counts as failing:
# one hostile request is refused alone, but a writer that refuses everything is broken.
REFUSALS_BEFORE_FAILING: Final = 3
# Calls a second the writer is assumed to commit when Retry-After is estimated.
_ASSUMED_CALLS_PER_S: Final = 5_000
_MAX_RETRY_AFTER_S: Final = 60


class BackpressureError(Exception):
    """The queue is full; the sender should retry after ``retry_after_s`` seconds."""

    def __init__(self, waiting: int, retry_after_s: int) -> None:
        super().__init__(f"ingest queue is full ({waiting} spans waiting)")
        self.waiting = waiting
        self.retry_after_s = retry_after_s


class QueueClosedError(Exception):
    """The server is shutting down and takes no more batches (retry elsewhere or later)."""


class WriteRefusedError(Exception):
    """This batch cannot be stored whatever the retry (permanent): its data is at fault."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class WriterHealth:
    """The writer thread as ``/healthz`` shows it."""

    alive: bool
    failing: bool  # writes are failing now: the route answers 503
    last_commit_at: datetime | None
    last_error: str | None
    last_error_at: datetime | None
    refused: int  # requests refused by the writer since start


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
        self._transient_failure = False
        self._refusals_in_a_row = 0
        self._refused = 0
        self._last_commit_at: datetime | None = None
        self._last_error: str | None = None
        self._last_error_at: datetime | None = None
        self._thread = threading.Thread(target=self._drain, name="lens-writer", daemon=True)
        self._thread.start()

    @property
    def waiting(self) -> int:
        """Calls accepted but not yet committed."""
        with self._cond:
            return self._waiting

    def health(self) -> WriterHealth:
        with self._cond:
            return WriterHealth(
                alive=self._thread.is_alive(),
                failing=(
                    not self._thread.is_alive()
                    or self._transient_failure
                    or self._refusals_in_a_row >= REFUSALS_BEFORE_FAILING
                ),
                last_commit_at=self._last_commit_at,
                last_error=self._last_error,
                last_error_at=self._last_error_at,
                refused=self._refused,
            )

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

    def retry_after_s(self) -> int:
        """Seconds a sender should wait now: grows with what is waiting."""
        with self._cond:
            return self._retry_after_s()

    def _retry_after_s(self) -> int:
        # About how long the writer needs for what is waiting, so senders spread out.
        return max(1, min(_MAX_RETRY_AFTER_S, self._waiting // _ASSUMED_CALLS_PER_S + 1))

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
                self._write_group(group)
            except BaseException:  # never leave a future unresolved, whatever happened
                log.exception("the writer failed unexpectedly; the group is failed")
                self._fail(group, StoreError("the writer failed unexpectedly"))
            finally:
                with self._cond:
                    self._waiting -= sum(len(i.batch.calls) for i in group)

    def _write_group(self, group: list[_Item]) -> None:
        try:
            results = self._write(group)
        except Exception as exc:
            if len(group) == 1:
                self._settle_failure(group[0], exc)
                return
            log.warning("write of %d requests failed (%s); writing them one by one", len(group),
                        _describe(exc))  # fmt: skip
            for item in group:
                try:
                    (result,) = self._write([item])
                except Exception as one:
                    self._settle_failure(item, one)
                else:
                    self._settle_success([item], [result])
            return
        self._settle_success(group, results)

    def _write(self, group: list[_Item]) -> list[WriteResult]:
        return self._store.write_many(
            (i.batch.calls, i.batch.filter_results, i.source, i.batch.rejected) for i in group
        )

    def _settle_success(self, group: list[_Item], results: list[WriteResult]) -> None:
        with self._cond:
            self._transient_failure = False
            self._refusals_in_a_row = 0
            self._last_commit_at = datetime.now(UTC)
        for item, result in zip(group, results, strict=True):
            if not item.future.done():
                item.future.set_result(result)

    def _settle_failure(self, item: _Item, exc: Exception) -> None:
        reason = _describe(exc)
        with self._cond:
            self._last_error, self._last_error_at = reason, datetime.now(UTC)
            if isinstance(exc, StoreError):
                self._transient_failure = True
            else:
                self._refusals_in_a_row += 1
                self._refused += 1
        if isinstance(exc, StoreError):
            log.error("write failed, the sender will retry: %s", reason)
            error: Exception = exc
        else:
            log.warning("request refused by the writer: %s", reason)
            error = WriteRefusedError(f"the batch cannot be stored: {reason}")
        if not item.future.done():
            item.future.set_exception(error)

    @staticmethod
    def _fail(group: list[_Item], error: Exception) -> None:
        for item in group:
            if not item.future.done():
                item.future.set_exception(error)

    def close(self, timeout_s: float = 5.0) -> bool:
        """Stop taking batches; commit what is waiting within ``timeout_s``, then fail the
        rest (the senders retry) and stop the writer. True when the writer stopped."""
        deadline = time.monotonic() + timeout_s
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        self._thread.join(max(0.0, deadline - time.monotonic()))
        if not self._thread.is_alive():
            return True
        with self._cond:
            left = list(self._items)
            self._items.clear()
            self._waiting -= sum(len(i.batch.calls) for i in left)
        self._fail(left, QueueClosedError("the server stopped before the batch was written"))
        if left:
            log.warning("%d requests were not written before the stop; senders retry", len(left))
        self._store.interrupt()  # a write still running is rolled back; its senders retry
        self._thread.join(2.0)
        return not self._thread.is_alive()


def _describe(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    if len(text) > 300:
        text = text[:300] + "..."
    return f"{type(exc).__name__}: {text}" if not isinstance(exc, StoreError) else text
