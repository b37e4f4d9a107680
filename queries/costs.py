"""Questions about the whole cost of a scope: pay-as-you-go + provisioned (PTU) = total,
how much of its tokens have a price, and which provisioned deployments have none.

``pricing_coverage`` and ``unregistered_provisioned`` read the scope's usage, fetched once by
``queries.usage.usage_in_scope``.
"""

from __future__ import annotations

from datetime import datetime

import duckdb
import pandas as pd
import pyarrow as pa

from queries import registered, run_arrow, run_over
from queries.chargeback import capacity_until
from queries.scope import Scope
from queries.usage import RELATION, sum_usage

CAPACITY_RELATION = "scoped_capacity"  # the name capacity_in_scope's rows are read by


def pricing_coverage(cur: duckdb.DuckDBPyConnection, usage: pa.Table) -> pd.DataFrame:
    """One row: tokens, priced tokens, the priced share and the calls with no price."""
    return sum_usage(cur, "pricing_coverage", usage)


def unregistered_provisioned(cur: duckdb.DuckDBPyConnection, usage: pa.Table) -> pd.DataFrame:
    """The provisioned deployments of the scope whose capacity has no price."""
    return sum_usage(cur, "unregistered_provisioned", usage)


def carries_capacity(scope: Scope) -> bool:
    """Whether provisioned capacity belongs in the scope's cost: it is priced per deployment
    and split by tenant, never by model, deployment type or service."""
    return not (scope.models or scope.deployment_types or scope.services)


def capacity_in_scope(cur: duckdb.DuckDBPyConnection, scope: Scope, now: datetime) -> pa.Table:
    """The provisioned capacity of the scope's deployments over its charged hours (those
    over by ``now``), per hour and tenant: fetched once, summed by ``deployment_costs`` and
    ``queries.deployments.ptu_hours``."""
    return run_arrow(
        cur,
        "capacity_in_scope",
        start=scope.start,
        until=capacity_until(scope.end, now),
        deployments=list(scope.deployments),
    )


def deployment_costs(
    cur: duckdb.DuckDBPyConnection,
    scope: Scope,
    usage: pa.Table,
    now: datetime,
    capacity: pa.Table | None = None,
) -> pd.DataFrame:
    """Per deployment: pay-as-you-go + provisioned capacity = total, most cost first; the
    capacity from ``capacity`` when given (``capacity_in_scope`` at ``now``)."""
    if capacity is None:
        capacity = capacity_in_scope(cur, scope, now)
    with registered(cur, CAPACITY_RELATION, capacity):
        return run_over(
            cur,
            "deployment_costs",
            (RELATION, usage),
            tenants=scope.tenant_list(),
            with_capacity=carries_capacity(scope),
        )
