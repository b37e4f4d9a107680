"""Budget alerts: which thresholds a tenant's, cost center's or deployment's month-to-date
spend (or its linear month-end forecast) has crossed, each fired once per month, logged in
``alert_log`` and delivered to the webhooks. Evaluated by the server every few minutes
(``AlertScheduler``), by ``POST /api/alerts/check`` and by ``aoai-lens alerts check``.

Daily spend and token spikes per tenant and deployment fire the same way, once per day per
scope (``app.spike_alerts``; decision 0015).

Fired once: an alert's rows are written before it is delivered, so another evaluation, a
restarted server or the CLI on the file find it. When one evaluation finds several
thresholds crossed at once for a scope (the first check of a month, or a spending spike),
only the highest is sent; the lower ones are logged as ``superseded``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import duckdb
import httpx

from app.spike_alerts import due_spikes
from app.webhooks import Webhook, deliver
from collectors.store import Store
from queries.alerts import (
    alerts_fired,
    alerts_to_redeliver,
    budget_spend,
    insert_alert,
    record_alert_delivery,
)
from queries.chargeback import month_bounds

log = logging.getLogger(__name__)

DEFAULT_THRESHOLDS_PCT: Final = (50.0, 80.0, 100.0)
REDELIVERY_CHECKS: Final = 3  # checks that deliver one alert to one webhook, at most
NO_WEBHOOK: Final = -1


@dataclass(frozen=True)
class AlertsConfig:
    """What a user sets: the webhooks, the thresholds (% of a monthly budget), whether the
    forecast passing 100 % alerts, and how deliveries are retried."""

    webhooks: tuple[Webhook, ...] = ()
    thresholds_pct: tuple[float, ...] = DEFAULT_THRESHOLDS_PCT
    forecast: bool = True
    forecast_after_days: float = 3.0  # a linear forecast from a few hours is only noise
    spikes: bool = True  # daily spend and token spikes alert too (app.spike_alerts)
    attempts: int = 4
    backoff_s: float = 1.0
    timeout_s: float = 10.0


@dataclass(frozen=True)
class Alert:
    scope_kind: str  # tenant | cost_center | deployment | tenant_spike | deployment_spike
    scope: str
    month: str
    rule: str  # spend | forecast | spike YYYY-MM-DD
    threshold_pct: float
    spend_usd: float
    budget_usd: float
    forecast_usd: float
    fired_at: str  # ISO 8601, UTC

    @property
    def key(self) -> tuple[str, str, str, float]:
        return (self.scope_kind, self.scope, self.rule, self.threshold_pct)


@dataclass
class AlertsReport:
    month: str
    dry_run: bool
    scopes: int = 0
    fired: list[dict[str, Any]] = field(default_factory=list)
    superseded: int = 0
    redelivered: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def due_alerts(
    cur: duckdb.DuckDBPyConnection, now: datetime, config: AlertsConfig
) -> tuple[int, list[Alert], list[Alert]]:
    """(scopes with a budget, alerts to send, lower thresholds they supersede) at ``now``.
    The forecast alerts only once ``forecast_after_days`` of the month have passed."""
    month = f"{now:%Y-%m}"
    start, end = month_bounds(month)
    forecasting = config.forecast and now - start >= timedelta(days=config.forecast_after_days)
    spend = budget_spend(cur, start, end, now)
    fired = {
        (str(r["scope_kind"]), str(r["scope"]), str(r["rule"]), float(r["threshold_pct"]))
        for r in alerts_fired(cur, month).to_dict("records")
    }
    stamp = now.astimezone(UTC).isoformat(timespec="seconds")
    send: list[Alert] = []
    superseded: list[Alert] = []
    for row in spend.to_dict("records"):
        kind, scope = str(row["scope_kind"]), str(row["scope"])
        used, budget = float(row["spend_usd"]), float(row["budget_usd"])
        forecast = float(row["forecast_usd"])
        amounts = (used, budget, forecast)
        crossed = [
            Alert(kind, scope, month, "spend", pct, *amounts, stamp)
            for pct in sorted(config.thresholds_pct)
            if used >= budget * pct / 100 and (kind, scope, "spend", pct) not in fired
        ]
        if crossed:
            send.append(crossed[-1])
            superseded.extend(crossed[:-1])
        over = forecasting and used < budget <= forecast
        if over and (kind, scope, "forecast", 100.0) not in fired:
            send.append(Alert(kind, scope, month, "forecast", 100.0, *amounts, stamp))
    if config.spikes:
        send.extend(
            Alert(**spike, fired_at=stamp)
            for spike in due_spikes(cur, now, _spikes_fired(cur, now))
        )
    return len(spend), send, superseded


def _spikes_fired(cur: duckdb.DuckDBPyConnection, now: datetime) -> set[tuple[str, str, str]]:
    """(scope_kind, scope, rule) of the spikes fired this month and last (yesterday may be
    in last month)."""
    months = {f"{now:%Y-%m}", f"{now - timedelta(days=1):%Y-%m}"}
    return {
        (str(r["scope_kind"]), str(r["scope"]), str(r["rule"]))
        for month in months
        for r in alerts_fired(cur, month).to_dict("records")
        if str(r["rule"]).startswith("spike ")
    }


def check_alerts(
    store: Store,
    config: AlertsConfig,
    now: datetime | None = None,
    *,
    dry_run: bool = False,
    client: httpx.Client | None = None,
    sleep: Callable[[float], object] = time.sleep,
) -> AlertsReport:
    """Evaluate the budgets; unless ``dry_run``, log and deliver what is due, and send
    again this month's failed deliveries (up to ``REDELIVERY_CHECKS`` checks' worth of
    attempts) and those a stopped process left pending. Delivery failures are logged in
    ``alert_log``, never raised."""
    now = (now or datetime.now(UTC)).astimezone(UTC)  # months are UTC calendar months
    with _one_check:
        again = alerts_to_redeliver(
            store.cursor(), f"{now:%Y-%m}", config.attempts * REDELIVERY_CHECKS
        )
        scopes, send, superseded = due_alerts(store.cursor(), now, config)
        report = AlertsReport(f"{now:%Y-%m}", dry_run, scopes, superseded=len(superseded))
        if dry_run:
            report.fired = [{**asdict(a), "deliveries": []} for a in send]
            return report
        with store.transaction() as cur:
            for alert in superseded:
                _log(cur, alert, NO_WEBHOOK, "", "superseded")
            for alert in send:
                for hook in config.webhooks:
                    _log(cur, alert, hook.index, hook.label, "pending")
                if not config.webhooks:
                    _log(cur, alert, NO_WEBHOOK, "", "logged")
        own_client = client is None
        http = client or httpx.Client(timeout=config.timeout_s)
        try:
            report.redelivered = _redeliver(store, http, again, config, sleep)
            for alert in send:
                deliveries = [
                    _deliver(store, http, hook, alert, config, sleep) for hook in config.webhooks
                ]
                report.fired.append({**asdict(alert), "deliveries": deliveries})
                log.info("alert fired: %s", alert.key)
        finally:
            if own_client:
                http.close()
        return report


_one_check = threading.Lock()  # the scheduler and the route never evaluate side by side


def _log(cur: duckdb.DuckDBPyConnection, alert: Alert, index: int, label: str, status: str) -> None:
    insert_alert(
        cur, scope_kind=alert.scope_kind, scope=alert.scope, month=alert.month,
        rule=alert.rule, threshold_pct=alert.threshold_pct, spend_usd=alert.spend_usd,
        budget_usd=alert.budget_usd, forecast_usd=alert.forecast_usd,
        fired_at=datetime.fromisoformat(alert.fired_at), webhook_index=index, webhook=label,
        status=status,
    )  # fmt: skip


def _deliver(
    store: Store,
    client: httpx.Client,
    hook: Webhook,
    alert: Alert,
    config: AlertsConfig,
    sleep: Callable[[float], object],
    earlier_attempts: int = 0,
) -> dict[str, Any]:
    outcome = deliver(
        client, hook, asdict(alert), attempts=config.attempts, backoff_s=config.backoff_s,
        sleep=sleep,
    )  # fmt: skip
    if outcome.status != "delivered":
        log.warning("alert %s not delivered to %s: %s", alert.key, hook.label, outcome.last_error)
    with store.transaction() as cur:
        record_alert_delivery(
            cur, scope_kind=alert.scope_kind, scope=alert.scope, month=alert.month,
            rule=alert.rule, threshold_pct=alert.threshold_pct, webhook_index=hook.index,
            status=outcome.status, attempts=earlier_attempts + outcome.attempts,
            last_error=outcome.last_error,
            delivered_at=datetime.now(UTC) if outcome.status == "delivered" else None,
        )  # fmt: skip
    return {"webhook": hook.label, **asdict(outcome)}


def _redeliver(
    store: Store,
    client: httpx.Client,
    rows: Any,
    config: AlertsConfig,
    sleep: Callable[[float], object],
) -> list[dict[str, Any]]:
    """Deliver logged alerts again, to the webhooks still configured at the same place."""
    hooks = {(hook.index, hook.label): hook for hook in config.webhooks}
    done: list[dict[str, Any]] = []
    for row in rows.to_dict("records"):
        hook = hooks.get((int(row["webhook_index"]), str(row["webhook"])))
        if hook is None:
            continue
        alert = Alert(
            str(row["scope_kind"]), str(row["scope"]), str(row["month"]), str(row["rule"]),
            float(row["threshold_pct"]), float(row["spend_usd"]), float(row["budget_usd"]),
            float(row["forecast_usd"]),
            row["fired_at"].astimezone(UTC).isoformat(timespec="seconds"),
        )  # fmt: skip
        outcome = _deliver(store, client, hook, alert, config, sleep, int(row["attempts"]))
        done.append({**asdict(alert), "deliveries": [outcome]})
    return done


class AlertScheduler:
    """Checks the budgets every ``interval_s`` seconds on a thread of its own, the first
    time right after start; ``stop()`` wakes it and waits for it."""

    def __init__(self, store: Store, config: AlertsConfig, interval_s: float) -> None:
        self.store = store
        self.config = config
        self.interval_s = interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="lens-alerts", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout_s: float = 30.0) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout_s)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                report = check_alerts(self.store, self.config, sleep=self._stop.wait)
                if report.fired:
                    log.info("alerts: %d fired for %s", len(report.fired), report.month)
            except Exception:  # never take the server down; try again next time
                log.exception("alerts check failed")
            self._stop.wait(self.interval_s)
