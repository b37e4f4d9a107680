"""The instrumented client never changes what the caller sees: one test for each stream
shape unlike Azure's that broke it, and for what its span says about them.

Each test serves bytes from a local endpoint (tests/fakes/raw_answers.py) and reads them with
the bare ``openai`` client and with ours (tests/stream_reading.py): the caller gets the same
chunks or the same exception, and the call ends exactly one span.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from aoai_client import build_async_client, build_client
from tests.fakes.raw_answers import RawAnswer, RawAnswerServer
from tests.stream_reading import ASK, Instrumented, Seen, attributes, our_config, read_both

HEAD = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1, "model": "gpt-4o"}
NO_USAGE = (
    "usage: the stream sent no usage event (request stream_options={'include_usage': True} "
    "to count tokens)"
)


def event(fields: dict[str, Any], ending: str = "\n") -> bytes:
    return f"data: {json.dumps(fields)}{ending}{ending}".encode()


def text_chunk(text: str, finish_reason: str | None = None) -> bytes:
    choice = {"index": 0, "delta": {"content": text}, "finish_reason": finish_reason}
    return event({**HEAD, "choices": [choice]})


USAGE = event({**HEAD, "choices": [], "usage": {"prompt_tokens": 3, "completion_tokens": 2}})
DONE = b"data: [DONE]\n\n"


@pytest.fixture(scope="module")
def server() -> Iterator[RawAnswerServer]:
    with RawAnswerServer() as running:
        yield running


# --- streams without Content-Type: text/event-stream ---------------------------------------


@pytest.mark.parametrize("content_type", [None, "text/plain"])
def test_a_stream_without_its_content_type_is_read_as_a_stream(
    server: RawAnswerServer, content_type: str | None
) -> None:
    answer = RawAnswer([text_chunk("Hi"), text_chunk("!", "stop"), USAGE, DONE], content_type)
    bare, ours, (span,) = read_both(server, answer)
    assert ours == bare and bare.raised is None and len(bare.chunks) == 3
    sent = f"as {content_type}" if content_type else "with no Content-Type"
    recorded = attributes(span)
    assert recorded["azure.openai.telemetry.unread"] == (
        f"content-type: the stream was sent {sent}, not text/event-stream",
    )  # not "body: the HTTP 200 answer is not a JSON object"
    assert recorded["gen_ai.response.finish_reasons"] == ("stop",)
    assert (recorded["gen_ai.usage.input_tokens"], recorded["gen_ai.usage.output_tokens"]) == (3, 2)


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
def test_a_stream_without_content_type_is_handed_on_as_it_arrives_and_timed(
    server: RawAnswerServer, asynchronous: bool
) -> None:
    """The first chunk reaches the caller while the server still holds the rest back."""
    answer = RawAnswer([text_chunk("Hi"), text_chunk("!", "stop"), DONE], content_type=None)
    answer.hold_after_first = True
    server.answer = answer
    first_seen_while_held: list[bool] = []

    def on_first_chunk() -> None:
        first_seen_while_held.append(answer.released_in_time is None)
        answer.release.set()

    with Instrumented() as instrumented:
        if asynchronous:

            async def consume() -> None:
                async with build_async_client(our_config(server.url)) as client:
                    async for _ in await client.chat.completions.create(**ASK):
                        if not first_seen_while_held:
                            on_first_chunk()

            asyncio.run(consume())
        else:
            with build_client(our_config(server.url)) as client:
                for _ in client.chat.completions.create(**ASK):
                    if not first_seen_while_held:
                        on_first_chunk()
    assert first_seen_while_held == [True]
    assert answer.released_in_time is True
    (span,) = instrumented.spans()
    ttft = attributes(span)["gen_ai.response.time_to_first_chunk"]
    assert isinstance(ttft, float) and 0 <= ttft < answer.hold_s


def test_a_json_answer_to_a_stream_request_without_content_type_is_read_whole(
    server: RawAnswerServer,
) -> None:
    """A gateway that answers with a whole completion: read as the body it is."""
    completion = {
        **HEAD,
        "object": "chat.completion",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hi"}}],
        "prompt_filter_results": [{"prompt_index": 0, "content_filter_results": {}}],
        "usage": {"prompt_tokens": 3, "completion_tokens": 1},
    }
    answer = RawAnswer([json.dumps(completion).encode()], content_type=None)
    bare, ours, (span,) = read_both(server, answer)
    assert ours == bare == Seen((), None)  # the openai client finds no events in it
    assert "azure.openai.prompt_filter_results" in attributes(span)
    assert "azure.openai.telemetry.unread" not in attributes(span)


# --- shapes unlike Azure's ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("pieces", "content_type", "unread"),
    [
        pytest.param(
            [
                event({**HEAD, "choices": [{"delta": {"index": 0, "content": "Hi"}}]}),
                event({**HEAD, "choices": [{"delta": {"index": 0, "finish_reason": "stop"}}]}),
                USAGE,
                DONE,
            ],
            "text/event-stream",
            (
                "index: sent inside delta, not beside it",
                "finish_reason: sent inside delta, not beside it",
            ),
            id="index-and-finish-reason-inside-delta",
        ),
        pytest.param(
            [text_chunk("Hi", "stop"), DONE], "text/event-stream", (NO_USAGE,), id="no-usage"
        ),
        pytest.param(
            [text_chunk("Hi", "stop"), USAGE, DONE],
            None,
            ("content-type: the stream was sent with no Content-Type, not text/event-stream",),
            id="no-content-type",
        ),
        pytest.param(
            [text_chunk("Hi", "stop"), USAGE, b"[DONE]\n\n"],
            "text/event-stream",
            ("end: [DONE] was sent without data: (the client reads on to the end)",),
            id="done-without-data",
        ),
    ],
)
def test_an_odd_shape_reaches_the_caller_as_without_instrumentation_and_is_named(
    server: RawAnswerServer, pieces: list[bytes], content_type: str | None, unread: tuple[str]
) -> None:
    bare, ours, (span,) = read_both(server, RawAnswer(pieces, content_type))
    assert ours == bare and bare.raised is None and bare.chunks
    assert attributes(span)["azure.openai.telemetry.unread"] == unread
    assert attributes(span)["gen_ai.response.finish_reasons"] == ("stop",)


@pytest.mark.parametrize(
    "choice",
    [
        pytest.param(
            {"delta": {"index": 0, "content": "Hi", "finish_reason": "stop"}}, id="choice"
        ),
        pytest.param(
            {
                "index": 0,
                "delta": {"tool_calls": [{"id": "call_1", "function": {"name": "f"}}]},
                "finish_reason": "tool_calls",
            },
            id="tool-call",
        ),
    ],
)
def test_the_instrumentations_type_error_on_a_missing_index_is_recorded_not_raised(
    server: RawAnswerServer, choice: dict[str, Any]
) -> None:
    """openai-v2 2.4b0 computes ``index + 1`` for each choice and tool call."""
    answer = RawAnswer([event({**HEAD, "choices": [choice]}), USAGE, DONE])
    bare, ours, (span,) = read_both(server, answer)
    assert ours == bare and bare.raised is None and len(bare.chunks) == 2
    assert attributes(span)["azure.openai.telemetry.error"] == (
        "instrumentation process_chunk: TypeError: unsupported operand type(s) for +: "
        "'NoneType' and 'int'",
    )
    assert attributes(span)["gen_ai.usage.input_tokens"] == 3  # the usage chunk was still read


def test_a_failing_end_of_the_instrumentation_is_recorded_and_its_span_still_ended(
    server: RawAnswerServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With content capture on, openai-v2 joins the text pieces, and a number is none."""
    monkeypatch.setenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "SPAN_ONLY")
    choice = {"index": 0, "delta": {"content": 5}, "finish_reason": "stop"}
    answer = RawAnswer([event({**HEAD, "choices": [choice]}), USAGE, DONE])
    bare, ours, (span,) = read_both(server, answer)  # exactly one span, ended
    assert ours == bare and bare.raised is None and len(bare.chunks) == 2
    assert attributes(span)["azure.openai.telemetry.error"] == (
        "instrumentation cleanup: TypeError: sequence item 0: expected str instance, int found",
    )
    assert attributes(span)["gen_ai.usage.input_tokens"] == 3


