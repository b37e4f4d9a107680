"""The audit log: who did what, read and written through bound parameters."""

from __future__ import annotations

import json
from datetime import datetime

import duckdb
import pandas as pd

from queries import execute, run


def insert_audit_entry(
    cur: duckdb.DuckDBPyConnection,
    at: datetime,
    actor: str,
    role: str | None,
    action: str,
    target: str,
    detail: dict[str, object],
) -> None:
    """Append one entry."""
    execute(
        cur, "insert_audit_entry", at=at, actor=actor, role=role, action=action, target=target,
        detail=json.dumps(detail, sort_keys=True, default=str),
    )  # fmt: skip


def audit_entries(
    cur: duckdb.DuckDBPyConnection, start: datetime, end: datetime, actions: list[str]
) -> pd.DataFrame:
    """Entries in [start, end), newest first; only ``actions`` unless that is empty."""
    return run(cur, "audit_entries", start=start, end=end, actions=actions)
