"""The ``aoai-lens`` command line.

Verbs talk to a running lens server over HTTP when one answers at ``--url``; only
when none does do they open the DuckDB file themselves (DESIGN section 1).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
import httpx
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

from app.cli.advise import advise
from app.cli.alerts import alerts
from app.cli.bill_prices import (
    apply_prices_on_file,
    apply_prices_through_server,
    print_bill_prices,
)
from app.cli.errors import LensGroup
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
from app.cli.traffic import simulator, traffic
from app.config import Settings, load_settings
from app.errors import ConfigError, LensError, ServerError, UnavailableError, UpstreamError
from app.exports import FORMATS
from app.lens import Lens
from app.local_mode import require_loopback
from app.server.launch import run_server
from collectors.loganalytics.sources import SOURCES, parse_since
from collectors.otlp.decode import BadPayloadError
from collectors.otlp.filelog import ExportLine, read_export_lines
from collectors.queue import WriteRefusedError
from collectors.store import Store, StoreError
from queries.chargeback import last_full_month, month_bounds


@dataclass
class ImportTotals:
    lines: int = 0
    stored: int = 0
    duplicate: int = 0
    rejected: int = 0
    bad_lines: int = 0
    via_server: bool = False


@click.group(cls=LensGroup)
def main() -> None:
    """Observability and cost analytics for Azure OpenAI."""


main.add_command(traffic)
main.add_command(simulator)
main.add_command(alerts)
main.add_command(advise)


@main.command()
@click.option("--host", default=None, help="Address to bind (default LENS_HOST or 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Port (default LENS_PORT or 8501).")
@click.option("--db", "db_path", type=click.Path(path_type=Path), default=None, help="DuckDB file.")
@click.option("--demo/--no-demo", default=False, help="Seed demo data when the ledger is empty.")
def serve(host: str | None, port: int | None, db_path: Path | None, demo: bool) -> None:
    """Start the lens server: dashboard, OTLP receiver and routes on one port."""
    settings = load_settings()
    bind = host or settings.lens_host
    access = settings.access_policy()  # a malformed access file: ConfigError, exit 2
    if access is None and (refused := require_loopback(bind)) is not None:
        raise ConfigError(refused)
    db = db_path or settings.lens_db
    try:  # fail here with a plain message rather than in the server's start-up
        Store(db).close()
    except StoreError as exc:
        raise UnavailableError(
            str(exc), "Stop the process holding the file, or pass another --db (LENS_DB)."
        ) from None
    os.environ["LENS_DB"] = str(db)
    os.environ["LENS_HOST"] = bind
    os.environ["LENS_PORT"] = str(port or settings.lens_port)
    os.environ["LENS_DEMO"] = "1" if demo else "0"
    run_server(bind, os.environ["LENS_PORT"])


@main.command(name="import")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--url", default=None, help="Lens server URL (default http://LENS_HOST:LENS_PORT).")
def import_files(files: tuple[Path, ...], url: str | None) -> None:
    """Import OpenTelemetry Collector file-exporter output (OTLP/JSON lines)."""
    settings = load_settings()
    base = server_url(settings, url)
    totals = ImportTotals()
    if server_is_up(base):
        console.print(f"Sending through the running lens server at {base}")
        totals.via_server = True
        headers = server_headers(settings)
        with httpx.Client(base_url=base, timeout=60.0, headers=headers) as client:
            _import(files, totals, lambda line: _send_line(client, line))
    else:
        console.print(f"No lens server at {base}; writing {settings.lens_db} directly")
        lens = open_lens_or_exit(settings)
        try:
            _import(files, totals, lambda line: _store_line(lens, line))
        finally:
            lens.close()
    stored = (
        f"{totals.stored} calls accepted by the server (it ignores calls already stored)"
        if totals.via_server
        else f"{totals.stored} calls stored, {totals.duplicate} already present"
    )
    console.print(
        f"{totals.lines} lines: {stored}, {totals.rejected} spans not model calls, "
        f"{totals.bad_lines} bad lines"
    )
    if totals.bad_lines:
        raise SystemExit(2)


def apply_bill_prices(
    settings: Settings, base: str, up: bool, month: str, uploads: list[tuple[str, bytes]]
) -> None:
    """``reconcile --apply-prices``: through the server when ``up``, else on the file."""
    if up:
        report = apply_prices_through_server(base, server_headers(settings), month, uploads)
        if isinstance(report, httpx.Response):
            exit_on_route_error(report)
            return
    else:
        lens = open_lens_or_exit(settings)
        try:
            report = apply_prices_on_file(lens.ledger(), cli_identity(), month, uploads)
        finally:
            lens.close()
    print_bill_prices(report)


@main.group()
def export() -> None:
    """Export reports."""


@export.command(name="chargeback")
@click.option("--month", default=None, help="YYYY-MM (default: the last full calendar month).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="csv", show_default=True)
@click.option("--out", type=click.Path(path_type=Path), default=None, help="File (default stdout).")
@click.option("--url", default=None, help="Lens server URL (default http://LENS_HOST:LENS_PORT).")
@click.option("--db", "db_path", type=click.Path(path_type=Path), default=None,
              help="DuckDB file read when no server answers (default LENS_DB).")  # fmt: skip
def export_chargeback(
    month: str | None, fmt: str, out: Path | None, url: str | None, db_path: Path | None
) -> None:
    """Chargeback CSV for a month: DESIGN columns, or FOCUS-aligned names.

    Through the lens server when one answers, else from the database file; exits 1 when
    there is neither (it never creates an empty database)."""
    settings = load_settings()
    month = month or last_full_month(datetime.now(UTC))
    try:
        month_bounds(month)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--month") from None
    base = server_url(settings, url)
    db = db_path or settings.lens_db
    if server_is_up(base):
        if db_path is not None:
            console.print(f"--db ignored: reading through the running lens server at {base}")
        response = httpx.get(
            f"{base}/api/chargeback.csv",
            params={"month": month, "format": fmt},
            headers=server_headers(settings),
            timeout=300,
        )
        exit_on_route_error(response)
        text = response.text
    elif db.is_file():
        lens = open_lens_or_exit(settings.model_copy(update={"lens_db": db}))
        try:
            text = lens.chargeback_file(month, fmt)
            detail: dict[str, object] = {"via": "cli", "month": month, "format": fmt}
            lens.audit(cli_identity(), "export.chargeback", month, {**detail, "tenants": "all"})
        finally:
            lens.close()
    else:
        exit_without_a_ledger(base, db)
    rows = text.count("\n") - 1
    if len(text.splitlines()) <= 1:
        console.print(f"note: no calls in {month}: the CSV has only its header row")
    if out is None:
        click.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")
        console.print(f"wrote {out} ({rows} rows, {month})")


@main.command()
@click.option("--month", required=True, help="YYYY-MM: the month to reconcile.")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--out", type=click.Path(path_type=Path), default=None, help="File (default stdout).")
@click.option("--url", default=None, help="Lens server URL (default http://LENS_HOST:LENS_PORT).")
@click.option(
    "--apply-prices", is_flag=True, help="First load the bill's unit prices into the price book."
)
def reconcile(
    month: str, files: tuple[Path, ...], out: Path | None, url: str | None, apply_prices: bool
) -> None:
    """Compare Azure Cost Management exports (FOCUS CSV or Parquet, or actual-cost CSV)
    with the lens's cost of a month, per day, resource, model, type and token class.
    With --apply-prices, the bill's unit prices first correct the price book."""
    try:
        month_bounds(month)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--month") from None
    settings = load_settings()
    base = server_url(settings, url)
    uploads = [(path.name, path.read_bytes()) for path in files]
    up = server_is_up(base)
    if apply_prices:
        apply_bill_prices(settings, base, up, month, uploads)
    if up:
        response = httpx.post(
            f"{base}/api/reconcile",
            params={"month": month},
            files=[("file", (name, content)) for name, content in uploads],
            headers=server_headers(settings),
            timeout=600,
        )
        exit_on_route_error(response)
        text, summary = response.text, json.loads(response.headers.get("X-Lens-Summary", "{}"))
    else:
        lens = open_lens_or_exit(settings)
        try:  # a CostExportError is bad input: exit 2
            done = lens.reconcile(month, uploads)
            text, summary = done.csv(), done.summary()
            lens.audit(cli_identity(), "reconcile", month, {"via": "cli", **summary})
        finally:
            lens.close()
    billed, lens = summary.get("billed_usd", 0), summary.get("lens_usd", 0)
    console.print(
        f"{month}: billed ${billed:,.2f}, lens ${lens:,.2f}, difference "
        f"${summary.get('difference_usd', 0):,.2f} over {summary.get('rows', 0)} rows"
    )
    for key, label in (
        ("resources_only_on_the_bill", "on the bill, no calls in the lens"),
        ("resources_only_in_the_lens", "calls in the lens, not on the bill"),
    ):
        if summary.get(key):
            console.print(f"note: {label}: {', '.join(summary[key])}")
    if out is None:
        click.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")
        console.print(f"wrote {out}")


