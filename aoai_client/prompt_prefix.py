"""The privacy-preserving fingerprint of a prompt's beginning: span attribute
``azure.openai.prompt_prefix_hash``.

Azure's prompt cache serves a prompt whose first 1,024 tokens (and more, in 128-token
steps) were seen shortly before. To tell how many calls could benefit without storing any
content, the client hashes the text of the prompt's first ~1,024 tokens with a secret key
(HMAC-SHA256) and records only the digest: calls with the same beginning share a digest,
and without the key nobody can test a guessed text against it.

- The prefix is the request's prompt in order (``messages`` of chat completions, each as
  its role and its text parts; ``input`` of the Responses API; ``prompt`` of completions),
  cut at ``PREFIX_CHARS`` characters: ~1,024 tokens at ~4 characters a token. No tokenizer
  is used, so the cut is an approximation.
- No key, no hash: without a key a digest of a short prompt could be found by guessing.
  The key is ``ClientConfig.prompt_prefix_key`` (``AOAI_LENS_PREFIX_KEY``); use the same
  key in every client whose calls should be compared.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any, Final

PREFIX_CHARS: Final = 4096  # ~1,024 tokens at ~4 characters a token (no tokenizer)
DIGEST_HEX: Final = 32  # 128 bits of the HMAC-SHA256


def prompt_text(request: dict[str, Any]) -> str:
    """The prompt of a request body, in order, as text (roles and text parts only)."""
    parts: list[str] = []
    for message in request.get("messages") or []:
        if isinstance(message, dict):
            parts.append(f"{message.get('role', '')}\n{_text(message.get('content'))}\n")
    for item in ("instructions", "input", "prompt"):
        value = request.get(item)
        if isinstance(value, list):
            for entry in value:
                if isinstance(entry, dict):
                    parts.append(f"{entry.get('role', '')}\n{_text(entry.get('content'))}\n")
                else:
                    parts.append(f"{_text(entry)}\n")
        elif value is not None:
            parts.append(f"{_text(value)}\n")
    return "".join(parts)


def prompt_prefix_hash(body: bytes, key: bytes) -> str | None:
    """The keyed digest of the first ``PREFIX_CHARS`` characters of the request's prompt;
    None when the body holds no prompt."""
    request = json.loads(body)
    if not isinstance(request, dict):
        return None
    text = prompt_text(request)
    if not text:
        return None
    digest = hmac.new(key, text[:PREFIX_CHARS].encode("utf-8"), hashlib.sha256)
    return digest.hexdigest()[:DIGEST_HEX]


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(
            str(part.get("text", "")) if isinstance(part, dict) else str(part) for part in content
        )
    return "" if content is None else str(content)
