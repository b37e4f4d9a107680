"""What the instrumented client reads from Azure's wire: exact attributes for each shape.

Azure's own shapes are built with azure_openai_wire (its sources are named there), so what
the client reads is what the simulator writes; odder shapes are written out here."""

from __future__ import annotations

import json

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from aoai_client import azure_wire as w
from aoai_client.telemetry import content_capture_mode
from aoai_client.transport import CallRecorder
from azure_openai_wire import bodies, errors, sse

SAFE = {"filtered": False, "severity": "safe"}
BLOCKED_PROMPT_RESULT = {
    "hate": {"filtered": True, "severity": "high"},
    "jailbreak": {"filtered": False, "detected": False},
    "self_harm": SAFE,
    "sexual": SAFE,
    "violence": {"filtered": True, "severity": "medium"},
}
ANSWER = bodies.ChatAnswer(
    response_id="chatcmpl-1",
    created=1767225600,
    model="o4-mini-2025-04-16",
    pieces=("Hi", " there"),
    finish_reason="stop",
    prompt_filter={"hate": SAFE, "violence": {"filtered": False, "severity": "low"}},
    choice_filter={"violence": {"filtered": False, "severity": "low"}},
    usage=bodies.usage(1300, 66, cached=1280, reasoning=64),
)

URL = "https://aoai-prod.openai.azure.com/openai/deployments/chat-prod/chat/completions"


def test_request_names_deployment_version_server_type_tenant_and_user() -> None:
    body = json.dumps({"messages": [], "user": "alice@contoso.com"}).encode()
    attrs = w.request_attributes(
        f"{URL}?api-version=2024-10-21", body, {"chat-prod": "DataZoneStandard"}, "contoso", None
    )
    assert attrs == {
        "server.address": "aoai-prod.openai.azure.com",
        "azure.openai.deployment": "chat-prod",
        "azure.openai.deployment_type": "DataZoneStandard",
        "azure.openai.api_version": "2024-10-21",
        "tenant.id": "contoso",
        "enduser.id": "alice@contoso.com",  # the OpenAI ``user`` field
    }


def test_v1_api_names_the_deployment_in_model_and_a_local_port_is_kept() -> None:
    body = json.dumps({"model": "gpt-4o-prod"}).encode()
    attrs = w.request_attributes(
        "http://127.0.0.1:8501/openai/v1/chat/completions", body, {}, None, "bob"
    )
    assert attrs == {
        "server.address": "127.0.0.1",
        "server.port": 8501,
        "azure.openai.deployment": "gpt-4o-prod",
        "enduser.id": "bob",  # the call context wins over the body
    }


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (
            {
                "x-ms-region": "Sweden Central",
                "apim-request-id": "r-1",
                "x-ratelimit-remaining-tokens": "149000",
                "x-ratelimit-remaining-requests": "899",
            },
            {
                "azure.openai.region": "Sweden Central",
                "azure.openai.request_id": "r-1",
                "azure.openai.ratelimit.remaining_tokens": 149000,
                "azure.openai.ratelimit.remaining_requests": 899,
            },
        ),
        ({"retry-after": "6"}, {"azure.openai.retry_after_ms": 6000}),
        ({"retry-after": "6", "retry-after-ms": "5500"}, {"azure.openai.retry_after_ms": 5500}),
        ({"x-request-id": "x-9"}, {"azure.openai.request_id": "x-9"}),  # no apim-request-id
        ({"x-aoai-lens-simulator": "1"}, {"azure.openai.simulated": True}),
        # Unreadable values are left out, never raised on.
        (
            {
                "retry-after": "Wed, 21 Oct 2026 07:28:00 GMT",
                "x-ratelimit-remaining-tokens": "1e999",
                "x-ratelimit-remaining-requests": "-3",
            },
            {},
        ),
    ],
)
def test_headers(headers: dict[str, str], expected: dict[str, object]) -> None:
    assert w.header_attributes(429, headers) == {"http.response.status_code": 429, **expected}


