"""The lens server purges at start: calls past LENS_RETENTION_DAYS go, message content
past LENS_CONTENT_RETENTION_DAYS goes from the calls that stay."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import duckdb
import httpx

from lens_harness.lens_process import LensServer
from tests.otlp_bodies import JSON, body, span

CONTENT = {"gen_ai.prompt.0.content": "hello", "gen_ai.prompt.0.role": "user"}


def ns(days_ago: float) -> int:
    return int((datetime.now(UTC) - timedelta(days=days_ago)).timestamp() * 1e9)


def test_a_restart_with_shorter_retention_purges_at_start(
    make_server: Callable[..., LensServer],
) -> None:
    first = make_server().start()
    spans = [
        span("00000000000000d1", start_ns=ns(4), **CONTENT),  # past 2 days: deleted
        span("00000000000000d2", start_ns=ns(1.01), **CONTENT),  # kept, content removed
        span("00000000000000d3", start_ns=ns(0), **CONTENT),  # today: kept whole
    ]
    response = httpx.post(f"{first.url}/v1/traces", content=body(*spans), headers=JSON)
    assert response.status_code == 200, response.text
    first.stop()

    env = {"LENS_RETENTION_DAYS": "2", "LENS_CONTENT_RETENTION_DAYS": "0"}
    second = make_server(env=env)
    second.db_path = first.db_path
    second.start()
    deadline = time.monotonic() + 30
    while second.health()["calls"] != 2:
        assert time.monotonic() < deadline, second.output()
        time.sleep(0.2)
    second.stop()
    with duckdb.connect(str(first.db_path), read_only=True) as con:
        rows = dict(con.execute("SELECT span_id, attributes FROM calls").fetchall())
    assert sorted(rows) == ["00000000000000d2", "00000000000000d3"]
    aged, today = json.loads(rows["00000000000000d2"]), json.loads(rows["00000000000000d3"])
    assert "gen_ai.prompt.0.content" not in aged and aged["lens.content_purged"] is True
    assert aged["gen_ai.prompt.0.role"] == "user"
    assert today["gen_ai.prompt.0.content"] == "hello"
