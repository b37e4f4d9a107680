"""Content safety: content-filter incidents, their categories and severities, and their cost."""

from __future__ import annotations

import streamlit as st

from app.dashboard import cache
from app.dashboard.components import charts, filters, states, tables
from queries.safety import IncidentsBy

INCIDENT_LIMIT = 200

version = cache.data_version()
chosen = filters.filter_bar(version)
totals = cache.safety_totals(chosen.scope, version).iloc[0]

if int(totals["calls"]) == 0:
    states.empty_ledger(chosen.period, narrowed=chosen.narrowed)
    st.stop()
if int(totals["incidents"]) + int(totals["annotated"]) == 0:
    states.no_incidents(chosen.period)
    st.stop()

incidents, blocked, filtered, annotated, rate, cost = st.columns(6)
incidents.metric("Incidents", f"{int(totals['incidents']):,}")
blocked.metric(
    "Blocked prompts",
    f"{int(totals['blocked_prompts']):,}",
    help="HTTP 400 content_filter: the prompt never reached the model.",
)
filtered.metric(
    "Filtered completions",
    f"{int(totals['filtered_completions']):,}",
    help="finish_reason content_filter: the answer was cut or withheld.",
)
annotated.metric(
    "Annotated only",
    f"{int(totals['annotated']):,}",
    help="Passed, with a category detected at a severity below the filter's threshold.",
)
rate.metric("Incident rate", charts.format_percent(totals["incident_rate"]))
cost.metric(
    "Cost of incidents",
    charts.format_usd(totals["incident_cost_usd"]),
    help="Pay-as-you-go cost of the calls whose prompt was blocked or completion filtered.",
)

over_time = cache.safety_over_time(chosen.scope, chosen.bucket, version)
st.plotly_chart(
    charts.stacked_over_time(over_time, "calls", "Content-filter actions", "calls", "filter_action")
)

heatmap = cache.safety_heatmap(chosen.scope, version)
prompt_side, completion_side = st.columns(2)
for target, column in (("prompt", prompt_side), ("completion", completion_side)):
    cells = heatmap[heatmap["target"] == target]
    with column:
        if cells.empty:
            st.caption(f"No {target} verdict detected anything.")
        else:
            title = f"{target.capitalize()}s: calls by category and severity"
            st.plotly_chart(charts.severity_heatmap(cells, title))

st.subheader("Verdicts by category")
every_category = cache.safety_by_category(chosen.scope, (), version)
picked = st.multiselect(
    "Categories",
    sorted(every_category["category"].unique()),
    placeholder="All categories",
    help="Guardrails as Azure names them: harms, prompt shields (jailbreak, indirect_attack), "
    "protected material, ungrounded_material, personal data, task_adherence, blocklists.",
)
by_category = (
    cache.safety_by_category(chosen.scope, tuple(picked), version) if picked else every_category
)
st.dataframe(
    by_category,
    column_config=tables.SAFETY_BY_CATEGORY_COLUMNS,
    hide_index=True,
    placeholder=tables.EMPTY,
)

group_options: list[IncidentsBy] = ["tenant_id", "deployment", "end_user"]
group_by: IncidentsBy = (
    st.segmented_control(
        "Incidents by",
        group_options,
        default="tenant_id",
        required=True,
        format_func=charts.group_label,
    )
    or "tenant_id"
)
by_group = cache.safety_by_group(chosen.scope, group_by, version)
st.dataframe(
    by_group, column_config=tables.SAFETY_BY_COLUMNS, hide_index=True, placeholder=tables.EMPTY
)

st.subheader("Incidents")
latest = cache.safety_incidents(chosen.scope, INCIDENT_LIMIT, version)
if latest.empty:
    st.caption("No prompt was blocked and no completion filtered; the verdicts were annotations.")
else:
    st.caption(f"Newest first (at most {INCIDENT_LIMIT}); open one to see the call.")
    st.dataframe(
        tables.with_call_links(latest),
        column_config=tables.INCIDENT_COLUMNS,
        hide_index=True,
        placeholder=tables.EMPTY,
    )
