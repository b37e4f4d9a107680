"""Chargeback as CSV: DESIGN section 9 columns, or FOCUS-aligned names.

Amounts in USD with 6 decimals, one header row, UTF-8, no index column. Text cells that a
spreadsheet would run as a formula (starting with = + - @, tab or carriage return) get a
leading apostrophe, so a tenant named ``=HYPERLINK(...)`` stays text.
"""

from __future__ import annotations

from typing import Final

import duckdb
import pandas as pd

from queries.chargeback import chargeback

AMOUNT_COLUMNS: Final = ("payg_cost_usd", "ptu_cost_usd", "total_cost_usd")
PERCENT_COLUMNS: Final = ("quota_utilization_pct", "budget_utilization_pct")
TEXT_COLUMNS: Final = (
    "month", "tenant_id", "tenant_name", "cost_center", "deployment", "model", "deployment_type",
)  # fmt: skip
FORMATS: Final = ("csv", "focus")
_FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")

# FOCUS 1.x column names where one fits; x_ columns are FOCUS's custom-column convention.
FOCUS_NAMES: Final = {
    "month": "BillingPeriodStart",
    "tenant_id": "x_TenantId",
    "tenant_name": "x_TenantName",
    "cost_center": "x_CostCenter",
    "deployment": "ResourceName",
    "model": "x_Model",
    "deployment_type": "SkuId",
    "requests": "x_Requests",
    "input_tokens": "x_InputTokens",
    "cached_input_tokens": "x_CachedInputTokens",
    "output_tokens": "x_OutputTokens",
    "reasoning_tokens": "x_ReasoningTokens",
    "payg_cost_usd": "x_PayAsYouGoCost",
    "ptu_cost_usd": "x_ProvisionedAllocatedCost",
    "total_cost_usd": "EffectiveCost",
    "quota_utilization_pct": "x_QuotaUtilizationPct",
    "budget_utilization_pct": "x_BudgetUtilizationPct",
    "failed_requests": "x_FailedRequests",
}


def neutralise(value: object) -> object:
    """A text cell a spreadsheet would treat as a formula, made plain text."""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def chargeback_csv(frame: pd.DataFrame, fmt: str = "csv") -> str:
    """The chargeback frame as CSV text in format ``csv`` or ``focus``."""
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    out = frame.copy()
    for column in TEXT_COLUMNS:
        out[column] = out[column].map(neutralise)
    for column in AMOUNT_COLUMNS:
        out[column] = out[column].map(lambda v: f"{float(v):.6f}")
    for column in PERCENT_COLUMNS:
        out[column] = out[column].map(lambda v: "" if pd.isna(v) else f"{float(v):.2f}")
    if fmt == "focus":
        out["month"] = out["month"].map(lambda m: f"{m}-01")
        out = out.rename(columns=FOCUS_NAMES)
        out.insert(1, "BilledCost", out["EffectiveCost"])
        out.insert(2, "BillingCurrency", "USD")
        out.insert(3, "ServiceName", "Azure OpenAI")
        out.insert(4, "ChargeCategory", "Usage")
    text: str = out.to_csv(index=False, lineterminator="\n")
    return text


def chargeback_file(
    cur: duckdb.DuckDBPyConnection, month: str, fmt: str, tenants: tuple[str, ...] | None = None
) -> str:
    """The chargeback CSV of ``month``: what the route, the CLI and the page download serve;
    only ``tenants``' rows when given."""
    return chargeback_csv(chargeback(cur, month, tenants=tenants), fmt)
