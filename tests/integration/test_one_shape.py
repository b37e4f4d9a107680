"""The same GenAI spans, sent over OTLP (protobuf and JSON) and through Application Insights
(the real Azure Monitor exporter, then the AppDependencies row Azure makes of its
envelope), give the same calls and the same verdicts, field by field.

The ingestion endpoint is a local server answering the Track API as Application Insights
does; an envelope becomes an ``AppDependencies`` row by the documented mapping (the table
reference: TimeGenerated = time, OperationId = tag ai.operation.id, Id, Name, DurationMs,
Success, ResultCode, DependencyType = type, Target, AppRoleName = tag ai.cloud.role,
UserAuthenticatedId = tag ai.user.authUserId, SessionId = tag ai.session.id, Properties =
properties)."""

from __future__ import annotations

import base64
import gzip
import json
import threading
import time
from collections.abc import Iterator, Mapping
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import pytest
from azure.monitor.opentelemetry.exporter import AzureMonitorTraceExporter
from google.protobuf import json_format
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, Status, StatusCode

from collectors.loganalytics.decode import table_columns
from collectors.loganalytics.normalize import normalize_calls
from collectors.otlp.decode import decode_export_request, parse_json_request
from collectors.rows import CallRow, call_rows, verdict_rows
from lens_harness.log_analytics import result_table
from tests.fixtures import otlp_spans as f
from tests.normalizing import normalize_request

# Span attribute sets of every producer the fixtures hold, and how each span ended.
PRODUCERS: list[tuple[str, Mapping[str, Any], bool]] = [
    ("chat gpt-4o", f.OPENAI_V2_LEGACY_CHAT, False),
    ("chat gpt-4o", f.SEMCONV_AZURE_CHAT, False),
    ("openai.chat", f.TRACELOOP_AZURE_CHAT, False),
    ("chat chat-prod", f.OURS_STREAMED_CHAT, False),
    ("chat chat-prod", f.OURS_BLOCKED_PROMPT, True),
    ("chat chat-prod", f.OURS_FILTERED_COMPLETION, False),
]
# What the Azure Monitor exporter does not carry into AppDependencies: the source, the
# attributes as a whole (scope and resource stay behind), error.type and server.address
# (dropped: a GenAI dependency's Target holds gen_ai.system instead).
NOT_CARRIED = {"source", "attributes", "error_type", "endpoint"}


class _Ingestion(BaseHTTPRequestHandler):
    envelopes: ClassVar[list[dict[str, Any]]] = []

    def log_message(self, *_: Any) -> None:
        pass

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("content-length", 0)))
        if self.headers.get("content-encoding") == "gzip":
            body = gzip.decompress(body)
        batch = json.loads(body) if self.path == "/v2.1/track" else []
        type(self).envelopes.extend(batch)
        payload = json.dumps(
            {"itemsReceived": len(batch), "itemsAccepted": len(batch), "errors": []}
        ).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


