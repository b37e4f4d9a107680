"""An HTTP transport that adds Azure's view of a call to the instrumentation's span.

``opentelemetry-instrumentation-openai-v2`` makes the call's span current while the
``openai`` client sends the request, so the transport finds it with
``trace.get_current_span()`` and records what only the wire shows (``azure_wire``).
Non-streamed answers are read whole (their raw bytes are handed on unchanged); streamed
answers are read event by event as the application consumes them, also when a gateway sends
them without ``Content-Type: text/event-stream`` (their first bytes tell).

Never breaks the caller: every step is guarded, and a failure of ours is recorded on the
span as ``azure.openai.telemetry.error`` instead of being raised (``failures``).
"""

from __future__ import annotations

import gzip
import time
import zlib
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from functools import partial
from typing import Any

import httpx2
from opentelemetry import trace

from aoai_client import azure_wire, route
from aoai_client.context import current_call_context, current_capture
from aoai_client.failures import record_failure
from aoai_client.prompt_prefix import prompt_prefix_hash


class CallRecorder:
    """What one request (one attempt) adds to its span."""

    def __init__(
        self,
        span: trace.Span,
        deployment_types: Mapping[str, str],
        prefix_key: bytes | None = None,
    ) -> None:
        self.span = span
        self.deployment_types = deployment_types
        self.prefix_key = prefix_key
        self.started_at = time.perf_counter()
        self.asks_for_stream = False
        self.status = 0
        self.kind = "body"  # how the answer is read: see answer_kind
        self.content_type = ""
        self.stream_reader: azure_wire.StreamReader | None = None
        self.head = b""  # an untyped answer's first bytes, until they show what it is
        self.body: bytes | None = None  # an untyped answer found to be a whole body
        self.finished = False
        self.capture = current_capture()
        if self.capture is not None:
            context = span.get_span_context()
            self.capture.trace_id, self.capture.span_id = context.trace_id, context.span_id

    def guarded(self, what: str, step: Callable[[], None]) -> None:
        try:
            step()
        except Exception as error:  # never raise into the application
            record_failure(self.span, what, error)

    def set(self, attrs: Mapping[str, Any]) -> None:
        if attrs:
            self.span.set_attributes(attrs)
            if self.capture is not None:
                self.capture.attributes.update(attrs)

    def on_request(self, request: httpx2.Request) -> None:
        context = current_call_context()
        body = request.content if isinstance(request.stream, httpx2.ByteStream) else b""
        self.asks_for_stream = azure_wire.asks_for_stream(body)
        self.set(
            azure_wire.request_attributes(
                str(request.url), body, self.deployment_types, context.tenant_id, context.end_user
            )
        )
        self.set(route.request_header_attributes(request.headers))
        if self.prefix_key and body:
            key = self.prefix_key
            self.guarded("prompt_prefix_hash", lambda: self.on_prompt(body, key))

    def on_prompt(self, body: bytes, key: bytes) -> None:
        digest = prompt_prefix_hash(body, key)
        if digest is not None:
            self.set({azure_wire.PROMPT_PREFIX_HASH: digest})

    def on_headers(self, response: httpx2.Response) -> None:
        self.status = response.status_code
        self.set(azure_wire.header_attributes(response.status_code, response.headers))
        routed = route.routing_attributes(response.headers)
        self.set(routed)
        self.set(route.spilled_deployment(routed, self.deployment_types))

    def answer_kind(self, response: httpx2.Response) -> str:
        """How the answer is read: ``stream`` (event by event as the application reads it),
        ``untyped`` (the answer to a stream request, without a stream's content type: its
        first bytes say whether it is a stream) or ``body`` (whole, before it is handed on)."""
        self.content_type = response.headers.get("content-type", "")
        encoding = response.headers.get("content-encoding", "identity")
        if self.content_type.startswith("text/event-stream"):
            self.kind = "stream"
        elif (
            self.asks_for_stream
            and response.status_code < 400
            and "json" not in self.content_type
            and encoding in ("", "identity")
        ):
            self.kind = "untyped"
        return self.kind

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
        if self.kind == "untyped":
            unread.insert(0, azure_wire.untyped_stream_note(self.content_type))
        self.set(attrs)
        if unread:
            self.set({azure_wire.UNREAD: unread})

    def on_untyped_bytes(self, data: bytes) -> None:
        """A stream unless its first bytes open a JSON document (then a whole body)."""
        if self.body is not None:
            self.body += data
        elif self.stream_reader is not None:
            self.on_stream_bytes(data)
        else:
            self.head += data
            first = self.head.lstrip()[:1]
            if first in (b"{", b"["):
                self.body, self.head = self.head, b""
            elif first:
                head, self.head = self.head, b""
                self.on_stream_bytes(head)

    def on_untyped_end(self) -> None:
        if self.stream_reader is not None:
            self.on_stream_end()
        elif not self.finished:
            self.finished = True
            self.on_body(self.status, self.head if self.body is None else self.body, "")


