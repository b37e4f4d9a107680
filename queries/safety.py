"""Questions the Content safety page asks: incidents, verdicts and what they cost."""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

import duckdb
import pandas as pd
import pyarrow as pa

from queries import run
from queries.scope import Scope
from queries.usage import sum_usage

SafetyGroupBy = Literal["tenant_id", "deployment"]  # kept in the scope's usage
IncidentsBy = SafetyGroupBy | Literal["end_user"]  # what the page offers


def safety_totals(cur: duckdb.DuckDBPyConnection, usage: pa.Table) -> pd.DataFrame:
    """One row: blocked prompts, filtered completions, annotated calls, incident cost."""
    return sum_usage(cur, "safety_totals", usage)


def safety_over_time(
    cur: duckdb.DuckDBPyConnection, usage: pa.Table, bucket: timedelta
) -> pd.DataFrame:
    """Calls per time bucket (whole hours) and filter action (other than none)."""
    return sum_usage(cur, "safety_over_time", usage, bucket=bucket)


def safety_heatmap(cur: duckdb.DuckDBPyConnection, scope: Scope) -> pd.DataFrame:
    """Calls per prompt/completion x category x severity with something detected."""
    return run(cur, "safety_heatmap", **scope.params())


def safety_by_category(
    cur: duckdb.DuckDBPyConnection, scope: Scope, categories: tuple[str, ...] = ()
) -> pd.DataFrame:
    """Calls per category and intervention point with something detected or filtered; the
    categories given only (all when none)."""
    return run(cur, "safety_by_category", categories=list(categories), **scope.params())


def safety_by_group(
    cur: duckdb.DuckDBPyConnection, usage: pa.Table, group_by: SafetyGroupBy
) -> pd.DataFrame:
    """Incidents and their cost per tenant or deployment (from the scope's usage)."""
    return sum_usage(cur, "safety_by_group", usage, {"group_by": group_by})


def safety_by_end_user(cur: duckdb.DuckDBPyConnection, scope: Scope) -> pd.DataFrame:
    """Incidents and their cost per end user (counted from the calls)."""
    return run(cur, "safety_by_end_user", **scope.params())


def safety_incidents(cur: duckdb.DuckDBPyConnection, scope: Scope, limit: int) -> pd.DataFrame:
    """The newest incident calls with the categories that were filtered."""
    return run(cur, "safety_incidents", limit=limit, **scope.params())
