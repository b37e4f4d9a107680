"""Log Analytics results -> canonical rows, exact values; settings, endpoints and slices.

Call rows go the way a pull takes them: the documented result table (as the fake workspace
writes it: times and dynamic values as text), decoded to Arrow columns and normalised by
the source's SQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pyarrow as pa
import pytest

from app.config import Settings
from app.errors import ConfigError
from collectors.genai import attributes as attr
from collectors.loganalytics.client import EndpointError, check_endpoint
from collectors.loganalytics.decode import parse_dynamic, table_columns
from collectors.loganalytics.normalize import normalize_calls, normalize_metrics, normalize_rollups
from collectors.loganalytics.poller import time_slices
from collectors.loganalytics.sources import parse_since
from collectors.rows import CALL_SCHEMA, CallRow, call_rows
from lens_harness.log_analytics import result_table
from lens_harness.log_analytics_rows import apim_row, app_insights_row, diagnostics_row

AT = datetime(2025, 9, 1, 10, 0, 2, 435000, tzinfo=UTC)
TABLES = {
    "apim": "ApiManagementGatewayLlmLog",
    "azure_diagnostics": "AzureDiagnostics",
    "app_insights": "AppDependencies",
}


def normalized_rows(
    name: str, rows: list[dict[str, Any]], source: str = "s"
) -> tuple[list[CallRow], int]:
    """Source ``name``'s rows through the wire table, decode and normalise: (calls, bad)."""
    normalized = normalize_calls(name, table_columns([result_table(TABLES[name], rows)]), source)
    assert normalized.calls.schema == CALL_SCHEMA
    return call_rows(normalized.calls), normalized.left_out


def normalized(name: str, row: dict[str, Any], source: str = "s") -> CallRow:
    (call,), bad = normalized_rows(name, [row], source)
    assert bad == 0
    return call


def test_app_insights_span_properties_as_strings_become_typed_columns() -> None:
    row = app_insights_row(AT, "5B8EFFF798038103D269B633813FC60C", "EEE19B7EC3C1B174")
    call = normalized("app_insights", row, "loganalytics:app_insights")
    assert call.call_id == "5b8efff798038103d269b633813fc60ceee19b7ec3c1b174"  # as over OTLP
    assert (call.start_time, call.duration_ms, call.operation) == (AT, 1234.5, "chat")
    assert (call.deployment, call.deployment_source) == ("gpt-4o-prod", "request_model")
    assert (call.input_tokens, call.output_tokens, call.finish_reason) == (812, 164, "stop")
    assert (call.status, call.http_status, call.endpoint) == ("ok", 200, None)  # Target "openai"
    assert (call.tenant_id, call.service, call.model) == (
        "fabrikam",
        "chat-api",
        "gpt-4o-2024-11-20",
    )
    assert call.attributes == {"span.name": "chat gpt-4o-prod", "dependency.type": "GenAI | openai"}


def test_failed_app_insights_span_is_an_error_without_a_made_up_status() -> None:
    row = app_insights_row(AT, "a" * 32, "b" * 16)
    row["Success"] = False
    call = normalized("app_insights", row)
    assert (call.status, call.http_status) == ("error", None)


# Every spelling attributes.py knows for a column (the OTLP normaliser reads the same
# tuples); the App Insights SQL names them one by one, so each is checked here.
SPELLINGS = [
    *((name, "input_tokens") for name in attr.INPUT_TOKENS),
    *((name, "output_tokens") for name in attr.OUTPUT_TOKENS),
    *((name, "cached_input_tokens") for name in attr.CACHED_INPUT_TOKENS),
    *((name, "reasoning_tokens") for name in attr.REASONING_TOKENS),
    *((name, "end_user") for name in attr.END_USER),
]


@pytest.mark.parametrize(("name", "column"), SPELLINGS)
def test_app_insights_reads_every_spelling_of_a_column(name: str, column: str) -> None:
    row = app_insights_row(AT, "a" * 32, "b" * 16)
    properties = row["Properties"]
    for spelling in attr.ALL_TOKENS + attr.END_USER:
        properties.pop(spelling, None)
    properties[name] = "7"
    call = normalized("app_insights", row)
    assert getattr(call, column) == (7 if column != "end_user" else "7")
    assert name not in call.attributes  # read into its column, not kept twice


