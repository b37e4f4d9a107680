"""Real ASGI apps served by uvicorn in a thread on a free 127.0.0.1 port.

``simulator_server`` serves the built-in Azure OpenAI simulator on its own; ``ingest_server``
serves the lens server's OTLP receiver on a store of this process (plus the simulator under
``/simulator``), for AppTest, where pages read that same store.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.routing import Mount, Route

from collectors.otlp.receiver import OtlpReceiver
from collectors.queue import IngestQueue
from collectors.store import Store
from simulator import SimulatorConfig, build_simulator_app
from tests.lens_process import free_port


class ThreadedServer:
    def __init__(self, app: Any) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
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


def simulator_server(config: SimulatorConfig | None = None) -> ThreadedServer:
    return ThreadedServer(build_simulator_app(config or SimulatorConfig(latency_scale=0)))


def ingest_server(store: Store, simulator: SimulatorConfig | None = None) -> ThreadedServer:
    """``POST /v1/traces`` into ``store`` through the real receiver and queue, and the
    simulator under ``/simulator``: the lens server's routes without Streamlit."""
    receiver = OtlpReceiver()
    queue = IngestQueue(store)
    receiver.attach(queue, max_body_bytes=16 * 1024 * 1024)
    app = Starlette(
        routes=[
            Route("/v1/traces", receiver.handle, methods=["POST"]),
            Mount("/simulator", build_simulator_app(simulator or SimulatorConfig(latency_scale=0))),
        ]
    )
    server = ThreadedServer(app)
    server.on_stop += [receiver.detach, queue.close]
    return server
