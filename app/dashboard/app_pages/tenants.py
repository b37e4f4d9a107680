"""Tenants & chargeback: budget and quota burn this month, and the monthly CSV."""

from __future__ import annotations

from datetime import UTC, datetime

import streamlit as st

from app.dashboard import cache, page_actions
from app.dashboard.components import charts, spending, states, tables
from app.dashboard.components.sign_in import current_identity
from app.dashboard.components.verbatim import code
from queries.chargeback import last_full_month, month_bounds
from queries.scope import Scope

now = datetime.now(UTC).replace(second=0, microsecond=0)
version = cache.data_version()
identity = current_identity()
tenants = identity.tenants  # None: every tenant

states.demo_reference_files()
st.subheader("This month")
budgets = cache.tenant_budgets(now, tenants, version)
if budgets.empty:
    states.no_tenants()
else:
    for row in budgets.to_dict("records"):
        name, flag = str(row["tenant_name"]), str(row["flag"])
        if flag in ("over budget", "over quota"):
            st.error(f"{code(name)} is {flag} for {now:%B %Y}.")
        elif flag in ("forecast over", "above 80 %"):
            st.warning(f"{code(name)}: {flag} of its budget or quota for {now:%B %Y}.")
    st.dataframe(
        budgets,
        column_config=tables.BUDGET_COLUMNS,
        column_order=tables.pick_columns(
            tables.BUDGET_COLUMNS, tables.BUDGET_DEFAULT, "budget_columns"
        ),
        hide_index=True,
        placeholder=tables.EMPTY,
    )
    st.caption(
        "Month to date in UTC; the forecast scales month-to-date by the share of the month "
        "elapsed. Provisioned (PTU) hours are allocated by each tenant's share of the capacity."
    )

st.subheader("Chargeback")
months = cache.chargeback_months(f"{now:%Y-%m}", version)  # months with calls, newest first
default = last_full_month(now)
month = st.selectbox(
    "Month",
    months,
    index=months.index(default) if default in months else 0,
    help="The last 12 months that have calls.",
)
fmt = st.radio("Columns", ["csv", "focus"], horizontal=True, format_func=tables.FORMAT_LABELS.get)
lines = cache.chargeback(month, tenants, version)
if lines.empty:
    st.info(f"No calls and no provisioned capacity to charge for {month}.")
else:
    payg_cost, capacity_cost = lines["payg_cost_usd"].sum(), lines["ptu_cost_usd"].sum()
    payg_shown, capacity_shown, total_shown = spending.parts(payg_cost, capacity_cost)
    total_part, payg_part, capacity_part, *_ = st.columns(6)
    total_part.metric(f"Total for {month}", total_shown)
    payg_part.metric("Pay-as-you-go", payg_shown)
    capacity_part.metric("Provisioned (PTU)", capacity_shown)
    st.caption(spending.equation(payg_cost, capacity_cost))
    month_start, month_end = month_bounds(month)
    month_scope = Scope(month_start, month_end, allowed_tenants=tenants)
    spending.unregistered_capacity(cache.unregistered_provisioned(month_scope, version))
    st.plotly_chart(charts.spend_by_tenant(lines, f"Spend by tenant and cost center, {month}"))
    st.dataframe(
        lines,
        column_config=tables.CHARGEBACK_COLUMNS,
        column_order=tables.pick_columns(
            tables.CHARGEBACK_COLUMNS, tables.CHARGEBACK_DEFAULT, "chargeback_columns"
        ),
        hide_index=True,
        placeholder=tables.EMPTY,
    )
export_detail: dict[str, object] = {
    "via": "ui", "month": month, "format": fmt,
    "tenants": list(tenants) if tenants is not None else "all",
}  # fmt: skip
st.download_button(
    "Download chargeback CSV",
    on_click=page_actions.record,
    args=(identity, "export.chargeback", month, export_detail),
    data=cache.chargeback_file(month, fmt, tenants, version),
    file_name=f"chargeback-{month}{'-focus' if fmt == 'focus' else ''}.csv",
    mime="text/csv",
    icon=":material/download:",
)

st.subheader("Provisioned (PTU) capacity")
ptu = cache.ptu_usage(month, tenants, version)
if ptu.empty:
    st.caption(
        "No provisioned deployment is registered. Give a deployment `ptu` and `ptu_hourly_usd` "
        "(or `reserved_monthly_usd`) in deployments.toml to allocate its hours to tenants."
    )
else:
    idle = ptu[ptu["tenant_id"] == "idle capacity"]
    idle_cost = float(idle["ptu_cost_usd"].sum())
    st.metric(
        f"Idle capacity, {month}",
        f"${idle_cost:,.2f}",
        help="Cost of the provisioned capacity no tenant used (each charged hour's unused share).",
    )
    st.dataframe(ptu, column_config=tables.PTU_COLUMNS, hide_index=True, placeholder=tables.EMPTY)
