"""The simulator's regional resources and their faults, over real HTTP as the lens server
mounts it (under ``/simulator``): regions answer with their own ``x-ms-region``, faults are
switched by the config and the admin route, and the instrumented client fails over from a
region in an outage or a throttle storm to the next one."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx2
import pytest
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from starlette.applications import Starlette
from starlette.routing import Mount

from aoai_client import ClientConfig, Endpoint, TelemetryConfig, build_client, configure_telemetry
from simulator import Fault, SimulatorConfig, build_simulator_app
from simulator.config import SimulatedDeployment
from tests.threaded_servers import ThreadedServer

CHAT = "/openai/deployments/gpt-4o-mini/chat/completions?api-version=2024-10-21"
ASK: dict[str, Any] = {"messages": [{"role": "user", "content": "hi"}]}


def mounted(config: SimulatorConfig) -> ThreadedServer:
    """The simulator under ``/simulator``, as the lens server serves it."""
    return ThreadedServer(Starlette(routes=[Mount("/simulator", build_simulator_app(config))]))


@pytest.fixture
def sim() -> Iterator[ThreadedServer]:
    with mounted(SimulatorConfig(latency_scale=0)) as server:
        yield server


def post(server: ThreadedServer, path: str) -> httpx2.Response:
    return httpx2.post(f"{server.url}/simulator{path}", json=ASK, headers={"api-key": "k"})


def admin(server: ThreadedServer, method: str, path: str = "", body: Any = None) -> httpx2.Response:
    url = f"{server.url}/simulator/admin/faults{path}"
    return httpx2.request(method, url, json=body)


def test_each_region_answers_from_its_own_region_and_the_root_still_answers(
    sim: ThreadedServer,
) -> None:
    root = post(sim, CHAT)
    assert root.status_code == 200 and root.headers["x-ms-region"] == "Sweden Central"
    for region, name in (("westeurope", "West Europe"), ("eastus2", "East US 2")):
        answer = post(sim, f"/{region}{CHAT}")
        assert answer.status_code == 200, answer.text
        assert answer.headers["x-ms-region"] == name
        assert answer.json()["choices"][0]["message"]["content"]
    assert post(sim, f"/mars{CHAT}").status_code == 404


def test_the_admin_route_switches_an_outage_a_throttle_storm_and_slow_answers(
    sim: ThreadedServer,
) -> None:
    assert admin(sim, "GET").json()["faults"] == {
        "default": None,
        "swedencentral": None,
        "westeurope": None,
        "eastus2": None,
    }
    assert admin(sim, "PUT", "/westeurope", {"kind": "outage"}).status_code == 200
    down = post(sim, f"/westeurope{CHAT}")
    assert down.status_code == 503 and down.headers["x-ms-region"] == "West Europe"
    assert down.json()["error"]["code"] == "ServiceUnavailable"
    assert "retry-after" not in down.headers
    assert post(sim, f"/eastus2{CHAT}").status_code == 200  # the other regions answer
    assert post(sim, CHAT).status_code == 200

    admin(sim, "PUT", "/eastus2", {"kind": "throttle", "retry_after_s": 7})
    storm = [post(sim, f"/eastus2{CHAT}") for _ in range(3)]
    assert {a.status_code for a in storm} == {429}
    assert (storm[0].headers["retry-after"], storm[0].headers["retry-after-ms"]) == ("7", "7000")
    assert "Please retry after 7 seconds" in storm[0].json()["error"]["message"]

    admin(sim, "PUT", "/default", {"kind": "slow", "delay_ms": 400})
    started = time.monotonic()
    slow = post(sim, CHAT)
    assert slow.status_code == 200 and time.monotonic() - started >= 0.4
    assert admin(sim, "GET").json()["faults"] == {
        "default": {"kind": "slow", "retry_after_s": None, "delay_ms": 400.0},
        "swedencentral": None,
        "westeurope": {"kind": "outage", "retry_after_s": None, "delay_ms": 0.0},
        "eastus2": {"kind": "throttle", "retry_after_s": 7, "delay_ms": 0.0},
    }
    admin(sim, "DELETE", "/westeurope")
    assert post(sim, f"/westeurope{CHAT}").status_code == 200
    cleared = admin(sim, "DELETE")
    assert set(cleared.json()["faults"].values()) == {None}
    assert post(sim, f"/eastus2{CHAT}").status_code == 200


def test_faults_can_start_from_the_config() -> None:
    config = SimulatorConfig(
        latency_scale=0, faults={"swedencentral": Fault("outage", retry_after_s=30)}
    )
    with mounted(config) as server:
        down = post(server, f"/swedencentral{CHAT}")
        assert (down.status_code, down.headers["retry-after"]) == (503, "30")
    with pytest.raises(ValueError, match="unknown resources: mars"):
        SimulatorConfig(faults={"mars": Fault("outage")})


@pytest.mark.parametrize(
    ("path", "body", "status", "says"),
    [
        ("/mars", {"kind": "outage"}, 404, "no simulated resource 'mars'"),
        ("/westeurope", {"kind": "meltdown"}, 400, "kind must be one of"),
        ("/westeurope", {"kind": "slow", "delay_ms": -1}, 400, "delay_ms must be 0 to"),
        ("/westeurope", {"kind": "throttle", "retry_after_s": "soon"}, 400, "whole number"),
        ("/westeurope", ["outage"], 400, "a JSON object"),
    ],
)
def test_a_bad_admin_request_is_refused_with_the_fix(
    sim: ThreadedServer, path: str, body: Any, status: int, says: str
) -> None:
    refused = admin(sim, "PUT", path, body)
    assert refused.status_code == status
    assert says in refused.json()["error"] and refused.json()["hint"]


def test_the_client_fails_over_from_a_region_in_an_outage_and_comes_back(
    sim: ThreadedServer,
) -> None:
    spans = InMemorySpanExporter()
    telemetry = configure_telemetry(TelemetryConfig(service_name="failover-demo"))
    telemetry.add_span_processor(SimpleSpanProcessor(spans))
    try:
        west, north = f"{sim.url}/simulator/westeurope", f"{sim.url}/simulator/swedencentral"
        endpoints = (Endpoint(west), Endpoint(north))
        client = build_client(ClientConfig(endpoints=endpoints, api_key="k", max_retries=0))
        ask = {"model": "gpt-4o-mini", **ASK}
        admin(sim, "PUT", "/westeurope", {"kind": "outage"})
        client.chat.completions.create(**ask)
        admin(sim, "PUT", "/westeurope", {"kind": "throttle", "retry_after_s": 1})
        client.chat.completions.create(**ask)
        admin(sim, "DELETE", "/westeurope")
        time.sleep(1.0)  # the storm's Retry-After
        client.chat.completions.create(**ask)
    finally:
        telemetry.shutdown()
    outage, storm, back = (dict(s.attributes or {}) for s in spans.get_finished_spans())
    assert outage["azure.openai.region"] == storm["azure.openai.region"] == "Sweden Central"
    assert outage["azure.openai.failover_from"] == storm["azure.openai.failover_from"] == west
    assert outage["azure.openai.attempt.status"] == (503, 200)
    assert storm["azure.openai.attempt.status"] == (429, 200)
    assert storm["azure.openai.attempt.retry_after_ms"] == (1000, 0)
    assert outage["azure.openai.attempt.region"] == ("West Europe", "Sweden Central")
    assert back["azure.openai.region"] == "West Europe"
    assert back["azure.openai.attempt.outcome"] == ("answered",)
    assert "azure.openai.failover_from" not in back


def ask(server: ThreadedServer, path: str, body: dict[str, Any], **headers: str) -> httpx2.Response:
    return httpx2.post(
        f"{server.url}/simulator{path}", json=body, headers={"api-key": "k", **headers}
    )


PRIORITY = {**ASK, "service_tier": "priority"}
PTU = "/openai/deployments/gpt-4o-ptu/chat/completions?api-version=2024-10-21"


def test_a_downgrade_switched_by_the_admin_route_serves_priority_calls_at_default(
    sim: ThreadedServer,
) -> None:
    assert ask(sim, CHAT, PRIORITY).json()["service_tier"] == "priority"
    assert ask(sim, CHAT, ASK).json()["service_tier"] == "default"  # not asked for
    assert ask(sim, CHAT, {**ASK, "service_tier": "flex"}).json()["service_tier"] == "flex"
    assert admin(sim, "PUT", "/default", {"kind": "downgrade"}).status_code == 200
    assert ask(sim, CHAT, PRIORITY).json()["service_tier"] == "default"
    assert ask(sim, f"/westeurope{CHAT}", PRIORITY).json()["service_tier"] == "priority"
    admin(sim, "DELETE", "/default")
    assert ask(sim, CHAT, PRIORITY).json()["service_tier"] == "priority"


def test_priority_is_downgraded_when_the_deployment_is_nearly_out_of_tokens() -> None:
    tiny = SimulatorConfig(
        latency_scale=0,
        deployments=(SimulatedDeployment("small", "gpt-4o-2024-11-20", "GlobalStandard",
                                         "Sweden Central", tpm=20_000),),
    )  # fmt: skip
    path = "/openai/deployments/small/chat/completions?api-version=2024-10-21"
    with mounted(tiny) as server:
        first = ask(server, path, {**PRIORITY, "max_tokens": 10_000})  # half the minute
        second = ask(server, path, {**PRIORITY, "max_tokens": 8_000})  # past 90 %
    assert first.json()["service_tier"] == "priority"
    assert second.status_code == 200 and second.json()["service_tier"] == "default"


def test_a_saturated_provisioned_deployment_spills_over_only_when_asked(
    sim: ThreadedServer,
) -> None:
    assert admin(sim, "PUT", "/default", {"kind": "saturated"}).status_code == 200
    refused = ask(sim, PTU, ASK)
    assert refused.status_code == 429 and refused.headers["retry-after"] == "10"
    assert ask(sim, CHAT, ASK).status_code == 200  # a standard deployment is not saturated
    spilled = ask(sim, PTU, ASK, **{"x-ms-spillover-deployment": "gpt-4o-prod"})
    assert spilled.status_code == 200
    assert spilled.headers["x-ms-spillover-from-deployment"] == "gpt-4o-ptu"
    assert spilled.headers["x-ms-deployment-name"] == "gpt-4o-prod"
    assert spilled.json()["model"] == "gpt-4o-2024-11-20"  # the standard deployment's
    unknown = ask(sim, PTU, ASK, **{"x-ms-spillover-deployment": "no-such-deployment"})
    assert unknown.status_code == 429
    admin(sim, "DELETE", "/default")
    direct = ask(sim, PTU, ASK, **{"x-ms-spillover-deployment": "gpt-4o-prod"})
    assert direct.status_code == 200 and "x-ms-spillover-from-deployment" not in direct.headers
