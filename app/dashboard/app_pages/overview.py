"""Overview: spend, tokens, calls, errors and incidents, with the change on the period before."""

from __future__ import annotations

import streamlit as st

from app.dashboard import cache
from app.dashboard.components import charts, filters, spending, states, tables
from queries.overview import GroupBy

version = cache.data_version()
chosen = filters.filter_bar(version)
totals = cache.overview_totals(chosen.scope, version).iloc[0]
before = cache.overview_totals(chosen.before, version).iloc[0]

if int(totals["calls"]) == 0:
    states.empty_ledger(chosen.period, narrowed=chosen.narrowed)
    st.stop()

if int(totals["demo_calls"]):
    st.caption(
        f":material/science: {int(totals['demo_calls']):,} of these calls are synthetic demo "
        "data (`aoai-lens serve --demo` history, or answers of the built-in simulator), not "
        "real Azure OpenAI traffic."
    )
st.caption(f"{chosen.period}; changes are against {chosen.comparison}.")
ptu = cache.ptu_cost_in_scope(chosen.scope, version)
ptu_before = cache.ptu_cost_in_scope(chosen.before, version)
spend_now = spending.total(totals, ptu)
spend_before = spending.total(before, ptu_before)
spend, calls, tokens, errors, filtered, deployments = st.columns(6)
payg_shown, capacity_shown, spend_shown = spending.shown(totals, ptu)
spend.metric(
    "Spend",
    spend_shown,
    charts.change(spend_now, spend_before),
    delta_color="off",
    help=spending.HELP if ptu is not None else spending.HELP_WITHOUT_PTU,
)
calls.metric(
    "Calls", charts.format_count(totals["calls"]), charts.change(totals["calls"], before["calls"])
)
tokens.metric(
    "Tokens (input + output)",
    charts.format_count(totals["tokens"]),
    charts.change(totals["tokens"], before["tokens"]),
)
errors_comparable = charts.comparable(totals["errors"], before["errors"])
errors.metric(
    "Error rate",
    charts.format_percent(totals["error_rate"]),
    charts.change(totals["error_rate"], before["error_rate"]),
    delta_color="inverse" if errors_comparable else "off",
    help=None if errors_comparable else charts.FEW_TO_COMPARE.format(what="failed calls"),
)
filtered_comparable = charts.comparable(totals["filtered_calls"], before["filtered_calls"])
filtered.metric(
    "Filtered-call rate",
    charts.format_percent(totals["filtered_rate"]),
    charts.change(totals["filtered_rate"], before["filtered_rate"]),
    delta_color="inverse" if filtered_comparable else "off",
    help="Prompts blocked and completions filtered by the content filter."
    + ("" if filtered_comparable else " " + charts.FEW_TO_COMPARE.format(what="filtered calls")),
)
deployments.metric("Deployments", int(totals["deployments"]))
payg_part, capacity_part, priced_part, *_ = st.columns(6)  # under Spend, Calls, Tokens
payg_part.metric("Pay-as-you-go", payg_shown)
if capacity_shown is not None:
    capacity_part.metric(
        "Provisioned capacity",
        capacity_shown,
        help="The whole hours so far of the provisioned (PTU) deployments with a capacity "
        "price in deployments.toml; idle hours included when no tenant is chosen.",
    )
with priced_part:
    coverage = cache.pricing_coverage(chosen.scope, version).iloc[0]
    spending.coverage(coverage, filters.params_from_filters(chosen))
if (breakdown := spending.breakdown(totals, ptu)) is not None:
    st.caption(breakdown)
spending.unregistered_capacity(cache.unregistered_provisioned(chosen.scope, version))
unknown_tokens = int(totals["unknown_token_calls"])
if int(totals["unpriced_calls"]) > unknown_tokens:
    st.warning(
        f"{int(totals['unpriced_calls']) - unknown_tokens:,} calls with tokens have no price "
        "(unknown model or deployment type); they are not in the spend above, not counted as $0."
    )
if unknown_tokens:
    st.warning(
        f"{unknown_tokens:,} calls: tokens unknown (their source logged no token counts, as "
        "the Azure OpenAI resource log does not); their cost is not in the spend above, not "
        "counted as $0."
    )
if int(totals["unknown_deployment_calls"]):
    st.warning(
        f"{int(totals['unknown_deployment_calls']):,} calls did not say which deployment "
        "served them; they are grouped under 'unknown'."
    )

if st.toggle("Daily spikes", help="Days whose pay-as-you-go spend or tokens stand out."):
    spikes = cache.daily_spikes(chosen.scope, version)
    st.caption(
        "Each tenant's and deployment's day against the same weekday of the 4 weeks before "
        "(median and MAD); a spike scores 5 or more. Tenant and deployment filters apply."
    )
    if spikes.empty:
        st.info("No spike in this period.")
    else:
        linked = tables.with_spike_links(spikes)
        st.dataframe(
            linked, column_config=tables.SPIKE_COLUMNS, hide_index=True, placeholder=tables.EMPTY
        )

stack_options: list[GroupBy] = ["deployment", "tenant_id"]
group_by: GroupBy = (
    st.segmented_control(
        "Stack by",
        stack_options,
        default="deployment",
        required=True,
        format_func=charts.group_label,
    )
    or "deployment"
)
spend_series = cache.spend_over_time(chosen.scope, group_by, version)
st.plotly_chart(
    charts.stacked_over_time(spend_series, "payg_cost_usd", "Spend per day", "USD", group_by, "day")
)
usage = cache.usage_over_time(chosen.scope, chosen.bucket, group_by, version)
st.plotly_chart(charts.stacked_over_time(usage, "tokens", "Tokens", "tokens", group_by))
st.plotly_chart(charts.stacked_over_time(usage, "calls", "Calls", "calls", group_by))
st.plotly_chart(charts.stacked_over_time(usage, "errors", "Errors", "calls", group_by))

tops: list[tuple[str, GroupBy]] = [("Top tenants", "tenant_id"), ("Top deployments", "deployment")]
for column, (title, group) in zip(st.columns(2), tops, strict=True):
    with column:
        st.subheader(title)
        top = cache.spend_by_group(chosen.scope, group, version).head(10)
        st.dataframe(
            tables.with_links(top, group, "deployments", filters.URL_KEY_OF_COLUMN[group]),
            column_config=tables.SPEND_BY_COLUMNS,
            hide_index=True,
            placeholder=tables.EMPTY,
        )
