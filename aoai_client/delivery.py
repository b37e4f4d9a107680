"""Whether finished spans reached their receiver: counts kept around the batch processor.

A span is lost on its way out in one of three ways: the export request fails (nothing
listens, or the receiver answers 503 for longer than the exporter retries), the batch
processor's queue is full and drops it, or the program ends before it is sent. Counting the
spans that finished and the spans the exporter reported as delivered covers all three: a
finished span that was not delivered did not arrive.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from opentelemetry.context import Context
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult


@dataclass(frozen=True)
class SpanDelivery:
    finished: int = 0  # spans handed to the processor for export
    delivered: int = 0  # spans the exporter reported as received

    @property
    def undelivered(self) -> int:
        """Finished spans not (yet) delivered: failed, dropped, or still queued."""
        return self.finished - self.delivered


class _CountingExporter(SpanExporter):
    """``exporter``, telling ``on_delivered`` how many spans each successful export sent."""

    def __init__(self, exporter: SpanExporter, on_delivered: Callable[[int], None]) -> None:
        self._exporter = exporter
        self._on_delivered = on_delivered

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        result = self._exporter.export(spans)
        if result is SpanExportResult.SUCCESS:
            self._on_delivered(len(spans))
        return result

    def shutdown(self) -> None:
        self._exporter.shutdown()

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        return self._exporter.force_flush(timeout_millis)


class CountedBatchSpanProcessor(SpanProcessor):
    """A ``BatchSpanProcessor`` over ``exporter`` that counts the spans it was given and
    the spans the exporter delivered; ``delivery()`` reads both."""

    def __init__(self, exporter: SpanExporter, schedule_delay_millis: float) -> None:
        self._lock = threading.Lock()
        self._finished = 0
        self._delivered = 0
        self._batch = BatchSpanProcessor(
            _CountingExporter(exporter, self._count_delivered),
            schedule_delay_millis=schedule_delay_millis,
        )

    def delivery(self) -> SpanDelivery:
        with self._lock:
            return SpanDelivery(finished=self._finished, delivered=self._delivered)

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        self._batch.on_start(span, parent_context)

    def on_end(self, span: ReadableSpan) -> None:
        if span.context is not None and span.context.trace_flags.sampled:  # what the batch keeps
            with self._lock:
                self._finished += 1
        self._batch.on_end(span)

    def shutdown(self) -> None:
        self._batch.shutdown()  # type: ignore[no-untyped-call]

    def force_flush(self, timeout_millis: int = 30_000) -> bool:
        return self._batch.force_flush(timeout_millis)

    def _count_delivered(self, spans: int) -> None:
        with self._lock:
            self._delivered += spans
