"""The real OpenTelemetry SDK and OpenAI instrumentation, exporting to a lens server.

``instrumented_openai(lens_url)`` is what an application does to send its ``openai`` calls
to aoai-lens: a ``TracerProvider`` with a ``BatchSpanProcessor`` around the real OTLP/HTTP
protobuf exporter pointed at ``{lens_url}/v1/traces``, and ``OpenAIInstrumentor`` from
``opentelemetry-instrumentation-openai-v2``. An extra in-memory processor keeps every
finished span, so tests can compare what was stored with what was exported, and send the
same spans again. Meter and logger providers are SDK ones without readers or processors:
the instrumentation records metrics and events into them and nothing leaves the process.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.instrumentation.openai_v2 import OpenAIInstrumentor
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter


@dataclass
class Telemetry:
    """The providers and exporters of one instrumented session."""

    provider: TracerProvider
    exporter: OTLPSpanExporter  # the one the batch processor sends through
    memory: InMemorySpanExporter  # a copy of every finished span
    service_name: str

    def finished_spans(self) -> tuple[ReadableSpan, ...]:
        return self.memory.get_finished_spans()

    def flush(self, timeout_ms: int = 30_000) -> None:
        """Export everything finished so far and wait for the server's answer.

        ``force_flush`` says whether the export finished in time, not whether it succeeded:
        tests check what the server stored.
        """
        assert self.provider.force_flush(timeout_ms), "the export did not finish in time"


@contextmanager
def instrumented_openai(lens_url: str, service_name: str = "chat-api") -> Iterator[Telemetry]:
    """Instrument ``openai`` for the duration of the block, exporting to ``lens_url``."""
    resource = Resource.create({"service.name": service_name, "service.version": "1.4.2"})
    meter_provider = MeterProvider(resource=resource)
    logger_provider = LoggerProvider(resource=resource)
    exporter = OTLPSpanExporter(
        endpoint=f"{lens_url}/v1/traces", timeout=10, meter_provider=meter_provider
    )
    memory = InMemorySpanExporter()
    provider = TracerProvider(resource=resource)
    provider.add_span_processor(SimpleSpanProcessor(memory))
    provider.add_span_processor(BatchSpanProcessor(exporter, schedule_delay_millis=200))
    instrumentor = OpenAIInstrumentor()  # type: ignore[no-untyped-call]
    instrumentor.instrument(
        tracer_provider=provider,
        meter_provider=meter_provider,
        logger_provider=logger_provider,
    )
    try:
        yield Telemetry(provider, exporter, memory, service_name)
    finally:
        instrumentor.uninstrument()
        provider.shutdown()
        meter_provider.shutdown()
        logger_provider.shutdown()
