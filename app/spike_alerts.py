"""Daily spikes as alerts: a tenant's or deployment's day whose pay-as-you-go spend or
tokens are a spike against the same weekday of the 4 weeks before (``queries.anomalies``)
fires once per day per scope, through the budget alerts' log and webhooks.

A spike fills the generic webhook body (DESIGN section 9) this way (decision 0015):
``scope_kind`` ``tenant_spike`` or ``deployment_spike``; ``month`` the day's month;
``spend_usd`` the day's spend; ``budget_usd`` the usual spend (the baseline median);
``threshold_pct`` the day's value as a % of the usual one, of the metric that spiked (spend,
else tokens); ``forecast_usd`` the day's spend projected to the whole day (a past day: its
spend). The log's ``rule`` is ``spike YYYY-MM-DD``: the day, so a scope fires once a day.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from datetime import time as day_start
from typing import Any, Final

import duckdb

from queries.anomalies import MIN_SCORE, daily_spikes
from queries.scope import Scope

SPIKE_KINDS: Final = {"tenant": "tenant_spike", "deployment": "deployment_spike"}
FLOORS: Final = {"spend_usd": 0.01, "tokens": 1000.0}  # the score's floors (daily_spikes.sql)
DAYS_CHECKED: Final = 2  # yesterday (it may have become a spike late) and today so far


def spike_rule(day: Any) -> str:
    return f"spike {day:%Y-%m-%d}"


def due_spikes(
    cur: duckdb.DuckDBPyConnection,
    now: datetime,
    fired: set[tuple[str, str, str]],
    min_score: float = MIN_SCORE,
) -> list[dict[str, Any]]:
    """The spikes of yesterday and today not yet fired (``fired``: (scope_kind, scope,
    rule) keys), as the fields of an alert: one per scope and day."""
    today = datetime.combine(now.date(), day_start(), UTC)
    start = today - timedelta(days=DAYS_CHECKED - 1)
    days = daily_spikes(cur, Scope(start, now), min_score, only_spikes=False)
    rows: dict[tuple[Any, Any, Any], dict[Any, dict[Any, Any]]] = {}
    for row in days.to_dict("records"):
        rows.setdefault((row["scope_kind"], row["scope"], row["day"]), {})[row["metric"]] = row
    due: list[dict[str, Any]] = []
    for (kind, scope, day), metrics in sorted(rows.items(), key=lambda item: str(item[0])):
        spiked = [m for m in ("spend_usd", "tokens") if m in metrics and metrics[m]["spike"]]
        key = (SPIKE_KINDS[str(kind)], str(scope), spike_rule(day))
        if not spiked or key in fired:
            continue
        metric = metrics[spiked[0]]
        usual = max(float(metric["baseline_median"]), FLOORS[spiked[0]])
        spend = metrics.get("spend_usd", {})
        spent = float(spend.get("value", 0.0))
        elapsed = (now - today).total_seconds() if day == now.date() else 86400.0
        due.append(
            {
                "scope_kind": key[0],
                "scope": key[1],
                "month": f"{day:%Y-%m}",
                "rule": key[2],
                "threshold_pct": round(100.0 * float(metric["value"]) / usual, 1),
                "spend_usd": round(spent, 6),
                "budget_usd": round(float(spend.get("baseline_median", 0.0)), 2),
                "forecast_usd": round(spent * 86400.0 / max(elapsed, 3600.0), 6),
            }
        )
    return due
