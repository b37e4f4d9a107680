"""The Calls explorer's search fields <-> the URL, so a search can be shared as a link:
``calls?q=chatcmpl-&user=u3&status=error&finish=content_filter``; ``priced=no`` keeps the
calls with tokens and no price (the Overview's pricing coverage links to them)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final

import streamlit as st

from queries.calls import CallSearch

STATUSES: Final = ("", "ok", "error")
# URL key of each CallSearch field
URL_KEYS: Final = {
    "id_prefix": "q",
    "end_user": "user",
    "status": "status",
    "finish_reason": "finish",
}
MAX_CHARS: Final = 200
UNPRICED_KEY: Final = "priced"  # ?priced=no: only calls with tokens and no price
UNPRICED_VALUE: Final = "no"


def search_from_params(params: Mapping[str, str | Sequence[str]]) -> CallSearch:
    """The search a link names; an unknown status is 'any', long values are cut."""
    values: dict[str, str] = {}
    for field, key in URL_KEYS.items():
        raw = params.get(key, "")
        text = raw if isinstance(raw, str) else (raw[0] if raw else "")
        values[field] = text.strip()[:MAX_CHARS]
    if values["status"] not in STATUSES:
        values["status"] = ""
    unpriced = params.get(UNPRICED_KEY, "")
    flag = unpriced if isinstance(unpriced, str) else (unpriced[0] if unpriced else "")
    return CallSearch(**values, unpriced=flag == UNPRICED_VALUE)


def params_from_search(search: CallSearch) -> dict[str, str]:
    """The URL parameters of ``search`` (empty fields left out)."""
    params = {
        key: getattr(search, field) for field, key in URL_KEYS.items() if getattr(search, field)
    }
    if search.unpriced:
        params[UNPRICED_KEY] = UNPRICED_VALUE
    return params


_WRITTEN: Final = "call_search_written"  # the parameters this form last wrote to the URL


def _state_key(url_key: str) -> str:
    return f"call_search_{url_key}"


def search_form() -> CallSearch:
    """Draw the search form, filled from the URL; write what was searched back to it.

    The fields keep their state across reruns (keyed widgets); they are filled from the
    URL on the first run and whenever the URL no longer holds what the form last wrote
    (a link was followed)."""
    keys = (*URL_KEYS.values(), UNPRICED_KEY)
    in_url = {key: st.query_params.get(key, "") for key in keys}
    current = search_from_params(in_url)
    if st.session_state.get(_WRITTEN) != params_from_search(current):
        for field, key in URL_KEYS.items():
            st.session_state[_state_key(key)] = getattr(current, field)
        st.session_state[_state_key(UNPRICED_KEY)] = current.unpriced
    with st.form("search"):
        id_column, user_column, status_column, finish_column, priced_column = st.columns(
            [3, 2, 1, 2, 1]
        )
        id_column.text_input(
            "Call, trace or response id",
            key=_state_key("q"),
            placeholder="the first characters are enough",
            max_chars=MAX_CHARS,
        )
        user_column.text_input("End user", key=_state_key("user"), max_chars=MAX_CHARS)
        status_column.selectbox(
            "Status", STATUSES, key=_state_key("status"), format_func=lambda s: s or "any"
        )
        finish_column.text_input(
            "Finish reason",
            key=_state_key("finish"),
            placeholder="e.g. content_filter",
            max_chars=MAX_CHARS,
        )
        priced_column.checkbox(
            "Unpriced only",
            key=_state_key(UNPRICED_KEY),
            help="Calls with tokens and no price: no per-token price, or a provisioned "
            "deployment whose capacity has none in deployments.toml.",
        )
        st.form_submit_button("Search", icon=":material/search:")
    typed = {key: st.session_state.get(_state_key(key)) or "" for key in URL_KEYS.values()}
    if st.session_state.get(_state_key(UNPRICED_KEY)):
        typed[UNPRICED_KEY] = UNPRICED_VALUE
    search = search_from_params(typed)
    wanted = params_from_search(search)
    for key in keys:
        if key in wanted:
            st.query_params[key] = wanted[key]
        elif key in st.query_params:
            del st.query_params[key]
    st.session_state[_WRITTEN] = wanted
    return search
