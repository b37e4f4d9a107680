"""``aoai-lens traffic`` sends the prompt set through the instrumented client and the spans
reach the lens server; bad input is refused with the reason; a call that raised, or whose
span did not arrive, is reported and fails the run."""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import duckdb
import httpx2
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Mount, Route

from collectors.store import Store
from lens_harness.lens_process import CLI, LensServer, free_port
from simulator import SimulatorConfig, build_simulator_app
from tests.threaded_servers import ThreadedServer, ingest_server, simulator_server


def traffic(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(CLI), "traffic", *args],
        capture_output=True,
        text=True,
        timeout=180,
        cwd=cwd,
        env={**os.environ, "LENS_PORT": str(free_port()), **(env or {})},
    )


@pytest.fixture
def receiver(tmp_path: Path) -> Iterator[tuple[ThreadedServer, Store]]:
    """The real OTLP receiver on a store of this process, the simulator under /simulator."""
    store = Store(tmp_path / "receiver.duckdb")
    server = ingest_server(store).start()
    try:
        yield server, store
    finally:
        server.stop()
        store.close()


def plain_prompts(tmp_path: Path) -> Path:
    """One prompt, not streamed, that the simulator answers ``ok``."""
    path = tmp_path / "plain.jsonl"
    path.write_text('{"id": "plain", "user": "Say hello"}\n', encoding="utf-8")
    return path


def calls_by_tenant(store: Store) -> dict[str, int]:
    rows = store.cursor().execute("SELECT tenant_id, count(*) FROM calls GROUP BY 1").fetchall()
    return {str(tenant): int(n) for tenant, n in rows}


