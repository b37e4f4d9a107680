"""Chargeback: what each tenant owes for a calendar month (UTC)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import duckdb
import pandas as pd

from queries import run

CHARGEBACK_COLUMNS = (
    "month", "tenant_id", "tenant_name", "cost_center", "deployment", "model",
    "deployment_type", "requests", "input_tokens", "cached_input_tokens", "output_tokens",
    "reasoning_tokens", "payg_cost_usd", "ptu_cost_usd", "total_cost_usd",
    "quota_utilization_pct", "budget_utilization_pct", "failed_requests",
)  # fmt: skip
_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def month_bounds(month: str) -> tuple[datetime, datetime]:
    """``YYYY-MM`` -> [first instant, first instant of the next month) in UTC."""
    match = _MONTH.match(month)
    if match is None:
        raise ValueError(f"month must be YYYY-MM, got {month!r}")
    year, number = int(match.group(1)), int(match.group(2))
    start = datetime(year, number, 1, tzinfo=UTC)
    end = datetime(year + number // 12, number % 12 + 1, 1, tzinfo=UTC)
    return start, end


def last_full_month(now: datetime) -> str:
    """The calendar month before ``now``'s, as ``YYYY-MM``."""
    year, number = (now.year, now.month - 1) if now.month > 1 else (now.year - 1, 12)
    return f"{year:04d}-{number:02d}"


def chargeback(
    cur: duckdb.DuckDBPyConnection,
    month: str,
    now: datetime | None = None,
    tenants: tuple[str, ...] | None = None,
) -> pd.DataFrame:
    """One row per tenant x cost center x deployment x model, DESIGN section 9 columns.
    Provisioned hours count up to ``now``'s hour (default: the clock's) in a month not over.
    ``tenants``: the only tenants whose rows are returned (None: every tenant)."""
    start, end = month_bounds(month)
    frame = run(
        cur, "chargeback", month=month, month_start=start, month_end=end,
        ptu_until=capacity_until(end, now), tenants=list(tenants) if tenants is not None else None,
    )  # fmt: skip
    return frame[list(CHARGEBACK_COLUMNS)]


def capacity_until(end: datetime, now: datetime | None = None) -> datetime:
    """Where provisioned capacity stops counting: ``end``, or the start of the current hour
    when ``end`` is still ahead (an hour is charged once it is over)."""
    this_hour = (now or datetime.now(UTC)).replace(minute=0, second=0, microsecond=0)
    return min(end, this_hour)


def tenant_budgets(
    cur: duckdb.DuckDBPyConnection, now: datetime, tenants: tuple[str, ...] | None = None
) -> pd.DataFrame:
    """Month-to-date spend and tokens per tenant, the linear forecast, and the flag; only
    ``tenants``' rows when given."""
    start, end = month_bounds(f"{now.year:04d}-{now.month:02d}")
    frame = run(cur, "tenant_budgets", month_start=start, month_end=end, now=now)
    if tenants is None:
        return frame
    return frame[frame["tenant_id"].isin(tenants)].reset_index(drop=True)


def recent_months(now: datetime, count: int) -> list[str]:
    """``count`` months ending with ``now``'s, newest first, as ``YYYY-MM``."""
    months = []
    year, number = now.year, now.month
    for _ in range(count):
        months.append(f"{year:04d}-{number:02d}")
        year, number = (year, number - 1) if number > 1 else (year - 1, 12)
    return months


def chargeback_months(cur: duckdb.DuckDBPyConnection, month: str, count: int) -> list[str]:
    """The months among the ``count`` ending with ``month`` (``YYYY-MM``) that have calls,
    newest first; ``month`` alone when none has."""
    months = recent_months(month_bounds(month)[0], count)
    start, _ = month_bounds(months[-1])
    _, end = month_bounds(months[0])
    found = run(cur, "months_with_calls", start=start, end=end)["month"].tolist()
    return [str(found_month) for found_month in found] or months[:1]


def ptu_usage(
    cur: duckdb.DuckDBPyConnection,
    month: str,
    now: datetime | None = None,
    tenants: tuple[str, ...] | None = None,
) -> pd.DataFrame:
    """Each provisioned deployment's cost for the month split by tenant, idle hours included
    (up to ``now``'s hour in a month not over); only ``tenants``' rows when given."""
    start, end = month_bounds(month)
    frame = run(cur, "ptu_usage", month_start=start, month_end=capacity_until(end, now))
    if tenants is None:
        return frame
    return frame[frame["tenant_id"].isin(tenants)].reset_index(drop=True)
