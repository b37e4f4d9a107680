"""Column formats for tables: units, currency, labels and widths in one place.

Tables fit their place on a 1366 px laptop screen with the sidebar open (about 900 px):
the wide ones give their columns fixed widths and show the columns most asked for;
the others are one click away in a "More columns" picker above the table
(``pick_columns``). Missing values show as empty cells (``EMPTY``), never ``None``.
"""

from __future__ import annotations

from typing import Any, Final
from urllib.parse import urlencode

import pandas as pd
import streamlit as st

# What st.dataframe shows for a missing value (its default is the text "None").
EMPTY: Final = ""


def _count(label: str, width: Any = None, help: str | None = None) -> Any:
    return st.column_config.NumberColumn(label, format="localized", width=width, help=help)


def _label(config: Any) -> str:
    """A column's header as configured (a bare string is the header itself)."""
    return str(config if isinstance(config, str) else config.get("label", ""))


def pick_columns(columns: dict[str, Any], default: list[str], key: str) -> list[str]:
    """The columns to show, in ``columns``' order: ``default`` and those picked in a
    "More columns" control drawn above the table (``key`` keeps its state)."""
    more = [name for name, config in columns.items() if config is not None and name not in default]
    picked = st.pills(
        "More columns",
        more,
        selection_mode="multi",
        format_func=lambda name: _label(columns[name]),
        key=key,
    )
    return [name for name in columns if name in default or name in (picked or [])]


# One way to write each kind of number on every page: dollars with thousands separators
# and cents (the CSV keeps 6 decimals), percentages as the metrics write them (33.3%).
_USD = "dollar"
_PCT = "%.1f%%"

_MONEY = 110  # px: "$123,456.78" and its header
_NAME = 125  # px: a tenant or deployment name

BUDGET_COLUMNS: Final[dict[str, Any]] = {
    "tenant_id": "Tenant id",
    "tenant_name": st.column_config.TextColumn("Tenant", pinned=True, width=_NAME),
    "cost_center": st.column_config.TextColumn("Cost center", width=100),
    "mtd_tokens": _count("Tokens", help="Month to date"),
    "mtd_cost_usd": st.column_config.NumberColumn(
        "Spend", format=_USD, width=_MONEY, help="Month to date"
    ),
    "forecast_tokens": _count("Tokens, forecast"),
    "forecast_cost_usd": st.column_config.NumberColumn(
        "Forecast", format=_USD, width=_MONEY, help="Spend forecast for the whole month"
    ),
    "monthly_token_quota": _count("Token quota"),
    "monthly_budget_usd": st.column_config.NumberColumn("Budget", format=_USD, width=_MONEY),
    "quota_pct": st.column_config.NumberColumn("Quota used", format=_PCT, width=95),
    "budget_pct": st.column_config.NumberColumn("Budget used", format=_PCT, width=100),
    "forecast_quota_pct": st.column_config.NumberColumn("Quota, forecast", format=_PCT),
    "forecast_budget_pct": st.column_config.NumberColumn("Budget, forecast", format=_PCT),
    "flag": st.column_config.TextColumn("Flag", width=110),
}
BUDGET_DEFAULT: Final = [
    "tenant_name", "cost_center", "mtd_cost_usd", "forecast_cost_usd", "monthly_budget_usd",
    "budget_pct", "quota_pct", "flag",
]  # fmt: skip

CHARGEBACK_COLUMNS: Final[dict[str, Any]] = {
    "month": None,  # hidden: the month is chosen above the table
    "tenant_id": None,  # in the CSV; the page names the tenant
    "tenant_name": st.column_config.TextColumn("Tenant", pinned=True, width=_NAME),
    "cost_center": st.column_config.TextColumn("Cost center", width=100),
    "deployment": st.column_config.TextColumn("Deployment", width=_NAME),
    "model": "Model",
    "deployment_type": "Type",
    "requests": _count("Requests", width=80),
    "failed_requests": _count("Failed", width="small"),
    "input_tokens": _count("Input tokens"),
    "cached_input_tokens": _count("Cached input"),
    "output_tokens": _count("Output tokens"),
    "reasoning_tokens": _count("Reasoning"),
    "payg_cost_usd": st.column_config.NumberColumn("Pay-as-you-go", format=_USD, width=_MONEY),
    "ptu_cost_usd": st.column_config.NumberColumn("PTU allocated", format=_USD, width=_MONEY),
    "total_cost_usd": st.column_config.NumberColumn("Total", format=_USD, width=_MONEY),
    "quota_utilization_pct": st.column_config.NumberColumn("Quota used", format=_PCT),
    "budget_utilization_pct": st.column_config.NumberColumn("Budget used", format=_PCT, width=100),
}
# Shown without picking (the CSV has every column; failed_requests, appended at its end,
# is offered by Requests here).
CHARGEBACK_DEFAULT: Final = [
    "tenant_name", "cost_center", "deployment", "requests", "payg_cost_usd", "ptu_cost_usd",
    "total_cost_usd", "budget_utilization_pct",
]  # fmt: skip

