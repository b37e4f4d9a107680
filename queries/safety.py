"""Questions the Content safety page asks: incidents, verdicts and what they cost."""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

import duckdb
import pandas as pd

from queries import run
from queries.scope import Scope

SafetyGroupBy = Literal["tenant_id", "deployment", "end_user"]


def safety_totals(cur: duckdb.DuckDBPyConnection, scope: Scope) -> pd.DataFrame:
    """One row: blocked prompts, filtered completions, annotated calls, incident cost."""
    return run(cur, "safety_totals", **scope.params())


def safety_over_time(
    cur: duckdb.DuckDBPyConnection, scope: Scope, bucket: timedelta
) -> pd.DataFrame:
    """Calls per time bucket and filter action (other than none)."""
    return run(cur, "safety_over_time", bucket=bucket, **scope.params())


def safety_heatmap(cur: duckdb.DuckDBPyConnection, scope: Scope) -> pd.DataFrame:
    """Calls per prompt/completion x category x severity with something detected."""
    return run(cur, "safety_heatmap", **scope.params())


def safety_by_group(
    cur: duckdb.DuckDBPyConnection, scope: Scope, group_by: SafetyGroupBy
) -> pd.DataFrame:
    """Incidents and their cost per tenant, deployment or end user."""
    return run(cur, "safety_by_group", {"group_by": group_by}, **scope.params())


def safety_incidents(cur: duckdb.DuckDBPyConnection, scope: Scope, limit: int) -> pd.DataFrame:
    """The newest incident calls with the categories that were filtered."""
    return run(cur, "safety_incidents", limit=limit, **scope.params())
