"""The lens server polls Log Analytics on an interval and backfills through
``POST /api/backfill`` and ``aoai-lens backfill``; a call its OTLP exporter reported and
API Management logged is one call."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import httpx
import pytest
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.trace import SpanKind

from lens_harness.lens_process import LensServer
from lens_harness.log_analytics import TOKEN, WORKSPACE, FakeLogAnalytics
from lens_harness.log_analytics_rows import apim_row

CLI = Path(sys.executable).with_name("aoai-lens")
APIM = "ApiManagementGatewayLlmLog"
REQUEST_ID = "3f1c2a9e-4b7d-4e21-9c55-0a8f6d2b1e77"


def workspace_env(fake: FakeLogAnalytics, **extra: str) -> dict[str, str]:
    return {
        "LOG_ANALYTICS_WORKSPACE_ID": WORKSPACE,
        "LOG_ANALYTICS_ENDPOINT": fake.endpoint,
        "LOG_ANALYTICS_ACCESS_TOKEN": TOKEN,
        "LENS_LOG_ANALYTICS_SOURCES": "apim",
        **extra,
    }


def send_span(url: str) -> None:
    """One chat span from the real OTel SDK and OTLP/HTTP exporter, with the request id
    the client read from the apim-request-id header."""
    provider = TracerProvider(resource=Resource.create({"service.name": "chat-api"}))
    provider.add_span_processor(SimpleSpanProcessor(OTLPSpanExporter(endpoint=f"{url}/v1/traces")))
    tracer = provider.get_tracer("aoai_lens.playground")
    with tracer.start_as_current_span("chat gpt-4o-prod", kind=SpanKind.CLIENT) as span:
        span.set_attribute("gen_ai.operation.name", "chat")
        span.set_attribute("gen_ai.request.model", "gpt-4o-prod")
        span.set_attribute("azure.openai.deployment", "gpt-4o-prod")
        span.set_attribute("gen_ai.usage.input_tokens", 812)
        span.set_attribute("gen_ai.usage.output_tokens", 164)
        span.set_attribute("azure.openai.request_id", REQUEST_ID)
    provider.shutdown()


def wait_for(check: Callable[[], bool], timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError("condition not met in time")


def rows(db: Path, sql: str) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchall()


def backfill(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(CLI), "backfill", *args],
        capture_output=True, text=True, timeout=120, check=False,
        env={"PATH": "/usr/bin:/bin", **env},
    )  # fmt: skip


def test_call_from_otlp_and_apim_is_counted_once(
    make_server: Callable[..., LensServer], fake: FakeLogAnalytics
) -> None:
    fake.add(
        APIM,
        apim_row(
            datetime.now(UTC) - timedelta(minutes=3),
            "corr-1",
            backend_request_id=REQUEST_ID,
            subscription="sub-contoso",
        ),
    )
    server = make_server(env=workspace_env(fake, LENS_LOG_ANALYTICS_POLL_INTERVAL_S="5")).start()
    send_span(server.url)
    wait_for(lambda: len(fake.queries_for(APIM)) >= 2)  # polled after the span was stored
    assert server.health()["calls"] == 1
    server.stop()
    ((source, seen, subscription, tokens),) = rows(
        server.db_path,
        "SELECT source, also_seen_by, apim_subscription, input_tokens FROM calls",
    )
    assert {source, *seen} == {"otlp", "loganalytics:apim"}
    assert (subscription, tokens) == ("sub-contoso", 812)


def test_backfill_through_the_server_reports_each_slice(
    make_server: Callable[..., LensServer], fake: FakeLogAnalytics
) -> None:
    now = datetime.now(UTC)
    fake.add(APIM, *(apim_row(now - timedelta(hours=h), f"c{h}") for h in (1, 20, 40)))
    server = make_server(env=workspace_env(fake, LENS_LOG_ANALYTICS_POLL_INTERVAL_S="3600")).start()
    response = httpx.post(
        f"{server.url}/api/backfill", params={"source": "apim", "since": "2d"}, timeout=60
    )
    lines = [json.loads(line) for line in response.text.splitlines()]
    assert response.status_code == 200
    assert lines[0] == {"slices": 8}  # 2 days in 6-hour slices
    assert [line["outcome"] for line in lines[1:-1]] == ["ok"] * 8
    assert lines[-1]["report"]["rows_read"] == 3 and lines[-1]["report"]["error"] is None
    result = backfill("--source", "apim", "--since", "2d", "--url", server.url, env={})
    assert result.returncode == 0, result.stderr
    assert "apim: 8 slices, 3 rows read, 3 stored" in result.stderr
    server.stop()
    assert rows(server.db_path, "SELECT count(*) FROM calls") == [(3,)]


@pytest.mark.parametrize(
    ("params", "status", "error"),
    [
        ({"source": "nope", "since": "1d"}, 400, "unknown source 'nope'"),
        ({"source": "apim", "since": "yesterday"}, 400, "'yesterday' is not a duration"),
        ({"source": "apim"}, 400, "'' is not a duration"),
    ],
)
def test_backfill_route_refuses_bad_input(
    lens_server: LensServer, params: dict[str, str], status: int, error: str
) -> None:
    response = httpx.post(f"{lens_server.url}/api/backfill", params=params, timeout=10)
    assert response.status_code == status
    body = response.json()
    assert set(body) == {"error", "hint"} and body["error"].startswith(error)


def test_backfill_without_a_workspace_says_what_to_set(lens_server: LensServer) -> None:
    response = httpx.post(
        f"{lens_server.url}/api/backfill", params={"source": "apim", "since": "1d"}, timeout=10
    )
    assert response.status_code == 409
    assert "LOG_ANALYTICS_WORKSPACE_ID" in response.json()["hint"]


def test_backfill_without_a_server_writes_the_file(tmp_path: Path, fake: FakeLogAnalytics) -> None:
    fake.add(APIM, apim_row(datetime.now(UTC) - timedelta(hours=1), "c1"))
    env = {"LENS_DB": str(tmp_path / "lens.duckdb"), **workspace_env(fake)}
    result = backfill("--source", "apim", "--since", "1d", "--url", "http://127.0.0.1:9", env=env)
    assert result.returncode == 0, result.stderr
    assert "writing" in result.stderr and "1 rows read" in result.stderr
    assert rows(tmp_path / "lens.duckdb", "SELECT call_id FROM calls") == [("apim:c1",)]


def test_backfill_of_a_workspace_without_the_gateway_log_warns_and_stores(
    tmp_path: Path, fake: FakeLogAnalytics
) -> None:
    fake.missing.add("ApiManagementGatewayLogs")
    fake.add(APIM, apim_row(datetime.now(UTC) - timedelta(hours=1), "c1"))
    env = {"LENS_DB": str(tmp_path / "lens.duckdb"), **workspace_env(fake)}
    result = backfill("--source", "apim", "--since", "1d", "--url", "http://127.0.0.1:9", env=env)
    assert result.returncode == 0, result.stderr
    assert "1 slices stored with fields missing" in " ".join(result.stderr.split())
    assert rows(tmp_path / "lens.duckdb", "SELECT call_id FROM calls") == [("apim:c1",)]


def test_backfill_cli_bad_input_and_failures(tmp_path: Path, fake: FakeLogAnalytics) -> None:
    base = {"LENS_DB": str(tmp_path / "lens.duckdb")}
    no_server = ("--url", "http://127.0.0.1:9")
    bad_since = backfill("--source", "apim", "--since", "soon", *no_server, env=base)
    assert bad_since.returncode == 2 and "not a duration" in bad_since.stderr
    bad_source = backfill("--source", "nope", *no_server, env=base)
    assert bad_source.returncode == 2 and "'nope' is not one of" in bad_source.stderr
    no_workspace = backfill("--source", "apim", *no_server, env=base)
    assert no_workspace.returncode == 1
    assert "Set LOG_ANALYTICS_WORKSPACE_ID" in no_workspace.stderr
    refused = backfill(
        "--source", "apim", "--since", "1d", *no_server,
        env={**base, **workspace_env(fake), "LOG_ANALYTICS_ACCESS_TOKEN": "stale"},
    )  # fmt: skip
    assert refused.returncode == 1
    assert "Log Analytics answered 401" in refused.stderr and "Traceback" not in refused.stderr