def test_a_documented_answer_gives_verdicts_and_token_details() -> None:
    body = bodies.chat_completion_body(ANSWER)
    attrs, unread = w.body_attributes(200, json.dumps(body).encode())
    assert unread == []
    assert json.loads(attrs["azure.openai.prompt_filter_results"]) == [
        {"prompt_index": 0, "content_filter_results": ANSWER.prompt_filter}
    ]
    assert json.loads(attrs["azure.openai.completion_filter_results"]) == [
        {"index": 0, "content_filter_results": {"violence": {"filtered": False, "severity": "low"}}}
    ]
    assert attrs["gen_ai.usage.cache_read.input_tokens"] == 1280
    assert attrs["gen_ai.usage.reasoning.output_tokens"] == 64


def test_a_documented_stream_read_from_its_bytes() -> None:
    reader = w.StreamReader()
    events = bodies.chat_completion_chunks(ANSWER, include_usage=True)
    for at, piece in enumerate(sse.encode_stream(events)):
        reader.feed_bytes(piece, float(at))
    attrs, unread = reader.attributes(started_at=0.0)
    assert unread == []
    assert attrs["gen_ai.response.time_to_first_chunk"] == 2.0  # after the prompt and role events
    assert attrs["gen_ai.response.finish_reasons"] == ["stop"]
    assert (attrs["gen_ai.usage.input_tokens"], attrs["gen_ai.usage.output_tokens"]) == (1300, 66)
    assert attrs["gen_ai.usage.cache_read.input_tokens"] == 1280
    assert json.loads(attrs["azure.openai.completion_filter_results"]) == [
        {"index": 0, "content_filter_results": {"violence": {"filtered": False, "severity": "low"}}}
    ]


@pytest.mark.parametrize(
    ("inner", "results"),
    [("innererror", "content_filter_result"), ("inner_error", "content_filter_results")],
)
def test_a_blocked_prompt_in_either_spelling_is_blocked_with_its_error(
    inner: str, results: str
) -> None:
    body = errors.blocked_prompt_body(BLOCKED_PROMPT_RESULT, spec_spelling=inner == "inner_error")
    assert body["error"][inner][results] == BLOCKED_PROMPT_RESULT
    attrs, unread = w.body_attributes(400, json.dumps(body).encode())
    assert attrs["azure.openai.content_filter.blocked"] is True
    assert json.loads(attrs["azure.openai.content_filter.error"]) == body["error"]
    assert unread == []


def test_other_errors_and_non_json_bodies() -> None:
    throttled = errors.throttled_body("ChatCompletions_Create", "2024-10-21", "token", 6)
    assert w.body_attributes(429, json.dumps(throttled).encode()) == ({}, [])
    assert w.body_attributes(502, b"<html>Bad gateway</html>") == (
        {},
        ["body: the HTTP 502 answer is not a JSON object"],
    )


def feed(reader: w.StreamReader, events: list[object], done: bool = True) -> None:
    for at, event in enumerate(events):
        reader.feed(event if isinstance(event, str) else json.dumps(event), float(at))
    if done:
        reader.feed("[DONE]", 99.0)


def test_stream_reader_reads_azure_order_with_usage() -> None:
    reader = w.StreamReader()
    feed(
        reader,
        [
            {
                "id": "",
                "choices": [],
                "prompt_filter_results": [
                    {
                        "prompt_index": 0,
                        "content_filter_results": {"hate": {"filtered": False, "severity": "safe"}},
                    }
                ],
            },
            {"choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}}]},
            {
                "choices": [
                    {
                        "index": 0,
                        "delta": {"content": "Hi"},
                        "content_filter_results": {
                            "violence": {"filtered": False, "severity": "low"}
                        },
                    }
                ]
            },
            {
                "choices": [
                    {
                        "index": 0,
                        "delta": {"content": "!"},
                        "content_filter_results": {
                            "violence": {"filtered": False, "severity": "safe"}
                        },
                    }
                ]
            },
            {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]},
            {
                "choices": [],
                "usage": {
                    "prompt_tokens": 9,
                    "completion_tokens": 2,
                    "prompt_tokens_details": {"cached_tokens": 0},
                },
            },
        ],
    )
    attrs, unread = reader.attributes(started_at=0.5)
    assert unread == []
    assert attrs["gen_ai.response.time_to_first_chunk"] == 1.5  # the first text, at t=2
    assert attrs["gen_ai.response.finish_reasons"] == ["stop"]
    assert (attrs["gen_ai.usage.input_tokens"], attrs["gen_ai.usage.output_tokens"]) == (9, 2)
    completion = json.loads(attrs["azure.openai.completion_filter_results"])
    assert completion == [
        {"index": 0, "content_filter_results": {"violence": {"filtered": False, "severity": "low"}}}
    ]  # the strongest verdict kept
    assert "azure.openai.prompt_filter_results" in attrs


