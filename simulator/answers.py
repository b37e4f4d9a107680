"""What the simulator answers, before it is put on the wire (pure: values in, values out):
token counts, the words of an answer and its length, embedding vectors.

The wire shapes themselves are ``azure_openai_wire``'s, shared with the client and tests.
"""

from __future__ import annotations

import hashlib
import math
import random
from typing import Any, Final

import numpy as np

from simulator.config import CHARS_PER_TOKEN

SYSTEM_FINGERPRINT: Final = "fp_b705f0c291"
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


def answer_pieces(words: list[str]) -> tuple[str, ...]:
    """The words as streamed, one per chunk: each after the first with its leading space."""
    return tuple(word if position == 0 else f" {word}" for position, word in enumerate(words))


def answer_length(seed: int, text: str, max_tokens: int | None) -> tuple[int, str]:
    """Output tokens and finish reason: short questions get short answers."""
    rng = random.Random(seed)
    wanted = rng.randint(12, 60) if len(text) < 80 else rng.randint(60, 360)
    if max_tokens is not None and wanted > max_tokens:
        return max_tokens, "length"
    return wanted, "stop"


def embedding_vectors(model: str, inputs: list[Any], dimensions: int | None) -> list[list[float]]:
    """One unit vector per input, the same for the same model and input."""
    size = dimensions or EMBEDDING_DIMENSIONS.get(model, DEFAULT_EMBEDDING_DIMENSIONS)
    vectors = []
    for item in inputs:
        rng = np.random.default_rng(seed_of(model, item))
        vector = rng.standard_normal(size).astype("<f4")
        vector /= np.linalg.norm(vector)
        vectors.append(vector.tolist())
    return vectors
