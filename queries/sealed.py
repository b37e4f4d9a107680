"""Reads that keep a summary of sealed hours as they go (Content safety's verdict summary,
the Deployments page's busiest minutes: decisions 0031 and 0034)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import datetime

import duckdb
import pandas as pd


def read_keeping(
    cur: duckdb.DuckDBPyConnection, read: Callable[[bool], pd.DataFrame]
) -> pd.DataFrame:
    """``read(keep)`` in one transaction of ``cur``, first keeping what it keeps. Should
    keeping fail (another reader keeping the same hours first, a read-only file), it is
    read again without keeping anything: the answer is exact either way."""
    for keep in (True, False):
        cur.begin()
        try:
            frame = read(keep)
        except duckdb.Error:
            roll_back(cur)
            if keep:
                continue
            raise
        try:
            cur.commit()
        except duckdb.Error:  # another reader kept the same hours first: the answer stands
            roll_back(cur)
        return frame
    raise AssertionError("unreachable")


def roll_back(cur: duckdb.DuckDBPyConnection) -> None:
    with contextlib.suppress(duckdb.Error):  # no transaction open
        cur.rollback()


def hour_of(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)
