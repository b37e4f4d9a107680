"""Playground: send a prompt to a deployment and see it land in the ledger; compare two
deployments; generate traffic from the shipped prompt set."""

from __future__ import annotations

import time

import streamlit as st

from aoai_client.chat import ChatRequest
from app.dashboard import page_actions
from app.dashboard import playground_engine as engine
from app.dashboard.components import playground as panels
from app.dashboard.components.sign_in import current_identity
from app.dashboard.components.verbatim import code

identity = current_identity()
where = engine.target()
if where.simulated:
    panels.simulated_note(where.endpoint)
else:
    st.caption(f"Calls go to {code(where.endpoint)}.")
deployments = engine.deployment_choices()
tenants = engine.tenant_choices()
if not deployments:
    st.info(
        "No deployment to call: set `AZURE_OPENAI_DEPLOYMENT` (comma-separated names) or "
        "send some traffic so deployments appear in the ledger."
    )
    st.stop()

mode = st.radio(
    "Mode", ["Prompt", "Compare two deployments", "Traffic"], horizontal=True, key="mode"
)

if mode == "Traffic":
    with st.form("traffic"):
        chosen = st.multiselect("Deployments", deployments, default=deployments[:2], key="t_deps")
        charged = st.multiselect("Tenants", tenants, default=tenants[:2], key="t_tenants")
        count = st.number_input("Calls", min_value=1, max_value=5000, value=20, key="t_count")
        rate = st.number_input("Calls per second", min_value=0.0, max_value=200.0, value=5.0)
        concurrency = st.number_input("Concurrency", min_value=1, max_value=32, value=4)
        go = st.form_submit_button("Send traffic", type="primary")
    st.caption(f"{len(engine.prompt_set())} prompts, some the simulator annotates, blocks or cuts.")
    if go and chosen:
        run = engine.start_traffic(chosen, charged, int(count), float(rate), int(concurrency))
        plan = {"calls": int(count), "deployments": chosen, "tenants": charged}
        page_actions.record(identity, "playground.call", "traffic", plan)
        bar = st.progress(0.0, text="starting")
        while not run.finished:
            kinds = ", ".join(f"{n} {kind}" for kind, n in sorted(run.kinds.items()))
            bar.progress(run.done / run.plan.count, text=f"{run.done}/{run.plan.count} {kinds}")
            time.sleep(0.2)
        report = run.report
        assert report is not None
        bar.progress(1.0, text=f"{report.sent} calls in {report.elapsed_s:.1f} s")
        summary = ", ".join(f"{n} {kind}" for kind, n in report.kinds.most_common())
        if report.lost:  # calls that raised instead of returning an answer
            st.warning(summary)
            for kind, n in report.lost.most_common():
                st.text(f"{n} x lost ({kind}): {report.lost_examples[kind]}")
        else:
            st.success(summary)
    elif go:
        st.warning("Pick at least one deployment.")
    st.stop()

compare = mode == "Compare two deployments"
second: str | None = None
with st.form("prompt"):
    if compare:
        left_col, right_col = st.columns(2)
        first = left_col.selectbox("Deployment A", deployments, index=0, key="deployment")
        second = right_col.selectbox(
            "Deployment B", deployments, index=min(1, len(deployments) - 1), key="deployment_b"
        )
    else:
        first = st.selectbox("Deployment", deployments, key="deployment")
    tenant = st.selectbox("Charge to tenant", ["(none)", *tenants], key="tenant")
    system = st.text_area("System message", value="You are a helpful assistant.", key="system")
    user = st.text_area(
        "User message", value="Summarise what Azure OpenAI content filters do.", key="user"
    )
    c1, c2, c3, c4 = st.columns(4)
    temperature = c1.slider("Temperature", 0.0, 2.0, 0.7, 0.1)
    top_p = c2.slider("Top p", 0.0, 1.0, 1.0, 0.05)
    max_tokens = c3.number_input("Max tokens", min_value=1, max_value=16384, value=400)
    frequency_penalty = c4.slider("Frequency penalty", -2.0, 2.0, 0.0, 0.1)
    stream = st.toggle("Stream", value=True, key="stream")
    sent = st.form_submit_button("Send", type="primary")

if sent:
    if not user.strip():
        st.warning("Write a user message first.")
        st.stop()
    targets = [first, second] if compare and second else [first]
    columns = st.columns(len(targets))
    for column, deployment in zip(columns, targets, strict=True):
        request = ChatRequest(
            deployment=str(deployment),
            user=user,
            system=system,
            temperature=temperature,
            top_p=top_p,
            max_tokens=int(max_tokens),
            frequency_penalty=frequency_penalty,
            stream=stream,
            tenant_id=None if tenant == "(none)" else tenant,
        )
        with column:
            st.markdown(f"**{code(deployment)}**")
            answer = st.empty()
            result = engine.send(request, on_text=answer.markdown)
            call: dict[str, object] = {
                "call_id": result.outcome.call_id,
                "tenant": request.tenant_id,
            }
            page_actions.record(identity, "playground.call", request.deployment, call)
            if not result.outcome.text:
                answer.empty()
            panels.show_outcome(result.outcome, result.stored)
