"""Budgets and alerts: spend against each monthly budget, and the alert log."""

from __future__ import annotations

from datetime import datetime

import duckdb
import pandas as pd

from queries import execute, run


def budget_spend(
    cur: duckdb.DuckDBPyConnection, month_start: datetime, month_end: datetime, now: datetime
) -> pd.DataFrame:
    """Month-to-date spend, linear forecast and budget of every tenant, cost center and
    deployment with a monthly budget."""
    return run(cur, "budget_spend", month_start=month_start, month_end=month_end, now=now)


def alerts_fired(cur: duckdb.DuckDBPyConnection, month: str) -> pd.DataFrame:
    """The (scope_kind, scope, rule, threshold_pct) keys already fired in ``month``."""
    return run(cur, "alerts_fired", month=month)


def alerts_to_redeliver(
    cur: duckdb.DuckDBPyConnection, month: str, max_attempts: int
) -> pd.DataFrame:
    """Deliveries of ``month`` to send again: failed ones with attempts left, and ones a
    stopped process left pending."""
    return run(cur, "alerts_to_redeliver", month=month, max_attempts=max_attempts)


def insert_alert(
    cur: duckdb.DuckDBPyConnection,
    *,
    scope_kind: str,
    scope: str,
    month: str,
    rule: str,
    threshold_pct: float,
    spend_usd: float,
    budget_usd: float,
    forecast_usd: float,
    fired_at: datetime,
    webhook_index: int,
    webhook: str,
    status: str,
) -> None:
    """Log one alert for one webhook; a row already there for the key is kept as it is."""
    execute(
        cur, "insert_alert", scope_kind=scope_kind, scope=scope, month=month, rule=rule,
        threshold_pct=threshold_pct, spend_usd=spend_usd, budget_usd=budget_usd,
        forecast_usd=forecast_usd, fired_at=fired_at, webhook_index=webhook_index,
        webhook=webhook, status=status,
    )  # fmt: skip


def record_alert_delivery(
    cur: duckdb.DuckDBPyConnection,
    *,
    scope_kind: str,
    scope: str,
    month: str,
    rule: str,
    threshold_pct: float,
    webhook_index: int,
    status: str,
    attempts: int,
    last_error: str | None,
    delivered_at: datetime | None,
) -> None:
    """The outcome of delivering one logged alert to one webhook."""
    execute(
        cur, "record_alert_delivery", scope_kind=scope_kind, scope=scope, month=month,
        rule=rule, threshold_pct=threshold_pct, webhook_index=webhook_index, status=status,
        attempts=attempts, last_error=last_error, delivered_at=delivered_at,
    )  # fmt: skip


def alert_entries(
    cur: duckdb.DuckDBPyConnection, start: datetime, end: datetime, statuses: list[str]
) -> pd.DataFrame:
    """Fired alerts x webhooks in [start, end), newest first; only ``statuses`` unless empty."""
    return run(cur, "alert_entries", start=start, end=end, statuses=statuses)


def alert_totals(cur: duckdb.DuckDBPyConnection, start: datetime, end: datetime) -> pd.DataFrame:
    """Alerts fired in [start, end) (superseded ones not counted), deliveries and failures."""
    return run(cur, "alert_totals", start=start, end=end)
