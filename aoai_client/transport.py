"""An HTTP transport that adds Azure's view of a call to the instrumentation's span.

``opentelemetry-instrumentation-openai-v2`` makes the call's span current while the
``openai`` client sends the request, so the transport finds it with
``trace.get_current_span()`` and records what only the wire shows (``azure_wire``).
Non-streamed answers are read whole (their raw bytes are handed on unchanged); streamed
answers are read event by event as the application consumes them.

Never breaks the caller: every step is guarded, and a failure of ours is recorded on the
span as ``azure.openai.telemetry.error`` instead of being raised.
"""

from __future__ import annotations

import gzip
import logging
import time
import zlib
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from functools import partial
from typing import Any

import httpx2
from opentelemetry import trace

from aoai_client import azure_wire
from aoai_client.context import current_call_context, current_capture

log = logging.getLogger(__name__)


class CallRecorder:
    """What one request (one attempt) adds to its span."""

    def __init__(self, span: trace.Span, deployment_types: Mapping[str, str]) -> None:
        self.span = span
        self.deployment_types = deployment_types
        self.started_at = time.perf_counter()
        self.stream_reader: azure_wire.StreamReader | None = None
        self.finished = False
        self.capture = current_capture()
        if self.capture is not None:
            context = span.get_span_context()
            self.capture.trace_id, self.capture.span_id = context.trace_id, context.span_id

    def guarded(self, what: str, step: Callable[[], None]) -> None:
        try:
            step()
        except Exception as error:  # never raise into the application
            log.debug("telemetry step %s failed", what, exc_info=True)
            self.set({azure_wire.TELEMETRY_ERROR: f"{what}: {type(error).__name__}: {error}"})

    def set(self, attrs: Mapping[str, Any]) -> None:
        if attrs:
            self.span.set_attributes(attrs)
            if self.capture is not None:
                self.capture.attributes.update(attrs)

    def on_request(self, request: httpx2.Request) -> None:
        context = current_call_context()
        body = request.content if isinstance(request.stream, httpx2.ByteStream) else b""
        self.set(
            azure_wire.request_attributes(
                str(request.url), body, self.deployment_types, context.tenant_id, context.end_user
            )
        )

    def on_headers(self, response: httpx2.Response) -> None:
        self.set(azure_wire.header_attributes(response.status_code, response.headers))

    def on_body(self, status: int, raw: bytes, encoding: str) -> None:
        attrs, unread = azure_wire.body_attributes(status, _decoded(raw, encoding))
        self.set(attrs)
        if unread:
            self.set({azure_wire.UNREAD: unread})

    def on_stream_bytes(self, data: bytes) -> None:
        if self.finished:
            return
        if self.stream_reader is None:
            self.stream_reader = azure_wire.StreamReader()
        self.stream_reader.feed_bytes(data, time.perf_counter())
        if self.stream_reader.done:
            self.on_stream_end()

    def on_stream_end(self) -> None:
        """Record what the stream said; called at ``[DONE]`` and again (no-op) at close."""
        if self.finished or self.stream_reader is None:
            return
        self.finished = True
        attrs, unread = self.stream_reader.attributes(self.started_at)
        self.set(attrs)
        if unread:
            self.set({azure_wire.UNREAD: unread})


def _decoded(raw: bytes, encoding: str) -> bytes:
    if encoding == "gzip":
        return gzip.decompress(raw)
    if encoding == "deflate":
        return zlib.decompress(raw)
    return raw


def _is_stream(response: httpx2.Response) -> bool:
    return response.headers.get("content-type", "").startswith("text/event-stream")


class _TappedStream(httpx2.SyncByteStream):
    def __init__(self, inner: httpx2.SyncByteStream, recorder: CallRecorder) -> None:
        self.inner, self.recorder = inner, recorder

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self.inner:
            self.recorder.guarded("stream", partial(self.recorder.on_stream_bytes, chunk))
            yield chunk
        self.recorder.guarded("stream end", self.recorder.on_stream_end)

    def close(self) -> None:
        self.recorder.guarded("stream end", self.recorder.on_stream_end)
        self.inner.close()


class _AsyncTappedStream(httpx2.AsyncByteStream):
    def __init__(self, inner: httpx2.AsyncByteStream, recorder: CallRecorder) -> None:
        self.inner, self.recorder = inner, recorder

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self.inner:
            self.recorder.guarded("stream", partial(self.recorder.on_stream_bytes, chunk))
            yield chunk
        self.recorder.guarded("stream end", self.recorder.on_stream_end)

    async def aclose(self) -> None:
        self.recorder.guarded("stream end", self.recorder.on_stream_end)
        await self.inner.aclose()


def _rebuilt(response: httpx2.Response, **content: Any) -> httpx2.Response:
    return httpx2.Response(
        status_code=response.status_code,
        headers=response.headers,
        extensions=response.extensions,
        **content,
    )


class AzureTelemetryTransport(httpx2.BaseTransport):
    """Wraps a transport (default ``httpx2.HTTPTransport``) of a synchronous client."""

    def __init__(
        self,
        inner: httpx2.BaseTransport | None = None,
        deployment_types: Mapping[str, str] | None = None,
    ) -> None:
        self.inner = inner or httpx2.HTTPTransport()
        self.deployment_types = dict(deployment_types or {})

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        span = trace.get_current_span()
        if not span.is_recording():
            return self.inner.handle_request(request)
        recorder = CallRecorder(span, self.deployment_types)
        recorder.guarded("request", lambda: recorder.on_request(request))
        response = self.inner.handle_request(request)
        recorder.guarded("headers", lambda: recorder.on_headers(response))
        if _is_stream(response) and isinstance(response.stream, httpx2.SyncByteStream):
            return _rebuilt(response, stream=_TappedStream(response.stream, recorder))
        raw = b"".join(response.iter_raw())
        response.close()
        encoding = response.headers.get("content-encoding", "")
        recorder.guarded("body", lambda: recorder.on_body(response.status_code, raw, encoding))
        return _rebuilt(response, content=raw)

    def close(self) -> None:
        self.inner.close()


class AsyncAzureTelemetryTransport(httpx2.AsyncBaseTransport):
    """Wraps a transport (default ``httpx2.AsyncHTTPTransport``) of an asyncio client."""

    def __init__(
        self,
        inner: httpx2.AsyncBaseTransport | None = None,
        deployment_types: Mapping[str, str] | None = None,
    ) -> None:
        self.inner = inner or httpx2.AsyncHTTPTransport()
        self.deployment_types = dict(deployment_types or {})

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        span = trace.get_current_span()
        if not span.is_recording():
            return await self.inner.handle_async_request(request)
        recorder = CallRecorder(span, self.deployment_types)
        recorder.guarded("request", lambda: recorder.on_request(request))
        response = await self.inner.handle_async_request(request)
        recorder.guarded("headers", lambda: recorder.on_headers(response))
        if _is_stream(response) and isinstance(response.stream, httpx2.AsyncByteStream):
            return _rebuilt(response, stream=_AsyncTappedStream(response.stream, recorder))
        raw = b"".join([chunk async for chunk in response.aiter_raw()])
        await response.aclose()
        encoding = response.headers.get("content-encoding", "")
        recorder.guarded("body", lambda: recorder.on_body(response.status_code, raw, encoding))
        return _rebuilt(response, content=raw)

    async def aclose(self) -> None:
        await self.inner.aclose()
