"""Plotly figures from query results: units and number formats in one place.

Plotly reads tags such as ``<b>`` and ``<a href=...>`` in every label, legend and hover
text, so text from the ledger is passed through ``as_text`` first: ``&``, ``<`` and ``>``
become entities, which Plotly shows as the characters themselves.
"""

from __future__ import annotations

import html
from typing import Final

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

GROUP_LABELS: Final = {
    "deployment": "Deployment",
    "tenant_id": "Tenant",
    "end_user": "End user",
    "filter_action": "Content filter",
    "family": "Deployment family",
}
ACTION_COLORS: Final = {
    "blocked_prompt": "#c0392b",
    "filtered_completion": "#e67e22",
    "annotated": "#95a5a6",
}
SEVERITIES: Final = ("low", "medium", "high", "detected")
# Categories (deployments, tenants, families) take the Okabe-Ito colours, told apart by
# people with the common colour-vision deficiencies; its vermillion is left out, so red
# means an error or a block only (ACTION_COLORS).
CATEGORY_COLORS: Final = [
    "#0072B2", "#E69F00", "#56B4E9", "#009E73", "#CC79A7", "#F0E442", "#999999", "#000000",
]  # fmt: skip


def as_text(frame: pd.DataFrame, *columns: str) -> pd.DataFrame:
    """``frame`` with the text of ``columns`` escaped so Plotly shows it as it is."""
    escaped = frame.copy()
    for column in columns:
        escaped[column] = frame[column].map(
            lambda v: html.escape(v, quote=False) if isinstance(v, str) else v
        )
    return escaped


def group_label(column: str) -> str:
    """The words for a grouping column: tenant_id -> 'Tenant'."""
    return GROUP_LABELS.get(column, column)


def stacked_over_time(
    frame: pd.DataFrame,
    value: str,
    title: str,
    unit: str,
    color: str = "deployment",
    x: str = "bucket",
) -> go.Figure:
    """A stacked bar chart of ``value`` per time bucket, one colour per ``color`` value."""
    label = GROUP_LABELS.get(color, color)
    figure = px.bar(
        as_text(frame, color),
        x=x,
        y=value,
        color=color,
        title=title,
        labels={x: "", value: unit, color: label},
        color_discrete_map=ACTION_COLORS if color == "filter_action" else None,
        color_discrete_sequence=CATEGORY_COLORS,
    )
    figure.update_layout(barmode="stack", legend_title_text=label, margin={"t": 48})
    figure.update_yaxes(tickformat="$~s" if unit == "USD" else "~s")
    return figure


def lines_over_time(
    frame: pd.DataFrame, value: str, title: str, unit: str, color: str = "deployment"
) -> go.Figure:
    """One line per ``color`` value over time buckets."""
    label = GROUP_LABELS.get(color, color)
    figure = px.line(
        as_text(frame, color),
        x="bucket",
        y=value,
        color=color,
        title=title,
        markers=True,
        labels={"bucket": "", value: unit, color: label},
        color_discrete_sequence=CATEGORY_COLORS,
    )
    figure.update_layout(legend_title_text=label, margin={"t": 48})
    return figure


def latency_histogram(frame: pd.DataFrame, max_ms: float) -> go.Figure:
    """Calls per latency bin, one colour per deployment family; the last bin is open-ended."""
    figure = px.bar(
        frame,
        x="bin_ms",
        y="calls",
        color="family",
        color_discrete_sequence=CATEGORY_COLORS,
        title=f"Latency distribution (last bar: {max_ms:,.0f} ms and slower)",
        labels={"bin_ms": "Duration (ms)", "calls": "calls", "family": "Deployment family"},
    )
    figure.update_layout(barmode="stack", bargap=0.05, margin={"t": 48})
    return figure


# The colour of a heat-map cell says how severe its verdicts were, never how many: a
# hundred low annotations stay pale, one high block is dark.
SEVERITY_RANK: Final = {"low": 1, "medium": 2, "high": 3, "detected": 3}
SEVERITY_SCALE: Final = [[0.0, "#fdf0d5"], [0.5, "#f4a261"], [1.0, "#9d0208"]]


