"""Page errors that escape the page: a ``LensError`` shown as the pages show it
(``states.show_error``); anything else logged in full with an id, shown as one line with it."""

from __future__ import annotations

import logging
import uuid

import streamlit as st

from app.dashboard.components.states import show_error
from lens_errors import LensError

log = logging.getLogger("app.pages")


def report_script_error(exc: Exception) -> bool:
    """``st.App(on_script_error=...)``: True suppresses Streamlit's traceback."""
    if isinstance(exc, LensError):
        show_error(exc)
        return True
    error_id = uuid.uuid4().hex[:8]
    log.exception("page error %s", error_id, exc_info=exc)
    st.error(
        f"Something went wrong on this page (error id {error_id}); the server log has the details."
    )
    return True
