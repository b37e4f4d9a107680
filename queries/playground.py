"""Questions the Playground page asks; each function runs the .sql file of its name."""

from __future__ import annotations

import duckdb
import pandas as pd

from queries import run


def call_outcome(cur: duckdb.DuckDBPyConnection, call_id: str) -> pd.DataFrame:
    """One stored call with its tokens and pay-as-you-go cost (no row until it is stored)."""
    return run(cur, "call_outcome", call_id=call_id)


def deployments_seen(cur: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Deployments and their operations, as calls reveal them."""
    return run(cur, "deployments_seen")


def tenants_known(cur: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Tenants of the tenants file and those calls were charged to."""
    return run(cur, "tenants_known")