def severity_heatmap(frame: pd.DataFrame, title: str) -> go.Figure:
    """Categories (rows) by severity (columns): each cell coloured by its severity and
    labelled with its count of calls; empty where no call had that verdict."""
    cells = as_text(frame, "category", "severity")
    counts: dict[tuple[str, str], int] = {}
    for category, severity, calls in zip(
        cells["category"], cells["severity"], cells["calls"], strict=True
    ):
        counts[(category, severity)] = counts.get((category, severity), 0) + int(calls)
    categories = sorted({category for category, _ in counts})
    # A severity a producer spells otherwise keeps its column, at the lowest colour.
    columns = [*SEVERITIES, *sorted({s for _, s in counts} - set(SEVERITIES))]
    z = [
        [SEVERITY_RANK.get(severity, 1) if (category, severity) in counts else None
         for severity in columns]
        for category in categories
    ]  # fmt: skip
    text = [
        [f"{counts[(category, severity)]:,}" if (category, severity) in counts else ""
         for severity in columns]
        for category in categories
    ]  # fmt: skip
    figure = go.Figure(
        go.Heatmap(
            z=z,
            x=columns,
            y=categories,
            text=text,
            texttemplate="%{text}",
            colorscale=SEVERITY_SCALE,
            zmin=1,
            zmax=3,
            showscale=False,
            hovertemplate="%{y}, %{x}: %{text} calls<extra></extra>",
        )
    )
    figure.update_layout(
        title=title,
        margin={"t": 48},
        xaxis_title="Severity (colour)",
        yaxis_title="Category",
    )
    return figure


def spend_by_tenant(lines: pd.DataFrame, title: str) -> go.Figure:
    """Total cost per tenant (bars), one colour per cost center; chargeback lines add up."""
    figure = px.bar(
        as_text(lines.fillna({"cost_center": "(none)"}), "tenant_name", "cost_center"),
        x="tenant_name",
        y="total_cost_usd",
        color="cost_center",
        color_discrete_sequence=CATEGORY_COLORS,
        title=title,
        labels={"tenant_name": "", "total_cost_usd": "USD", "cost_center": "Cost center"},
    )
    figure.update_layout(barmode="stack", margin={"t": 48})
    figure.update_yaxes(tickprefix="$")
    return figure


def format_count(value: float) -> str:
    """12,345 -> '12,345'; 1,234,567 -> '1.23M'."""
    if abs(value) >= 1_000_000:
        return f"{value / 1_000_000:,.2f}M"
    return f"{value:,.0f}"


def format_usd(amount: float) -> str:
    """USD with cents; small amounts keep four or six decimals so they do not read as $0.00."""
    value = float(amount)
    if value and abs(value) < 0.01:
        return f"${value:,.6f}"
    if value and abs(value) < 1:
        return f"${value:,.4f}"
    return f"${value:,.2f}"


def format_percent(ratio: float) -> str:
    return f"{ratio * 100:.1f}%"


def format_ms(value: float | None) -> str:
    if value is None or pd.isna(value):
        return "n/a"
    if value >= 10_000:
        return f"{value / 1000:,.1f} s"
    return f"{value:,.0f} ms"


# Below this many events in either period a change is shown without colour: 2 against 6
# calls is +200 %, which says little.
MIN_TO_COMPARE: Final = 20
FEW_TO_COMPARE: Final = (
    f"Fewer than {MIN_TO_COMPARE} {{what}} in this period or the one before: the change is "
    "shown without colour, as too few to mean much."
)


def comparable(current: float, previous: float) -> bool:
    """Whether counts of events are large enough for their change to be coloured."""
    return min(float(current), float(previous)) >= MIN_TO_COMPARE


def change(current: float, previous: float) -> str | None:
    """The change against the previous period as a metric delta, None when not comparable."""
    if not previous:
        return None
    return f"{(float(current) - float(previous)) / float(previous) * 100:+.1f}%"
