"""The flattener reads span attributes from their bytes (decision 0028) and gives, for every
input, the table the attribute-by-attribute flattener gave: that one is kept here as the
reference, and both run over the synthetic traffic, the producers' fixture spans, odd spans
built by hand (every AnyValue kind, repeated keys, empty and long values, credentials,
content, per-choice attributes, URLs, start times) and Hypothesis' arbitrary requests.
Bodies that are not OTLP are refused alike."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pyarrow as pa
import pytest
from google.protobuf import json_format
from google.protobuf.internal.containers import RepeatedCompositeFieldContainer
from hypothesis import HealthCheck, given, settings
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue

from collectors import limits
from collectors.genai.attributes import DEPLOYMENTS_PATH, READ_NAMES, RESOURCE_READ
from collectors.otlp import flatten, raw_attributes, synthetic
from collectors.otlp.decode import (
    BadPayloadError,
    decode_export_request,
    decode_raw_attributes_request,
)
from collectors.otlp.flatten import (
    _EARLIEST_NS,
    _FUTURE_NS,
    _HINT_FIELDS,
    _KEYS,
    _RESOURCE_COLUMNS,
    _SECRET_QUERY,
    _SPAN_FIELDS,
    _STATUS_CODE_ERROR,
    SPAN_SCHEMA,
    START_IMPLAUSIBLE,
    START_MISSING,
    START_OK,
    FlatRequest,
    _key_facts,
    _text,
    attribute_dict,
    is_credential,
)
from collectors.otlp.raw_attributes import any_value
from tests.fixtures import otlp_spans as fx
from tests.integration.test_receiver_properties import export_requests as arbitrary_requests

PROTOBUF = "application/x-protobuf"
NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)
NOW_NS = int(NOW.timestamp()) * 1_000_000_000
_SCALAR_KINDS = frozenset({"string_value", "int_value", "bool_value", "double_value"})


@dataclass
class _Attributes:
    read: list[str | None]
    kept: dict[str, Any]
    choices: dict[str, Any] | None
    mask: bool
    content: bool


def old_flatten_request(
    request: ExportTraceServiceRequest, *, request_no: int = 0, now: datetime | None = None
) -> FlatRequest:
    """The flattener as it was before 0028, attribute by attribute: the reference."""
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
                attrs = old_genai_attributes(span.attributes)
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


def old_genai_attributes(
    attributes: RepeatedCompositeFieldContainer[KeyValue],
) -> _Attributes | None:
    """One span's attributes, None when no GenAI rule reads any."""
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


# --- comparing the two ---------------------------------------------------------------------


def _outcome(flatten_one: Any, *args: Any) -> tuple[str, Any]:
    try:
        flat = flatten_one(*args)
    except BadPayloadError as exc:
        return "refused", exc.status
    return "flat", flat


def assert_same(request: ExportTraceServiceRequest, *, now: datetime = NOW) -> FlatRequest:
    """The new flattener over the receiver's decoding and over a published message gives
    the old one's table and count, or both bodies are refused alike."""
    old = assert_same_body(request.SerializeToString(), now=now)
    if old.spans.num_rows or old.not_genai:
        _assert_equal(flatten.flatten_request(request, now=now), old)
    return old


def assert_same_body(body: bytes, *, now: datetime = NOW) -> FlatRequest:
    old = _outcome(lambda: old_flatten_request(decode_export_request(body, PROTOBUF), now=now))
    new = _outcome(
        lambda: flatten.flatten_request(decode_raw_attributes_request(body, PROTOBUF), now=now)
    )
    if old[0] == "refused":
        assert new == old
        return FlatRequest(SPAN_SCHEMA.empty_table(), 0)
    assert new[0] == "flat", new
    _assert_equal(new[1], old[1])
    return old[1]


def _assert_equal(new: FlatRequest, old: FlatRequest) -> None:
    assert new.not_genai == old.not_genai
    assert new.spans.schema == old.spans.schema
    assert new.spans.to_pylist() == old.spans.to_pylist()  # a readable difference first
    assert new.spans.equals(old.spans)


def _request(*spans: Any, resource: dict[str, Any] | None = None) -> ExportTraceServiceRequest:
    return fx.make_request(*spans, resource=resource)


def _span(attributes: dict[str, Any], **fields: Any) -> Any:
    return fx.make_span(attributes, **{"start": NOW_NS, "end": NOW_NS + 10**9, **fields})


BASE = {"gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o"}


# --- the inputs ----------------------------------------------------------------------------


