"""Questions the Overview page asks; each function runs the .sql file of its name."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

import duckdb
import pandas as pd

from queries import run
from queries.scope import Scope

GroupBy = Literal["deployment", "tenant_id"]


def overview_totals(cur: duckdb.DuckDBPyConnection, scope: Scope) -> pd.DataFrame:
    """One row of totals for the scope."""
    return run(cur, "overview_totals", **scope.params())


def usage_over_time(
    cur: duckdb.DuckDBPyConnection, scope: Scope, bucket: timedelta, group_by: GroupBy
) -> pd.DataFrame:
    """Calls, errors and tokens per time bucket and deployment or tenant."""
    return run(cur, "usage_over_time", {"group_by": group_by}, bucket=bucket, **scope.params())


def spend_over_time(
    cur: duckdb.DuckDBPyConnection, scope: Scope, group_by: GroupBy
) -> pd.DataFrame:
    """Pay-as-you-go spend per UTC day and deployment or tenant."""
    return run(cur, "spend_over_time", {"group_by": group_by}, **scope.params())


def spend_by_group(cur: duckdb.DuckDBPyConnection, scope: Scope, group_by: GroupBy) -> pd.DataFrame:
    """Requests, tokens and spend per deployment or tenant, most spend first."""
    return run(cur, "spend_by_group", {"group_by": group_by}, **scope.params())


def filter_options(
    cur: duckdb.DuckDBPyConnection, start: datetime, end: datetime
) -> dict[str, list[str]]:
    """The values each global filter can take in [start, end), by dimension."""
    frame = run(cur, "filter_options", start=start, end=end)
    options: dict[str, list[str]] = {}
    for dimension, value in frame.itertuples(index=False):
        options.setdefault(str(dimension), []).append(str(value))
    return options
