"""The bodies the Azure OpenAI fake answers with, built from a request body.

Pure: a parsed request in, an ``Answer`` (status, JSON body or streamed events, extra
headers, tokens billed) out. The documentation each shape follows is cited in
``tests/fakes/azure_openai.py``; the markers and token arithmetic are described there too.
"""

from __future__ import annotations

import base64
import hashlib
import struct
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Final

CHAT_MODEL: Final = "gpt-4o-2024-11-20"
EMBEDDING_MODEL: Final = "text-embedding-3-small"
SYSTEM_FINGERPRINT: Final = "fp_ee1d74bde0"
REPLY: Final = "Hello from the fake deployment."
REPLY_WORDS: Final = tuple(REPLY.split())
REASONING_TOKENS: Final = 16
FILTERED_AFTER_WORDS: Final = 3
EMBEDDING_DIMENSIONS: Final = 8
RETRY_AFTER_S: Final = 6

# Markers in the last user message that choose the answer.
BLOCK: Final = "BLOCK"
THROTTLE: Final = "THROTTLE"
FILTER_COMPLETION: Final = "FILTER_COMPLETION"
CACHED: Final = "CACHED"
REASONING: Final = "REASONING"

_SAFE: Final = {"filtered": False, "severity": "safe"}
_NOT_DETECTED: Final = {"filtered": False, "detected": False}
PROMPT_FILTER_RESULTS: Final = {
    "hate": _SAFE,
    "sexual": _SAFE,
    "violence": _SAFE,
    "self_harm": _SAFE,
    "jailbreak": _NOT_DETECTED,
    "indirect_attack": _NOT_DETECTED,
}
COMPLETION_FILTER_RESULTS: Final = {
    "hate": _SAFE,
    "sexual": _SAFE,
    "violence": {"filtered": False, "severity": "low"},
    "self_harm": _SAFE,
    "protected_material_text": _NOT_DETECTED,
    "protected_material_code": _NOT_DETECTED,
}
FILTERED_COMPLETION_RESULTS: Final = {
    **COMPLETION_FILTER_RESULTS,
    "violence": {"filtered": True, "severity": "high"},
}
BLOCKED_PROMPT_RESULT: Final = {
    "hate": {"filtered": True, "severity": "high"},
    "jailbreak": _NOT_DETECTED,
    "self_harm": _SAFE,
    "sexual": _SAFE,
    "violence": {"filtered": True, "severity": "medium"},
}
BLOCKED_MESSAGE: Final = (
    "The response was filtered due to the prompt triggering Azure OpenAI's content management "
    "policy. Please modify your prompt and retry. To learn more about our content filtering "
    "policies please read our documentation: https://go.microsoft.com/fwlink/?linkid=2198766"
)


@dataclass
class Answer:
    status: int
    body: Any = None  # the JSON body
    events: list[dict[str, Any]] | None = None  # server-sent events instead of a body
    headers: dict[str, str] = field(default_factory=dict)
    billed_tokens: int = 0  # counted against the deployment's tokens-per-minute


def count_tokens(text: str) -> int:
    """The fake's tokenizer: one token per whitespace-separated word."""
    return len(text.split())


def error(status: int, code: str, message: str) -> Answer:
    """Azure's plain error body ``{"error": {"code": ..., "message": ...}}``."""
    return Answer(status, {"error": {"code": code, "message": message}})


def chat_answer(body: dict[str, Any], api_version: str, response_id: str) -> Answer:
    """What ``POST .../chat/completions`` answers to ``body``."""
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        return error(400, "BadRequest", "'messages' is a required property")
    text = _last_user_text(messages)
    prompt = sum(count_tokens(_message_text(m.get("content"))) for m in messages)
    if THROTTLE in text:
        return _throttled(api_version)
    if BLOCK in text:
        return _blocked(prompt)
    filtered = FILTER_COMPLETION in text
    words = REPLY_WORDS[:FILTERED_AFTER_WORDS] if filtered else REPLY_WORDS
    reasoning = REASONING_TOKENS if REASONING in text else 0
    completion = len(words) + reasoning
    cached = prompt // 2 if CACHED in text else 0
    usage = _usage(prompt, completion, cached, reasoning)
    finish_reason = "content_filter" if filtered else "stop"
    choice_filter = FILTERED_COMPLETION_RESULTS if filtered else COMPLETION_FILTER_RESULTS
    created = int(time.time())
    prompt_filter = [{"prompt_index": 0, "content_filter_results": PROMPT_FILTER_RESULTS}]
    if body.get("stream") is True:
        stream_options = body.get("stream_options") or {}
        include_usage = stream_options.get("include_usage") is True
        head = {
            "id": response_id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": CHAT_MODEL,
            "system_fingerprint": SYSTEM_FINGERPRINT,
        }
        events = _chunks(
            head,
            words,
            finish_reason,
            choice_filter,
            prompt_filter,
            usage if include_usage else None,
        )
        return Answer(200, events=list(events), billed_tokens=prompt + completion)
    choice = {
        "index": 0,
        "finish_reason": finish_reason,
        "logprobs": None,
        "message": {
            "role": "assistant",
            "content": None if filtered else " ".join(words),
            "refusal": None,
        },
        "content_filter_results": choice_filter,
    }
    completion_body = {
        "id": response_id,
        "object": "chat.completion",
        "created": created,
        "model": CHAT_MODEL,
        "system_fingerprint": SYSTEM_FINGERPRINT,
        "prompt_filter_results": prompt_filter,
        "choices": [choice],
        "usage": usage,
    }
    return Answer(200, completion_body, billed_tokens=prompt + completion)


