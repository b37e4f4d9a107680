"""normalize: OTLP spans from each real producer -> canonical call rows, exact values."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import openai
import pytest
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.instrumentation.openai_v2 import OpenAIInstrumentor
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.trace.v1.trace_pb2 import Status
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from collectors.rows import CallRow, FilterResultRow
from tests.fixtures import otlp_spans as f
from tests.fixtures.otlp_spans import CALL_ID, make_request, make_span
from tests.normalizing import ImpossibleSpanError, Normalized, normalize_request

START = datetime(2025, 9, 1, 10, 0, 0, 123456, tzinfo=UTC)
TRACE_HEX = "5b8efff798038103d269b633813fc60c"
SPAN_HEX = "eee19b7ec3c1b174"
RESOURCE = {"service.name": "chat-api"}


def normalize(*spans: Any, **request: Any) -> Normalized:
    return normalize_request(make_request(*spans, **request), source="otlp")


def only_call(batch: Normalized) -> CallRow:
    assert batch.rejected == 0, batch.rejection_reasons
    assert len(batch.calls) == 1
    return batch.calls[0]


def prompt_row(category: str, severity: str | None, detected: bool | None) -> FilterResultRow:
    return FilterResultRow(CALL_ID, "prompt", 0, category, severity, False, detected)


def choice_row(
    category: str, severity: str | None, detected: bool | None, details: str | None = None
) -> FilterResultRow:
    return FilterResultRow(CALL_ID, "completion", 0, category, severity, False, detected, details)


# The verdicts of PROMPT_FILTER_RESULTS and CHOICE_FILTER_RESULTS, by hand.
CODE_CITATION = (
    '{"citation": {"URL": "https://github.com/username/repository-name/path/to/'
    'file-example.txt", "license": "EXAMPLE-LICENSE"}}'
)
PROMPT_ROWS = [
    prompt_row("hate", "safe", None),
    prompt_row("sexual", "safe", None),
    prompt_row("violence", "safe", None),
    prompt_row("self_harm", "safe", None),
    prompt_row("jailbreak", None, False),
    prompt_row("indirect_attack", None, False),
    prompt_row("profanity", None, False),
    prompt_row("custom_blocklists", None, None),
]
CHOICE_ROWS = [
    choice_row("hate", "safe", None),
    choice_row("sexual", "safe", None),
    choice_row("violence", "low", None),
    choice_row("self_harm", "safe", None),
    choice_row("profanity", None, False),
    choice_row("protected_material_text", None, False),
    choice_row("protected_material_code", None, True, CODE_CITATION),
    choice_row("custom_blocklists:my-blocklist", None, None, '{"id": "my-blocklist"}'),
]


def test_openai_v2_span_takes_deployment_from_request_model() -> None:
    batch = normalize(make_span(f.OPENAI_V2_LEGACY_CHAT))
    assert only_call(batch) == CallRow(
        call_id=CALL_ID,
        source="otlp",
        trace_id=TRACE_HEX,
        span_id=SPAN_HEX,
        start_time=START,
        duration_ms=1234.5,
        ttft_ms=None,
        operation="chat",
        endpoint=None,
        region=None,
        deployment="chat-prod",
        deployment_source="request_model",
        model="gpt-4o-2024-11-20",
        request_model="chat-prod",
        provider="openai",
        api_version=None,
        deployment_type=None,
        tenant_id=None,
        end_user=None,
        service="chat-api",
        status="ok",
        http_status=200,
        error_type=None,
        input_tokens=1566,
        cached_input_tokens=None,
        output_tokens=1518,
        reasoning_tokens=None,
        finish_reason="stop",
        filter_action="none",
        response_id=f.RESPONSE_ID,
        attributes={
            "gen_ai.request.temperature": 0.2,
            "gen_ai.request.max_tokens": 2048,
            "span.name": "chat chat-prod",
            "scope.name": "opentelemetry.instrumentation.openai_v2",
            "scope.version": "",
            "resource": RESOURCE,
        },
    )
    assert batch.filter_results == []
    assert batch.rejection_reasons == []


def test_latest_semconv_azure_span_fills_cached_and_reasoning_tokens() -> None:
    batch = normalize(make_span(f.SEMCONV_AZURE_CHAT, name="chat gpt-4o"))
    assert only_call(batch) == CallRow(
        call_id=CALL_ID,
        source="otlp",
        trace_id=TRACE_HEX,
        span_id=SPAN_HEX,
        start_time=START,
        duration_ms=1234.5,
        ttft_ms=None,
        operation="chat",
        endpoint="aoai-prod.openai.azure.com",
        region=None,
        deployment="gpt-4o",
        deployment_source="request_model",
        model="gpt-4o-2024-11-20",
        request_model="gpt-4o",
        provider="azure.ai.openai",
        api_version=None,
        deployment_type=None,
        tenant_id=None,
        end_user=None,
        service="chat-api",
        status="ok",
        http_status=200,
        error_type=None,
        input_tokens=1566,
        cached_input_tokens=1408,
        output_tokens=1518,
        reasoning_tokens=576,
        finish_reason="stop",
        filter_action="none",
        response_id=f.RESPONSE_ID,
        service_tier="default",  # read into its column (049_call_routing.sql)
        attributes={
            "span.name": "chat gpt-4o",
            "scope.name": "opentelemetry.instrumentation.openai_v2",
            "scope.version": "",
            "resource": RESOURCE,
        },
    )


def test_semconv_1_26_span_without_operation_name_is_a_chat_call() -> None:
    batch = normalize(make_span(f.SEMCONV_1_26_AZ_AI_OPENAI_CHAT, name="chat gpt-4o-mini"))
    row = only_call(batch)
    assert (row.operation, row.provider, row.deployment, row.deployment_source) == (
        "chat",
        "az.ai.openai",
        "gpt-4o-mini",
        "request_model",
    )
    assert (row.model, row.endpoint, row.finish_reason) == (
        "gpt-4o-mini-2024-07-18",
        "aoai-dev.openai.azure.com",
        "length",
    )
    assert (row.input_tokens, row.output_tokens, row.cached_input_tokens) == (812, 256, None)
    assert (row.status, row.http_status, row.filter_action) == ("ok", 200, "none")


def test_traceloop_span_reads_filter_json_and_api_base() -> None:
    batch = normalize(
        make_span(f.TRACELOOP_AZURE_CHAT, name="openai.chat"),
        resource={"service.name": "support-bot", "tenant.id": "fabrikam"},
        scope=f.TRACELOOP_SCOPE,
    )
    assert only_call(batch) == CallRow(
        call_id=CALL_ID,
        source="otlp",
        trace_id=TRACE_HEX,
        span_id=SPAN_HEX,
        start_time=START,
        duration_ms=1234.5,
        ttft_ms=None,
        operation="chat",
        endpoint="aoai-prod.openai.azure.com",
        region=None,
        deployment="chat-prod",
        deployment_source="request_model",
        model="gpt-4o-2024-11-20",
        request_model="chat-prod",
        provider="Azure",
        api_version="2024-10-21",
        deployment_type=None,
        tenant_id="fabrikam",
        end_user=None,
        service="support-bot",
        status="ok",
        http_status=200,
        error_type=None,
        input_tokens=1566,
        cached_input_tokens=1408,
        output_tokens=1518,
        reasoning_tokens=None,
        finish_reason="stop",
        filter_action="annotated",
        response_id=f.RESPONSE_ID,
        attributes={
            "gen_ai.openai.api_base": "https://aoai-prod.openai.azure.com/openai/",
            "llm.headers": "None",
            "llm.is_streaming": False,
            "gen_ai.prompt.0.role": "user",
            "gen_ai.prompt.0.content": "Write a function",
            "gen_ai.prompt.prompt_filter_results": json.dumps(f.PROMPT_FILTER_RESULTS),
            "llm.usage.total_tokens": 3084,
            "gen_ai.completion.0.finish_reason": "stop",
            "gen_ai.completion.0.content_filter_results": json.dumps(f.CHOICE_FILTER_RESULTS),
            "gen_ai.completion.0.role": "assistant",
            "gen_ai.completion.0.content": "Here is the function…",
            "span.name": "openai.chat",
            "scope.name": "opentelemetry.instrumentation.openai.v1",
            "scope.version": "",
            "resource": {"service.name": "support-bot", "tenant.id": "fabrikam"},
        },
    )
    assert batch.filter_results == PROMPT_ROWS + CHOICE_ROWS


def test_our_azure_attributes_fill_every_column() -> None:
    batch = normalize(make_span(f.OURS_STREAMED_CHAT), scope=("aoai_lens.playground", "0.1.0"))
    assert only_call(batch) == CallRow(
        call_id=CALL_ID,
        source="otlp",
        trace_id=TRACE_HEX,
        span_id=SPAN_HEX,
        start_time=START,
        duration_ms=1234.5,
        ttft_ms=412.5,
        operation="chat",
        endpoint="aoai-prod.openai.azure.com",
        region="Sweden Central",
        deployment="chat-prod",
        deployment_source="attribute",
        model="gpt-4o-2024-11-20",
        request_model="chat-prod",
        provider="azure.ai.openai",
        api_version="2024-10-21",
        deployment_type="GlobalStandard",
        tenant_id="contoso",
        end_user="alice@contoso.com",
        service="chat-api",
        status="ok",
        http_status=200,
        error_type=None,
        input_tokens=1566,
        cached_input_tokens=1408,
        output_tokens=1518,
        reasoning_tokens=576,
        finish_reason="stop",
        filter_action="annotated",
        response_id=f.RESPONSE_ID,
        request_id="3f1c2a9e-4b7d-4e21-9c55-0a8f6d2b1e77",
        attributes={
            "gen_ai.request.stream": True,
            "azure.openai.prompt_filter_results": f.OURS_STREAMED_CHAT[
                "azure.openai.prompt_filter_results"
            ],
            "azure.openai.completion_filter_results": f.OURS_STREAMED_CHAT[
                "azure.openai.completion_filter_results"
            ],
            "azure.openai.ratelimit.remaining_tokens": 149_000,
            "azure.openai.ratelimit.remaining_requests": 899,
            "span.name": "chat chat-prod",
            "scope.name": "aoai_lens.playground",
            "scope.version": "0.1.0",
            "resource": RESOURCE,
        },
    )
    assert batch.filter_results == PROMPT_ROWS + CHOICE_ROWS


def test_blocked_prompt_is_an_error_with_the_prompt_verdicts() -> None:
    batch = normalize(make_span(f.OURS_BLOCKED_PROMPT, status_code=Status.STATUS_CODE_ERROR))
    row = only_call(batch)
    assert (row.status, row.http_status, row.error_type) == ("error", 400, "BadRequestError")
    assert (row.filter_action, row.input_tokens, row.finish_reason) == (
        "blocked_prompt",
        None,
        None,
    )
    assert batch.filter_results == [
        FilterResultRow(CALL_ID, "prompt", 0, "hate", "high", True, None),
        FilterResultRow(CALL_ID, "prompt", 0, "jailbreak", None, False, False),
        FilterResultRow(CALL_ID, "prompt", 0, "self_harm", "safe", False, None),
        FilterResultRow(CALL_ID, "prompt", 0, "sexual", "safe", False, None),
        FilterResultRow(CALL_ID, "prompt", 0, "violence", "medium", True, None),
    ]


def test_error_body_alone_marks_the_prompt_blocked() -> None:
    attributes = {**f.OURS_BLOCKED_PROMPT}
    del attributes["azure.openai.content_filter.blocked"], attributes["http.response.status_code"]
    del attributes["error.type"]
    row = only_call(normalize(make_span(attributes)))
    assert (row.status, row.http_status, row.error_type, row.filter_action) == (
        "error",
        400,
        None,
        "blocked_prompt",
    )


def test_filtered_completion_is_ok_with_the_completion_verdicts() -> None:
    batch = normalize(make_span(f.OURS_FILTERED_COMPLETION))
    row = only_call(batch)
    assert (row.status, row.http_status, row.finish_reason, row.filter_action) == (
        "ok",
        200,
        "content_filter",
        "filtered_completion",
    )
    assert batch.filter_results == [
        FilterResultRow(CALL_ID, "completion", 0, "violence", "high", True, None),
        FilterResultRow(CALL_ID, "completion", 0, "hate", "safe", False, None),
    ]


@pytest.mark.parametrize(
    ("attributes", "scope"),
    [
        pytest.param(f.OPENAI_V2_RATE_LIMITED, f.OPENAI_V2_LEGACY_SCOPE, id="legacy-qualname"),
        pytest.param(f.OPENAI_V2_UTIL_GENAI_RATE_LIMITED, f.UTIL_GENAI_SCOPE, id="util-genai"),
    ],
)
def test_rate_limited_span_is_an_error_with_status_429(
    attributes: dict[str, Any], scope: tuple[str, str]
) -> None:
    span = make_span(
        attributes,
        status_code=Status.STATUS_CODE_ERROR,
        status_message=f.RATE_LIMIT_MESSAGE,
    )
    row = only_call(normalize(span, scope=scope))
    expected_type = "RateLimitError" if "gen_ai.system" in attributes else "openai.RateLimitError"
    assert (row.status, row.http_status, row.error_type) == ("error", 429, expected_type)
    assert (row.deployment, row.deployment_source, row.model) == (
        "chat-prod",
        "request_model",
        None,
    )
    assert (row.input_tokens, row.output_tokens, row.finish_reason, row.filter_action) == (
        None,
        None,
        None,
        "none",
    )
    assert row.attributes["span.status_message"] == f.RATE_LIMIT_MESSAGE


@pytest.mark.parametrize(
    ("extra", "status_code", "expected_status", "expected_http"),
    [
        ({"error.type": "BadRequestError"}, Status.STATUS_CODE_ERROR, "error", 400),
        ({"error.type": "openai.AuthenticationError"}, Status.STATUS_CODE_ERROR, "error", 401),
        ({"error.type": "PermissionDeniedError"}, Status.STATUS_CODE_ERROR, "error", 403),
        ({"error.type": "NotFoundError"}, Status.STATUS_CODE_ERROR, "error", 404),
        ({"error.type": "ConflictError"}, Status.STATUS_CODE_ERROR, "error", 409),
        ({"error.type": "UnprocessableEntityError"}, Status.STATUS_CODE_ERROR, "error", 422),
        ({"error.type": "InternalServerError"}, Status.STATUS_CODE_ERROR, "error", 500),
        ({"error.type": "APITimeoutError"}, Status.STATUS_CODE_ERROR, "error", None),
        ({"error.type": "openai.APIConnectionError"}, Status.STATUS_CODE_ERROR, "error", None),
        ({"error.type": "_OTHER"}, Status.STATUS_CODE_ERROR, "error", None),
        ({"error.type": "429"}, Status.STATUS_CODE_UNSET, "error", 429),
        ({}, Status.STATUS_CODE_ERROR, "error", None),
        ({}, Status.STATUS_CODE_OK, "ok", 200),
        ({"http.response.status_code": 503}, Status.STATUS_CODE_UNSET, "error", 503),
        ({"http.status_code": "201"}, Status.STATUS_CODE_UNSET, "ok", 201),
        (
            {"error.type": "RateLimitError", "http.response.status_code": 429},
            Status.STATUS_CODE_ERROR,
            "error",
            429,
        ),
    ],
)
def test_http_status_comes_from_the_span_else_the_error_type_else_200(
    extra: dict[str, Any], status_code: int, expected_status: str, expected_http: int | None
) -> None:
    base = {"gen_ai.operation.name": "chat", "gen_ai.request.model": "chat-prod"}
    row = only_call(normalize(make_span({**base, **extra}, status_code=status_code)))
    assert (row.status, row.http_status) == (expected_status, expected_http)


def test_deployment_comes_from_child_http_span_url() -> None:
    child = make_span(
        {**f.HTTPX_CLIENT_POST, "http.response.status_code": 200},
        name="POST",
        span_id=f.CHILD_SPAN_ID,
        parent_span_id=f.SPAN_ID,
        start=f.START_NS + 1_000_000,
        end=f.END_NS - 1_000_000,
    )
    batch = normalize(make_span(f.OPENAI_V2_LEGACY_CHAT), child)
    assert len(batch.calls) == 1
    row = batch.calls[0]
    assert (row.deployment, row.deployment_source, row.api_version) == (
        "chat-prod",
        "url_path",
        "2024-10-21",
    )
    assert (row.endpoint, row.http_status, row.status) == ("aoai-prod.openai.azure.com", 200, "ok")
    assert batch.rejected == 1
    assert batch.rejection_reasons == [
        "1 span is not a GenAI model call (no gen_ai.operation.name)"
    ]


def test_last_child_http_attempt_gives_the_status_of_a_retried_call() -> None:
    first = make_span(
        f.HTTPX_CLIENT_POST,
        name="POST",
        span_id=bytes.fromhex("1111111111111111"),
        parent_span_id=f.SPAN_ID,
        start=f.START_NS + 1,
    )
    retry = make_span(
        {**f.HTTPX_CLIENT_POST, "http.response.status_code": 200},
        name="POST",
        span_id=bytes.fromhex("2222222222222222"),
        parent_span_id=f.SPAN_ID,
        start=f.START_NS + 500_000_000,
    )
    batch = normalize(retry, make_span(f.OPENAI_V2_LEGACY_CHAT), first)
    assert (batch.calls[0].http_status, batch.calls[0].deployment_source) == (200, "url_path")
    assert batch.rejection_reasons == [
        "2 spans are not GenAI model calls (no gen_ai.operation.name)"
    ]


def test_unrelated_http_span_gives_nothing_to_a_call() -> None:
    stranger = make_span(
        {**f.HTTPX_CLIENT_POST, "url.full": f.AZURE_URL.replace("chat-prod", "other")},
        name="POST",
        span_id=f.CHILD_SPAN_ID,
        parent_span_id=bytes.fromhex("9999999999999999"),
    )
    row = normalize(make_span(f.OPENAI_V2_LEGACY_CHAT), stranger).calls[0]
    assert (row.deployment, row.deployment_source, row.http_status) == (
        "chat-prod",
        "request_model",
        200,
    )


@pytest.mark.parametrize(
    ("url", "deployment", "api_version", "endpoint"),
    [
        (f.AZURE_URL, "chat-prod", "2024-10-21", "aoai-prod.openai.azure.com"),
        (
            "https://x.cognitiveservices.azure.com/openai/deployments/my%20dep/embeddings"
            "?foo=1&api-version=2025-01-01-preview",
            "my dep",
            "2025-01-01-preview",
            "x.cognitiveservices.azure.com",
        ),
        ("/openai/deployments/chat-prod/chat/completions", "chat-prod", None, None),
    ],
)
def test_span_url_attribute_gives_deployment_and_api_version(
    url: str, deployment: str, api_version: str | None, endpoint: str | None
) -> None:
    attributes = {"gen_ai.operation.name": "chat", "gen_ai.request.model": "x", "url.full": url}
    row = only_call(normalize(make_span(attributes)))
    assert (row.deployment, row.deployment_source, row.api_version, row.endpoint) == (
        deployment,
        "url_path",
        api_version,
        endpoint,
    )
    assert row.attributes["url.full"] == url


def test_span_without_any_deployment_hint_is_unknown() -> None:
    row = only_call(normalize(make_span({"gen_ai.operation.name": "embeddings"})))
    assert (row.deployment, row.deployment_source, row.operation) == (
        "unknown",
        "unknown",
        "embeddings",
    )


def test_non_genai_http_span_is_rejected_with_reason() -> None:
    batch = normalize(make_span(f.HTTPX_CLIENT_POST, name="POST"))
    assert (batch.calls, batch.filter_results, batch.rejected) == ([], [], 1)
    assert batch.rejection_reasons == [
        "1 span is not a GenAI model call (no gen_ai.operation.name)"
    ]


def test_agent_spans_are_rejected_naming_their_operations() -> None:
    batch = normalize(
        make_span(f.INVOKE_AGENT, name="invoke_agent travel-planner"),
        make_span(f.EXECUTE_TOOL, span_id=bytes.fromhex("1111111111111111")),
        make_span(f.EXECUTE_TOOL, span_id=bytes.fromhex("2222222222222222")),
        make_span(f.HTTPX_CLIENT_POST, span_id=bytes.fromhex("3333333333333333")),
        make_span(f.OPENAI_V2_LEGACY_CHAT, span_id=bytes.fromhex("4444444444444444")),
    )
    assert [row.span_id for row in batch.calls] == ["4444444444444444"]
    assert batch.rejected == 4
    assert batch.rejection_reasons == [
        "1 span is not a GenAI model call (no gen_ai.operation.name)",
        "3 spans are GenAI operations other than model calls (execute_tool, invoke_agent)",
    ]


def test_model_call_without_start_time_is_rejected() -> None:
    batch = normalize(make_span(f.OPENAI_V2_LEGACY_CHAT, start=0))
    assert (batch.calls, batch.rejected) == ([], 1)
    assert batch.rejection_reasons == [
        "1 span is a model call without a start time (no startTimeUnixNano)"
    ]


@pytest.mark.parametrize(
    ("operation", "expected"),
    [
        ("chat", "chat"),
        ("Chat", "chat"),
        ("text_completion", "text_completion"),
        ("embeddings", "embeddings"),
        ("generate_content", "generate_content"),
        ("responses", "responses"),
        ("image_generation", "images"),
    ],
)
def test_operation_name_is_normalised(operation: str, expected: str) -> None:
    attributes = {"gen_ai.operation.name": operation, "gen_ai.request.model": "m"}
    assert only_call(normalize(make_span(attributes))).operation == expected


@pytest.mark.parametrize(
    ("request_type", "span_name", "expected"),
    [
        ("embedding", "openai.embeddings", "embeddings"),
        ("completion", "openai.completion", "text_completion"),
        (None, "openai.chat", "chat"),
        (None, "embeddings text-embedding-3-small", "embeddings"),
        (None, "my span", "unknown"),
    ],
)
def test_operation_without_operation_name_comes_from_request_type_or_span_name(
    request_type: str | None, span_name: str, expected: str
) -> None:
    attributes: dict[str, Any] = {"gen_ai.system": "Azure", "gen_ai.request.model": "m"}
    if request_type is not None:
        attributes["llm.request.type"] = request_type
    assert only_call(normalize(make_span(attributes, name=span_name))).operation == expected


WHERE = "resourceSpans[0].scopeSpans[0].spans[1]"


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (
            {"gen_ai.usage.input_tokens": -5},
            f"{WHERE}: gen_ai.usage.input_tokens = -5 is not a plausible token count",
        ),
        (
            {"gen_ai.usage.output_tokens": 100_000_001},
            f"{WHERE}: gen_ai.usage.output_tokens = 100000001 is not a plausible token count",
        ),
        (
            {"gen_ai.usage.input_tokens": 12.5},
            f"{WHERE}: gen_ai.usage.input_tokens = 12.5 is not an integer count",
        ),
        (
            {"gen_ai.usage.input_tokens": "lots"},
            f"{WHERE}: gen_ai.usage.input_tokens = lots is not an integer count",
        ),
        (
            {"gen_ai.usage.input_tokens": "9" * 5000},
            f"{WHERE}: gen_ai.usage.input_tokens = {'9' * 60} is not a plausible token count",
        ),
        (
            {"gen_ai.usage.input_tokens": 1e300},
            f"{WHERE}: gen_ai.usage.input_tokens = 1e+300 is not a plausible token count",
        ),
        (
            {"gen_ai.usage.input_tokens": [1]},
            f"{WHERE}: gen_ai.usage.input_tokens = [1] is not an integer count",
        ),
        (
            {"gen_ai.usage.input_tokens": True},
            f"{WHERE}: gen_ai.usage.input_tokens = true is not an integer count",
        ),
        (
            {"gen_ai.usage.input_tokens": 10, "gen_ai.usage.cache_read.input_tokens": 20},
            f"{WHERE}: gen_ai.usage.cache_read.input_tokens = 20 exceeds "
            "gen_ai.usage.input_tokens = 10",
        ),
        (
            {"gen_ai.usage.input_tokens": 10, "gen_ai.usage.cache_creation.input_tokens": 11},
            f"{WHERE}: gen_ai.usage.cache_creation.input_tokens = 11 exceeds "
            "gen_ai.usage.input_tokens = 10",
        ),
        (
            {"gen_ai.usage.completion_tokens": 5, "gen_ai.usage.reasoning_tokens": 6},
            f"{WHERE}: gen_ai.usage.reasoning_tokens = 6 exceeds "
            "gen_ai.usage.completion_tokens = 5",
        ),
    ],
)
def test_absurd_token_counts_refuse_the_request(extra: dict[str, Any], message: str) -> None:
    good = make_span(f.OPENAI_V2_LEGACY_CHAT, span_id=bytes.fromhex("1111111111111111"))
    bad = make_span({"gen_ai.operation.name": "chat", **extra})
    with pytest.raises(ImpossibleSpanError) as caught:
        normalize(good, bad)
    assert str(caught.value) == message
    assert isinstance(caught.value, ValueError)


@pytest.mark.parametrize(
    ("attributes", "expected"),
    [
        ({"gen_ai.usage.input_tokens": 100_000_000}, (100_000_000, None, None, None)),
        ({"gen_ai.usage.input_tokens": 0, "gen_ai.usage.output_tokens": 0}, (0, None, 0, None)),
        ({"gen_ai.usage.input_tokens": 30.0}, (30, None, None, None)),
        ({"gen_ai.usage.prompt_tokens": "30"}, (30, None, None, None)),
        (
            {"gen_ai.usage.input_tokens": 30, "gen_ai.usage.input_tokens.cached": 30},
            (30, 30, None, None),
        ),
        (
            {"gen_ai.usage.output_tokens": 9, "gen_ai.usage.output_tokens.reasoning": 8},
            (None, None, 9, 8),
        ),
        (
            {"gen_ai.usage.input_tokens": 7, "gen_ai.usage.prompt_tokens": 999},
            (7, None, None, None),
        ),
    ],
)
def test_token_counts_accept_every_spelling_and_integral_values(
    attributes: dict[str, Any], expected: tuple[int | None, ...]
) -> None:
    row = only_call(normalize(make_span({"gen_ai.operation.name": "chat", **attributes})))
    assert (
        row.input_tokens,
        row.cached_input_tokens,
        row.output_tokens,
        row.reasoning_tokens,
    ) == expected


@pytest.mark.parametrize(
    ("attributes", "expected"),
    [
        ({"gen_ai.usage.input_tokens": 50, "gen_ai.usage.cache_creation.input_tokens": 30}, 30),
        ({"gen_ai.usage.input_tokens": 50, "gen_ai.usage.cache_creation_input_tokens": 20}, 20),
        ({"gen_ai.usage.input_tokens": 50, "llm.token_count.prompt_details.cache_write": 5}, 5),
        ({"gen_ai.usage.input_tokens": 50}, None),
    ],
)
def test_cache_writes_are_read_from_every_spelling(
    attributes: dict[str, Any], expected: int | None
) -> None:
    row = only_call(normalize(make_span({"gen_ai.operation.name": "chat", **attributes})))
    assert (row.input_tokens, row.cache_write_tokens) == (50, expected)


@pytest.mark.parametrize(
    ("end", "expected"),
    [(f.END_NS, 1234.5), (0, None), (f.START_NS - 1, None), (f.START_NS, 0.0)],
)
def test_duration_is_none_when_end_is_missing_or_before_start(
    end: int, expected: float | None
) -> None:
    assert only_call(normalize(make_span(f.OPENAI_V2_LEGACY_CHAT, end=end))).duration_ms == expected


@pytest.mark.parametrize(
    ("value", "expected"), [(0.25, 250.0), (1, 1000.0), (-1.0, None), ("x", None)]
)
def test_time_to_first_chunk_becomes_milliseconds(value: Any, expected: float | None) -> None:
    attributes = {"gen_ai.operation.name": "chat", "gen_ai.response.time_to_first_chunk": value}
    assert only_call(normalize(make_span(attributes))).ttft_ms == expected


@pytest.mark.parametrize(
    ("span_attributes", "resource", "expected"),
    [
        ({"tenant.id": "contoso", "enduser.id": "a"}, {"tenant.id": "r"}, ("contoso", "a")),
        ({"user.id": "b"}, {"tenant.id": "fabrikam"}, ("fabrikam", "b")),
        ({"tenant.id": 42, "llm.user": "c"}, {}, ("42", "c")),
        ({"tenant.id": ""}, {}, (None, None)),
    ],
)
def test_tenant_and_end_user_come_from_span_then_resource(
    span_attributes: dict[str, Any], resource: dict[str, Any], expected: tuple[Any, Any]
) -> None:
    attributes = {"gen_ai.operation.name": "chat", **span_attributes}
    row = only_call(normalize(make_span(attributes), resource=resource))
    assert (row.tenant_id, row.end_user) == expected


def test_attributes_keep_unmapped_values_json_serialisable() -> None:
    attributes = {
        "gen_ai.operation.name": "chat",
        "gen_ai.input.messages": '[{"role":"user","parts":[{"type":"text","content":"hi"}]}]',
        "gen_ai.request.stop_sequences": ["\n\n", "END"],
        "app.blob": b"\x00\xff",
        "app.map": {"k": [1, 2.5, True]},
    }
    row = only_call(normalize(make_span(attributes), resource={"cloud.region": "westeurope"}))
    assert row.region is None
    assert row.attributes == {
        "gen_ai.input.messages": attributes["gen_ai.input.messages"],
        "gen_ai.request.stop_sequences": ["\n\n", "END"],
        "app.blob": "AP8=",
        "app.map": {"k": [1, 2.5, True]},
        "span.name": "chat chat-prod",
        "scope.name": "opentelemetry.instrumentation.openai_v2",
        "scope.version": "",
        "resource": {"cloud.region": "westeurope"},
    }
    json.dumps(row.attributes)


def test_source_argument_is_recorded_on_every_row() -> None:
    batch = normalize_request(make_request(make_span(f.OPENAI_V2_LEGACY_CHAT)), source="import")
    assert [row.source for row in batch.calls] == ["import"]


def test_empty_request_gives_an_empty_batch() -> None:
    assert normalize() == Normalized(calls=[], filter_results=[], rejected=0, rejection_reasons=[])


def test_resent_request_gives_identical_rows() -> None:
    request = make_request(make_span(f.OURS_STREAMED_CHAT))
    assert normalize_request(request) == normalize_request(request)


# --- the real opentelemetry-instrumentation-openai-v2 around a real AzureOpenAI client -----

# The Azure chat completion the fixtures describe, as the service sends it.
AZURE_CHAT_COMPLETION = {
    "id": f.RESPONSE_ID,
    "object": "chat.completion",
    "created": 1756720800,
    "model": "gpt-4o-2024-11-20",
    "system_fingerprint": "fp_ee1d74bde0",
    "prompt_filter_results": f.PROMPT_FILTER_RESULTS,
    "choices": [
        {
            "index": 0,
            "finish_reason": "stop",
            "logprobs": None,
            "message": {"role": "assistant", "content": "Here is the function…", "refusal": None},
            "content_filter_results": f.CHOICE_FILTER_RESULTS,
        }
    ],
    "usage": {
        "prompt_tokens": 1566,
        "completion_tokens": 1518,
        "total_tokens": 3084,
        "prompt_tokens_details": {"audio_tokens": None, "cached_tokens": 1408},
        "completion_tokens_details": {"audio_tokens": None, "reasoning_tokens": 576},
    },
}
# Azure's 429 body (error code is the string "429"), answered for deployment "throttled".
AZURE_RATE_LIMITED = {"error": {"code": "429", "message": "Requests ... exceeded token rate limit"}}


@pytest.fixture
def azure_openai() -> Iterator[tuple[str, list[str]]]:
    """A local stand-in for https://{resource}.openai.azure.com: (endpoint, request paths)."""
    paths: list[str] = []

    class AzureOpenAIHandler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("content-length", "0")))
            paths.append(self.path)
            throttled = "/deployments/throttled/" in self.path
            body = json.dumps(AZURE_RATE_LIMITED if throttled else AZURE_CHAT_COMPLETION).encode()
            self.send_response(429 if throttled else 200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.send_header("apim-request-id", "3f1c2a9e-4b7d-4e21-9c55-0a8f6d2b1e77")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), AzureOpenAIHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", paths
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def finished_spans() -> Iterator[InMemorySpanExporter]:
    """OpenAIInstrumentor on a private tracer provider, uninstrumented afterwards."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource.create({"service.name": "chat-api"}))
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    instrumentor = OpenAIInstrumentor()
    instrumentor.instrument(tracer_provider=provider)
    try:
        yield exporter
    finally:
        instrumentor.uninstrument()
        provider.shutdown()


def exported(exporter: InMemorySpanExporter) -> Normalized:
    """The finished spans through the OTLP exporter's encoder and the wire, then normalised."""
    wire = encode_spans(exporter.get_finished_spans()).SerializeToString()
    return normalize_request(ExportTraceServiceRequest.FromString(wire))


