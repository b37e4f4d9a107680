"""Column formats for tables: units, currency and labels in one place."""

from __future__ import annotations

from typing import Any, Final
from urllib.parse import urlencode

import pandas as pd
import streamlit as st


def _count(label: str, width: Any = None) -> Any:
    return st.column_config.NumberColumn(label, format="localized", width=width)


# One way to write each kind of number on every page: dollars with thousands separators
# and cents (the CSV keeps 6 decimals), percentages as the metrics write them (33.3%).
_USD = "dollar"
_PCT = "%.1f%%"

BUDGET_COLUMNS: Final[dict[str, Any]] = {
    "tenant_id": "Tenant id",
    "tenant_name": st.column_config.TextColumn("Tenant", pinned=True),
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
    "tenant_id": None,  # in the CSV; the page names the tenant
    "tenant_name": st.column_config.TextColumn("Tenant", pinned=True),
    "cost_center": "Cost center",
    "deployment": "Deployment",
    "model": "Model",
    "deployment_type": "Type",
    "requests": _count("Requests", width="small"),
    "failed_requests": _count("Failed", width="small"),
    "input_tokens": _count("Input tokens"),
    "cached_input_tokens": _count("Cached input"),
    "output_tokens": _count("Output tokens"),
    "reasoning_tokens": _count("Reasoning"),
    "payg_cost_usd": st.column_config.NumberColumn("Pay-as-you-go", format=_USD),
    "ptu_cost_usd": st.column_config.NumberColumn("PTU allocated", format=_USD),
    "total_cost_usd": st.column_config.NumberColumn("Total", format=_USD),
    "quota_utilization_pct": st.column_config.NumberColumn(
        "Quota used", format=_PCT, width="small"
    ),
    "budget_utilization_pct": st.column_config.NumberColumn(
        "Budget used", format=_PCT, width="small"
    ),
}
# The table's order (the CSV appends failed_requests at the end; the page shows it by Requests).
CHARGEBACK_ORDER: Final = [
    name for name, config in CHARGEBACK_COLUMNS.items() if config is not None
]

FORMAT_LABELS: Final = {"csv": "aoai-lens columns", "focus": "FOCUS 1.2"}

_MS = "%.0f ms"
_RATE = "percent"


SPEND_BY_COLUMNS: Final[dict[str, Any]] = {
    "deployment": st.column_config.LinkColumn("Deployment", display_text=r"deployment=(.*)$"),
    "tenant_id": st.column_config.LinkColumn("Tenant", display_text=r"tenant=(.*)$"),
    "requests": _count("Calls"),
    "tokens": _count("Tokens"),
    "payg_cost_usd": st.column_config.NumberColumn("Spend", format=_USD),
    "share_of_spend": st.column_config.NumberColumn("Share", format=_RATE),
}

DEPLOYMENT_COLUMNS: Final[dict[str, Any]] = {
    "deployment": st.column_config.TextColumn("Deployment", pinned=True),
    "deployment_type": "Type",
    "family": "Family",
    "calls": _count("Calls"),
    "p50_ms": st.column_config.NumberColumn("p50", format=_MS),
    "p95_ms": st.column_config.NumberColumn("p95", format=_MS),
    "p99_ms": st.column_config.NumberColumn("p99", format=_MS),
    "ttft_p50_ms": st.column_config.NumberColumn("TTFT p50", format=_MS),
    "ttft_p95_ms": st.column_config.NumberColumn("TTFT p95", format=_MS),
    "output_tokens_per_s": st.column_config.NumberColumn("Output tok/s", format="%.1f"),
    "throttled_rate": st.column_config.NumberColumn("Throttled (429)", format=_RATE),
    "error_rate": st.column_config.NumberColumn("Errors", format=_RATE),
    "peak_tpm": _count("Peak tokens/min"),
    "tpm_quota": _count("TPM quota"),
    "peak_quota_pct": st.column_config.ProgressColumn(
        "Peak vs quota", format="percent", min_value=0.0, max_value=1.0
    ),
}

SAFETY_BY_CATEGORY_COLUMNS: Final[dict[str, Any]] = {
    "category": st.column_config.TextColumn(
        "Category", help="As Azure names it; categories the lens does not know are shown too."
    ),
    "intervention_point": st.column_config.TextColumn(
        "Intervention point", help="user_input, output, tool_call or tool_response"
    ),
    "calls": _count("Calls"),
    "detected": _count("Detected"),
    "filtered": _count("Filtered"),
    "blocked_or_filtered_calls": _count("Blocked or filtered calls"),
}

