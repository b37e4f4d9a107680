"""Questions the Overview page asks; each function runs the .sql file of its name.

The sums read the scope's usage, fetched once by ``queries.usage.usage_in_scope``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

import duckdb
import pandas as pd
import pyarrow as pa

from queries import run
from queries.chargeback import capacity_until
from queries.scope import Scope
from queries.usage import sum_usage

GroupBy = Literal["deployment", "tenant_id"]


def overview_totals(cur: duckdb.DuckDBPyConnection, usage: pa.Table) -> pd.DataFrame:
    """One row of totals for the scope of ``usage``."""
    return sum_usage(cur, "overview_totals", usage)


def ptu_cost_in_scope(
    cur: duckdb.DuckDBPyConnection, scope: Scope, now: datetime
) -> pd.DataFrame | None:
    """One row: the provisioned (PTU) capacity cost of the scope's whole hours before
    ``now``'s hour. None when the scope chooses models, deployment types or
    services: capacity is priced per deployment and split by tenant only."""
    if scope.models or scope.deployment_types or scope.services:
        return None
    return run(
        cur,
        "ptu_cost_in_scope",
        start=scope.start,
        until=capacity_until(scope.end, now),
        tenants=scope.tenant_list(),
        deployments=list(scope.deployments),
    )


def usage_over_time(
    cur: duckdb.DuckDBPyConnection, usage: pa.Table, bucket: timedelta, group_by: GroupBy
) -> pd.DataFrame:
    """Calls, errors and tokens per time bucket (whole hours) and deployment or tenant."""
    return sum_usage(cur, "usage_over_time", usage, {"group_by": group_by}, bucket=bucket)


def spend_over_time(
    cur: duckdb.DuckDBPyConnection, usage: pa.Table, group_by: GroupBy
) -> pd.DataFrame:
    """Pay-as-you-go spend per UTC day and deployment or tenant."""
    return sum_usage(cur, "spend_over_time", usage, {"group_by": group_by})


def spend_by_group(
    cur: duckdb.DuckDBPyConnection, usage: pa.Table, group_by: GroupBy
) -> pd.DataFrame:
    """Requests, tokens and spend per deployment or tenant, most spend first."""
    return sum_usage(cur, "spend_by_group", usage, {"group_by": group_by})


def filter_options(
    cur: duckdb.DuckDBPyConnection, start: datetime, end: datetime
) -> dict[str, list[str]]:
    """The values each global filter can take in [start, end), by dimension."""
    frame = run(cur, "filter_options", start=start, end=end)
    options: dict[str, list[str]] = {}
    for dimension, value in frame.itertuples(index=False):
        options.setdefault(str(dimension), []).append(str(value))
    return options
