"""The running lens as one object: ``start()`` checks the settings before the file opens,
is the process's running lens until ``stop()``, and its routes answer from it; a lens on a
store it was given leaves that store open."""

from __future__ import annotations

import asyncio
import sys
import types
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr
from starlette.applications import Starlette

from app.config import Settings
from app.errors import ConfigError
from app.lens import Lens, running_lens
from app.server.routes import build_routes
from collectors.otlp.synthetic import export_requests
from collectors.store import Store
from tests.threaded_servers import ThreadedServer

PROTOBUF = {"Content-Type": "application/x-protobuf"}


def quiet_settings(db: Path, **more: object) -> Settings:
    """No OTLP/gRPC port, no alert checks, no built-in simulator: nothing else listens."""
    return Settings(
        lens_db=db, lens_otlp_grpc_port=0, lens_alert_interval_s=0, lens_simulator=False, **more
    )


def test_a_bad_webhook_fails_start_before_the_file_exists(tmp_path: Path) -> None:
    db = tmp_path / "lens.duckdb"
    lens = Lens(quiet_settings(db, lens_alert_webhooks=SecretStr("ftp://alerts.example.com")))
    with pytest.raises(ConfigError):
        asyncio.run(lens.start())
    assert not db.exists()
    assert running_lens() is None


def test_the_started_lens_stores_what_its_route_takes_and_stop_lets_go_of_the_file(
    tmp_path: Path,
) -> None:
    db = tmp_path / "lens.duckdb"
    lens = Lens(quiet_settings(db))
    end = datetime.now(UTC)
    (batch,) = export_requests(end - timedelta(hours=1), end, 12, 12)
    asyncio.run(lens.start())
    try:
        assert running_lens() is lens
        with ThreadedServer(Starlette(routes=build_routes())) as server:
            answer = httpx.post(
                f"{server.url}/v1/traces", content=batch.SerializeToString(), headers=PROTOBUF
            )
            assert answer.status_code == 200
            health = httpx.get(f"{server.url}/healthz").json()
            assert (health["status"], health["calls"]) == ("ok", 12)
            assert lens.otlp_counts()["requests"] == 1
    finally:
        asyncio.run(lens.stop())
    assert running_lens() is None
    with ThreadedServer(Starlette(routes=build_routes())) as server:  # no lens: starting
        assert httpx.get(f"{server.url}/healthz").status_code == 503
        refused = httpx.post(
            f"{server.url}/v1/traces", content=batch.SerializeToString(), headers=PROTOBUF
        )
        assert refused.status_code == 503
        assert refused.headers["Retry-After"]
    again = Store(db)  # the lens closed its connection: another one may open the file
    assert again.health().calls == 12
    again.close()


def test_a_lens_on_a_given_store_leaves_it_open(tmp_path: Path) -> None:
    store = Store(tmp_path / "lens.duckdb")
    lens = Lens(quiet_settings(tmp_path / "lens.duckdb"), store=store)
    asyncio.run(lens.start())
    asyncio.run(lens.stop())
    assert lens.store is None
    assert store.health().calls == 0  # still open: a closed connection raises here
    store.close()


def test_workers_that_cannot_start_leave_the_decoding_to_the_servers_threads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A child process re-runs its parent's __main__ script: one that fails there (as a test
    # runner's generated script does) kills every worker before it is ready.
    script = tmp_path / "main_script.py"
    script.write_text("raise NameError('this script runs only in its parent')\n")
    main = types.ModuleType("__main__")
    main.__file__ = str(script)
    monkeypatch.setitem(sys.modules, "__main__", main)
    lens = Lens(quiet_settings(tmp_path / "lens.duckdb", lens_ingest_workers=2))
    end = datetime.now(UTC)
    (batch,) = export_requests(end - timedelta(hours=1), end, 7, 7)
    asyncio.run(lens.start())
    try:
        assert lens.workers is None  # started without them, not failed
        with ThreadedServer(Starlette(routes=build_routes(lambda: lens))) as server:
            answer = httpx.post(
                f"{server.url}/v1/traces", content=batch.SerializeToString(), headers=PROTOBUF
            )
            health = httpx.get(f"{server.url}/healthz").json()
        assert answer.status_code == 200
        assert health["calls"] == 7
    finally:
        asyncio.run(lens.stop())
