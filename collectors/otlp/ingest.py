"""What an OTLP request becomes, whichever transport carried it.

Both front-ends, OTLP/HTTP (``receiver.py``) and OTLP/gRPC (``grpc_receiver.py``), read a
request their own way and hand it to one ``OtlpIngest``: ``admit`` takes it in, or refuses
it at once (starting, stopping, more requests in progress than the cap, counted over both
transports); ``store`` decodes and flattens it in an ingest worker process
(``workers.IngestWorkers``; without workers, in a thread), gives it to the ingest queue,
which normalises and commits it with the group it joins, and waits for the commit. The
answer is an
``Outcome``, classified here once:

- accepted (200), with the spans that are not model calls (OTLP partial success);
- permanent (400, 408, 413, 415): bad input, nothing stored, never retried;
- throttled (429): the ingest queue is full, come back after ``retry_after_s``;
- transient (503): starting, stopping, too many at once, an ingest worker that died, or
  the database cannot be written; come back after ``retry_after_s``.

Each front-end only translates it: an HTTP status with ``Retry-After``, or the gRPC code of
``GRPC_CODES`` with a ``google.rpc.RetryInfo``.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import uuid
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import Final

import anyio.to_thread
from google.rpc import code_pb2, status_pb2
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceResponse,
)

from collectors.genai.normalize import (
    BEFORE_RETENTION,
    IMPLAUSIBLE_START,
    NO_START,
    NOT_GENAI,
    OTHER_OPERATION,
    Rejected,
)
from collectors.otlp.decode import (
    DEFAULT_MAX_BODY_BYTES,
    BadPayloadError,
    decode_raw_attributes_request,
)
from collectors.otlp.flatten import FlatRequest, flatten_request
from collectors.otlp.workers import IngestWorkers, WorkerCrashedError
from collectors.queue import BackpressureError, IngestQueue, QueueClosedError, WriteRefusedError
from collectors.rows import SOURCE_OTLP
from lens_errors import BadInputError

log = logging.getLogger(__name__)

MAX_REASON_CHARS: Final = 512
ACCEPTED: Final = 200
# Seconds a sender is asked to wait while the server starts or stops.
RETRY_AFTER_STOPPING_S: Final = 5

# The OTLP specification's pairs: an OTLP/HTTP status and the gRPC code of the same answer.
GRPC_CODES: Final = {
    ACCEPTED: code_pb2.OK,
    400: code_pb2.INVALID_ARGUMENT,
    408: code_pb2.DEADLINE_EXCEEDED,
    413: code_pb2.INVALID_ARGUMENT,
    415: code_pb2.INVALID_ARGUMENT,
    429: code_pb2.RESOURCE_EXHAUSTED,
    503: code_pb2.UNAVAILABLE,
}

_NO_OPERATION: Final = "no gen_ai.operation.name"
_NO_START: Final = "no startTimeUnixNano"
_IMPLAUSIBLE: Final = "startTimeUnixNano before 2020 or more than a day ahead"


@dataclass
class ReceiverCounts:
    """One front-end's totals since start, for /healthz and the shutdown log line, and the
    requests it has in progress now."""

    requests: int = 0
    spans_stored: int = 0
    spans_duplicate: int = 0
    spans_rejected: int = 0
    bad_requests: int = 0
    throttled: int = 0
    _in_progress: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, **deltas: int) -> None:
        with self._lock:
            for name, delta in deltas.items():
                setattr(self, name, getattr(self, name) + delta)

    @property
    def in_progress(self) -> int:
        return self._in_progress

    def as_dict(self) -> dict[str, int]:
        with self._lock:
            return {k: v for k, v in vars(self).items() if not k.startswith("_")}


def total_counts(*counts: ReceiverCounts) -> dict[str, int]:
    """The totals of several front-ends, key by key."""
    total: dict[str, int] = {}
    for each in counts:
        for name, value in each.as_dict().items():
            total[name] = total.get(name, 0) + value
    return total


def decode_and_flatten(
    body: bytes, content_type: str | None, content_encoding: str | None, max_bytes: int
) -> FlatRequest:
    """The CPU part of a request: bytes to span columns (raises on bad input)."""
    request = decode_raw_attributes_request(
        body, content_type, content_encoding, max_bytes=max_bytes
    )
    return flatten_request(request)


def rejection_reasons(rejected: Rejected) -> list[str]:
    """Why spans of a request were not stored as calls, one short line per reason."""
    reasons: list[str] = []
    counts = rejected.counts
    if count := counts[NOT_GENAI]:
        what = "not a GenAI model call" if count == 1 else "not GenAI model calls"
        reasons.append(f"{_spans(count)} {what} ({_NO_OPERATION})")
    if count := counts[OTHER_OPERATION]:
        what = "a GenAI operation" if count == 1 else "GenAI operations"
        names = ", ".join(sorted(rejected.other_operations)[:5])
        more = ", ..." if len(rejected.other_operations) > 5 else ""
        reasons.append(f"{_spans(count)} {what} other than model calls ({names}{more})")
    if count := counts[NO_START]:
        what = "a model call" if count == 1 else "model calls"
        reasons.append(f"{_spans(count)} {what} without a start time ({_NO_START})")
    if count := counts[IMPLAUSIBLE_START]:
        what = "a model call" if count == 1 else "model calls"
        reasons.append(f"{_spans(count)} {what} dated implausibly ({_IMPLAUSIBLE})")
    if count := counts[BEFORE_RETENTION]:
        what = "a model call" if count == 1 else "model calls"
        reasons.append(f"{_spans(count)} {what} older than the lens keeps calls "
                       "(LENS_RETENTION_DAYS): not stored")  # fmt: skip
    return reasons


def _spans(count: int) -> str:
    return "1 span is" if count == 1 else f"{count} spans are"


@dataclass(frozen=True)
class Outcome:
    """The answer to one request, as its OTLP/HTTP status (see the module's classes)."""

    status: int
    reason: str = ""
    retry_after_s: int | None = None
    rejected: Rejected = field(default_factory=Rejected)

    @classmethod
    def refused(cls, status: int, reason: str, retry_after_s: int | None = None) -> Outcome:
        """A refusal; its reason quotes an excerpt of the input at most, never all of it."""
        if status == 503 and retry_after_s is None:
            retry_after_s = RETRY_AFTER_STOPPING_S
        if len(reason) > MAX_REASON_CHARS:
            reason = reason[: MAX_REASON_CHARS - 3] + "..."
        return cls(status, reason, retry_after_s)

    @property
    def accepted(self) -> bool:
        return self.status == ACCEPTED

    @property
    def grpc_code(self) -> int:
        """The same answer as a ``google.rpc.Code``."""
        return int(GRPC_CODES.get(self.status, code_pb2.UNKNOWN))

    def response(self) -> ExportTraceServiceResponse:
        """An accepted request's answer: the spans not stored as calls, with the reasons."""
        response = ExportTraceServiceResponse()
        if self.rejected.total:
            response.partial_success.rejected_spans = self.rejected.total
            response.partial_success.error_message = "; ".join(rejection_reasons(self.rejected))
        return response

    def status_message(self) -> status_pb2.Status:
        """A refusal as the ``google.rpc.Status`` the OTLP specification answers with."""
        return status_pb2.Status(code=self.grpc_code, message=self.reason)


class OtlpIngest:
    """The queue, the stop and the cap on requests in progress, shared by the front-ends;
    ``attach`` gives it the queue at start-up.

    ``store`` never raises: every failure becomes an ``Outcome`` (never a 500, and never a
    gRPC ``UNKNOWN`` or ``INTERNAL``), and ``begin_stop`` answers new requests at once.
    """

    def __init__(self) -> None:
        self._queue: IngestQueue | None = None
        self._workers: IngestWorkers | None = None
        self._max_bytes = DEFAULT_MAX_BODY_BYTES
        self._max_in_flight = 64
        self._in_flight = 0
        self._lock = threading.Lock()
        self._stopping = threading.Event()

    def attach(
        self,
        queue: IngestQueue,
        *,
        max_body_bytes: int,
        max_in_flight: int,
        workers: IngestWorkers | None = None,
    ) -> None:
        """``workers``: the processes that decode and flatten (None: a thread does it); the
        queue normalises either way."""
        self._queue = queue
        self._workers = workers
        self._max_bytes = max_body_bytes
        self._max_in_flight = max_in_flight
        self._stopping.clear()

    def begin_stop(self) -> None:
        """The server is stopping: new and unfinished requests are answered 503."""
        self._stopping.set()

    def detach(self) -> None:
        self._queue = None
        self._workers = None

    @property
    def max_bytes(self) -> int:
        """The largest request accepted, after decompression."""
        return self._max_bytes

    @property
    def in_flight(self) -> int:
        """Requests in progress over every transport."""
        return self._in_flight

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    def admit(self, counts: ReceiverCounts) -> Outcome | None:
        """Count a request and take it in: None when taken (``release`` it when answered),
        else the refusal to answer now."""
        counts.add(requests=1)
        queue = self._queue
        if queue is None or self._stopping.is_set():
            return Outcome.refused(503, "the lens server is starting or stopping")
        with self._lock:
            in_flight = self._in_flight
            if in_flight < self._max_in_flight:
                self._in_flight += 1
                counts.add(_in_progress=1)
                return None
        counts.add(throttled=1)
        reason = f"{in_flight} requests are in progress; the limit is {self._max_in_flight}"
        return Outcome.refused(503, reason, queue.retry_after_s())

    def release(self, counts: ReceiverCounts) -> None:
        with self._lock:
            self._in_flight -= 1
            counts.add(_in_progress=-1)

    async def store(
        self,
        counts: ReceiverCounts,
        body: bytes,
        content_type: str | None,
        content_encoding: str | None,
    ) -> Outcome:
        """Read the body (in an ingest worker process, else a thread), enqueue it, and
        wait for the commit."""
        arriving = self._queue.arriving() if self._queue is not None else nullcontext()
        try:
            with arriving:  # the next group waits for this request
                read = await self._read(body, content_type, content_encoding)
        except BadPayloadError as exc:
            counts.add(bad_requests=1)
            return Outcome.refused(exc.status, exc.reason)
        except WorkerCrashedError as exc:
            return Outcome.refused(503, str(exc), exc.retry_after_s)
        except _UnreadableError as exc:  # a request no rule foresaw: refused, never a 500
            counts.add(bad_requests=1)
            return _unreadable(exc.kind, exc.detail)
        except Exception as exc:
            counts.add(bad_requests=1)
            return _unreadable(type(exc).__name__, None)
        queue = self._queue
        if queue is None or self._stopping.is_set():
            return Outcome.refused(503, "the lens server is stopping")
        try:
            future = queue.submit(read, source=SOURCE_OTLP)
        except BackpressureError as exc:
            counts.add(throttled=1)
            return Outcome.refused(429, str(exc), exc.retry_after_s)
        except QueueClosedError as exc:
            return Outcome.refused(503, str(exc))
        try:
            result = await asyncio.wrap_future(future)
        except WriteRefusedError as exc:
            counts.add(bad_requests=1)
            return Outcome.refused(400, exc.reason)
        except QueueClosedError as exc:
            return Outcome.refused(503, str(exc))
        except Exception as exc:  # StoreError and anything else: the sender tries again
            return Outcome.refused(503, f"the batch was not stored: {exc}")
        counts.add(
            spans_stored=result.write.calls_inserted,
            spans_duplicate=result.write.calls_duplicate,
            spans_rejected=result.rejected.total,
        )
        return Outcome(ACCEPTED, rejected=result.rejected)

    async def _read(
        self, body: bytes, content_type: str | None, content_encoding: str | None
    ) -> FlatRequest:
        """The body as span columns, decoded and flattened by an ingest worker process (or
        a thread without workers); raises what refuses it."""
        workers = self._workers
        if workers is None:
            return await anyio.to_thread.run_sync(
                decode_and_flatten, body, content_type, content_encoding, self._max_bytes
            )
        work = workers.submit(body, content_type, content_encoding, self._max_bytes)
        try:
            answer = await asyncio.wrap_future(work)
        except asyncio.CancelledError:  # the request stopped waiting: its answer is unread
            if work.done() and not work.cancelled() and work.exception() is None:
                work.result().discard()
            raise
        if answer.refusal is not None:
            status, reason = answer.refusal
            raise BadPayloadError(reason, status)
        if answer.unreadable is not None:
            kind, _, detail = answer.unreadable.partition("\n")
            raise _UnreadableError(kind, detail)
        return answer.flat()


class _UnreadableError(BadInputError):
    """A worker met an error no rule foresaw while reading a request: a bad input (400)."""

    def __init__(self, kind: str, detail: str) -> None:
        super().__init__(
            f"the request could not be read ({kind})",
            "check the exporter's OTLP encoding; the server log has the details",
        )
        self.kind = kind
        self.detail = detail


def _unreadable(kind: str, detail: str | None) -> Outcome:
    """The 400 of a request no rule foresaw, logged with an id the answer names."""
    error_id = uuid.uuid4().hex[:12]
    if detail is None:
        log.warning("request %s could not be read", error_id, exc_info=True)
    else:
        log.warning("request %s could not be read (in an ingest worker):\n%s", error_id, detail)
    return Outcome.refused(400, f"the request could not be read ({kind}; error id {error_id})")
