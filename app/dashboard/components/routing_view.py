"""The Deployments page's routing section: where calls went and what rerouting cost.

Headline shares (failover, spillover, Priority downgrade), the table of calls and spend by
serving region, endpoint or backend, failovers beside 429s over time, and the state shown
when no call in range says anything of its route.
"""

from __future__ import annotations

from typing import Any, Final

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
import streamlit as st

from app.dashboard.components.charts import (
    CATEGORY_COLORS,
    format_count,
    format_percent,
    format_usd,
)
from queries.routing import ROUTING_GROUPS, RoutingGroup

GROUP_CHOICES: Final = {"region": "Serving region", "endpoint": "Endpoint", "backend": "Backend"}
ROUTING_HINT: Final = (
    "No call in this range says where it went. The instrumented client records it when it "
    "has several endpoints (`AZURE_OPENAI_ENDPOINTS`, or `--endpoint` repeated for "
    "`aoai-lens traffic`), asks for a `service_tier`, or sends `x-ms-spillover-deployment`; "
    "behind API Management, name the backend in an `x-aoai-backend` response header. Other "
    'producers send the attributes listed under "Routing" in `docs/attributes.md`; API '
    "Management's gateway log gives the backend."
)
_SERIES: Final = {
    "failovers": "Failed over",
    "throttled": "Throttled (429)",
    "spilled": "Spilled over",
    "downgraded": "Priority downgraded",
}


def has_routing(totals: pd.DataFrame) -> bool:
    """Whether any call in range says anything of its route."""
    return not totals.empty and int(totals.iloc[0]["routed_calls"]) > 0


def no_routing() -> None:
    st.info(ROUTING_HINT)


def _share(row: pd.Series, share: str, count: str, known: str) -> tuple[str, str]:
    """A share as a metric and its help: 'n/a' when no call could say."""
    if not row[known]:
        return "n/a", "No call in range could say."
    value = format_percent(float(row[share]))
    return value, f"{format_count(row[count])} of {format_count(row[known])} calls that say."


def headline(totals: pd.DataFrame) -> None:
    """Failover rate, spillover share and Priority downgrade share."""
    row = totals.iloc[0]
    metrics = (
        ("Failover rate", "failover_rate", "failed_over", "failover_known",
         "Calls an endpoint other than the first in priority order answered, of the calls "
         "whose client recorded its attempts."),
        ("Spillover share", "spillover_share", "spilled", "spillover_known",
         "Calls a standard deployment served for a saturated provisioned one, of the calls "
         "that asked for spillover or used it."),
        ("Priority downgrades", "downgrade_share", "downgraded", "priority_asked",
         "Calls that asked for service_tier priority and were served at default."),
    )  # fmt: skip
    for column, (label, share, count, known, meaning) in zip(
        st.columns(len(metrics)), metrics, strict=True
    ):
        value, said = _share(row, share, count, known)
        column.metric(label, value, help=f"{meaning} {said}")


def extra_cost(extra: pd.DataFrame) -> None:
    """What failover and spillover cost beyond where the calls were meant to go."""
    row = extra.iloc[0]
    served, meant = float(row["served_cost_usd"]), float(row["intended_cost_usd"])
    left, middle, right = st.columns(3)
    left.metric(
        "Extra cost of failover",
        format_usd(float(row["extra_cost_usd"])),
        help="The rerouted calls' tokens priced where they were served, minus the same "
        "tokens at the prices of where they were meant to go (the first endpoint; the "
        "provisioned deployment a call spilled from, which costs nothing per token).",
    )
    middle.metric("Cost where served", format_usd(served))
    right.metric("Cost where meant", format_usd(meant))
    if int(row["unpriced_calls"]):
        st.caption(
            f"{format_count(row['unpriced_calls'])} rerouted calls left out: the place they "
            "were meant for served no priced call in this range, so its prices are unknown."
        )


def choose_group() -> RoutingGroup:
    """Group the table by serving region (the default), endpoint or backend."""
    chosen = st.segmented_control(
        "Group by",
        ROUTING_GROUPS,
        format_func=lambda group: GROUP_CHOICES[group],
        default="region",
        key="routing_group",
    )
    return chosen or "region"


def group_columns(group_by: str) -> dict[str, Any]:
    return {
        group_by: st.column_config.TextColumn(GROUP_CHOICES[group_by], pinned=True),
        "calls": st.column_config.NumberColumn("Calls", format="localized"),
        "failed_over": st.column_config.NumberColumn("Failed over", format="localized"),
        "spilled": st.column_config.NumberColumn("Spilled over", format="localized"),
        "throttled": st.column_config.NumberColumn("Throttled (429)", format="localized"),
        "payg_cost_usd": st.column_config.NumberColumn("Spend (pay-as-you-go)", format="dollar"),
        "share_of_spend": st.column_config.ProgressColumn(
            "Share of spend", format="percent", min_value=0.0, max_value=1.0
        ),
    }


def over_time(frame: pd.DataFrame) -> go.Figure:
    """Failovers beside 429s (and spillovers, downgrades) per time bucket."""
    long = frame.melt(
        id_vars="bucket", value_vars=list(_SERIES), var_name="what", value_name="calls"
    )
    long["what"] = long["what"].map(_SERIES)
    figure = px.line(
        long,
        x="bucket",
        y="calls",
        color="what",
        title="Failovers beside 429s",
        markers=True,
        labels={"bucket": "", "calls": "calls", "what": ""},
        color_discrete_sequence=CATEGORY_COLORS,
    )
    figure.update_layout(margin={"t": 48})
    return figure