@main.group()
def prices() -> None:
    """The price book."""


@prices.command(name="refresh")
@click.option("--apply", is_flag=True, help="Load the changed prices (default: only show them).")
@click.option("--url", default=None, help="Lens server URL (default http://LENS_HOST:LENS_PORT).")
def prices_refresh(apply: bool, url: str | None) -> None:
    """Read Azure OpenAI prices from the Azure Retail Prices API; show, then apply, changes."""
    settings = load_settings()
    base = server_url(settings, url)
    if server_is_up(base):
        response = httpx.post(
            f"{base}/api/prices/refresh",
            params={"apply": str(apply).lower()},
            headers=server_headers(settings),
            timeout=600,
        )
        exit_on_route_error(response)
        body = response.json()
    else:
        lens = open_lens_or_exit(settings)
        try:  # a RetailPricesError is an UpstreamError: exit 1
            body = lens.refresh_prices(apply)
            if apply:
                applied = {"applied_version": body["applied_version"], "via": "cli"}
                lens.audit(cli_identity(), "prices.apply", "price_book", applied)
        finally:
            lens.close()
    print_refresh(body, apply)


@main.command()
@click.option("--source", "name", required=True, type=click.Choice(list(SOURCES)))
@click.option("--since", default="30d", show_default=True, help="How far back: 30d, 12h, 90m.")
@click.option("--url", default=None, help="Lens server URL (default http://LENS_HOST:LENS_PORT).")
def backfill(name: str, since: str, url: str | None) -> None:
    """Pull a Log Analytics source's history into the ledger, slice by slice."""
    try:
        span = parse_since(since)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--since") from None
    settings = load_settings()
    base = server_url(settings, url)
    if server_is_up(base):
        console.print(f"Backfilling {name} through the running lens server at {base}")
        with httpx.stream(
            "POST",
            f"{base}/api/backfill",
            params={"source": name, "since": since},
            headers=server_headers(settings),
            timeout=None,
        ) as response:
            if response.status_code != 200:
                response.read()
                exit_on_route_error(response)
            report = _show_backfill(response.iter_lines())
    else:
        config = settings.log_analytics_config()  # a malformed setting: exit 2
        if config is None:  # nothing to pull from: a failure of the verb, exit 1
            raise LensError(
                "no Log Analytics workspace is configured",
                "Set LOG_ANALYTICS_WORKSPACE_ID (see the README's configuration table).",
            )
        console.print(f"No lens server at {base}; writing {settings.lens_db} directly")
        lens = open_lens_or_exit(settings)
        try:
            lens.audit(cli_identity(), "backfill", name, {"since": since, "via": "cli"})
            report = _show_backfill(lens.backfill(name, span, config))
        finally:
            lens.close()
    console.print(
        f"{name}: {report['slices']} slices, {report['rows_read']} rows read, "
        f"{report['rows_stored']} stored; watermark {report['watermark']}"
    )
    if warnings := report.get("warnings"):
        console.print(
            f"[yellow]warning:[/yellow] {len(warnings)} slices stored with fields missing; "
            f"the last: {warnings[-1]}"
        )
    if report["error"]:  # Log Analytics failed a slice: exit 1
        raise UpstreamError(str(report["error"]), str(report["hint"] or ""))


