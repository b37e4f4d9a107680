"""Questions the Overview page asks; each function runs the .sql file of its name."""

from __future__ import annotations

from datetime import datetime, timedelta

import duckdb
import pandas as pd

from queries import run


def calls_over_time(
    cur: duckdb.DuckDBPyConnection, start: datetime, end: datetime, bucket: timedelta
) -> pd.DataFrame:
    """Calls, errors and tokens per time bucket and deployment."""
    return run(cur, "calls_over_time", start=start, end=end, bucket=bucket)


def overview_totals(cur: duckdb.DuckDBPyConnection, start: datetime, end: datetime) -> pd.DataFrame:
    """One row of totals for the period."""
    return run(cur, "overview_totals", start=start, end=end)