def test_real_openai_v2_span_takes_deployment_from_request_model(
    azure_openai: tuple[str, list[str]], finished_spans: InMemorySpanExporter
) -> None:
    endpoint, paths = azure_openai
    client = openai.AzureOpenAI(
        azure_endpoint=endpoint, api_key="k", api_version="2024-10-21", max_retries=0
    )
    client.chat.completions.create(
        model="chat-prod", messages=[{"role": "user", "content": "Write a function"}]
    )
    assert paths == ["/openai/deployments/chat-prod/chat/completions?api-version=2024-10-21"]
    (span,) = finished_spans.get_finished_spans()
    # The attribute set 2.4b0 records (through opentelemetry-util-genai 1.1b0): no
    # server.address, no cached or reasoning tokens, no content-filter results.
    assert dict(span.attributes or {}) == {
        "gen_ai.operation.name": "chat",
        "gen_ai.request.model": "chat-prod",
        "gen_ai.provider.name": "openai",
        "gen_ai.response.finish_reasons": ("stop",),
        "gen_ai.response.model": "gpt-4o-2024-11-20",
        "gen_ai.response.id": f.RESPONSE_ID,
        "gen_ai.usage.input_tokens": 1566,
        "gen_ai.usage.output_tokens": 1518,
        "openai.response.system_fingerprint": "fp_ee1d74bde0",
    }
    batch = exported(finished_spans)
    row = only_call(batch)
    assert (row.deployment, row.deployment_source, row.request_model, row.model) == (
        "chat-prod",
        "request_model",
        "chat-prod",
        "gpt-4o-2024-11-20",
    )
    assert (row.input_tokens, row.output_tokens, row.cached_input_tokens) == (1566, 1518, None)
    assert (row.operation, row.provider, row.service, row.endpoint) == (
        "chat",
        "openai",
        "chat-api",
        None,
    )
    assert (row.status, row.http_status, row.finish_reason, row.filter_action) == (
        "ok",
        200,
        "stop",
        "none",
    )
    assert row.call_id == row.trace_id + row.span_id  # type: ignore[operator]
    assert row.attributes["scope.name"] == "opentelemetry.util.genai.handler"
    assert row.attributes["openai.response.system_fingerprint"] == "fp_ee1d74bde0"
    assert batch.filter_results == []


