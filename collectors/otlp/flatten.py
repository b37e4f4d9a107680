"""OTLP export requests -> GenAI span columns: the one shape every source normalises from.

``flatten_request`` walks an ``ExportTraceServiceRequest`` once and writes each span that
may matter to GenAI as a row of ``SPAN_SCHEMA`` (Arrow): its ids, name, times, status and
scope; one text column per attribute the GenAI rules read (``attributes.READ_NAMES``: a
string as it is, a number or a bool as its JSON text, as Application Insights holds them);
OpenLLMetry's per-choice attributes as JSON; and ``kept``, the JSON object of what the call
keeps in its ``attributes`` column (every attribute no column holds, the span's and scope's
names, the resource). The rules themselves are not here: ``collectors/genai/rules.py``
reads these columns, and the Application Insights rows alike.

A span no GenAI rule can use is counted here and not copied: it has no attribute named
``gen_ai.*``, ``llm.*``, ``openinference.*``, ``embedding.*`` or ``azure.openai.*``, and no
URL naming an Azure OpenAI deployment (the HTTP child span of a model call does). Values
are held to ``collectors.limits`` on the way: long values cut, start times checked.
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
    CONTENT_KEY_PATTERN,
    DEPLOYMENTS_PATH,
    MAPPED,
    READ_NAMES,
    RESOURCE_READ,
    URLS,
)

# Missing or implausible start times are told apart for the rejection reasons.
START_OK: Final = 0
START_MISSING: Final = 1
START_IMPLAUSIBLE: Final = 2

_SPAN_FIELDS: Final = [
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
    ("kept", pa.string()),  # JSON object: what the call keeps in its attributes column
    ("mask", pa.bool_()),  # kept may hold a credential (collectors/credentials.py)
    ("content", pa.bool_()),  # kept holds message content (collectors/redaction.py)
    ("choices", pa.string()),  # JSON object of gen_ai.completion.{i}.* (OpenLLMetry), or null
]
# What a source knows beside the attributes (Application Insights columns).
_HINT_FIELDS: Final = [
    ("endpoint_hint", pa.string()),
    ("http_status_hint", pa.int32()),
    ("genai_hint", pa.bool_()),  # the source says it is a GenAI span, attributes or not
]
_RESOURCE_COLUMNS: Final = tuple(f"resource.{name}" for name in RESOURCE_READ)
SPAN_SCHEMA: Final = pa.schema(
    [
        *_SPAN_FIELDS,
        *((name, pa.string()) for name in READ_NAMES),
        *((name, pa.string()) for name in _RESOURCE_COLUMNS),
        *_HINT_FIELDS,
    ]
)

_GENAI_PREFIXES: Final = ("gen_ai.", "llm.", "openinference.", "embedding.", "azure.openai.")
_URL_KEYS: Final = frozenset(URLS)
_SLOT: Final = {name: slot for slot, name in enumerate(READ_NAMES)}
_SCALAR_KINDS: Final = frozenset({"string_value", "int_value", "bool_value", "double_value"})
_STATUS_CODE_ERROR: Final = 2
_EARLIEST_NS: Final = int(limits.EARLIEST_START.timestamp()) * 1_000_000_000
_FUTURE_NS: Final = int(limits.MAX_FUTURE.total_seconds()) * 1_000_000_000
_CREDENTIAL_KEY: Final = re.compile(CREDENTIAL_KEY_PATTERN)
_SECRET_QUERY: Final = re.compile(SECRET_QUERY_PATTERN)
_CONTENT_KEY: Final = re.compile(CONTENT_KEY_PATTERN)


@dataclass(frozen=True)
class FlatRequest:
    """One request's spans as columns, and the spans left out (not GenAI)."""

    spans: pa.Table  # SPAN_SCHEMA
    not_genai: int  # spans with nothing a GenAI rule reads


@dataclass
class _Attributes:
    """One span's attributes as the columns need them."""

    read: list[str | None]  # by READ_NAMES slot
    kept: dict[str, Any]
    choices: dict[str, Any] | None
    mask: bool
    content: bool