def _show_backfill(lines: Iterable[str]) -> dict[str, Any]:
    """Draw a progress bar from a backfill's JSON lines; the final report."""
    report: dict[str, Any] = {}
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
    )
    with Progress(*columns, console=console) as progress:
        task = progress.add_task("slices", total=None)
        for line in lines:
            if not line.strip():
                continue
            event = json.loads(line)
            if "slices" in event:
                progress.update(task, total=event["slices"])
            elif "report" in event:
                report = event["report"]
            else:
                if event["outcome"] == "ok":
                    progress.advance(task)
                progress.update(task, description=f"{event['slice'][0][:16]} {event['outcome']}")
    return report


def print_refresh(body: dict[str, Any], apply: bool) -> None:
    console.print(f"Read {body['pages']} pages, {body['items']} items: {body['mapped']} price rows")
    console.print(f"In force: {body['current_version'] or 'the shipped price book'}")
    for line in body["changes"]:
        console.print(f"  {line}")
    for note in body["notes"]:
        console.print(f"[yellow]note:[/yellow] {note}")
    for line in body.get("capacity", []):
        console.print(f"provisioned: {line}", markup=False)
    unmapped = body["unmapped"]
    if unmapped:
        console.print(f"{len(unmapped)} meters not mapped (kept for the Sources page):")
        for line in unmapped:
            console.print(f"  {line}", markup=False)
    if body["applied_version"]:
        console.print(f"Loaded {body['applied_version']}; call costs now use it")
    elif not body["changes"]:
        console.print("No change")
    elif not apply:
        console.print("Nothing changed yet; run with --apply to load these prices")


