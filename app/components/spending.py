"""Spend as the Overview shows it: pay-as-you-go tokens plus provisioned (PTU) capacity."""

from __future__ import annotations

from typing import Final

import pandas as pd

from app.components.charts import format_usd

HELP: Final = (
    "Pay-as-you-go tokens x the price in force at each call's time, plus the provisioned "
    "(PTU) capacity of the whole hours so far: each hour's cost goes to the tenants by their "
    "share of its tokens, and hours nobody used count as idle capacity (only when no tenant "
    "is chosen)."
)
HELP_WITHOUT_PTU: Final = (
    "Pay-as-you-go tokens x the price in force at each call's time. Provisioned (PTU) "
    "capacity is not included: it is priced per deployment and split by tenant, not by "
    "model, deployment type or service; clear those filters to include it."
)


def total(totals: pd.Series, ptu: pd.DataFrame | None) -> float:
    """Pay-as-you-go spend plus the capacity cost (when the scope can carry it)."""
    payg = float(totals["payg_cost_usd"])
    return payg if ptu is None else payg + float(ptu.iloc[0]["ptu_cost_usd"])


def breakdown(totals: pd.Series, ptu: pd.DataFrame | None) -> str | None:
    """The spend's two parts in one line, when there is capacity in the scope."""
    if ptu is None:
        return (
            "Pay-as-you-go only: provisioned (PTU) capacity is not split by model, "
            "deployment type or service."
        )
    row = ptu.iloc[0]
    if not int(row["provisioned"]):
        return None
    idle = float(row["idle_cost_usd"])
    idle_part = f", {format_usd(idle)} of it idle" if idle else ""
    return (
        f"{format_usd(float(totals['payg_cost_usd']))} pay-as-you-go + "
        f"{format_usd(float(row['ptu_cost_usd']))} provisioned capacity{idle_part}."
    )