SAFETY_BY_COLUMNS: Final[dict[str, Any]] = {
    "tenant_id": "Tenant",
    "deployment": "Deployment",
    "end_user": "End user",
    "calls": _count("Calls"),
    "blocked_prompts": _count("Blocked prompts"),
    "filtered_completions": _count("Filtered completions"),
    "annotated": _count("Annotated only"),
    "incidents": _count("Incidents"),
    "incident_rate": st.column_config.NumberColumn("Incident rate", format=_RATE),
    "incident_cost_usd": st.column_config.NumberColumn("Cost of incidents", format=_USD),
}

CALL_LIST_COLUMNS: Final[dict[str, Any]] = {
    "open": st.column_config.LinkColumn("Call", display_text="Open", pinned=True),
    "call_id": None,  # in the link
    "trace_id": None,
    "start_time": st.column_config.DatetimeColumn("Time (UTC)", format="YYYY-MM-DD HH:mm:ss"),
    "tenant_id": "Tenant",
    "deployment": "Deployment",
    "model": "Model",
    "operation": "Operation",
    "end_user": "End user",
    "status": "Status",
    "http_status": st.column_config.NumberColumn("HTTP", format="%d"),
    "finish_reason": "Finish reason",
    "filter_action": "Content filter",
    "categories": "Filtered categories",
    "worst_severity": "Worst severity",
    "duration_ms": st.column_config.NumberColumn("Duration", format=_MS),
    "input_tokens": _count("Input tokens"),
    "output_tokens": _count("Output tokens"),
}

SOURCE_HEALTH_COLUMNS: Final[dict[str, Any]] = {
    "source": st.column_config.TextColumn("Source", pinned=True),
    "configured": st.column_config.CheckboxColumn("Configured"),
    "calls": _count("Calls in the ledger"),
    "represented_calls": _count("Calls represented (sampled sources: more than stored)"),
    "last_success": st.column_config.DatetimeColumn("Last success (UTC)"),
    "lag_minutes": st.column_config.NumberColumn("Lag (min)", format="%.0f"),
    "rows_last_hour": _count("Rows in the last hour"),
    "last_error": "Last error",
}

COVERAGE_COLUMNS: Final[dict[str, Any]] = {
    "day": st.column_config.DateColumn("Day (UTC)"),
    "resource": "Resource",
    "calls": _count("Calls"),
    "otlp_tokens": _count("Tokens, OTLP"),
    "app_insights_tokens": _count("Tokens, App Insights"),
    "apim_tokens": _count("Tokens, API Management"),
    "diagnostics_calls": _count("Calls, AzureDiagnostics"),
    "metrics_tokens": _count("Tokens, Azure Monitor metrics"),
    "rollup_tokens": _count("Tokens, Log Analytics rollups"),
}

PULL_LOG_COLUMNS: Final[dict[str, Any]] = {
    "source": "Source",
    "pulled_at": st.column_config.DatetimeColumn("Pulled (UTC)"),
    "slice_start": st.column_config.DatetimeColumn("Slice from (UTC)"),
    "slice_end": st.column_config.DatetimeColumn("Slice to (UTC)"),
    "outcome": "Outcome",
    "rows_read": _count("Rows read"),
    "rows_stored": _count("Rows stored"),
    "seconds": st.column_config.NumberColumn("Seconds", format="%.1f"),
    "error": "Error",
}

CALL_COST_COLUMNS: Final[dict[str, Any]] = {
    "base_model": "Model priced",
    "billed_type": "Billed as",
    "service_tier": "Service tier",
    "context_tier": "Context tier",
    "type_assumed": st.column_config.CheckboxColumn("Type assumed"),
    "billing": "Billing",
    "priced": st.column_config.CheckboxColumn("Priced"),
    "unpriced_reason": "Why not priced",
    "input_tokens": _count("Input tokens"),
    "cached_input_tokens": _count("Cached input"),
    "cache_write_tokens": _count("Cache writes"),
    "output_tokens": _count("Output tokens"),
    "reasoning_tokens": _count("Reasoning"),
    # A single call's cost is often a fraction of a cent: 6 decimals, as the CSV.
    "input_cost_usd": st.column_config.NumberColumn("Input cost", format="$%.6f"),
    "cached_input_cost_usd": st.column_config.NumberColumn("Cached input cost", format="$%.6f"),
    "cache_write_cost_usd": st.column_config.NumberColumn("Cache write cost", format="$%.6f"),
    "output_cost_usd": st.column_config.NumberColumn("Output cost", format="$%.6f"),
    "payg_cost_usd": st.column_config.NumberColumn("Pay-as-you-go cost", format="$%.6f"),
    "price_row": "Price row",
    "price_meters": "Azure meters",
}

