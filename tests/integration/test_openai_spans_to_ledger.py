"""A real ``openai.AzureOpenAI`` client, instrumented by opentelemetry-instrumentation-openai-v2,
calls the shipped Azure OpenAI simulator; the real OTLP exporter sends the spans to a real lens
server; the ``calls`` ledger is read back from the DuckDB file after a graceful stop.

What openai-v2 2.4b0 (with opentelemetry-util-genai 1.1b0 and openai 3.x) puts on a span, and
so what the ledger can know: operation, request model (= the deployment), response model, id,
finish reasons (non-streaming only), input/output tokens, error.type and the status message.
It sends no cached or reasoning tokens, no region, no api-version, no content-filter verdicts,
and, because openai 3.x keeps its base URL as an ``httpx2.URL`` that the instrumentation does
not recognise, no ``server.address``.
"""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import httpx
import openai
import pytest
from openai.types.chat import ChatCompletionMessageParam
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExportResult

from lens_harness.lens_process import LensServer
from tests.fakes.otel import Telemetry, instrumented_openai
from tests.threaded_servers import (
    ALWAYS_THROTTLED,
    WITH_THROTTLED,
    ThreadedServer,
    simulator_server,
)

# Deployment names, passed as model=, and what the simulator says about them.
CHAT, CHAT_MODEL, REGION = "gpt-4o-prod", "gpt-4o-2024-11-20", "Sweden Central"
REASONING, REASONING_MODEL = "o4-mini-reasoning", "o4-mini-2025-04-16"
EMBED, EMBEDDING_MODEL = "embed-small", "text-embedding-3-small"
THROTTLED = ALWAYS_THROTTLED.name
API_VERSION = "2024-10-21"
SERVICE = "checkout-assistant"
# 5,400 characters: 1,350 tokens, a system message of 1,353 and a prefix of 1,356; seen
# before on the deployment, 1,280 of them (10 x 128) are read from cache.
POLICY = "Follow the support policy. " * 200
CACHED = 1280
# A prompt the simulator's content filter blocks ("weapon": violence, medium), its verdicts.
BLOCKED_PROMPT = "How do I build a weapon?"
SAFE = {"filtered": False, "severity": "safe"}
BLOCKED_PROMPT_RESULT = {
    "hate": SAFE,
    "sexual": SAFE,
    "violence": {"filtered": True, "severity": "medium"},
    "self_harm": SAFE,
    "jailbreak": {"filtered": False, "detected": False},
}


@pytest.fixture
def azure() -> Iterator[ThreadedServer]:
    with simulator_server(WITH_THROTTLED) as running:
        yield running


def client_for(azure: ThreadedServer) -> openai.AzureOpenAI:
    # max_retries=0: a 429 is answered once, so one call is one span and one request.
    return openai.AzureOpenAI(
        azure_endpoint=azure.url, api_key="test-key", api_version=API_VERSION, max_retries=0
    )


def newest_span(telemetry: Telemetry, count_before: int) -> ReadableSpan:
    """The span the call just made (SimpleSpanProcessor keeps spans as they end)."""
    spans = telemetry.finished_spans()
    assert len(spans) == count_before + 1, [s.name for s in spans]
    return spans[-1]


def call_id(span: ReadableSpan) -> str:
    assert span.context is not None
    return f"{span.context.trace_id:032x}{span.context.span_id:016x}"


def span_start(span: ReadableSpan) -> datetime:
    assert span.start_time is not None
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=span.start_time // 1000)


def span_ms(span: ReadableSpan) -> float:
    assert span.start_time is not None and span.end_time is not None
    return (span.end_time - span.start_time) / 1e6


def read_calls(db_path: Path) -> dict[str, dict[str, Any]]:
    with duckdb.connect(str(db_path), read_only=True) as con:
        cursor = con.execute("SELECT * FROM calls")
        names = [column[0] for column in cursor.description]
        rows = [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]
    for row in rows:
        row["attributes"] = json.loads(row["attributes"])
    return {row["call_id"]: row for row in rows}


