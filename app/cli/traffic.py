"""``aoai-lens traffic`` and ``aoai-lens simulator``: load generation and the simulator on
its own port."""

from __future__ import annotations

import statistics
from pathlib import Path
from typing import cast

import click
import openai
import uvicorn
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from aoai_client import ClientConfig, ClientConfigError, Endpoint, TelemetryConfig, build_client
from aoai_client import configure_telemetry as configure_client_telemetry
from aoai_client.config import parse_endpoints
from aoai_client.traffic import LOST, PromptSetError, TrafficPlan, TrafficReport, load_prompts
from aoai_client.traffic import run_traffic as send_traffic
from app import lens_client
from app.cli.ledger import server_is_up
from app.config import Settings, load_settings
from lens_errors import LensError
from simulator import (
    DEFAULT_DEPLOYMENTS,
    DEFAULT_REGIONS,
    Fault,
    SimulatorConfig,
    build_simulator_app,
)
from simulator.config import FAULT_KINDS, FaultKind

console = Console(stderr=True, soft_wrap=True)
FLUSH_TIMEOUT_MS = 30_000


@click.command(name="traffic")
@click.option("--endpoint", "endpoints", multiple=True, help="Azure OpenAI endpoint; repeat "
              "for failover, in priority order (default AZURE_OPENAI_ENDPOINTS, else "
              "AZURE_OPENAI_ENDPOINT, else the lens server's simulator).")  # fmt: skip
@click.option("--deployment", "deployments", multiple=True, help="Deployment name (repeat).")
@click.option("--tenant", "tenants", multiple=True, help="Tenant to charge (repeat).")
@click.option("--count", type=click.IntRange(min=1), default=100, show_default=True)
@click.option("--rate", type=click.FloatRange(min=0), default=5.0, show_default=True,
              help="Calls started per second (0: as fast as concurrency allows).")  # fmt: skip
@click.option("--concurrency", type=click.IntRange(1, 256), default=4, show_default=True)
@click.option("--prompts", "prompts_file", type=click.Path(exists=True, path_type=Path),
              default=None, help="JSONL prompt set (default: the shipped one).")  # fmt: skip
@click.option("--api-key", default=None, help="Key (default AZURE_OPENAI_API_KEY).")
@click.option("--max-retries", type=click.IntRange(0, 10), default=2, show_default=True)
@click.option("--url", default=None, help="Lens server receiving the spans (default "
              "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, else OTEL_EXPORTER_OTLP_ENDPOINT + /v1/traces, "
              "else http://LENS_HOST:LENS_PORT).")  # fmt: skip
def traffic(
    endpoints: tuple[str, ...],
    deployments: tuple[str, ...],
    tenants: tuple[str, ...],
    count: int,
    rate: float,
    concurrency: int,
    prompts_file: Path | None,
    api_key: str | None,
    max_retries: int,
    url: str | None,
) -> None:
    """Send a prompt set across deployments and tenants through the instrumented client.

    Exits 1 when a call was lost (it raised instead of returning an answer) or a call's
    span was not delivered."""
    settings = load_settings()
    traces_url, lens_url = span_destination(settings, url)
    configured = endpoints or settings.azure_openai_endpoints or settings.azure_openai_endpoint
    simulator = not configured
    key = api_key or (
        settings.azure_openai_api_key.get_secret_value()
        if settings.azure_openai_api_key
        else (lens_client.SIMULATOR_KEY if simulator else None)
    )
    if not deployments:
        deployments = tuple(settings.configured_deployments) or (
            tuple(d.name for d in DEFAULT_DEPLOYMENTS if not d.embeddings) if simulator else ()
        )
    if not deployments:
        raise click.UsageError("name the deployments to call with --deployment NAME")
    try:
        prompts = load_prompts(prompts_file)
        priority = failover_endpoints(settings, endpoints)
        config = ClientConfig(
            endpoint="" if priority else lens_client.endpoint(settings),
            endpoints=priority,
            api_version=settings.azure_openai_api_version,
            api_key=key,
            use_managed_identity=settings.use_managed_identity,
            max_retries=max_retries,
        )
        client = build_client(config)
    except (PromptSetError, ClientConfigError) as exc:  # the client's own errors: exit 1
        raise LensError(str(exc)) from None
    telemetry = configure_client_telemetry(
        TelemetryConfig(service_name="aoai-lens-traffic", otlp_traces_endpoint=traces_url)
    )
    plan = TrafficPlan(deployments, tenants, count, rate, concurrency, prompts)
    if lens_url is not None and not server_is_up(lens_url):
        console.print(
            f"[yellow]warning:[/yellow] no lens server at {lens_url}: the calls' spans will "
            "not be stored (start one with `aoai-lens serve`, or pass --url)"
        )
    where = " then ".join(e.url for e in config.endpoints)
    console.print(
        f"Sending {count} calls to {where} ({', '.join(deployments)}); spans to {traces_url}"
    )
    report = _with_progress(client, plan)
    flushed = telemetry.flush(FLUSH_TIMEOUT_MS)
    delivery = telemetry.delivery()
    print_report(report)
    if delivery.undelivered:
        waited = "" if flushed else f" (still sending after {FLUSH_TIMEOUT_MS // 1000} s)"
        console.print(
            f"[red]{delivery.undelivered} of {delivery.finished} spans not delivered[/red] "
            f"to {traces_url}{waited}: those calls are missing from the ledger. Is a lens "
            "server (or OTLP receiver) answering there? Start one with `aoai-lens serve`, "
            "or pass --url"
        )
    if report.lost or delivery.undelivered:
        lost = report.kinds[LOST]
        console.print(
            f"[red]error:[/red] {lost} of {report.sent} calls lost, "
            f"{delivery.undelivered} spans not delivered"
        )
        raise SystemExit(1)


