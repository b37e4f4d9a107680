"""Bounded ingest queue and the one writer thread that normalises and stores what waits.

Receivers ``submit`` the spans of one request (``FlatRequest``) and get a future that
resolves only after the batch's transaction has committed, so an OTLP 200 always means
"stored". When the spans waiting would exceed the bound, ``submit`` raises
``BackpressureError`` (answered 429 + Retry-After).

A normaliser thread takes a group across requests: what arrived while the last group was
normalised and written, up to ``max_group_spans`` spans (``max_group_wait_s`` can hold it
longer for more; requests still being decoded are waited for, up to
``max_arrival_wait_s``, so a round of requests is one commit: decision 0037), normalises
it at once (``normalize_spans``: Arrow compute over the group's columns, whose cost is
mostly per batch, whatever the number of requests) and hands it to the writer thread,
which writes it while the next group is normalised. The group's sums (usage summary,
latency sketch) are made after the hand-over, while the writer inserts its calls: it
waits for them only to append them (decision 0039). The writer takes every group
normalised by the time it is free (up to ``max_group_spans`` spans) into one transaction:
a commit costs much the same for one request or four, so what waited while the last
commit ran goes in together. A request with an impossible span is refused alone
(``WriteRefusedError``, permanent).

The writer cannot die: any exception in a group write fails that group only, and the
group is written again request by request, so one bad request is refused with its reason
and its neighbours commit. A store that cannot be written (``StoreError``, transient)
fails the request with a retryable error and marks the writer as failing until a write
succeeds again (``health()``).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Final

import pyarrow as pa

from collectors.genai.normalize import BEFORE_RETENTION, NOT_GENAI, Rejected, normalize_spans
from collectors.otlp.flatten import FlatRequest
from collectors.store import (
    Batch,
    PreparedWrite,
    Store,
    StoreError,
    WriteResult,
    joined_writes,
)
from collectors.summaries import ComingSummaries
from lens_errors import BadInputError, BusyError, UnavailableError

log = logging.getLogger(__name__)

# Refusals in a row (no commit between them) after which the writer counts as failing:
# one hostile request is refused alone, but a writer that refuses everything is broken.
REFUSALS_BEFORE_FAILING: Final = 3
# Spans a second the writer is assumed to commit when Retry-After is estimated.
_ASSUMED_SPANS_PER_S: Final = 10_000
_MAX_RETRY_AFTER_S: Final = 60


class BackpressureError(BusyError):
    """The queue is full; the sender should retry after ``retry_after_s`` seconds."""

    def __init__(self, waiting: int, retry_after_s: int) -> None:
        super().__init__(f"ingest queue is full ({waiting} spans waiting)")
        self.waiting = waiting
        self.retry_after_s = retry_after_s


class QueueClosedError(UnavailableError):
    """The server is shutting down and takes no more batches (retry elsewhere or later)."""


class WriteRefusedError(BadInputError):
    """This batch cannot be stored whatever the retry (permanent): its data is at fault."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class IngestResult:
    """What became of one request: what was stored, and the spans that are not calls."""

    write: WriteResult
    rejected: Rejected


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
    flat: FlatRequest  # spans to normalise with the group
    spans: int
    source: str
    future: Future[IngestResult]


@dataclass
class _Prepared:
    """A normalised group: each request's batch, and the child-span hints of the group."""

    writes: list[tuple[_Item, Rejected, Batch]]
    hints: pa.Table
    write: PreparedWrite | None  # the calls conformed and summed (None: the writer does it)
    sums: ComingSummaries | None = None  # its sums, made once the writer has the group