def _decoded(raw: bytes, encoding: str) -> bytes:
    if encoding == "gzip":
        return gzip.decompress(raw)
    if encoding == "deflate":
        return zlib.decompress(raw)
    return raw


class _Tap:
    """What a tapped answer's bytes and end are handed to."""

    def __init__(self, recorder: CallRecorder) -> None:
        self.recorder = recorder
        untyped = recorder.kind == "untyped"
        self.on_bytes = recorder.on_untyped_bytes if untyped else recorder.on_stream_bytes
        self.on_end = recorder.on_untyped_end if untyped else recorder.on_stream_end

    def chunk(self, data: bytes) -> None:
        self.recorder.guarded("stream", partial(self.on_bytes, data))

    def end(self) -> None:
        self.recorder.guarded("stream end", self.on_end)


class _TappedStream(httpx2.SyncByteStream):
    def __init__(self, inner: httpx2.SyncByteStream, tap: _Tap) -> None:
        self.inner, self.tap = inner, tap

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self.inner:
            self.tap.chunk(chunk)
            yield chunk
        self.tap.end()

    def close(self) -> None:
        self.tap.end()
        self.inner.close()


class _AsyncTappedStream(httpx2.AsyncByteStream):
    def __init__(self, inner: httpx2.AsyncByteStream, tap: _Tap) -> None:
        self.inner, self.tap = inner, tap

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self.inner:
            self.tap.chunk(chunk)
            yield chunk
        self.tap.end()

    async def aclose(self) -> None:
        self.tap.end()
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
        prefix_key: bytes | None = None,
    ) -> None:
        self.inner = inner or httpx2.HTTPTransport()
        self.deployment_types = dict(deployment_types or {})
        self.prefix_key = prefix_key

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        span = trace.get_current_span()
        if not span.is_recording():
            return self.inner.handle_request(request)
        recorder = CallRecorder(span, self.deployment_types, self.prefix_key)
        recorder.guarded("request", lambda: recorder.on_request(request))
        response = self.inner.handle_request(request)
        recorder.guarded("headers", lambda: recorder.on_headers(response))
        kind = recorder.answer_kind(response)
        if kind != "body" and isinstance(response.stream, httpx2.SyncByteStream):
            return _rebuilt(response, stream=_TappedStream(response.stream, _Tap(recorder)))
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
        prefix_key: bytes | None = None,
    ) -> None:
        self.inner = inner or httpx2.AsyncHTTPTransport()
        self.deployment_types = dict(deployment_types or {})
        self.prefix_key = prefix_key

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        span = trace.get_current_span()
        if not span.is_recording():
            return await self.inner.handle_async_request(request)
        recorder = CallRecorder(span, self.deployment_types, self.prefix_key)
        recorder.guarded("request", lambda: recorder.on_request(request))
        response = await self.inner.handle_async_request(request)
        recorder.guarded("headers", lambda: recorder.on_headers(response))
        kind = recorder.answer_kind(response)
        if kind != "body" and isinstance(response.stream, httpx2.AsyncByteStream):
            return _rebuilt(response, stream=_AsyncTappedStream(response.stream, _Tap(recorder)))
        raw = b"".join([chunk async for chunk in response.aiter_raw()])
        await response.aclose()
        encoding = response.headers.get("content-encoding", "")
        recorder.guarded("body", lambda: recorder.on_body(response.status_code, raw, encoding))
        return _rebuilt(response, content=raw)

    async def aclose(self) -> None:
        await self.inner.aclose()
