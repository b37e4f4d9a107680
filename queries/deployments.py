"""Questions the Deployments page asks: latency, throughput, throttling and quota."""

from __future__ import annotations

import math
from datetime import timedelta

import duckdb
import pandas as pd

from queries import run
from queries.scope import Scope


def deployment_stats(cur: duckdb.DuckDBPyConnection, scope: Scope) -> pd.DataFrame:
    """Per deployment: latency percentiles, TTFT, output speed, 429 and error rates, peak TPM."""
    return run(cur, "deployment_stats", **scope.params())


def latency_histogram(
    cur: duckdb.DuckDBPyConnection, scope: Scope, bin_ms: float, max_ms: float
) -> pd.DataFrame:
    """Calls per latency bin and deployment family; the last bin holds ``max_ms`` and up."""
    return run(cur, "latency_histogram", bin_ms=bin_ms, max_ms=max_ms, **scope.params())


def latency_over_time(
    cur: duckdb.DuckDBPyConnection, scope: Scope, bucket: timedelta
) -> pd.DataFrame:
    """p50 and p95 latency per time bucket and deployment."""
    return run(cur, "latency_over_time", bucket=bucket, **scope.params())


def latency_bins(stats: pd.DataFrame, bins: int = 40) -> tuple[float, float]:
    """A round bin width and the open-ended last bin's start for the latency histogram: at
    most ``bins`` bins, the last one starting at the first bin edge from the slowest
    deployment's p99 (so the chart's axis ends where its calls do)."""
    slowest = stats["p99_ms"].max() if not stats.empty else None
    top = float(slowest) if slowest is not None and slowest == slowest and slowest > 0 else 1.0
    width = top / bins
    for step in (1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10_000):
        if step >= width:
            width = float(step)
            break
    else:
        width = float(round(width, -4))
    return width, max(1, math.ceil(top / width)) * width
