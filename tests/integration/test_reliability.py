"""Acknowledged means stored: SIGKILL durability, re-sends and backpressure."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import httpx
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExportResult
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from collectors.otlp.synthetic import export_requests
from lens_harness.lens_process import LensServer
from tests.otlp_bodies import call_ids

PROTOBUF = {"Content-Type": "application/x-protobuf"}


def stored_call_ids(db_path: Path) -> list[str]:
    with duckdb.connect(str(db_path), read_only=True) as con:
        return [row[0] for row in con.execute("SELECT call_id FROM calls").fetchall()]


def test_every_acknowledged_span_survives_sigkill(
    make_server: Callable[..., LensServer],
) -> None:
    server = make_server().start()
    end = datetime.now(UTC)
    batches = list(export_requests(end - timedelta(days=1), end, 512 * 80, seed=11))
    acked: set[str] = set()
    acked_lock = threading.Lock()
    enough = threading.Event()

    def send(share: list[ExportTraceServiceRequest]) -> None:
        with httpx.Client(timeout=30) as client:
            for request in share:
                try:
                    response = client.post(
                        f"{server.url}/v1/traces",
                        content=request.SerializeToString(),
                        headers=PROTOBUF,
                    )
                except httpx.HTTPError:
                    return  # the server is gone
                if response.status_code == 200:
                    with acked_lock:
                        acked.update(call_ids(request))
                        if len(acked) >= 512 * 12:
                            enough.set()

    senders = [threading.Thread(target=send, args=(batches[i::3],)) for i in range(3)]
    for sender in senders:
        sender.start()
    assert enough.wait(120), server.output()
    server.kill()  # mid-load: senders still have batches in flight
    for sender in senders:
        sender.join(60)
    assert len(acked) < 512 * 80, "the load finished before the kill; nothing was tested"

    server.start()
    server.stop()
    stored = stored_call_ids(server.db_path)
    assert len(stored) == len(set(stored))
    missing = acked - set(stored)
    assert not missing, f"{len(missing)} acknowledged calls lost, e.g. {sorted(missing)[:3]}"


def test_resent_batch_is_not_counted_twice(lens_server: LensServer) -> None:
    end = datetime.now(UTC)
    request = next(export_requests(end - timedelta(hours=1), end, 300, seed=3))
    for _ in range(3):
        response = httpx.post(
            f"{lens_server.url}/v1/traces",
            content=request.SerializeToString(),
            headers=PROTOBUF,
            timeout=30,
        )
        assert response.status_code == 200
    health = lens_server.health()
    assert health["calls"] == 300
    assert health["otlp"]["spans_duplicate"] == 600  # type: ignore[index]


def genai_spans(count: int, tag: int) -> list[ReadableSpan]:
    """Real SDK spans shaped like the OpenAI instrumentation's, made and ended now."""
    memory = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource.create({"service.name": f"sender-{tag}"}))
    provider.add_span_processor(SimpleSpanProcessor(memory))
    tracer = provider.get_tracer("opentelemetry.instrumentation.openai_v2")
    for i in range(count):
        with tracer.start_as_current_span(f"chat gpt-4o-prod-{tag}") as span:
            span.set_attributes(
                {
                    "gen_ai.operation.name": "chat",
                    "gen_ai.system": "openai",
                    "gen_ai.request.model": f"gpt-4o-prod-{tag}",
                    "gen_ai.response.model": "gpt-4o-2024-11-20",
                    "gen_ai.usage.input_tokens": 100 + i,
                    "gen_ai.usage.output_tokens": 10,
                }
            )
    provider.shutdown()
    return list(memory.get_finished_spans())


def test_full_queue_answers_429_and_the_exporter_delivers_everything(
    make_server: Callable[..., LensServer],
) -> None:
    # Room for two batches: six senders still overflow it, and no sender is turned away
    # more than the exporter's six tries (each waiting the 1 s Retry-After) allow.
    server = make_server(env={"LENS_QUEUE_MAX_CALLS": "500"}).start()
    try:
        senders, batches, size = 6, 8, 250
        results: list[SpanExportResult] = []

        def send(tag: int) -> None:
            exporter = OTLPSpanExporter(endpoint=f"{server.url}/v1/traces", timeout=60)
            for b in range(batches):
                results.append(exporter.export(genai_spans(size, tag * 100 + b)))
            exporter.shutdown()

        threads = [threading.Thread(target=send, args=(t,)) for t in range(senders)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(180)
        health = server.health()
    finally:
        server.stop()
    assert results == [SpanExportResult.SUCCESS] * senders * batches
    assert health["otlp"]["throttled"] > 0, "the queue never filled; backpressure untested"  # type: ignore[index]
    assert len(stored_call_ids(server.db_path)) == senders * batches * size


def test_gzip_compressed_export_is_stored(lens_server: LensServer) -> None:
    from opentelemetry.exporter.otlp.proto.http import Compression

    exporter = OTLPSpanExporter(
        endpoint=f"{lens_server.url}/v1/traces", compression=Compression.Gzip, timeout=30
    )
    spans = genai_spans(40, tag=7)
    assert exporter.export(spans) == SpanExportResult.SUCCESS
    exporter.shutdown()
    lens_server.stop()
    with duckdb.connect(str(lens_server.db_path), read_only=True) as con:
        rows = con.execute(
            "SELECT count(*), sum(input_tokens), min(deployment), min(service) FROM calls"
        ).fetchall()
    assert rows == [(40, sum(100 + i for i in range(40)), "gpt-4o-prod-7", "sender-7")]
