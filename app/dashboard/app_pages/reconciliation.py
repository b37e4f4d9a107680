"""Reconciliation: a month's Azure Cost Management export beside the lens's cost, per day,
resource, model, deployment type and token class."""

from __future__ import annotations

from datetime import UTC, datetime

import streamlit as st

from app.dashboard import cache, page_actions
from app.dashboard.components import states, tables
from app.dashboard.components.sign_in import current_identity
from app.dashboard.page_actions import NotAnExportError
from app.errors import LensError
from queries.chargeback import last_full_month

identity = current_identity()
now = datetime.now(UTC)
months = cache.chargeback_months(f"{now:%Y-%m}", cache.data_version())
default = last_full_month(now)
month = st.selectbox("Month", months, index=months.index(default) if default in months else 0)
uploads = st.file_uploader(
    "Cost Management exports",
    type=["csv", "parquet"],
    accept_multiple_files=True,
    help="Cost Management > Exports: 'Cost and usage details (FOCUS)' as CSV or Parquet, or "
    "'Cost and usage details (actual)' as CSV. Several files (a month split in parts) are read "
    "together.",
)
if not uploads:
    st.info(
        "Upload the month's export to compare what Azure billed with what the lens computed, "
        "per day and resource, and per model, deployment type and token class where the bill's "
        "meters name them. The same comparison runs from the command line: "
        "`aoai-lens reconcile --month YYYY-MM FILE...`."
    )
    st.stop()
files = [(upload.name, upload.getvalue()) for upload in uploads]
try:
    with st.spinner("Reading the export and pricing the month's calls..."):
        done = page_actions.reconcile_uploads(month, files)
except NotAnExportError as error:
    states.show_error(error, "The upload cannot be reconciled.")
    st.stop()
summary = done.summary()
key = (month, tuple(name for name, _ in files))
if st.session_state.get("reconciled") != key:  # once per month and set of files
    st.session_state["reconciled"] = key
    page_actions.record(identity, "reconcile", month, {"via": "ui", **summary})
billed, lens, difference = st.columns(3)
billed.metric("Billed (USD)", f"${done.billed_usd:,.2f}")
lens.metric("Lens (USD)", f"${done.lens_usd:,.2f}")
difference.metric("Difference", f"${done.billed_usd - done.lens_usd:,.2f}")
if done.only_on_the_bill:
    names = ", ".join(done.only_on_the_bill)
    st.warning(f"On the bill with no calls in the lens: {names}. Check the Sources page: is "
               "their telemetry collected?")  # fmt: skip
if done.only_in_the_lens:
    names = ", ".join(done.only_in_the_lens)
    st.warning(f"Calls in the lens for resources the export does not list: {names}.")
st.dataframe(
    done.rows, column_config=tables.RECONCILE_COLUMNS, hide_index=True, placeholder=tables.EMPTY
)
st.caption(
    "Known causes of a difference: calls the lens could not price (the Overview's pricing "
    "coverage), telemetry that misses calls or samples them (Sources), rounding of the bill's "
    "quantities, and prices that changed: `aoai-lens prices refresh` reads the current ones."
)
st.download_button(
    "Download reconciliation CSV",
    data=done.csv(),
    file_name=f"reconciliation-{month}.csv",
    mime="text/csv",
    icon=":material/download:",
)

st.subheader("Use the bill's unit prices")
if st.session_state.get("bill_prices_applied"):
    st.success(st.session_state.pop("bill_prices_applied"))
used = page_actions.bill_prices(month, files)
st.caption(
    "Each meter's price on the bill (its cost over the tokens it counts, per 1M tokens) "
    "beside the price book's for the same tokens. Applied, they become a new price book "
    f"version ({used.proposal.source}, from the month's first day) and every cost is "
    "computed again from it. Meters whose name or unit cannot be read are listed, not applied."
)
if used.proposal.changes:
    st.dataframe(
        used.changes_frame(), column_config=tables.BILL_PRICE_COLUMNS, hide_index=True,
        placeholder=tables.EMPTY,
    )  # fmt: skip
else:
    st.info("The bill's unit prices equal the price book's: nothing to change.")
if used.proposal.not_applied:
    st.dataframe(
        used.not_applied_frame(), column_config=tables.BILL_NOT_APPLIED_COLUMNS,
        hide_index=True, placeholder=tables.EMPTY,
    )  # fmt: skip
refused = page_actions.bill_prices_refusal(identity)
if used.proposal.changes and refused is not None:
    st.info(f"Only an admin, or finops for every tenant, may apply them: {refused}.")
elif used.proposal.changes and st.button("Apply the bill's unit prices", type="primary"):
    try:
        applied = page_actions.apply_bill_prices(identity, month, files)
    except LensError as error:
        st.error(error.message)
        st.caption(error.hint)
        st.stop()
    st.session_state["bill_prices_applied"] = (
        f"Loaded price book version {applied.applied_version}: "
        f"{len(applied.proposal.changes)} prices from {applied.proposal.source}."
    )
    st.rerun()
