"""Audits: queries that must return no rows on a healthy ledger."""

from __future__ import annotations

import duckdb
import pandas as pd

from queries import run

AUDITS = (
    "duplicate_calls",
    "duplicate_verdicts",
    "orphan_verdicts",
    "usage_hourly_drift",
    "latency_hourly_drift",
)


def duplicate_calls(cur: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Calls stored more than once (the ledger keeps no unique index on call ids)."""
    return run(cur, "duplicate_calls")


def duplicate_verdicts(cur: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Content-filter verdicts stored more than once."""
    return run(cur, "duplicate_verdicts")


def orphan_verdicts(cur: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Verdicts whose call is not in the ledger."""
    return run(cur, "orphan_verdicts")


def usage_hourly_drift(cur: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Hours and deployments where the hourly usage summary and the calls disagree."""
    return run(cur, "usage_hourly_drift")


def latency_hourly_drift(cur: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Hours and deployments where the latency sketch and the calls count different values."""
    return run(cur, "latency_hourly_drift")
