"""The lens server: one process owns the DuckDB file and serves app and routes.

Run with ``streamlit run app/server/main.py`` (``aoai-lens serve`` does this).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import streamlit as st
from starlette.middleware import Middleware

from app import audit, lens_client
from app.access import SERVER_ACTOR, SERVER_TOKEN, forget_access, use_access
from app.alerts import AlertScheduler
from app.config import load_settings
from app.dashboard.db import use_store
from app.dashboard.sources_cache import register_live, register_metrics
from app.local_mode import HostPolicy, LocalOnly
from app.server.access_guard import AccessGuard, GuardState, grpc_authorizer
from app.server.oidc_secrets import auth_secrets
from app.server.routes import Wiring, build_routes
from app.server.script_errors import report_script_error
from app.server.simulator_route import SimulatorMount, simulator_route
from app.server.stop_signals import on_stop_signal
from app.store_setup import open_store
from collectors.demo import DemoConfig, start_demo_seeder
from collectors.loganalytics.poller import Poller
from collectors.monitor_metrics.poller import MetricsPoller
from collectors.otlp.grpc_receiver import OtlpGrpcReceiver
from collectors.otlp.ingest import total_counts
from collectors.otlp.receiver import OtlpReceiver
from collectors.queue import IngestQueue
from collectors.retention import PurgeTimer
from simulator import SimulatorConfig, build_simulator_app

log = logging.getLogger("app.server")
DASHBOARD = Path(__file__).parents[1] / "dashboard" / "entrypoint.py"  # the entrypoint st.App runs


def configure_logging() -> None:
    """Our loggers (app.*, collectors.*) at INFO on stderr, beside Streamlit's."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    for name in ("app", "collectors"):
        logger = logging.getLogger(name)
        if not logger.handlers:
            logger.addHandler(handler)
            logger.setLevel(logging.INFO)
            logger.propagate = False


receiver = OtlpReceiver()
grpc_receiver = OtlpGrpcReceiver(receiver.ingest)  # one queue, cap and stop for both
wiring = Wiring(otlp_grpc=grpc_receiver)
simulator_mount = SimulatorMount()
host_policy = HostPolicy()  # loopback names until the settings add theirs
guard_state = GuardState()  # local mode until the settings name an access file


@asynccontextmanager
async def lifespan(_: Any) -> AsyncIterator[dict[str, Any]]:
    configure_logging()
    settings = load_settings()
    log_analytics = settings.log_analytics_config()  # a bad setting fails before the file opens
    metrics = settings.metrics_config()
    grpc_config = settings.otlp_grpc_config()
    alerts = settings.alerts_config()  # a bad webhook URL fails before the file opens
    host_policy.extra = settings.allowed_hosts
    access = settings.access_policy()  # a malformed access file fails before the file opens
    if access is not None:  # the server's own clients reach its routes with this token
        access = access.with_token(SERVER_ACTOR, SERVER_TOKEN, "admin")
    use_access(access)
    store = open_store(settings)
    guard_state.policy = access
    guard_state.audit = lambda who, action, target, detail: audit.record(
        store, who, action, target, detail
    )
    grpc_receiver.authorize = grpc_authorizer(access, guard_state) if access is not None else None
    queue = IngestQueue(
        store, max_waiting_spans=settings.lens_queue_max_calls, redact=settings.lens_redact
    )
    use_store(store)
    receiver.attach(
        queue,
        max_body_bytes=settings.lens_max_body_bytes,
        body_timeout_s=settings.lens_otlp_body_timeout_s,
        max_in_flight=settings.lens_otlp_max_concurrent,
    )
    await grpc_receiver.start(grpc_config)  # a port in use is logged and shown in /healthz

    def begin_stop() -> None:
        receiver.begin_stop()
        queue.close()

    undo_stop_signal = on_stop_signal(begin_stop)
    wiring.store, wiring.queue = store, queue
    wiring.retail_prices_url = settings.lens_retail_prices_url
    wiring.shared = access is not None
    wiring.alerts = alerts
    calls = store.health().calls
    simulated = settings.simulator_enabled
    if simulated:
        simulator_mount.app = build_simulator_app(SimulatorConfig())
    mode = f"access file {access.path}" if access is not None else "local mode"
    log.info(
        "lens server started: db=%s calls=%d simulator=%s %s", store.path, calls, simulated, mode
    )
    purge_timer = PurgeTimer(store, settings.retention_config())  # at start, then daily
    purge_timer.start()
    demo = settings.demo_data
    if settings.lens_demo and not demo:
        log.info("demo data not seeded: AZURE_OPENAI_ENDPOINT is set, calls go to the service")
    if demo and calls == 0:
        token = SERVER_TOKEN if access is not None else None
        start_demo_seeder(DemoConfig(url=lens_client.local_url(settings), token=token))
    stop_traffic = threading.Event()
    if demo and simulated:
        lens_client.start_demo_traffic(settings, stop_traffic)
    poller = Poller(store, log_analytics) if log_analytics is not None else None
    wiring.poller = poller
    register_live(lambda: total_counts(receiver.counts, grpc_receiver.counts), log_analytics)
    if poller is not None:
        poller.start()
    metrics_poller = MetricsPoller(store, metrics) if metrics is not None else None
    register_metrics(metrics)
    if metrics_poller is not None:
        metrics_poller.start()
    interval = settings.lens_alert_interval_s
    scheduler = AlertScheduler(store, alerts, interval) if interval > 0 else None
    if scheduler is not None:
        scheduler.start()
    try:
        yield {"store": store}
    finally:
        stop_traffic.set()
        if scheduler is not None:
            scheduler.stop()
        wiring.alerts = None
        purge_timer.stop()
        if poller is not None:
            poller.stop()
        if metrics_poller is not None:
            metrics_poller.stop()
        register_metrics(None)
        wiring.poller = None
        register_live(None, None)
        simulator_mount.app = None
        receiver.begin_stop()
        receiver.detach()
        await asyncio.to_thread(queue.close)
        await grpc_receiver.stop()
        undo_stop_signal()
        wiring.store = wiring.queue = None
        guard_state.policy = guard_state.audit = None
        grpc_receiver.authorize = None
        forget_access()
        use_store(None)
        store.close()
        log.info(
            "lens server stopped: OTLP/HTTP %s, OTLP/gRPC %s",
            receiver.counts.as_dict(),
            grpc_receiver.counts.as_dict(),
        )


app = st.App(
    str(DASHBOARD),
    secrets=auth_secrets(),  # [auth] with a Key Vault client_secret read; else the file as is
    lifespan=lifespan,
    routes=[*build_routes(receiver, wiring), simulator_route(simulator_mount)],
    middleware=[
        Middleware(LocalOnly, policy=host_policy),
        Middleware(AccessGuard, state=guard_state),
    ],
    on_script_error=report_script_error,
)
