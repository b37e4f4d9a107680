"""OTLP requests through the receiver's own steps (flatten, then the GenAI normaliser), one
request at a time, for tests that check what a request becomes call by call."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime

import pyarrow as pa
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from collectors.genai.normalize import HINT_SCHEMA, NOT_GENAI, Rejected, normalize_spans
from collectors.otlp.flatten import flatten_request
from collectors.otlp.ingest import rejection_reasons
from collectors.rows import (
    FILTER_SCHEMA,
    CallRow,
    FilterResultRow,
    call_rows,
    calls_table,
    verdict_rows,
    verdicts_table,
)
from collectors.store import Batch

HAND_BUILT_AT = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def hand_built_call(call_id: str, source: str, **fields: object) -> CallRow:
    """A chat call at ``HAND_BUILT_AT`` that names nothing but its id and source, with
    ``fields`` set."""
    base = CallRow(
        call_id=call_id, source=source, trace_id=None, span_id=None, start_time=HAND_BUILT_AT,
        duration_ms=None, ttft_ms=None, operation="chat", endpoint=None, region=None,
        deployment="unknown", deployment_source="unknown", model=None, request_model=None,
        provider=None, api_version=None, deployment_type=None, tenant_id=None, end_user=None,
        service=None, status="ok", http_status=None, error_type=None, input_tokens=None,
        cached_input_tokens=None, output_tokens=None, reasoning_tokens=None,
        finish_reason=None, filter_action="none", response_id=None, attributes={},
    )  # fmt: skip
    return replace(base, **fields)  # type: ignore[arg-type]


def hand_built_hints(*call_ids: str, at: datetime) -> pa.Table:
    """What a child HTTP span says of each of ``call_ids`` (``HINT_SCHEMA``), started ``at``."""
    count = len(call_ids)
    return pa.table(
        {
            "call_id": list(call_ids),
            "start_time": [at] * count,
            "deployment": ["gpt-4o-prod"] * count,
            "api_version": ["2024-10-21"] * count,
            "endpoint": ["https://acme.openai.azure.com"] * count,
            "http_status": [200] * count,
        },
        schema=HINT_SCHEMA,
    )


def hand_built_verdicts(call_id: str, count: int, at: datetime = HAND_BUILT_AT) -> pa.Table:
    """``count`` safe verdicts of ``call_id`` for each target (``FILTER_SCHEMA``)."""
    rows = [
        {"call_id": call_id, "target": target, "idx": 0, "category": f"c{n}",
         "severity": "safe", "filtered": False, "start_time": at}
        for n in range(count)
        for target in ("prompt", "completion")
    ]  # fmt: skip
    return pa.Table.from_pylist(rows, FILTER_SCHEMA)


class ImpossibleSpanError(ValueError):
    """The request holds a span the receiver refuses with a 400 (the message says why)."""


@dataclass(frozen=True)
class Normalized:
    calls: list[CallRow]
    filter_results: list[FilterResultRow]
    rejected: int
    rejection_reasons: list[str]


def normalize_request(request: ExportTraceServiceRequest, source: str = "otlp") -> Normalized:
    flat = flatten_request(request)
    batch = normalize_spans(flat.spans, source=source)
    if 0 in batch.problems:
        raise ImpossibleSpanError(batch.problems[0])
    rejected = batch.rejected.get(0, Rejected())
    if flat.not_genai:
        rejected.counts[NOT_GENAI] += flat.not_genai
    return Normalized(
        calls=call_rows(batch.calls_of(0)),
        filter_results=verdict_rows(batch.verdicts_of(0)),
        rejected=rejected.total,
        rejection_reasons=rejection_reasons(rejected),
    )


def normalized_tables(request: ExportTraceServiceRequest, source: str = "otlp") -> Batch:
    """The calls and verdicts of one request as the store takes them."""
    flat = flatten_request(request)
    batch = normalize_spans(flat.spans, source=source)
    if 0 in batch.problems:
        raise ImpossibleSpanError(batch.problems[0])
    return Batch(batch.calls_of(0), batch.verdicts_of(0), source)


def rows_batch(
    calls: list[CallRow], verdicts: list[FilterResultRow] | None = None, source: str = "test"
) -> Batch:
    """Calls and verdicts built by hand, as the store takes them."""
    return Batch(calls_table(calls), verdicts_table(verdicts or [], calls), source)
