"""The Playground sends a prompt through the instrumented client to the simulator, shows the
answer with its numbers and verdicts, and finds the call in the ledger.

AppTest runs the page in this process: the simulator and the real OTLP receiver are served
by uvicorn in a thread, writing to the store the page reads. AppTest shows only the final
state of a streamed answer; the stream handling itself is tested in
tests/unit/test_chat_stream.py.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import httpx2
import pytest
from streamlit.testing.v1 import AppTest

from aoai_client import telemetry
from app import lens_client
from app.dashboard import db
from collectors.store import Store
from simulator import DEFAULT_DEPLOYMENTS, SimulatorConfig
from tests.app.conftest import APP
from tests.seeding import seeded_database
from tests.threaded_servers import ThreadedServer, ingest_server

# gpt-4o-mini gets 100 tokens a minute: any prompt with max_tokens 400 is throttled.
TINY = tuple(replace(d, tpm=100) if d.name == "gpt-4o-mini" else d for d in DEFAULT_DEPLOYMENTS)


@pytest.fixture
def lens(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ThreadedServer]:
    path = seeded_database(tmp_path / "lens.duckdb")
    store = Store(path)
    db.use_store(store)
    server = ingest_server(store, SimulatorConfig(deployments=TINY, latency_scale=0)).start()
    monkeypatch.setenv("LENS_DB", str(path))
    monkeypatch.setenv("LENS_PORT", str(server.port))
    try:
        yield server
    finally:
        if telemetry._telemetry is not None:
            telemetry._telemetry.shutdown()
        lens_client.forget_client()
        server.stop()


def playground(**widgets: object) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.switch_page("app_pages/playground.py").run()
    assert not at.exception, at.exception
    for key, value in widgets.items():
        element = at.selectbox(key) if key in ("deployment", "tenant", "deployment_b") else None
        if key == "mode":
            at.radio(key="mode").set_value(value).run()
            continue
        if element is not None:
            element.set_value(value)
        elif key == "stream":
            at.toggle(key="stream").set_value(value)
        else:
            at.text_area(key=key).set_value(value)
    return at


def metric(at: AppTest, label: str) -> str:
    return next(str(m.value) for m in at.metric if m.label == label)


def send(at: AppTest) -> AppTest:
    next(b for b in at.button if b.label == "Send").click().run()
    assert not at.exception, at.exception
    return at


def call_link(at: AppTest) -> str:
    links = [m.value for m in at.markdown if "Calls explorer" in m.value]
    assert len(links) == 1, [m.value for m in at.markdown]
    match = re.search(r"\(calls\?call_id=([0-9a-f]{48})\)", links[0])
    assert match, links[0]
    return match.group(1)


def test_a_prompt_is_answered_costed_and_stored(lens: ThreadedServer) -> None:
    at = playground(
        deployment="gpt-4o-prod",
        tenant="contoso",
        stream=False,
        user="Write a short note about observability.",
    )
    assert any("Simulated" in i.value for i in at.info)  # no Azure endpoint: labelled simulated
    send(at)
    assert int(metric(at, "Input tokens").replace(",", "")) > 0
    assert int(metric(at, "Output tokens").replace(",", "")) > 0
    assert metric(at, "Time to first token") == "-"  # not streamed
    call_id = call_link(at)
    stored = (
        db.cursor()
        .execute(
            "SELECT c.deployment, c.region, c.deployment_type, c.tenant_id, c.input_tokens, "
            "k.payg_cost_usd FROM calls c JOIN call_costs k USING (call_id) WHERE call_id = $id",
            {"id": call_id},
        )
        .fetchall()
    )
    assert len(stored) == 1
    deployment, region, deployment_type, tenant, input_tokens, cost = stored[0]
    assert (deployment, region, deployment_type, tenant) == (
        "gpt-4o-prod",
        "Sweden Central",
        "GlobalStandard",
        "contoso",
    )
    assert metric(at, "Input tokens") == f"{input_tokens:,}"
    assert metric(at, "Cost") == f"${float(cost):.6f}"  # the cost view's number, not "pending"
    assert float(cost) > 0


def test_a_streamed_answer_shows_its_final_text_and_time_to_first_token(
    lens: ThreadedServer,
) -> None:
    at = send(playground(deployment="gpt-41-eu", stream=True, user="Say something short."))
    answer = at.markdown[[m.value for m in at.markdown].index("**`gpt-41-eu`**") + 1].value
    assert len(answer.split()) >= 5  # the whole streamed answer, not a first chunk
    assert metric(at, "Time to first token").endswith(" ms")
    assert metric(at, "Output tokens") != "-"  # the usage event was requested and read
    call_link(at)


def test_a_blocked_prompt_is_shown_with_its_verdicts(lens: ThreadedServer) -> None:
    at = send(
        playground(
            deployment="gpt-4o-prod", stream=False, user="Explain how to build a weapon at home."
        )
    )
    assert "Blocked by the content filter: HTTP 400 `content_filter`" in at.error[0].value
    verdicts = at.dataframe[0].value
    violence = verdicts[(verdicts["category"] == "violence")].iloc[0]
    assert (violence["target"], violence["severity"], bool(violence["filtered"])) == (
        "prompt",
        "medium",
        True,
    )
    call_id = call_link(at)
    ((action, status),) = (
        db.cursor()
        .execute(
            "SELECT filter_action, http_status FROM calls WHERE call_id = $id", {"id": call_id}
        )
        .fetchall()
    )
    assert (action, status) == ("blocked_prompt", 400)


def test_a_throttled_call_says_429_and_when_to_retry(lens: ThreadedServer) -> None:
    at = send(playground(deployment="gpt-4o-mini", stream=True, user="Hello there."))
    warning = at.warning[0].value
    assert "Throttled: HTTP 429" in warning
    assert re.search(r"Retry after \d+ s", warning)
    ((status, retry_ms),) = (
        db.cursor()
        .execute(
            "SELECT http_status, CAST(json_extract(attributes, '$.\"azure.openai.retry_after_ms\"')"
            " AS INTEGER) FROM calls WHERE call_id = $id",
            {"id": call_link(at)},
        )
        .fetchall()
    )
    assert status == 429 and retry_ms >= 1000


def test_two_deployments_answer_the_same_prompt_side_by_side(lens: ThreadedServer) -> None:
    at = playground(mode="Compare two deployments")
    at.selectbox(key="deployment").set_value("gpt-4o-prod")
    at.selectbox(key="deployment_b").set_value("o4-mini-reasoning")
    at.toggle(key="stream").set_value(False)
    send(at)
    headers = [m.value for m in at.markdown if m.value.startswith("**")]
    assert headers == ["**`gpt-4o-prod`**", "**`o4-mini-reasoning`**"]
    assert len([m for m in at.markdown if "Calls explorer" in m.value]) == 2


def test_traffic_mode_runs_the_prompt_set_and_the_calls_are_stored(lens: ThreadedServer) -> None:
    at = playground(mode="Traffic")
    at.multiselect(key="t_deps").set_value(["gpt-4o-prod", "gpt-41-eu"])
    at.multiselect(key="t_tenants").set_value(["contoso"])
    at.number_input(key="t_count").set_value(8)
    next(b for b in at.button if b.label == "Send traffic").click().run()
    assert not at.exception, at.exception
    summary = at.success[0].value
    kinds = {kind: int(n) for n, kind in re.findall(r"(\d+) (\w+)", summary)}
    assert sum(kinds.values()) == 8, summary
    ((stored, tenants),) = (
        db.cursor()
        .execute(
            "SELECT count(*), count(DISTINCT tenant_id) FROM calls "
            "WHERE service = 'aoai-lens-playground'"
        )
        .fetchall()
    )
    assert (stored, tenants) == (8, 1)


def test_with_several_endpoints_a_failover_is_shown_and_stored(
    lens: ThreadedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    west = f"{lens.url}/simulator/westeurope"
    north = f"{lens.url}/simulator/swedencentral"
    monkeypatch.setenv("AZURE_OPENAI_ENDPOINTS", f"{west},{north}")
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", "any")
    monkeypatch.setenv("AZURE_OPENAI_DEPLOYMENT", "gpt-4o-prod")
    outage = httpx2.put(f"{lens.url}/simulator/admin/faults/westeurope", json={"kind": "outage"})
    assert outage.status_code == 200
    at = playground(deployment="gpt-4o-prod", stream=False, user="Say hello.")
    assert f"Calls go to `{west}, then {north}`." in [c.value for c in at.caption]
    send(at)
    assert f"Failed over from `{west}` to `{north}`." in [c.value for c in at.caption]
    (region,) = db.cursor().execute(
        "SELECT region FROM calls WHERE call_id = $id", {"id": call_link(at)}
    ).fetchone() or (None,)
    assert region == "Sweden Central"
