"""``make run`` (``aoai-lens serve --demo``) on a machine with no Azure endpoint: the simulator
answers under /simulator, the history is seeded, and live calls keep arriving through the
instrumented client. With ``AZURE_OPENAI_ENDPOINT`` set, nothing is seeded or simulated."""

from __future__ import annotations

import time
from collections.abc import Callable

import duckdb
import httpx

from lens_harness.lens_process import LensServer

CHAT = "/simulator/openai/deployments/gpt-4o-mini/chat/completions?api-version=2024-10-21"


def test_demo_without_azure_seeds_history_and_keeps_live_traffic_flowing(
    make_server: Callable[..., LensServer],
) -> None:
    server = make_server(demo=True, env={"LENS_LIVE_TRAFFIC_PER_MINUTE": "240"}).start()
    answer = httpx.post(
        f"{server.url}{CHAT}",
        headers={"api-key": "any"},
        json={"messages": [{"role": "user", "content": "hi"}]},
    )
    assert answer.status_code == 200 and answer.headers["x-ms-region"] == "Sweden Central"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        calls = int(server.health()["calls"])  # type: ignore[call-overload]
        if calls >= 20_000 + 5:
            break
        time.sleep(0.5)
    server.stop()
    with duckdb.connect(str(server.db_path), read_only=True) as con:
        live = con.execute(
            "SELECT count(*), count(DISTINCT deployment), count(DISTINCT tenant_id), "
            "count(*) FILTER (WHERE region IS NOT NULL AND deployment_type IS NOT NULL), "
            "bool_and(json_extract_string(attributes, '$.resource.\"lens.demo\"') = 'true'), "
            "bool_and(json_extract(attributes, '$.\"azure.openai.simulated\"')::BOOLEAN) "
            "FROM calls WHERE service = 'aoai-lens-playground'"
        ).fetchall()[0]
        history = con.execute(
            "SELECT count(*) FROM calls WHERE service <> 'aoai-lens-playground'"
        ).fetchall()[0][0]
    count, deployments, tenants, located, demo, simulated = live
    assert history == 20_000
    assert count >= 5 and deployments >= 2 and tenants >= 2
    assert located == count  # region and deployment type on every live call
    assert demo and simulated  # marked as demo data and as simulated


def test_with_an_azure_endpoint_nothing_is_seeded_or_simulated(
    make_server: Callable[..., LensServer],
) -> None:
    env = {"AZURE_OPENAI_ENDPOINT": "https://aoai-prod.openai.azure.com"}
    server = make_server(demo=True, env=env).start()
    time.sleep(2)  # a seeder or live traffic, had one started, would have sent by now
    health = server.health()
    off = httpx.post(f"{server.url}{CHAT}", headers={"api-key": "any"}, json={})
    server.stop()
    assert health["calls"] == 0 and health["otlp"]["requests"] == 0  # type: ignore[index]
    assert off.status_code == 404
    assert off.json() == {
        "error": "the simulator is off",
        "hint": "unset AZURE_OPENAI_ENDPOINT or set LENS_SIMULATOR=true",
    }
    assert "demo data not seeded: AZURE_OPENAI_ENDPOINT is set" in server.output()
