"""Questions the Deployments page asks: latency, throughput, throttling and quota.

Over long ranges the busiest minute of each deployment's busiest hour and p95 over time are
read from what the page's reads keep of sealed hours (``busiest_minutes``,
``latency_periods``) where it answers, and kept there by the reads
(docs/decisions/0034-busiest-minutes-of-sealed-hours.md).
"""

from __future__ import annotations

import contextlib
import math
from datetime import UTC, datetime, timedelta
from typing import Final

import duckdb
import pandas as pd
import pyarrow as pa

from queries import execute, registered, run, run_over, run_rows
from queries.costs import CAPACITY_RELATION, capacity_in_scope
from queries.scope import Scope
from queries.sealed import hour_of, read_keeping

# Ranges longer than this read latency from the hourly sketches (within 1 % of the exact
# percentiles); shorter ones read the calls and are exact
# (docs/decisions/0009-latency-sketches.md).
SKETCHES_PAST: Final = timedelta(days=14)

# An hour's busiest minute, or a chart bucket's latency, is kept once a day has passed since
# it ended: calls are written (late ones, merged reports) within a day of their start, so by
# then it seldom changes; a change sends it back to the calls or the sketch until it is
# kept again.
SEALED_AFTER: Final = timedelta(days=1)

# What latency_over_time_from_sketches.sql returns besides the page's columns.
_KEPT_COLUMNS: Final = ("durations_fp", "kept", "complete")


def reads_sketches(scope: Scope) -> bool:
    """Whether the latency reports of ``scope`` read the hourly sketches."""
    return scope.end - scope.start > SKETCHES_PAST


def deployment_stats(
    cur: duckdb.DuckDBPyConnection, scope: Scope, now: datetime | None = None
) -> pd.DataFrame:
    """Per deployment: latency percentiles, TTFT, output speed, 429 and error rates, peak TPM."""
    if not reads_sketches(scope):
        return run(cur, "deployment_stats", **scope.params())
    if not answers_summaries(scope):
        return _stats_from_sketches(cur, scope, False, scope.start)
    # Kept hours are sealed ones: the calls of the hours since are read, and every busiest
    # hour before them is answered by a kept row, as a rule. Where one is not, the hours to
    # keep are kept and the report read again.
    sealed_before = hour_of(now or datetime.now(UTC)) - SEALED_AFTER
    calls_from = max(scope.start, sealed_before)
    frame = _read_stats(cur, scope, True, calls_from)
    if _answered(frame, scope, calls_from):
        return frame.drop(columns="unanswered_from")
    return _stats_keeping_busiest_minutes(cur, scope, sealed_before)


def answers_summaries(scope: Scope) -> bool:
    """Whether ``busiest_minutes`` and ``latency_periods`` answer the scope: they keep a
    deployment's numbers over all of its calls, so they answer a scope that chooses
    deployments only."""
    return not (scope.tenant_list() or scope.models or scope.deployment_types or scope.services)


def keep_busiest_minutes(
    cur: duckdb.DuckDBPyConnection, hours: list[datetime], deployments: list[str]
) -> None:
    """Sum the busiest minute of ``hours[i]`` of ``deployments[i]`` again from their calls
    and keep it with the hour's usage now; in the caller's transaction."""
    if not hours:
        return
    execute(cur, "clear_busiest_minutes", hours=hours, deployments=deployments)
    execute(
        cur,
        "fill_busiest_minutes",
        hours=hours,
        deployments=deployments,
        first=min(hours),
        last=max(hours),
    )


def _read_stats(
    cur: duckdb.DuckDBPyConnection, scope: Scope, summarised: bool, calls_from: datetime
) -> pd.DataFrame:
    """deployment_stats_from_sketches.sql as it answers, ``unanswered_from`` included."""
    return run(cur, "deployment_stats_from_sketches", summarised=summarised,
               calls_from=calls_from, **scope.params())  # fmt: skip


def _stats_from_sketches(
    cur: duckdb.DuckDBPyConnection, scope: Scope, summarised: bool, calls_from: datetime
) -> pd.DataFrame:
    return _read_stats(cur, scope, summarised, calls_from).drop(columns="unanswered_from")


def _answered(frame: pd.DataFrame, scope: Scope, calls_from: datetime) -> bool:
    """Whether every busiest hour the summary did not answer was read from the calls."""
    if calls_from <= scope.start:
        return True
    if frame.empty:  # no row to say it: a deployment whose busiest hour went unread has none
        return False
    first = frame["unanswered_from"].iloc[0]
    return bool(pd.isna(first) or first >= calls_from)


def _stats_keeping_busiest_minutes(
    cur: duckdb.DuckDBPyConnection, scope: Scope, sealed_before: datetime
) -> pd.DataFrame:
    """The stats in one transaction: the busiest hours the summary does not answer are
    found, those sealed by ``sealed_before`` kept, and the report reads the summary for the
    others and the calls for the rest, from the same snapshot. Should keeping fail (another
    reader keeping the same hours first, a read-only file), the report is read again
    without keeping anything: it is exact either way."""
    return read_keeping(cur, lambda keep: _stats_in_transaction(cur, scope, sealed_before, keep))