@pytest.fixture
def spans() -> list[ReadableSpan]:
    """Each producer's span, made and ended by the real SDK."""
    memory = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource.create({"service.name": "chat-api"}))
    provider.add_span_processor(SimpleSpanProcessor(memory))
    tracer = provider.get_tracer("opentelemetry.instrumentation.openai_v2")
    # Whole milliseconds: Application Insights keeps times and durations to the millisecond.
    start = (time.time_ns() // 1_000_000 - 60_000) * 1_000_000
    for number, (name, attributes, failed) in enumerate(PRODUCERS):
        began = start + number * 5_000_000_000
        span = tracer.start_span(
            name, kind=SpanKind.CLIENT, attributes=dict(attributes), start_time=began
        )
        if failed:
            span.set_status(Status(StatusCode.ERROR, "Error code: 400"))
        span.end(end_time=began + 1_234_000_000)
    provider.shutdown()
    return list(memory.get_finished_spans())


@pytest.fixture
def ingestion(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("APPLICATIONINSIGHTS_STATSBEAT_DISABLED_ALL", "true")
    _Ingestion.envelopes = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Ingestion)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield (
        "InstrumentationKey=00000000-0000-0000-0000-000000000000;"
        f"IngestionEndpoint=http://127.0.0.1:{server.server_address[1]}/"
    )
    server.shutdown()


def dependency_row(envelope: dict[str, Any]) -> dict[str, Any]:
    """An envelope as the AppDependencies row Azure makes of it."""
    data, tags = envelope["data"]["baseData"], envelope["tags"]
    days, _, clock = data["duration"].rpartition(".")[0].partition(".")
    hours, minutes, seconds = clock.split(":") if clock else days.split(":")
    fraction = "0." + data["duration"].rpartition(".")[2]
    duration_ms = (int(hours) * 3600 + int(minutes) * 60 + int(seconds) + float(fraction)) * 1000
    if clock:
        duration_ms += int(days) * 86_400_000
    return {
        "TimeGenerated": datetime.fromisoformat(envelope["time"].replace("Z", "+00:00")),
        "OperationId": tags["ai.operation.id"],
        "Id": data["id"],
        "Name": data["name"],
        "DurationMs": round(duration_ms, 3),
        "Success": data["success"],
        "ResultCode": data.get("resultCode"),
        "DependencyType": data.get("type"),
        "Target": data.get("target"),
        "AppRoleName": tags.get("ai.cloud.role"),
        "UserAuthenticatedId": tags.get("ai.user.authUserId"),
        "SessionId": tags.get("ai.session.id"),
        "Properties": data.get("properties", {}),
    }


def by_call(calls: list[CallRow]) -> dict[str, dict[str, Any]]:
    return {
        call.call_id: {k: v for k, v in vars_of(call).items() if k not in NOT_CARRIED}
        for call in calls
    }


def vars_of(call: CallRow) -> dict[str, Any]:
    return {name: getattr(call, name) for name in call.__dataclass_fields__}


def test_otlp_and_application_insights_give_the_same_calls_and_verdicts(
    spans: list[ReadableSpan], ingestion: str
) -> None:
    request = encode_spans(spans)
    over_protobuf = normalize_request(
        decode_export_request(request.SerializeToString(), "application/x-protobuf")
    )
    document = json_format.MessageToDict(request)
    for resource_spans in document["resourceSpans"]:  # OTLP/JSON ids are hex, not base64
        for scope_spans in resource_spans["scopeSpans"]:
            for span in scope_spans["spans"]:
                for key in ("traceId", "spanId", "parentSpanId"):
                    if key in span:
                        span[key] = base64.b64decode(span[key]).hex()
    over_json = normalize_request(parse_json_request(json.dumps(document)))
    assert over_json == over_protobuf

    exporter = AzureMonitorTraceExporter(connection_string=ingestion)
    assert exporter.export(spans).name == "SUCCESS"
    rows = [
        dependency_row(e)
        for e in _Ingestion.envelopes
        if e["name"] == "Microsoft.ApplicationInsights.RemoteDependency"
    ]
    assert len(rows) == len(PRODUCERS)
    pulled = normalize_calls(
        "app_insights",
        table_columns([result_table("AppDependencies", rows)]),
        "loganalytics:app_insights",
    )
    assert pulled.left_out == 0
    otlp_calls = by_call(over_protobuf.calls)
    insights_calls = by_call(call_rows(pulled.calls))
    assert insights_calls.keys() == otlp_calls.keys()
    for call_id, fields in otlp_calls.items():
        assert insights_calls[call_id] == fields, call_id
    assert sorted(verdict_rows(pulled.verdicts), key=repr) == sorted(
        over_protobuf.filter_results, key=repr
    )
    assert {c.filter_action for c in over_protobuf.calls} >= {
        "blocked_prompt",
        "filtered_completion",
    }
