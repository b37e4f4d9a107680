"""Alerts (admin, finops): each budget's spend and forecast this month, the budget alerts
fired, and whether each webhook got them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import streamlit as st

from app.dashboard import cache
from app.dashboard.components import tables

STATUSES = ["delivered", "failed", "pending", "superseded", "logged"]

days = st.sidebar.selectbox("Last", [7, 30, 90, 365], index=1, format_func=lambda d: f"{d} days")
chosen = st.sidebar.multiselect("Delivery", STATUSES, placeholder="All")
end = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(minutes=1)
version = cache.data_version()
budgets = cache.budget_spend(end, version)  # to the next whole minute
if not budgets.empty:
    st.subheader("Budgets this month")
    st.dataframe(
        budgets,
        column_config=tables.BUDGET_SPEND_COLUMNS,
        hide_index=True,
        placeholder=tables.EMPTY,
    )
    st.subheader("Alerts fired")
entries = cache.alert_entries(end - timedelta(days=days), end, tuple(chosen), version)
if entries.empty:
    st.info(
        f"No budget alert in the last {days} days" + (" with that delivery." if chosen else ".")
    )
    st.caption(
        "Budgets: monthly_budget_usd of a tenant or a [[cost_center]] in tenants.toml, or of "
        "a deployment in deployments.toml. Webhooks: LENS_ALERT_WEBHOOKS. See the README's "
        "Budgets and alerts."
    )
    st.stop()
totals = cache.alert_totals(end - timedelta(days=days), end, version).iloc[0]
left, middle, right = st.columns(3)
left.metric("Alerts fired", f"{int(totals['fired']):,}")
middle.metric("Delivered", f"{int(totals['delivered']):,}")
right.metric("Failed deliveries", f"{int(totals['failed']):,}")
st.caption(
    "One row per alert and webhook, newest first. 'superseded': a lower threshold crossed in "
    "the same check as a higher one, logged and not sent; 'logged': no webhook was set. A "
    "spike (tenant_spike, deployment_spike) links to its day's calls."
)
st.dataframe(
    tables.with_alert_links(entries),
    column_config=tables.ALERT_COLUMNS,
    column_order=tables.pick_columns(tables.ALERT_COLUMNS, tables.ALERT_DEFAULT, "alert_columns"),
    hide_index=True,
    placeholder=tables.EMPTY,
)
