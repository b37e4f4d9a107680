"""OTLP/HTTP trace receiver: ``POST /v1/traces``.

method, media type, encoding, size -> decode -> flatten -> normalise (in an ingest worker
process, else the queue normalises) -> enqueue (the writer stores) -> 200 after commit. The
path after the body is read is shared with OTLP/gRPC (``ingest.OtlpIngest``), and so is its
classification: permanent (400/413/415, nothing stored, never retried), resource exhausted
(429 + Retry-After), transient (503 + Retry-After); a body that does not arrive within its
deadline is a 408. Error bodies are a ``google.rpc.Status`` in the request's encoding, as
the OTLP specification asks, quoting at most a short excerpt.
"""

from __future__ import annotations

import asyncio

from google.protobuf import json_format
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response

from collectors.otlp.decode import JSON, PROTOBUF, BadPayloadError
from collectors.otlp.decode import media_type as media_type_of
from collectors.otlp.ingest import OtlpIngest, Outcome, ReceiverCounts
from collectors.otlp.workers import IngestWorkers
from collectors.queue import IngestQueue


class OtlpReceiver:
    """The ``POST /v1/traces`` endpoint; ``attach`` gives it (and the ``ingest`` it shares
    with OTLP/gRPC) the queue at start-up.

    Every request gets an answer: a 4xx with a reason for bad input, 429/503 with
    Retry-After when it should come back later, never a 500 and never a hang (body reads
    have a deadline, requests in progress have a cap, and ``begin_stop`` answers waiting
    requests at once).
    """

    def __init__(self, ingest: OtlpIngest | None = None) -> None:
        self.ingest = ingest or OtlpIngest()
        self._body_timeout_s = 30.0
        self.counts = ReceiverCounts()

    def attach(
        self,
        queue: IngestQueue,
        *,
        max_body_bytes: int,
        body_timeout_s: float = 30.0,
        max_in_flight: int = 64,
        workers: IngestWorkers | None = None,
    ) -> None:
        self.ingest.attach(
            queue, max_body_bytes=max_body_bytes, max_in_flight=max_in_flight, workers=workers
        )
        self._body_timeout_s = body_timeout_s

    def begin_stop(self) -> None:
        """The server is stopping: new and unfinished requests, over either transport, are
        answered 503."""
        self.ingest.begin_stop()

    def detach(self) -> None:
        self.ingest.detach()

    @property
    def in_flight(self) -> int:
        """OTLP/HTTP requests in progress."""
        return self.counts.in_progress

    @property
    def stopping(self) -> bool:
        return self.ingest.stopping

    async def handle(self, request: Request) -> Response:
        reply_json = media_type_of(request.headers.get("content-type")) != PROTOBUF
        refusal = self.ingest.admit(self.counts)
        if refusal is not None:
            return _answer(refusal, reply_json)
        try:
            return await self._handle(request, reply_json)
        finally:
            self.ingest.release(self.counts)

    async def _handle(self, request: Request, reply_json: bool) -> Response:
        try:
            body = await asyncio.wait_for(self._read_body(request), self._body_timeout_s)
        except TimeoutError:
            self.counts.add(bad_requests=1)
            reason = f"the body did not arrive within {self._body_timeout_s:g} s"
            return _answer(Outcome.refused(408, reason), reply_json)
        except BadPayloadError as exc:
            if exc.status != 503:
                self.counts.add(bad_requests=1)
            return _answer(Outcome.refused(exc.status, exc.reason), reply_json)
        except ClientDisconnect:
            return Response(status_code=400)
        outcome = await self.ingest.store(
            self.counts,
            body,
            request.headers.get("content-type"),
            request.headers.get("content-encoding"),
        )
        return _answer(outcome, reply_json)

    async def refuse_method(self, request: Request) -> Response:
        """Anything but POST on the OTLP path (else the dashboard's catch-all would answer)."""
        refusal = Outcome.refused(405, f"{request.method} is not allowed; POST OTLP data here")
        response = _answer(refusal, True)
        response.headers["Allow"] = "POST"
        return response

    async def _read_body(self, request: Request) -> bytes:
        # The wire limit is the decompressed limit: compressed bodies only shrink.
        max_bytes = self.ingest.max_bytes
        declared = request.headers.get("content-length")
        if (
            declared is not None
            and declared.isascii()
            and declared.isdigit()
            and (len(declared) > 12 or int(declared) > max_bytes)
        ):
            raise BadPayloadError(f"body is {declared[:20]} bytes; the limit is {max_bytes}", 413)
        chunks: list[bytes] = []
        size = 0
        async for chunk in request.stream():
            if self.ingest.stopping:
                raise BadPayloadError("the lens server is stopping", 503)
            size += len(chunk)
            if size > max_bytes:
                raise BadPayloadError(f"body exceeds the limit of {max_bytes} bytes", 413)
            chunks.append(chunk)
        return b"".join(chunks)


def _answer(outcome: Outcome, reply_json: bool) -> Response:
    """An outcome as OTLP/HTTP: the response or the ``google.rpc.Status``, in the request's
    encoding, with ``Retry-After`` when the sender should come back."""
    message = outcome.response() if outcome.accepted else outcome.status_message()
    headers = None
    if outcome.retry_after_s is not None:
        headers = {"Retry-After": str(outcome.retry_after_s)}
    if reply_json:
        text = json_format.MessageToJson(message, indent=None)
        return Response(text, outcome.status, headers=headers, media_type=JSON)
    body = message.SerializeToString()
    return Response(body, outcome.status, headers=headers, media_type=PROTOBUF)