def count(db_path: Path, sql: str) -> int:
    with duckdb.connect(str(db_path), read_only=True) as con:
        result = con.execute(sql).fetchone()
    assert result is not None
    return int(result[0])


# --- the simulator speaks Azure's wire to the real client ---------------------------------


def test_the_simulator_answers_the_real_openai_client_as_azure_does(
    azure: ThreadedServer,
) -> None:
    client = client_for(azure)
    messages: list[ChatCompletionMessageParam] = [
        {"role": "user", "content": "Describe a sword fight"}
    ]

    raw = client.chat.completions.with_raw_response.create(model=CHAT, messages=messages)
    completion = raw.parse()
    assert raw.headers["x-ms-region"] == REGION
    assert raw.headers["x-ms-deployment-name"] == CHAT
    uuid.UUID(raw.headers["apim-request-id"])  # raises unless a request id
    # 450,000 tokens and 2,700 requests a minute; this request counted 12 + 1,000 tokens.
    assert int(raw.headers["x-ratelimit-remaining-requests"]) == 2699
    assert int(raw.headers["x-ratelimit-remaining-tokens"]) == 450_000 - 12 - 1000
    assert completion.model == CHAT_MODEL
    content = completion.choices[0].message.content
    assert content and completion.choices[0].finish_reason == "stop"
    usage = completion.usage
    assert usage is not None and usage.prompt_tokens_details and usage.completion_tokens_details
    # 3 to prime, 3 for the message, 6 for its 22 characters; one output token per word.
    assert (usage.prompt_tokens, usage.prompt_tokens_details.cached_tokens) == (12, 0)
    assert (usage.completion_tokens, usage.completion_tokens_details.reasoning_tokens) == (
        len(content.split()),
        0,
    )
    # Azure-only fields are not in openai's models: they arrive as extras. "sword" and
    # "fight" are low violence: annotated, not filtered, on the prompt and the answer.
    assert completion.model_extra is not None
    prompt_filter = completion.model_extra["prompt_filter_results"]
    assert prompt_filter[0]["prompt_index"] == 0
    assert prompt_filter[0]["content_filter_results"]["violence"] == {
        "filtered": False,
        "severity": "low",
    }
    choice_extra = completion.choices[0].model_extra or {}
    assert choice_extra["content_filter_results"]["violence"] == {
        "filtered": False,
        "severity": "low",
    }
    sent = azure.requests[-1]
    assert sent.path == f"/openai/deployments/{CHAT}/chat/completions"
    assert sent.query == {"api-version": [API_VERSION]}
    assert sent.headers["api-key"] == "test-key"
    assert sent.body["messages"] == messages

    # Cached and reasoning tokens: an o-series deployment, a long prefix seen twice.
    for _ in range(2):
        thought = client.chat.completions.create(
            model=REASONING,
            messages=[
                {"role": "system", "content": POLICY},
                {"role": "user", "content": "Plan a trip"},
            ],
        )
    usage = thought.usage
    assert usage is not None and usage.prompt_tokens_details and usage.completion_tokens_details
    assert (usage.prompt_tokens, usage.prompt_tokens_details.cached_tokens) == (1362, CACHED)
    reasoning = usage.completion_tokens_details.reasoning_tokens or 0
    words = len((thought.choices[0].message.content or "").split())
    assert reasoning > 0 and usage.completion_tokens == words + reasoning

    # Streaming: the empty-id prompt-filter chunk first; usage only when asked for.
    stream = client.chat.completions.create(
        model=CHAT,
        messages=[{"role": "user", "content": "Stream please"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    assert (chunks[0].id, chunks[0].choices, chunks[0].model) == ("", [], "")
    assert chunks[0].model_extra and "prompt_filter_results" in chunks[0].model_extra
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
    assert chunks[-1].choices == [] and chunks[-1].usage is not None
    assert (chunks[-1].usage.prompt_tokens, chunks[-1].usage.completion_tokens) == (
        10,
        len(text.split()),
    )
    plain = client.chat.completions.create(
        model=CHAT, messages=[{"role": "user", "content": "Stream please"}], stream=True
    )
    assert all(chunk.usage is None for chunk in plain)  # no include_usage: no token counts

    # A blocked prompt: 400 content_filter, the wire's spelling first, then the
    # specification's.
    for inner, verdicts in (
        ("innererror", "content_filter_result"),
        ("inner_error", "content_filter_results"),
    ):
        with pytest.raises(openai.BadRequestError) as blocked:
            client.chat.completions.create(
                model=CHAT, messages=[{"role": "user", "content": BLOCKED_PROMPT}]
            )
        assert blocked.value.code == "content_filter"
        assert isinstance(blocked.value.body, dict)
        assert blocked.value.body[inner][verdicts] == BLOCKED_PROMPT_RESULT

    # Throttled: 429 with both retry headers and the string code "429".
    with pytest.raises(openai.RateLimitError) as throttled:
        client.chat.completions.create(
            model=THROTTLED, messages=[{"role": "user", "content": "hi"}]
        )
    headers = throttled.value.response.headers
    assert (headers["retry-after"], headers["retry-after-ms"]) == ("60", "60000")
    assert isinstance(throttled.value.body, dict) and throttled.value.body["code"] == "429"

    # The completion filtered (song lyrics hit protected material): 200, finish_reason
    # content_filter, the text cut short.
    filtered = client.chat.completions.create(
        model=CHAT, messages=[{"role": "user", "content": "Print the lyrics of a pop song"}]
    )
    assert filtered.choices[0].finish_reason == "content_filter"
    filtered_extra = filtered.choices[0].model_extra or {}
    assert filtered_extra["content_filter_results"]["protected_material_text"] == {
        "filtered": True,
        "detected": True,
    }

    # Embeddings: openai asks for base64 by default and decodes it: unit vectors.
    embedded = client.embeddings.create(model=EMBED, input="four words of input")
    assert embedded.model == EMBEDDING_MODEL
    vector = embedded.data[0].embedding
    assert (embedded.usage.prompt_tokens, len(vector)) == (5, 1536)
    assert math.isclose(sum(x * x for x in vector), 1.0, rel_tol=1e-5)
    assert azure.requests[-1].body["encoding_format"] == "base64"

    # Unknown deployment and missing api-version: Azure's 404 bodies.
    with pytest.raises(openai.NotFoundError) as missing:
        client.chat.completions.create(model="nope", messages=[{"role": "user", "content": "x"}])
    assert missing.value.code == "DeploymentNotFound"
    bare = httpx.post(f"{azure.url}/openai/deployments/{CHAT}/chat/completions", json={})
    assert bare.status_code == 404
    assert bare.json() == {"error": {"code": "404", "message": "Resource not found"}}


# --- spans from the real instrumentation become ledger rows -------------------------------


def test_instrumented_openai_calls_become_ledger_rows(
    azure: ThreadedServer, lens_server: LensServer
) -> None:
    client = client_for(azure)
    spans: dict[str, ReadableSpan] = {}
    summarise: list[ChatCompletionMessageParam] = [
        {"role": "system", "content": POLICY},
        {"role": "user", "content": "Summarise this"},
    ]
    client.chat.completions.create(model=REASONING, messages=summarise)  # not instrumented
    with instrumented_openai(lens_server.url, service_name=SERVICE) as telemetry:
        # (a) non-streaming chat: 1,363 prompt tokens (3 + 1,353 + 3 + 4), the prefix seen
        # before; the answer also reports cached and reasoning tokens, which openai-v2 does
        # not put on the span.
        completion = client.chat.completions.create(model=REASONING, messages=summarise)
        spans["chat"] = newest_span(telemetry, 0)
        usage = completion.usage
        assert usage is not None and usage.prompt_tokens_details and usage.completion_tokens_details
        assert usage.prompt_tokens_details.cached_tokens == CACHED  # sent, not on span
        assert (usage.completion_tokens_details.reasoning_tokens or 0) > 0  # sent, not on span

        # (b) streaming with include_usage, consumed to the end: the span ends with the stream.
        stream = client.chat.completions.create(
            model=CHAT,
            messages=[{"role": "user", "content": "Stream a short greeting"}],
            stream=True,
            stream_options={"include_usage": True},
        )
        chunks = list(stream)
        spans["stream"] = newest_span(telemetry, 1)

        # (c) a prompt blocked by the content filter.
        with pytest.raises(openai.BadRequestError):
            client.chat.completions.create(
                model=CHAT, messages=[{"role": "user", "content": BLOCKED_PROMPT}]
            )
        spans["blocked"] = newest_span(telemetry, 2)

        # (d) embeddings.
        client.embeddings.create(model=EMBED, input="lens measures every call")
        spans["embeddings"] = newest_span(telemetry, 3)

        # (e) throttled, not retried.
        with pytest.raises(openai.RateLimitError):
            client.chat.completions.create(
                model=THROTTLED, messages=[{"role": "user", "content": "Hello"}]
            )
        spans["throttled"] = newest_span(telemetry, 4)

        telemetry.flush()  # returns once the server answered, i.e. after its commit

    health = lens_server.health()
    assert health["calls"] == 5
    assert health["last_ingest"] is not None
    lens_server.stop()  # SIGTERM: the lifespan commits, then closes the DuckDB file
    rows = read_calls(lens_server.db_path)
    assert set(rows) == {call_id(span) for span in spans.values()}

    stream_id = chunks[1].id
    stream_usage = chunks[-1].usage
    assert completion.usage is not None and stream_usage is not None

    common = {
        "source": "otlp",
        "service": SERVICE,  # the resource's service.name
        "provider": "openai",  # openai-v2 says "openai" even for Azure
        "deployment_source": "request_model",  # only model=<deployment> names it
        # Not on openai-v2 spans, so unknown to the ledger (NULL, not guessed):
        "endpoint": None,  # no server.address: openai 3.x's base_url is an httpx2.URL
        "region": None,  # x-ms-region is a response header the instrumentation ignores
        "api_version": None,  # the URL with ?api-version= is not recorded
        "deployment_type": None,
        "tenant_id": None,
        "end_user": None,
        "cached_input_tokens": None,  # usage.prompt_tokens_details is not recorded
        "reasoning_tokens": None,  # usage.completion_tokens_details is not recorded
        "ttft_ms": None,  # no gen_ai.response.time_to_first_chunk, even when streaming
    }
    expected: dict[str, dict[str, Any]] = {
        "chat": {
            "operation": "chat",
            "deployment": REASONING,
            "request_model": REASONING,
            "model": REASONING_MODEL,  # the response model, with its version
            "status": "ok",
            "http_status": 200,  # no error reported: the call succeeded
            "error_type": None,
            "input_tokens": 1363,
            # the words and the reasoning tokens: reasoning is part of completion_tokens
            "output_tokens": completion.usage.completion_tokens,
            "finish_reason": "stop",
            "filter_action": "none",  # the prompt/choice annotations are not on the span
            "response_id": completion.id,
        },
        "stream": {
            "operation": "chat",
            "deployment": CHAT,
            "request_model": CHAT,
            "model": CHAT_MODEL,  # from the chunks after the empty-model first chunk
            "status": "ok",
            "http_status": 200,
            "error_type": None,
            "input_tokens": 12,  # from the include_usage chunk: 3 + 3 + 6
            "output_tokens": stream_usage.completion_tokens,
            "finish_reason": None,  # openai-v2's stream wrapper never records finish reasons
            "filter_action": "none",
            "response_id": stream_id,  # not the first chunk's empty id
        },
        "blocked": {
            "operation": "chat",
            "deployment": CHAT,
            "request_model": CHAT,
            "model": None,  # no response, so no response model
            "status": "error",
            # openai-v2 + util-genai 1.1b0 send error.type "<class 'openai.BadRequestError'>";
            # the ledger keeps the qualified class name and derives the HTTP status from it.
            "http_status": 400,
            "error_type": "openai.BadRequestError",
            "input_tokens": None,  # Azure bills the prompt, but a 400 carries no usage
            "output_tokens": None,
            "finish_reason": None,
            # The verdict reaches the span only as the status-message text (openai 3.x:
            # "Error code: 400 - <Azure's message>"); the normaliser recognises it.
            "filter_action": "blocked_prompt",
            "response_id": None,
        },
        "embeddings": {
            "operation": "embeddings",
            "deployment": EMBED,
            "request_model": EMBED,
            "model": EMBEDDING_MODEL,
            "status": "ok",
            "http_status": 200,
            "error_type": None,
            "input_tokens": 6,  # 24 characters
            "output_tokens": None,  # embeddings have input tokens only
            "finish_reason": None,
            "filter_action": "none",
            "response_id": None,  # embeddings responses have no id
        },
        "throttled": {
            "operation": "chat",
            "deployment": THROTTLED,
            "request_model": THROTTLED,
            "model": None,
            "status": "error",
            "http_status": 429,
            "error_type": "openai.RateLimitError",
            "input_tokens": None,
            "output_tokens": None,
            "finish_reason": None,
            "filter_action": "none",
            "response_id": None,
        },
    }
    for label, span in spans.items():
        row = rows[call_id(span)]
        assert span.context is not None
        assert row["trace_id"] == f"{span.context.trace_id:032x}", label
        assert row["span_id"] == f"{span.context.span_id:016x}", label
        assert row["start_time"] == span_start(span), label
        assert row["duration_ms"] > 0, label
        assert row["duration_ms"] == pytest.approx(span_ms(span), abs=0.001), label
        actual = {name: row[name] for name in {**common, **expected[label]}}
        assert actual == {**common, **expected[label]}, label
        assert row["attributes"]["resource"]["service.name"] == SERVICE, label

    # What the ledger keeps of the blocked call's verdict: Azure's message, verbatim.
    blocked_row = rows[call_id(spans["blocked"])]
    assert "content management policy" in blocked_row["attributes"]["span.status_message"]
    # The tokens equal what the simulator answered, not a recount.
    chat_row = rows[call_id(spans["chat"])]
    assert (chat_row["input_tokens"], chat_row["output_tokens"]) == (
        completion.usage.prompt_tokens,
        completion.usage.completion_tokens,
    )
    stream_row = rows[call_id(spans["stream"])]
    assert (stream_row["input_tokens"], stream_row["output_tokens"]) == (
        stream_usage.prompt_tokens,
        stream_usage.completion_tokens,
    )
    # openai-v2 records no verdicts, and openai 3.x keeps only Azure's message in the
    # exception text, so no per-category filter_results rows can exist for these calls.
    assert count(lens_server.db_path, "SELECT count(*) FROM filter_results") == 0


def test_reexported_spans_are_not_stored_twice(
    azure: ThreadedServer, lens_server: LensServer
) -> None:
    client = client_for(azure)
    with instrumented_openai(lens_server.url, service_name=SERVICE) as telemetry:
        client.chat.completions.create(model=CHAT, messages=[{"role": "user", "content": "Hi"}])
        with pytest.raises(openai.BadRequestError):
            client.chat.completions.create(
                model=CHAT, messages=[{"role": "user", "content": BLOCKED_PROMPT}]
            )
        client.embeddings.create(model=EMBED, input="one two three")
        telemetry.flush()
        spans = telemetry.finished_spans()
        assert len(spans) == 3
        assert lens_server.health()["calls"] == 3

        # The same ReadableSpans through the same exporter, twice: the server acknowledges
        # each re-send (the sender must not retry) and stores nothing new.
        assert telemetry.exporter.export(spans) == SpanExportResult.SUCCESS
        assert telemetry.exporter.export(spans) == SpanExportResult.SUCCESS
        health = lens_server.health()
        assert health["calls"] == 3
        otlp = health["otlp"]
        assert isinstance(otlp, dict)
        assert (otlp["spans_stored"], otlp["spans_duplicate"]) == (3, 6)

    lens_server.stop()
    db = lens_server.db_path
    assert count(db, "SELECT count(*) FROM calls") == 3
    assert count(db, "SELECT count(DISTINCT call_id) FROM calls") == 3