ERROR_EVENT = event({"error": {"code": "server_error", "message": "The server had an error"}})


@pytest.mark.parametrize(
    ("answer", "error_type"),
    [
        pytest.param(
            RawAnswer(
                [b'{"error": {"code": "429", "message": "Rate limit is exceeded."}}'],
                "application/json",
                status=429,
            ),
            "openai.RateLimitError",
            id="throttled",
        ),
        pytest.param(
            RawAnswer([text_chunk("Hi"), ERROR_EVENT]), "openai.APIError", id="error-event"
        ),
    ],
)
def test_a_failed_call_names_its_error_type_without_invalid_type_warnings(
    server: RawAnswerServer,
    caplog: pytest.LogCaptureFixture,
    answer: RawAnswer,
    error_type: str,
) -> None:
    with caplog.at_level(logging.WARNING):
        bare, ours, (span,) = read_both(server, answer)
    assert ours == bare and bare.raised is not None
    assert [r.getMessage() for r in caplog.records if "Invalid type" in r.getMessage()] == []
    assert attributes(span)["error.type"] == error_type  # util-genai's own spelling
    assert not span.status.is_ok


def test_shutdown_gives_the_instrumentation_back_as_it_was() -> None:
    from opentelemetry.instrumentation.openai_v2 import patch
    from opentelemetry.util.genai.types import Error

    wrappers = (patch.ChatStreamWrapper, patch.LegacyChatStreamWrapper)
    before = [dict(vars(wrapper)) for wrapper in wrappers]
    with Instrumented():
        assert patch.Error is not Error
        assert patch.ChatStreamWrapper.process_chunk is not patch.BaseStreamWrapper.process_chunk
    assert patch.Error is Error
    assert [dict(vars(wrapper)) for wrapper in wrappers] == before
