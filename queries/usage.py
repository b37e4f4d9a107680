"""The usage of a scope, read once and summed several ways.

``usage_in_scope`` prices the scope's hourly groups of calls (``filtered_usage()``) and keeps
them as an Arrow table; the Overview's and Content safety's sums are queries over that table,
registered as ``scoped_usage``, so a page prices its scope once rather than once per chart.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa

from queries import run_arrow, run_over
from queries.scope import Scope

RELATION = "scoped_usage"


def usage_in_scope(cur: duckdb.DuckDBPyConnection, scope: Scope) -> pa.Table:
    """The scope's priced usage: one row per group of calls of the scope's chart bucket
    (``Scope.bucket``: 1, 6 or 24 whole hours) or edge call that passes the scope's
    filters. Sums over time read it in buckets of that width or wider."""
    hours = int(scope.bucket / timedelta(hours=1))
    return run_arrow(cur, "usage_in_scope", hours=hours, **scope.params())


def sum_usage(
    cur: duckdb.DuckDBPyConnection,
    name: str,
    usage: pa.Table,
    choices: dict[str, str] | None = None,
    **params: Any,
) -> pd.DataFrame:
    """Run the query file ``name`` over ``usage`` (from ``usage_in_scope``)."""
    return run_over(cur, name, (RELATION, usage), choices, **params)