def test_app_insights_names_the_deployment_and_keeps_unmapped_properties() -> None:
    row = app_insights_row(AT, "a" * 32, "b" * 16)
    row["Target"] = "aoai-prod.openai.azure.com"
    row["Properties"].update({
        "azure.openai.deployment": "chat-east", "gen_ai.usage.cache_read.input_tokens": "200",
        "gen_ai.usage.reasoning_tokens": "64", "gen_ai.response.time_to_first_chunk": "0.25",
        "custom.flag": "True",
    })  # fmt: skip
    call = normalized("app_insights", row)
    assert (call.deployment, call.deployment_source, call.endpoint) == (
        "chat-east", "attribute", "aoai-prod.openai.azure.com",
    )  # fmt: skip
    assert (call.cached_input_tokens, call.reasoning_tokens, call.ttft_ms) == (200, 64, 250.0)
    assert call.attributes["custom.flag"] == "True"
    assert "gen_ai.usage.cache_read.input_tokens" not in call.attributes


def test_app_insights_credentials_are_masked_as_on_otlp() -> None:
    row = app_insights_row(AT, "a" * 32, "b" * 16)
    row["Properties"].update({
        "http.request.header.api-key": "0123456789abcdef", "llm.headers": "None",
        "db.password": "hunter2", "custom.token_count": "12", "custom.flag": "True",
    })  # fmt: skip
    call = normalized("app_insights", row)
    assert call.attributes["http.request.header.api-key"] == "[redacted]"
    assert call.attributes["db.password"] == "[redacted]"
    assert call.attributes["llm.headers"] == "None"  # says there are none: kept
    assert call.attributes["custom.token_count"] == "12"
    assert call.attributes["custom.flag"] == "True"


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("('stop',)", "stop"),
        ("('stop', 'length')", "stop"),
        ('["content_filter"]', "content_filter"),
        ("stop", "stop"),
        ("(unbalanced", "(unbalanced"),
        ("()", None),
        ("", None),
        (None, None),
    ],
)
def test_finish_reason_is_the_first_of_a_python_repr_json_or_plain_text(
    value: str | None, reason: str | None
) -> None:
    row = app_insights_row(AT, "a" * 32, "b" * 16)
    row["Properties"]["gen_ai.response.finish_reasons"] = value
    assert normalized("app_insights", row).finish_reason == reason


def test_properties_that_are_not_a_json_object_read_as_none() -> None:
    row = app_insights_row(AT, "a" * 32, "b" * 16)
    row["Properties"] = "not json"
    call = normalized("app_insights", row)
    assert (call.deployment, call.deployment_source, call.input_tokens) == (
        "unknown", "unknown", None,
    )  # fmt: skip
    assert call.attributes == {"span.name": "chat gpt-4o-prod", "dependency.type": "GenAI | openai"}


def test_apim_row_names_subscription_backend_and_request_id() -> None:
    call = normalized("apim", apim_row(AT, "corr-1", backend_request_id="req-9"))
    assert (call.call_id, call.request_id, call.response_id) == (
        "apim:corr-1",
        "req-9",
        "chatcmpl-corr-1",
    )
    assert (call.apim_subscription, call.endpoint) == ("sub-contoso", "aoai-prod.openai.azure.com")
    assert (call.deployment, call.deployment_source, call.operation) == (
        "gpt-4o-prod",
        "log",
        "chat",
    )
    assert (call.input_tokens, call.output_tokens, call.duration_ms) == (812, 164, 1021.0)
    assert call.region is None  # Region is the gateway's
    assert call.attributes["apim.product_id"] == "starter"
    assert "stream" not in call.attributes  # IsStreamCompletion 0


def test_apim_error_response_is_an_error_call() -> None:
    call = normalized("apim", apim_row(AT, "c", response_code=429))
    assert (call.status, call.http_status) == ("error", 429)


