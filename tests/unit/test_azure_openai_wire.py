"""The Azure OpenAI wire as written: exact bodies, events, headers and bytes for given values.

Expected shapes are written out by hand from the sources each module of azure_openai_wire
names (the 2024-10-21 specification and the azure-ai-docs pages)."""

from __future__ import annotations

import base64
import json
import struct
from typing import Any

import pytest

from azure_openai_wire import bodies, content_filter, errors, headers, sse

SAFE = {"filtered": False, "severity": "safe"}
PROMPT_VERDICTS = {
    "hate": SAFE,
    "sexual": SAFE,
    "violence": {"filtered": False, "severity": "low"},
    "self_harm": SAFE,
    "jailbreak": {"filtered": False, "detected": False},
}
CHOICE_VERDICTS = {"violence": {"filtered": False, "severity": "low"}}
USAGE = {
    "prompt_tokens": 12,
    "completion_tokens": 3,
    "total_tokens": 15,
    "prompt_tokens_details": {"audio_tokens": 0, "cached_tokens": 0},
    "completion_tokens_details": {
        "accepted_prediction_tokens": 0,
        "audio_tokens": 0,
        "reasoning_tokens": 0,
        "rejected_prediction_tokens": 0,
    },
}
ANSWER = bodies.ChatAnswer(
    response_id="chatcmpl-1",
    created=1767225600,
    model="gpt-4o-2024-11-20",
    pieces=("Swords", " clash", " loudly"),
    finish_reason="stop",
    prompt_filter=PROMPT_VERDICTS,
    choice_filter=CHOICE_VERDICTS,
    usage=USAGE,
    system_fingerprint="fp_1",
)
HEAD = {
    "id": "chatcmpl-1",
    "object": "chat.completion.chunk",
    "created": 1767225600,
    "model": "gpt-4o-2024-11-20",
    "system_fingerprint": "fp_1",
}


def text_chunk(delta: dict[str, Any], finish: str | None, verdicts: dict[str, Any]) -> Any:
    choice = {
        "index": 0,
        "logprobs": None,
        "delta": delta,
        "finish_reason": finish,
        "content_filter_results": verdicts,
    }
    return {**HEAD, "choices": [choice], "usage": None}


def test_usage_counts_cached_and_reasoning_tokens_inside_the_totals() -> None:
    assert bodies.usage(12, 3) == USAGE
    with_parts = bodies.usage(2048, 300, cached=1024, reasoning=256)
    assert with_parts["total_tokens"] == 2348
    assert with_parts["prompt_tokens_details"]["cached_tokens"] == 1024
    assert with_parts["completion_tokens_details"]["reasoning_tokens"] == 256


def test_a_chat_completion_body() -> None:
    assert bodies.chat_completion_body(ANSWER) == {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1767225600,
        "model": "gpt-4o-2024-11-20",
        "system_fingerprint": "fp_1",
        "prompt_filter_results": [{"prompt_index": 0, "content_filter_results": PROMPT_VERDICTS}],
        "choices": [
            {
                "index": 0,
                "finish_reason": "stop",
                "logprobs": None,
                "message": {
                    "role": "assistant",
                    "content": "Swords clash loudly",
                    "refusal": None,
                },
                "content_filter_results": CHOICE_VERDICTS,
            }
        ],
        "usage": USAGE,
    }


@pytest.mark.parametrize(
    ("pieces", "finish", "content"),
    [
        (("Cut",), "content_filter", "Cut"),  # the text before the filter stopped it
        ((), "content_filter", None),  # stopped before any text
        ((), "length", ""),
    ],
)
def test_a_filtered_answer_keeps_its_text_or_has_none(
    pieces: tuple[str, ...], finish: str, content: str | None
) -> None:
    answer = bodies.ChatAnswer(**{**vars(ANSWER), "pieces": pieces, "finish_reason": finish})
    assert bodies.chat_completion_body(answer)["choices"][0]["message"]["content"] == content


@pytest.mark.parametrize("include_usage", [True, False])
def test_a_stream_in_azures_order(include_usage: bool) -> None:
    events = list(bodies.chat_completion_chunks(ANSWER, include_usage=include_usage))
    expected = [
        {
            "id": "",
            "object": "",
            "created": 0,
            "model": "",
            "choices": [],
            "prompt_filter_results": [
                {"prompt_index": 0, "content_filter_results": PROMPT_VERDICTS}
            ],
            "usage": None,
        },
        text_chunk({"content": "", "role": "assistant", "refusal": None}, None, {}),
        text_chunk({"content": "Swords"}, None, {}),
        text_chunk({"content": " clash"}, None, {}),
        text_chunk({"content": " loudly"}, None, {}),
        text_chunk({}, "stop", CHOICE_VERDICTS),
    ]
    if include_usage:  # only when the request has stream_options.include_usage
        expected.append({**HEAD, "choices": [], "usage": USAGE})
    assert events == expected


