"""Plotly figures from query results: units and number formats in one place."""

from __future__ import annotations

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go


def stacked_over_time(frame: pd.DataFrame, value: str, title: str, unit: str) -> go.Figure:
    """A stacked bar chart of ``value`` per bucket, one colour per deployment."""
    figure = px.bar(
        frame,
        x="bucket",
        y=value,
        color="deployment",
        title=title,
        labels={"bucket": "", value: unit, "deployment": "Deployment"},
    )
    figure.update_layout(barmode="stack", legend_title_text="Deployment", margin={"t": 48})
    figure.update_yaxes(tickformat="~s")
    return figure


def format_count(value: float) -> str:
    """12,345 -> '12,345'; 1,234,567 -> '1.23M'."""
    if abs(value) >= 1_000_000:
        return f"{value / 1_000_000:,.2f}M"
    return f"{value:,.0f}"


def format_usd(amount: float) -> str:
    """USD with cents; small amounts keep four decimals so they do not read as $0.00."""
    value = float(amount)
    if value and abs(value) < 1:
        return f"${value:,.4f}"
    return f"${value:,.2f}"


def format_percent(ratio: float) -> str:
    return f"{ratio * 100:.1f}%"
