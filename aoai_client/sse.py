"""Server-sent events, split from bytes as they arrive the way the ``openai`` client splits
them (pure: no I/O).

The rules are the WHATWG event-stream rules that ``openai._streaming.SSEDecoder`` follows:
lines end with CR, LF or CRLF; a line starting with ``:`` is a comment; ``data``, ``event``,
``id`` and ``retry`` are fields, anything else is ignored; a blank line dispatches the event
(even one with no data, once an ``id`` was seen). An event still open when the stream ends is
never dispatched, so the telemetry sees exactly the events the application got.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from azure_openai_wire.sse import DONE

_LINE_END: Final = re.compile(rb"[\r\n]")


@dataclass(frozen=True)
class Event:
    data: str
    event: str | None = None


class EventDecoder:
    """``feed(bytes)`` returns the events completed by those bytes; never raises."""

    def __init__(self) -> None:
        self._line = bytearray()
        self._skip_lf = False
        self._event: str | None = None
        self._data: list[str] = []
        self._last_id: str | None = None
        self._retry: int | None = None
        self.bare_done = False
        """A line ``[DONE]`` without ``data:`` (a field the client ignores) was seen."""

    @property
    def open_event(self) -> bool:
        """An event has fields but no blank line after them yet (or a line is unfinished)."""
        return bool(self._line or self._event or self._data or self._retry is not None)

    def feed(self, chunk: bytes) -> list[Event]:
        events: list[Event] = []
        start = 0
        for match in _LINE_END.finditer(chunk):
            end = match.start()
            if self._skip_lf and end == start and chunk[end] == 0x0A:  # LF of a CRLF
                self._skip_lf = False
                start = end + 1
                continue
            self._line += chunk[start:end]
            line = bytes(self._line)
            self._line.clear()
            self._skip_lf = chunk[end] == 0x0D
            start = end + 1
            event = self._decode(line.decode("utf-8", "replace"))
            if event is not None:
                events.append(event)
        if start < len(chunk):
            self._skip_lf = False
            self._line += chunk[start:]
        return events

    def _decode(self, line: str) -> Event | None:
        if not line:
            if not (self._event or self._data or self._last_id or self._retry is not None):
                return None
            event = Event(data="\n".join(self._data), event=self._event or None)
            self._event, self._data, self._retry = None, [], None  # the last id is kept
            return event
        if line.startswith(":"):
            return None
        name, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if name == "data":
            self._data.append(value)
        elif name == "event":
            self._event = value
        elif name == "id" and "\0" not in value:
            self._last_id = value
        elif name == "retry":
            self._retry = _int(value, self._retry)
        elif line.strip() == DONE:
            self.bare_done = True
        return None


def _int(text: str, default: int | None) -> int | None:
    try:
        return int(text)
    except ValueError:
        return default
