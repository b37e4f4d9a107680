"""Overview: calls, tokens and errors over time by deployment."""

from __future__ import annotations

import streamlit as st

from app import cache
from app.components import charts, filters, states

chosen = filters.filter_bar()
version = cache.data_version()
totals = cache.overview_totals(chosen.start, chosen.end, version).iloc[0]
period = filters.RANGE_LABELS[chosen.range_key]

if int(totals["calls"]) == 0:
    states.empty_ledger(period)
    st.stop()

if int(totals["demo_calls"]):
    st.caption(
        f":material/science: {int(totals['demo_calls']):,} of these calls are synthetic demo "
        "data (`aoai-lens serve --demo`), not real Azure OpenAI traffic."
    )
spend, calls, tokens, errors, deployments = st.columns(5)
spend.metric(
    "Spend (pay-as-you-go)",
    charts.format_usd(totals["payg_cost_usd"]),
    help="Tokens x the price in force at each call's time; provisioned (PTU) hours not included.",
)
calls.metric("Calls", charts.format_count(totals["calls"]))
tokens.metric(
    "Tokens (input + output)",
    charts.format_count(totals["tokens"]),
)
errors.metric("Error rate", charts.format_percent(totals["error_rate"]))
deployments.metric("Deployments", int(totals["deployments"]))
if int(totals["unpriced_calls"]):
    st.warning(
        f"{int(totals['unpriced_calls']):,} calls with tokens have no price (unknown model or "
        "deployment type); they are not in the spend above, not counted as $0."
    )
if int(totals["unknown_deployment_calls"]):
    st.warning(
        f"{int(totals['unknown_deployment_calls']):,} calls did not say which deployment "
        "served them; they are grouped under 'unknown'."
    )

series = cache.calls_over_time(chosen.start, chosen.end, chosen.bucket, version)
st.plotly_chart(charts.stacked_over_time(series, "calls", "Calls", "calls"))
st.plotly_chart(charts.stacked_over_time(series, "tokens", "Tokens", "tokens"))
st.plotly_chart(charts.stacked_over_time(series, "errors", "Errors", "calls"))
