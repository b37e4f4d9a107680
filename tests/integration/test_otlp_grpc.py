"""OTLP/gRPC into the running server: the SDK's own gRPC exporter and the generated client
stub against the real trace service, with the answers OTLP/HTTP gives in gRPC terms."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import duckdb
import grpc
import pytest
from google.rpc import code_pb2
from google.rpc.error_details_pb2 import RetryInfo
from grpc_status import rpc_status
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2_grpc import TraceServiceStub
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExportResult
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from lens_harness.lens_process import LensServer
from tests.integration.test_hostile_senders import slow_sender
from tests.otlp_bodies import call_ids

EXPORT = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"


def sdk_spans(count: int, service: str, *, plain: int = 0, **attributes: Any) -> list[ReadableSpan]:
    """Real SDK spans: ``count`` model calls shaped like the OpenAI instrumentation's (with
    ``attributes`` on top), then ``plain`` HTTP server spans that are not model calls."""
    memory = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    provider.add_span_processor(SimpleSpanProcessor(memory))
    tracer = provider.get_tracer("opentelemetry.instrumentation.openai_v2")
    for i in range(count):
        with tracer.start_as_current_span("chat gpt-4o-prod", kind=SpanKind.CLIENT) as span:
            span.set_attributes(
                {
                    "gen_ai.operation.name": "chat",
                    "gen_ai.system": "openai",
                    "gen_ai.request.model": "gpt-4o-prod",
                    "gen_ai.response.model": "gpt-4o-2024-11-20",
                    "gen_ai.usage.input_tokens": 100 + i,
                    "gen_ai.usage.output_tokens": 10,
                    **attributes,
                }
            )
    for _ in range(plain):
        with tracer.start_as_current_span("GET /health", kind=SpanKind.SERVER) as span:
            span.set_attribute("http.request.method", "GET")
    provider.shutdown()
    return list(memory.get_finished_spans())


def exporter(server: LensServer, **options: Any) -> OTLPSpanExporter:
    """The SDK's OTLP/gRPC exporter, pointed at the server as OTEL_EXPORTER_OTLP_ENDPOINT
    would point it."""
    return OTLPSpanExporter(endpoint=f"http://{server.grpc_endpoint}", **options)


def export_call(server: LensServer, request: ExportTraceServiceRequest) -> Any:
    """One Export through the generated client stub: the response, or the RpcError."""
    with grpc.insecure_channel(server.grpc_endpoint) as channel:
        try:
            return TraceServiceStub(channel).Export(request, timeout=60)
        except grpc.RpcError as error:
            return error


def raw_call(
    server: LensServer, body: bytes, compression: grpc.Compression | None = None
) -> grpc.RpcError:
    """An Export whose message is ``body`` as it is; it is expected to fail."""
    with grpc.insecure_channel(server.grpc_endpoint, compression=compression) as channel:
        call = channel.unary_unary(EXPORT)
        with pytest.raises(grpc.RpcError) as caught:
            call(body, timeout=60)
    return caught.value


def failed_at_once(
    server: LensServer, requests: list[ExportTraceServiceRequest]
) -> list[grpc.RpcError]:
    """Send the requests all at once, each on its own channel; the errors."""
    barrier = threading.Barrier(len(requests))
    errors: list[grpc.RpcError] = []

    def send(request: ExportTraceServiceRequest) -> None:
        barrier.wait()
        answer = export_call(server, request)
        if isinstance(answer, grpc.RpcError):
            errors.append(answer)

    threads = [threading.Thread(target=send, args=(r,)) for r in requests]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return errors


def grpc_health(server: LensServer) -> dict[str, Any]:
    otlp: dict[str, Any] = server.health()["otlp"]  # type: ignore[assignment]
    grpc_part: dict[str, Any] = otlp["grpc"]
    return grpc_part


def stored(server: LensServer, sql: str) -> list[tuple[Any, ...]]:
    """Stop the server and read its DuckDB file."""
    if server.process is not None:
        server.stop()
    with duckdb.connect(str(server.db_path), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_the_sdk_grpc_exporter_stores_spans_with_and_without_gzip(
    lens_server: LensServer,
) -> None:
    plain, packed = sdk_spans(30, "plain-sender"), sdk_spans(20, "gzip-sender")
    assert exporter(lens_server, timeout=30).export(plain) == SpanExportResult.SUCCESS
    gzipped = exporter(lens_server, timeout=30, compression=grpc.Compression.Gzip)
    assert gzipped.export(packed) == SpanExportResult.SUCCESS
    health = grpc_health(lens_server)
    assert health["listening"] is True
    assert (health["requests"], health["spans_stored"]) == (2, 50)
    rows = stored(
        lens_server,
        "SELECT service, count(*), sum(input_tokens), min(deployment), min(source) "
        "FROM calls GROUP BY service ORDER BY service",
    )
    assert rows == [
        ("gzip-sender", 20, sum(100 + i for i in range(20)), "gpt-4o-prod", "otlp"),
        ("plain-sender", 30, sum(100 + i for i in range(30)), "gpt-4o-prod", "otlp"),
    ]


def test_resent_batch_is_not_counted_twice_over_grpc(lens_server: LensServer) -> None:
    spans = sdk_spans(40, "resender")
    sender = exporter(lens_server, timeout=30)
    for _ in range(3):
        assert sender.export(spans) == SpanExportResult.SUCCESS
    health = lens_server.health()
    assert health["calls"] == 40
    assert (
        grpc_health(lens_server)["spans_stored"],
        grpc_health(lens_server)["spans_duplicate"],
    ) == (
        40,
        80,
    )


def test_an_impossible_span_is_invalid_argument_naming_the_attribute(
    lens_server: LensServer,
) -> None:
    good, bad = sdk_spans(3, "app"), sdk_spans(1, "app", **{"gen_ai.usage.input_tokens": -5})
    error = export_call(lens_server, encode_spans(good + bad))
    assert isinstance(error, grpc.RpcError)
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "gen_ai.usage.input_tokens" in (error.details() or "")
    status = rpc_status.from_call(error)
    assert status is not None and status.code == code_pb2.INVALID_ARGUMENT
    assert not status.details, "a permanent refusal carries no RetryInfo"
    # The SDK's exporter takes it as permanent: one request, not six.
    assert exporter(lens_server, timeout=30).export(good + bad) == SpanExportResult.FAILURE
    health = grpc_health(lens_server)
    assert (health["requests"], health["bad_requests"]) == (2, 2)
    assert lens_server.health()["calls"] == 0


def test_a_message_that_is_not_a_request_or_too_large_is_refused_never_internal(
    lens_server: LensServer,
) -> None:
    garbage = raw_call(lens_server, b"\x0a\xff\xff")
    assert garbage.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "protobuf" in (garbage.details() or "")
    # Larger than LENS_MAX_BODY_BYTES (16 MiB) once decompressed, though a few KiB on the
    # wire: gRPC itself refuses it, before it is decoded.
    huge = encode_spans(sdk_spans(1, "app", **{"padding": "0" * (17 * 1024 * 1024)}))
    bomb = raw_call(lens_server, huge.SerializeToString(), grpc.Compression.Gzip)
    assert bomb.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    # The server goes on storing.
    assert exporter(lens_server, timeout=30).export(sdk_spans(2, "app")) == SpanExportResult.SUCCESS
    assert lens_server.health()["calls"] == 2


def test_spans_that_are_not_calls_get_partial_success_with_the_reason(
    lens_server: LensServer,
) -> None:
    spans = sdk_spans(2, "app", plain=3)
    response = export_call(lens_server, encode_spans(spans))
    assert isinstance(response, ExportTraceServiceResponse)
    assert response.partial_success.rejected_spans == 3
    assert "3 spans are not GenAI model calls" in response.partial_success.error_message
    assert lens_server.health()["calls"] == 2
    assert grpc_health(lens_server)["spans_rejected"] == 3


def test_full_queue_answers_resource_exhausted_with_retry_info_and_the_exporter_delivers(
    make_server: Callable[..., LensServer],
) -> None:
    # Room for two requests of 250 spans.
    server = make_server(env={"LENS_QUEUE_MAX_CALLS": "500"}).start()
    try:
        # Requests sent at once until one finds the queue full: its answer says when to
        # come back, in the status details and in the trailer Python's exporter reads.
        throttled: list[grpc.RpcError] = []
        deadline = time.monotonic() + 60
        while not throttled and time.monotonic() < deadline:
            throttled = failed_at_once(server, [encode_spans(sdk_spans(250, "burst"))] * 6)
        assert throttled, "the queue never filled; backpressure untested"
        error = throttled[0]
        assert error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED, error.details()
        assert "queue is full" in (error.details() or "")
        status = rpc_status.from_call(error)
        assert status is not None and len(status.details) == 1
        retry = RetryInfo()
        assert status.details[0].Unpack(retry)
        assert retry.retry_delay.seconds >= 1
        trailers = dict(error.trailing_metadata() or ())
        assert RetryInfo.FromString(trailers["google.rpc.retryinfo-bin"]) == retry

        # The SDK's exporters, more of them than there is room for, deliver everything.
        before = grpc_health(server)["throttled"]
        senders, batches, size = 4, 5, 250
        results: list[SpanExportResult] = []

        def export_all(tag: int) -> None:
            sender = exporter(server, timeout=60)
            for b in range(batches):
                results.append(sender.export(sdk_spans(size, f"sender-{tag}-{b}")))
            sender.shutdown()

        threads = [threading.Thread(target=export_all, args=(t,)) for t in range(senders)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(180)
        after = grpc_health(server)["throttled"]
    finally:
        server.stop()
    assert results == [SpanExportResult.SUCCESS] * senders * batches
    assert after > before, "the exporters were never throttled; their retries are untested"
    rows = stored(server, "SELECT count(*) FROM calls WHERE service LIKE 'sender-%'")
    assert rows == [(senders * batches * size,)]


def test_the_cap_on_requests_in_progress_counts_both_transports(
    make_server: Callable[..., LensServer],
) -> None:
    server = make_server(
        env={"LENS_OTLP_MAX_CONCURRENT": "2", "LENS_OTLP_BODY_TIMEOUT_S": "20"}
    ).start()
    readers = [slow_sender(server.url, seconds=3) for _ in range(2)]  # two HTTP requests
    time.sleep(0.5)  # both are being read
    error = export_call(server, encode_spans(sdk_spans(1, "app")))
    assert isinstance(error, grpc.RpcError)
    assert error.code() == grpc.StatusCode.UNAVAILABLE
    assert "the limit is 2" in (error.details() or "")
    status = rpc_status.from_call(error)
    retry = RetryInfo()
    assert status is not None and status.details[0].Unpack(retry)
    assert retry.retry_delay.seconds >= 1
    for read in readers:
        read()
    assert exporter(server, timeout=30).export(sdk_spans(1, "app")) == SpanExportResult.SUCCESS


def test_sigterm_stops_the_server_within_ten_seconds_while_grpc_requests_are_in_flight(
    make_server: Callable[..., LensServer],
) -> None:
    server = make_server().start()
    acked: set[str] = set()
    codes: list[grpc.StatusCode] = []
    lock = threading.Lock()
    stop = threading.Event()

    def send(tag: int) -> None:
        with grpc.insecure_channel(server.grpc_endpoint) as channel:
            stub = TraceServiceStub(channel)
            for n in range(1000):
                request = encode_spans(sdk_spans(1000, f"sender-{tag}-{n}"))
                try:
                    stub.Export(request, timeout=30)
                except grpc.RpcError as error:
                    with lock:
                        codes.append(error.code())
                    if stop.is_set():
                        return
                    continue
                with lock:
                    acked.update(call_ids(request))
                    codes.append(grpc.StatusCode.OK)

    senders = [threading.Thread(target=send, args=(t,), daemon=True) for t in range(4)]
    for sender in senders:
        sender.start()
    deadline = time.monotonic() + 60
    while not (acked and grpc_health(server)["in_progress"]) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert acked, server.output()
    stop.set()
    started = time.monotonic()
    code = server.stop(timeout_s=15)
    elapsed = time.monotonic() - started
    for sender in senders:
        sender.join(60)
    assert elapsed < 10, f"stopped after {elapsed:.1f} s"
    assert code in (0, -15, 143)
    assert set(codes) <= {grpc.StatusCode.OK, grpc.StatusCode.UNAVAILABLE}, codes
    stored_ids = {row[0] for row in stored(server, "SELECT call_id FROM calls")}
    missing = acked - stored_ids
    assert not missing, f"{len(missing)} acknowledged calls lost, e.g. {sorted(missing)[:3]}"


def test_a_grpc_port_in_use_leaves_the_server_up_and_healthz_says_so(
    make_server: Callable[..., LensServer],
) -> None:
    first = make_server("first").start()
    second = make_server("second", env={"LENS_OTLP_GRPC_PORT": str(first.grpc_port)}).start()
    health = second.health()
    assert health["status"] == "ok"
    grpc_part = health["otlp"]["grpc"]  # type: ignore[index]
    assert grpc_part["listening"] is False
    assert f"127.0.0.1:{first.grpc_port}" in grpc_part["problem"]
    assert "LENS_OTLP_GRPC_PORT" in grpc_part["problem"]
    assert "OTLP/gRPC is off" in second.output()
    # Every call on the port reaches the server that holds it, none the other.
    for n in range(4):
        assert exporter(first, timeout=30).export(sdk_spans(1, f"s{n}")) == SpanExportResult.SUCCESS
    assert (first.health()["calls"], second.health()["calls"]) == (4, 0)
