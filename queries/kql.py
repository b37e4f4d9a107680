"""KQL kept as files in ``queries/kql/``, and the only code that turns values into KQL.

The Log Analytics query API takes no bound parameters. A pull gets its time window through
``timespan=`` and every other value through ``render_let_prelude``: typed, escaped literals
bound by ``let`` statements put in front of the file's text. A ``.kql`` file reads only
those names; it never holds a ``{...}`` placeholder. Every file starts with a header the
loader checks::

    // name: apim
    // returns: one row per call: TimeGenerated, CorrelationId, ...
    // params: row_limit long, resource_provider string
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path

from lens_errors import BadInputError, LensError
from queries import QueryFileError, read_header

KQL_ROOT = Path(__file__).parent / "kql"
KqlValue = str | bool | int | float | datetime | timedelta | Sequence[str | int | float] | None

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_PARAM = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\s+(string|long|real|bool|datetime|timespan|dynamic)")
_TICKS_PER_MICROSECOND = 10


class KqlFileError(LensError, ValueError):
    """A .kql file whose header does not match its body, or that holds a placeholder."""


class KqlValueError(BadInputError, TypeError):
    """A value that has no safe KQL literal (or a name that is not an identifier)."""


@dataclass(frozen=True)
class KqlQuery:
    name: str
    path: Path
    returns: str
    params: dict[str, str]  # name -> KQL type
    body: str

    def with_prelude(self, params: Mapping[str, KqlValue]) -> str:
        """The file's text after ``let`` statements binding exactly its declared params."""
        if set(params) != set(self.params):
            raise KqlValueError(
                f"{self.name}.kql takes {sorted(self.params)}, got {sorted(params)}"
            )
        return render_let_prelude(params) + self.body


def kql_string(value: str) -> str:
    """A double-quoted KQL string literal: backslash, quote and control characters escaped."""
    out = ['"']
    for char in value:
        if char in ('"', "\\"):
            out.append("\\" + char)
        elif char == "\n":
            out.append("\\n")
        elif char == "\r":
            out.append("\\r")
        elif char == "\t":
            out.append("\\t")
        elif ord(char) < 0x20 or char in "\u2028\u2029":
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    out.append('"')
    return "".join(out)


def kql_literal(value: KqlValue) -> str:
    """The typed KQL literal of one value."""
    if value is None:
        return "dynamic(null)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return f"long({value})"
    if isinstance(value, float):
        if not math.isfinite(value):
            raise KqlValueError(f"{value!r} has no KQL literal")
        return f"real({value!r})"
    if isinstance(value, str):
        return kql_string(value)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise KqlValueError(f"{value!r} is naive; pass a timezone-aware datetime")
        utc = value.astimezone(UTC)
        return f"datetime({utc.strftime('%Y-%m-%dT%H:%M:%S.%f')}Z)"
    if isinstance(value, timedelta):
        micros = (value.days * 86_400 + value.seconds) * 1_000_000 + value.microseconds
        return f"totimespan({micros * _TICKS_PER_MICROSECOND}tick)"
    if isinstance(value, (list, tuple)):
        items = []
        for item in value:
            if isinstance(item, bool) or not isinstance(item, (str, int, float)):
                raise KqlValueError(f"a dynamic array takes strings and numbers, not {item!r}")
            items.append(json.dumps(item, ensure_ascii=True))
        return "dynamic([" + ", ".join(items) + "])"
    raise KqlValueError(f"{type(value).__name__} values have no KQL literal")


def render_let_prelude(params: Mapping[str, KqlValue]) -> str:
    """``let name = literal;`` for each param, in name order."""
    lines = []
    for name in sorted(params):
        if not _NAME.match(name):
            raise KqlValueError(f"{name!r} is not a KQL identifier")
        lines.append(f"let {name} = {kql_literal(params[name])};\n")
    return "".join(lines)


def parse_kql(path: Path) -> KqlQuery:
    """Read one .kql file and check its header against its body."""
    try:
        text, header = read_header(path, "//")
    except QueryFileError as exc:
        raise KqlFileError(str(exc)) from None
    if "{" in text or "}" in text:
        raise KqlFileError(f"{path}: holds braces; values come only from the let prelude")
    params = dict(_PARAM.findall(header["params"]))
    body = "\n".join(line for line in text.splitlines() if not line.strip().startswith("//"))
    for name in params:
        if not re.search(rf"\b{name}\b", body):
            raise KqlFileError(f"{path}: declares {name} but never reads it")
    return KqlQuery(header["name"], path, header["returns"], params, text)


@cache
def load_kql(name: str) -> KqlQuery:
    """The .kql file called ``name``, parsed and checked."""
    path = KQL_ROOT / f"{name}.kql"
    if not path.is_file():
        raise KqlFileError(f"no KQL file named {name!r} under {KQL_ROOT}")
    return parse_kql(path)


def all_kql() -> list[KqlQuery]:
    return [load_kql(path.stem) for path in sorted(KQL_ROOT.glob("*.kql"))]