def flatten_request(
    request: ExportTraceServiceRequest, *, request_no: int = 0, now: datetime | None = None
) -> FlatRequest:
    """The GenAI-relevant spans of ``request`` as a ``SPAN_SCHEMA`` table."""
    latest_ns = int((now or datetime.now(UTC)).timestamp()) * 1_000_000_000 + _FUTURE_NS
    fields: list[list[Any]] = [[] for _ in _SPAN_FIELDS]
    (requests, rs_, ss_, is_, traces, spans_, parents, names, starts, states, durations,
     errors, messages, kepts, masks, contents, choices) = fields  # fmt: skip
    reads: list[list[str | None]] = []
    resources: list[tuple[str | None, ...]] = []
    not_genai = 0
    for r, resource_spans in enumerate(request.resource_spans):
        resource = attribute_dict(resource_spans.resource.attributes)
        resource_read = tuple(_text(resource.get(name)) for name in RESOURCE_READ)
        resource_mask = any(map(is_credential, resource))
        for s, scope_spans in enumerate(resource_spans.scope_spans):
            scope = scope_spans.scope
            for i, span in enumerate(scope_spans.spans):
                attrs = genai_attributes(span.attributes)
                if attrs is None:
                    not_genai += 1
                    continue
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
                kept = attrs.kept
                kept["span.name"] = span.name
                kept["scope.name"] = scope.name
                kept["scope.version"] = scope.version
                if message:
                    kept["span.status_message"] = message
                kept["resource"] = resource
                kepts.append(orjson.dumps(kept))
                masks.append(attrs.mask or resource_mask)
                contents.append(attrs.content)
                choices.append(orjson.dumps(attrs.choices) if attrs.choices else None)
                reads.append(attrs.read)
                resources.append(resource_read)
    rows = len(traces)
    columns = [
        pa.array(values, type=kind) for values, (_, kind) in zip(fields, _SPAN_FIELDS, strict=True)
    ]
    for values in zip(*reads, strict=True) if rows else ([()] * len(READ_NAMES)):
        # Most attributes are absent from most spans: an all-null column costs nothing.
        empty = values.count(None) == rows
        columns.append(pa.nulls(rows, pa.string()) if empty else pa.array(values, pa.string()))
    for values in zip(*resources, strict=True) if rows else ([()] * len(_RESOURCE_COLUMNS)):
        columns.append(pa.array(values, type=pa.string()))
    columns += [pa.nulls(rows, kind) for _, kind in _HINT_FIELDS]
    return FlatRequest(pa.Table.from_arrays(columns, schema=SPAN_SCHEMA), not_genai)


def genai_attributes(attributes: RepeatedCompositeFieldContainer[KeyValue]) -> _Attributes | None:
    """A span's attributes as text by read slot, what the call keeps (a repeated key keeps
    its last value; within the size limits), OpenLLMetry's per-choice ones, and whether a
    kept one may hold a credential; None when no GenAI rule reads any of them."""
    read: list[str | None] = [None] * len(READ_NAMES)
    kept: dict[str, Any] = {}
    choices: dict[str, Any] | None = None
    genai = mask = content = nested = False
    chars = 0
    for item in attributes:
        key, value = item.key, item.value
        slot, keep, genai_key, credential, url, choice, message = _KEYS.get(key) or _key_facts(key)
        kind = value.WhichOneof("value")
        if kind == "string_value":
            plain = value.string_value
            chars += len(plain)
            if url:
                genai = genai or DEPLOYMENTS_PATH in plain
                mask = mask or ("=" in plain and _SECRET_QUERY.search(plain) is not None)
        elif kind in _SCALAR_KINDS:
            plain = getattr(value, kind)
        else:
            plain = any_value(value)
            nested = True
        if slot >= 0:
            read[slot] = plain if type(plain) is str else _text(plain)
        elif choice:
            choices = choices if choices is not None else {}
            choices[key] = plain
        if keep:
            kept[key] = plain
            mask = mask or credential
            content = content or message
        genai = genai or genai_key
    if not genai:
        return None
    if nested or chars > limits.MAX_VALUE_CHARS:
        kept = limits.bounded_attributes(kept)
    return _Attributes(read, kept, choices, mask, content)


# What the flattener needs to know of an attribute key, learnt once per key: its read slot
# (-1: none), kept in attributes, a GenAI name, a credential, a URL, a per-choice key,
# message content.
_KeyFacts = tuple[int, bool, bool, bool, bool, bool, bool]
_KEYS: dict[str, _KeyFacts] = {}
_MAX_KEYS: Final = 16_384  # a sender inventing keys must not grow this without end


def _key_facts(key: str) -> _KeyFacts:
    facts = (
        _SLOT.get(key, -1),
        key not in MAPPED,
        key.startswith(_GENAI_PREFIXES),
        key not in MAPPED and is_credential(key),
        key in _URL_KEYS,
        key not in _SLOT and key.startswith(COMPLETION_PREFIX),
        key not in MAPPED and _CONTENT_KEY.match(key) is not None,
    )
    if len(_KEYS) >= _MAX_KEYS:
        _KEYS.clear()
    _KEYS[key] = facts
    return facts


@lru_cache(maxsize=8192)
def is_credential(key: str) -> bool:
    """True for an attribute key that carries a secret (``CREDENTIAL_KEY_PATTERN``)."""
    return _CREDENTIAL_KEY.search(key) is not None


def _text(value: Any) -> str | None:
    """An attribute value as the text the rules read: JSON text for what is not a string."""
    if value is None or type(value) is str:
        return value
    return orjson.dumps(value).decode()


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