def embeddings_answer(body: dict[str, Any]) -> Answer:
    """What ``POST .../embeddings`` answers to ``body``."""
    raw = body.get("input")
    inputs: list[str | list[int]]
    if isinstance(raw, str) or (isinstance(raw, list) and raw and isinstance(raw[0], int)):
        inputs = [raw]
    elif isinstance(raw, list) and raw:
        inputs = list(raw)
    else:
        return error(400, "BadRequest", "'input' is a required property")
    prompt = sum(count_tokens(i) if isinstance(i, str) else len(i) for i in inputs)
    dimensions = int(body.get("dimensions") or EMBEDDING_DIMENSIONS)
    as_base64 = body.get("encoding_format") == "base64"
    data = []
    for index, item in enumerate(inputs):
        seed = hashlib.sha256(f"{index}:{item}".encode()).digest()
        vector = [round((seed[i % len(seed)] - 128) / 128, 6) for i in range(dimensions)]
        encoded: Any = vector
        if as_base64:
            packed = struct.pack(f"<{len(vector)}f", *vector)
            encoded = base64.b64encode(packed).decode("ascii")
        data.append({"object": "embedding", "index": index, "embedding": encoded})
    usage = {"prompt_tokens": prompt, "total_tokens": prompt}
    embeddings_body = {"object": "list", "data": data, "model": EMBEDDING_MODEL, "usage": usage}
    return Answer(200, embeddings_body, billed_tokens=prompt)


def _message_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
    return ""


def _last_user_text(messages: list[dict[str, Any]]) -> str:
    for message in reversed(messages):
        if isinstance(message, dict) and message.get("role") == "user":
            return _message_text(message.get("content"))
    return ""


def _usage(prompt: int, completion: int, cached: int, reasoning: int) -> dict[str, Any]:
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "prompt_tokens_details": {"audio_tokens": 0, "cached_tokens": cached},
        "completion_tokens_details": {
            "accepted_prediction_tokens": 0,
            "audio_tokens": 0,
            "reasoning_tokens": reasoning,
            "rejected_prediction_tokens": 0,
        },
    }


def _throttled(api_version: str) -> Answer:
    message = (
        f"Requests to the ChatCompletions_Create Operation under Azure OpenAI API version "
        f"{api_version} have exceeded token rate limit of your current OpenAI S0 pricing tier. "
        f"Please retry after {RETRY_AFTER_S} seconds. Please go here: "
        "https://aka.ms/oai/quotaincrease if you would like to further increase the default "
        "rate limit."
    )
    answer = error(429, "429", message)
    answer.headers = {
        "retry-after": str(RETRY_AFTER_S),
        "retry-after-ms": str(RETRY_AFTER_S * 1000),
        "x-ratelimit-remaining-tokens": "0",
    }
    return answer


def _blocked(prompt_tokens: int) -> Answer:
    inner = {"code": "ResponsibleAIPolicyViolation", "content_filter_result": BLOCKED_PROMPT_RESULT}
    body = {
        "error": {
            "message": BLOCKED_MESSAGE,
            "type": None,
            "param": "prompt",
            "code": "content_filter",
            "status": 400,
            "innererror": inner,
        }
    }
    return Answer(400, body, billed_tokens=prompt_tokens)  # blocked prompts are billed


def _chunks(
    head: dict[str, Any],
    words: tuple[str, ...],
    finish_reason: str,
    choice_filter: dict[str, Any],
    prompt_filter: list[dict[str, Any]],
    usage: dict[str, Any] | None,
) -> Iterator[dict[str, Any]]:
    """The streamed events of one answer, in Azure's order (content-filter-streaming.md)."""
    yield {
        "id": "",
        "object": "",
        "created": 0,
        "model": "",
        "choices": [],
        "prompt_filter_results": prompt_filter,
        "usage": None,
    }

    def chunk(choice: dict[str, Any]) -> dict[str, Any]:
        return {**head, "choices": [{"index": 0, "logprobs": None, **choice}], "usage": None}

    role = {"content": "", "role": "assistant", "refusal": None}
    yield chunk({"delta": role, "finish_reason": None, "content_filter_results": {}})
    for position, word in enumerate(words):
        delta = {"content": word if position == 0 else f" {word}"}
        yield chunk(
            {
                "delta": delta,
                "finish_reason": None,
                "content_filter_results": COMPLETION_FILTER_RESULTS,
            }
        )
    last: dict[str, Any] = {"delta": {}, "finish_reason": finish_reason}
    if finish_reason == "content_filter":
        last["content_filter_results"] = choice_filter
    yield chunk(last)
    if usage is not None:
        yield {**head, "choices": [], "usage": usage}