def test_apim_call_the_client_left_mid_stream_is_ok_with_its_reason_kept() -> None:
    row = apim_row(AT, "c", response_code=200)
    row.update(IsStreamCompletion=1, LastErrorReason="ClientConnectionFailure")
    call = normalized("apim", row)
    assert (call.status, call.http_status, call.error_type) == ("ok", 200, None)
    assert call.attributes["apim.last_error"] == "ClientConnectionFailure"
    # Without a status, an error reason is all there is: the call failed.
    row.update(ResponseCode=None, LastErrorReason="BackendConnectionFailure")
    assert normalized("apim", row).status == "error"


def test_diagnostics_row_reads_its_properties_json() -> None:
    call = normalized(
        "azure_diagnostics", diagnostics_row(AT, "d427a391"), "loganalytics:azure_diagnostics"
    )
    assert (call.call_id, call.request_id) == ("diag:d427a391", "d427a391")
    assert (call.deployment, call.model, call.api_version) == (
        "gpt-4o-prod",
        "gpt-4o-2024-11-20",
        "2024-10-21",
    )
    assert (call.endpoint, call.http_status, call.input_tokens) == ("aoai-prod", 200, None)
    assert call.attributes["stream_type"] == "Non-Streaming"


def test_diagnostics_properties_that_are_not_json_read_as_empty() -> None:
    row = diagnostics_row(AT, "d1")
    row["properties_s"] = "{not json"
    call = normalized("azure_diagnostics", row)
    assert (call.deployment, call.deployment_source, call.model, call.api_version) == (
        "unknown", "unknown", None, None,
    )  # fmt: skip


def test_each_source_fills_every_field_of_the_call() -> None:
    apim = apim_row(AT, "corr-1", backend_request_id="req-9", response_code=429)
    apim.update(IsStreamCompletion=1, LastErrorReason="throttled")
    assert normalized("apim", apim, "loganalytics:apim") == CallRow(
        call_id="apim:corr-1", source="loganalytics:apim", trace_id=None, span_id=None,
        start_time=AT, duration_ms=1021.0, ttft_ms=None, operation="chat",
        endpoint="aoai-prod.openai.azure.com", region=None, deployment="gpt-4o-prod",
        deployment_source="log", model="gpt-4o-2024-11-20", request_model=None,
        provider="azure.ai.openai", api_version="2024-10-21", deployment_type=None,
        tenant_id=None, end_user=None, service=None, status="error", http_status=429,
        error_type="throttled", input_tokens=812, cached_input_tokens=None, output_tokens=164,
        reasoning_tokens=None, finish_reason=None, filter_action="none",
        response_id="chatcmpl-corr-1",
        attributes={
            "apim.product_id": "starter", "apim.api_id": "azure-openai",
            "apim.caller_ip": "203.0.113.7", "apim.region": "West Europe", "stream": True,
            "apim.backend_id": "aoai-prod-backend", "apim.backend_response_code": 429,
        },
        apim_subscription="sub-contoso", request_id="req-9", backend="aoai-prod-backend",
    )  # fmt: skip
    diagnostics = diagnostics_row(AT, "d427a391")
    assert normalized(
        "azure_diagnostics", diagnostics, "loganalytics:azure_diagnostics"
    ) == CallRow(
        call_id="diag:d427a391", source="loganalytics:azure_diagnostics", trace_id=None,
        span_id=None, start_time=AT, duration_ms=1021.0, ttft_ms=None, operation="chat",
        endpoint="aoai-prod", region=None, deployment="gpt-4o-prod", deployment_source="log",
        model="gpt-4o-2024-11-20", request_model=None, provider="azure.ai.openai",
        api_version="2024-10-21", deployment_type=None, tenant_id=None, end_user=None,
        service=None, status="ok", http_status=200, error_type=None, input_tokens=None,
        cached_input_tokens=None, output_tokens=None, reasoning_tokens=None,
        finish_reason=None, filter_action="none", response_id=None,
        attributes={
            "stream_type": "Non-Streaming", "caller_ip": "81.2.69.***", "resource": "AOAI-PROD",
        },
        apim_subscription=None, request_id="d427a391",
    )  # fmt: skip
    span = app_insights_row(AT, "A" * 32, "B" * 16)
    span["Properties"].update({"azure.openai.request_id": "req-3", "enduser.id": "u-1"})
    assert normalized("app_insights", span, "loganalytics:app_insights") == CallRow(
        call_id="a" * 32 + "b" * 16, source="loganalytics:app_insights", trace_id="a" * 32,
        span_id="b" * 16, start_time=AT, duration_ms=1234.5, ttft_ms=None, operation="chat",
        endpoint=None, region=None, deployment="gpt-4o-prod",
        deployment_source="request_model", model="gpt-4o-2024-11-20",
        request_model="gpt-4o-prod", provider="openai", api_version=None,
        deployment_type=None, tenant_id="fabrikam", end_user="u-1", service="chat-api",
        status="ok", http_status=200, error_type=None, input_tokens=812,
        cached_input_tokens=None, output_tokens=164, reasoning_tokens=None,
        finish_reason="stop", filter_action="none", response_id="chatcmpl-B9x",
        attributes={"span.name": "chat gpt-4o-prod", "dependency.type": "GenAI | openai"},
        apim_subscription=None, request_id="req-3",
    )  # fmt: skip


