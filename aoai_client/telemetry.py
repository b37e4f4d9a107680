"""Tracing for the instrumented client: the official OpenAI instrumentation, exported by
OTLP/HTTP to a lens server and, with a connection string, to Azure Monitor.

One ``Telemetry`` per process: ``OpenAIInstrumentor`` patches the ``openai`` classes
process-wide, so ``configure_telemetry`` returns the one already made. The instrumentation is
guarded (``guard``): what its own code raises while a stream is read is recorded on the span,
never raised into the application.

Message content: recorded only when ``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT``
enables it. The instrumentation in use reads ``SPAN_ONLY``, ``EVENT_ONLY`` or
``SPAN_AND_EVENT`` (anything else records nothing); older ones read ``true``, which
``configure_telemetry`` translates to ``SPAN_AND_EVENT`` so a setting made for them keeps
its meaning. The attributes this package adds never hold message content.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, MutableMapping
from dataclasses import dataclass
from typing import Final

from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.instrumentation.openai_v2 import OpenAIInstrumentor
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter

from aoai_client.config import TelemetryConfig
from aoai_client.delivery import CountedBatchSpanProcessor, SpanDelivery
from aoai_client.guard import guard_instrumentation

log = logging.getLogger(__name__)

CAPTURE_CONTENT: Final = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"
CAPTURE_MODES: Final = ("NO_CONTENT", "SPAN_ONLY", "EVENT_ONLY", "SPAN_AND_EVENT")
_LEGACY_ON: Final = ("true", "1", "yes", "on")
_LEGACY_OFF: Final = ("false", "0", "no", "off", "")


def content_capture_mode(value: str | None) -> str:
    """The mode the current instrumentation should read for a setting's ``value``."""
    text = (value or "").strip()
    if text.lower() in _LEGACY_ON:
        return "SPAN_AND_EVENT"
    if text.lower() in _LEGACY_OFF or text.upper() not in CAPTURE_MODES:
        return "NO_CONTENT"
    return text.upper()


def align_content_capture(environ: MutableMapping[str, str] | None = None) -> str:
    """Rewrite a legacy ``true``/``false`` so the instrumentation honours it; the mode."""
    env = os.environ if environ is None else environ
    mode = content_capture_mode(env.get(CAPTURE_CONTENT))
    if CAPTURE_CONTENT in env and env[CAPTURE_CONTENT] != mode:
        env[CAPTURE_CONTENT] = mode
    return mode


@dataclass
class Telemetry:
    provider: TracerProvider
    instrumentor: OpenAIInstrumentor
    meter_provider: MeterProvider
    logger_provider: LoggerProvider
    config: TelemetryConfig
    unguard: Callable[[], None]
    otlp: CountedBatchSpanProcessor | None = None  # the OTLP export, with its counts

    def delivery(self) -> SpanDelivery:
        """Spans finished and delivered by the OTLP export (both 0 without one)."""
        return self.otlp.delivery() if self.otlp is not None else SpanDelivery()

    def flush(self, timeout_ms: int = 10_000) -> bool:
        """Export every finished span now; False when the export did not finish in time."""
        return self.provider.force_flush(timeout_ms)

    def add_span_processor(self, processor: SpanProcessor) -> None:
        self.provider.add_span_processor(processor)

    def shutdown(self) -> None:
        global _telemetry
        with _lock:
            self.unguard()
            self.instrumentor.uninstrument()
            self.provider.shutdown()
            self.meter_provider.shutdown()
            self.logger_provider.shutdown()
            if _telemetry is self:
                _telemetry = None


_lock = threading.Lock()
_telemetry: Telemetry | None = None


def current_telemetry() -> Telemetry | None:
    """The process's telemetry, if ``configure_telemetry`` has made it."""
    return _telemetry


def configure_telemetry(config: TelemetryConfig) -> Telemetry:
    """Instrument ``openai`` in this process (once) and export spans as ``config`` says."""
    global _telemetry
    with _lock:
        if _telemetry is not None:
            if _telemetry.config != config:
                log.warning("telemetry is already configured in this process; keeping it")
            return _telemetry
        align_content_capture()
        resource = Resource.create({"service.name": config.service_name,
                                    **config.resource_attributes})  # fmt: skip
        provider = TracerProvider(resource=resource)
        otlp = None
        if config.otlp_traces_endpoint:
            exporter = OTLPSpanExporter(
                endpoint=config.otlp_traces_endpoint,
                headers=dict(config.otlp_headers) or None,
                timeout=10,
            )
            otlp = CountedBatchSpanProcessor(exporter, config.export_delay_ms)
            provider.add_span_processor(otlp)
        if config.applicationinsights_connection_string:
            provider.add_span_processor(
                BatchSpanProcessor(_azure_monitor_exporter(config, provider))
            )
        meter_provider = MeterProvider(resource=resource)
        logger_provider = LoggerProvider(resource=resource)
        instrumentor = OpenAIInstrumentor()  # type: ignore[no-untyped-call]
        instrumentor.instrument(
            tracer_provider=provider,
            meter_provider=meter_provider,
            logger_provider=logger_provider,
        )
        unguard = guard_instrumentation()
        _telemetry = Telemetry(
            provider, instrumentor, meter_provider, logger_provider, config, unguard, otlp
        )
        return _telemetry


def _azure_monitor_exporter(config: TelemetryConfig, provider: TracerProvider) -> SpanExporter:
    """Azure Monitor's trace exporter (from ``azure-monitor-opentelemetry``'s exporter
    package), added to this provider rather than replacing the process's global ones."""
    from azure.monitor.opentelemetry.exporter import AzureMonitorTraceExporter

    exporter: SpanExporter = AzureMonitorTraceExporter.from_connection_string(
        config.applicationinsights_connection_string or "", tracer_provider=provider
    )
    return exporter