FORMAT_LABELS: Final = {"csv": "aoai-lens columns", "focus": "FOCUS 1.2"}

_MS = "%.0f ms"
_RATE = "percent"


SPEND_BY_COLUMNS: Final[dict[str, Any]] = {  # two side by side: about 430 px each
    "deployment": st.column_config.LinkColumn(
        "Deployment", display_text=r"deployment=(.*)$", width=115
    ),
    "tenant_id": st.column_config.LinkColumn("Tenant", display_text=r"tenant=(.*)$", width=115),
    "requests": _count("Calls", width=60),
    "tokens": _count("Tokens", width=90),
    "payg_cost_usd": st.column_config.NumberColumn(
        "Spend", format=_USD, width=_MONEY, help="Pay-as-you-go"
    ),
    "share_of_spend": st.column_config.NumberColumn("Share", format=_RATE, width=60),
}

DEPLOYMENT_COLUMNS: Final[dict[str, Any]] = {
    "deployment": st.column_config.TextColumn("Deployment", pinned=True, width=140),
    "deployment_type": "Type",
    "family": st.column_config.TextColumn("Family", width=80),
    "calls": _count("Calls", width=70),
    "p50_ms": st.column_config.NumberColumn("p50", format=_MS, width=75),
    "p95_ms": st.column_config.NumberColumn("p95", format=_MS, width=75),
    "p99_ms": st.column_config.NumberColumn("p99", format=_MS),
    "ttft_p50_ms": st.column_config.NumberColumn("TTFT p50", format=_MS),
    "ttft_p95_ms": st.column_config.NumberColumn("TTFT p95", format=_MS),
    "output_tokens_per_s": st.column_config.NumberColumn("Output tok/s", format="%.1f"),
    "throttled_rate": st.column_config.NumberColumn(
        "Throttled", format=_RATE, width=85, help="HTTP 429 answers"
    ),
    "error_rate": st.column_config.NumberColumn("Errors", format=_RATE, width=65),
    "peak_tpm": _count("Peak TPM", width=90, help="Tokens in the busiest minute"),
    "tpm_quota": _count("TPM quota", width=90, help="tpm in deployments.toml"),
    "peak_quota_pct": st.column_config.ProgressColumn(
        "Peak vs quota", format="percent", min_value=0.0, max_value=1.0, width=110
    ),
}
DEPLOYMENT_DEFAULT: Final = [
    "deployment", "family", "calls", "p50_ms", "p95_ms", "throttled_rate", "error_rate",
    "peak_tpm", "tpm_quota", "peak_quota_pct",
]  # fmt: skip

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
    "open": st.column_config.LinkColumn("Call", display_text="Open", pinned=True, width=60),
    "call_id": None,  # in the link
    "trace_id": None,
    "start_time": st.column_config.DatetimeColumn(
        "Time (UTC)", format="YYYY-MM-DD HH:mm:ss", width=150
    ),
    "tenant_id": st.column_config.TextColumn("Tenant", width=100),
    "deployment": st.column_config.TextColumn("Deployment", width=_NAME),
    "model": "Model",
    "operation": "Operation",
    "end_user": "End user",
    "status": st.column_config.TextColumn("Status", width=65),
    "http_status": st.column_config.NumberColumn("HTTP", format="%d", width=60),
    "finish_reason": "Finish reason",
    "filter_action": "Content filter",
    "categories": "Filtered categories",
    "worst_severity": "Worst severity",
    "duration_ms": st.column_config.NumberColumn("Duration", format=_MS, width=90),
    "input_tokens": _count("Input tokens", width=100),
    "output_tokens": _count("Output tokens", width=110),
}
CALL_LIST_DEFAULT: Final = [
    "open", "start_time", "tenant_id", "deployment", "status", "http_status", "duration_ms",
    "input_tokens", "output_tokens",
]  # fmt: skip
# The newest incidents (Content safety): the call list's columns, narrower, so the
# verdict columns fit beside them.
INCIDENT_COLUMNS: Final[dict[str, Any]] = {
    **CALL_LIST_COLUMNS,
    "start_time": st.column_config.DatetimeColumn("Time (UTC)", format="MM-DD HH:mm", width=100),
    "end_user": st.column_config.TextColumn("End user", width=110),
    "filter_action": st.column_config.TextColumn("Content filter", width=125),
    "categories": st.column_config.TextColumn("Filtered categories", width=180),
    "worst_severity": st.column_config.TextColumn("Worst severity", width=95),
}

