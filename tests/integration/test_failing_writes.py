"""While the database cannot be written, the receiver asks senders to come back and
/healthz says so with a 503; nothing of it is a 500 or a hang."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from google.rpc import status_pb2
from starlette.applications import Starlette

from app.config import Settings
from app.lens import Lens
from app.server.routes import build_routes
from collectors.otlp.synthetic import export_requests
from collectors.store import Store
from tests.threaded_servers import ThreadedServer

PROTOBUF = {"Content-Type": "application/x-protobuf"}


def test_failing_writes_get_503_with_retry_after_and_healthz_says_failing(
    tmp_path: Path,
) -> None:
    settings = Settings(
        lens_db=tmp_path / "lens.duckdb",
        lens_otlp_grpc_port=0,
        lens_alert_interval_s=0,
        lens_simulator=False,
    )
    lens = Lens(settings)
    asyncio.run(lens.start())
    store = lens.ledger()
    end = datetime.now(UTC)
    first, second = (
        r.SerializeToString() for r in export_requests(end - timedelta(hours=1), end, 20, 10)
    )
    with ThreadedServer(Starlette(routes=build_routes(lambda: lens))) as server:
        assert (
            httpx.post(f"{server.url}/v1/traces", content=first, headers=PROTOBUF).status_code
            == 200
        )
        healthy = httpx.get(f"{server.url}/healthz")
        assert (healthy.status_code, healthy.json()["status"]) == (200, "ok")

        fresh = Store(tmp_path / "other.duckdb")  # the health route reads through this one
        lens.store = fresh
        store.close()  # the writer's connection: every write now fails on the database
        answer = httpx.post(f"{server.url}/v1/traces", content=second, headers=PROTOBUF, timeout=30)
        assert answer.status_code == 503
        assert int(answer.headers["Retry-After"]) >= 1
        assert "not stored" in status_pb2.Status.FromString(answer.content).message

        failing = httpx.get(f"{server.url}/healthz")
        assert failing.status_code == 503
        body = failing.json()
        assert body["status"] == "failing"
        assert body["writer"]["alive"] is True
        assert body["writer"]["last_error"]
        lens.begin_stop()
        stopping = httpx.post(f"{server.url}/v1/traces", content=second, headers=PROTOBUF)
        assert (stopping.status_code, stopping.headers["Retry-After"]) == (503, "5")
    asyncio.run(lens.stop())  # closes the queue and the fresh store
