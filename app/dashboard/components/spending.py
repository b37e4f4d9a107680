"""Spend as the pages show it: pay-as-you-go tokens + provisioned (PTU) capacity = total,
the share of tokens that have a price, and the provisioned deployments that have none."""

from __future__ import annotations

import json
from typing import Final

import pandas as pd
import streamlit as st

from app.dashboard.components.charts import format_percent, format_usd
from app.dashboard.components.verbatim import code

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


def shown(totals: pd.Series, ptu: pd.DataFrame | None) -> tuple[str, str | None, str]:
    """Pay-as-you-go, provisioned capacity (None when the scope cannot carry it) and the
    spend as the page shows them: the spend is the sum of the parts shown (``parts``)."""
    payg = float(totals["payg_cost_usd"])
    if ptu is None:
        return format_usd(payg), None, format_usd(payg)
    return parts(payg, float(ptu.iloc[0]["ptu_cost_usd"]))


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
    return equation(
        float(totals["payg_cost_usd"]), float(row["ptu_cost_usd"]), float(row["idle_cost_usd"])
    )


def parts(payg: float, ptu: float) -> tuple[str, str, str]:
    """Pay-as-you-go, provisioned capacity and their total as shown: both parts rounded
    once, to the total's precision, and the total the sum of the rounded parts, so the line
    adds up as read."""
    whole = abs(float(payg) + float(ptu))
    decimals = 2 if whole >= 1 or whole == 0 else 4 if whole >= 0.01 else 6
    payg_shown, ptu_shown = round(float(payg), decimals), round(float(ptu), decimals)
    total_shown = payg_shown + ptu_shown
    return (
        f"${payg_shown:,.{decimals}f}",
        f"${ptu_shown:,.{decimals}f}",
        f"${total_shown:,.{decimals}f}",
    )


def equation(payg: float, ptu: float, idle: float = 0.0) -> str:
    """``$A pay-as-you-go + $B provisioned capacity = $C total``, with the idle part."""
    payg_text, ptu_text, total_text = parts(payg, ptu)
    idle_part = f" ({format_usd(idle)} of the capacity idle)" if idle else ""
    return (
        f"{payg_text} pay-as-you-go + {ptu_text} provisioned capacity{idle_part} "
        f"= {total_text} total."
    )


def toml_string(value: str) -> str:
    """``value`` as a TOML basic string (JSON's escapes are TOML's)."""
    return json.dumps(value, ensure_ascii=False)


def registry_entry(deployment: str, model: str | None, deployment_type: str) -> str:
    """The deployments.toml lines that give a provisioned deployment its capacity price."""
    return "\n".join(
        [
            "[[deployment]]",
            f"name = {toml_string(deployment)}",
            *([f"model = {toml_string(model)}"] if model else []),
            f"deployment_type = {toml_string(deployment_type)}",
            "ptu = 50                # the deployment's provisioned throughput units",
            "ptu_hourly_usd = 1.0    # your price of one PTU-hour (or reserved_monthly_usd)",
        ]
    )


def unregistered_capacity(frame: pd.DataFrame) -> None:
    """Warn about each provisioned deployment whose capacity has no price, and show the
    deployments.toml lines that give it one (``frame``: unregistered_provisioned)."""
    for row in frame.to_dict("records"):
        name, billed = str(row["deployment"]), str(row["deployment_type"])
        model = None if pd.isna(row["model"]) else str(row["model"])
        where = (
            "is in deployments.toml without a capacity price; give its entry `ptu` and "
            "`ptu_hourly_usd` (or `reserved_monthly_usd`)"
            if row["registered"]
            else "is not in deployments.toml (LENS_DEPLOYMENTS); add it"
        )
        calls, tokens = int(row["calls"]), int(row["tokens"])
        st.warning(
            f"Provisioned deployment {code(name)} ({code(billed)}) {where}. Until then its "
            f"{calls:,} call{'' if calls == 1 else 's'} and {tokens:,} tokens cost nothing on "
            "any page and count as unpriced.",
            icon=":material/warning:",
        )
        st.code(registry_entry(name, model, billed), language="toml")


COVERAGE_HELP: Final = (
    "The share of the tokens that have a price: a per-token price in the price book, or a "
    "provisioned deployment whose capacity is priced in deployments.toml. Unpriced tokens "
    "are in no spend figure (never counted as $0)."
)
CALLS_PAGE: Final = "app_pages/calls.py"


def coverage(coverage_row: pd.Series, link_params: dict[str, str | list[str]]) -> None:
    """The priced share of the tokens as a headline number, and a link to the Calls
    explorer showing the unpriced calls of the same filters (``link_params``)."""
    share = coverage_row["coverage"]
    st.metric(
        "Priced tokens",
        "no tokens" if pd.isna(share) else format_percent(float(share)),
        help=COVERAGE_HELP,
    )
    unpriced = int(coverage_row["unpriced_calls"])
    if unpriced:
        st.page_link(
            CALLS_PAGE,
            label="Unpriced calls",  # the calls with tokens and no price, newest first
            icon=":material/search:",
            query_params={**link_params, "priced": "no"},
        )
