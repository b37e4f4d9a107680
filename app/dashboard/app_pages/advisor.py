"""Savings advisor (admin, finops): what to change to spend less, each recommendation with
what it compares against, its assumptions and a saving range; a what-if re-pricing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import streamlit as st

from app.dashboard import cache
from app.dashboard.components import advice
from app.dashboard.components.sign_in import current_identity

if current_identity().tenants is not None:  # the advice reads every tenant's calls
    st.info("The savings advisor reads every tenant's calls: your access is limited to some.")
    st.markdown("Ask an admin for a role that is not limited to some tenants.")
    st.stop()

days = st.sidebar.selectbox("Last", [7, 30, 90], index=1, format_func=lambda d: f"{d} days")
end = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
version = cache.data_version()
report = cache.advice(end, days, version)
if not report["ptu_sizing"] and not report["caching"] and not report["batch"]:
    st.info(f"No Azure OpenAI calls in the last {days} days: nothing to advise yet.")
    st.markdown(
        "The advisor reads the calls in the ledger: send OpenTelemetry spans to this server "
        "or pull Azure Monitor logs (see the Sources page). For PTU break-even, set "
        "`ptu_hourly_usd` or `reserved_monthly_usd` of provisioned deployments in "
        "`deployments.toml`; for prompt caching, send calls through the instrumented client, "
        "which fingerprints prompt prefixes (`azure.openai.prompt_prefix_hash`)."
    )
    st.stop()
st.caption(
    f"All figures are estimates: {advice.period(report['observed_days'])} with calls, scaled "
    "to 30 days. Each recommendation names what it compares against, what it assumes, and the "
    "saving with its main assumption 25 % off either way."
)
st.metric(
    "Estimated saving a month",
    advice.usd(report["total_monthly_saving_usd"]),
    help="The sum of the positive estimates below. They overlap (caching lowers the tokens a "
    "PTU or Batch estimate prices), so the sum is an upper bound.",
)
for note in report["notes"]:
    st.caption(note)
if not report["recommendations"]:
    st.info("No recommendation: nothing found in this window that would save money.")
for rec in report["recommendations"]:
    advice.recommendation(rec)

st.subheader("PTU sizing and break-even")
if report["ptu_sizing"]:
    st.caption(
        "Microsoft's sizing: (input TPM x (1 - cache rate) + output ratio x output TPM) / input "
        "TPM per PTU, rounded up to the scale increment. Break-even: the utilisation of the "
        "PTUs from which they cost less than pay-as-you-go for the same tokens (above 100 %: "
        "never, at this mix of tokens)."
    )
    advice.table(report["ptu_sizing"], advice.PTU_COLUMNS, advice.PTU_DEFAULT, "ptu_columns")
    if st.toggle("Tokens per minute by hour of day"):
        names = [row["deployment"] for row in report["ptu_sizing"]]
        chosen = st.selectbox("Deployment", names)
        advice.table(
            [row for row in report["tpm_by_hour"] if row["deployment"] == chosen],
            advice.HOURLY_COLUMNS,
        )
else:
    st.caption("No deployment whose model has published PTU sizing figures.")

st.subheader("Prompt caching")
advice.table(report["caching"], advice.CACHING_COLUMNS)

st.subheader("Batch or Flex candidates")
st.caption(
    "Not interactive: a named service none of whose calls was streamed or named an end user."
)
if report["batch"]:
    advice.table(report["batch"], advice.BATCH_COLUMNS, advice.BATCH_DEFAULT, "batch_columns")

st.subheader("What if")
targets = cache.repricing_targets(version)
options = cache.filter_options(end - timedelta(days=days), end, version)
with st.form("what_if"):
    left, right = st.columns(2)
    model = left.selectbox("Model", ["(as now)", *targets["model"]])
    kind = right.selectbox("Deployment type", ["(as now)", *targets["deployment_type"]])
    tenants = left.multiselect("Tenants", options.get("tenant_id", []), placeholder="All")
    deployments = right.multiselect("Deployments", options.get("deployment", []), placeholder="All")
    asked = st.form_submit_button("Price again")
if asked:
    result = cache.what_if(
        end, days, tuple(tenants), tuple(deployments),
        None if model == "(as now)" else model, None if kind == "(as now)" else kind, version,
    )  # fmt: skip
    now_col, then_col, saving_col = st.columns(3)
    now_col.metric(f"Last {days} days as now", advice.usd(result["baseline_usd"]))
    then_col.metric("Priced again", advice.usd(result["what_if_usd"]))
    saving_col.metric("Saving a month (estimate)", advice.usd(result["monthly_saving_usd"]))
    st.text(
        f"With traffic 25 % lower / higher: {advice.usd(result['saving_low_usd'])} to "
        f"{advice.usd(result['saving_high_usd'])} a month. Provisioned deployments count at the "
        "pay-as-you-go price of their family on both sides."
    )
    for caveat in result["caveats"]:
        st.warning(caveat)
    if result["unpriced_tokens"]:
        st.warning(f"{result['unpriced_tokens']:,} tokens have no price on the target.")
