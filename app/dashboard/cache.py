"""Cached query functions for pages, keyed on the scope and the data version.

The data version is the ledger's last ingest time, so new data shows on the next
rerun while unchanged data is served from cache.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd
import pyarrow as pa
import streamlit as st

from app import advisor, exports
from app import what_if as repricing
from app.dashboard import db
from queries import advisor as queries_advisor
from queries import alerts as queries_alerts
from queries import anomalies, costs, deployments, overview, routing, safety, usage
from queries import calls as queries_calls
from queries import chargeback as queries_chargeback
from queries.calls import CallSearch
from queries.overview import GroupBy
from queries.routing import RoutingGroup
from queries.safety import IncidentsBy
from queries.scope import Scope


def data_version() -> str:
    """Changes when calls arrive, and for another store (file, or the same file reopened
    with other reference data)."""
    store = db.get_store()
    health = store.health()
    return f"{store.path}:{id(store)}:{health.calls}:{health.last_ingest}"


@st.cache_data(ttl=300, max_entries=32, show_spinner=False)
def filter_options(start: datetime, end: datetime, version: str) -> dict[str, list[str]]:
    return overview.filter_options(db.cursor(), start, end)


@st.cache_data(ttl=300, max_entries=16, show_spinner=False)
def usage_in_scope(scope: Scope, version: str) -> pa.Table:
    """The scope's priced usage, read once for all the sums of a page (queries/usage.py)."""
    return usage.usage_in_scope(db.cursor(), scope)


@st.cache_data(ttl=300, max_entries=64, show_spinner=False)
def overview_totals(scope: Scope, version: str) -> pd.DataFrame:
    return overview.overview_totals(db.cursor(), usage_in_scope(scope, version))


@st.cache_data(ttl=300, max_entries=64, show_spinner=False)
def ptu_cost_in_scope(scope: Scope, version: str) -> pd.DataFrame | None:
    return overview.ptu_cost_in_scope(db.cursor(), scope, datetime.now(UTC))


@st.cache_data(ttl=300, max_entries=64, show_spinner=False)
def usage_over_time(
    scope: Scope, bucket: timedelta, group_by: GroupBy, version: str
) -> pd.DataFrame:
    return overview.usage_over_time(db.cursor(), usage_in_scope(scope, version), bucket, group_by)


@st.cache_data(ttl=300, max_entries=64, show_spinner=False)
def spend_over_time(scope: Scope, group_by: GroupBy, version: str) -> pd.DataFrame:
    return overview.spend_over_time(db.cursor(), usage_in_scope(scope, version), group_by)


@st.cache_data(ttl=300, max_entries=64, show_spinner=False)
def spend_by_group(scope: Scope, group_by: GroupBy, version: str) -> pd.DataFrame:
    return overview.spend_by_group(db.cursor(), usage_in_scope(scope, version), group_by)


@st.cache_data(ttl=300, max_entries=64, show_spinner=False)
def deployment_stats(scope: Scope, version: str) -> pd.DataFrame:
    return deployments.deployment_stats(db.cursor(), scope)


@st.cache_data(ttl=300, max_entries=64, show_spinner=False)
def ptu_utilization(scope: Scope, version: str) -> pd.DataFrame:
    return deployments.ptu_utilization(db.cursor(), scope)


@st.cache_data(ttl=300, max_entries=64, show_spinner=False)
def capacity_in_scope(scope: Scope, version: str) -> pa.Table:
    """The scope's provisioned capacity per hour and tenant, read once for the cost per
    deployment and the charged hours."""
    return costs.capacity_in_scope(db.cursor(), scope, datetime.now(UTC))


@st.cache_data(ttl=300, max_entries=64, show_spinner=False)
def ptu_hours(scope: Scope, version: str) -> pd.DataFrame:
    capacity = capacity_in_scope(scope, version)
    return deployments.ptu_hours(db.cursor(), scope, datetime.now(UTC), capacity)


@st.cache_data(ttl=300, max_entries=64, show_spinner=False)
def latency_histogram(scope: Scope, bin_ms: float, max_ms: float, version: str) -> pd.DataFrame:
    return deployments.latency_histogram(db.cursor(), scope, bin_ms, max_ms)


