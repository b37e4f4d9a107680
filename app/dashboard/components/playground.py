"""The Playground's result panels: the answer's numbers, filter verdicts, blocks and throttles."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from aoai_client.chat import ChatOutcome
from app.dashboard.components.verbatim import code

CALLS_PAGE = "calls"

VERDICT_COLUMNS = {
    "target": st.column_config.TextColumn("Checked"),
    "category": st.column_config.TextColumn("Category"),
    "severity": st.column_config.TextColumn("Severity"),
    "filtered": st.column_config.CheckboxColumn("Filtered"),
    "detected": st.column_config.CheckboxColumn("Detected"),
}


def simulated_note(endpoint: str) -> None:
    st.info(
        f":material/science: **Simulated**: calls go to the built-in Azure OpenAI simulator "
        f"at {code(endpoint)}, not to Azure. Set `AZURE_OPENAI_ENDPOINT` to use a real resource.",
    )


def show_outcome(outcome: ChatOutcome, stored: dict[str, Any] | None) -> None:
    """Everything about one call: status, numbers, verdicts, the call in the ledger."""
    if outcome.simulated:
        st.caption(":material/science: simulated answer")
    error_code = f" {code(outcome.error_code)}" if outcome.error_code else ""
    if outcome.kind == "blocked":
        st.error(f"Blocked by the content filter: HTTP {outcome.http_status}{error_code}.")
    elif outcome.kind == "throttled":
        retry = f" Retry after {outcome.retry_after_s:g} s." if outcome.retry_after_s else ""
        st.warning(f"Throttled: HTTP 429, the deployment's rate limit.{retry}")
    elif outcome.kind == "filtered":
        st.warning("The answer was cut by the content filter (finish_reason `content_filter`).")
    elif outcome.kind == "error":
        st.error(f"HTTP {outcome.http_status or '-'}{error_code}")
    if outcome.kind != "ok" and outcome.error_message:
        st.text(outcome.error_message)  # Azure's words, shown as they are
    _numbers(outcome, stored)
    verdicts = verdict_table(outcome)
    if not verdicts.empty:
        st.dataframe(
            verdicts, column_config=VERDICT_COLUMNS, hide_index=True, placeholder=""
        )  # missing values empty
    if outcome.error_body is not None and outcome.kind != "ok":
        with st.expander("What Azure returned"):
            st.json(outcome.error_body)
    if outcome.unread:
        st.caption("Unlike Azure's answer: " + "; ".join(code(item) for item in outcome.unread))
    _ledger_link(outcome, stored)


def verdict_table(outcome: ChatOutcome) -> pd.DataFrame:
    rows = [
        {
            "target": v.target,
            "category": v.category,
            "severity": v.severity or "",
            "filtered": v.filtered,
            "detected": v.detected,
        }
        for v in outcome.verdicts
    ]
    return pd.DataFrame(rows, columns=list(VERDICT_COLUMNS))


def _numbers(outcome: ChatOutcome, stored: dict[str, Any] | None) -> None:
    first, second, third, fourth, fifth = st.columns(5)
    first.metric("Input tokens", _count(outcome.input_tokens),
                 help=f"cached: {_count(outcome.cached_input_tokens)}")  # fmt: skip
    second.metric("Output tokens", _count(outcome.output_tokens),
                  help=f"reasoning: {_count(outcome.reasoning_tokens)}")  # fmt: skip
    third.metric("Cost", _cost(stored))
    fourth.metric("Latency", f"{outcome.latency_ms:,.0f} ms")
    fifth.metric("Time to first token",
                 "-" if outcome.ttft_ms is None else f"{outcome.ttft_ms:,.0f} ms")  # fmt: skip
    where = ", ".join(code(x) for x in (outcome.model, outcome.region) if x)
    if where:
        st.caption(f"{code(outcome.deployment)}: {where}")
    if outcome.failover_from:
        answered = f" to {code(outcome.endpoint)}" if outcome.endpoint else ""
        st.caption(f"Failed over from {code(outcome.failover_from)}{answered}.")


def _cost(stored: dict[str, Any] | None) -> str:
    if stored is None:
        return "pending"
    if stored.get("billing") == "ptu":
        return "PTU (hourly)"
    if not stored.get("priced"):
        return "unpriced"
    return f"${float(stored['payg_cost_usd']):.6f}"


def _ledger_link(outcome: ChatOutcome, stored: dict[str, Any] | None) -> None:
    if outcome.call_id is None:
        return
    link = f"[Open this call in the Calls explorer]({CALLS_PAGE}?call_id={outcome.call_id})"
    if stored is None:
        link += " (not in the ledger yet: it appears once its span is received)"
    st.markdown(link)


def _count(value: int | None) -> str:
    return "-" if value is None else f"{value:,}"
