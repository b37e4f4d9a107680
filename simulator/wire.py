"""Azure OpenAI response bodies, as the wire carries them (pure: values in, JSON out).

Shapes follow the 2024-10-21 data-plane specification (``createChatCompletionResponse``,
``contentFilterPromptResults``, ``contentFilterChoiceResults``, ``embeddings_create``) and
what Azure sends in practice where the two differ (docs/simulator.md lists the sources):
the streamed first event with empty ``id``/``model`` and only ``prompt_filter_results``,
the usage event only with ``stream_options.include_usage``, ``"code": "429"`` as a string,
and both spellings of the blocked prompt's inner error.
"""

from __future__ import annotations

import base64
import hashlib
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Final

import numpy as np

from simulator.config import CHARS_PER_TOKEN

SYSTEM_FINGERPRINT: Final = "fp_b705f0c291"
BLOCKED_MESSAGE: Final = (
    "The response was filtered due to the prompt triggering Azure OpenAI's content management "
    "policy. Please modify your prompt and retry. To learn more about our content filtering "
    "policies please read our documentation: https://go.microsoft.com/fwlink/?linkid=2198766"
)
_ANSWER_TEXT: Final = (
    "the service answers each request with a short and careful summary of what was asked "
    "so teams can compare deployments tenants and costs while tokens latency and filters "
    "stay visible in one place for every call that reaches the model through the gateway "
    "and back again with usage details region headers and content safety verdicts"
)
_WORDS: Final = tuple(_ANSWER_TEXT.split(" "))
EMBEDDING_DIMENSIONS: Final = {"text-embedding-3-large": 3072}
DEFAULT_EMBEDDING_DIMENSIONS: Final = 1536


def count_tokens(text: str) -> int:
    """Tokens of a text, by the four-characters rule (at least one for any text)."""
    return max(1, math.ceil(len(text) / CHARS_PER_TOKEN)) if text else 0


def message_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return ""


def prompt_tokens(messages: list[Any]) -> int:
    """Chat prompt tokens: each message's text plus 3 tokens of framing, plus 3 to prime."""
    return 3 + sum(
        3 + count_tokens(message_text(m.get("content"))) for m in messages if isinstance(m, dict)
    )


def seed_of(*parts: object) -> int:
    digest = hashlib.sha256("\x1f".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:8], "big")


def answer_words(seed: int, count: int) -> list[str]:
    """``count`` words of a plausible answer (one output token per word)."""
    rng = random.Random(seed)
    words = rng.choices(_WORDS, k=count)
    if words:
        words[0] = words[0].capitalize()
    for i in range(13, len(words) - 1, 14):  # sentences of 14 words
        words[i], words[i + 1] = words[i] + ".", words[i + 1].capitalize()
    return words


def answer_length(seed: int, text: str, max_tokens: int | None) -> tuple[int, str]:
    """Output tokens and finish reason: short questions get short answers."""
    rng = random.Random(seed)
    wanted = rng.randint(12, 60) if len(text) < 80 else rng.randint(60, 360)
    if max_tokens is not None and wanted > max_tokens:
        return max_tokens, "length"
    return wanted, "stop"


def usage(prompt: int, completion: int, cached: int, reasoning: int) -> dict[str, Any]:
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


@dataclass(frozen=True)
class Completion:
    """Everything one chat answer says, before it is put on the wire."""

    response_id: str
    created: int
    model: str
    words: list[str]
    finish_reason: str
    prompt_filter: dict[str, Any]
    choice_filter: dict[str, Any]
    usage: dict[str, Any]