@st.cache_data(ttl=300, max_entries=64, show_spinner=False)
def latency_over_time(scope: Scope, bucket: timedelta, version: str) -> pd.DataFrame:
    return deployments.latency_over_time(db.cursor(), scope, bucket)


@st.cache_data(ttl=300, max_entries=64, show_spinner=False)
def safety_totals(scope: Scope, version: str) -> pd.DataFrame:
    return safety.safety_totals(db.cursor(), usage_in_scope(scope, version))


@st.cache_data(ttl=300, max_entries=64, show_spinner=False)
def safety_over_time(scope: Scope, bucket: timedelta, version: str) -> pd.DataFrame:
    return safety.safety_over_time(db.cursor(), usage_in_scope(scope, version), bucket)


@st.cache_data(ttl=300, max_entries=64, show_spinner=False)
def safety_heatmap(scope: Scope, version: str) -> pd.DataFrame:
    return safety.safety_heatmap(db.cursor(), scope)


@st.cache_data(ttl=300, max_entries=64, show_spinner=False)
def safety_by_category(scope: Scope, categories: tuple[str, ...], version: str) -> pd.DataFrame:
    return safety.safety_by_category(db.cursor(), scope, categories)


@st.cache_data(ttl=300, max_entries=64, show_spinner=False)
def safety_by_group(scope: Scope, group_by: IncidentsBy, version: str) -> pd.DataFrame:
    if group_by == "end_user":
        return safety.safety_by_end_user(db.cursor(), scope)
    return safety.safety_by_group(db.cursor(), usage_in_scope(scope, version), group_by)


@st.cache_data(ttl=300, max_entries=64, show_spinner=False)
def safety_incidents(scope: Scope, limit: int, version: str) -> pd.DataFrame:
    return safety.safety_incidents(db.cursor(), scope, limit)


@st.cache_data(ttl=60, max_entries=64, show_spinner=False)
def calls_search(scope: Scope, search: CallSearch, limit: int, version: str) -> pd.DataFrame:
    return queries_calls.calls_search(db.cursor(), scope, search, limit)


def call_detail(call_id: str, tenants: tuple[str, ...] | None) -> dict[str, Any] | None:
    """Not cached: one indexed lookup, and a call's row never changes once written."""
    return queries_calls.call_detail(db.cursor(), call_id, tenants)


def call_filter_results(call_id: str, start: datetime) -> pd.DataFrame:
    return queries_calls.call_filter_results(db.cursor(), call_id, start)


def call_cost(call_id: str, start: datetime) -> pd.DataFrame:
    return queries_calls.call_cost(db.cursor(), call_id, start)


@st.cache_data(ttl=300, max_entries=8, show_spinner=False)
def chargeback_months(this_month: str, version: str) -> list[str]:
    """The 12 months up to ``this_month`` that have calls."""
    return queries_chargeback.chargeback_months(db.cursor(), this_month, 12)


@st.cache_data(ttl=300, max_entries=32, show_spinner=False)
def chargeback(month: str, tenants: tuple[str, ...] | None, version: str) -> pd.DataFrame:
    return queries_chargeback.chargeback(db.cursor(), month, tenants=tenants)


@st.cache_data(ttl=300, max_entries=32, show_spinner=False)
def chargeback_file(month: str, fmt: str, tenants: tuple[str, ...] | None, version: str) -> str:
    return exports.chargeback_file(db.cursor(), month, fmt, tenants)


@st.cache_data(ttl=300, max_entries=16, show_spinner=False)
def tenant_budgets(now: datetime, tenants: tuple[str, ...] | None, version: str) -> pd.DataFrame:
    return queries_chargeback.tenant_budgets(db.cursor(), now, tenants)


@st.cache_data(ttl=300, max_entries=16, show_spinner=False)
def ptu_usage(month: str, tenants: tuple[str, ...] | None, version: str) -> pd.DataFrame:
    return queries_chargeback.ptu_usage(db.cursor(), month, tenants=tenants)


