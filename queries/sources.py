"""Questions the Sources page asks; each function runs the .sql file of its name."""

from __future__ import annotations

from datetime import datetime

import duckdb
import pandas as pd

from queries import run


def source_health(
    cur: duckdb.DuckDBPyConnection, sources: list[str], now: datetime
) -> pd.DataFrame:
    """One row per collector: last success, lag, rows in the last hour, last error."""
    return run(cur, "source_health", sources=sources, now=now)


def source_pull_log(cur: duckdb.DuckDBPyConnection, limit: int = 50) -> pd.DataFrame:
    """The most recent Log Analytics slices, newest first."""
    return run(cur, "source_pull_log", limit=limit)


def source_coverage(cur: duckdb.DuckDBPyConnection, start: datetime, end: datetime) -> pd.DataFrame:
    """Tokens per day and resource as each source saw them."""
    return run(cur, "source_coverage", start=start, end=end)


def metrics_coverage(
    cur: duckdb.DuckDBPyConnection, start: datetime, end: datetime
) -> pd.DataFrame:
    """Per day and deployment: requests Azure Monitor counted against calls in the ledger."""
    return run(cur, "metrics_coverage", start=start, end=end)


def unmapped_meters(cur: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The Azure Retail Prices meters the last ``prices refresh`` could not map, and why."""
    return run(cur, "unmapped_meters")