def test_stream_reader_says_what_an_odd_stream_did_not_say() -> None:
    reader = w.StreamReader()
    feed(
        reader,
        [
            {
                "choices": [
                    {
                        "index": 0,
                        "delta": {"content": "Hi", "finish_reason": "stop"},
                        "surprise": {"new": "field"},
                    }
                ]
            },  # finish_reason inside delta
            "not json",
            [1, 2],
        ],
        done=False,
    )
    attrs, unread = reader.attributes(started_at=0.0)
    assert attrs["gen_ai.response.finish_reasons"] == ["stop"]
    assert "gen_ai.usage.input_tokens" not in attrs
    assert unread == [
        "usage: the stream sent no usage event (request stream_options={'include_usage': True} "
        "to count tokens)",
        "finish_reason: sent inside delta, not beside it",
        "events: 2 stream events were not JSON objects",
        "end: the stream ended without data: [DONE]",
    ]


def test_stream_reader_reads_index_and_finish_reason_from_inside_delta_and_says_so() -> None:
    reader = w.StreamReader()
    feed(
        reader,
        [
            {"choices": [{"delta": {"index": 1, "content": "Hi"}}]},
            {"choices": [{"delta": {"index": 1, "finish_reason": "length"}}]},
            {"choices": [{"delta": {"content": "?"}, "finish_reason": "stop"}]},  # no index
            {"choices": [], "usage": {"prompt_tokens": 3, "completion_tokens": 2}},
        ],
    )
    attrs, unread = reader.attributes(started_at=0.0)
    assert attrs["gen_ai.response.finish_reasons"] == ["stop", "length"]  # by index: 0, 1
    assert attrs["gen_ai.response.time_to_first_chunk"] == 0.0
    assert unread == [
        "index: sent inside delta, not beside it",
        "finish_reason: sent inside delta, not beside it",
        "index: 1 choices had none (their position was used)",
    ]


def test_stream_reader_reads_bytes_as_the_client_splits_them_and_names_a_bare_done() -> None:
    reader = w.StreamReader()
    wire = (
        b': keep-alive\r\n\r\nevent: message\r\ndata: {"choices":[{"index":0,"delta":'
        b'{"content":"Hi"},"finish_reason":"stop"}]}\r\n\r\n[DONE]\r\n\r\n'
    )
    for at, start in enumerate(range(0, len(wire), 7)):  # in 7-byte pieces
        reader.feed_bytes(wire[start : start + 7], float(at))
    attrs, unread = reader.attributes(started_at=0.0)
    assert attrs["gen_ai.response.finish_reasons"] == ["stop"]
    blank_line_end = wire.index(b"\r\n\r\n[DONE]") + 3  # the event is complete here
    assert attrs["gen_ai.response.time_to_first_chunk"] == float(blank_line_end // 7)
    assert unread == [
        "usage: the stream sent no usage event (request stream_options={'include_usage': True} "
        "to count tokens)",
        "end: [DONE] was sent without data: (the client reads on to the end)",
    ]


def test_stream_reader_reads_nothing_after_done_and_names_an_unfinished_last_event() -> None:
    after_done = w.StreamReader()
    after_done.feed_bytes(b"data: [DONE]\n\ndata: not json\n\n", 0.0)
    assert (after_done.done, after_done.bad_events) == (True, 0)
    unfinished = w.StreamReader()
    unfinished.feed_bytes(b'data: {"choices":[]}\n\ndata: {"choices":[]}\n', 0.0)
    _, unread = unfinished.attributes(started_at=0.0)
    assert unfinished.events == 1
    assert unread[-2:] == [
        "end: the stream ended without data: [DONE]",
        "end: the last event had no blank line after it (the client drops it)",
    ]


def test_a_failing_telemetry_step_is_recorded_not_raised() -> None:
    memory = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(memory))
    with provider.get_tracer("t").start_as_current_span("chat x") as span:
        recorder = CallRecorder(span, {})
        recorder.guarded("headers", lambda: [][1])
        recorder.guarded("body", lambda: {}["usage"])
        recorder.guarded("headers", lambda: [][1])  # the same failure again: listed once
    (finished,) = memory.get_finished_spans()
    assert finished.attributes == {
        "azure.openai.telemetry.error": (
            "headers: IndexError: list index out of range",
            "body: KeyError: 'usage'",
        )
    }