@st.cache_data(ttl=30, max_entries=16, show_spinner=False)
def alert_entries(
    start: datetime, end: datetime, statuses: tuple[str, ...], version: str
) -> pd.DataFrame:
    """The alert log changes without new calls: cached briefly whatever the data version."""
    return queries_alerts.alert_entries(db.cursor(), start, end, list(statuses))


@st.cache_data(ttl=30, max_entries=16, show_spinner=False)
def alert_totals(start: datetime, end: datetime, version: str) -> pd.DataFrame:
    return queries_alerts.alert_totals(db.cursor(), start, end)


@st.cache_data(ttl=300, max_entries=16, show_spinner=False)
def daily_spikes(scope: Scope, version: str) -> pd.DataFrame:
    return anomalies.daily_spikes(db.cursor(), scope)


@st.cache_data(ttl=60, max_entries=8, show_spinner=False)
def budget_spend(now: datetime, version: str) -> pd.DataFrame:
    """Spend, forecast and budget this month of every scope with a budget."""
    start, end = queries_chargeback.month_bounds(f"{now:%Y-%m}")
    return queries_alerts.budget_spend(db.cursor(), start, end, now)


@st.cache_data(ttl=300, max_entries=64, show_spinner=False)
def routing_totals(scope: Scope, version: str) -> pd.DataFrame:
    return routing.routing_totals(db.cursor(), scope)


@st.cache_data(ttl=300, max_entries=64, show_spinner=False)
def routing_by_group(scope: Scope, group_by: RoutingGroup, version: str) -> pd.DataFrame:
    return routing.routing_by_group(db.cursor(), scope, group_by)


@st.cache_data(ttl=300, max_entries=64, show_spinner=False)
def routing_over_time(scope: Scope, bucket: timedelta, version: str) -> pd.DataFrame:
    return routing.routing_over_time(db.cursor(), scope, bucket)


@st.cache_data(ttl=300, max_entries=64, show_spinner=False)
def failover_extra_cost(scope: Scope, version: str) -> pd.DataFrame:
    return routing.failover_extra_cost(db.cursor(), scope)


@st.cache_data(ttl=300, max_entries=8, show_spinner=False)
def advice(end: datetime, days: int, version: str) -> dict[str, Any]:
    """The savings advisor's report on the last ``days`` days to ``end``, as JSON."""
    return advisor.advise(db.cursor(), timedelta(days=days), end).as_dict()


@st.cache_data(ttl=300, max_entries=32, show_spinner=False)
def what_if(
    end: datetime,
    days: int,
    tenants: tuple[str, ...],
    deployments: tuple[str, ...],
    target_model: str | None,
    target_type: str | None,
    version: str,
) -> dict[str, Any]:
    return repricing.what_if(
        db.cursor(), days, tenants=list(tenants), deployments=list(deployments),
        target_model=target_model, target_type=target_type, now=end,
    ).as_dict()  # fmt: skip


@st.cache_data(ttl=300, max_entries=4, show_spinner=False)
def repricing_targets(version: str) -> dict[str, list[str]]:
    frame = queries_advisor.repricing_targets(db.cursor())
    return {
        kind: [str(v) for v in frame.loc[frame["kind"] == kind, "value"]]
        for kind in ("model", "deployment_type")
    }


@st.cache_data(ttl=300, max_entries=64, show_spinner=False)
def pricing_coverage(scope: Scope, version: str) -> pd.DataFrame:
    return costs.pricing_coverage(db.cursor(), usage_in_scope(scope, version))


@st.cache_data(ttl=300, max_entries=64, show_spinner=False)
def unregistered_provisioned(scope: Scope, version: str) -> pd.DataFrame:
    return costs.unregistered_provisioned(db.cursor(), usage_in_scope(scope, version))


@st.cache_data(ttl=300, max_entries=64, show_spinner=False)
def deployment_costs(scope: Scope, version: str) -> pd.DataFrame:
    usage = usage_in_scope(scope, version)
    capacity = capacity_in_scope(scope, version)
    return costs.deployment_costs(db.cursor(), scope, usage, datetime.now(UTC), capacity)