def _import(
    files: tuple[Path, ...],
    totals: ImportTotals,
    handle: Callable[[ExportLine], tuple[int, int, int]],
) -> None:
    total_bytes = sum(path.stat().st_size for path in files)
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console) as progress:
        task = progress.add_task("importing", total=total_bytes)
        done_before = 0
        for path in files:
            progress.update(task, description=path.name)
            for line in read_export_lines(path):
                totals.lines += 1
                try:
                    stored, duplicate, rejected = handle(line)
                except (BadPayloadError, WriteRefusedError) as exc:
                    totals.bad_lines += 1
                    console.print(f"[yellow]{path}:{line.number}[/yellow] skipped: {exc}")
                else:
                    totals.stored += stored
                    totals.duplicate += duplicate
                    totals.rejected += rejected
                progress.update(task, completed=done_before + line.end_offset)
            done_before += path.stat().st_size


def _store_line(lens: Lens, line: ExportLine) -> tuple[int, int, int]:
    result = lens.import_export_line(line.body)
    return result.write.calls_inserted, result.write.calls_duplicate, result.rejected.total


def _send_line(client: httpx.Client, line: ExportLine) -> tuple[int, int, int]:
    for _attempt in range(30):
        response = client.post(
            "/v1/traces", content=line.body, headers={"Content-Type": "application/json"}
        )
        if response.status_code in (429, 502, 503, 504):
            time.sleep(float(response.headers.get("Retry-After", "1")))
            continue
        if response.status_code in (400, 413, 415):
            raise BadPayloadError(response.json().get("message", response.text))
        if response.status_code != 200:
            raise ServerError(f"the server answered {response.status_code}", response.text[:200])
        partial = response.json().get("partialSuccess", {})
        rejected = int(partial.get("rejectedSpans", 0))
        accepted = _span_count(line.body) - rejected
        return accepted, 0, rejected
    raise ServerError("the server stayed busy for 30 attempts", "try again later")


def _span_count(body: bytes) -> int:
    """Spans in an OTLP/JSON line the server accepted (so it is known to be well formed)."""
    document = json.loads(body)
    return sum(
        len(scope.get("spans", []))
        for resource in document.get("resourceSpans", [])
        for scope in resource.get("scopeSpans", [])
    )
