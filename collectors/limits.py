"""The bounds every incoming value is held to before it reaches a column or a parser.

A sender may put anything in a span: a 15 MB attribute, a status message that is a huge
Python literal, a call dated 1970 or 2554, an index that no column can hold. These are the
limits the normalisers apply (``docs/attributes.md`` lists them for producers):

- text columns (deployment, model, tenant, ...) keep at most ``MAX_TEXT_CHARS`` characters;
- an attribute value keeps at most ``MAX_VALUE_CHARS`` characters and the whole attributes
  map at most ``MAX_ATTRIBUTES_CHARS``; what is cut ends with a marker and the keys cut are
  listed in ``lens.truncated`` (the call is kept);
- JSON or Python-literal text is parsed only up to ``MAX_PARSE_CHARS`` (longer text is not
  parsed: its verdicts are not read);
- indexes fit a 32-bit column (``MAX_INDEX``);
- a call starts on or after ``EARLIEST_START`` and at most ``MAX_FUTURE`` after now.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, Final

MAX_TEXT_CHARS: Final = 512
MAX_VALUE_CHARS: Final = 256 * 1024
MAX_ATTRIBUTES_CHARS: Final = 1024 * 1024
MAX_PARSE_CHARS: Final = 64 * 1024
MAX_INDEX: Final = 2**31 - 1
EARLIEST_START: Final = datetime(2020, 1, 1, tzinfo=UTC)
MAX_FUTURE: Final = timedelta(days=1)

TRUNCATED_KEY: Final = "lens.truncated"
_NESTED_COST: Final = 8  # characters counted for a number, a bool or a null


def text(value: str) -> str:
    """A text column's value, cut to ``MAX_TEXT_CHARS``."""
    return value if len(value) <= MAX_TEXT_CHARS else value[:MAX_TEXT_CHARS]


def plausible_start(start: datetime, now: datetime) -> bool:
    """True when a call may have started at ``start`` (not before 2020, not tomorrow)."""
    return EARLIEST_START <= start <= now + MAX_FUTURE


def bounded_attributes(attributes: dict[str, Any]) -> dict[str, Any]:
    """``attributes`` within the value and map caps; the same dict when nothing is cut."""
    sizes: dict[str, int] = {}
    total = 0
    for key, value in attributes.items():
        size = len(value) if isinstance(value, str) else _size(value, MAX_ATTRIBUTES_CHARS)
        sizes[key] = size
        total += size + len(key)
    if total <= MAX_ATTRIBUTES_CHARS and max(sizes.values(), default=0) <= MAX_VALUE_CHARS:
        return attributes
    out = dict(attributes)
    cut: list[str] = []
    for key, size in sizes.items():
        if size > MAX_VALUE_CHARS:
            out[key] = _cut(out[key], size, MAX_VALUE_CHARS)
            total -= size - MAX_VALUE_CHARS
            sizes[key] = MAX_VALUE_CHARS
            cut.append(key)
    for key in sorted(sizes, key=sizes.__getitem__, reverse=True):  # largest first
        if total <= MAX_ATTRIBUTES_CHARS:
            break
        out[key] = _cut(out[key], sizes[key], 0)
        total -= sizes[key]
        if key not in cut:
            cut.append(key)
    out[TRUNCATED_KEY] = sorted(cut)
    return out


def _cut(value: Any, size: int, keep: int) -> str:
    head = value[:keep] if isinstance(value, str) else ""
    return f"{head}...[truncated: {size} characters]"


def _size(value: Any, limit: int) -> int:
    """About how many characters ``value`` takes as JSON; stops counting past ``limit``."""
    if isinstance(value, str):
        return len(value)
    if isinstance(value, list | tuple):
        total = 2
        for item in value:
            total += _size(item, limit) + 1
            if total > limit:
                return total
        return total
    if isinstance(value, dict):
        total = 2
        for key, item in value.items():
            total += len(str(key)) + _size(item, limit) + 2
            if total > limit:
                return total
        return total
    return _NESTED_COST
