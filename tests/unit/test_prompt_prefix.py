"""The prompt prefix fingerprint: which text it covers, keyed, cut at ~1,024 tokens."""

from __future__ import annotations

import hashlib
import hmac
import json

from aoai_client.prompt_prefix import PREFIX_CHARS, prompt_prefix_hash, prompt_text


def digest(key: bytes, text: str) -> str:
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()[:32]


def test_chat_messages_and_their_text_parts_in_order() -> None:
    request = {
        "messages": [
            {"role": "system", "content": "Be kind."},
            {"role": "user", "content": [{"type": "text", "text": "Hi "},
                                         {"type": "image_url", "image_url": {"url": "x"}},
                                         {"type": "text", "text": "there"}]},
        ]
    }  # fmt: skip
    assert prompt_text(request) == "system\nBe kind.\nuser\nHi there\n"


def test_responses_input_and_completions_prompt() -> None:
    assert prompt_text({"instructions": "Be kind.", "input": "Hi"}) == "Be kind.\nHi\n"
    assert prompt_text({"input": [{"role": "user", "content": "Hi"}]}) == "user\nHi\n"
    assert prompt_text({"prompt": "Once upon"}) == "Once upon\n"


def test_the_digest_is_keyed_and_covers_only_the_prefix() -> None:
    long = "x" * (PREFIX_CHARS + 500)
    one = json.dumps({"messages": [{"role": "user", "content": long + "A"}]}).encode()
    two = json.dumps({"messages": [{"role": "user", "content": long + "B"}]}).encode()
    assert prompt_prefix_hash(one, b"k") == prompt_prefix_hash(two, b"k")
    assert prompt_prefix_hash(one, b"k") == digest(b"k", ("user\n" + long)[:PREFIX_CHARS])
    assert prompt_prefix_hash(one, b"k") != prompt_prefix_hash(one, b"other key")
    assert prompt_prefix_hash(b'{"input": []}', b"k") is None  # no prompt, no digest
    assert prompt_prefix_hash(b"[]", b"k") is None
