"""Hand-written OTLP/JSON posted to the running lens server, read back from the ledger.

The body follows the OTLP/HTTP JSON rules (opentelemetry-proto ``docs/specification.md``):
hex trace and span ids, ``kind`` and status ``code`` as integers, int64 values as decimal
strings, lowerCamelCase keys. The GenAI span is the latest-conventions chat span of
semantic-conventions-genai ``docs/gen-ai/openai.md`` (cache and reasoning token counts).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import httpx

from lens_harness.lens_process import LensServer

TRACE_ID = "5b8efff798038103d269b633813fc60c"
SPAN_ID = "eee19b7ec3c1b174"
START_NS = 1756720800000000000  # 2025-09-01T10:00:00Z
END_NS = START_NS + 1_234_000_000


def string(key: str, value: str) -> dict[str, Any]:
    return {"key": key, "value": {"stringValue": value}}


def integer(key: str, value: int | str) -> dict[str, Any]:
    return {"key": key, "value": {"intValue": value}}


def genai_span(trace_id: str = TRACE_ID, span_id: str = SPAN_ID) -> dict[str, Any]:
    return {
        "traceId": trace_id,
        "spanId": span_id,
        "parentSpanId": "",
        "name": "chat gpt-4o",
        "kind": 3,
        "startTimeUnixNano": str(START_NS),
        "endTimeUnixNano": str(END_NS),
        "status": {},
        "attributes": [
            string("gen_ai.operation.name", "chat"),
            string("gen_ai.provider.name", "azure.ai.openai"),
            string("gen_ai.request.model", "gpt-4o"),
            string("gen_ai.response.model", "gpt-4o-2024-11-20"),
            string("gen_ai.response.id", "chatcmpl-B9xKq2Zt6wP3aLrN8vJdY0uQmFhGs"),
            {
                "key": "gen_ai.response.finish_reasons",
                "value": {"arrayValue": {"values": [{"stringValue": "stop"}]}},
            },
            integer("gen_ai.usage.input_tokens", "1566"),
            integer("gen_ai.usage.output_tokens", "1518"),
            integer("gen_ai.usage.cache_read.input_tokens", "1408"),
            # A JSON number where the specification asks for a string: receivers must
            # accept both.
            integer("gen_ai.usage.reasoning.output_tokens", 576),
            string("server.address", "aoai-prod.openai.azure.com"),
            string("openai.response.service_tier", "default"),
        ],
    }


def health_check_span() -> dict[str, Any]:
    """An ordinary HTTP server span from the same service: not a model call."""
    return {
        "traceId": "0af7651916cd43dd8448eb211c80319c",
        "spanId": "b7ad6b7169203331",
        "name": "GET /healthz",
        "kind": 2,
        "startTimeUnixNano": str(START_NS),
        "endTimeUnixNano": str(START_NS + 2_000_000),
        "status": {"code": 1},
        "attributes": [
            string("http.request.method", "GET"),
            integer("http.response.status_code", "200"),
        ],
    }


def request_body(*spans: dict[str, Any]) -> dict[str, Any]:
    return {
        "resourceSpans": [
            {
                "resource": {"attributes": [string("service.name", "chat-api")]},
                "scopeSpans": [
                    {
                        "scope": {"name": "opentelemetry.instrumentation.openai_v2"},
                        "spans": list(spans),
                    }
                ],
            }
        ]
    }


def post(server: LensServer, document: dict[str, Any]) -> httpx.Response:
    return httpx.post(f"{server.url}/v1/traces", json=document, timeout=30)


def stored_calls(db_path: Path) -> list[dict[str, Any]]:
    with duckdb.connect(str(db_path), read_only=True) as con:
        cursor = con.execute("SELECT * EXCLUDE (call_key) FROM calls ORDER BY call_id")
        names = [column[0] for column in cursor.description]
        return [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]


def test_genai_span_in_otlp_json_is_stored_field_by_field(lens_server: LensServer) -> None:
    response = post(lens_server, request_body(genai_span()))

    # Everything accepted: 200 with an empty ExportTraceServiceResponse, in JSON.
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == {}
    assert lens_server.health()["calls"] == 1
    lens_server.stop()

    [row] = stored_calls(lens_server.db_path)
    attributes = json.loads(row.pop("attributes"))
    ingested_at = row.pop("ingested_at")
    assert isinstance(ingested_at, datetime)
    assert row == {
        "call_id": TRACE_ID + SPAN_ID,  # trace id + span id, lower-case hex
        "source": "otlp",
        "trace_id": TRACE_ID,
        "span_id": SPAN_ID,
        "start_time": datetime(2025, 9, 1, 10, 0, tzinfo=UTC),
        "sample_weight": 1.0,  # OTLP spans carry no sampling weight the lens reads
        "duration_ms": 1234.0,
        "ttft_ms": None,  # no gen_ai.response.time_to_first_chunk on the span
        "operation": "chat",
        "endpoint": "aoai-prod.openai.azure.com",  # server.address
        "region": None,  # only azure.openai.region says where the resource served
        "deployment": "gpt-4o",  # gen_ai.request.model: AzureOpenAI sends the deployment
        "deployment_source": "request_model",
        "model": "gpt-4o-2024-11-20",
        "request_model": "gpt-4o",
        "provider": "azure.ai.openai",
        "api_version": None,
        "deployment_type": None,
        "tenant_id": None,
        "end_user": None,
        "service": "chat-api",  # the resource's service.name
        "apim_subscription": None,  # not sent through API Management
        "status": "ok",  # status {} is UNSET: no error
        "http_status": 200,  # a span that reports no error answered 200
        "error_type": None,
        "input_tokens": 1566,  # intValue as a string
        "cached_input_tokens": 1408,  # gen_ai.usage.cache_read.input_tokens
        "output_tokens": 1518,
        "reasoning_tokens": 576,  # gen_ai.usage.reasoning.output_tokens, sent as a number
        "finish_reason": "stop",  # the first of gen_ai.response.finish_reasons
        "filter_action": "none",  # no content-filter attributes at all
        "response_id": "chatcmpl-B9xKq2Zt6wP3aLrN8vJdY0uQmFhGs",
        "request_id": None,  # no azure.openai.request_id on the span
        "also_seen_by": None,  # no other source reported the call
        "cache_write_tokens": None,  # no cache-creation usage attribute
        "service_tier": "default",  # openai.response.service_tier
        "service_tier_requested": None,
        "backend": None,  # no gateway named a backend
        "failover_from": None,
        "attempts": None,
        "spillover": None,
        "spillover_from": None,
    }
    # Attributes without a column are kept, with the resource they came from.
    assert attributes["resource"] == {"service.name": "chat-api"}
    # ... and none of those with a column is duplicated there.
    assert "gen_ai.usage.input_tokens" not in attributes
    assert "server.address" not in attributes
    assert "openai.response.service_tier" not in attributes


def test_upper_case_hex_ids_are_the_same_call(lens_server: LensServer) -> None:
    # OTLP/JSON ids are case-insensitive hex: the upper-case re-send is the same call.
    assert post(lens_server, request_body(genai_span())).json() == {}
    upper = genai_span(TRACE_ID.upper(), SPAN_ID.upper())
    response = post(lens_server, request_body(upper))
    assert response.status_code == 200
    assert response.json() == {}  # accepted (a duplicate is not an error) ...
    assert lens_server.health()["calls"] == 1  # ... and not stored again
    lens_server.stop()
    assert [row["call_id"] for row in stored_calls(lens_server.db_path)] == [TRACE_ID + SPAN_ID]


def test_non_genai_span_is_rejected_in_a_partial_success(lens_server: LensServer) -> None:
    response = post(lens_server, request_body(health_check_span(), genai_span()))

    # The GenAI span is stored; the HTTP span is counted as rejected with a reason, in a
    # 200 partialSuccess (the sender must not retry it). int64 rejectedSpans is a string.
    assert response.status_code == 200, response.text
    partial = response.json()["partialSuccess"]
    assert partial["rejectedSpans"] == "1"
    assert "gen_ai.operation.name" in partial["errorMessage"]
    assert lens_server.health()["calls"] == 1
    lens_server.stop()
    assert [row["call_id"] for row in stored_calls(lens_server.db_path)] == [TRACE_ID + SPAN_ID]


def test_only_non_genai_spans_store_nothing(lens_server: LensServer) -> None:
    response = post(lens_server, request_body(health_check_span()))

    assert response.status_code == 200, response.text
    partial = response.json()["partialSuccess"]
    assert partial["rejectedSpans"] == "1"
    assert partial["errorMessage"]
    assert lens_server.health()["calls"] == 0
    lens_server.stop()
    assert stored_calls(lens_server.db_path) == []


def test_a_call_older_than_retention_is_reported_not_stored(
    make_server: Callable[..., LensServer],
) -> None:
    # 2025-09-01 is more than 100 days ago: that server keeps no such call, and says so.
    server = make_server(env={"LENS_RETENTION_DAYS": "100"}).start()
    response = post(server, request_body(genai_span()))
    assert response.status_code == 200, response.text
    partial = response.json()["partialSuccess"]
    assert partial["rejectedSpans"] == "1"
    assert (
        "older than the lens keeps calls (LENS_RETENTION_DAYS): not stored"
        in (partial["errorMessage"])
    )
    assert server.health()["calls"] == 0
