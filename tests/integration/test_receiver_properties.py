"""Property tests of the running receiver: whatever a sender posts (arbitrary bytes,
arbitrary OTLP messages built from the proto descriptors with arbitrary ``AnyValue`` trees,
arbitrary OTLP/JSON), the answer is a 200 or a 4xx with a reason, never a 5xx; a refused
request stores nothing; the time per request is bounded by its size; and the writer is
alive afterwards.

Examples are derandomised so CI sees the same ones each run; ``HYPOTHESIS_PROFILE=fuzz``
draws new ones, many more of them (``make fuzz``).
"""

from __future__ import annotations

import base64
import gzip
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from google.protobuf import json_format
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue

from collectors.genai import attributes as attr
from lens_harness.lens_process import LensServer

settings.register_profile(
    "ci",
    max_examples=120,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
settings.register_profile(
    "fuzz",
    max_examples=3_000,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")
settings.load_profile(PROFILE)
pytestmark = pytest.mark.timeout(0 if PROFILE == "fuzz" else 300)

PROTOBUF = "application/x-protobuf"
JSON = "application/json"
ANSWERS = {200, 400, 408, 413, 415}
NOW_NS = time.time_ns()


CLIENT = httpx.Client(timeout=120)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LensServer]:
    folder = tmp_path_factory.mktemp("properties")
    running = LensServer(folder / "lens.duckdb", folder / "server.log").start()
    yield running
    running.stop()


def health(server: LensServer) -> dict[str, Any]:
    answer = CLIENT.get(f"{server.url}/healthz")
    assert answer.status_code == 200, answer.text
    data: dict[str, Any] = answer.json()
    assert data["status"] == "ok" and data["writer"]["alive"]
    return data


def check_answer(server: LensServer, content: bytes, headers: dict[str, str]) -> None:
    """The properties every request must keep."""
    before = health(server)
    started = time.monotonic()
    response = httpx.post(f"{server.url}/v1/traces", content=content, headers=headers, timeout=120)
    elapsed = time.monotonic() - started
    assert response.status_code in ANSWERS, (response.status_code, response.text[:500])
    assert len(response.content) < 2_000
    assert elapsed < 5 + 10 * len(content) / 1e6, f"{elapsed:.1f} s for {len(content)} bytes"
    after = health(server)
    stored = after["calls"] - before["calls"]
    event(f"answer {response.status_code}" + (" and calls stored" if stored else ""))
    if response.status_code != 200:
        assert stored == 0, "a refused request stored calls"
        assert response.headers.get("Retry-After") is None
    else:
        assert 0 <= stored <= max(1, len(content) // 16)
    assert after["otlp"]["spans_stored"] - before["otlp"]["spans_stored"] == stored


def _array(items: list[AnyValue]) -> AnyValue:
    value = AnyValue()
    value.array_value.values.extend(items)
    return value


def _kvlist(pairs: list[tuple[str, AnyValue]]) -> AnyValue:
    value = AnyValue()
    for key, item in pairs:
        value.kvlist_value.values.add(key=key, value=item)
    return value


# --- values a hostile or careless producer sends -----------------------------------------
texts = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        [
            "",
            "²⁰⁰",
            "١٢٣",
            "9" * 5000,
            "chat",
            "Error code: 400 - {'error': {'code': 'content_filter'}}",
            '[{"prompt_index": 99999999999, "content_filter_results": {}}]',
            '[{"prompt_index": 0, "content_filter_results": {"hate": {"filtered": true}}}]',
            '{"error": {"code": "content_filter", "innererror": {}}}',
            "https://a.openai.azure.com/openai/deployments/x/chat/completions?api-version=1",
            "<class 'openai.RateLimitError'>",
            "\x00\ud7ff\ue000",
        ]
    ),
)
int64s = st.integers(min_value=-(2**63), max_value=2**63 - 1)
any_values: st.SearchStrategy[AnyValue] = st.recursive(
    st.one_of(
        texts.map(lambda v: AnyValue(string_value=v)),
        int64s.map(lambda v: AnyValue(int_value=v)),
        st.floats().map(lambda v: AnyValue(double_value=v)),
        st.booleans().map(lambda v: AnyValue(bool_value=v)),
        st.binary(max_size=20).map(lambda v: AnyValue(bytes_value=v)),
        st.just(AnyValue()),
    ),
    lambda children: st.one_of(
        st.lists(children, max_size=4).map(_array),
        st.lists(st.tuples(st.text(max_size=10), children), max_size=4).map(_kvlist),
    ),
    max_leaves=12,
)
keys = st.one_of(
    st.sampled_from(
        [
            *sorted(attr.MAPPED),
            attr.AZURE_PROMPT_FILTER,
            attr.AZURE_COMPLETION_FILTER,
            attr.AZURE_FILTER_ERROR,
            attr.AZURE_FILTER_BLOCKED,
            attr.TRACELOOP_PROMPT_FILTER,
            "gen_ai.completion.0.finish_reason",
            "gen_ai.completion.0.content_filter_results",
            "gen_ai.completion.²³.finish_reason",
            "gen_ai.completion.99999999999.content_filter_results",
            "url.full",
            "http.request.header.authorization",
        ]
    ),
    st.text(max_size=20),
)


