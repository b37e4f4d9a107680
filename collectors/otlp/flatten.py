"""OTLP export requests -> GenAI span columns: the one shape every source normalises from.

``flatten_request`` walks an ``ExportTraceServiceRequest`` once and writes each span that
may matter to GenAI as a row of ``SPAN_SCHEMA`` (Arrow): its ids, name, times, status,
scope, and its attributes and its resource's as JSON objects. The GenAI rules themselves
(which span is a model call, which attribute fills which column) are not here: they live
in ``queries/normalize/genai_calls.sql``, which reads this table and the Application
Insights rows alike.

A span no GenAI rule can use is counted here and not copied: it has no attribute named
``gen_ai.*``, ``llm.*``, ``openinference.*``, ``embedding.*`` or ``azure.openai.*``, and no
URL naming an Azure OpenAI deployment (the HTTP child span of a model call does). Values
are held to ``collectors.limits`` on the way: long values cut, start times checked. The
attributes are split once: those the rules read (``read``) and those the call keeps in its
``attributes`` column (``kept``: every attribute no column holds, with the span's and
scope's names and the resource), so the SQL reads small objects and merges nothing.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, Final

import orjson
import pyarrow as pa
from google.protobuf.internal.containers import RepeatedCompositeFieldContainer
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue

from collectors import limits
from collectors.credentials import CREDENTIAL_KEY_PATTERN, SECRET_QUERY_PATTERN
from collectors.genai.attributes import (
    COMPLETION_PREFIX,
    DEPLOYMENTS_PATH,
    MAPPED,
    READ_NOT_MAPPED,
    URLS,
)

# Missing or implausible start times are told apart for the rejection reasons.
START_OK: Final = 0
START_MISSING: Final = 1
START_IMPLAUSIBLE: Final = 2

SPAN_SCHEMA: Final = pa.schema(
    [
        ("request_no", pa.int32()),  # which request of a group the span came in
        ("r", pa.int32()),  # resourceSpans[r].scopeSpans[s].spans[i], for error messages
        ("s", pa.int32()),
        ("i", pa.int32()),
        ("trace_id", pa.string()),  # lower-case hex
        ("span_id", pa.string()),
        ("parent_span_id", pa.string()),  # null for a root span
        ("name", pa.string()),
        ("start_time", pa.timestamp("us", tz="UTC")),  # null unless START_OK
        ("start_state", pa.int8()),
        ("duration_ms", pa.float64()),
        ("status_error", pa.bool_()),
        ("status_message", pa.string()),
        ("scope_name", pa.string()),
        ("scope_version", pa.string()),
        ("read", pa.string()),  # JSON object: the attributes the GenAI rules read
        ("kept", pa.string()),  # JSON object: what the call keeps in its attributes column
        ("mask", pa.bool_()),  # kept may hold a credential (collectors/credentials.py)
        ("resource", pa.string()),  # JSON object: the resource's attributes
        # What a source knows beside the attributes (Application Insights columns).
        ("endpoint_hint", pa.string()),
        ("service_hint", pa.string()),
        ("http_status_hint", pa.int32()),
        ("genai_hint", pa.bool_()),  # the source says it is a GenAI span, attributes or not
    ]
)
_HINTS: Final = 4  # the last columns of SPAN_SCHEMA, which OTLP leaves empty

_GENAI_PREFIXES: Final = ("gen_ai.", "llm.", "openinference.", "embedding.", "azure.openai.")
_URL_KEYS: Final = frozenset(URLS)
_READ: Final = MAPPED | frozenset(READ_NOT_MAPPED)
_CHOICE_PREFIX: Final = COMPLETION_PREFIX
_CREDENTIAL_KEY: Final = re.compile(CREDENTIAL_KEY_PATTERN)
_SECRET_QUERY: Final = re.compile(SECRET_QUERY_PATTERN)
_SCALAR_KINDS: Final = frozenset({"string_value", "int_value", "bool_value", "double_value"})
_STATUS_CODE_ERROR: Final = 2
_EARLIEST_NS: Final = int(limits.EARLIEST_START.timestamp()) * 1_000_000_000
_FUTURE_NS: Final = int(limits.MAX_FUTURE.total_seconds()) * 1_000_000_000


@dataclass(frozen=True)
class FlatRequest:
    """One request's spans as columns, and the spans left out (not GenAI)."""

    spans: pa.Table  # SPAN_SCHEMA
    not_genai: int  # spans with nothing a GenAI rule reads


