"""``aoai-lens alerts check [--dry-run] [--url]``: evaluate the budgets for schedulers.

Through the running lens server (``POST /api/alerts/check``) when one answers, else on
the database file; never creates an empty one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
import httpx

from app.cli.ledger import (
    cli_identity,
    console,
    exit_on_route_error,
    exit_without_a_ledger,
    open_lens_or_exit,
    server_headers,
    server_is_up,
    server_url,
)
from app.config import load_settings


@click.group()
def alerts() -> None:
    """Budget alerts."""


@alerts.command(name="check")
@click.option("--dry-run", is_flag=True, help="Print what would fire; send and log nothing.")
@click.option("--url", default=None, help="Lens server URL (default http://LENS_HOST:LENS_PORT).")
@click.option("--db", "db_path", type=click.Path(path_type=Path), default=None,
              help="DuckDB file read when no server answers (default LENS_DB).")  # fmt: skip
def alerts_check(dry_run: bool, url: str | None, db_path: Path | None) -> None:
    """Check every budget now; fire (log and send) the alerts that are due, once each.

    Exits 3 when a webhook did not take an alert (logged; the next checks send it again)."""
    settings = load_settings()  # a ConfigError (a bad webhook URL too): exit 2
    config = settings.alerts_config()
    base = server_url(settings, url)
    db = db_path or settings.lens_db
    if server_is_up(base):
        response = httpx.post(
            f"{base}/api/alerts/check",
            params={"dry_run": str(dry_run).lower()},
            headers=server_headers(settings),
            timeout=300,
        )
        exit_on_route_error(response)
        report: dict[str, Any] = response.json()
    elif db.is_file():
        lens = open_lens_or_exit(settings.model_copy(update={"lens_db": db}))
        try:
            report = lens.check_alerts(config, dry_run).as_dict()
            if not dry_run:
                detail: dict[str, object] = {"fired": len(report["fired"]), "via": "cli"}
                lens.audit(cli_identity(), "alerts.check", "budgets", detail)
        finally:
            lens.close()
    else:
        exit_without_a_ledger(base, db)
    print_report(report)
    if any(
        delivery["status"] != "delivered"
        for alert in [*report["fired"], *report.get("redelivered", [])]
        for delivery in alert["deliveries"]
    ):
        console.print("[yellow]a delivery failed[/yellow]: it is logged and sent again next time")
        raise SystemExit(3)


def print_report(report: dict[str, Any]) -> None:
    verb = "would fire" if report["dry_run"] else "fired"
    click.echo(
        f"{report['month']}: {report['scopes']} budgets checked, {len(report['fired'])} "
        f"alerts {verb}"
    )
    for alert in report.get("redelivered", []):
        for delivery in alert["deliveries"]:
            click.echo(
                f"  sent again: {alert['scope_kind']} {alert['scope']} "
                f"{alert['rule']} {alert['threshold_pct']:g} % to {delivery['webhook']}: "
                f"{delivery['status']}"
            )
    for alert in report["fired"]:
        rule = "forecast" if alert["rule"] == "forecast" else "spend"
        click.echo(
            f"  {alert['scope_kind']} {alert['scope']}: {rule} >= {alert['threshold_pct']:g} % "
            f"(spend ${alert['spend_usd']:,.2f}, forecast ${alert['forecast_usd']:,.2f}, "
            f"budget ${alert['budget_usd']:,.2f})"
        )
        for delivery in alert["deliveries"]:
            error = f": {delivery['last_error']}" if delivery["last_error"] else ""
            click.echo(
                f"    {delivery['webhook']} {delivery['status']} after "
                f"{delivery['attempts']} attempts{error}"
            )