def _stats_in_transaction(
    cur: duckdb.DuckDBPyConnection, scope: Scope, sealed_before: datetime, keep: bool
) -> pd.DataFrame:
    ((hours, deployments, calls_from, calls_from_unkept),) = run_rows(
        cur,
        "busiest_hours_to_keep",
        start=scope.start,
        end=scope.end,
        deployments=list(scope.deployments),
        sealed_before=sealed_before,
    )
    if keep:
        keep_busiest_minutes(cur, list(hours), list(deployments))
    else:
        calls_from = calls_from_unkept
    frame = _read_stats(cur, scope, True, calls_from)
    if not _answered(frame, scope, calls_from):  # not expected: read every busiest hour's calls
        return _stats_from_sketches(cur, scope, True, scope.start)
    return frame.drop(columns="unanswered_from")


def latency_histogram(
    cur: duckdb.DuckDBPyConnection, scope: Scope, bin_ms: float, max_ms: float
) -> pd.DataFrame:
    """Calls per latency bin and deployment family; the last bin holds ``max_ms`` and up."""
    name = "latency_histogram_from_sketches" if reads_sketches(scope) else "latency_histogram"
    return run(cur, name, bin_ms=bin_ms, max_ms=max_ms, **scope.params())


def latency_over_time(
    cur: duckdb.DuckDBPyConnection, scope: Scope, bucket: timedelta, now: datetime | None = None
) -> pd.DataFrame:
    """p50 and p95 latency per time bucket and deployment."""
    whole_hours = bucket % timedelta(hours=1) == timedelta(0)
    if not (reads_sketches(scope) and whole_hours):
        return run(cur, "latency_over_time", bucket=bucket, **scope.params())
    if not answers_summaries(scope):
        frame = _read_over_time(cur, scope, bucket, False, scope.start)
        return frame.drop(columns=list(_KEPT_COLUMNS))
    # Kept buckets are sealed ones: the sketch is read from the bucket of the hours since,
    # and every bucket before is answered by a kept row, as a rule. Where one is not, the
    # whole range is read from the sketch and its sealed buckets kept.
    sealed_before = hour_of(now or datetime.now(UTC)) - SEALED_AFTER
    sketch_from = max(scope.start, sealed_before)
    frame = _read_over_time(cur, scope, bucket, True, sketch_from)
    if sketch_from > scope.start and (frame.empty or not frame["complete"].iloc[0]):
        frame = _read_over_time(cur, scope, bucket, True, scope.start)
    _keep_latency_periods(cur, frame, scope, bucket, sealed_before)
    return frame.drop(columns=list(_KEPT_COLUMNS))


def _read_over_time(
    cur: duckdb.DuckDBPyConnection,
    scope: Scope,
    bucket: timedelta,
    summarised: bool,
    sketch_from: datetime,
) -> pd.DataFrame:
    """latency_over_time_from_sketches.sql as it answers, ``_KEPT_COLUMNS`` included."""
    return run(cur, "latency_over_time_from_sketches", bucket=bucket, summarised=summarised,
               sketch_from=sketch_from, **scope.params())  # fmt: skip


def _keep_latency_periods(
    cur: duckdb.DuckDBPyConnection,
    frame: pd.DataFrame,
    scope: Scope,
    bucket: timedelta,
    sealed_before: datetime,
) -> None:
    """Keep the buckets of ``frame`` read from the sketch that are of whole hours inside the
    scope and ended before ``sealed_before``. Should keeping fail (another reader keeping the
    same buckets first, a read-only file), nothing is kept: the answer stands."""
    first = hour_of(scope.start - timedelta(microseconds=1)) + timedelta(hours=1)
    until = min(hour_of(scope.end), sealed_before)
    new = frame[~frame["kept"] & (frame["bucket"] >= first) & (frame["bucket"] + bucket <= until)]
    if new.empty:
        return
    rows = new[["bucket", "deployment", "calls", "durations_fp", "p50_ms", "p95_ms"]]
    rows = rows.rename(columns={"bucket": "period"}).assign(hours=bucket // timedelta(hours=1))
    with (
        contextlib.suppress(duckdb.Error),
        registered(cur, "periods_read", pa.Table.from_pandas(rows, preserve_index=False)),
    ):
        execute(cur, "keep_latency_periods")


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


def ptu_hours(
    cur: duckdb.DuckDBPyConnection,
    scope: Scope,
    now: datetime,
    capacity: pa.Table | None = None,
) -> pd.DataFrame:
    """Per provisioned deployment and charged hour (the scope's whole hours before ``now``'s
    hour): its utilisation against what its PTUs can serve, its cost and the part of it
    idle; from ``capacity`` when given (``queries.costs.capacity_in_scope`` at ``now``).
    Whole-deployment numbers: an asker who may see only some tenants gets none."""
    if capacity is None:
        capacity = capacity_in_scope(cur, scope, now)
    frame = run_over(cur, "ptu_hours", (CAPACITY_RELATION, capacity))
    return frame.iloc[0:0] if scope.allowed_tenants is not None else frame
