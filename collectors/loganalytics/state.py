"""What the Log Analytics poller keeps in DuckDB: watermarks, the pull log, metric totals
and hourly rollups. Calls themselves go through ``Store.write`` like every source's."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pyarrow as pa

import queries
from collectors.store import Store
from queries import registered

_METRIC_TYPES = {
    "resource": pa.string(),
    "minute": pa.timestamp("us", tz="UTC"),
    "metric": pa.string(),
    "total": pa.float64(),
}
_ROLLUP_TYPES = {
    "source": pa.string(),
    "hour": pa.timestamp("us", tz="UTC"),
    "deployment": pa.string(),
    "model": pa.string(),
    "endpoint": pa.string(),
    "region": pa.string(),
    "tenant_id": pa.string(),
    "apim_subscription": pa.string(),
    "status": pa.string(),
    "requests": pa.int64(),
    "input_tokens": pa.int64(),
    "cached_input_tokens": pa.int64(),
    "output_tokens": pa.int64(),
    "reasoning_tokens": pa.int64(),
    "cache_write_tokens": pa.int64(),
}


def watermark(store: Store, source: str) -> datetime | None:
    frame = queries.run(store.cursor(), "source_watermark", source=source)
    if frame.empty or frame["watermark"].isna().iloc[0]:
        return None
    value: datetime = frame["watermark"].iloc[0].to_pydatetime()
    return value


def record_success(store: Store, source: str, start: datetime, end: datetime) -> None:
    with store.transaction() as con:
        queries.run(con, "record_source_success", source=source, slice_start=start, slice_end=end)


def record_failure(store: Store, source: str, error: str, hint: str) -> None:
    with store.transaction() as con:
        queries.run(con, "record_source_failure", source=source, error=error, hint=hint)


def record_pull(
    store: Store,
    source: str,
    start: datetime,
    end: datetime,
    *,
    outcome: str,
    rows_read: int,
    rows_stored: int,
    seconds: float,
    error: str | None = None,
) -> None:
    with store.transaction() as con:
        queries.run(
            con,
            "record_source_pull",
            source=source,
            slice_start=start,
            slice_end=end,
            outcome=outcome,
            rows_read=rows_read,
            rows_stored=rows_stored,
            seconds=seconds,
            error=error,
        )


def store_metrics(store: Store, rows: list[tuple[str, datetime, str, float]]) -> int:
    """Upsert metric totals per (resource, minute, metric)."""
    if not rows:
        return 0
    columns = list(zip(*rows, strict=True))
    table = pa.table(
        {
            name: pa.array(list(values), type=kind)
            for (name, kind), values in zip(_METRIC_TYPES.items(), columns, strict=True)
        }
    )
    with store.transaction() as con, registered(con, "incoming_metrics", table):
        queries.run(con, "upsert_resource_metrics")
    return len(rows)


def replace_rollups(
    store: Store, source: str, start: datetime, end: datetime, rows: list[dict[str, Any]]
) -> int:
    """The source's rollup hours in ``[start, end)`` replaced by ``rows`` (one transaction)."""
    table = pa.table(
        {
            name: pa.array([row[name] for row in rows], type=kind)
            for name, kind in _ROLLUP_TYPES.items()
        }
    )
    with store.transaction() as con:
        queries.run(con, "clear_usage_rollups", source=source, start=start, end=end)
        if rows:
            with registered(con, "incoming_rollups", table):
                queries.run(con, "insert_usage_rollups")
    return len(rows)
