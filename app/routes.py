"""Machine-facing routes of the lens server other than OTLP: ``GET /healthz``."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from collectors.otlp.receiver import OtlpReceiver
from collectors.queue import IngestQueue
from collectors.store import Store


@dataclass
class Wiring:
    """What the lifespan hands to the routes once the store is open."""

    store: Store | None = None
    queue: IngestQueue | None = None


def build_routes(receiver: OtlpReceiver, wiring: Wiring) -> list[Route]:
    async def healthz(_: Request) -> JSONResponse:
        store, queue = wiring.store, wiring.queue
        if store is None or queue is None:
            return JSONResponse({"status": "starting"}, status_code=503)
        health = store.health()
        return JSONResponse(
            {
                "status": "ok",
                "db": str(store.path),
                "calls": health.calls,
                "last_ingest": health.last_ingest.isoformat() if health.last_ingest else None,
                "queue": queue.waiting,
                "otlp": receiver.counts.as_dict(),
            }
        )

    return [
        Route("/v1/traces", receiver.handle, methods=["POST"]),
        Route("/v1/traces", receiver.refuse_method, methods=["GET", "PUT", "PATCH", "DELETE"]),
        Route("/healthz", healthz, methods=["GET"]),
    ]
