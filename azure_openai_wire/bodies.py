"""Chat completion and embeddings bodies, and the events of a streamed chat completion.

Sources: the 2024-10-21 specification (``createChatCompletionResponse``,
``createChatCompletionStreamResponse``, ``embeddings_create``); ``usage.prompt_tokens_details.
cached_tokens`` and ``usage.completion_tokens_details.reasoning_tokens`` from azure-ai-docs
``how-to/prompt-caching.md`` and ``how-to/reasoning.md``; the order of a stream from
azure-ai-docs ``concepts/content-filter-streaming.md``: a first event with empty ``id``,
``object`` and ``model``, ``created: 0``, no choices and only the prompt's verdicts; a role
chunk; the text; a last chunk with ``finish_reason`` and the choice's verdicts; a usage event
(``choices: []``) only when the request asked for ``stream_options.include_usage``.
"""

from __future__ import annotations

import base64
import struct
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Final

from azure_openai_wire.content_filter import (
    CONTENT_FILTER,
    CONTENT_FILTER_RESULTS,
    PROMPT_FILTER_RESULTS,
    prompt_filter_results,
)

CACHED_TOKENS: Final = ("prompt_tokens_details", "cached_tokens")
"""Where ``usage`` says how many prompt tokens were read from cache (a subset)."""
REASONING_TOKENS: Final = ("completion_tokens_details", "reasoning_tokens")
# Prompt tokens written to the prompt cache (models that bill cache writes; part of prompt).
CACHE_WRITE_TOKENS: Final = ("prompt_tokens_details", "cache_write_tokens")
"""Where ``usage`` says how many completion tokens were reasoning (a subset)."""
SERVICE_TIER: Final = "service_tier"
"""Request and response field: the processing tier asked for (``auto``, ``default``,
``priority``, ``flex``) and the one that served the call (``default``, ``priority``,
``flex``)."""
EMBEDDING_DECIMALS: Final = 6  # a float list in JSON; base64 carries float32 exactly


def usage(prompt: int, completion: int, cached: int = 0, reasoning: int = 0) -> dict[str, Any]:
    """``usage`` of a chat answer; ``cached`` and ``reasoning`` are parts of the totals."""
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        CACHED_TOKENS[0]: {"audio_tokens": 0, CACHED_TOKENS[1]: cached},
        REASONING_TOKENS[0]: {
            "accepted_prediction_tokens": 0,
            "audio_tokens": 0,
            REASONING_TOKENS[1]: reasoning,
            "rejected_prediction_tokens": 0,
        },
    }


@dataclass(frozen=True)
class ChatAnswer:
    """Everything one chat answer says, before it is put on the wire."""

    response_id: str
    created: int
    model: str
    pieces: tuple[str, ...]  # the text as streamed, one piece per chunk
    finish_reason: str
    prompt_filter: dict[str, Any]  # the prompt's content_filter_results
    choice_filter: dict[str, Any]  # the answer's content_filter_results
    usage: dict[str, Any]
    system_fingerprint: str | None = None
    service_tier: str | None = None  # the tier that served the call, when the answer says

    @property
    def content(self) -> str | None:
        """The message text; none at all when the filter stopped the answer before it began."""
        if self.finish_reason == CONTENT_FILTER and not self.pieces:
            return None
        return "".join(self.pieces)


def chat_completion_body(answer: ChatAnswer) -> dict[str, Any]:
    """The JSON body of a chat completion that is not streamed."""
    return {
        "id": answer.response_id,
        "object": "chat.completion",
        "created": answer.created,
        "model": answer.model,
        "system_fingerprint": answer.system_fingerprint,
        PROMPT_FILTER_RESULTS: prompt_filter_results(answer.prompt_filter),
        "choices": [
            {
                "index": 0,
                "finish_reason": answer.finish_reason,
                "logprobs": None,
                "message": {"role": "assistant", "content": answer.content, "refusal": None},
                CONTENT_FILTER_RESULTS: answer.choice_filter,
            }
        ],
        "usage": answer.usage,
        **_tier(answer),
    }


def _tier(answer: ChatAnswer) -> dict[str, Any]:
    return {SERVICE_TIER: answer.service_tier} if answer.service_tier is not None else {}


def chat_completion_chunks(answer: ChatAnswer, *, include_usage: bool) -> Iterator[dict[str, Any]]:
    """The events of a streamed chat completion, in Azure's order, without ``[DONE]``."""
    yield {
        "id": "",
        "object": "",
        "created": 0,
        "model": "",
        "choices": [],
        PROMPT_FILTER_RESULTS: prompt_filter_results(answer.prompt_filter),
        "usage": None,
    }
    head = {
        "id": answer.response_id,
        "object": "chat.completion.chunk",
        "created": answer.created,
        "model": answer.model,
        "system_fingerprint": answer.system_fingerprint,
        **_tier(answer),
    }

    def chunk(choice: dict[str, Any]) -> dict[str, Any]:
        return {**head, "choices": [{"index": 0, "logprobs": None, **choice}], "usage": None}

    role = {"content": "", "role": "assistant", "refusal": None}
    yield chunk({"delta": role, "finish_reason": None, CONTENT_FILTER_RESULTS: {}})
    for piece in answer.pieces:
        yield chunk(
            {"delta": {"content": piece}, "finish_reason": None, CONTENT_FILTER_RESULTS: {}}
        )
    yield chunk(
        {
            "delta": {},
            "finish_reason": answer.finish_reason,
            CONTENT_FILTER_RESULTS: answer.choice_filter,
        }
    )
    if include_usage:
        yield {**head, "choices": [], "usage": answer.usage}


def embeddings_body(
    model: str, vectors: Sequence[Sequence[float]], *, as_base64: bool, prompt_tokens: int
) -> dict[str, Any]:
    """The JSON body of an embeddings answer: one vector per input, in order. With
    ``encoding_format: "base64"`` (what openai-python asks for) each vector is its
    little-endian float32 bytes, base64-encoded; otherwise a list of floats."""
    return {
        "object": "list",
        "data": [
            {"object": "embedding", "index": index, "embedding": _embedding(vector, as_base64)}
            for index, vector in enumerate(vectors)
        ],
        "model": model,
        "usage": {"prompt_tokens": prompt_tokens, "total_tokens": prompt_tokens},
    }


def _embedding(vector: Sequence[float], as_base64: bool) -> str | list[float]:
    if as_base64:
        packed = struct.pack(f"<{len(vector)}f", *vector)
        return base64.b64encode(packed).decode("ascii")
    return [round(float(x), EMBEDDING_DECIMALS) for x in vector]
