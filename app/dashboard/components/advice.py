"""How the savings advisor's recommendations and tables are drawn."""

from __future__ import annotations

from typing import Any, Final

import pandas as pd
import streamlit as st

from app.dashboard.components import tables

PTU_COLUMNS: Final = {
    "deployment": "Deployment",
    "model": "Model",
    "deployment_type": "Type",
    "cache_rate": st.column_config.NumberColumn("Cache rate", format="percent"),
    "peak_tpm": st.column_config.NumberColumn("Peak TPM", format="localized"),
    "p95_tpm": st.column_config.NumberColumn("p95 TPM", format="localized"),
    "ptus_at_p95": "PTUs at p95",
    "deployed_ptus": "PTUs deployed",
    "payg_monthly_usd": st.column_config.NumberColumn("PAYG / month", format="dollar"),
    "ptu_reserved_monthly_usd": st.column_config.NumberColumn("Reserved / month", format="dollar"),
    "break_even_utilisation_hourly": st.column_config.NumberColumn(
        "Break-even (hourly)", format="percent"
    ),
    "break_even_utilisation_reserved": st.column_config.NumberColumn(
        "Break-even (reserved)", format="percent"
    ),
    "utilisation_at_p95_size": st.column_config.NumberColumn("Utilisation", format="percent"),
    "throttled_calls": st.column_config.NumberColumn("429s", format="localized"),
    "spilled_calls": st.column_config.NumberColumn("Spilled over", format="localized"),
}
# Shown without picking at 1366 px; the rest behind "More columns".
PTU_DEFAULT: Final = [
    "deployment", "deployment_type", "p95_tpm", "ptus_at_p95", "deployed_ptus",
    "payg_monthly_usd", "ptu_reserved_monthly_usd", "break_even_utilisation_reserved",
]  # fmt: skip
HOURLY_COLUMNS: Final = {
    "hour_of_day": st.column_config.NumberColumn("Hour (UTC)", format="%d"),
    "peak_tpm": st.column_config.NumberColumn("Peak TPM", format="localized"),
    "p95_tpm": st.column_config.NumberColumn("p95 TPM", format="localized"),
    "p50_tpm": st.column_config.NumberColumn("p50 TPM", format="localized"),
    "active_minutes": st.column_config.NumberColumn("Minutes with calls", format="localized"),
}
CACHING_COLUMNS: Final = {
    "deployment": "Deployment",
    "calls": st.column_config.NumberColumn("Calls", format="localized"),
    "cached_share": st.column_config.NumberColumn("Cached input today", format="percent"),
    "long_prompt_share": st.column_config.NumberColumn("Prompts >= 1,024 tokens", format="percent"),
    "fingerprinted_share": st.column_config.NumberColumn("With prefix hash", format="percent"),
    "shared_prefix_share": st.column_config.NumberColumn("Repeat a prefix", format="percent"),
    "cacheable_tokens": st.column_config.NumberColumn("Cacheable tokens", format="localized"),
}
BATCH_COLUMNS: Final = {
    "service": "Service",
    "tenant_id": "Tenant",
    "requests": st.column_config.NumberColumn("Calls", format="localized"),
    "streamed_calls": st.column_config.NumberColumn("Streamed", format="localized"),
    "end_user_calls": st.column_config.NumberColumn("With end user", format="localized"),
    "p50_duration_ms": st.column_config.NumberColumn("Median ms", format="localized"),
    "payg_cost_usd": st.column_config.NumberColumn("Spend in window", format="dollar"),
    "batch_cost_usd": st.column_config.NumberColumn("On Batch", format="dollar"),
    "eligible": "Eligible",
    "reason": st.column_config.TextColumn("Why", width=250),
}
BATCH_DEFAULT: Final = [
    "service", "tenant_id", "requests", "payg_cost_usd", "batch_cost_usd", "eligible", "reason",
]  # fmt: skip


def period(days: float) -> str:
    """``0.167`` -> ``4 hours``; ``12.5`` -> ``12.5 days``."""
    return f"{days * 24:.0f} hours" if days < 2 else f"{days:g} days"


def usd(amount: float) -> str:
    return f"-${-amount:,.2f}" if amount < 0 else f"${amount:,.2f}"


def recommendation(rec: dict[str, Any]) -> None:
    """One recommendation: the saving and its range in the title, then what it compares
    against and what it assumes. Texts name deployments and services: shown as text."""
    label = f"{rec['title']}: about {usd(rec['monthly_saving_usd'])} a month (estimate)"
    with st.expander(label):
        st.text(
            f"Estimated monthly saving {usd(rec['monthly_saving_usd'])}; "
            f"{usd(rec['saving_low_usd'])} to {usd(rec['saving_high_usd'])} with "
            f"{rec['sensitivity']}."
        )
        st.text(f"Compares: {rec['compares_against']}")
        for assumption in rec["assumptions"]:
            st.text(f"Assumes: {assumption}")


def table(
    rows: list[dict[str, Any]],
    columns: dict[str, Any],
    default: list[str] | None = None,
    key: str = "",
) -> None:
    """A table of ``columns``; with ``default``, only those until more are picked (``key``
    keeps the pick)."""
    frame = pd.DataFrame(rows)
    present = {name: config for name, config in columns.items() if name in frame.columns}
    shown = tables.pick_columns(present, default, key) if default else list(present)
    st.dataframe(
        frame[list(present)],
        column_config=present,
        column_order=shown,
        hide_index=True,
        placeholder=tables.EMPTY,
    )
