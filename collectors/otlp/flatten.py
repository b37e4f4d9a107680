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

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from operator import itemgetter
from typing import Any, Final

import orjson
import pyarrow as pa
from google.protobuf.internal.containers import RepeatedCompositeFieldContainer
from google.protobuf.message import DecodeError, Message
from opentelemetry.proto.common.v1.common_pb2 import KeyValue

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
from collectors.otlp import raw_attributes
from collectors.otlp.decode import BadPayloadError
from collectors.otlp.raw_attributes import any_value

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


def flatten_request(
    request: Message, *, request_no: int = 0, now: datetime | None = None
) -> FlatRequest:
    """The GenAI-relevant spans of ``request`` as a ``SPAN_SCHEMA`` table: a request parsed
    by ``raw_attributes`` (the receiver's), or of the published definition (converted)."""
    parsed: Any = request
    if request.DESCRIPTOR is not raw_attributes.ExportTraceServiceRequest.DESCRIPTOR:
        parsed = raw_attributes.from_published(request)
    latest_ns = int((now or datetime.now(UTC)).timestamp()) * 1_000_000_000 + _FUTURE_NS
    rows: list[tuple[Any, ...]] = []  # _SPAN_FIELDS
    plans: list[_Plan] = []  # each GenAI span's, and its attributes' texts
    texts_of: list[tuple[str | None, ...]] = []
    resources: list[tuple[str | None, ...]] = []
    not_genai = 0
    learnt = _ATTRIBUTES.__getitem__  # reads an attribute not met before
    for r, resource_spans in enumerate(parsed.resource_spans):
        resource = attribute_dict(resource_spans.resource.attributes)
        resource_read = tuple(_text(resource.get(name)) for name in RESOURCE_READ)
        resource_mask = any(map(is_credential, resource))
        for s, scope_spans in enumerate(resource_spans.scope_spans):
            scope_name, scope_version = scope_spans.scope.name, scope_spans.scope.version
            for i, span in enumerate(scope_spans.spans):
                try:
                    found = list(map(learnt, span.attributes))
                except DecodeError as exc:
                    raise _not_a_key_value(r, s, i, exc) from None
                found.append(_ABSENT)
                # Every attribute is a 4-tuple: ``strict`` would only cost.
                keys, values, texts, sized_flags = zip(*found, strict=False)
                plan = _PLANS.get(keys) or _plan(keys)
                flags = plan.flags
                for at in plan.urls:
                    flags |= sized_flags[at] & _FLAGS
                if not flags & _GENAI:
                    not_genai += 1
                    continue
                kept = dict(zip(plan.kept_keys, plan.kept(values), strict=False))
                if sum(plan.kept(sized_flags)) >> _SIZE > limits.MAX_VALUE_CHARS:  # may be over
                    kept = _bounded(kept, values, sized_flags)
                start, end = span.start_time_unix_nano, span.end_time_unix_nano
                if not start:
                    state = START_MISSING
                elif _EARLIEST_NS <= start <= latest_ns:
                    state = START_OK
                else:
                    state = START_IMPLAUSIBLE
                status = span.status
                message = status.message[: limits.MAX_VALUE_CHARS]
                name = span.name
                kept["span.name"] = name
                kept["scope.name"] = scope_name
                kept["scope.version"] = scope_version
                if message:
                    kept["span.status_message"] = message
                kept["resource"] = resource
                choices = None
                if plan.choice_keys:
                    picked = zip(plan.choice_keys, plan.choices(values), strict=True)
                    choices = orjson.dumps(dict(picked))
                rows.append(
                    (
                        request_no,
                        r,
                        s,
                        i,
                        span.trace_id.hex(),
                        span.span_id.hex(),
                        span.parent_span_id.hex() or None,
                        name,
                        start // 1000 if state == START_OK else None,
                        state,
                        (end - start) / 1e6 if end and end >= start else None,
                        status.code == _STATUS_CODE_ERROR,
                        message,
                        orjson.dumps(kept),
                        bool(flags & _MASK) or resource_mask,
                        bool(flags & _CONTENT),
                        choices,
                    )
                )
                plans.append(plan)
                texts_of.append(texts)
                resources.append(resource_read)
    count = len(rows)
    fields = zip(*rows, strict=True) if count else ([()] * len(_SPAN_FIELDS))
    columns = [
        pa.array(values, type=kind) for values, (_, kind) in zip(fields, _SPAN_FIELDS, strict=True)
    ]
    columns += _read_columns(plans, texts_of)
    for values in zip(*resources, strict=True) if count else ([()] * len(_RESOURCE_COLUMNS)):
        columns.append(pa.array(values, type=pa.string()))
    columns += [pa.nulls(count, kind) for _, kind in _HINT_FIELDS]
    return FlatRequest(pa.Table.from_arrays(columns, schema=SPAN_SCHEMA), not_genai)