def test_rows_that_cannot_be_calls_are_counted_not_raised() -> None:
    good = apim_row(AT, "ok")
    no_id = apim_row(AT, "x")
    no_id["CorrelationId"] = None
    no_time = apim_row(AT, "y")
    no_time["TimeGenerated"] = None
    bad_time = apim_row(AT, "z")
    bad_time["TimeGenerated"] = "yesterday"
    calls, bad = normalized_rows("apim", [good, no_id, no_time, bad_time])
    assert ([c.call_id for c in calls], bad) == (["apim:ok"], 3)


@pytest.mark.parametrize(
    ("tokens", "stored"),
    [(-5, None), ("812", 812), ("n/a", None), (10**12, None), (True, None), (812.0, 812)],
)
def test_impossible_token_counts_are_missing(tokens: object, stored: int | None) -> None:
    row = apim_row(AT, "c")
    row["PromptTokens"] = tokens
    row["TotalTokens"] = None  # nothing to fall back on
    assert normalized("apim", row).input_tokens == stored


@pytest.mark.parametrize(
    ("prompt", "completion", "total", "tokens", "total_kept", "inconsistent"),
    [
        (812, 164, 976, (812, 164), None, None),  # consistent: nothing to add
        (None, 164, 976, (812, 164), 976, None),  # a missing count is the total minus the other
        (812, None, 976, (812, 164), 976, None),
        (None, None, 976, (None, None), 976, None),  # not split: tokens unknown, total kept
        (812, 164, 1000, (812, 164), 1000, True),  # the counts bill; the disagreement is kept
        (900, None, 100, (900, 0), 100, None),  # never below zero
    ],
)
def test_apim_total_tokens_fills_a_missing_count_and_checks_the_others(
    prompt: int | None,
    completion: int | None,
    total: int | None,
    tokens: tuple[int | None, int | None],
    total_kept: int | None,
    inconsistent: bool | None,
) -> None:
    call = normalized("apim", apim_row(AT, "c", prompt=prompt, completion=completion, total=total))
    assert (call.input_tokens, call.output_tokens) == tokens
    assert call.attributes.get("apim.total_tokens") == total_kept
    assert call.attributes.get("apim.tokens_inconsistent") == inconsistent


def test_apim_session_id_is_kept_as_the_session_attribute() -> None:
    assert normalized("apim", apim_row(AT, "c", session="sess-42")).attributes["session.id"] == (
        "sess-42"
    )
    assert "session.id" not in normalized("apim", apim_row(AT, "c")).attributes


def test_a_column_of_mixed_types_is_read_cell_by_cell() -> None:
    rows = [apim_row(AT, "a"), apim_row(AT, "b", response_code=503), apim_row(AT, "c")]
    rows[1]["PromptTokens"] = "900"  # text in a long column: the column is read as text
    rows[2]["ResponseCode"] = "nope"
    calls, bad = normalized_rows("apim", rows)
    assert bad == 0
    assert [(c.input_tokens, c.http_status, c.status) for c in calls] == [
        (812, 200, "ok"), (900, 503, "error"), (812, None, "ok"),
    ]  # fmt: skip


