"""Demo history: synthetic GenAI spans sent to the lens server's own OTLP receiver.

Used by ``aoai-lens serve --demo`` (``make run``) when the ledger is empty, so a first
look at the dashboard has data. The spans travel the real ingestion path (HTTP,
decode, normalise, queue, store) and carry the resource attribute ``lens.demo=true``.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import httpx
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue

from collectors.otlp.synthetic import export_requests

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DemoConfig:
    url: str  # the lens server's own base URL
    token: str | None = field(default=None, repr=False)  # when the server has an access file
    days: int = 14
    calls: int = 20_000
    ready_timeout_s: float = 120.0


def seed_demo_history(config: DemoConfig) -> int:
    """Send the demo history once the server answers; returns the calls accepted."""
    deadline = time.monotonic() + config.ready_timeout_s
    with httpx.Client(base_url=config.url, timeout=60.0) as client:
        while True:
            try:
                if client.get("/healthz").status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                log.error("demo data not sent: %s/healthz never answered", config.url)
                return 0
            time.sleep(0.5)
        end = datetime.now(UTC)
        sent = 0
        marker = KeyValue(key="lens.demo", value=AnyValue(bool_value=True))
        for request in export_requests(end - timedelta(days=config.days), end, config.calls):
            for resource_spans in request.resource_spans:
                resource_spans.resource.attributes.append(marker)
            body = request.SerializeToString()
            headers = {"Content-Type": "application/x-protobuf"}
            if config.token is not None:
                headers["Authorization"] = f"Bearer {config.token}"
            while True:
                response = client.post("/v1/traces", content=body, headers=headers)
                if response.status_code not in (429, 503):
                    break
                time.sleep(float(response.headers.get("Retry-After", "1")))  # the queue is full
            response.raise_for_status()
            sent += sum(len(s.spans) for rs in request.resource_spans for s in rs.scope_spans)
    log.info("demo history sent: %d calls over %d days", sent, config.days)
    return sent


def start_demo_seeder(config: DemoConfig) -> threading.Thread:
    thread = threading.Thread(
        target=seed_demo_history, args=(config,), name="lens-demo-seeder", daemon=True
    )
    thread.start()
    return thread