def _field_values(field: FieldDescriptor, depth: int) -> st.SearchStrategy[Any]:
    """Values of one proto field, from its descriptor."""
    if field.message_type is not None:
        if field.message_type.full_name == AnyValue.DESCRIPTOR.full_name:
            return any_values
        return _message_dicts(field.message_type, depth + 1)
    if field.name in ("trace_id", "span_id", "parent_span_id"):
        return st.one_of(st.binary(min_size=16, max_size=16), st.binary(min_size=8, max_size=8),
                         st.binary(max_size=20))  # fmt: skip
    if field.name.endswith("time_unix_nano"):
        return st.one_of(st.just(NOW_NS), st.integers(0, 2**64 - 1))
    if field.name == "key":
        return keys
    kind = field.type
    if kind == FieldDescriptor.TYPE_STRING:
        return texts
    if kind == FieldDescriptor.TYPE_BYTES:
        return st.binary(max_size=20)
    if kind == FieldDescriptor.TYPE_BOOL:
        return st.booleans()
    if kind in (FieldDescriptor.TYPE_DOUBLE, FieldDescriptor.TYPE_FLOAT):
        return st.floats(width=64 if kind == FieldDescriptor.TYPE_DOUBLE else 32)
    if kind == FieldDescriptor.TYPE_ENUM:
        return st.sampled_from([v.number for v in field.enum_type.values])
    if kind in (FieldDescriptor.TYPE_UINT32, FieldDescriptor.TYPE_FIXED32):
        return st.integers(0, 2**32 - 1)
    if kind in (FieldDescriptor.TYPE_UINT64, FieldDescriptor.TYPE_FIXED64):
        return st.integers(0, 2**64 - 1)
    if kind in (
        FieldDescriptor.TYPE_INT32,
        FieldDescriptor.TYPE_SINT32,
        FieldDescriptor.TYPE_SFIXED32,
    ):
        return st.integers(-(2**31), 2**31 - 1)
    return int64s


def _message_dicts(descriptor: Descriptor, depth: int = 0) -> st.SearchStrategy[dict[str, Any]]:
    """Some fields of a message (a dict of name -> value), from its descriptor."""
    if depth > 6:
        return st.just({})
    fields: dict[str, st.SearchStrategy[Any]] = {}
    for field in descriptor.fields:
        values = _field_values(field, depth)
        if field.is_repeated:
            values = st.lists(values, max_size=3 if depth < 4 else 6)
        fields[field.name] = values
    return st.fixed_dictionaries({}, optional=fields)


def _build(descriptor_class: type[Message], values: dict[str, Any]) -> Message:
    message = descriptor_class()
    _fill(message, values)
    return message


def _fill(message: Message, values: dict[str, Any]) -> None:
    for name, value in values.items():
        field = message.DESCRIPTOR.fields_by_name[name]
        target = getattr(message, name)
        if field.message_type is None:
            if field.is_repeated:
                target.extend(value)
            else:
                setattr(message, name, value)
        elif field.is_repeated:
            for item in value:
                child = target.add()
                _set(child, item)
        else:
            _set(target, value)


def _set(child: Message, value: Any) -> None:
    if isinstance(value, Message):
        child.CopyFrom(value)
    else:
        _fill(child, value)


arbitrary_requests = _message_dicts(ExportTraceServiceRequest.DESCRIPTOR).map(
    lambda values: _build(ExportTraceServiceRequest, values)
)


