"""A group of requests normalised at once, then split back by request (what the ingest
queue does): each request gets its own calls, verdicts, refusal and rejected spans."""

from __future__ import annotations

from collections import Counter

import pyarrow as pa
import pytest
from opentelemetry.proto.trace.v1.trace_pb2 import Span

from collectors.genai.normalize import GenAIBatch, Rejected, normalize_spans
from collectors.otlp.flatten import flatten_request
from tests.fixtures.otlp_spans import make_request, make_span

TRACE = bytes.fromhex("0af7651916cd43dd8448eb211c80319c")
A, B, C, D, E = (bytes([0, 0, 0, 0, 0, 0, 0, n]) for n in (0xA, 0xB, 0xC, 0xD, 0xE))
CHILD, TOOL = bytes([0, 0, 0, 0, 0, 0, 1, 1]), bytes([0, 0, 0, 0, 0, 0, 1, 2])
URL = "https://aoai-west.openai.azure.com/openai/deployments/dep-from-url/chat/completions"
PROMPT = (
    '[{"prompt_index": 0, "content_filter_results": {"hate": {"filtered": false, '
    '"severity": "safe"}, "violence": {"filtered": false, "severity": "low"}}}]'
)
JAILBREAK = (
    '[{"prompt_index": 0, "content_filter_results": {"jailbreak": {"filtered": true, '
    '"detected": true}}}]'
)


def call(span_id: bytes, input_tokens: object, **attributes: object) -> Span:
    return make_span(
        {
            "gen_ai.operation.name": "chat",
            "gen_ai.system": "openai",
            "gen_ai.request.model": "chat-prod",
            "gen_ai.usage.input_tokens": input_tokens,
            "gen_ai.usage.output_tokens": 1,
            **attributes,
        },
        trace_id=TRACE,
        span_id=span_id,
    )


def call_id(span_id: bytes) -> str:
    return TRACE.hex() + span_id.hex()


def group() -> GenAIBatch:
    requests = [
        # 0: two calls, the HTTP child span of the first, and a span of no GenAI interest.
        make_request(
            call(A, 10, **{"azure.openai.prompt_filter_results": PROMPT}),
            call(B, 20),
            make_span(
                {"url.full": URL, "http.response.status_code": 200},
                name="POST",
                trace_id=TRACE,
                span_id=CHILD,
                parent_span_id=A,
            ),
            make_span({"db.system": "postgresql"}, name="SELECT", trace_id=TRACE, span_id=E),
        ),
        # 1: no call at all, only a tool's span.
        make_request(
            make_span(
                {"gen_ai.operation.name": "execute_tool"},
                name="execute_tool",
                trace_id=TRACE,
                span_id=TOOL,
            ),
        ),
        # 2: a call, then one whose input token count cannot be true.
        make_request(call(C, 30), call(E, "many")),
        # 3: request 0's first call again, and a call sent twice in this request.
        make_request(
            call(A, 40),
            call(D, 50, **{"azure.openai.prompt_filter_results": JAILBREAK}),
            call(D, 99),
        ),
    ]
    flats = [flatten_request(r, request_no=n) for n, r in enumerate(requests)]
    assert [f.not_genai for f in flats] == [1, 0, 0, 0]  # the database span is not copied
    return normalize_spans(pa.concat_tables(f.spans for f in flats), source="otlp")


def calls(batch: GenAIBatch, request_no: int) -> list[tuple[object, ...]]:
    table = batch.calls_of(request_no)
    names = ("call_id", "input_tokens", "deployment", "deployment_source", "filter_action")
    return list(zip(*(table[name].to_pylist() for name in names), strict=True))


def verdicts(batch: GenAIBatch, request_no: int) -> list[tuple[object, ...]]:
    table = batch.verdicts_of(request_no)
    names = ("call_id", "target", "idx", "category", "severity", "filtered", "detected")
    return list(zip(*(table[name].to_pylist() for name in names), strict=True))


@pytest.fixture(scope="module")
def batch() -> GenAIBatch:
    return group()


def test_each_request_gets_its_own_calls_in_the_order_sent(batch: GenAIBatch) -> None:
    # Request 0's first call takes its deployment from its child HTTP span's URL; the
    # group's hints reach request 3's copy of that call too.
    assert calls(batch, 0) == [
        (call_id(A), 10, "dep-from-url", "url_path", "annotated"),
        (call_id(B), 20, "chat-prod", "request_model", "none"),
    ]
    assert calls(batch, 1) == []
    # The same call id in another request is that request's call; twice in one request,
    # the first sent.
    assert calls(batch, 3) == [
        (call_id(A), 40, "dep-from-url", "url_path", "none"),
        (call_id(D), 50, "chat-prod", "request_model", "blocked_prompt"),
    ]


def test_each_request_gets_only_its_calls_verdicts(batch: GenAIBatch) -> None:
    assert verdicts(batch, 0) == [
        (call_id(A), "prompt", 0, "hate", "safe", False, None),
        (call_id(A), "prompt", 0, "violence", "low", False, None),
    ]
    assert verdicts(batch, 1) == []
    assert verdicts(batch, 3) == [(call_id(D), "prompt", 0, "jailbreak", None, True, True)]


def test_only_the_request_with_an_impossible_span_is_refused(batch: GenAIBatch) -> None:
    assert batch.problems == {
        2: "resourceSpans[0].scopeSpans[0].spans[1]: gen_ai.usage.input_tokens = many is not "
        "an integer count"
    }


def test_spans_that_are_not_calls_count_for_their_own_request(batch: GenAIBatch) -> None:
    assert batch.rejected == {
        0: Rejected(Counter({"not_genai": 1})),
        1: Rejected(Counter({"other_operation": 1}), {"execute_tool"}),
    }
    # Request 0's child span told of a call in the group: no hint waits for a later one.
    assert batch.hints.num_rows == 0


def test_a_request_number_absent_from_the_group_has_nothing(batch: GenAIBatch) -> None:
    assert batch.calls_of(7).num_rows == 0
    assert batch.verdicts_of(7).num_rows == 0
    assert batch.calls_of(7).schema == batch.calls_of(0).schema
