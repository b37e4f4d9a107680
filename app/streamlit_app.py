"""Entrypoint of the dashboard: page title and navigation; errors a user can fix shown as such."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from app.errors import LensError
from app.local_mode import NOTE

PAGES = Path(__file__).parent / "app_pages"

st.set_page_config(page_title="aoai-lens", layout="wide")
page = st.navigation(
    [
        st.Page(
            PAGES / "overview.py", title="Overview", icon=":material/monitoring:", default=True
        ),
        st.Page(PAGES / "deployments.py", title="Deployments", icon=":material/dns:"),
        st.Page(PAGES / "tenants.py", title="Tenants & chargeback", icon=":material/receipt_long:"),
        st.Page(PAGES / "content_safety.py", title="Content safety", icon=":material/shield:"),
        st.Page(PAGES / "calls.py", title="Calls explorer", icon=":material/search:"),
        st.Page(PAGES / "sources.py", title="Sources", icon=":material/cloud_sync:"),
        st.Page(PAGES / "playground.py", title="Playground", icon=":material/play_circle:"),
    ]
)
st.sidebar.caption(NOTE)
st.title(page.title)
try:
    page.run()
except LensError as error:  # a problem the user can fix: say what and how, no traceback
    st.error("This page cannot be shown.")
    st.text(error.message)  # may quote a setting or a file name: text, never Markdown
    if error.hint:
        st.text(error.hint)
