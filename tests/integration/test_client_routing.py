"""What the instrumented client records of a call's route, against two local endpoints: a
primary serving what the test gives it and the shipped simulator behind it. The service
tier asked for and the one that served (a Priority downgrade), spillover asked for and
used (the simulator's saturated provisioned deployment), the API Management backend a
gateway names, on the span the real OpenAI instrumentation and SDK make.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from typing import Any

import duckdb
import pytest

from aoai_client import (
    ClientConfig,
    Endpoint,
    TelemetryConfig,
    build_client,
    configure_telemetry,
    run_chat,
)
from aoai_client.traffic import TrafficPlan, load_prompts
from lens_harness.lens_process import LensServer, free_port
from simulator.config import Fault, SimulatorConfig
from tests.fakes.raw_answers import RawAnswer, RawAnswerServer
from tests.integration.test_client_failover import OK_BODY, chat_spans, throttled
from tests.stream_reading import Instrumented
from tests.threaded_servers import simulator_server

PRIORITY: dict[str, Any] = {
    "model": "gpt-4o-mini",
    "messages": [{"role": "user", "content": "hi"}],
    "service_tier": "priority",
}


@pytest.fixture
def spans() -> Iterator[Instrumented]:
    with Instrumented() as instrumented:
        yield instrumented


def client_for(*urls: str, deployment_types: dict[str, str] | None = None) -> Any:
    endpoints = tuple(Endpoint(url) for url in urls)
    return build_client(
        ClientConfig(
            endpoints=endpoints, api_key="k", max_retries=0,
            deployment_types=deployment_types or {},
        )
    )  # fmt: skip


def test_a_priority_call_failed_over_to_a_downgrading_region_records_both_tiers(
    spans: Instrumented,
) -> None:
    simulator = SimulatorConfig(latency_scale=0, faults={"westeurope": Fault("downgrade")})
    with RawAnswerServer() as primary, simulator_server(simulator) as secondary:
        primary.answer = throttled(retry_after_s=5)
        client = client_for(primary.url, f"{secondary.url}/westeurope")
        answer = client.chat.completions.create(**PRIORITY)
    assert answer.service_tier == "default"  # the caller sees what Azure said
    (span,) = chat_spans(spans)
    assert span["openai.request.service_tier"] == "priority"
    assert span["openai.response.service_tier"] == "default"
    assert span["azure.openai.failover_from"] == primary.url
    assert span["azure.openai.attempts"] == 2
    assert span["azure.openai.region"] == "West Europe"
    assert "azure.openai.spillover.used" not in span  # not asked for


def test_a_priority_call_without_a_downgrade_is_served_at_priority(
    spans: Instrumented,
) -> None:
    with simulator_server() as simulator:
        client_for(simulator.url).chat.completions.create(**PRIORITY)
    (span,) = chat_spans(spans)
    assert span["openai.request.service_tier"] == "priority"
    assert span["openai.response.service_tier"] == "priority"
    assert "azure.openai.failover_from" not in span


def test_a_saturated_provisioned_deployment_spills_over_and_the_span_says_so(
    spans: Instrumented,
) -> None:
    simulator = SimulatorConfig(latency_scale=0, faults={"default": Fault("saturated")})
    types = {"gpt-4o-ptu": "ProvisionedManaged"}
    with simulator_server(simulator) as server:
        client = client_for(server.url, deployment_types=types)
        client.chat.completions.create(
            model="gpt-4o-ptu",
            messages=[{"role": "user", "content": "hi"}],
            extra_headers={"x-ms-spillover-deployment": "gpt-4o-prod"},
        )
        sent = server.requests[0].headers["x-ms-spillover-deployment"]
    assert sent == "gpt-4o-prod"
    (span,) = chat_spans(spans)
    assert span["azure.openai.spillover.deployment"] == "gpt-4o-prod"
    assert span["azure.openai.spillover.used"] is True
    assert span["azure.openai.spillover.from_deployment"] == "gpt-4o-ptu"
    # Served, and billed, by the standard deployment of the same processing level.
    assert span["azure.openai.deployment"] == "gpt-4o-prod"
    assert span["azure.openai.deployment_type"] == "Standard"


def test_spillover_asked_for_but_not_needed_is_recorded_as_not_used(
    spans: Instrumented,
) -> None:
    with simulator_server() as server:
        client = client_for(server.url, deployment_types={"gpt-4o-ptu": "ProvisionedManaged"})
        client.chat.completions.create(
            model="gpt-4o-ptu",
            messages=[{"role": "user", "content": "hi"}],
            extra_headers={"x-ms-spillover-deployment": "gpt-4o-prod"},
        )
    (span,) = chat_spans(spans)
    assert span["azure.openai.spillover.used"] is False
    assert span["azure.openai.deployment"] == "gpt-4o-ptu"
    assert span["azure.openai.deployment_type"] == "ProvisionedManaged"


def test_a_saturated_provisioned_deployment_without_spillover_is_throttled(
    spans: Instrumented,
) -> None:
    simulator = SimulatorConfig(latency_scale=0, faults={"default": Fault("saturated")})
    with simulator_server(simulator) as server:
        answer = client_for(server.url).chat.completions.with_raw_response.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}]
        )  # a standard deployment is not saturated
        assert answer.status_code == 200
        with pytest.raises(Exception, match="429"):
            client_for(server.url).chat.completions.create(
                model="gpt-4o-ptu", messages=[{"role": "user", "content": "hi"}]
            )


def test_the_gateway_backend_header_and_the_body_tier_are_recorded(spans: Instrumented) -> None:
    body = {**OK_BODY, "service_tier": "flex"}
    headers = {"x-aoai-backend": "aoai-swc-ptu", "x-ms-region": "Sweden Central"}
    with RawAnswerServer() as gateway:
        gateway.answer = RawAnswer([json.dumps(body).encode()], "application/json",
                                   headers=headers)  # fmt: skip
        client_for(gateway.url).chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}]
        )
    (span,) = chat_spans(spans)
    assert span["azure.openai.backend"] == "aoai-swc-ptu"
    assert span["openai.response.service_tier"] == "flex"
    assert "openai.request.service_tier" not in span


def test_a_streamed_answer_records_its_tier(spans: Instrumented) -> None:
    with simulator_server() as server:
        stream = client_for(server.url).chat.completions.create(**PRIORITY, stream=True)
        for _ in stream:
            pass
    (span,) = chat_spans(spans)
    assert span["openai.response.service_tier"] == "priority"


def test_the_ledger_row_says_where_the_call_went(lens_server: LensServer) -> None:
    """Through the real exporter and receiver: a Priority call that failed over to a region
    that downgraded it, stored with its route in columns."""
    simulator = SimulatorConfig(latency_scale=0, faults={"westeurope": Fault("downgrade")})
    telemetry = configure_telemetry(
        TelemetryConfig(otlp_traces_endpoint=f"{lens_server.url}/v1/traces", export_delay_ms=50)
    )
    try:
        with simulator_server(simulator) as server:
            down = f"http://127.0.0.1:{free_port()}"
            client = client_for(down, f"{server.url}/westeurope")
            answer = client.chat.completions.create(**PRIORITY)
        assert telemetry.flush()
    finally:
        telemetry.shutdown()
    lens_server.stop()
    with duckdb.connect(str(lens_server.db_path), read_only=True) as con:
        row = con.execute(
            "SELECT region, service_tier_requested, service_tier, failover_from, attempts, "
            "spillover FROM calls WHERE response_id = ?",
            [answer.id],
        ).fetchone()
    assert row == ("West Europe", "priority", "default", down, 2, None)


def test_the_demo_traffic_asks_for_priority_for_its_first_tenant() -> None:
    plan = TrafficPlan(("gpt-4o-mini",), ("contoso",), 1, 0, 1, load_prompts(),
                       priority_tenants=("contoso",))  # fmt: skip
    request = plan.request(0, random.Random(1))
    assert request.service_tier == "priority"
    other = TrafficPlan(("gpt-4o-mini",), ("fabrikam",), 1, 0, 1, load_prompts(),
                        priority_tenants=("contoso",))  # fmt: skip
    assert other.request(0, random.Random(1)).service_tier is None
    with simulator_server() as server:
        outcome = run_chat(client_for(server.url), request)
        sent = server.requests[0].body
    assert outcome.kind == "ok"
    assert sent["service_tier"] == "priority"