FIELD_COLUMNS: Final[dict[str, Any]] = {"field": "Field", "value": "Value"}

PTU_COLUMNS: Final[dict[str, Any]] = {
    "deployment": "Deployment",
    "tenant_id": "Tenant",
    "hours": st.column_config.NumberColumn(
        "Hours with calls",
        format="localized",
        help="Hours in which the tenant sent at least one token (idle capacity: nobody did)",
    ),
    "tokens": _count("Tokens"),
    "ptu_cost_usd": st.column_config.NumberColumn("PTU cost allocated", format=_USD),
    "share_of_cost": st.column_config.NumberColumn("Share", format=_RATE),
    "capacity_used": st.column_config.NumberColumn(
        "Capacity used",
        format=_RATE,
        help="Tokens against what the deployment could serve in the month so far at its "
        "tokens-per-minute quota (tpm in deployments.toml); empty without a tpm",
    ),
}

PTU_UTILIZATION_COLUMNS: Final[dict[str, Any]] = {
    "deployment": "Deployment",
    "hours_measured": st.column_config.NumberColumn(
        "Hours measured", format="localized", help="Hours Azure Monitor reported a utilisation"
    ),
    "azure_utilization": st.column_config.NumberColumn(
        "Utilisation (Azure)",
        format=_RATE,
        help="AzureOpenAIProvisionedManagedUtilizationV2: the mean of the hourly averages",
    ),
    "azure_peak": st.column_config.NumberColumn(
        "Peak (Azure)", format=_RATE, help="The highest hourly maximum"
    ),
    "lens_tokens": _count("Tokens seen by the lens"),
    "lens_capacity_used": st.column_config.NumberColumn(
        "Capacity used (lens)",
        format=_RATE,
        help="Those tokens against the tpm quota in deployments.toml over the same hours; "
        "empty without a tpm",
    ),
}

METRICS_COVERAGE_COLUMNS: Final[dict[str, Any]] = {
    "day": st.column_config.DateColumn("Day (UTC)"),
    "deployment": "Deployment",
    "resources": "Azure resources",
    "azure_requests": _count("Requests (Azure Monitor)"),
    "ledger_calls": _count("Calls in the ledger"),
    "coverage": st.column_config.NumberColumn(
        "Coverage",
        format=_RATE,
        help="Calls in the ledger against the requests Azure counted: below 100 %, some "
        "traffic reaches Azure that no source reports",
    ),
}

VERDICT_COLUMNS: Final[dict[str, Any]] = {
    "target": "Prompt or completion",
    "intervention_point": st.column_config.TextColumn(
        "Intervention point", help="user_input, output, tool_call or tool_response"
    ),
    "idx": st.column_config.NumberColumn("Index", format="%d"),
    "category": st.column_config.TextColumn(
        "Category", help="As Azure names it; categories the lens does not know are shown too."
    ),
    "severity": "Severity",
    "filtered": st.column_config.CheckboxColumn("Filtered"),
    "detected": st.column_config.CheckboxColumn("Detected"),
    "citation_url": st.column_config.LinkColumn(
        "Citation", help="Where protected code was found (protected_material_code)."
    ),
    "licence": st.column_config.TextColumn("Licence", help="The cited repository's licence."),
    "entity_types": st.column_config.TextColumn(
        "Entity types", help="The kinds of personal data found (personal data verdicts)."
    ),
    "details": st.column_config.TextColumn(
        "Details", help="Everything else the verdict said, as sent (JSON)."
    ),
}


def with_links(frame: pd.DataFrame, column: str, page: str, param: str) -> pd.DataFrame:
    """``frame`` with ``column``'s values turned into links to ``page?param=value``."""
    linked = frame.copy()
    linked[column] = [f"{page}?{urlencode({param: value})}" for value in frame[column]]
    return linked


