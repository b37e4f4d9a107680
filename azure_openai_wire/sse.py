"""Server-sent events as Azure OpenAI streams them: ``data: <JSON>`` and a blank line per
event, then ``data: [DONE]`` (azure-ai-docs ``concepts/content-filter-streaming.md``)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Final

DONE: Final = "[DONE]"
DONE_EVENT: Final = b"data: [DONE]\n\n"


def encode_event(event: Mapping[str, Any]) -> bytes:
    """One event on the wire."""
    return f"data: {json.dumps(event, separators=(',', ':'))}\n\n".encode()


def encode_stream(events: Iterable[Mapping[str, Any]]) -> Iterator[bytes]:
    """Every event, then ``data: [DONE]``."""
    for event in events:
        yield encode_event(event)
    yield DONE_EVENT
