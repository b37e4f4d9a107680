"""Chargeback as CSV: DESIGN section 9 columns, or FOCUS 1.2 (``focus``).

Amounts in USD with 6 decimals, one header row, UTF-8, no index column. Text cells that a
spreadsheet would run as a formula (starting with = + - @, tab or carriage return) get a
leading apostrophe, so a tenant named ``=HYPERLINK(...)`` stays text.
"""

from __future__ import annotations

from typing import Final

import duckdb
import pandas as pd

from queries.chargeback import chargeback, month_bounds

AMOUNT_COLUMNS: Final = ("payg_cost_usd", "ptu_cost_usd", "total_cost_usd")
PERCENT_COLUMNS: Final = ("quota_utilization_pct", "budget_utilization_pct")
TEXT_COLUMNS: Final = (
    "month", "tenant_id", "tenant_name", "cost_center", "deployment", "model", "deployment_type",
)  # fmt: skip
FORMATS: Final = ("csv", "focus")
_FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")

# FOCUS 1.2 (FinOps Open Cost and Usage Specification): its Mandatory columns, in the
# specification's (alphabetical) order, then the chargeback's allocation as x_ custom
# columns. One row per chargeback line: the month's cost of a tenant's use of a deployment.
FOCUS_MANDATORY: Final = (
    "BilledCost", "BillingAccountId", "BillingAccountName", "BillingCurrency",
    "BillingPeriodEnd", "BillingPeriodStart", "ChargeCategory", "ChargeClass",
    "ChargeDescription", "ChargePeriodEnd", "ChargePeriodStart", "ContractedCost",
    "EffectiveCost", "InvoiceIssuerName", "ListCost", "PricingQuantity", "PricingUnit",
    "ProviderName", "PublisherName", "ServiceCategory", "ServiceName",
)  # fmt: skip
FOCUS_ALLOCATION: Final = {
    "tenant_id": "x_TenantId",
    "tenant_name": "x_TenantName",
    "cost_center": "x_CostCenter",
    "deployment": "x_Deployment",
    "model": "x_Model",
    "deployment_type": "x_DeploymentType",
    "requests": "x_Requests",
    "failed_requests": "x_FailedRequests",
    "input_tokens": "x_InputTokens",
    "cached_input_tokens": "x_CachedInputTokens",
    "output_tokens": "x_OutputTokens",
    "reasoning_tokens": "x_ReasoningTokens",
    "payg_cost_usd": "x_PayAsYouGoCostUsd",
    "ptu_cost_usd": "x_ProvisionedCostUsd",
    "quota_utilization_pct": "x_QuotaUtilizationPct",
    "budget_utilization_pct": "x_BudgetUtilizationPct",
}
FOCUS_COLUMNS: Final = (*FOCUS_MANDATORY, *FOCUS_ALLOCATION.values())
# The lens prices at Azure's list (retail) prices, so billed, effective, list and
# contracted cost are the same amount; the billing account is the lens's own chargeback,
# not Microsoft's (the invoice's account is not known to the lens).
FOCUS_CONSTANTS: Final = {
    "BillingAccountId": "aoai-lens",
    "BillingAccountName": "aoai-lens chargeback",
    "BillingCurrency": "USD",
    "ChargeCategory": "Usage",
    "ChargeClass": "",  # null: not a correction of an earlier period
    "InvoiceIssuerName": "Microsoft",
    "PricingUnit": "Tokens",
    "ProviderName": "Microsoft",
    "PublisherName": "Microsoft",
    "ServiceCategory": "AI and Machine Learning",
    "ServiceName": "Azure OpenAI",
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
        out = focus_frame(out)
    text: str = out.to_csv(index=False, lineterminator="\n")
    return text


def focus_frame(lines: pd.DataFrame) -> pd.DataFrame:
    """Chargeback lines (amounts and text already formatted) as FOCUS 1.2 rows."""
    focus = pd.DataFrame(index=lines.index)
    periods = [month_bounds(str(m).lstrip("'")) for m in lines["month"]]
    starts = [f"{start:%Y-%m-%dT%H:%M:%SZ}" for start, _ in periods]
    ends = [f"{end:%Y-%m-%dT%H:%M:%SZ}" for _, end in periods]
    for column in FOCUS_MANDATORY:
        if column in FOCUS_CONSTANTS:
            focus[column] = FOCUS_CONSTANTS[column]
    for column in ("BilledCost", "ContractedCost", "EffectiveCost", "ListCost"):
        focus[column] = lines["total_cost_usd"]
    focus["BillingPeriodStart"] = focus["ChargePeriodStart"] = starts
    focus["BillingPeriodEnd"] = focus["ChargePeriodEnd"] = ends
    focus["PricingQuantity"] = [
        str(int(i) + int(o))
        for i, o in zip(lines["input_tokens"], lines["output_tokens"], strict=True)
    ]
    # Starts with "Azure", so never a formula, whatever the names inside.
    focus["ChargeDescription"] = [
        f"Azure OpenAI {m or 'unknown model'} on deployment {d} ({t or 'type unknown'})"
        for m, d, t in zip(
            lines["model"].map(_plain), lines["deployment"].map(_plain),
            lines["deployment_type"].map(_plain), strict=True,
        )
    ]  # fmt: skip
    for column, name in FOCUS_ALLOCATION.items():
        focus[name] = lines[column]
    return focus[list(FOCUS_COLUMNS)]


def _plain(value: object) -> str:
    """A neutralised cell's text without its apostrophe, to quote inside a sentence."""
    text = "" if value is None or value != value else str(value)
    return text[1:] if text.startswith("'") else text


def chargeback_file(
    cur: duckdb.DuckDBPyConnection, month: str, fmt: str, tenants: tuple[str, ...] | None = None
) -> str:
    """The chargeback CSV of ``month``: what the route, the CLI and the page download serve;
    only ``tenants``' rows when given."""
    return chargeback_csv(chargeback(cur, month, tenants=tenants), fmt)
