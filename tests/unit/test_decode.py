"""decode: OTLP/HTTP bodies -> ExportTraceServiceRequest, and what each bad body gets."""

from __future__ import annotations

import gzip
import json
import zlib

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from collectors.otlp.decode import (
    BadPayloadError,
    decode_export_request,
    decode_raw_attributes_request,
    hex_id,
)

TRACE = "5b8efff798038103d269b633813fc60c"
SPAN = "eee19b7ec3c1b174"


def json_body(trace: str = TRACE, span: str = SPAN, parent: str = "") -> bytes:
    # Shape from opentelemetry-proto examples/trace.json (hex ids, int64 as strings).
    document = {
        "resourceSpans": [
            {
                "resource": {
                    "attributes": [{"key": "service.name", "value": {"stringValue": "chat-api"}}]
                },
                "scopeSpans": [
                    {
                        "scope": {"name": "opentelemetry.instrumentation.openai_v2"},
                        "spans": [
                            {
                                "traceId": trace,
                                "spanId": span,
                                "parentSpanId": parent,
                                "name": "chat gpt-4o",
                                "kind": 3,
                                "startTimeUnixNano": "1756720800000000000",
                                "endTimeUnixNano": "1756720801234000000",
                                "attributes": [
                                    {
                                        "key": "gen_ai.usage.input_tokens",
                                        "value": {"intValue": "812"},
                                    }
                                ],
                                "status": {"code": 0},
                                "someFutureField": {"ignored": True},
                            }
                        ],
                    }
                ],
            }
        ]
    }
    return json.dumps(document).encode()


def protobuf_body() -> bytes:
    return decode_export_request(json_body(), "application/json").SerializeToString()


def only_span(request: ExportTraceServiceRequest):  # type: ignore[no-untyped-def]
    return request.resource_spans[0].scope_spans[0].spans[0]


def test_json_ids_are_hex_not_base64() -> None:
    span = only_span(decode_export_request(json_body(), "application/json"))
    assert hex_id(span.trace_id) == TRACE
    assert hex_id(span.span_id) == SPAN
    assert span.attributes[0].value.int_value == 812
    assert span.start_time_unix_nano == 1756720800000000000


def test_upper_case_hex_ids_are_accepted() -> None:
    span = only_span(decode_export_request(json_body(TRACE.upper()), "application/json"))
    assert hex_id(span.trace_id) == TRACE


def test_protobuf_round_trips() -> None:
    span = only_span(decode_export_request(protobuf_body(), "application/x-protobuf"))
    assert hex_id(span.span_id) == SPAN


@pytest.mark.parametrize("encoding", ["gzip", "deflate"])
def test_compressed_bodies_are_accepted(encoding: str) -> None:
    raw = protobuf_body()
    body = gzip.compress(raw) if encoding == "gzip" else zlib.compress(raw)
    span = only_span(decode_export_request(body, "application/x-protobuf", encoding))
    assert hex_id(span.trace_id) == TRACE


def test_content_type_parameters_are_ignored() -> None:
    request = decode_export_request(json_body(), "application/json; charset=utf-8")
    assert len(request.resource_spans) == 1


def test_empty_request_is_valid() -> None:
    assert decode_export_request(b"", "application/x-protobuf").resource_spans == []
    assert decode_export_request(b"{}", "application/json").resource_spans == []


# Each bad body: the status it gets and words the reason must contain.
BAD_BODIES = [
    ("truncated protobuf", protobuf_body()[:-7], "application/x-protobuf", None, 400, "protobuf"),
    ("invalid JSON", b'{"resourceSpans": [', "application/json", None, 400, "not valid JSON"),
    ("JSON array", b"[]", "application/json", None, 400, "JSON object"),
    ("wrong type", b'{"resourceSpans": 5}', "application/json", None, 400, "OTLP/JSON"),
    ("wrong content type", json_body(), "text/plain", None, 415, "text/plain"),
    ("no content type", json_body(), None, None, 415, "(none)"),
    ("unknown encoding", json_body(), "application/json", "br", 415, "br"),
    ("not gzip", b"plain", "application/json", "gzip", 400, "gzip"),
    ("truncated gzip", gzip.compress(json_body())[:-12], "application/json", "gzip", 400, "gzip"),
    ("short trace id", json_body(trace="abcd"), "application/json", None, 400, "traceId"),
    ("long span id", json_body(span=SPAN + "00"), "application/json", None, 400, "spanId"),
    ("zero trace id", json_body(trace="0" * 32), "application/json", None, 400, "traceId"),
    ("bad parent", json_body(parent="abc123"), "application/json", None, 400, "parentSpanId"),
    ("zero span id", json_body(span="0" * 16), "application/json", None, 400, "spanId"),
    ("non-hex id", json_body(span="zzzzzzzzzzzzzzzz"), "application/json", None, 400, "not hex"),
]


@pytest.mark.parametrize(
    ("body", "content_type", "encoding", "status", "reason"),
    [case[1:] for case in BAD_BODIES],
    ids=[case[0] for case in BAD_BODIES],
)
def test_bad_bodies_get_a_status_and_a_reason(
    body: bytes, content_type: str | None, encoding: str | None, status: int, reason: str
) -> None:
    with pytest.raises(BadPayloadError) as caught:
        decode_export_request(body, content_type, encoding)
    assert caught.value.status == status
    assert reason in caught.value.reason


def test_a_bad_id_is_named_with_its_span_in_either_definition() -> None:
    """Ids are checked span by span, the reason naming the first bad one (a receiver's
    request, whose attributes stay bytes, as a published one)."""
    request = decode_export_request(json_body(), "application/json")
    spans = request.resource_spans[0].scope_spans[0].spans
    spans.add().CopyFrom(spans[0])
    spans.add().CopyFrom(spans[0])
    spans[2].parent_span_id = b"\x01" * 7
    body = request.SerializeToString()
    for decode in (decode_export_request, decode_raw_attributes_request):
        with pytest.raises(BadPayloadError) as caught:
            decode(body, "application/x-protobuf")
        assert caught.value.reason == (
            "resourceSpans[0].scopeSpans[0].spans[2].parentSpanId must be 8 bytes or empty, got 7"
        )


def test_gzip_bomb_is_refused_without_inflating_it() -> None:
    bomb = gzip.compress(b"\0" * (64 * 1024 * 1024))  # 64 MiB of zeros in ~64 KiB
    assert len(bomb) < 100_000
    with pytest.raises(BadPayloadError) as caught:
        decode_export_request(bomb, "application/x-protobuf", "gzip", max_bytes=1024 * 1024)
    assert caught.value.status == 413
    assert "exceeds the limit" in caught.value.reason


def test_uncompressed_body_over_the_limit_is_413() -> None:
    with pytest.raises(BadPayloadError) as caught:
        decode_export_request(b"x" * 2048, "application/x-protobuf", max_bytes=1024)
    assert caught.value.status == 413