def flatten_request(
    request: ExportTraceServiceRequest, *, request_no: int = 0, now: datetime | None = None
) -> FlatRequest:
    """The GenAI-relevant spans of ``request`` as a ``SPAN_SCHEMA`` table."""
    latest_ns = int((now or datetime.now(UTC)).timestamp()) * 1_000_000_000 + _FUTURE_NS
    columns: list[list[Any]] = [[] for _ in SPAN_SCHEMA.names[:-_HINTS]]
    (requests, rs_, ss_, is_, traces, spans_, parents, names, starts, states, durations,
     errors, messages, scope_names, scope_versions, reads, kepts, masks,
     resources) = columns  # fmt: skip
    not_genai = 0
    for r, resource_spans in enumerate(request.resource_spans):
        resource_attrs = attribute_dict(resource_spans.resource.attributes)
        resource = orjson.dumps(resource_attrs)
        resource_mask = any(map(is_credential, resource_attrs))
        for s, scope_spans in enumerate(resource_spans.scope_spans):
            scope = scope_spans.scope
            for i, span in enumerate(scope_spans.spans):
                split = genai_attributes(span.attributes)
                if split is None:
                    not_genai += 1
                    continue
                read, kept, mask = split
                start, end = span.start_time_unix_nano, span.end_time_unix_nano
                if not start:
                    state = START_MISSING
                elif _EARLIEST_NS <= start <= latest_ns:
                    state = START_OK
                else:
                    state = START_IMPLAUSIBLE
                requests.append(request_no)
                rs_.append(r)
                ss_.append(s)
                is_.append(i)
                traces.append(span.trace_id.hex())
                spans_.append(span.span_id.hex())
                parents.append(span.parent_span_id.hex() or None)
                names.append(span.name)
                starts.append(start // 1000 if state == START_OK else None)
                states.append(state)
                durations.append((end - start) / 1e6 if end and end >= start else None)
                errors.append(span.status.code == _STATUS_CODE_ERROR)
                message = span.status.message[: limits.MAX_VALUE_CHARS]
                messages.append(message)
                scope_names.append(scope.name)
                scope_versions.append(scope.version)
                reads.append(orjson.dumps(read))
                kept["span.name"] = span.name
                kept["scope.name"] = scope.name
                kept["scope.version"] = scope.version
                if message:
                    kept["span.status_message"] = message
                kept["resource"] = resource_attrs
                kepts.append(orjson.dumps(kept))
                masks.append(mask or resource_mask)
                resources.append(resource)
    arrays = [pa.array(values, type=SPAN_SCHEMA.field(n).type) for n, values in enumerate(columns)]
    arrays += [pa.nulls(len(traces), field.type) for field in list(SPAN_SCHEMA)[-_HINTS:]]
    return FlatRequest(pa.Table.from_arrays(arrays, schema=SPAN_SCHEMA), not_genai)


def genai_attributes(
    attributes: RepeatedCompositeFieldContainer[KeyValue],
) -> tuple[dict[str, Any], dict[str, Any], bool] | None:
    """A span's attributes split into what the GenAI rules read and what the call keeps
    (a repeated key keeps its last value), within the size limits, and whether a kept one
    may hold a credential; None when no GenAI rule reads any of them."""
    read: dict[str, Any] = {}
    kept: dict[str, Any] = {}
    genai = mask = nested = False
    chars = 0
    for item in attributes:
        key, value = item.key, item.value
        kind = value.WhichOneof("value")
        if kind in _SCALAR_KINDS:
            plain = getattr(value, kind)
            if kind == "string_value":
                chars += len(plain)
                if key in _URL_KEYS:
                    genai = genai or DEPLOYMENTS_PATH in plain
                    mask = mask or ("=" in plain and _SECRET_QUERY.search(plain) is not None)
        else:
            plain = any_value(value)
            nested = True
        if key in _READ or key.startswith(_CHOICE_PREFIX):
            read[key] = plain
        if key not in MAPPED:
            kept[key] = plain
            mask = mask or is_credential(key)
        if not genai and key.startswith(_GENAI_PREFIXES):
            genai = True
    if not genai:
        return None
    if nested or chars > limits.MAX_VALUE_CHARS:
        kept = limits.bounded_attributes(kept)
        read = {key: kept.get(key, value) for key, value in read.items()}
    return read, kept, mask


@lru_cache(maxsize=8192)
def is_credential(key: str) -> bool:
    """True for an attribute key that carries a secret (``CREDENTIAL_KEY_PATTERN``)."""
    return _CREDENTIAL_KEY.search(key) is not None


def attribute_dict(attributes: RepeatedCompositeFieldContainer[KeyValue]) -> dict[str, Any]:
    """Repeated ``KeyValue`` -> dict (a repeated key keeps its last value), within limits."""
    out = {item.key: any_value(item.value) for item in attributes}
    return limits.bounded_attributes(out)


def any_value(value: AnyValue) -> Any:
    """An OTLP ``AnyValue`` as a JSON-serialisable Python value (bytes as base64)."""
    kind = value.WhichOneof("value")
    if kind in _SCALAR_KINDS:
        return getattr(value, kind)
    if kind == "array_value":
        return [any_value(item) for item in value.array_value.values]
    if kind == "kvlist_value":
        return {item.key: any_value(item.value) for item in value.kvlist_value.values}
    if kind == "bytes_value":
        return base64.b64encode(value.bytes_value).decode("ascii")
    return None