def test_operation_ids_map_to_operations() -> None:
    rows = []
    for i, name in enumerate(("ChatCompletions_Create", "Embeddings_Create", None, "X_Y")):
        rows.append(apim_row(AT, f"c{i}"))
        rows[-1]["OperationName"] = name
    calls, _ = normalized_rows("apim", rows)
    assert [c.operation for c in calls] == ["chat", "embeddings", "unknown", "x_y"]


def test_result_columns_are_typed_as_the_table_says() -> None:
    table = table_columns([{
        "name": "PrimaryResult",
        "columns": [{"name": "n", "type": "long"}, {"name": "ok", "type": "bool"},
                    {"name": "t", "type": "datetime"}, {"name": "d", "type": "dynamic"},
                    {"name": "mixed", "type": "long"}],
        "rows": [[1, True, "2025-09-01T10:00:00Z", '{"a": 1}', 5],
                 [None, False, None, {"b": 2}, "6"]],
    }])  # fmt: skip
    assert table.schema.types == [pa.int64(), pa.bool_(), pa.string(), pa.string(), pa.string()]
    assert table.to_pydict() == {
        "n": [1, None], "ok": [True, False], "t": ["2025-09-01T10:00:00Z", None],
        "d": ['{"a": 1}', '{"b":2}'], "mixed": ["5", "6"],
    }  # fmt: skip
    assert table_columns([]).num_columns == 0


def test_no_result_table_is_no_calls() -> None:
    normalized = normalize_calls("apim", table_columns([]), "s")
    table, bad = normalized.calls, normalized.left_out
    assert (table.num_rows, bad, table.schema) == (0, 0, CALL_SCHEMA)


def test_dynamic_cells_are_parsed_and_other_text_kept() -> None:
    assert parse_dynamic('{"a": 1}') == {"a": 1}
    assert parse_dynamic("not json") == "not json"
    assert parse_dynamic(None) is None


def test_metrics_and_rollups() -> None:
    metrics = normalize_metrics(
        [
            {
                "TimeGenerated": AT,
                "Resource": "AOAI-PROD",
                "MetricName": "GeneratedTokens",
                "Total": 5.0,
            },
            {"TimeGenerated": AT, "Resource": None, "MetricName": "GeneratedTokens", "Total": 5.0},
        ]
    )
    assert metrics == [("aoai-prod", AT, "GeneratedTokens", 5.0)]
    (rollup,) = normalize_rollups(
        [
            {
                "Hour": AT,
                "DeploymentName": "d",
                "ApimSubscriptionId": "s1",
                "Status": "error",
                "Requests": 3,
                "PromptTokens": 30,
                "CompletionTokens": 6,
            }
        ],
        "loganalytics:apim",
    )
    assert (rollup["requests"], rollup["input_tokens"], rollup["status"]) == (3, 30, "error")


@pytest.mark.parametrize(
    "endpoint",
    [
        "https://api.loganalytics.io",
        "https://api.loganalytics.us/",
        "http://127.0.0.1:9",
        "http://localhost:1",
        "http://[::1]:5",
    ],
)
def test_endpoints_accepted(endpoint: str) -> None:
    assert check_endpoint(endpoint) == endpoint.rstrip("/")


@pytest.mark.parametrize(
    "endpoint",
    ["http://api.loganalytics.io", "http://10.0.0.5:80", "ftp://x", "api.loganalytics.io"],
)
def test_plain_http_to_another_machine_is_refused(endpoint: str) -> None:
    with pytest.raises(EndpointError):
        check_endpoint(endpoint)


