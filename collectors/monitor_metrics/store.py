"""Per-deployment hourly metric values into ``deployment_metrics`` (one transaction)."""

from __future__ import annotations

from typing import Any, Final

import pyarrow as pa

import queries
from collectors.store import Store
from queries import registered

_TYPES: Final = {
    "resource": pa.string(),
    "deployment": pa.string(),
    "hour": pa.timestamp("us", tz="UTC"),
    "metric": pa.string(),
    "total": pa.float64(),
    "average": pa.float64(),
    "maximum": pa.float64(),
    "resource_id": pa.string(),
}


def store_deployment_metrics(store: Store, rows: list[dict[str, Any]]) -> int:
    """Upsert ``rows`` by (resource, deployment, hour, metric); how many were written."""
    if not rows:
        return 0
    table = pa.table(
        {name: pa.array([row[name] for row in rows], type=kind) for name, kind in _TYPES.items()}
    )
    with store.transaction() as con, registered(con, "incoming_deployment_metrics", table):
        queries.run(con, "upsert_deployment_metrics")
    return len(rows)
