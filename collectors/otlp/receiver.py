"""OTLP/HTTP trace receiver: ``POST /v1/traces``.

method, media type, encoding, size -> decode -> normalize -> enqueue -> 200 after commit.
Every failure is classified once: permanent (400/413/415, nothing stored, never retried),
resource exhausted (429 + Retry-After), transient (503 + Retry-After). Error bodies are a
``google.rpc.Status`` in the request's encoding, as the OTLP specification asks.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from dataclasses import dataclass, field

from google.protobuf import json_format
from google.rpc import code_pb2, status_pb2
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response

from collectors.otlp.decode import JSON, PROTOBUF, BadPayloadError, decode_export_request
from collectors.otlp.decode import media_type as media_type_of
from collectors.otlp.normalize import InvalidSpanError, normalize_export_request
from collectors.queue import BackpressureError, IngestQueue, QueueClosedError
from collectors.rows import NormalizedBatch
from collectors.store import StoreError

log = logging.getLogger(__name__)

_GRPC_CODE = {
    400: code_pb2.INVALID_ARGUMENT,
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


def decode_and_normalize(
    body: bytes, content_type: str | None, content_encoding: str | None, max_bytes: int
) -> NormalizedBatch:
    """The CPU part of a request: bytes to canonical rows (raises on bad input)."""
    request: ExportTraceServiceRequest = decode_export_request(
        body, content_type, content_encoding, max_bytes=max_bytes
    )
    return normalize_export_request(request, source="otlp")


class OtlpReceiver:
    """The ``POST /v1/traces`` endpoint; ``attach`` gives it the queue at start-up."""

    def __init__(self) -> None:
        self._queue: IngestQueue | None = None
        self._max_bytes = 16 * 1024 * 1024
        self.counts = ReceiverCounts()

    def attach(self, queue: IngestQueue, *, max_body_bytes: int) -> None:
        self._queue = queue
        self._max_bytes = max_body_bytes

    def detach(self) -> None:
        self._queue = None

    async def handle(self, request: Request) -> Response:
        self.counts.add(requests=1)
        content_type = request.headers.get("content-type")
        reply_json = media_type_of(content_type) != PROTOBUF
        queue = self._queue
        if queue is None:
            return _status(503, "the lens server is starting or stopping", reply_json, 1)
        try:
            body = await self._read_body(request)
            batch = await run_in_threadpool(
                decode_and_normalize,
                body,
                content_type,
                request.headers.get("content-encoding"),
                self._max_bytes,
            )
        except BadPayloadError as exc:
            self.counts.add(bad_requests=1)
            return _status(exc.status, exc.reason, reply_json)
        except InvalidSpanError as exc:
            self.counts.add(bad_requests=1)
            return _status(400, str(exc), reply_json)
        except ClientDisconnect:
            return Response(status_code=400)
        try:
            future = queue.submit(batch, source="otlp")
        except BackpressureError as exc:
            self.counts.add(throttled=1)
            return _status(429, str(exc), reply_json, exc.retry_after_s)
        except QueueClosedError as exc:
            return _status(503, str(exc), reply_json, 5)
        try:
            result = await asyncio.wrap_future(future)
        except StoreError as exc:
            return _status(503, f"the batch was not stored: {exc}", reply_json, 5)
        self.counts.add(
            spans_stored=result.calls_inserted,
            spans_duplicate=result.calls_duplicate,
            spans_rejected=batch.rejected,
        )
        return _success(batch, reply_json)

    async def refuse_method(self, request: Request) -> Response:
        """Anything but POST on the OTLP path (else the dashboard's catch-all would answer)."""
        response = _status(405, f"{request.method} is not allowed; POST OTLP data here", True)
        response.headers["Allow"] = "POST"
        return response

    async def _read_body(self, request: Request) -> bytes:
        # The wire limit is the decompressed limit: compressed bodies only shrink.
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > self._max_bytes:
            raise BadPayloadError(f"body is {declared} bytes; the limit is {self._max_bytes}", 413)
        chunks: list[bytes] = []
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > self._max_bytes:
                raise BadPayloadError(f"body exceeds the limit of {self._max_bytes} bytes", 413)
            chunks.append(chunk)
        return b"".join(chunks)


def _success(batch: NormalizedBatch, reply_json: bool) -> Response:
    response = ExportTraceServiceResponse()
    if batch.rejected:
        response.partial_success.rejected_spans = batch.rejected
        response.partial_success.error_message = "; ".join(batch.rejection_reasons)
    if reply_json:
        text = json_format.MessageToJson(response, indent=None)
        return Response(text, 200, media_type=JSON)
    return Response(response.SerializeToString(), 200, media_type=PROTOBUF)


def _status(
    code: int, message: str, reply_json: bool, retry_after_s: int | None = None
) -> Response:
    status = status_pb2.Status(code=_GRPC_CODE.get(code, code_pb2.UNKNOWN), message=message)
    headers = {"Retry-After": str(retry_after_s)} if retry_after_s is not None else None
    if reply_json:
        text = json_format.MessageToJson(status, indent=None)
        return Response(text, code, headers=headers, media_type=JSON)
    return Response(status.SerializeToString(), code, headers=headers, media_type=PROTOBUF)