@pytest.mark.parametrize(
    ("value", "mode"),
    [
        (None, "NO_CONTENT"),
        ("", "NO_CONTENT"),
        ("false", "NO_CONTENT"),
        ("true", "SPAN_AND_EVENT"),  # what older instrumentations read
        ("True", "SPAN_AND_EVENT"),
        ("span_only", "SPAN_ONLY"),
        ("EVENT_ONLY", "EVENT_ONLY"),
        ("SPAN_AND_EVENT", "SPAN_AND_EVENT"),
        ("everything", "NO_CONTENT"),  # unknown: record nothing
    ],
)
def test_content_capture_mode(value: str | None, mode: str) -> None:
    assert content_capture_mode(value) == mode


def test_attribute_names_are_the_ones_the_normaliser_reads() -> None:
    from collectors.genai import attributes as a

    pairs = [
        (w.DEPLOYMENT, a.AZURE_DEPLOYMENT),
        (w.API_VERSION, a.AZURE_API_VERSION),
        (w.REGION, a.AZURE_REGION),
        (w.DEPLOYMENT_TYPE, a.AZURE_DEPLOYMENT_TYPE),
        (w.REQUEST_ID, a.AZURE_REQUEST_ID),
        (w.PROMPT_FILTER, a.AZURE_PROMPT_FILTER),
        (w.COMPLETION_FILTER, a.AZURE_COMPLETION_FILTER),
        (w.FILTER_BLOCKED, a.AZURE_FILTER_BLOCKED),
        (w.FILTER_ERROR, a.AZURE_FILTER_ERROR),
        (w.REMAINING_TOKENS, a.AZURE_REMAINING_TOKENS),
        (w.REMAINING_REQUESTS, a.AZURE_REMAINING_REQUESTS),
        (w.RETRY_AFTER_MS, a.AZURE_RETRY_AFTER_MS),
        (w.TENANT_ID, a.TENANT_ID),
        (w.SERVER_ADDRESS, a.SERVER_ADDRESS),
        (w.CACHED_INPUT_TOKENS, a.CACHED_INPUT_TOKENS[0]),
        (w.REASONING_TOKENS, a.REASONING_TOKENS[0]),
        (w.TIME_TO_FIRST_CHUNK, a.TIME_TO_FIRST_CHUNK),
        (w.FINISH_REASONS, a.FINISH_REASONS),
        (w.END_USER, a.END_USER[0]),
        (w.HTTP_STATUS, a.HTTP_STATUS[0]),
    ]
    assert [ours for ours, _ in pairs] == [theirs for _, theirs in pairs]


def test_usage_details_carry_cache_writes_as_the_conventions_name_them() -> None:
    usage = {
        "prompt_tokens": 50_000,
        "prompt_tokens_details": {"cached_tokens": 10_000, "cache_write_tokens": 30_000},
        "completion_tokens_details": {"reasoning_tokens": 512},
    }
    assert w.usage_details(usage) == {
        "gen_ai.usage.cache_read.input_tokens": 10_000,
        "gen_ai.usage.cache_creation.input_tokens": 30_000,
        "gen_ai.usage.reasoning.output_tokens": 512,
    }
