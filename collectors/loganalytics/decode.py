"""Log Analytics tables -> plain dicts, one per row.

The service sends ``dynamic`` values as JSON text and the SDK hands them over as such
(``'{"a":1}'``); they are parsed here. ``datetime`` columns arrive parsed by the SDK.
A dynamic value that is not JSON is kept as the text it is.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from azure.monitor.query import LogsTable


def table_rows(tables: Iterable[LogsTable]) -> list[dict[str, Any]]:
    """Every row of the first (primary) table as ``{column: value}``."""
    for table in tables:
        dynamic = [i for i, kind in enumerate(table.columns_types) if kind == "dynamic"]
        columns = table.columns
        rows: list[dict[str, Any]] = []
        for row in table.rows:
            values = list(row)
            for index in dynamic:
                values[index] = parse_dynamic(values[index])
            rows.append(dict(zip(columns, values, strict=True)))
        return rows
    return []


def parse_dynamic(value: Any) -> Any:
    """A ``dynamic`` cell: JSON text parsed, anything else as it came."""
    if not isinstance(value, str) or not value:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value