def failover_endpoints(settings: Settings, endpoints: tuple[str, ...]) -> tuple[Endpoint, ...]:
    """``--endpoint`` repeated, else ``AZURE_OPENAI_ENDPOINTS`` (with ``AZURE_OPENAI_API_KEYS``);
    empty when neither names any (one endpoint: ``AZURE_OPENAI_ENDPOINT`` or the simulator)."""
    if endpoints:
        return parse_endpoints(",".join(endpoints))
    return lens_client.endpoints(settings)


def span_destination(settings: Settings, url: str | None) -> tuple[str, str | None]:
    """Where the spans go, and the lens server's URL when the destination is one.

    ``--url`` (a lens server); else the OpenTelemetry exporter variables, per their spec:
    ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`` as the full URL, else
    ``OTEL_EXPORTER_OTLP_ENDPOINT`` with ``/v1/traces`` appended; else the lens server at
    ``LENS_HOST:LENS_PORT``."""
    if url:
        base = url.rstrip("/")
        return f"{base}/v1/traces", base
    from_env = TelemetryConfig.from_env().otlp_traces_endpoint
    if from_env:
        return from_env, None
    base = lens_client.local_url(settings)
    return f"{base}/v1/traces", base


def _with_progress(client: openai.AzureOpenAI, plan: TrafficPlan) -> TrafficReport:
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())  # fmt: skip
    with Progress(*columns, console=console) as progress:
        task = progress.add_task("calls", total=plan.count)
        seen: dict[str, int] = {}

        def advance(done: int, kind: str) -> None:
            seen[kind] = seen.get(kind, 0) + 1
            summary = " ".join(f"{name} {n}" for name, n in sorted(seen.items()))
            progress.update(task, completed=done, description=summary)

        return send_traffic(client, plan, advance)


def print_report(report: TrafficReport) -> None:
    rate = report.sent / report.elapsed_s if report.elapsed_s else 0.0
    kinds = ", ".join(f"{n} {kind}" for kind, n in report.kinds.most_common())
    console.print(f"{report.sent} calls in {report.elapsed_s:.1f} s ({rate:.1f}/s): {kinds}")
    if report.latencies_ms:
        answered = len(report.latencies_ms)
        cuts = statistics.quantiles(report.latencies_ms, n=20) if answered > 1 else [0.0] * 19
        p50 = statistics.median(report.latencies_ms)
        console.print(f"latency p50 {p50:.0f} ms, p95 {cuts[18]:.0f} ms")
    for error, n in report.errors.most_common(5):
        console.print(f"[yellow]{n} x error:[/yellow] {error}")
    for kind, n in report.lost.most_common():
        console.print(f"[red]{n} x lost ({kind}):[/red] {report.lost_examples[kind]}")
    if report.answered_by:
        failed_over = sum(report.failovers.values())
        by_endpoint = ", ".join(f"{url} {n}" for url, n in report.answered_by.most_common())
        console.print(f"failover: {failed_over} of {report.sent} calls failed over; "
                      f"answered by {by_endpoint}")  # fmt: skip
        for first, n in report.failovers.most_common():
            console.print(f"[yellow]{n} x failed over from:[/yellow] {first}")


@click.command(name="simulator")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(1, 65535), default=8600, show_default=True)
@click.option("--latency-scale", type=click.FloatRange(min=0), default=1.0, show_default=True,
              help="Multiply every simulated delay (0: answer at once).")  # fmt: skip
@click.option("--no-limits", is_flag=True, help="Never answer 429 (benchmarks).")
@click.option("--fault", "faults", multiple=True, metavar="RESOURCE=KIND",
              help="Start a resource (default or a region) with a fault: outage, throttle, "
              "slow, saturated or downgrade (repeat; switch them at /admin/faults).")  # fmt: skip
def simulator(
    host: str, port: int, latency_scale: float, no_limits: bool, faults: tuple[str, ...]
) -> None:
    """Serve the Azure OpenAI simulator on its own port (azure_endpoint=http://HOST:PORT, or
    http://HOST:PORT/<region> for a regional resource)."""
    names = ", ".join(d.name for d in DEFAULT_DEPLOYMENTS)
    regions = ", ".join(r.name for r in DEFAULT_REGIONS)
    console.print(
        f"Azure OpenAI simulator on http://{host}:{port} (deployments: {names}; regions: {regions})"
    )
    try:
        config = SimulatorConfig(
            latency_scale=latency_scale, rate_limits=not no_limits, faults=_faults(faults)
        )
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--fault") from None
    app = build_simulator_app(config)
    uvicorn.run(app, host=host, port=port, log_level="warning")


def _faults(given: tuple[str, ...]) -> dict[str, Fault]:
    """``RESOURCE=KIND`` pairs as the simulator's starting faults."""
    faults: dict[str, Fault] = {}
    for pair in given:
        resource, _, kind = pair.partition("=")
        if kind not in FAULT_KINDS:
            raise ValueError(f"{pair!r}: use RESOURCE=KIND, KIND one of {', '.join(FAULT_KINDS)}")
        faults[resource] = Fault(cast(FaultKind, kind))
    return faults
