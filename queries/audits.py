"""Audits: queries that must return no rows on a healthy ledger."""

from __future__ import annotations

import duckdb
import pandas as pd

from queries import run

AUDITS = ("duplicate_verdicts", "orphan_verdicts")


def duplicate_verdicts(cur: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Content-filter verdicts stored more than once."""
    return run(cur, "duplicate_verdicts")


def orphan_verdicts(cur: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Verdicts whose call is not in the ledger."""
    return run(cur, "orphan_verdicts")
