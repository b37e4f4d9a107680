"""Log Analytics tables (the documented JSON: ``{"name", "columns": [{"name", "type"}],
"rows": [[...]]}``) -> Arrow columns (call pulls) or plain dicts, one per row (rollups and
metrics, a few thousand rows at most).

- ``table_columns``: one Arrow column per result column, typed as the column says (``bool``,
  ``int``/``long``, ``real``); every other type, ``datetime`` and ``dynamic`` (which the
  service sends as JSON **text**) included, stays text for the SQL normalisers to read.
- ``table_rows``: ``datetime`` text -> an aware UTC ``datetime``; ``dynamic`` values parsed
  (a value that is not JSON is kept as the text it is); everything else as JSON gave it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any, Final

import orjson
import pyarrow as pa

_ARROW_TYPES: Final[dict[str, pa.DataType]] = {
    "bool": pa.bool_(),
    "int": pa.int64(),
    "long": pa.int64(),
    "real": pa.float64(),
}


def table_columns(tables: Iterable[dict[str, Any]]) -> pa.Table:
    """The first (primary) table as Arrow columns. A column whose cells do not all fit its
    type becomes text, each cell that is not text written as JSON (``true``, ``812``)."""
    for table in tables:
        columns = table.get("columns") or []
        rows = table.get("rows") or []
        cells = list(zip(*rows, strict=True)) if rows else [() for _ in columns]
        return pa.table(
            {
                column["name"]: _column(values, column.get("type"))
                for column, values in zip(columns, cells, strict=True)
            }
        )
    return pa.table({})


def _column(values: Sequence[Any], kind: str | None) -> pa.Array:
    try:
        return pa.array(values, _ARROW_TYPES.get(kind or "", pa.string()))
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return pa.array([_as_text(value) for value in values], pa.string())


def _as_text(value: Any) -> str | None:
    if value is None or type(value) is str:
        return value
    return orjson.dumps(value).decode()


def table_rows(tables: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every row of the first (primary) table as ``{column: value}``."""
    for table in tables:
        columns = table.get("columns") or []
        names = [column["name"] for column in columns]
        rows = [dict(zip(names, raw, strict=True)) for raw in table.get("rows") or []]
        for column in columns:  # a column at a time: no per-row loop over the columns
            parse: Callable[[Any], Any] | None = PARSERS.get(column.get("type"))
            if parse is not None:
                name = column["name"]
                for row in rows:
                    row[name] = parse(row[name])
        return rows
    return []


def parse_datetime(value: Any) -> Any:
    """ISO 8601 text (``2025-09-01T10:00:00.1234567Z``) -> aware UTC datetime."""
    if not isinstance(value, str) or not value:
        return value
    try:  # the common case: up to 6 fractional digits and a Z
        parsed = datetime.fromisoformat(value)
    except ValueError:
        pass
    else:
        if parsed.tzinfo is UTC:
            return parsed
        return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    text = value.rstrip("Z")
    if "." in text:  # KQL sends up to 7 fractional digits; Python reads 6
        head, fraction = text.split(".", 1)
        text = f"{head}.{fraction[:6]}"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return value
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def parse_dynamic(value: Any) -> Any:
    """A ``dynamic`` cell: JSON text parsed, anything else as it came."""
    if not isinstance(value, str) or not value:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


PARSERS: dict[str | None, Callable[[Any], Any]] = {
    "datetime": parse_datetime,
    "dynamic": parse_dynamic,
}
