"""Polls Azure Monitor metrics of the configured Azure OpenAI resources into
``deployment_metrics``, like the Log Analytics sources: a watermark per source
(``source_state``), each poll re-reading ``overlap`` before it (the last hours of a metric
are still being filled in), one ``source_pulls`` row per poll, failures recorded with what
to do for the Sources page.

Nothing that came is dropped: every resource's answer is stored as it arrives, and a
resource that fails, or a metric that comes back with an error, leaves the watermark where
it was, so the next poll reads the same hours again (an hour read again replaces its row).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from azure.core.credentials import TokenCredential
from azure.mgmt.monitor import MonitorManagementClient

from collectors.loganalytics import state
from collectors.loganalytics.client import PullError
from collectors.monitor_metrics.client import (
    DEPLOYMENT_DIMENSION,
    READS,
    SOURCE_NAME,
    MetricsConfig,
    build_client,
    read_metrics,
)
from collectors.monitor_metrics.decode import metric_rows
from collectors.monitor_metrics.store import store_deployment_metrics
from collectors.store import Store

log = logging.getLogger(__name__)


@dataclass
class MetricsPullReport:
    start: datetime
    end: datetime
    rows_stored: int = 0
    errors: list[str] = field(default_factory=list)  # the hours are read again
    warnings: list[str] = field(default_factory=list)  # metrics a resource does not define
    hint: str | None = None
    watermark: datetime | None = None

    @property
    def outcome(self) -> str:
        if self.errors:
            return "partial" if self.rows_stored else "failed"
        return "degraded" if self.warnings else "ok"


def _floor_hour(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


class MetricsPoller:
    """Reads the metrics of ``config.resource_ids``; ``start()`` polls on an interval."""

    def __init__(
        self,
        store: Store,
        config: MetricsConfig,
        *,
        client: MonitorManagementClient | None = None,
        credential: TokenCredential | None = None,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.store = store
        self.config = config
        self._client = client
        self._credential = credential
        self._now = now
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def client(self) -> MonitorManagementClient:
        if self._client is None:
            self._client = build_client(self.config, self._credential)
        return self._client

    def poll(self) -> MetricsPullReport:
        """One pull of every resource, from the watermark minus the overlap (whole hours) to
        now."""
        end = self._now()
        mark = state.watermark(self.store, SOURCE_NAME)
        start = _floor_hour(mark - self.config.overlap if mark else end - self.config.first_pull)
        return self.pull(start, end)

    def pull(self, start: datetime, end: datetime) -> MetricsPullReport:
        report = MetricsPullReport(start, end)
        began = time.monotonic()
        with self._lock:
            for resource_id in self.config.resource_ids:
                for names, aggregation in READS:
                    if not self._read(report, resource_id, names, aggregation):
                        break  # the next resource; this one's other reads would fail alike
            self._record(report, time.monotonic() - began)
        report.watermark = state.watermark(self.store, SOURCE_NAME)
        return report

    def _read(
        self,
        report: MetricsPullReport,
        resource_id: str,
        names: tuple[str, ...],
        aggregation: str,
    ) -> bool:
        """Read and store ``names`` of one resource; False when the resource failed. A read
        refused as a query (a metric this resource does not define: Azure refuses the whole
        request) is read again metric by metric, and a metric refused alone is a warning:
        the others are stored and the hours are not read again for it."""
        try:
            answer = read_metrics(
                self.client, self.config, resource_id, names, aggregation, report.start, report.end
            )
        except PullError as exc:
            if exc.kind == "query" and len(names) > 1:
                alone = [self._read(report, resource_id, (name,), aggregation) for name in names]
                return any(alone)
            if exc.kind == "query":
                report.warnings.append(exc.message)
                return True
            report.errors.append(exc.message)
            report.hint = report.hint or exc.hint
            return False
        decoded = metric_rows(answer, resource_id, DEPLOYMENT_DIMENSION)
        report.rows_stored += store_deployment_metrics(self.store, decoded.rows)
        report.errors += [f"{resource_id}: {error}" for error in decoded.errors]
        return True

    def _record(self, report: MetricsPullReport, seconds: float) -> None:
        error = "; ".join(report.errors) or None
        state.record_pull(
            self.store,
            SOURCE_NAME,
            report.start,
            report.end,
            outcome=report.outcome,
            rows_read=report.rows_stored,
            rows_stored=report.rows_stored,
            seconds=seconds,
            error=error or "; ".join(report.warnings) or None,
        )
        if error is None:
            state.record_success(self.store, SOURCE_NAME, report.start, report.end)
            return
        hint = report.hint or (
            "Azure Monitor answered part of the metrics; the next poll reads these hours again"
        )
        report.hint = hint
        state.record_failure(self.store, SOURCE_NAME, error, hint)
        log.warning("pull of %s: %s", SOURCE_NAME, error)

    def start(self) -> None:
        """Poll now and then every ``poll_interval``."""
        self._thread = threading.Thread(target=self._loop, name="lens-metrics", daemon=True)
        self._thread.start()
        log.info(
            "Azure Monitor metrics poller started: %d resources, every %s",
            len(self.config.resource_ids),
            self.config.poll_interval,
        )

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.poll()
            except Exception:  # never let one poll stop the loop
                log.exception("poll of %s failed unexpectedly", SOURCE_NAME)
            self._stop.wait(self.config.poll_interval.total_seconds())

    def stop(self, timeout_s: float = 30.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
