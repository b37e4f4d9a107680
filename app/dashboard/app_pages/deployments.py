"""Deployments: latency, time to first token, speed, throttling and quota per deployment."""

from __future__ import annotations

import streamlit as st

from app.dashboard import cache
from app.dashboard.components import charts, filters, routing_view, spending, states, tables
from queries.costs import carries_capacity
from queries.deployments import latency_bins

version = cache.data_version()
chosen = filters.filter_bar(version)
stats = cache.deployment_stats(chosen.scope, version)

if stats.empty:
    states.empty_ledger(chosen.period, narrowed=chosen.narrowed)
    st.stop()

st.caption(
    f"{chosen.period}. Latency is each call's duration; throttled calls are HTTP 429 answers; "
    "peak tokens per minute is the busiest minute, against the `tpm` quota in deployments.toml."
)
families = list(dict.fromkeys(stats["family"]))
for family, column in zip(families, st.columns(len(families)), strict=True):
    group = stats[stats["family"] == family]
    column.metric(
        f"{family.capitalize()} deployments",
        len(group),
        help="Provisioned (PTU), global, data zone, standard or batch.",
    )
st.dataframe(
    stats,
    column_config=tables.DEPLOYMENT_COLUMNS,
    column_order=tables.pick_columns(
        tables.DEPLOYMENT_COLUMNS, tables.DEPLOYMENT_DEFAULT, "deployment_columns"
    ),
    hide_index=True,
    placeholder=tables.EMPTY,
)
if stats["tpm_quota"].isna().all():
    st.caption(
        "Add `tpm = <tokens per minute>` to a deployment in deployments.toml to compare its "
        "peak against its quota."
    )

st.subheader("Cost")
costs = cache.deployment_costs(chosen.scope, version)
payg_cost, capacity_cost = costs["payg_cost_usd"].sum(), costs["ptu_cost_usd"].sum()
payg_shown, capacity_shown, total_shown = spending.parts(payg_cost, capacity_cost)
with_capacity = carries_capacity(chosen.scope)  # not split by model, type or service
payg_part, capacity_part, total_part, priced_part, *_ = st.columns(6)
payg_part.metric("Pay-as-you-go", payg_shown)
if with_capacity:
    capacity_part.metric("Provisioned capacity", capacity_shown)
else:
    capacity_part.metric("Provisioned capacity", "not included", help=spending.HELP_WITHOUT_PTU)
total_part.metric("Total", total_shown, help=spending.HELP)
with priced_part:
    coverage = cache.pricing_coverage(chosen.scope, version).iloc[0]
    spending.coverage(coverage, filters.params_from_filters(chosen))
if with_capacity:
    st.caption(spending.equation(payg_cost, capacity_cost))
else:
    st.caption(spending.HELP_WITHOUT_PTU)
spending.unregistered_capacity(cache.unregistered_provisioned(chosen.scope, version))
st.dataframe(
    costs, column_config=tables.DEPLOYMENT_COST_COLUMNS, hide_index=True, placeholder=tables.EMPTY
)

ptu_hours = cache.ptu_hours(chosen.scope, version)
utilization = cache.ptu_utilization(chosen.scope, version)
if not ptu_hours.empty or not utilization.empty:
    st.subheader("Provisioned (PTU) utilisation")
if not ptu_hours.empty:
    st.caption(
        "Each charged hour of a provisioned deployment: its tokens (uncached input + output "
        "x the model's output ratio) against what its PTUs can serve (Microsoft's published "
        "input tokens per minute per PTU x 60). Tenants pay their share of that capacity; the "
        "rest is idle capacity. Hours before the deployment's first call, or before its "
        "`since` in deployments.toml, are not charged."
    )
    unsized = sorted(set(ptu_hours[ptu_hours["utilization"].isna()]["deployment"]))
    if unsized:
        st.caption(
            "No published PTU figures for the model of "
            + ", ".join(unsized)
            + ": its hours with calls are split by share of tokens."
        )
    st.dataframe(
        ptu_hours, column_config=tables.PTU_HOUR_COLUMNS, hide_index=True, placeholder=tables.EMPTY
    )
if not utilization.empty:
    st.caption(
        "Azure's own measure of each provisioned deployment's capacity in use (Azure Monitor "
        "metric AzureOpenAIProvisionedManagedUtilizationV2, per hour), beside the lens's "
        "utilisation of the same hours (as above) and its capacity used: the tokens its "
        "sources saw against the `tpm` quota. A lens figure far below Azure's says traffic "
        "reaches the deployment that no source reports."
    )
    st.dataframe(
        utilization,
        column_config=tables.PTU_UTILIZATION_COLUMNS,
        hide_index=True,
        placeholder=tables.EMPTY,
    )

bin_ms, max_ms = latency_bins(stats)
histogram = cache.latency_histogram(chosen.scope, bin_ms, max_ms, version)
st.plotly_chart(charts.latency_histogram(histogram, max_ms))
over_time = cache.latency_over_time(chosen.scope, chosen.bucket, version)
st.plotly_chart(charts.lines_over_time(over_time, "p95_ms", "p95 latency over time", "ms"))

st.subheader("Routing")
routing = cache.routing_totals(chosen.scope, version)
if not routing_view.has_routing(routing):
    routing_view.no_routing()
    st.stop()
routing_view.headline(routing)
rerouted = cache.routing_over_time(chosen.scope, chosen.bucket, version)
st.plotly_chart(routing_view.over_time(rerouted))
if st.toggle("Spend by route and the extra cost of failover", key="routing_spend"):
    group_by = routing_view.choose_group()
    by_group = cache.routing_by_group(chosen.scope, group_by, version)
    st.dataframe(
        by_group,
        column_config=routing_view.group_columns(group_by),
        hide_index=True,
        placeholder=tables.EMPTY,
    )
    routing_view.extra_cost(cache.failover_extra_cost(chosen.scope, version))