def with_call_links(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with an ``open`` column linking each row's call_id to the Calls explorer."""
    linked = frame.copy()
    linked.insert(0, "open", [f"calls?{urlencode({'call_id': c})}" for c in frame["call_id"]])
    return linked


def with_spike_links(frame: pd.DataFrame) -> pd.DataFrame:
    """Daily spikes with a ``calls`` column linking each to the Calls explorer: that day,
    that tenant or deployment."""
    linked = frame.copy()
    linked.insert(0, "calls", [
        f"calls?{urlencode({'range': 'custom', 'from': str(day), 'to': str(day), kind: scope})}"
        for kind, scope, day in zip(frame["scope_kind"], frame["scope"], frame["day"], strict=True)
    ])  # fmt: skip
    return linked


def with_alert_links(frame: pd.DataFrame) -> pd.DataFrame:
    """Fired alerts with a ``calls`` column: for a spike, a link to the Calls explorer on
    its day and tenant or deployment (the day is in its rule, ``spike YYYY-MM-DD``)."""
    linked = frame.copy()
    links: list[str | None] = []
    for kind, scope, rule in zip(frame["scope_kind"], frame["scope"], frame["rule"], strict=True):
        if str(kind).endswith("_spike") and str(rule).startswith("spike "):
            day = str(rule).removeprefix("spike ")
            field = str(kind).removesuffix("_spike")
            links.append(
                f"calls?{urlencode({'range': 'custom', 'from': day, 'to': day, field: scope})}"
            )
        else:
            links.append(None)
    linked.insert(0, "calls", links)
    return linked


AUDIT_COLUMNS: Final[dict[str, Any]] = {
    "at": st.column_config.DatetimeColumn("When (UTC)", format="YYYY-MM-DD HH:mm:ss"),
    "actor": "Who",
    "role": "Role",
    "action": "Action",
    "target": "On",
    "detail": "Details",
}

BUDGET_SPEND_COLUMNS: Final[dict[str, Any]] = {
    "scope_kind": "Budget of",
    "scope": "Scope",
    "spend_usd": st.column_config.NumberColumn("Spend, month to date", format=_USD),
    "forecast_usd": st.column_config.NumberColumn("Spend, forecast", format=_USD),
    "budget_usd": st.column_config.NumberColumn("Budget", format=_USD),
    "spend_pct": st.column_config.NumberColumn("Budget used", format=_PCT),
    "forecast_pct": st.column_config.NumberColumn("Budget, forecast", format=_PCT),
}

ALERT_COLUMNS: Final[dict[str, Any]] = {
    "calls": st.column_config.LinkColumn("Calls", display_text="open"),
    "fired_at": st.column_config.DatetimeColumn("Fired (UTC)", format="YYYY-MM-DD HH:mm:ss"),
    "scope_kind": "Budget of",
    "scope": "Scope",
    "month": "Month",
    "rule": "Rule",
    "threshold_pct": st.column_config.NumberColumn("Threshold %", format="%g"),
    "spend_usd": st.column_config.NumberColumn("Spend", format=_USD),
    "budget_usd": st.column_config.NumberColumn("Budget", format=_USD),
    "forecast_usd": st.column_config.NumberColumn("Forecast", format=_USD),
    "webhook": "Webhook",
    "status": "Delivery",
    "attempts": "Attempts",
    "last_error": "Last error",
    "delivered_at": st.column_config.DatetimeColumn(
        "Delivered (UTC)", format="YYYY-MM-DD HH:mm:ss"
    ),
}

SPIKE_COLUMNS: Final[dict[str, Any]] = {
    "calls": st.column_config.LinkColumn("Calls", display_text="open"),
    "scope_kind": "Of",
    "scope": "Tenant or deployment",
    "day": st.column_config.DateColumn("Day (UTC)"),
    "metric": "Measure",
    "value": st.column_config.NumberColumn("That day", format="%.2f"),
    "baseline_median": st.column_config.NumberColumn("Usual (median)", format="%.2f"),
    "baseline_mad": None,
    "baseline_days": None,
    "score": st.column_config.NumberColumn("Score (MADs)", format="%.1f"),
    "spike": None,
}

RECONCILE_COLUMNS: Final[dict[str, Any]] = {
    "day": st.column_config.DateColumn("Day (UTC)"),
    "resource": "Resource",
    "model": "Model",
    "deployment_type": "Deployment type",
    "token_class": "Token class",
    "billed_cost_usd": st.column_config.NumberColumn("Billed", format="dollar"),
    "lens_cost_usd": st.column_config.NumberColumn("Lens", format="dollar"),
    "difference_usd": st.column_config.NumberColumn("Difference", format="dollar"),
    "matched": st.column_config.CheckboxColumn("On both sides"),
}

UNMAPPED_METER_COLUMNS: Final[dict[str, Any]] = {
    "read_at": st.column_config.DatetimeColumn("Read at"),
    "meter": "Azure meter",
    "product": "Product",
    "unit": "Unit",
    "reason": "Why not mapped",
}