def _read_columns(plans: list[_Plan], texts_of: list[tuple[str | None, ...]]) -> list[pa.Array]:
    """The READ_NAMES columns of the spans of ``plans`` whose attributes' texts are
    ``texts_of``: each span's texts of the names some span of the request has, picked by
    one ``itemgetter`` of its plan, a column each; the other names' columns all null."""
    count = len(plans)
    distinct = dict(zip(map(id, plans), plans, strict=True))  # a plan's id: cheap to hash
    slots = sorted(frozenset[int]().union(*(plan.slots for plan in distinct.values())))
    pick = {key: _picker([plan.read[slot] for slot in slots]) for key, plan in distinct.items()}
    picked = [pick[id(plan)](texts) for plan, texts in zip(plans, texts_of, strict=True)]
    columns = [pa.nulls(count, pa.string())] * len(READ_NAMES)
    for slot, values in zip(slots, zip(*picked, strict=True), strict=True):
        columns[slot] = pa.array(values, pa.string())
    return columns


# Flags of a span's attributes: some rule reads it as GenAI, kept ones may hold a
# credential, kept ones hold message content; and of a value: not a string, an int, a bool
# or a double.
_GENAI: Final = 1
_MASK: Final = 2
_CONTENT: Final = 4
_NESTED: Final = 8
_FLAGS: Final = 15
_SIZE: Final = 4  # bits of flags below an attribute's size (below)

# What one attribute brings, learnt once per distinct ``KeyValue`` bytes: its key, its
# value, the text a read column holds, and in one int (a span's zip costs per field) at
# least the characters ``limits.bounded_attributes`` counts for it (a nested value: over
# the value limit, so that it always looks), shifted by ``_SIZE``, with the flags of its
# value (nested, a URL naming a deployment, a URL with a secret in its query). The sum of
# a span's sizes so shifted is at least the sum of their characters: it may send a span to
# ``_bounded`` that is within the limits, which then finds so and keeps it as it is.
_Attribute = tuple[str, Any, str | None, int]
_ABSENT: Final[_Attribute] = ("", None, None, 0)  # ends every span: what a slot reads when unset


_MAX_ATTRIBUTES: Final = 16_384  # distinct attributes remembered, each at most:
_MAX_LEARNT_BYTES: Final = 512
# A key whose values differ call after call (ids, times, token counts) stops being learnt.
_MAX_VALUES_A_KEY: Final = 1024
_VALUES_LEARNT: dict[str, int] = {}
_SCALAR_CHARS: Final = 8  # what limits.bounded_attributes counts for a number or a bool


def _bounded(kept: dict[str, Any], values: Sequence[Any], flags: Sequence[int]) -> dict[str, Any]:
    """``kept`` within ``collectors.limits`` when any value is nested or the strings are
    long together (the rule since 0004; a map of many numbers is not cut); ``flags`` are the
    values' (with their sizes above them)."""
    strings = (
        len(v) for v, f in zip(values, flags, strict=True) if not f & _NESTED and type(v) is str
    )
    nested = any(f & _NESTED for f in flags)
    if nested or sum(strings) > limits.MAX_VALUE_CHARS:
        return limits.bounded_attributes(kept)
    return kept


def _not_a_key_value(r: int, s: int, i: int, error: DecodeError) -> BadPayloadError:
    where = f"resourceSpans[{r}].scopeSpans[{s}].spans[{i}]"
    return BadPayloadError(
        f"body is not a valid protobuf ExportTraceServiceRequest: {where} has an "
        f"attribute that is not a KeyValue ({error})"
    )