def test_synthetic_traffic_gives_the_same_tables() -> None:
    end = NOW - timedelta(hours=1)
    requests = list(synthetic.export_requests(end - timedelta(days=3), end, 4 * 512, 512))
    flat = [assert_same(request) for request in requests]
    assert sum(f.spans.num_rows for f in flat) == 4 * 512  # every synthetic span is GenAI
    for request in requests:  # again, every attribute now known by its bytes
        assert_same(request)


def test_forgetting_what_was_learnt_changes_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(flatten, "_ATTRIBUTES", flatten._Learnt())
    monkeypatch.setattr(flatten, "_VALUES_LEARNT", {})
    monkeypatch.setattr(flatten, "_PLANS", {})
    monkeypatch.setattr(flatten, "_MAX_ATTRIBUTES", 3)
    monkeypatch.setattr(flatten, "_MAX_PLANS", 2)
    end = NOW - timedelta(hours=1)
    for request in synthetic.export_requests(end - timedelta(days=1), end, 300, 100, seed=11):
        assert_same(request)
    assert len(flatten._ATTRIBUTES) <= 3
    assert len(flatten._PLANS) <= 2


def test_a_key_of_ever_new_values_stops_being_learnt(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(flatten, "_ATTRIBUTES", flatten._Learnt())
    monkeypatch.setattr(flatten, "_VALUES_LEARNT", {})
    monkeypatch.setattr(flatten, "_MAX_VALUES_A_KEY", 2)
    spans = [_span({**BASE, "gen_ai.response.id": f"id-{n}"}, span_id=bytes([n + 1] * 8))
             for n in range(5)]  # fmt: skip
    flat = assert_same(_request(*spans))
    assert flat.spans["gen_ai.response.id"].to_pylist() == [f"id-{n}" for n in range(5)]
    learnt = [key for key, *_ in flatten._ATTRIBUTES.values()]
    assert learnt.count("gen_ai.response.id") == 2
    assert learnt.count("gen_ai.operation.name") == 1


FIXTURES = {
    name: value
    for name, value in vars(fx).items()
    if (name.isupper() and isinstance(value, dict) and "gen_ai.operation.name" in value)
    or name == "HTTPX_CLIENT_POST"
}


@pytest.mark.parametrize("name", sorted(FIXTURES))
def test_producer_fixture_spans_give_the_same_tables(name: str) -> None:
    attributes = FIXTURES[name]
    assert_same(fx.make_request(fx.make_span(attributes)))
    assert_same(fx.make_request(fx.make_span(attributes, status_code=2, status_message="x" * 9)))


def test_the_fixtures_hold_what_they_are_meant_to() -> None:
    """The fixtures above are many and GenAI, and the URL-only span is kept by its URL."""
    assert len(FIXTURES) >= 10
    flat = assert_same(fx.make_request(fx.make_span(fx.HTTPX_CLIENT_POST)))
    assert flat.spans.num_rows == 1


EVERY_KIND: dict[str, Any] = {
    **BASE,
    "s": "text",
    "empty": "",
    "i": 42,
    **{f"i{n}": n for n in (0, 127, 128, 16_383, 16_384, 2**35, -1)},  # varints of 1 to 10 bytes
    "negative": -(2**63),
    "largest": 2**63 - 1,
    "b": True,
    "f": False,
    "d": 0.1,
    "minus_zero": -0.0,
    "nan": float("nan"),
    "inf": float("inf"),
    "bytes": b"\x00\xff\x10",
    "no_bytes": b"",
    "array": ["a", 1, 2.5, True, ["x", ""], {"k": "v"}],
    "empty_array": [],
    "kvlist": {"a": 1, "b": {"c": [1, 2]}},
    "unicode": "h\u00e9\u4e2d\U0001f600\x00",
    "k\u00e9y \u4e2d": "v",
    "gen_ai.usage.input_tokens": 10,
    "gen_ai.response.finish_reasons": ["stop", "length"],
    "gen_ai.response.time_to_first_chunk": 0.25,
    "azure.openai.attempts": 2,
}


def test_every_kind_of_value_gives_the_same_table() -> None:
    assert_same(_request(_span(EVERY_KIND)))


def test_a_value_left_empty_gives_the_same_table() -> None:
    span = _span(BASE)
    span.attributes.add(key="unset")  # a KeyValue with no value
    span.attributes.add(key="gen_ai.response.model", value=AnyValue())  # an empty AnyValue
    span.attributes.add(key="", value=AnyValue(string_value="no key"))
    flat = assert_same(_request(span))
    kept = json.loads(flat.spans["kept"][0].as_py())
    assert kept["unset"] is None and kept[""] == "no key"


def test_repeated_keys_keep_the_first_place_and_the_last_value() -> None:
    span = _span(BASE)
    for key, value in [
        ("custom", "first"),
        ("gen_ai.request.model", "gpt-4o-mini"),
        ("other", 1),
        ("custom", 2),
        ("gen_ai.completion.0.finish_reason", "stop"),
        ("gen_ai.completion.0.finish_reason", "length"),
        ("url.full", fx.AZURE_URL),
        ("url.full", "https://example.com/"),
        ("custom", ["x"]),
        ("http.request.header.api-key", "secret"),
        ("http.request.header.api-key", "again"),
    ]:
        span.attributes.append(KeyValue(key=key, value=fx.any_value(value)))
    flat = assert_same(_request(span))
    kept = json.loads(flat.spans["kept"][0].as_py())
    assert list(kept)[:4] == ["custom", "other", "gen_ai.completion.0.finish_reason", "url.full"]
    assert kept["custom"] == ["x"] and kept["url.full"] == "https://example.com/"


def test_long_values_are_cut_alike() -> None:
    big = "x" * (limits.MAX_VALUE_CHARS + 5)
    assert_same(_request(_span({**BASE, "long": big, "gen_ai.request.model": big})))
    half = "y" * (limits.MAX_VALUE_CHARS - 10)
    assert_same(_request(_span({**BASE, **{f"k{n}": half for n in range(5)}})))
    assert_same(_request(_span({**BASE, "deep": [["z" * 1000] * 300] * 2})))
    # Many numbers count towards the map's limit but are never cut (the rule before 0028).
    numbers = {f"number.{n:06d}.{'k' * 40}": n for n in range(25_000)}
    flat = assert_same(_request(_span({**BASE, **numbers})))
    assert "lens.truncated" not in json.loads(flat.spans["kept"][0].as_py())


def test_kept_values_at_the_value_limit_read_alike() -> None:
    """Kept strings of exactly the limit together, and one character more, beside a nested
    value no column keeps (the flattener's size check may look at a span within the limits:
    it must keep it as it is)."""
    for extra in (0, 1):
        value = "v" * (limits.MAX_VALUE_CHARS - len("long") + extra)
        nested = {**BASE, "long": value, "gen_ai.response.finish_reasons": ["stop"]}
        assert_same(_request(_span(nested)))
        assert_same(_request(_span({**BASE, "long": value})))


def test_long_keys_and_values_of_several_length_bytes_read_alike() -> None:
    values = {"k" * 200: "v" * 200, "K" * 20_000: 7, "m": "w" * 20_000, "n" * 130: 1.5}
    assert_same(_request(_span({**BASE, **values})))


CHOICES = {**BASE, "gen_ai.completion.0.content": "hi", "gen_ai.completion.0.role": "a"}


def test_credentials_content_and_choices_are_flagged_alike() -> None:
    spans = [
        _span({**BASE, "http.request.header.authorization": "Bearer x"}, span_id=b"\x01" * 8),
        _span({**BASE, "url.full": fx.AZURE_URL + "&api-key=x"}, span_id=b"\x02" * 8),
        _span({**BASE, "gen_ai.prompt.0.content": "hello"}, span_id=b"\x03" * 8),
        _span(CHOICES, span_id=b"\x04" * 8),
        _span({"url.full": fx.AZURE_URL}, span_id=b"\x05" * 8),
        _span({"url.full": "https://example.com/?sig=abc"}, span_id=b"\x06" * 8),
        _span({"http.method": "GET"}, span_id=b"\x07" * 8),
        _span({}, span_id=b"\x08" * 8),
        _span({"llm.model_name": "gpt-4o", "openinference.span.kind": "LLM"}, span_id=b"\x09" * 8),
    ]
    flat = assert_same(_request(*spans, resource={"service.name": "s"}))
    assert flat.not_genai == 3
    assert flat.spans["mask"].to_pylist() == [True, True, False, False, False, False]
    flat = assert_same(_request(*spans, resource={"service.name": "s", "db.password": "p"}))
    assert flat.spans["mask"].to_pylist() == [True] * 6  # the resource names a password
    assert flat.spans["content"].to_pylist() == [False, False, True, True, False, False]
    assert flat.spans["choices"].null_count == 5


def test_start_times_and_statuses_are_told_alike() -> None:
    spans = [
        _span(BASE, span_id=b"\x01" * 8, start=0),
        _span(BASE, span_id=b"\x02" * 8, start=10**9),  # 1970
        _span(BASE, span_id=b"\x03" * 8, start=NOW_NS + 2 * 86_400 * 10**9),  # the day after
        _span(BASE, span_id=b"\x04" * 8, end=NOW_NS - 1),  # ends before it starts
        _span(BASE, span_id=b"\x05" * 8, end=0),
        _span(BASE, span_id=b"\x06" * 8, status_code=2, status_message="m" * 300_000),
        _span(BASE, span_id=b"\x07" * 8, parent_span_id=b"\x09" * 8, name=""),
    ]
    flat = assert_same(_request(*spans))
    assert flat.spans["start_state"].to_pylist()[:3] == [
        START_MISSING,
        START_IMPLAUSIBLE,
        START_IMPLAUSIBLE,
    ]
    assert flat.spans["start_state"].to_pylist()[3:] == [START_OK] * 4


def test_extreme_times_give_the_same_table() -> None:
    """Start and end times are read as whole columns (NumPy): at the ends of their range,
    and durations that a double rounds, they give what the span-by-span reading gave."""
    top = 2**64 - 1
    times = [(1, top), (top, top), (top - 1, top), (NOW_NS, top), (NOW_NS, NOW_NS + 2**53 + 1),
             (2**63, 2**63 + 3), (top, 0), (top, 1), (0, top), (NOW_NS, NOW_NS)]  # fmt: skip
    spans = [
        _span(BASE, span_id=bytes([n + 1] * 8), start=start, end=end)
        for n, (start, end) in enumerate(times)
    ]
    flat = assert_same(_request(*spans))
    durations = flat.spans["duration_ms"].to_pylist()
    assert durations[0] == (top - 1) / 1e6 and durations[4] == (2**53 + 1) / 1e6
    assert durations[6:8] == [None, None]  # no end, an end before the start: no duration
    assert durations[8] == top / 1e6  # no start: the duration since 1970, as before


def test_ids_of_a_request_not_checked_read_alike() -> None:
    """A request built by hand reaches the flattener without the receiver's id checks: ids
    of other lengths are written as hex as before."""
    spans = [
        _span(BASE, trace_id=b"", span_id=b"\x01" * 3),
        _span(BASE, trace_id=b"\x02" * 17, span_id=b"\x03" * 8, parent_span_id=b"\x04"),
    ]
    request = _request(*spans)
    new = flatten.flatten_request(request, now=NOW)
    _assert_equal(new, old_flatten_request(request, now=NOW))
    assert new.spans["span_id"].to_pylist() == ["010101", "0303030303030303"]
    assert new.spans["trace_id"].to_pylist() == ["", "02" * 17]


def test_several_resources_and_scopes_give_the_same_table() -> None:
    request = ExportTraceServiceRequest()
    for r in range(3):
        resource_spans = request.resource_spans.add()
        resource_spans.resource.attributes.extend(
            fx.key_values({"service.name": f"s{r}", "tenant.id": r, "array": [r]})
        )
        for s in range(2):
            scope_spans = resource_spans.scope_spans.add()
            scope_spans.scope.name, scope_spans.scope.version = f"scope{s}", "1.0"
            for i in range(3):
                attributes = BASE if i != 1 else {"http.method": "GET"}
                scope_spans.spans.append(_span(attributes, span_id=bytes([r, s, i, 1] * 2)))
    flat = assert_same(request)
    assert flat.spans.num_rows == 12 and flat.not_genai == 6


def test_an_empty_request_gives_the_same_table() -> None:
    assert_same(ExportTraceServiceRequest())
    assert_same(_request())


# --- encodings other senders may write -----------------------------------------------------


def _with_raw_attributes(*raw: bytes) -> bytes:
    """The body of a model-call span whose last attributes are the given ``KeyValue`` bytes
    (written into the definition that holds them as bytes, which checks none)."""
    request = raw_attributes.parse_request(_request(_span(BASE)).SerializeToString())
    request.resource_spans[0].scope_spans[0].spans[0].attributes.extend(raw)
    body: bytes = request.SerializeToString()
    return body


def _varint(number: int) -> bytes:
    out = bytearray()
    while number >= 0x80:
        out.append(number & 0x7F | 0x80)
        number >>= 7
    out.append(number)
    return bytes(out)


@pytest.mark.parametrize(
    "raw",
    [
        b"\x12\x03\x0a\x01v\x0a\x01k",  # the value before the key
        b"\x0a\x01k\x12\x03\x0a\x01v\x0a\x01j",  # the key twice: the last wins
        b"\x0a\x01k\x12\x03\x0a\x01v\x12\x02\x18\x05",  # the value twice: merged, int wins
        b"\x0a\x01k\x12\x05\x0a\x01v\x18\x05",  # two AnyValue fields: the last wins
        b"\x0a\x01k\x12\x03\x18\x85\x00",  # a varint longer than it needs
        b"\x0a\x01k\x12\x03\x10\x85\x01",  # a bool of 133
        b"\x0a\x01k\x12\x0b\x18" + b"\xff" * 9 + b"\x01",  # -1 in ten bytes
        b"\x0a\x01k\x12\x03\x0a\x01v\x28\x01",  # an unknown field in the KeyValue
        b"\x0a\x01k\x12\x05\x0a\x01v\x40\x01",  # an unknown field in the AnyValue
        b"\x0a\x81\x00k\x12\x03\x0a\x01v",  # a key length longer than it needs
        b"\x0a\x01k\x12\x00",  # an empty value
        b"\x0a\x01k",  # no value
        b"",  # nothing at all
        b"\x0a\x01k\x12\x09\x21" + b"\x00" * 8,  # a double of 0.0
    ],
)
def test_other_encodings_of_an_attribute_read_alike(raw: bytes) -> None:
    assert assert_same_body(_with_raw_attributes(raw)).spans.num_rows == 1
    assert_same_body(_with_raw_attributes(raw))  # known by its bytes the second time


@pytest.mark.parametrize(
    "raw",
    [
        b"\x0a\x02\xc3\x28\x12\x03\x0a\x01v",  # a key that is not UTF-8
        b"\x0a\x01k\x12\x04\x0a\x02\xed\xa0",  # a value that is not UTF-8 (a lone surrogate)
        b"\x0a\x01k\x12\x05\x0a\x09abc",  # a string longer than its value
        b"\x0a\x05k",  # a key longer than the attribute
        b"\x0a\x01k\x12\x03\x1a\x01",  # an array cut short
        b"\x0a\x01k\x12\x02\x21\x00",  # a double cut short
        b"\x0a\x01k\x12\x01\x18",  # an int with no digits
    ],
)
def test_attributes_that_are_not_key_values_are_refused_alike(raw: bytes) -> None:
    body = _with_raw_attributes(raw)
    with pytest.raises(BadPayloadError) as old:
        decode_export_request(body, PROTOBUF)
    with pytest.raises(BadPayloadError) as new:
        flatten.flatten_request(decode_raw_attributes_request(body, PROTOBUF), now=NOW)
    assert new.value.status == old.value.status == 400
    assert "spans[0] has an attribute that is not a KeyValue" in new.value.reason


def test_a_non_genai_span_with_a_broken_attribute_is_refused_too() -> None:
    request = raw_attributes.parse_request(
        _request(_span({"http.method": "GET"})).SerializeToString()
    )
    request.resource_spans[0].scope_spans[0].spans[0].attributes.append(b"\x0a\x02\xc3\x28")
    body = request.SerializeToString()
    with pytest.raises(BadPayloadError):
        decode_export_request(body, PROTOBUF)
    with pytest.raises(BadPayloadError):
        flatten.flatten_request(decode_raw_attributes_request(body, PROTOBUF), now=NOW)


# --- OTLP/JSON -----------------------------------------------------------------------------


def _otlp_json(request: ExportTraceServiceRequest) -> bytes:
    document = json_format.MessageToDict(request)
    for resource_spans in document.get("resourceSpans", []):
        for scope_spans in resource_spans.get("scopeSpans", []):
            for span in scope_spans.get("spans", []):
                for name in ("traceId", "spanId", "parentSpanId"):
                    if name in span:
                        span[name] = base64.b64decode(span[name]).hex()
    return json.dumps(document).encode()


@pytest.mark.parametrize("name", ["EVERY_KIND", *sorted(FIXTURES)[:4]])
def test_json_bodies_give_the_same_tables(name: str) -> None:
    attributes = EVERY_KIND if name == "EVERY_KIND" else FIXTURES[name]
    attributes = {k: v for k, v in attributes.items() if v == v}  # NaN has no JSON
    body = _otlp_json(_request(_span(attributes)))
    old = old_flatten_request(decode_export_request(body, "application/json"), now=NOW)
    new = flatten.flatten_request(decode_raw_attributes_request(body, "application/json"), now=NOW)
    assert old.spans.num_rows == 1
    _assert_equal(new, old)


# --- anything ------------------------------------------------------------------------------


@settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
@given(arbitrary_requests)
def test_arbitrary_requests_give_the_same_tables(request: ExportTraceServiceRequest) -> None:
    assert_same(request, now=datetime.now(UTC))
