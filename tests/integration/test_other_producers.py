"""Spans of producers other than our client, sent by their real instrumentations to a
running lens server: each call is stored once, with its deployment."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb

from lens_harness.lens_process import LensServer

ROOT = Path(__file__).resolve().parents[2]


def produce(module: str, *args: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", f"tests.producers.{module}", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stderr[-3000:]


def stored(server: LensServer, sql: str) -> list[tuple[object, ...]]:
    server.stop()
    with duckdb.connect(str(server.db_path), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_openinference_calls_are_stored_with_their_deployments(lens_server: LensServer) -> None:
    produce("openinference_calls", lens_server.url, f"{lens_server.url}/simulator")
    rows = stored(
        lens_server,
        "SELECT operation, deployment, deployment_source, model, service, "
        "input_tokens > 0, output_tokens > 0 OR operation = 'embeddings' "
        "FROM calls ORDER BY deployment",
    )
    assert rows == [
        ("embeddings", "embed-small", "request_model", "text-embedding-3-small", "phoenix-app",
         True, True),
        ("chat", "gpt-4o-mini", "request_model", "gpt-4o-mini-2024-07-18", "phoenix-app",
         True, True),
        ("chat", "gpt-4o-prod", "request_model", "gpt-4o-2024-11-20", "phoenix-app",
         True, True),
    ]  # fmt: skip


def test_ai_inference_calls_take_their_deployment_from_a_child_span_sent_apart(
    lens_server: LensServer,
) -> None:
    produce("ai_inference_calls", lens_server.url, f"{lens_server.url}/simulator",
            "gpt-4o-prod", "10")  # fmt: skip
    rows = stored(
        lens_server,
        "SELECT deployment, deployment_source, request_model, api_version, count(*) "
        "FROM calls GROUP BY ALL",
    )
    assert rows == [("gpt-4o-prod", "url_path", "chat", "2024-10-21", 10)]