SOURCE_HEALTH_COLUMNS: Final[dict[str, Any]] = {
    "source": st.column_config.TextColumn("Source", pinned=True, width=120),
    "configured": st.column_config.CheckboxColumn("Configured", width=90),
    "calls": _count("Calls stored", width=95, help="Calls in the ledger"),
    "represented_calls": _count(
        "Represented", width=100, help="Calls the stored ones stand for (sampled sources)"
    ),
    "last_success": st.column_config.DatetimeColumn(
        "Last success (UTC)", format="YYYY-MM-DD HH:mm", width=145
    ),
    "lag_minutes": st.column_config.NumberColumn("Lag (min)", format="%.0f", width=75),
    "rows_last_hour": _count("Rows, last hour", width=110),
    "last_error": st.column_config.TextColumn(
        "Last error", width=130, help="Shown in full above the table"
    ),
}

COVERAGE_COLUMNS: Final[dict[str, Any]] = {
    "day": st.column_config.DateColumn("Day (UTC)", width=95),
    "resource": st.column_config.TextColumn("Resource", width=_NAME),
    "calls": _count("Calls", width=70),
    "otlp_tokens": _count("OTLP", width=90, help="Tokens seen over OTLP"),
    "app_insights_tokens": _count("App Insights", width=95, help="Tokens in AppDependencies"),
    "apim_tokens": _count("APIM", width=90, help="Tokens in API Management's LLM log"),
    "diagnostics_calls": _count(
        "Diagnostics calls", width=125, help="Calls in AzureDiagnostics (no tokens)"
    ),
    "metrics_tokens": _count("Metrics", width=90, help="Tokens in AzureMetrics"),
    "rollup_tokens": _count("Rollups", width=90, help="Tokens in Log Analytics rollups"),
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
    "base_model": st.column_config.TextColumn("Model priced", width=120),
    "billed_type": st.column_config.TextColumn("Billed as", width=140),
    "service_tier": st.column_config.TextColumn("Service tier", width=90),
    "context_tier": st.column_config.TextColumn("Context tier", width=90),
    "type_assumed": st.column_config.CheckboxColumn("Type assumed", width=100),
    "billing": st.column_config.TextColumn("Billing", width=70),
    "priced": st.column_config.CheckboxColumn("Priced", width=60),
    "unpriced_reason": st.column_config.TextColumn("Why not priced", width=200),
    "input_tokens": _count("Input tokens", width=100),
    "cached_input_tokens": _count("Cached input", width=100),
    "cache_write_tokens": _count("Cache writes", width=100),
    "output_tokens": _count("Output tokens", width=110),
    "reasoning_tokens": _count("Reasoning", width=90),
    # A single call's cost is often a fraction of a cent: 6 decimals, as the CSV.
    "input_cost_usd": st.column_config.NumberColumn("Input cost", format="$%.6f", width=100),
    "cached_input_cost_usd": st.column_config.NumberColumn(
        "Cached input cost", format="$%.6f", width=130
    ),
    "cache_write_cost_usd": st.column_config.NumberColumn(
        "Cache write cost", format="$%.6f", width=130
    ),
    "output_cost_usd": st.column_config.NumberColumn("Output cost", format="$%.6f", width=100),
    "payg_cost_usd": st.column_config.NumberColumn("Pay-as-you-go cost", format="$%.6f", width=140),
}
# The call's cost in three tables that each fit: how it was priced, its tokens, its cost
# (the price book row and its Azure meters are written above them as text).
CALL_PRICING_ORDER: Final = [
    "base_model", "billed_type", "service_tier", "context_tier", "type_assumed", "billing",
    "priced", "unpriced_reason",
]  # fmt: skip
CALL_TOKEN_ORDER: Final = [name for name in CALL_COST_COLUMNS if name.endswith("_tokens")]
CALL_COST_ORDER: Final = [name for name in CALL_COST_COLUMNS if name.endswith("_cost_usd")]

FIELD_COLUMNS: Final[dict[str, Any]] = {"field": "Field", "value": "Value"}

