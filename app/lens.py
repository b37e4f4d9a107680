"""The running lens: one object, built from ``Settings``, that owns the ledger and what
feeds it (DESIGN section 1; decision 0020).

``start()`` checks every setting that can be wrong before the DuckDB file opens, then opens
it and starts the ingest queue, the ingest worker processes (``LENS_INGEST_WORKERS``), the
OTLP receivers (HTTP through the server's route, gRPC on its own port), the Log Analytics
and Azure Monitor metrics pollers, the alert scheduler, the retention timer and, in demo
mode, the seeder and the live traffic; ``stop()`` ends them in the reverse order. ``open()``
and ``close()`` give the ledger alone: what the CLI uses when no server holds the file. The
use cases (chargeback export, reconciliation, price refresh, backfill, import, budget check,
advice) run on a cursor of the calling thread, the same whether a route, a page or a verb
asks.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections.abc import Iterator
from concurrent.futures.process import BrokenProcessPool
from datetime import timedelta
from typing import Any

import httpx

from app import audit, lens_client
from app.access import SERVER_ACTOR, SERVER_TOKEN, AccessPolicy, Identity, forget_access, use_access
from app.advisor import advise
from app.alerts import AlertScheduler, AlertsConfig, AlertsReport, check_alerts
from app.config import Settings
from app.errors import ConfigError
from app.exports import chargeback_file
from app.reconciliation import BillPricesUsed, Reconciliation, reconcile_exports, use_bill_prices
from app.server.access_guard import GuardState, grpc_authorizer
from app.store_setup import open_store
from collectors.demo import DemoConfig, start_demo_seeder
from collectors.loganalytics.client import LogAnalyticsConfig
from collectors.loganalytics.poller import Poller, PullReport, SliceDone
from collectors.monitor_metrics.client import MetricsConfig
from collectors.monitor_metrics.poller import MetricsPoller
from collectors.otlp.decode import DEFAULT_MAX_BODY_BYTES, JSON
from collectors.otlp.grpc_receiver import OtlpGrpcConfig, OtlpGrpcReceiver
from collectors.otlp.ingest import decode_and_flatten, total_counts
from collectors.otlp.receiver import OtlpReceiver
from collectors.otlp.workers import IngestWorkers
from collectors.prices.apply import RefreshReport, refresh_prices
from collectors.prices.fetch import RetailPricesConfig
from collectors.queue import IngestQueue, IngestResult
from collectors.retention import PurgeTimer
from collectors.rows import SOURCE_OTLP
from collectors.store import Store
from simulator import SimulatorConfig, build_simulator_app

log = logging.getLogger("app.lens")
_running_lock = threading.Lock()
_running: Lens | None = None


def running_lens() -> Lens | None:
    """The lens this process runs (started and not yet stopped), or None."""
    with _running_lock:
        return _running


def start_workers(settings: Settings) -> IngestWorkers | None:
    """The ingest worker processes, started; None, logged, when they cannot start (a parent
    whose ``__main__`` a child cannot run, say): the server's threads then decode."""
    workers = IngestWorkers(settings.ingest_workers())
    try:
        workers.start()
    except (BrokenProcessPool, OSError) as exc:
        workers.stop()
        log.warning("ingest workers did not start (%s); the server's threads decode", exc)
        return None
    return workers


def _set_running(lens: Lens | None) -> None:
    global _running
    with _running_lock:
        _running = lens


