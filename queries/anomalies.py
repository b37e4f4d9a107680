"""Anomalies: days whose spend or tokens stand out from the same weekdays before."""

from __future__ import annotations

import duckdb
import pandas as pd

from queries import run
from queries.scope import Scope

MIN_SCORE = 5.0  # robust z-score (MAD units) from which a day is a spike


def daily_spikes(
    cur: duckdb.DuckDBPyConnection,
    scope: Scope,
    min_score: float = MIN_SCORE,
    only_spikes: bool = True,
) -> pd.DataFrame:
    """Per tenant and deployment, the days of ``scope`` whose pay-as-you-go spend or tokens
    are spikes against the same weekday of the 4 weeks before (median and MAD); every day
    with its score when not ``only_spikes``. The scope's tenants and deployments filter the
    calls counted (the asker's allowed tenants included); other dimensions are not used."""
    return run(
        cur, "daily_spikes", start=scope.start, end=scope.end, tenants=scope.tenant_list(),
        deployments=list(scope.deployments), min_score=min_score, only_spikes=only_spikes,
    )  # fmt: skip
