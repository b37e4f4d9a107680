"""One chat stream read as the caller sees it, by the bare ``openai`` client and by ours.

The bare client is ``openai.AzureOpenAI`` (or ``AsyncAzureOpenAI``) on a plain httpx2
transport, read while nothing is instrumented; ours is ``build_client`` (or
``build_async_client``) under ``configure_telemetry``, the real OpenAI instrumentation and
SDK, its finished spans kept in memory. ``Seen`` is what the caller got: every chunk as
``model_dump``, then the exception (type and message) if one was raised.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import httpx2
import openai
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from pydantic import BaseModel

from aoai_client import (
    ClientConfig,
    TelemetryConfig,
    build_async_client,
    build_client,
    configure_telemetry,
)
from aoai_client.telemetry import current_telemetry
from tests.fakes.raw_answers import RawAnswer, RawAnswerServer

API_VERSION = "2024-10-21"
ASK: dict[str, Any] = {
    "model": "odd-deployment",
    "messages": [{"role": "user", "content": "hi"}],
    "stream": True,
}


@dataclass(frozen=True)
class Seen:
    chunks: tuple[Any, ...]
    raised: str | None


def dump(chunk: object) -> Any:
    return chunk.model_dump(warnings=False) if isinstance(chunk, BaseModel) else chunk


def read(client: openai.AzureOpenAI) -> Seen:
    """Read one stream to its end with ``client``, then close the client."""
    chunks: list[Any] = []
    with client:
        try:
            for chunk in client.chat.completions.create(**ASK):
                chunks.append(dump(chunk))
        except Exception as error:
            return Seen(tuple(chunks), f"{type(error).__name__}: {error}")
    return Seen(tuple(chunks), None)


def read_async(client: openai.AsyncAzureOpenAI) -> Seen:
    """Read one stream to its end with ``client`` in its own event loop, then close it."""

    async def consume() -> Seen:
        chunks: list[Any] = []
        async with client:
            try:
                async for chunk in await client.chat.completions.create(**ASK):
                    chunks.append(dump(chunk))
            except Exception as error:
                return Seen(tuple(chunks), f"{type(error).__name__}: {error}")
        return Seen(tuple(chunks), None)

    return asyncio.run(consume())


def bare_client(url: str) -> openai.AzureOpenAI:
    return openai.AzureOpenAI(
        azure_endpoint=url,
        api_key="k",
        api_version=API_VERSION,
        max_retries=0,
        http_client=openai.DefaultHttpxClient(transport=httpx2.HTTPTransport()),
    )


def bare_async_client(url: str) -> openai.AsyncAzureOpenAI:
    return openai.AsyncAzureOpenAI(
        azure_endpoint=url,
        api_key="k",
        api_version=API_VERSION,
        max_retries=0,
        http_client=openai.DefaultAsyncHttpxClient(transport=httpx2.AsyncHTTPTransport()),
    )


def our_config(url: str) -> ClientConfig:
    return ClientConfig(endpoint=url, api_key="k", api_version=API_VERSION, max_retries=0)


class Instrumented:
    """``configure_telemetry`` for one block, its finished spans kept in memory."""

    def __init__(self) -> None:
        self.memory = InMemorySpanExporter()

    def __enter__(self) -> Instrumented:
        assert current_telemetry() is None, "another test left telemetry configured"
        self.telemetry = configure_telemetry(TelemetryConfig(service_name="stream-shapes"))
        self.telemetry.add_span_processor(SimpleSpanProcessor(self.memory))
        return self

    def __exit__(self, *_: object) -> None:
        self.telemetry.shutdown()

    def spans(self) -> tuple[ReadableSpan, ...]:
        return self.memory.get_finished_spans()


def read_both(
    server: RawAnswerServer, answer: RawAnswer, asynchronous: bool = False
) -> tuple[Seen, Seen, tuple[ReadableSpan, ...]]:
    """``answer`` read by the bare client and by ours; the spans ours ended."""
    server.answer = answer
    if asynchronous:
        bare = read_async(bare_async_client(server.url))
    else:
        bare = read(bare_client(server.url))
    with Instrumented() as instrumented:
        if asynchronous:
            ours = read_async(build_async_client(our_config(server.url)))
        else:
            ours = read(build_client(our_config(server.url)))
    return bare, ours, instrumented.spans()


def attributes(span: ReadableSpan) -> dict[str, Any]:
    return dict(span.attributes or {})
