"""Questions the Deployments page asks: latency, throughput, throttling and quota."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Final

import duckdb
import pandas as pd

from queries import run
from queries.chargeback import capacity_until
from queries.scope import Scope

# Ranges longer than this read latency from the hourly sketches (within 1 % of the exact
# percentiles); shorter ones read the calls and are exact
# (docs/decisions/0009-latency-sketches.md).
SKETCHES_PAST: Final = timedelta(days=14)


def reads_sketches(scope: Scope) -> bool:
    """Whether the latency reports of ``scope`` read the hourly sketches."""
    return scope.end - scope.start > SKETCHES_PAST


def deployment_stats(cur: duckdb.DuckDBPyConnection, scope: Scope) -> pd.DataFrame:
    """Per deployment: latency percentiles, TTFT, output speed, 429 and error rates, peak TPM."""
    if reads_sketches(scope):
        return run(cur, "deployment_stats_from_sketches", **scope.params())
    return run(cur, "deployment_stats", **scope.params())


def latency_histogram(
    cur: duckdb.DuckDBPyConnection, scope: Scope, bin_ms: float, max_ms: float
) -> pd.DataFrame:
    """Calls per latency bin and deployment family; the last bin holds ``max_ms`` and up."""
    name = "latency_histogram_from_sketches" if reads_sketches(scope) else "latency_histogram"
    return run(cur, name, bin_ms=bin_ms, max_ms=max_ms, **scope.params())


def latency_over_time(
    cur: duckdb.DuckDBPyConnection, scope: Scope, bucket: timedelta
) -> pd.DataFrame:
    """p50 and p95 latency per time bucket and deployment."""
    whole_hours = bucket % timedelta(hours=1) == timedelta(0)
    if reads_sketches(scope) and whole_hours:
        return run(cur, "latency_over_time_from_sketches", bucket=bucket, **scope.params())
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


def ptu_utilization(cur: duckdb.DuckDBPyConnection, scope: Scope) -> pd.DataFrame:
    """Per provisioned deployment: Azure's measured PTU utilisation beside the lens's
    capacity used and its utilisation by PTU figures over the same hours. These are
    whole-deployment numbers, whoever sent the traffic: an asker who may see only some
    tenants gets none (an empty frame)."""
    chosen = list(scope.deployments)
    frame = run(cur, "ptu_utilization", start=scope.start, end=scope.end, deployments=chosen)
    if scope.allowed_tenants is not None:
        frame = frame.iloc[0:0]
    if frame.empty:  # no Azure Monitor metrics: the lens's utilisation is not read either
        return frame.assign(lens_utilization=pd.Series(dtype="float64"))
    lens = run(cur, "ptu_lens_utilization", start=scope.start, end=scope.end, deployments=chosen)
    return frame.merge(lens, on="deployment", how="left")


def ptu_hours(cur: duckdb.DuckDBPyConnection, scope: Scope, now: datetime) -> pd.DataFrame:
    """Per provisioned deployment and charged hour (the scope's whole hours before ``now``'s
    hour): its utilisation against what its PTUs can serve, its cost and the part of it
    idle. Whole-deployment numbers: an asker who may see only some tenants gets none."""
    frame = run(
        cur,
        "ptu_hours",
        start=scope.start,
        until=capacity_until(scope.end, now),
        deployments=list(scope.deployments),
    )
    return frame.iloc[0:0] if scope.allowed_tenants is not None else frame