def chat_body(c: Completion) -> dict[str, Any]:
    content = None if c.finish_reason == "content_filter" and not c.words else " ".join(c.words)
    return {
        "id": c.response_id,
        "object": "chat.completion",
        "created": c.created,
        "model": c.model,
        "system_fingerprint": SYSTEM_FINGERPRINT,
        "prompt_filter_results": [{"prompt_index": 0, "content_filter_results": c.prompt_filter}],
        "choices": [
            {
                "index": 0,
                "finish_reason": c.finish_reason,
                "logprobs": None,
                "message": {"role": "assistant", "content": content, "refusal": None},
                "content_filter_results": c.choice_filter,
            }
        ],
        "usage": c.usage,
    }


def chat_events(c: Completion, include_usage: bool) -> Iterator[dict[str, Any]]:
    """The streamed events of one answer, in Azure's order; ``[DONE]`` is the caller's."""
    yield {
        "id": "",
        "object": "",
        "created": 0,
        "model": "",
        "choices": [],
        "prompt_filter_results": [{"prompt_index": 0, "content_filter_results": c.prompt_filter}],
        "usage": None,
    }
    head = {
        "id": c.response_id,
        "object": "chat.completion.chunk",
        "created": c.created,
        "model": c.model,
        "system_fingerprint": SYSTEM_FINGERPRINT,
    }

    def chunk(choice: dict[str, Any]) -> dict[str, Any]:
        return {**head, "choices": [{"index": 0, "logprobs": None, **choice}], "usage": None}

    role = {"content": "", "role": "assistant", "refusal": None}
    yield chunk({"delta": role, "finish_reason": None, "content_filter_results": {}})
    for position, word in enumerate(c.words):
        delta = {"content": word if position == 0 else f" {word}"}
        yield chunk({"delta": delta, "finish_reason": None, "content_filter_results": {}})
    yield chunk(
        {"delta": {}, "finish_reason": c.finish_reason, "content_filter_results": c.choice_filter}
    )
    if include_usage:
        yield {**head, "choices": [], "usage": c.usage}


def embeddings_body(model: str, inputs: list[Any], dimensions: int | None, as_base64: bool,
                    tokens: int) -> dict[str, Any]:  # fmt: skip
    size = dimensions or EMBEDDING_DIMENSIONS.get(model, DEFAULT_EMBEDDING_DIMENSIONS)
    data = []
    for index, item in enumerate(inputs):
        rng = np.random.default_rng(seed_of(model, item))
        vector = rng.standard_normal(size).astype("<f4")
        vector /= np.linalg.norm(vector)
        encoded: Any = (
            base64.b64encode(vector.tobytes()).decode("ascii")
            if as_base64
            else [round(float(x), 6) for x in vector]
        )
        data.append({"object": "embedding", "index": index, "embedding": encoded})
    return {
        "object": "list",
        "data": data,
        "model": model,
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
    }


def error_body(code: str | None, message: str, **extra: Any) -> dict[str, Any]:
    """Azure's error shape ``{"error": {"code", "message", ...}}``."""
    return {"error": {"code": code, "message": message, **extra}}


def blocked_body(results: dict[str, Any], spec_spelling: bool) -> dict[str, Any]:
    """HTTP 400 for a blocked prompt. The wire usually says ``innererror`` /
    ``content_filter_result``; the specification says ``inner_error`` /
    ``content_filter_results``; both are seen, so the simulator sends both, alternately."""
    inner_key, results_key = (
        ("inner_error", "content_filter_results")
        if spec_spelling
        else ("innererror", "content_filter_result")
    )
    return error_body(
        "content_filter",
        BLOCKED_MESSAGE,
        type=None,
        param="prompt",
        status=400,
        **{inner_key: {"code": "ResponsibleAIPolicyViolation", results_key: results}},
    )


def throttled_message(operation: str, api_version: str, limit: str, retry_after_s: int) -> str:
    return (
        f"Requests to the {operation} Operation under Azure OpenAI API version {api_version} "
        f"have exceeded {limit} rate limit of your current OpenAI S0 pricing tier. Please retry "
        f"after {retry_after_s} seconds. Please go here: https://aka.ms/oai/quotaincrease if "
        "you would like to further increase the default rate limit."
    )