class IngestQueue:
    def __init__(
        self,
        store: Store,
        *,
        max_waiting_spans: int = 50_000,
        max_group_spans: int = 8_192,
        max_group_wait_s: float = 0.0,
        max_arrival_wait_s: float = 0.05,
        redact: bool = True,
    ) -> None:
        self._store = store
        self._redact = redact  # personal data in message content replaced before the write
        self._max_waiting = max_waiting_spans
        self._max_group = max_group_spans
        self._max_wait_s = max_group_wait_s
        self._max_arrival_wait_s = max_arrival_wait_s
        self._arriving = 0  # requests being decoded, to be submitted (arriving())
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
        # Normalised groups waiting for the writer, up to about max_group_spans spans: the
        # writer takes them all into its next transaction.
        self._prepared: deque[_Prepared] = deque()
        self._writing = False  # the writer is storing a group
        self._normalising = True
        self._normaliser = threading.Thread(
            target=self._normalise_loop, name="lens-normaliser", daemon=True
        )
        self._thread = threading.Thread(target=self._write_loop, name="lens-writer", daemon=True)
        self._normaliser.start()
        self._thread.start()

    @property
    def waiting(self) -> int:
        """Spans accepted but not yet committed."""
        with self._cond:
            return self._waiting

    def health(self) -> WriterHealth:
        with self._cond:
            alive = self._thread.is_alive() and (self._normaliser.is_alive() or self._closed)
            return WriterHealth(
                alive=alive,
                failing=(
                    not alive
                    or self._transient_failure
                    or self._refusals_in_a_row >= REFUSALS_BEFORE_FAILING
                ),
                last_commit_at=self._last_commit_at,
                last_error=self._last_error,
                last_error_at=self._last_error_at,
                refused=self._refused,
            )

    def submit(self, flat: FlatRequest, *, source: str) -> Future[IngestResult]:
        """One request's spans, to be normalised with the group they join."""
        size = flat.spans.num_rows
        future: Future[IngestResult] = Future()
        with self._cond:
            if self._closed:
                raise QueueClosedError("the server is shutting down")
            if self._waiting and self._waiting + size > self._max_waiting:
                raise BackpressureError(self._waiting, self._retry_after_s())
            self._items.append(_Item(flat, size, source, future))
            self._waiting += size
            # Both threads wait on this condition (the normaliser for requests, the writer
            # for groups): wake both, or the normaliser may sleep through a request.
            self._cond.notify_all()
        return future

    @contextmanager
    def arriving(self) -> Iterator[None]:
        """Around the decoding of a request that is to be submitted: the normaliser waits
        for it up to ``max_arrival_wait_s`` before it takes a group without it."""
        with self._cond:
            self._arriving += 1
        try:
            yield
        finally:
            with self._cond:
                self._arriving -= 1
                self._cond.notify_all()

    def retry_after_s(self) -> int:
        """Seconds a sender should wait now: grows with what is waiting."""
        with self._cond:
            return self._retry_after_s()

    def _retry_after_s(self) -> int:
        # About how long the writer needs for what is waiting, so senders spread out.
        return max(1, min(_MAX_RETRY_AFTER_S, self._waiting // _ASSUMED_SPANS_PER_S + 1))

    def _take_group(self) -> list[_Item] | None:
        """Wait for work; then up to ``max_group_spans`` spans, once that many wait or the
        first has waited ``max_group_wait_s``, and requests being decoded have arrived
        (``max_arrival_wait_s`` at most). By default a group is what arrived while the last
        one was normalised and written, with the requests that were being decoded then."""
        with self._cond:
            while not self._items and not self._closed:
                self._cond.wait()
            if not self._items:
                return None
            now = time.monotonic()
            deadline = now + self._max_wait_s
            # Requests being decoded now join this group rather than the next: one commit
            # for them all costs the writer and the normaliser less than one each, by more
            # than the wait (docs/decisions/0037-groups-wait-for-requests-being-decoded.md).
            arrival_deadline = now + self._max_arrival_wait_s
            while not self._closed and self._waiting < self._max_group:
                left = deadline - time.monotonic()
                if self._arriving:
                    left = max(left, arrival_deadline - time.monotonic())
                if left <= 0:
                    break
                self._cond.wait(left)
            group = [self._items.popleft()]
            size = group[0].spans
            while self._items and size + self._items[0].spans <= self._max_group:
                item = self._items.popleft()
                size += item.spans
                group.append(item)
            return group

    def _normalise_loop(self) -> None:
        """Take groups, normalise them, hand them to the writer (while fewer than
        ``max_group_spans`` spans wait for it: a bound on what is held normalised)."""
        try:
            while (group := self._take_group()) is not None:
                try:
                    prepared = self._prepare(group)
                except BaseException:  # never leave a future unresolved, whatever happened
                    log.exception("normalising failed unexpectedly; the group is failed")
                    self._fail(group, StoreError("the writer failed unexpectedly"))
                    self._release(group)
                    continue
                try:
                    with self._cond:
                        while _spans_of(self._prepared) >= self._max_group:
                            self._cond.wait()
                        self._prepared.extend(prepared)
                        self._cond.notify_all()
                finally:
                    # Summed now, while the writer inserts the calls: it waits for the
                    # sums only to append them (decision 0039).
                    for each in prepared:
                        if each.sums is not None:
                            each.sums.sum()
        finally:
            with self._cond:
                self._normalising = False
                self._cond.notify_all()

    def _write_loop(self) -> None:
        while (taken := self._take_prepared()) is not None:
            items = [item for group in taken for item, _, _ in group.writes]
            try:
                self._write_prepared(_joined(taken))
            except BaseException:  # never leave a future unresolved, whatever happened
                log.exception("the writer failed unexpectedly; the group is failed")
                self._fail(items, StoreError("the writer failed unexpectedly"))
            finally:
                self._release(items)
                with self._cond:
                    self._writing = False
                    self._cond.notify_all()
            self._upkeep()

    def _upkeep(self) -> None:
        """After the senders have their answers: the latency sketch's hours due to be sealed,
        and the store's checkpoint, if its log is due one (requests arriving meanwhile are
        decoded and normalised; their commit waits)."""
        try:
            self._store.seal_if_due()
        except Exception:  # the hours stay open: readers read their calls
            log.exception("sealing the latency sketch's hours failed unexpectedly")
        try:
            self._store.checkpoint_if_due()
        except Exception:  # the writer goes on; DuckDB checkpoints at its own threshold
            log.exception("checkpointing failed unexpectedly")

    def _take_prepared(self) -> list[_Prepared] | None:
        """Every normalised group waiting, up to ``max_group_spans`` spans (one at least),
        to be joined into one write (``_joined``, inside the writer's guard)."""
        with self._cond:
            while not self._prepared and self._normalising:
                self._cond.wait()
            if not self._prepared:
                return None
            taken = [self._prepared.popleft()]
            size = _spans_of(taken)
            while self._prepared:
                more = _spans_of([self._prepared[0]])
                if size + more > self._max_group:
                    break
                size += more
                taken.append(self._prepared.popleft())
            self._writing = True
            self._cond.notify_all()
        return taken

    def _release(self, items: list[_Item]) -> None:
        with self._cond:
            self._waiting -= sum(i.spans for i in items)

    def _prepare(self, group: list[_Item]) -> list[_Prepared]:
        """The group normalised at once; requests with an impossible span refused. If the
        group cannot be normalised, each request alone: one bad request fails alone."""
        try:
            return [self._normalised(group)]
        except Exception as exc:
            if len(group) == 1:
                self._settle_failure(group[0], exc)
                self._release(group)
                return []
            log.warning("normalising %d requests failed (%s); one by one", len(group),
                        _describe(exc))  # fmt: skip
        prepared: list[_Prepared] = []
        for item in group:
            try:
                prepared.append(self._normalised([item]))
            except Exception as one:
                self._settle_failure(item, one)
                self._release([item])
        return prepared

    def _normalised(self, group: list[_Item]) -> _Prepared:
        """The group's requests normalised at once; each request's batch in the group's
        order (a request with an impossible span is refused here)."""
        spans = pa.concat_tables(_numbered(item.flat.spans, number)
                                 for number, item in enumerate(group))  # fmt: skip
        batch = normalize_spans(spans, source=group[0].source, redact=self._redact)
        writes: list[tuple[_Item, Rejected, Batch]] = []
        for number, item in enumerate(group):
            problem = batch.problems.get(number)
            if problem is not None:  # the sender's data, not a failing writer
                if not item.future.done():
                    item.future.set_exception(WriteRefusedError(problem))
                self._release([item])
                continue
            rejected = batch.rejected.get(number, Rejected())
            if item.flat.not_genai:
                rejected.counts[NOT_GENAI] += item.flat.not_genai
            calls, verdicts = batch.calls_of(number), batch.verdicts_of(number)
            writes.append((item, rejected, Batch(calls, verdicts, item.source, rejected.total)))
        write, sums = self._prepared_write(writes)
        return _Prepared(writes, batch.hints, write, sums)

    def _prepared_write(
        self, writes: list[tuple[_Item, Rejected, Batch]]
    ) -> tuple[PreparedWrite | None, ComingSummaries | None]:
        """The group's calls conformed here, beside the writer, and their sums to be made
        (``ComingSummaries.sum``); None if that fails (the writer then does it itself, and
        meets the error if there is one)."""
        if not writes:
            return None, None
        try:
            return self._store.prepare_unsummed([batch for _, _, batch in writes])
        except Exception as exc:
            log.warning("preparing a write failed (%s); the writer does it", _describe(exc))
            return None, None

    def _write_prepared(self, prepared: _Prepared) -> None:
        """Store a normalised group in one transaction; if that fails, each request alone."""
        if not prepared.writes:
            return
        try:
            self._commit(prepared.writes, prepared.hints, prepared.write)
        except Exception as exc:
            if len(prepared.writes) == 1:
                self._settle_failure(prepared.writes[0][0], exc)
                return
            log.warning("write of %d requests failed (%s); writing them one by one",
                        len(prepared.writes), _describe(exc))  # fmt: skip
            for write in prepared.writes:
                try:
                    self._commit([write], prepared.hints)
                except Exception as one:
                    self._settle_failure(write[0], one)

    def _commit(
        self,
        writes: list[tuple[_Item, Rejected, Batch]],
        hints: pa.Table,
        prepared: PreparedWrite | None = None,
    ) -> None:
        results = self._store.write_many([batch for _, _, batch in writes], hints, prepared)
        with self._cond:
            self._transient_failure = False
            self._refusals_in_a_row = 0
            self._last_commit_at = datetime.now(UTC)
        for (item, rejected, _), result in zip(writes, results, strict=True):
            if result.calls_too_old:
                rejected.counts[BEFORE_RETENTION] += result.calls_too_old
            if not item.future.done():
                item.future.set_result(IngestResult(result, rejected))

    def _settle_failure(self, item: _Item, exc: Exception) -> None:
        reason = exc.reason if isinstance(exc, WriteRefusedError) else _describe(exc)
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
        elif isinstance(exc, WriteRefusedError):
            error = exc
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
        self._normaliser.join(max(0.0, deadline - time.monotonic()))
        self._thread.join(max(0.0, deadline - time.monotonic()))
        if not self._thread.is_alive():
            return True
        with self._cond:
            left = list(self._items)
            self._items.clear()
            for prepared in self._prepared:
                left += [item for item, _, _ in prepared.writes]
            self._prepared.clear()
            self._waiting -= sum(i.spans for i in left)
            self._cond.notify_all()
        self._fail(left, QueueClosedError("the server stopped before the batch was written"))
        if left:
            log.warning("%d requests were not written before the stop; senders retry", len(left))
        self._store.interrupt()  # a write still running is rolled back; its senders retry
        self._thread.join(2.0)
        return not self._thread.is_alive()


def _spans_of(groups: Iterable[_Prepared]) -> int:
    return sum(item.spans for group in groups for item, _, _ in group.writes)


def _joined(groups: list[_Prepared]) -> _Prepared:
    """Normalised groups as one: their requests in order, their hints together."""
    if len(groups) == 1:
        return groups[0]
    return _Prepared(
        [write for group in groups for write in group.writes],
        pa.concat_tables([group.hints for group in groups]),
        joined_writes([group.write for group in groups]),
    )


def _numbered(spans: pa.Table, number: int) -> pa.Table:
    column = spans.schema.get_field_index("request_no")
    return spans.set_column(
        column, "request_no", pa.repeat(pa.scalar(number, pa.int32()), spans.num_rows)
    )


def _describe(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    if len(text) > 300:
        text = text[:300] + "..."
    return f"{type(exc).__name__}: {text}" if not isinstance(exc, StoreError) else text
