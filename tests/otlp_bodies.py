"""OTLP requests for tests: OTLP/JSON bodies of GenAI chat spans with attributes a test
overrides, and the call ids of a protobuf request's spans."""

from __future__ import annotations

import json
import time
from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from collectors.otlp.decode import hex_id

JSON = {"Content-Type": "application/json"}
TRACE = "5b8efff798038103d269b633813fc60c"
NOW_NS = time.time_ns()


def attribute(key: str, value: Any) -> dict[str, Any]:
    """One OTLP/JSON ``KeyValue``: a bool, an int (as a string, as OTLP/JSON writes it) or text."""
    if isinstance(value, bool):
        return {"key": key, "value": {"boolValue": value}}
    if isinstance(value, int):
        return {"key": key, "value": {"intValue": str(value)}}
    return {"key": key, "value": {"stringValue": value}}


def span(
    span_id: str, *, start_ns: int = NOW_NS, status: str = "", **attributes: Any
) -> dict[str, Any]:
    """A chat call of one second from ``start_ns``; ``attributes`` add to or replace the
    GenAI ones; ``status`` makes it an error span with that message."""
    values = {
        "gen_ai.operation.name": "chat",
        "gen_ai.system": "openai",
        "gen_ai.request.model": "gpt-4o-prod",
        "gen_ai.usage.input_tokens": 100,
        "gen_ai.usage.output_tokens": 20,
        **attributes,
    }
    return {
        "traceId": TRACE,
        "spanId": span_id,
        "name": "chat gpt-4o-prod",
        "kind": 3,
        "startTimeUnixNano": str(start_ns),
        "endTimeUnixNano": str(start_ns + 1_000_000_000),
        "attributes": [attribute(k, v) for k, v in values.items()],
        "status": {"code": 2, "message": status} if status else {},
    }


def body(*spans: dict[str, Any]) -> bytes:
    """One export request holding ``spans`` in one resource and scope."""
    return json.dumps(
        {"resourceSpans": [{"scopeSpans": [{"scope": {"name": "t"}, "spans": list(spans)}]}]}
    ).encode()


def call_ids(request: ExportTraceServiceRequest) -> set[str]:
    """The call id (trace id + span id, hex) of every span of ``request``."""
    return {
        hex_id(span.trace_id) + hex_id(span.span_id)
        for rs in request.resource_spans
        for ss in rs.scope_spans
        for span in ss.spans
    }