def test_settings_build_the_collector_config() -> None:
    assert Settings().log_analytics_config() is None  # no workspace: no poller
    config = Settings(
        log_analytics_workspace_id="ws",
        log_analytics_access_token="secret",  # type: ignore[arg-type]
        lens_log_analytics_sources="apim, azure_metrics",
        lens_log_analytics_overlap_min=10,
    ).log_analytics_config()
    assert config is not None
    assert (config.sources, config.overlap, config.access_token) == (
        ("apim", "azure_metrics"),
        timedelta(minutes=10),
        "secret",
    )
    assert "secret" not in repr(config)


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ({"lens_log_analytics_sources": "apim,appinsights"}, "unknown sources: appinsights"),
        ({"log_analytics_endpoint": "http://logs.example.com"}, "LOG_ANALYTICS_ENDPOINT"),
    ],
)
def test_bad_log_analytics_settings_name_the_variable(
    setting: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        Settings(log_analytics_workspace_id="ws", **setting).log_analytics_config()  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "span"),
    [("30d", timedelta(days=30)), ("12h", timedelta(hours=12)), ("90M", timedelta(minutes=90))],
)
def test_since_durations(text: str, span: timedelta) -> None:
    assert parse_since(text) == span


@pytest.mark.parametrize(
    "text",
    # a number of hours or minutes too large for a timedelta is refused, never an
    # OverflowError (a 500 on /api/advise and /api/backfill); so are non-ASCII digits
    [
        "30",
        "d",
        "-1d",
        "0h",
        "1w",
        "3651d",
        "1.5h",
        "",
        "99999999999999999999h",
        "87601h",
        "5256001m",
        "²d",
        "9" * 5000 + "m",
    ],
)
def test_bad_since_is_refused(text: str) -> None:
    with pytest.raises(ValueError) as refused:
        parse_since(text)
    assert len(str(refused.value)) < 120  # quoted in part


def test_time_slices_cover_the_range_exactly() -> None:
    start = datetime(2025, 9, 1, tzinfo=UTC)
    slices = time_slices(start, start + timedelta(hours=13), timedelta(hours=6))
    assert slices == [
        (start, start + timedelta(hours=6)),
        (start + timedelta(hours=6), start + timedelta(hours=12)),
        (start + timedelta(hours=12), start + timedelta(hours=13)),
    ]
    assert time_slices(start, start, timedelta(hours=1)) == []


def test_a_rollup_hour_may_hold_more_tokens_than_one_call_and_keeps_cached_and_reasoning() -> None:
    (rollup,) = normalize_rollups(
        [
            {
                "Hour": AT, "DeploymentName": "d", "Status": "ok", "Requests": 40_000,
                "PromptTokens": 250_000_000, "CompletionTokens": 9_000_000,
                "CachedTokens": 120_000_000, "ReasoningTokens": 4_000_000,
            }
        ],
        "loganalytics:app_insights",
    )  # fmt: skip
    counts = ("requests", "input_tokens", "cached_input_tokens", "output_tokens",
              "reasoning_tokens")  # fmt: skip
    assert [rollup[name] for name in counts] == [
        40_000, 250_000_000, 120_000_000, 9_000_000, 4_000_000,
    ]  # fmt: skip


def test_app_insights_rows_carry_guardrail_verdicts_from_output_messages() -> None:
    """An OpenLLMetry 0.62 span exported to Application Insights: its prompt verdicts and
    each output message's verdicts become rows, with their details."""
    row = app_insights_row(AT, "5B8EFFF798038103D269B633813FC60C", "EEE19B7EC3C1B174")
    citation = {"URL": "https://github.com/octo/lib", "license": "MIT"}
    row["Properties"] = {
        **row["Properties"],
        "gen_ai.prompt.prompt_filter_results": json.dumps([{"prompt_index": 0,
            "content_filter_results": {"indirect_attack": {"filtered": False,
                                                           "detected": True}}}]),
        "gen_ai.output.messages": json.dumps([{"role": "assistant", "parts": [],
            "finish_reason": "stop", "content_filter_results": {
                "protected_material_code": {"filtered": False, "detected": True,
                                            "citation": citation}}}]),
    }  # fmt: skip
    normalized = normalize_calls(
        "app_insights", table_columns([result_table(TABLES["app_insights"], [row])]), "s"
    )
    verdicts = normalized.verdicts.select(["target", "category", "detected", "details"]).to_pylist()
    assert verdicts == [
        {"target": "prompt", "category": "indirect_attack", "detected": True, "details": None},
        {"target": "completion", "category": "protected_material_code", "detected": True,
         "details": json.dumps({"citation": citation}, sort_keys=True)},
    ]  # fmt: skip
    assert call_rows(normalized.calls)[0].filter_action == "annotated"