def test_real_openai_v2_rate_limited_span_is_a_429_error(
    azure_openai: tuple[str, list[str]], finished_spans: InMemorySpanExporter
) -> None:
    endpoint, _ = azure_openai
    client = openai.AzureOpenAI(
        azure_endpoint=endpoint, api_key="k", api_version="2024-10-21", max_retries=0
    )
    with pytest.raises(openai.RateLimitError):
        client.chat.completions.create(
            model="throttled", messages=[{"role": "user", "content": "hi"}]
        )
    (span,) = finished_spans.get_finished_spans()
    assert dict(span.attributes or {}) == {
        "gen_ai.operation.name": "chat",
        "gen_ai.request.model": "throttled",
        "gen_ai.provider.name": "openai",
        "error.type": "<class 'openai.RateLimitError'>",
    }
    row = only_call(exported(finished_spans))
    assert (row.status, row.http_status, row.error_type) == (
        "error",
        429,
        "openai.RateLimitError",
    )
    assert (row.deployment, row.input_tokens) == ("throttled", None)


def test_same_span_twice_in_one_request_is_one_call() -> None:
    span = make_span(f.OURS_STREAMED_CHAT)
    batch = normalize(span, span)
    assert [row.call_id for row in batch.calls] == [CALL_ID]
    assert (len(batch.filter_results), batch.rejected) == (16, 0)