def test_traffic_through_the_servers_simulator_lands_in_the_ledger(
    lens_server: LensServer, tmp_path: Path
) -> None:
    done = traffic(
        "--url",
        lens_server.url,
        "--endpoint",
        f"{lens_server.url}/simulator",
        "--api-key",
        "any",
        "--deployment",
        "gpt-4o-mini",
        "--deployment",
        "gpt-41-eu",
        "--tenant",
        "contoso",
        "--tenant",
        "fabrikam",
        "--count",
        "24",
        "--rate",
        "0",
        "--concurrency",
        "4",
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert "24 calls in" in done.stderr
    lens_server.stop()
    with duckdb.connect(str(lens_server.db_path), read_only=True) as con:
        calls, deployments, tenants, blocked = con.execute(
            "SELECT count(*), count(DISTINCT deployment), count(DISTINCT tenant_id), "
            "count(*) FILTER (WHERE filter_action = 'blocked_prompt') FROM calls "
            "WHERE service = 'aoai-lens-traffic'"
        ).fetchall()[0]
    assert (calls, deployments, tenants) == (24, 2, 2)
    summary = re.search(r"24 calls in [\d.]+ s \([\d.]+/s\): (.*)", done.stderr)
    assert summary, done.stderr
    kinds = {kind: int(n) for n, kind in re.findall(r"(\d+) (\w+)", summary.group(1))}
    assert sum(kinds.values()) == 24 and kinds["ok"] > 0
    assert blocked == kinds.get("blocked", 0)  # the summary counts what the ledger stored


def test_bad_input_is_refused_with_the_reason(tmp_path: Path) -> None:
    zero = traffic("--count", "0", "--deployment", "d", cwd=tmp_path)
    assert zero.returncode == 2 and "Invalid value for '--count'" in zero.stderr
    bad = tmp_path / "prompts.jsonl"
    bad.write_text('{"user": "hi"}\n{"id": "x"}\n', encoding="utf-8")
    refused = traffic(
        "--prompts",
        str(bad),
        "--deployment",
        "d",
        "--endpoint",
        "http://127.0.0.1:9",
        "--api-key",
        "k",
        cwd=tmp_path,
    )
    assert refused.returncode == 1
    assert f"{bad}:2: 'user'" in refused.stderr
    no_key = traffic("--endpoint", "https://x.openai.azure.com", "--deployment", "d", cwd=tmp_path)
    assert no_key.returncode == 1 and "AZURE_OPENAI_API_KEY" in no_key.stderr


def test_calls_that_raise_are_counted_by_kind_and_fail_the_run(
    receiver: tuple[ThreadedServer, Store], tmp_path: Path
) -> None:
    async def not_json(_: Request) -> Response:  # a 200 the client cannot read as a completion
        return PlainTextResponse("upstream says hello")

    azure = Starlette(
        routes=[
            Route("/openai/deployments/broken/chat/completions", not_json, methods=["POST"]),
            Mount("", build_simulator_app(SimulatorConfig(latency_scale=0))),
        ]
    )
    spans, store = receiver
    with ThreadedServer(azure) as endpoint:
        done = traffic(
            "--url", spans.url, "--endpoint", endpoint.url, "--api-key", "any",
            "--deployment", "gpt-4o-mini", "--deployment", "broken", "--tenant", "contoso",
            "--prompts", str(plain_prompts(tmp_path)), "--count", "8", "--rate", "0",
            "--max-retries", "0", cwd=tmp_path,
        )  # fmt: skip
    assert done.returncode == 1, done.stderr
    assert re.search(r"8 calls in [\d.]+ s \([\d.]+/s\): 4 (ok|lost), 4 (ok|lost)", done.stderr)
    assert "4 x lost (AttributeError): 'str' object has no attribute" in done.stderr
    assert "error: 4 of 8 calls lost, 0 spans not delivered" in done.stderr
    assert calls_by_tenant(store) == {"contoso": 8}  # the lost calls' spans arrived too


class RefusingReceiver:
    """Answers every OTLP export 503, as a lens server does while it cannot store."""

    def __init__(self) -> None:
        self.exports = 0
        self.server = ThreadedServer(
            Starlette(routes=[Route("/v1/traces", self.refuse, methods=["POST"])])
        )

    async def refuse(self, _: Request) -> Response:
        self.exports += 1
        return PlainTextResponse("busy", status_code=503)


@pytest.mark.parametrize("receiver_kind", ["closed port", "answers 503"])
def test_spans_that_cannot_be_delivered_are_reported_and_fail_the_run(
    receiver_kind: str, tmp_path: Path
) -> None:
    refusing = RefusingReceiver()
    with simulator_server() as azure, refusing.server as answering_503:
        url = (
            answering_503.url
            if receiver_kind == "answers 503"
            else f"http://127.0.0.1:{free_port()}"
        )
        done = traffic(
            "--url", url, "--endpoint", azure.url, "--api-key", "any",
            "--deployment", "gpt-4o-mini", "--prompts", str(plain_prompts(tmp_path)),
            "--count", "6", "--rate", "0", cwd=tmp_path,
        )  # fmt: skip
    assert done.returncode == 1, done.stderr
    assert "6 calls in" in done.stderr and ": 6 ok" in done.stderr
    assert f"6 of 6 spans not delivered to {url}/v1/traces" in done.stderr
    assert "error: 0 of 6 calls lost, 6 spans not delivered" in done.stderr
    assert (refusing.exports > 0) == (receiver_kind == "answers 503")


def test_otel_exporter_variables_say_where_spans_go_without_url(
    receiver: tuple[ThreadedServer, Store], tmp_path: Path
) -> None:
    spans, store = receiver
    common = (
        "--endpoint", f"{spans.url}/simulator", "--api-key", "any",
        "--deployment", "gpt-4o-mini", "--prompts", str(plain_prompts(tmp_path)),
        "--count", "3", "--rate", "0",
    )  # fmt: skip
    closed = f"http://127.0.0.1:{free_port()}"
    full_url = traffic(  # the traces variable is the whole URL, and wins over the base
        *common, "--tenant", "via-traces-variable", cwd=tmp_path,
        env={"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": f"{spans.url}/v1/traces",
             "OTEL_EXPORTER_OTLP_ENDPOINT": closed},
    )  # fmt: skip
    assert full_url.returncode == 0, full_url.stderr
    assert f"spans to {spans.url}/v1/traces" in full_url.stderr
    base = traffic(  # the base gets /v1/traces appended
        *common, "--tenant", "via-base-variable", cwd=tmp_path,
        env={"OTEL_EXPORTER_OTLP_ENDPOINT": f"{spans.url}/"},
    )  # fmt: skip
    assert base.returncode == 0, base.stderr
    assert f"spans to {spans.url}/v1/traces" in base.stderr
    assert calls_by_tenant(store) == {"via-traces-variable": 3, "via-base-variable": 3}


def test_repeated_endpoints_fail_over_in_order_and_the_summary_counts_it(
    receiver: tuple[ThreadedServer, Store], tmp_path: Path
) -> None:
    spans, store = receiver
    west, north = f"{spans.url}/simulator/westeurope", f"{spans.url}/simulator/swedencentral"
    down = httpx2.put(f"{spans.url}/simulator/admin/faults/westeurope", json={"kind": "outage"})
    assert down.status_code == 200
    done = traffic(
        "--url", spans.url, "--endpoint", west, "--endpoint", north, "--api-key", "any",
        "--deployment", "gpt-4o-mini", "--tenant", "contoso",
        "--prompts", str(plain_prompts(tmp_path)), "--count", "6", "--rate", "0",
        "--concurrency", "1", "--max-retries", "0", cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert f"to {west} then {north}" in done.stderr
    assert ": 6 ok" in done.stderr
    assert f"failover: 6 of 6 calls failed over; answered by {north} 6" in done.stderr
    assert f"6 x failed over from: {west}" in done.stderr
    rows = (
        store.cursor()
        .execute(
            "SELECT region, json_extract_string(attributes, '$.\"azure.openai.failover_from\"') "
            "FROM calls"
        )
        .fetchall()
    )
    assert rows == [("Sweden Central", west)] * 6
