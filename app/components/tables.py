"""Column formats for tables: units, currency and labels in one place."""

from __future__ import annotations

from typing import Any, Final

import streamlit as st

_USD = "$%.2f"
_PCT = "%.1f %%"

BUDGET_COLUMNS: Final[dict[str, Any]] = {
    "tenant_id": "Tenant id",
    "tenant_name": "Tenant",
    "cost_center": "Cost center",
    "mtd_tokens": st.column_config.NumberColumn("Tokens, month to date", format="localized"),
    "mtd_cost_usd": st.column_config.NumberColumn("Spend, month to date", format=_USD),
    "forecast_tokens": st.column_config.NumberColumn("Tokens, forecast", format="localized"),
    "forecast_cost_usd": st.column_config.NumberColumn("Spend, forecast", format=_USD),
    "monthly_token_quota": st.column_config.NumberColumn("Token quota", format="localized"),
    "monthly_budget_usd": st.column_config.NumberColumn("Budget", format=_USD),
    "quota_pct": st.column_config.NumberColumn("Quota used", format=_PCT),
    "budget_pct": st.column_config.NumberColumn("Budget used", format=_PCT),
    "forecast_quota_pct": st.column_config.NumberColumn("Quota, forecast", format=_PCT),
    "forecast_budget_pct": st.column_config.NumberColumn("Budget, forecast", format=_PCT),
    "flag": "Flag",
}

CHARGEBACK_COLUMNS: Final[dict[str, Any]] = {
    "month": None,  # hidden: the month is chosen above the table
    "tenant_id": "Tenant id",
    "tenant_name": "Tenant",
    "cost_center": "Cost center",
    "deployment": "Deployment",
    "model": "Model",
    "deployment_type": "Type",
    "requests": st.column_config.NumberColumn("Requests", format="localized"),
    "input_tokens": st.column_config.NumberColumn("Input tokens", format="localized"),
    "cached_input_tokens": st.column_config.NumberColumn("Cached input", format="localized"),
    "output_tokens": st.column_config.NumberColumn("Output tokens", format="localized"),
    "reasoning_tokens": st.column_config.NumberColumn("Reasoning", format="localized"),
    "payg_cost_usd": st.column_config.NumberColumn("Pay-as-you-go", format="$%.6f"),
    "ptu_cost_usd": st.column_config.NumberColumn("PTU allocated", format="$%.6f"),
    "total_cost_usd": st.column_config.NumberColumn("Total", format="$%.6f"),
    "quota_utilization_pct": st.column_config.NumberColumn("Quota used", format=_PCT),
    "budget_utilization_pct": st.column_config.NumberColumn("Budget used", format=_PCT),
}

FORMAT_LABELS: Final = {"csv": "aoai-lens columns", "focus": "FOCUS names"}
