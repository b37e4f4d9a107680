"""Questions the Deployments page asks of where calls went: serving region, endpoint and
backend; failover, spillover and Priority downgrades; what failover cost."""

from __future__ import annotations

from datetime import timedelta
from typing import Final, Literal

import duckdb
import pandas as pd

from queries import run
from queries.scope import Scope

RoutingGroup = Literal["region", "endpoint", "backend"]
ROUTING_GROUPS: Final[tuple[RoutingGroup, ...]] = ("region", "endpoint", "backend")


def routing_totals(cur: duckdb.DuckDBPyConnection, scope: Scope) -> pd.DataFrame:
    """One row: calls, those that say anything of their route, failover rate, spillover
    share and Priority downgrade share, each over the calls that can say it."""
    return run(cur, "routing_totals", **scope.params())


def routing_by_group(
    cur: duckdb.DuckDBPyConnection, scope: Scope, group_by: RoutingGroup
) -> pd.DataFrame:
    """Calls, failovers, spillovers, 429s and spend per serving region, endpoint or backend."""
    return run(cur, "routing_by_group", choices={"group_by": group_by}, **scope.params())


def routing_over_time(
    cur: duckdb.DuckDBPyConnection, scope: Scope, bucket: timedelta
) -> pd.DataFrame:
    """Failovers beside 429s (and spillovers, downgrades) per time bucket."""
    return run(cur, "routing_over_time", bucket=bucket, **scope.params())


def failover_extra_cost(cur: duckdb.DuckDBPyConnection, scope: Scope) -> pd.DataFrame:
    """One row: what failed-over and spilled-over calls cost where they were served, what
    the same tokens cost where they were meant to be, and the difference
    (queries/reports/failover_extra_cost.sql)."""
    return run(cur, "failover_extra_cost", **scope.params())
