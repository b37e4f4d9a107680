"""consume_stream: what the Playground shows while and after a stream arrives.

AppTest sees only a page's final state, so the stream handling is tested here on chunk
sequences, both the SDK's own objects and looser shapes some endpoints send."""

from __future__ import annotations

from typing import Any

from openai.types.chat import ChatCompletionChunk

from aoai_client.chat import consume_stream


def sdk_chunks(events: list[dict[str, Any]]) -> list[ChatCompletionChunk]:
    """As openai-python builds them from the wire: leniently, without validation."""
    return [ChatCompletionChunk.construct(**e) for e in events]


HEAD = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1, "model": "gpt-4o"}


def test_text_is_passed_on_as_it_grows_and_usage_is_read() -> None:
    events = [
        {
            "id": "",
            "object": "",
            "created": 0,
            "model": "",
            "choices": [],
            "prompt_filter_results": [{"prompt_index": 0, "content_filter_results": {}}],
        },
        {**HEAD, "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}}]},
        {**HEAD, "choices": [{"index": 0, "delta": {"content": "Hello"}}]},
        {**HEAD, "choices": [{"index": 0, "delta": {"content": " there"}}]},
        {**HEAD, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]},
        {
            **HEAD,
            "choices": [],
            "usage": {"prompt_tokens": 7, "completion_tokens": 2, "total_tokens": 9},
        },
    ]
    shown: list[str] = []
    result = consume_stream(sdk_chunks(events), shown.append)
    assert shown == ["Hello", "Hello there"]  # each render shows the whole text so far
    assert (result.text, result.finish_reason, result.model) == ("Hello there", "stop", "gpt-4o")
    assert result.usage is not None and result.usage["completion_tokens"] == 2
    assert result.chunks == 6 and result.first_text_at is not None


def test_a_stream_without_usage_and_with_finish_reason_in_delta_does_not_raise() -> None:
    events = [
        {
            **HEAD,
            "choices": [
                {
                    "index": 0,
                    "delta": {"content": "Hi", "finish_reason": "length"},
                    "unknown_field": {"x": 1},
                }
            ],
            "obfuscation": "abc",
        },
    ]
    result = consume_stream(sdk_chunks(events))
    assert (result.text, result.finish_reason, result.usage) == ("Hi", "length", None)


def test_plain_dict_chunks_with_missing_fields_are_read() -> None:
    result = consume_stream(
        [
            {},
            {"choices": None},
            {"choices": [{"delta": None}]},
            {"choices": [{"delta": {"content": "ok"}}]},
        ]
    )
    assert (result.text, result.finish_reason, result.chunks) == ("ok", None, 4)