def test_sse_encoding_ends_with_done() -> None:
    assert sse.encode_event({"a": [1, "é"]}) == b'data: {"a":[1,"\\u00e9"]}\n\n'
    assert list(sse.encode_stream([{"a": 1}, {"b": None}])) == [
        b'data: {"a":1}\n\n',
        b'data: {"b":null}\n\n',
        b"data: [DONE]\n\n",
    ]
    assert (sse.DONE, sse.DONE_EVENT) == ("[DONE]", b"data: [DONE]\n\n")


def test_embeddings_as_floats_and_as_base64_float32() -> None:
    vectors = [[0.5, -0.25, 0.1234567891], [1.0, 0.0, -1.0]]
    as_list = bodies.embeddings_body("text-embedding-3-small", vectors, as_base64=False,
                                     prompt_tokens=3)  # fmt: skip
    assert as_list == {
        "object": "list",
        "data": [
            {"object": "embedding", "index": 0, "embedding": [0.5, -0.25, 0.123457]},
            {"object": "embedding", "index": 1, "embedding": [1.0, 0.0, -1.0]},
        ],
        "model": "text-embedding-3-small",
        "usage": {"prompt_tokens": 3, "total_tokens": 3},
    }
    as_base64 = bodies.embeddings_body("m", vectors[:1], as_base64=True, prompt_tokens=1)
    encoded = as_base64["data"][0]["embedding"]
    assert base64.b64decode(encoded)[:8] == bytes.fromhex("0000003f000080be")  # 0.5, -0.25 LE
    decoded = struct.unpack("<3f", base64.b64decode(encoded))
    assert decoded[:2] == (0.5, -0.25) and decoded[2] == pytest.approx(0.1234567891, rel=1e-7)


def test_plain_errors() -> None:
    assert errors.not_found_body() == {"error": {"code": "404", "message": "Resource not found"}}
    assert errors.unauthorized_body()["error"]["code"] == "401"
    assert errors.unauthorized_body()["error"]["message"].startswith("Access denied due to")
    assert errors.deployment_not_found_body()["error"]["code"] == "DeploymentNotFound"
    assert errors.error_body(None, "Invalid value for 'top_p': 3", param="top_p") == {
        "error": {"code": None, "message": "Invalid value for 'top_p': 3", "param": "top_p"}
    }


@pytest.mark.parametrize(
    ("spec_spelling", "inner", "verdicts"),
    [
        (False, "innererror", "content_filter_result"),
        (True, "inner_error", "content_filter_results"),
    ],
)
def test_a_blocked_prompt_in_either_spelling(
    spec_spelling: bool, inner: str, verdicts: str
) -> None:
    blocked = {"hate": {"filtered": True, "severity": "high"}}
    assert errors.blocked_prompt_body(blocked, spec_spelling=spec_spelling) == {
        "error": {
            "code": "content_filter",
            "message": errors.BLOCKED_MESSAGE,
            "type": None,
            "param": "prompt",
            "status": 400,
            inner: {"code": "ResponsibleAIPolicyViolation", verdicts: blocked},
        }
    }
    assert (inner, verdicts) in content_filter.INNER_ERROR_SPELLINGS


def test_a_throttled_answer() -> None:
    body = errors.throttled_body("ChatCompletions_Create", "2024-10-21", "token", 6)
    assert body == {
        "error": {
            "code": "429",  # a string, as Azure sends it
            "message": "Requests to the ChatCompletions_Create Operation under Azure OpenAI API "
            "version 2024-10-21 have exceeded token rate limit of your current OpenAI S0 "
            "pricing tier. Please retry after 6 seconds. Please go here: "
            "https://aka.ms/oai/quotaincrease if you would like to further increase the "
            "default rate limit.",
        }
    }
    assert headers.retry_headers(6) == {"retry-after": "6", "retry-after-ms": "6000"}
    assert headers.rate_limit_headers(899, 0) == {
        "x-ratelimit-remaining-requests": "899",
        "x-ratelimit-remaining-tokens": "0",
    }


def test_verdict_shapes() -> None:
    assert content_filter.severity_verdict("medium", filtered=True) == {
        "filtered": True,
        "severity": "medium",
    }
    assert content_filter.detection_verdict(True, filtered=False) == {
        "filtered": False,
        "detected": True,
    }
    assert content_filter.prompt_filter_results({}) == [
        {"prompt_index": 0, "content_filter_results": {}}
    ]
    assert json.dumps(content_filter.SEVERITIES) == '["safe", "low", "medium", "high"]'
