"""Property: whatever a stream's shape, the instrumented client gives the caller exactly what
the bare ``openai`` client gives, and ends one span for the call.

Streams are drawn as sequences of Azure-like and odd server-sent events: Azure's own first
event with ``prompt_filter_results``, text and tool-call chunks with ``index`` and
``finish_reason`` beside or inside ``delta`` or missing, usage-only chunks, ``choices: null``
or absent, error events, events that are not JSON objects or not JSON, comments, ``event:``
and ``id:`` lines, ``[DONE]`` with or without ``data:`` or missing, LF or CRLF line ends, a
last event without its blank line, with or without ``Content-Type: text/event-stream``, cut
into pieces at random. Each is served by a local endpoint (tests/fakes/raw_answers.py) and
read both ways (tests/stream_reading.py), synchronously or with asyncio.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tests.fakes.raw_answers import RawAnswer, RawAnswerServer
from tests.stream_reading import read_both

HEAD: dict[str, Any] = {
    "id": "chatcmpl-1",
    "object": "chat.completion.chunk",
    "created": 1,
    "model": "gpt-4o",
}
TEXT = st.one_of(st.text(alphabet='ab é\n"{}', max_size=4), st.none(), st.integers(0, 9))
FINISH = st.sampled_from([None, "stop", "length", "content_filter", "tool_calls"])
INDEX = st.sampled_from([0, 1, None, "0"])
PLACE = st.sampled_from(["beside", "inside", "missing"])


@st.composite
def choices(draw: st.DrawFn) -> dict[str, Any]:
    """One choice of a chunk; ``index`` and ``finish_reason`` beside, inside or without."""
    delta: dict[str, Any] = {}
    if draw(st.booleans()):
        delta["content"] = draw(TEXT)
    if draw(st.integers(0, 4)) == 0:
        call = {"id": "call_1", "function": {"name": "f", "arguments": "{}"}}
        if draw(st.booleans()):
            call["index"] = draw(INDEX)
        delta["tool_calls"] = [call]
    choice: dict[str, Any] = {"delta": draw(st.sampled_from([delta, delta, None, "odd"]))}
    for name, value in (("index", draw(INDEX)), ("finish_reason", draw(FINISH))):
        place = draw(PLACE)
        if place == "beside":
            choice[name] = value
        elif place == "inside" and isinstance(choice["delta"], dict):
            choice["delta"][name] = value
    if draw(st.booleans()):
        choice["content_filter_results"] = {"violence": {"filtered": False, "severity": "low"}}
    return choice


USAGE = st.fixed_dictionaries(
    {
        "prompt_tokens": st.one_of(st.integers(0, 50), st.just("3"), st.none()),
        "completion_tokens": st.one_of(st.integers(0, 50), st.none()),
    },
    optional={"prompt_tokens_details": st.just({"cached_tokens": 1})},
)

PAYLOADS = st.one_of(
    st.builds(lambda c: {**HEAD, "choices": c}, st.lists(choices(), max_size=2)),
    st.just(
        {
            "id": "",
            "object": "",
            "created": 0,
            "model": "",
            "choices": [],
            "prompt_filter_results": [{"prompt_index": 0, "content_filter_results": {}}],
        }
    ),
    st.builds(lambda u: {**HEAD, "choices": [], "usage": u}, USAGE),
    st.just({**HEAD, "choices": None}),
    st.just(dict(HEAD)),
    st.just({"error": {"code": "server_error", "message": "The server had an error"}}),
    st.sampled_from([5, [1], "text", None]),
)


@st.composite
def events(draw: st.DrawFn) -> list[str]:
    """The lines of one event, without its blank line."""
    kind = draw(st.sampled_from(["data"] * 12 + ["comment", "not json", "event only"]))
    if kind == "comment":
        return [": keep-alive"]
    if kind == "event only":
        return ["event: ping"]
    data = "not json" if kind == "not json" else json.dumps(draw(PAYLOADS))
    prefix = draw(st.sampled_from([[], [], ["event: message"], ["id: 7"]]))
    return [*prefix, f"data: {data}"]


@st.composite
def answers(draw: st.DrawFn) -> RawAnswer:
    lines: list[str] = []
    for event_lines in draw(st.lists(events(), max_size=6)):
        lines += [*event_lines, ""]
    done = draw(st.sampled_from(["data: [DONE]", "[DONE]", None]))
    if done is not None:
        lines += [done, ""]
    if lines and draw(st.integers(0, 5)) == 0:
        lines.pop()  # the last event has no blank line after it
    ending = draw(st.sampled_from(["\n", "\r\n"]))
    body = "".join(line + ending for line in lines).encode()
    cuts = sorted(draw(st.sets(st.integers(1, max(len(body) - 1, 1)), max_size=5)))
    pieces = [body[a:b] for a, b in zip([0, *cuts], [*cuts, len(body)], strict=True)]
    content_type = draw(st.sampled_from(["text/event-stream", "text/event-stream", None]))
    return RawAnswer([piece for piece in pieces if piece], content_type)


@pytest.fixture(scope="module")
def server() -> Iterator[RawAnswerServer]:
    with RawAnswerServer() as running:
        yield running


# The module's server is shared on purpose: each example sets its own answer.
@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(answer=answers(), asynchronous=st.booleans())
def test_the_caller_sees_what_the_bare_client_gives_and_each_call_ends_one_span(
    server: RawAnswerServer, answer: RawAnswer, asynchronous: bool
) -> None:
    bare, ours, spans = read_both(server, answer, asynchronous)
    event(f"the caller got {bare.raised.partition(':')[0] if bare.raised else 'no exception'}")
    assert ours == bare
    assert [span.name for span in spans] == ["chat odd-deployment"]
