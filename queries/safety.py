"""Questions the Content safety page asks: incidents, verdicts and what they cost.

The heat map and the verdicts by category read the verdict summary of sealed hours
(``summarise_safety_hours``) and the calls of the other hours
(docs/decisions/0031-dashboard-pages-at-10m-calls.md).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, Final, Literal

import duckdb
import pandas as pd
import pyarrow as pa

from queries import execute, run, run_rows
from queries.scope import Scope
from queries.sealed import hour_of, read_keeping
from queries.usage import sum_usage

# An hour is summarised once a day has passed since it ended: a call's verdicts are written
# within a day of its start (a merged report's), so by then its cells seldom change.
SEALED_AFTER: Final = timedelta(days=1)

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


def safety_heatmap(
    cur: duckdb.DuckDBPyConnection, scope: Scope, now: datetime | None = None
) -> pd.DataFrame:
    """Calls per prompt/completion x category x severity with something detected."""
    return _read_summarised(cur, "safety_heatmap", scope, now or datetime.now(UTC))


def safety_by_category(
    cur: duckdb.DuckDBPyConnection,
    scope: Scope,
    categories: tuple[str, ...] = (),
    now: datetime | None = None,
) -> pd.DataFrame:
    """Calls per category and intervention point with something detected or filtered; the
    categories given only (all when none)."""
    return _read_summarised(
        cur, "safety_by_category", scope, now or datetime.now(UTC), categories=list(categories)
    )


def summarise_safety_hours(cur: duckdb.DuckDBPyConnection, hours: list[datetime]) -> None:
    """Sum the verdict summary of ``hours`` (whole UTC hours, in order) again from their
    calls and verdicts, with the fingerprints it is summed at; in the caller's transaction."""
    if not hours:
        return
    bounds = {"hours": hours, "first": hours[0], "last": hours[-1]}
    execute(cur, "clear_safety_hours", hours=hours)
    execute(cur, "clear_safety_heatmap_hours", hours=hours)
    execute(cur, "clear_safety_category_hours", hours=hours)
    execute(cur, "fill_safety_hours", **bounds)
    execute(cur, "fill_safety_heatmap_hours", **bounds)
    execute(cur, "fill_safety_category_hours", **bounds)


def _read_summarised(
    cur: duckdb.DuckDBPyConnection, name: str, scope: Scope, now: datetime, **params: Any
) -> pd.DataFrame:
    """Run report ``name`` over the verdict summary in one transaction: the hours it does
    not answer for are found, those sealed by ``now`` summed again and kept, and the
    report reads the summary for the others and the calls for the rest, all from the same
    snapshot. Should keeping them fail (another reader summing the same hours first, a
    read-only file), the report is read again without keeping anything: it is exact
    either way."""
    return read_keeping(cur, lambda keep: _read_in_transaction(cur, name, scope, now, keep, params))


def _read_in_transaction(
    cur: duckdb.DuckDBPyConnection,
    name: str,
    scope: Scope,
    now: datetime,
    keep: bool,
    params: dict[str, Any],
) -> pd.DataFrame:
    first = hour_of(scope.start - timedelta(microseconds=1)) + timedelta(hours=1)
    last = max(first, hour_of(scope.end))
    ((stale, end_user_rules),) = run_rows(cur, "stale_safety_hours", start=first, end=last)
    stale = list(stale)
    sealed = [hour for hour in stale if hour < hour_of(now) - SEALED_AFTER]
    if keep and sealed:
        summarise_safety_hours(cur, sealed)
        stale = stale[len(sealed) :]
    # The summary keeps no end users: with a tenant chosen under an end-user rule, every
    # hour is read from the calls.
    summarised = not (end_user_rules and scope.tenant_list())
    calls_from = (stale[0] if stale else last) if summarised else first
    return run(
        cur,
        name,
        summarised=summarised,
        stale=stale,
        calls_from=calls_from,
        **scope.params(),
        **params,
    )


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