def _attribute(raw: bytes) -> _Attribute:
    key, value, nested = raw_attributes.key_value(raw)
    attribute: _Attribute
    if nested:
        attribute = (key, value, _text(value), limits.MAX_VALUE_CHARS + 1 << _SIZE | _NESTED)
    elif type(value) is str:
        flags = _url_flags(value) if key in _URL_KEYS else 0
        attribute = (key, value, value, len(key) + len(value) << _SIZE | flags)
    else:  # an int's text is as JSON writes it; a bool's and a double's are JSON's
        text = str(value) if type(value) is int else orjson.dumps(value).decode()
        attribute = (key, value, text, len(key) + _SCALAR_CHARS << _SIZE)
    values = _VALUES_LEARNT.get(key, 0)
    if values < _MAX_VALUES_A_KEY and len(raw) <= _MAX_LEARNT_BYTES:
        if len(_ATTRIBUTES) >= _MAX_ATTRIBUTES:
            _ATTRIBUTES.clear()
            _VALUES_LEARNT.clear()
        _ATTRIBUTES[raw] = attribute
        _VALUES_LEARNT[key] = values + 1
    return attribute


class _Learnt(dict[bytes, _Attribute]):
    """The attributes learnt, by their bytes: looking up one not met before reads it
    (``_attribute`` itself, not a method calling it: one call less an attribute)."""

    __missing__ = staticmethod(_attribute)


_ATTRIBUTES: _Learnt = _Learnt()


def _url_flags(url: str) -> int:
    """What a URL's value adds to a span's flags: it names a deployment, or has a secret in
    its query."""
    flags = _GENAI if DEPLOYMENTS_PATH in url else 0
    if "=" in url and _SECRET_QUERY.search(url) is not None:
        flags |= _MASK
    return flags


_Pick = Callable[[Sequence[Any]], tuple[Any, ...]]


@dataclass(frozen=True)
class _Plan:
    """What a span's attributes give, learnt once per sequence of keys (positions index
    the span's attributes, ``_ABSENT`` last)."""

    read: tuple[int, ...]  # for each of READ_NAMES its position (the last of a repeated key;
    # ``_ABSENT``'s when the span has none)
    slots: frozenset[int]  # the READ_NAMES it has (their numbers)
    kept_keys: tuple[str, ...]  # what the call keeps, in order, repeats included
    kept: _Pick  # their values
    choice_keys: tuple[str, ...]  # OpenLLMetry's per-choice attributes
    choices: _Pick
    flags: int  # of the keys alone
    urls: tuple[int, ...]  # positions of URLs, whose values may add flags


_PLANS: dict[tuple[str, ...], _Plan] = {}
_MAX_PLANS: Final = 4_096


def _plan(keys: tuple[str, ...]) -> _Plan:
    absent = len(keys) - 1
    read = [absent] * len(READ_NAMES)
    kept: list[int] = []
    choices: list[int] = []
    urls: list[int] = []
    flags = 0
    for at, key in enumerate(keys[:absent]):
        slot, keep, genai, credential, url, choice, message = _KEYS.get(key) or _key_facts(key)
        if slot >= 0:
            read[slot] = at
        elif choice:
            choices.append(at)
        if keep:
            kept.append(at)
            flags |= (_MASK if credential else 0) | (_CONTENT if message else 0)
        if genai:
            flags |= _GENAI
        if url:
            urls.append(at)
    plan = _Plan(
        read=tuple(read),
        slots=frozenset(slot for slot, at in enumerate(read) if at != absent),
        kept_keys=tuple(keys[at] for at in kept),
        kept=_picker(kept),
        choice_keys=tuple(keys[at] for at in choices),
        choices=_picker(choices),
        flags=flags,
        urls=tuple(urls),
    )
    if len(_PLANS) >= _MAX_PLANS:
        _PLANS.clear()
    _PLANS[keys] = plan
    return plan


def _picker(positions: list[int]) -> _Pick:
    """A function taking these positions of a sequence, as a tuple (C's ``itemgetter``)."""
    if len(positions) > 1:
        return itemgetter(*positions)
    if positions:
        (at,) = positions
        return lambda values: (values[at],)
    return lambda values: ()


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
