"""Entrypoint of the dashboard: page title and navigation; errors a user can fix shown as such."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from app.dashboard.components.sign_in import sidebar_note, signed_in
from app.dashboard.components.states import show_error
from app.errors import LensError

PAGES = Path(__file__).parent / "app_pages"

st.set_page_config(page_title="aoai-lens", layout="wide")
identity = signed_in()  # local mode, or a signed-in person the access file names
# (file, title, icon, the action the page needs)
PAGE_LIST = [
    ("overview.py", "Overview", ":material/monitoring:", "read"),
    ("deployments.py", "Deployments", ":material/dns:", "read"),
    ("tenants.py", "Tenants & chargeback", ":material/receipt_long:", "read"),
    ("content_safety.py", "Content safety", ":material/shield:", "read"),
    ("calls.py", "Calls explorer", ":material/search:", "read"),
    ("reconciliation.py", "Reconciliation", ":material/balance:", "reconcile"),
    ("sources.py", "Sources", ":material/cloud_sync:", "sources"),
    ("alerts.py", "Alerts", ":material/notifications:", "alerts"),
    ("advisor.py", "Savings advisor", ":material/savings:", "advise"),
    ("playground.py", "Playground", ":material/play_circle:", "playground"),
    ("audit.py", "Audit log", ":material/policy:", "audit"),
]
page = st.navigation(
    [
        st.Page(PAGES / name, title=title, icon=icon, default=name == "overview.py")
        for name, title, icon, action in PAGE_LIST
        if identity.may(action)
    ]
)
sidebar_note(identity)
st.title(page.title)
try:
    page.run()
except LensError as error:  # a problem the user can fix: say what and how, no traceback
    show_error(error)
