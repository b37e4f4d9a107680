"""Calls explorer: find calls; one call with every field, its verdicts, cost and content."""

from __future__ import annotations

import streamlit as st

from app.dashboard import cache
from app.dashboard.components import call_search, call_view, filters, states, tables
from app.dashboard.components.sign_in import current_identity
from queries.calls import CallSearch

RESULT_LIMIT = 500

call_id = st.query_params.get("call_id", "")
if call_id:
    if st.button("Back to search", icon=":material/arrow_back:"):
        del st.query_params["call_id"]
        st.rerun()
    identity = current_identity()
    detail = cache.call_detail(call_id, identity.tenants)
    if detail is None:
        states.no_call(call_id)
    else:
        start = detail["start_time"]  # the call's own instant: verdicts and cost read only it
        call_view.show_call(
            detail,
            cache.call_filter_results(call_id, start),
            cache.call_cost(call_id, start),
            identity,
        )
    st.stop()

version = cache.data_version()
chosen = filters.filter_bar(version)
search = call_search.search_form()
found = cache.calls_search(chosen.scope, search, RESULT_LIMIT, version)
if found.empty:
    states.empty_ledger(chosen.period, narrowed=chosen.narrowed or search != CallSearch())
    st.stop()
shown = f"the newest {RESULT_LIMIT:,}" if len(found) == RESULT_LIMIT else f"{len(found):,}"
which = "matching calls with tokens and no price" if search.unpriced else "matching calls"
st.caption(f"{chosen.period}: {shown} {which}, newest first.")
st.dataframe(
    tables.with_call_links(found),
    column_config=tables.CALL_LIST_COLUMNS,
    column_order=tables.pick_columns(
        tables.CALL_LIST_COLUMNS, tables.CALL_LIST_DEFAULT, "call_list_columns"
    ),
    hide_index=True,
    placeholder=tables.EMPTY,
)
