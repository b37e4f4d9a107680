"""Audit log (admins only): who signed in, exported, read content, applied prices, pulled,
used the playground or was refused, and when; filterable and downloadable."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import streamlit as st

from app.dashboard import page_actions
from app.dashboard.components import tables
from app.dashboard.components.sign_in import current_identity

ACTIONS = [
    "sign-in", "denied", "export.chargeback", "content.view", "prices.apply", "backfill",
    "playground.call", "alerts.check",
]  # fmt: skip

identity = current_identity()
days = st.sidebar.selectbox("Last", [1, 7, 30, 90, 365], index=2, format_func=lambda d: f"{d} days")
chosen = st.sidebar.multiselect("Actions", ACTIONS, placeholder="All")
end = datetime.now(UTC) + timedelta(minutes=1)
entries = page_actions.audit_entries(end - timedelta(days=days), end, list(chosen))
if entries.empty:
    st.info(f"No audited action in the last {days} days" + (" of those kinds." if chosen else "."))
    st.stop()
st.caption(f"{len(entries):,} entries, newest first (times in UTC).")
st.dataframe(entries, column_config=tables.AUDIT_COLUMNS, hide_index=True, placeholder=tables.EMPTY)
st.download_button(
    "Download audit log CSV",
    data=entries.to_csv(index=False, lineterminator="\n"),
    file_name=f"audit-log-{end:%Y-%m-%d}.csv",
    mime="text/csv",
    icon=":material/download:",
    on_click=page_actions.record,
    args=(identity, "export.audit", f"{days}d", {"actions": list(chosen)}),
)