@st.composite
def genai_requests(draw: st.DrawFn) -> ExportTraceServiceRequest:
    """Requests of model-call spans (valid ids, a plausible start) with arbitrary attributes
    beside the ones that make them model calls, so that the normaliser and the writer see
    hostile values, not only the decoder."""
    request = ExportTraceServiceRequest()
    scope_spans = request.resource_spans.add().scope_spans.add()
    for _ in range(draw(st.integers(1, 4))):
        span = scope_spans.spans.add(
            trace_id=draw(st.binary(min_size=16, max_size=16).filter(any)),
            span_id=draw(st.binary(min_size=8, max_size=8).filter(any)),
            name=draw(texts),
            start_time_unix_nano=NOW_NS - draw(st.integers(0, 10**12)),
            end_time_unix_nano=draw(st.sampled_from([0, NOW_NS, NOW_NS + 10**9])),
        )
        span.status.message = draw(texts)
        span.status.code = draw(st.sampled_from([0, 1, 2]))
        base = {"gen_ai.operation.name": draw(st.sampled_from(sorted(attr.OPERATIONS))),
                "gen_ai.request.model": "gpt-4o"}  # fmt: skip
        for key, value in base.items():
            span.attributes.add(key=key, value=AnyValue(string_value=value))
        for key, value in draw(st.lists(st.tuples(keys, any_values), max_size=8)):
            span.attributes.add(key=key, value=value)
    return request


export_requests = st.one_of(arbitrary_requests, genai_requests(), genai_requests())


def otlp_json(request: Message) -> dict[str, Any]:
    """OTLP/JSON: protobuf's JSON mapping with hex ids."""
    document = json_format.MessageToDict(request)
    _ids_to_hex(document)
    return document


def _ids_to_hex(node: Any) -> None:
    if isinstance(node, list):
        for item in node:
            _ids_to_hex(item)
    elif isinstance(node, dict):
        for key, value in node.items():
            if key in ("traceId", "spanId", "parentSpanId") and isinstance(value, str):
                node[key] = base64.b64decode(value).hex()
            else:
                _ids_to_hex(value)


json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.floats(allow_nan=False), int64s, texts),
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=15,
)


@given(
    content=st.binary(max_size=2_000),
    media=st.sampled_from([PROTOBUF, JSON]),
    compressed=st.booleans(),
)
def test_arbitrary_bytes_get_an_answer_and_store_nothing_partial(
    server: LensServer, content: bytes, media: str, compressed: bool
) -> None:
    headers = {"Content-Type": media}
    if compressed:
        content, headers["Content-Encoding"] = gzip.compress(content), "gzip"
    check_answer(server, content, headers)


@given(request=export_requests, compressed=st.booleans())
def test_arbitrary_otlp_messages_get_an_answer(
    server: LensServer, request: Message, compressed: bool
) -> None:
    content = request.SerializeToString()
    headers = {"Content-Type": PROTOBUF}
    if compressed:
        content, headers["Content-Encoding"] = gzip.compress(content), "gzip"
    check_answer(server, content, headers)


@given(request=export_requests, data=st.data())
def test_arbitrary_otlp_json_gets_an_answer(
    server: LensServer, request: Message, data: st.DataObject
) -> None:
    document = otlp_json(request)
    if data.draw(st.booleans(), label="mutate"):
        document = _mutated(document, data)
    content = json.dumps(document, allow_nan=True).encode()
    check_answer(server, content, {"Content-Type": JSON})


def _mutated(document: Any, data: st.DataObject) -> Any:
    """The document with one subtree replaced by arbitrary JSON."""
    if isinstance(document, dict) and document and data.draw(st.booleans()):
        key = data.draw(st.sampled_from(sorted(document)))
        return {**document, key: _mutated(document[key], data)}
    if isinstance(document, list) and document and data.draw(st.booleans()):
        index = data.draw(st.integers(0, len(document) - 1))
        return [*document[:index], _mutated(document[index], data), *document[index + 1 :]]
    return data.draw(json_values)


def test_the_server_log_has_no_traceback(server: LensServer, tmp_path: Path) -> None:
    """Run last in this module: no request above made the server raise."""
    health(server)
    assert "Traceback" not in server.log_path.read_text(errors="replace")
