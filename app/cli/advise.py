"""``aoai-lens advise [--since 30d] [--json] [--url] [--db]``: the savings advisor.

Through the running lens server (``GET /api/advise``) when one answers, else on the
database file; never creates an empty one."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
import httpx

from app.cli.ledger import (
    exit_on_route_error,
    exit_without_a_ledger,
    open_lens_or_exit,
    server_headers,
    server_is_up,
    server_url,
)
from app.config import load_settings
from app.errors import BadInputError
from collectors.loganalytics.sources import parse_since


@click.command(name="advise")
@click.option("--since", default="30d", show_default=True, help="Window: 30d, 12h, 90m.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--url", default=None, help="Lens server URL (default http://LENS_HOST:LENS_PORT).")
@click.option("--db", "db_path", type=click.Path(path_type=Path), default=None,
              help="DuckDB file read when no server answers (default LENS_DB).")  # fmt: skip
def advise(since: str, as_json: bool, url: str | None, db_path: Path | None) -> None:
    """Savings recommendations, each with what it compares against, its assumptions, the
    estimated monthly saving and that saving with the assumption off by 25 %."""
    try:
        window = parse_since(since)
    except ValueError as exc:
        raise BadInputError(str(exc), "Pass --since 30d, 12h or 90m.") from None
    settings = load_settings()  # a ConfigError: exit 2
    base = server_url(settings, url)
    db = db_path or settings.lens_db
    if server_is_up(base):
        response = httpx.get(
            f"{base}/api/advise",
            params={"since": since},
            headers=server_headers(settings),
            timeout=300,
        )
        exit_on_route_error(response)
        report: dict[str, Any] = response.json()
    elif db.is_file():
        lens = open_lens_or_exit(settings.model_copy(update={"lens_db": db}))
        try:
            report = lens.advice(window)
        finally:
            lens.close()
    else:
        exit_without_a_ledger(base, db)
    if as_json:
        click.echo(json.dumps(report, indent=2))
    else:
        print_report(report)


def print_report(report: dict[str, Any]) -> None:
    click.echo(
        f"Savings advisor, {report['start'][:10]} to {report['end'][:10]} "
        f"({report['observed_days']:g} days with calls, scaled to 30 days). All figures are "
        "estimates."
    )
    for note in report["notes"]:
        click.echo(f"  {note}")
    if not report["recommendations"]:
        click.echo("  No recommendation: nothing found that would save money.")
    for rec in report["recommendations"]:
        click.echo(
            f"\n* {rec['title']}\n"
            f"  estimated saving ${rec['monthly_saving_usd']:,.2f} a month "
            f"(${rec['saving_low_usd']:,.2f} to ${rec['saving_high_usd']:,.2f} with "
            f"{rec['sensitivity']})\n"
            f"  compares: {rec['compares_against']}"
        )
        for assumption in rec["assumptions"]:
            click.echo(f"  assumes: {assumption}")
    click.echo(
        f"\nTotal of the positive estimates: ${report['total_monthly_saving_usd']:,.2f} a month "
        "(they overlap: an upper bound)"
    )