PTU_COLUMNS: Final[dict[str, Any]] = {
    "deployment": "Deployment",
    "tenant_id": "Tenant",
    "hours": st.column_config.NumberColumn(
        "Hours",
        format="localized",
        help="Hours in which the tenant sent tokens (idle capacity: hours with capacity unused)",
    ),
    "tokens": _count("Tokens"),
    "ptu_cost_usd": st.column_config.NumberColumn("PTU cost allocated", format=_USD),
    "share_of_cost": st.column_config.NumberColumn("Share", format=_RATE),
    "capacity_used": st.column_config.NumberColumn(
        "Capacity used",
        format=_RATE,
        help="Tokens (uncached input + output x the model's output ratio) against what the "
        "PTUs could serve in the hours charged (idle capacity: the share nobody used); "
        "empty for a model without published PTU figures, whose hours are split by tokens",
    ),
}

PTU_HOUR_COLUMNS: Final[dict[str, Any]] = {
    "deployment": "Deployment",
    "hour": st.column_config.DatetimeColumn("Hour (UTC)", format="YYYY-MM-DD HH:mm"),
    "utilization": st.column_config.NumberColumn(
        "Utilisation",
        format=_RATE,
        help="Uncached input + output x the model's output ratio, against PTUs x input TPM "
        "per PTU x 60 (Microsoft's figures); over 100 %: Azure queued or answered 429; "
        "empty: no figures for the model, the hour is split by tokens",
    ),
    "tokens": _count("Tokens"),
    "ptu_cost_usd": st.column_config.NumberColumn("Hour cost", format=_USD),
    "idle_cost_usd": st.column_config.NumberColumn(
        "Idle capacity", format=_USD, help="The part of the hour's cost no tenant used"
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
    "lens_utilization": st.column_config.NumberColumn(
        "Utilisation (lens)",
        format=_RATE,
        help="The mean over the same hours of the lens's utilisation: uncached input + "
        "output x the model's output ratio, against PTUs x input TPM per PTU x 60; empty "
        "before the first call or without figures for the model",
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
    "calls": st.column_config.LinkColumn("Calls", display_text="open", width=60),
    "fired_at": st.column_config.DatetimeColumn(
        "Fired (UTC)", format="YYYY-MM-DD HH:mm:ss", width=150
    ),
    "scope_kind": st.column_config.TextColumn("Budget of", width=90),
    "scope": st.column_config.TextColumn("Scope", width=_NAME),
    "month": "Month",
    "rule": "Rule",
    "threshold_pct": st.column_config.NumberColumn("Threshold %", format="%g", width=95),
    "spend_usd": st.column_config.NumberColumn("Spend", format=_USD, width=_MONEY),
    "budget_usd": st.column_config.NumberColumn("Budget", format=_USD, width=_MONEY),
    "forecast_usd": st.column_config.NumberColumn("Forecast", format=_USD),
    "webhook": "Webhook",
    "status": st.column_config.TextColumn("Delivery", width=90),
    "attempts": st.column_config.NumberColumn("Attempts", width=80),
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

ALERT_DEFAULT: Final = [
    "calls", "fired_at", "scope_kind", "scope", "threshold_pct", "spend_usd", "budget_usd",
    "status", "attempts",
]  # fmt: skip

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

BILL_PRICE_COLUMNS: Final[dict[str, Any]] = {
    "model": "Model",
    "deployment_type": "Deployment type",
    "region": "Region",
    "service_tier": "Service tier",
    "token_class": "Token class",
    "lens_per_1m": st.column_config.NumberColumn("Price book (USD / 1M)", format="%.6f"),
    "bill_per_1m": st.column_config.NumberColumn("Bill (USD / 1M)", format="%.6f"),
    "difference_per_1m": st.column_config.NumberColumn("Difference", format="%+.6f"),
    "meters": "Azure meters",
}

BILL_NOT_APPLIED_COLUMNS: Final[dict[str, Any]] = {
    "meter": "Azure meter",
    "resources": "Resources",
    "cost_usd": st.column_config.NumberColumn("Cost", format="dollar"),
    "reason": "Not applied because",
}

UNMAPPED_METER_COLUMNS: Final[dict[str, Any]] = {
    "read_at": st.column_config.DatetimeColumn("Read at"),
    "meter": "Azure meter",
    "product": "Product",
    "unit": "Unit",
    "reason": "Why not mapped",
}

DEPLOYMENT_COST_COLUMNS: Final[dict[str, Any]] = {
    "deployment": st.column_config.TextColumn("Deployment", pinned=True, width=160),
    "payg_cost_usd": st.column_config.NumberColumn("Pay-as-you-go", format=_USD, width=120),
    "ptu_cost_usd": st.column_config.NumberColumn("Provisioned", format=_USD, width=120),
    "total_cost_usd": st.column_config.NumberColumn("Total", format=_USD, width=120),
    "tokens": _count("Tokens", width=120),
}
