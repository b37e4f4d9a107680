"""OTLP/HTTP trace receiver: ``POST /v1/traces``.

method, media type, encoding, size -> decode -> flatten -> enqueue (the writer normalises and
stores) -> 200 after commit.
Every failure is classified once: permanent (400/413/415, nothing stored, never retried),
resource exhausted (429 + Retry-After), transient (503 + Retry-After); a body that does
not arrive within its deadline is a 408. Error bodies are a ``google.rpc.Status`` in the
request's encoding, as the OTLP specification asks, quoting at most a short excerpt.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import uuid
from dataclasses import dataclass, field
from typing import Final

from google.protobuf import json_format
from google.rpc import code_pb2, status_pb2
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response

from collectors.genai.normalize import (
    IMPLAUSIBLE_START,
    NO_START,
    NOT_GENAI,
    OTHER_OPERATION,
    Rejected,
)
from collectors.otlp.decode import JSON, PROTOBUF, BadPayloadError, decode_export_request
from collectors.otlp.decode import media_type as media_type_of
from collectors.otlp.flatten import FlatRequest, flatten_request
from collectors.queue import BackpressureError, IngestQueue, QueueClosedError, WriteRefusedError

log = logging.getLogger(__name__)

MAX_REASON_CHARS: Final = 512
_NO_OPERATION: Final = "no gen_ai.operation.name"
_NO_START: Final = "no startTimeUnixNano"
_IMPLAUSIBLE: Final = "startTimeUnixNano before 2020 or more than a day ahead"

_GRPC_CODE = {
    400: code_pb2.INVALID_ARGUMENT,
    408: code_pb2.DEADLINE_EXCEEDED,
    413: code_pb2.INVALID_ARGUMENT,
    415: code_pb2.INVALID_ARGUMENT,
    429: code_pb2.RESOURCE_EXHAUSTED,
    503: code_pb2.UNAVAILABLE,
}


@dataclass
class ReceiverCounts:
    """Totals since start, for /healthz and the shutdown log line."""

    requests: int = 0
    spans_stored: int = 0
    spans_duplicate: int = 0
    spans_rejected: int = 0
    bad_requests: int = 0
    throttled: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, **deltas: int) -> None:
        with self._lock:
            for name, delta in deltas.items():
                setattr(self, name, getattr(self, name) + delta)

    def as_dict(self) -> dict[str, int]:
        with self._lock:
            return {k: v for k, v in vars(self).items() if not k.startswith("_")}


def decode_and_flatten(
    body: bytes, content_type: str | None, content_encoding: str | None, max_bytes: int
) -> FlatRequest:
    """The CPU part of a request: bytes to span columns (raises on bad input)."""
    request: ExportTraceServiceRequest = decode_export_request(
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
    return reasons


def _spans(count: int) -> str:
    return "1 span is" if count == 1 else f"{count} spans are"


class OtlpReceiver:
    """The ``POST /v1/traces`` endpoint; ``attach`` gives it the queue at start-up.

    Every request gets an answer: a 4xx with a reason for bad input, 429/503 with
    Retry-After when it should come back later, never a 500 and never a hang (body reads
    have a deadline, requests in progress have a cap, and ``begin_stop`` answers waiting
    requests at once).
    """

    def __init__(self) -> None:
        self._queue: IngestQueue | None = None
        self._max_bytes = 16 * 1024 * 1024
        self._body_timeout_s = 30.0
        self._max_in_flight = 64
        self._in_flight = 0
        self._stopping = threading.Event()
        self.counts = ReceiverCounts()

    def attach(
        self,
        queue: IngestQueue,
        *,
        max_body_bytes: int,
        body_timeout_s: float = 30.0,
        max_in_flight: int = 64,
    ) -> None:
        self._queue = queue
        self._max_bytes = max_body_bytes
        self._body_timeout_s = body_timeout_s
        self._max_in_flight = max_in_flight
        self._stopping.clear()

    def begin_stop(self) -> None:
        """The server is stopping: new and unfinished requests are answered 503."""
        self._stopping.set()

    def detach(self) -> None:
        self._queue = None

    @property
    def in_flight(self) -> int:
        return self._in_flight

    @property
    def stopping(self) -> bool:
        return self._stopping.is_set()

    async def handle(self, request: Request) -> Response:
        self.counts.add(requests=1)
        reply_json = media_type_of(request.headers.get("content-type")) != PROTOBUF
        queue = self._queue
        if queue is None or self._stopping.is_set():
            return _status(503, "the lens server is starting or stopping", reply_json, 5)
        if self._in_flight >= self._max_in_flight:
            self.counts.add(throttled=1)
            reason = (
                f"{self._in_flight} requests are in progress; the limit is {self._max_in_flight}"
            )
            return _status(503, reason, reply_json, queue.retry_after_s())
        self._in_flight += 1
        try:
            return await self._handle(request, queue, reply_json)
        finally:
            self._in_flight -= 1

    async def _handle(self, request: Request, queue: IngestQueue, reply_json: bool) -> Response:
        try:
            body = await asyncio.wait_for(self._read_body(request), self._body_timeout_s)
        except TimeoutError:
            self.counts.add(bad_requests=1)
            reason = f"the body did not arrive within {self._body_timeout_s:g} s"
            return _status(408, reason, reply_json)
        except BadPayloadError as exc:
            self.counts.add(bad_requests=1)
            return _status(exc.status, exc.reason, reply_json)
        except ClientDisconnect:
            return Response(status_code=400)
        queue.expect()
        try:
            flat = await run_in_threadpool(
                decode_and_flatten,
                body,
                request.headers.get("content-type"),
                request.headers.get("content-encoding"),
                self._max_bytes,
            )
        except BadPayloadError as exc:
            queue.abandon()
            self.counts.add(bad_requests=1)
            return _status(exc.status, exc.reason, reply_json)
        except Exception as exc:  # a body no rule foresaw: refused, never a 500
            queue.abandon()
            self.counts.add(bad_requests=1)
            error_id = uuid.uuid4().hex[:12]
            log.warning("request %s could not be read", error_id, exc_info=True)
            reason = f"the request could not be read ({type(exc).__name__}; error id {error_id})"
            return _status(400, reason, reply_json)
        except BaseException:  # cancelled: the sender went away
            queue.abandon()
            raise
        if self._stopping.is_set():
            queue.abandon()
            return _status(503, "the lens server is stopping", reply_json, 5)
        try:
            future = queue.submit(flat, source="otlp", expected=True)
        except BackpressureError as exc:
            self.counts.add(throttled=1)
            return _status(429, str(exc), reply_json, exc.retry_after_s)
        except QueueClosedError as exc:
            return _status(503, str(exc), reply_json, 5)
        try:
            result = await asyncio.wrap_future(future)
        except WriteRefusedError as exc:
            self.counts.add(bad_requests=1)
            return _status(400, exc.reason, reply_json)
        except QueueClosedError as exc:
            return _status(503, str(exc), reply_json, 5)
        except Exception as exc:  # StoreError and anything else: the sender tries again
            return _status(503, f"the batch was not stored: {exc}", reply_json, 5)
        self.counts.add(
            spans_stored=result.write.calls_inserted,
            spans_duplicate=result.write.calls_duplicate,
            spans_rejected=result.rejected.total,
        )
        return _success(result.rejected, reply_json)

    async def refuse_method(self, request: Request) -> Response:
        """Anything but POST on the OTLP path (else the dashboard's catch-all would answer)."""
        response = _status(405, f"{request.method} is not allowed; POST OTLP data here", True)
        response.headers["Allow"] = "POST"
        return response

    async def _read_body(self, request: Request) -> bytes:
        # The wire limit is the decompressed limit: compressed bodies only shrink.
        declared = request.headers.get("content-length")
        if (
            declared is not None
            and declared.isascii()
            and declared.isdigit()
            and (len(declared) > 12 or int(declared) > self._max_bytes)
        ):
            raise BadPayloadError(
                f"body is {declared[:20]} bytes; the limit is {self._max_bytes}", 413
            )
        chunks: list[bytes] = []
        size = 0
        async for chunk in request.stream():
            if self._stopping.is_set():
                raise BadPayloadError("the lens server is stopping", 503)
            size += len(chunk)
            if size > self._max_bytes:
                raise BadPayloadError(f"body exceeds the limit of {self._max_bytes} bytes", 413)
            chunks.append(chunk)
        return b"".join(chunks)


def _success(rejected: Rejected, reply_json: bool) -> Response:
    response = ExportTraceServiceResponse()
    if rejected.total:
        response.partial_success.rejected_spans = rejected.total
        response.partial_success.error_message = "; ".join(rejection_reasons(rejected))
    if reply_json:
        text = json_format.MessageToJson(response, indent=None)
        return Response(text, 200, media_type=JSON)
    return Response(response.SerializeToString(), 200, media_type=PROTOBUF)


def _status(
    code: int, message: str, reply_json: bool, retry_after_s: int | None = None
) -> Response:
    if code == 503 and retry_after_s is None:
        retry_after_s = 5
    if len(message) > MAX_REASON_CHARS:  # an excerpt of the input at most, never all of it
        message = message[: MAX_REASON_CHARS - 3] + "..."
    status = status_pb2.Status(code=_GRPC_CODE.get(code, code_pb2.UNKNOWN), message=message)
    headers = {"Retry-After": str(retry_after_s)} if retry_after_s is not None else None
    if reply_json:
        text = json_format.MessageToJson(status, indent=None)
        return Response(text, code, headers=headers, media_type=JSON)
    return Response(status.SerializeToString(), code, headers=headers, media_type=PROTOBUF)