class Lens:
    """The ledger and everything that feeds it or reads it for a use case."""

    def __init__(
        self, settings: Settings, guard: GuardState | None = None, store: Store | None = None
    ) -> None:
        """``guard``: the access guard's state to fill on start (the server's door);
        ``store``: an open store to run on instead of opening the file (tests, benches); the
        lens then leaves it open when it stops."""
        self.settings = settings
        self.receiver = OtlpReceiver()
        self.grpc_receiver = OtlpGrpcReceiver(self.receiver.ingest)  # one queue, cap and stop
        self.guard = guard or GuardState()  # the access policy (None: local mode), the audit
        self.store: Store | None = store
        self._owns_store = store is None
        self.queue: IngestQueue | None = None
        self.workers: IngestWorkers | None = None  # processes that decode and flatten OTLP
        self._import_queue: IngestQueue | None = None  # imports into a lens that is only open
        self.log_analytics: LogAnalyticsConfig | None = None
        self.metrics: MetricsConfig | None = None
        self.alerts: AlertsConfig | None = None
        self.access: AccessPolicy | None = None
        self.poller: Poller | None = None
        self.metrics_poller: MetricsPoller | None = None
        self.scheduler: AlertScheduler | None = None
        self.purge_timer: PurgeTimer | None = None
        self.simulator_app: Any = None  # the simulator's ASGI app when it is on
        self._stop_traffic = threading.Event()

    # -- the ledger alone ------------------------------------------------------------------

    def open(self) -> Store:
        """Open the DuckDB file (migrations, reference files); this process then owns it."""
        if self.store is None:
            self.store = open_store(self.settings)
        return self.store

    def close(self) -> None:
        if self._import_queue is not None:
            self._import_queue.close()
            self._import_queue = None
        if self.store is not None and self._owns_store:
            self.store.close()
        self.store = None

    def ledger(self) -> Store:
        if self.store is None:
            raise ConfigError("the lens is not open", "open() or start() it first")
        return self.store

    # -- the running lens ------------------------------------------------------------------

    async def start(self) -> None:
        """Check the settings, open the file, start ingest, pollers and timers."""
        settings = self.settings
        self.log_analytics = settings.log_analytics_config()  # bad settings fail before the
        self.metrics = settings.metrics_config()  # file opens
        grpc_config: OtlpGrpcConfig | None = settings.otlp_grpc_config()
        self.alerts = settings.alerts_config()
        access = settings.access_policy()
        if access is not None:  # the server's own clients reach its routes with this token
            access = access.with_token(SERVER_ACTOR, SERVER_TOKEN, "admin")
        self.access = access
        use_access(access)
        store = self.open()
        self.guard.policy = access
        self.guard.audit = self.audit
        if access is not None:
            self.grpc_receiver.authorize = grpc_authorizer(access, self.guard)
        self.queue = IngestQueue(
            store, max_waiting_spans=settings.lens_queue_max_calls, redact=settings.lens_redact
        )
        if settings.ingest_workers():  # started before requests come: they import a lot
            self.workers = await asyncio.to_thread(start_workers, settings)
        self.receiver.attach(
            self.queue,
            max_body_bytes=settings.lens_max_body_bytes,
            body_timeout_s=settings.lens_otlp_body_timeout_s,
            max_in_flight=settings.lens_otlp_max_concurrent,
            workers=self.workers,
        )
        _set_running(self)  # the routes and pages answer from here on
        await self.grpc_receiver.start(grpc_config)  # a port in use is logged, in /healthz
        calls = store.health().calls
        simulated = settings.simulator_enabled
        if simulated:
            self.simulator_app = build_simulator_app(SimulatorConfig())
        mode = f"access file {access.path}" if access is not None else "local mode"
        started = "lens server started: db=%s calls=%d simulator=%s %s"
        log.info(started, store.path, calls, simulated, mode)
        self.purge_timer = PurgeTimer(store, settings.retention_config())  # now, then daily
        self.purge_timer.start()
        self._start_demo(calls, simulated)
        if self.log_analytics is not None:
            self.poller = Poller(store, self.log_analytics)
            self.poller.start()
        if self.metrics is not None:
            self.metrics_poller = MetricsPoller(store, self.metrics)
            self.metrics_poller.start()
        interval = settings.lens_alert_interval_s
        if interval > 0:
            self.scheduler = AlertScheduler(store, self.alerts, interval)
            self.scheduler.start()

    def _start_demo(self, calls: int, simulated: bool) -> None:
        settings, demo = self.settings, self.settings.demo_data
        if settings.lens_demo and not demo:
            log.info("demo data not seeded: AZURE_OPENAI_ENDPOINT is set, calls go to the service")
        if demo and calls == 0:
            token = SERVER_TOKEN if self.access is not None else None
            start_demo_seeder(DemoConfig(url=lens_client.local_url(settings), token=token))
        if demo and simulated:
            lens_client.start_demo_traffic(settings, self._stop_traffic)

    def begin_stop(self) -> None:
        """A stop signal: answer new OTLP requests 503, and those no ingest worker has
        taken yet, and let the queue drain."""
        self.receiver.begin_stop()
        if self.workers is not None:
            self.workers.stop()
        if self.queue is not None:
            self.queue.close()

    async def stop(self) -> None:
        """Stop what ``start`` started, in the reverse order; the file is closed last. Until
        the queue has drained the routes still answer, ``/healthz`` with ``stopping``."""
        self._stop_traffic.set()
        if self.scheduler is not None:
            self.scheduler.stop()
        if self.purge_timer is not None:
            self.purge_timer.stop()
        if self.poller is not None:
            self.poller.stop()
        if self.metrics_poller is not None:
            self.metrics_poller.stop()
        self.scheduler = self.purge_timer = None
        self.poller, self.metrics_poller, self.simulator_app = None, None, None
        self.receiver.begin_stop()
        self.receiver.detach()
        if self.workers is not None:  # requests not yet taken by a worker are answered 503
            await asyncio.to_thread(self.workers.stop)
            self.workers = None
        if self.queue is not None:
            await asyncio.to_thread(self.queue.close)
        await self.grpc_receiver.stop()
        _set_running(None)
        self.queue = None
        self.guard.policy = self.guard.audit = None
        self.grpc_receiver.authorize = None
        forget_access()
        self.close()
        log.info(
            "lens server stopped: OTLP/HTTP %s, OTLP/gRPC %s",
            self.receiver.counts.as_dict(),
            self.grpc_receiver.counts.as_dict(),
        )

    def otlp_counts(self) -> dict[str, int]:
        """OTLP request totals since start, both transports together."""
        return total_counts(self.receiver.counts, self.grpc_receiver.counts)

    # -- use cases, each on a cursor of the calling thread -----------------------------------

    def audit(
        self, who: Identity | None, action: str, target: str, detail: dict[str, object]
    ) -> None:
        if self.store is not None:
            audit.record(self.store, who, action, target, detail)

    def import_export_line(self, body: bytes) -> IngestResult:
        """One line of Collector file-exporter output (OTLP/JSON) stored, after its commit:
        through the running queue, else a queue of its own that commits each line at once."""
        queue = self.queue
        if queue is None:
            if self._import_queue is None:
                self._import_queue = IngestQueue(
                    self.ledger(), max_group_wait_s=0, redact=self.settings.lens_redact
                )
            queue = self._import_queue
        flat = decode_and_flatten(body, JSON, None, DEFAULT_MAX_BODY_BYTES)
        return queue.submit(flat, source=SOURCE_OTLP).result()

    def chargeback_file(self, month: str, fmt: str, tenants: tuple[str, ...] | None = None) -> str:
        return chargeback_file(self.ledger().cursor(), month, fmt, tenants)

    def reconcile(self, month: str, files: list[tuple[str, bytes]]) -> Reconciliation:
        return reconcile_exports(self.ledger().cursor(), month, files)

    def bill_prices(
        self, month: str, files: list[tuple[str, bytes]], apply: bool
    ) -> BillPricesUsed:
        """The bill's unit prices proposed from ``files`` and, with ``apply``, loaded."""
        return use_bill_prices(self.ledger(), month, files, apply=apply)

    def advice(self, since: timedelta) -> dict[str, Any]:
        """The savings advisor's report, as JSON."""
        return advise(self.ledger().cursor(), since).as_dict()

    def check_alerts(self, config: AlertsConfig, dry_run: bool) -> AlertsReport:
        return check_alerts(self.ledger(), config, dry_run=dry_run)

    def refresh_prices(self, apply: bool) -> dict[str, object]:
        """Read the Azure Retail Prices API and, with ``apply``, load what changed."""
        config = RetailPricesConfig(base_url=self.settings.lens_retail_prices_url)
        with httpx.Client(follow_redirects=True) as client:
            return refresh_report(refresh_prices(self.ledger(), config, client, apply=apply))

    def backfill(
        self, source: str, since: timedelta, config: LogAnalyticsConfig | None = None
    ) -> Iterator[str]:
        """A source's history pulled slice by slice, as JSON lines (``backfill_lines``); the
        running poller's, else one for ``config`` on the open file."""
        poller = self.poller
        if poller is None:
            if config is None:
                raise ConfigError(
                    "no Log Analytics workspace is configured",
                    "set LOG_ANALYTICS_WORKSPACE_ID (and a credential) and restart the server",
                )
            poller = Poller(self.ledger(), config)
        slices = -(-since // poller.config.slice)
        return backfill_lines(poller.backfill(source, since), slices)


def backfill_lines(events: Iterator[SliceDone | PullReport], slices: int) -> Iterator[str]:
    """A backfill's progress as JSON lines: the slice count, each slice, then the report."""
    yield json.dumps({"slices": slices}) + "\n"
    for event in events:
        if isinstance(event, PullReport):
            yield json.dumps({"report": event.as_dict()}) + "\n"
        else:
            yield (
                json.dumps(
                    {
                        "slice": [event.start.isoformat(), event.end.isoformat()],
                        "outcome": event.outcome,
                        "rows_read": event.rows_read,
                        "rows_stored": event.rows_stored,
                        "error": event.error,
                    }
                )
                + "\n"
            )


def refresh_report(report: RefreshReport) -> dict[str, object]:
    """A price refresh report as JSON for the route and the CLI."""
    return {
        "pages": report.pages,
        "items": report.items,
        "mapped": len(report.mapped),
        "unmapped": [f"{u.meter} ({u.reason})" for u in report.unmapped],
        "capacity": [
            f"{p.deployment_type} {p.region} {p.term}: {p.usd_per_ptu} USD per PTU ({p.meter})"
            for p in report.capacity
        ],
        "notes": list(report.notes),
        "changes": [change.describe() for change in report.changes],
        "current_version": report.current_version,
        "applied_version": report.applied_version,
    }