def test_apim_subscription_comes_from_span_or_resource() -> None:
    from datetime import UTC, datetime

    from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
    from opentelemetry.proto.trace.v1.trace_pb2 import Span

    from collectors.otlp.synthetic import export_requests

    day = datetime(2026, 11, 1, tzinfo=UTC)
    request = next(export_requests(day, day.replace(day=2), 1))
    resource_spans = request.resource_spans[0]
    first = resource_spans.scope_spans[0].spans[0]
    second = Span()
    second.CopyFrom(first)
    second.span_id = bytes(7) + b"\x02"  # a second call under the same resource
    resource_spans.scope_spans[0].spans.append(second)
    subscription = KeyValue(key="azure.apim.subscription_id", value=AnyValue(string_value="sub-1"))
    first.attributes.append(subscription)
    resource_spans.resource.attributes.append(
        KeyValue(key="azure.apim.subscription_id", value=AnyValue(string_value="sub-res"))
    )
    calls = {c.span_id: c for c in normalize_request(request).calls}
    assert calls[first.span_id.hex()].apim_subscription == "sub-1"  # the span's own value wins
    assert calls[second.span_id.hex()].apim_subscription == "sub-res"  # else the resource's
    assert "azure.apim.subscription_id" not in calls[first.span_id.hex()].attributes
