"""Real ASGI apps served by uvicorn in a thread on a free 127.0.0.1 port.

``simulator_server`` serves the built-in Azure OpenAI simulator on its own and keeps each
request as it arrived (``server.requests``); ``ingest_server`` serves the lens server's OTLP
receiver on a store of this process (plus the simulator under ``/simulator``), for AppTest,
where pages read that same store.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

import uvicorn
from starlette.applications import Starlette
from starlette.routing import Mount

from app.config import Settings
from app.lens import Lens
from app.server.routes import build_routes
from collectors.store import Store
from lens_harness.lens_process import free_port
from simulator import DEFAULT_DEPLOYMENTS, SimulatedDeployment, SimulatorConfig, build_simulator_app

ALWAYS_THROTTLED = SimulatedDeployment(
    "gpt-4o-throttled", "gpt-4o-2024-11-20", "GlobalStandard", "Sweden Central", tpm=1000
)
"""A request without ``max_tokens`` counts its prompt plus 1,000 tokens against the minute,
more than this deployment's 1,000: it answers 429 with ``retry-after: 60``."""
WITH_THROTTLED = SimulatorConfig(
    deployments=(*DEFAULT_DEPLOYMENTS, ALWAYS_THROTTLED), latency_scale=0
)


@dataclass(frozen=True)
class ReceivedRequest:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-case names
    body: Any  # the parsed JSON body, None if there was none or it was not JSON


class ThreadedServer:
    def __init__(self, app: Any) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.requests: list[ReceivedRequest] = []  # only when the app is wrapped in _Recorded
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="test-uvicorn", daemon=True)
        self.on_stop: list[Any] = []

    def start(self) -> ThreadedServer:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)
        for step in self.on_stop:
            step()

    def __enter__(self) -> ThreadedServer:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()


class _Recorded:
    """ASGI middleware: keeps each HTTP request, body included, then hands it on."""

    def __init__(self, app: Any, into: list[ReceivedRequest]) -> None:
        self.app, self.into = app, into

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        raw, more = b"", True
        while more:
            message = await receive()
            raw += message.get("body", b"")
            more = message.get("more_body", False)
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        self.into.append(
            ReceivedRequest(
                method=scope["method"],
                path=scope["path"],
                query=parse_qs(scope["query_string"].decode()),
                headers={k.decode().lower(): v.decode() for k, v in scope["headers"]},
                body=body,
            )
        )
        replayed = False

        async def replay() -> Any:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": raw, "more_body": False}

        await self.app(scope, replay, send)


def simulator_server(config: SimulatorConfig | None = None) -> ThreadedServer:
    """The simulator (no delays unless ``config`` says so); ``server.requests`` lists what
    reached it."""
    requests: list[ReceivedRequest] = []
    app = build_simulator_app(config or SimulatorConfig(latency_scale=0))
    server = ThreadedServer(_Recorded(app, requests))
    server.requests = requests
    return server


def ingest_server(store: Store, simulator: SimulatorConfig | None = None) -> ThreadedServer:
    """A ``Lens`` on ``store`` (no OTLP/gRPC, no alert checks, no built-in simulator) behind
    the lens server's routes, and the simulator under ``/simulator``: the server without
    Streamlit. ``store`` stays open when the server stops."""
    settings = Settings(
        lens_db=store.path, lens_otlp_grpc_port=0, lens_alert_interval_s=0, lens_simulator=False
    )
    lens = Lens(settings, store=store)
    asyncio.run(lens.start())
    app = Starlette(
        routes=[
            *build_routes(lambda: lens),
            Mount("/simulator", build_simulator_app(simulator or SimulatorConfig(latency_scale=0))),
        ]
    )
    server = ThreadedServer(app)
    server.on_stop.append(lambda: asyncio.run(lens.stop()))
    return server
