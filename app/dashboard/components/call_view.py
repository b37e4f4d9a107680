"""One call drawn in full: summary, every field, filter verdicts, cost and message content."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
import streamlit as st

from app.access import Identity
from app.dashboard import page_actions
from app.dashboard.components import charts, tables
from app.dashboard.components.verbatim import code
from queries.calls import content_purged, message_content

_SUMMARY_FIELDS = ("status", "deployment", "resolved_tenant_id", "duration_ms", "ttft_ms")
_FILTER_ACTIONS = {"blocked_prompt": "Prompt blocked", "filtered_completion": "Completion filtered"}


def _text(value: Any) -> str:
    if value is None or (not isinstance(value, str | dict | list) and pd.isna(value)):
        return ""
    return str(value)


def filtered_by(verdicts: pd.DataFrame) -> str:
    """The categories that filtered the call, with their severity: 'hate (medium), jailbreak'."""
    if verdicts.empty:
        return "category not reported"
    hits = verdicts[verdicts["filtered"].fillna(False).astype(bool)]
    if hits.empty:
        return "category not reported"
    named = []
    for row in hits.itertuples(index=False):
        severity = _text(row.severity)
        named.append(
            f"{row.category} ({severity})" if severity and severity != "safe" else str(row.category)
        )
    return ", ".join(dict.fromkeys(sorted(named)))


def may_read_content(identity: Identity, detail: dict[str, Any]) -> bool:
    """Message content is the admin's, and safety's for a call a filter flagged."""
    if not identity.may("content"):
        return False
    return identity.role != "safety" or _text(detail.get("filter_action")) not in ("", "none")


def show_call(
    detail: dict[str, Any], verdicts: pd.DataFrame, cost: pd.DataFrame, identity: Identity
) -> None:
    """Draw the call ``detail`` (a row of call_detail) with its verdicts and cost; message
    content and raw attributes only to a role that may read them (audited)."""
    st.subheader(f"Call {code(detail['call_id'])}")
    weight = detail.get("sample_weight")
    if weight is not None and not pd.isna(weight) and float(weight) != 1.0:
        st.info(
            f"This call represents {charts.format_count(float(weight))} calls: its source "
            "sampled them and kept this one, so totals and costs count it that many times."
        )
    status, deployment, tenant, duration, ttft = st.columns(5)
    http = f"{detail['status']} ({_text(detail['http_status']) or 'n/a'})"
    action = _FILTER_ACTIONS.get(_text(detail.get("filter_action")))
    if action is None:
        status.metric("Status", http)
    else:  # what blocked it leads; the HTTP answer is the detail
        status.metric(action, filtered_by(verdicts), help=f"The call's answer: {http}.")
    deployment.metric("Deployment", _text(detail["deployment"]))
    tenant.metric(
        "Tenant",
        _text(detail["resolved_tenant_id"]),
        help=f"Resolved by rule: {code(detail['resolved_by'])}",
    )
    duration.metric("Duration", charts.format_ms(detail["duration_ms"]))
    ttft.metric("Time to first token", charts.format_ms(detail["ttft_ms"]))

    st.markdown("**Cost**")
    if cost.empty:
        st.caption("No cost: the call is not in the price tables' reach.")
    else:
        row = cost.iloc[0]
        if bool(row["priced"]):
            st.metric("Pay-as-you-go cost", charts.format_usd(row["payg_cost_usd"]))
        else:
            st.warning(f"Not priced: {code(row['unpriced_reason'])}")
        if isinstance(row["price_row"], str):
            st.text(f"Priced by: {row['price_row']}")  # the price book row, as text
        if isinstance(row["price_meters"], str):
            st.text(f"Azure meters: {row['price_meters']}")
        for order in (tables.CALL_PRICING_ORDER, tables.CALL_TOKEN_ORDER, tables.CALL_COST_ORDER):
            st.dataframe(
                cost,
                column_config=tables.CALL_COST_COLUMNS,
                column_order=order,
                hide_index=True,
                placeholder=tables.EMPTY,
            )

    st.markdown("**Content-filter verdicts**")
    if verdicts.empty:
        st.caption("The call carried no content-filter verdicts.")
    else:
        st.dataframe(
            verdicts,
            column_config=tables.VERDICT_COLUMNS,
            hide_index=True,
            placeholder=tables.EMPTY,
        )

    st.markdown("**Message content**")
    content_allowed = may_read_content(identity, detail)
    content = message_content(detail.get("attributes")) if content_allowed else None
    if not content_allowed:
        st.caption(f"Not shown: the role {identity.role!r} may not read message content.")
    elif content:
        page_actions.record(identity, "content.view", str(detail["call_id"]), {})
        st.json(content)
    elif content_purged(detail.get("attributes")):
        st.caption(
            "Removed: message content is kept `LENS_CONTENT_RETENTION_DAYS` days after the "
            "call (the call itself, `LENS_RETENTION_DAYS`)."
        )
    else:
        st.caption(
            "Not recorded: content capture was off for this call "
            "(`OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT`)."
        )

    st.markdown("**Every field**")
    fields = {
        key: value for key, value in detail.items() if key not in ("attributes", *_SUMMARY_FIELDS)
    }
    st.dataframe(
        pd.DataFrame({"field": list(fields), "value": [_text(v) for v in fields.values()]}),
        column_config=tables.FIELD_COLUMNS,
        hide_index=True,
        placeholder=tables.EMPTY,
    )
    attributes = detail.get("attributes") if content_allowed else None
    if attributes:
        with st.expander("Span attributes (JSON)"):
            st.json(json.loads(attributes) if isinstance(attributes, str) else attributes)
