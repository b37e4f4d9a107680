"""The lens server's own Azure OpenAI traffic: the playground's client, its telemetry, the
deployments and tenants it offers, and the demo's live traffic.

Calls go through the instrumented client (``aoai_client``) and their spans to this server's
own ``/v1/traces``, so a playground call lands in the ledger like any application's.
``AZURE_OPENAI_ENDPOINTS`` gives several resources in priority order (the client fails over
between them). Without either the endpoint is the built-in simulator under ``/simulator``, and
the spans carry the resource attribute ``lens.demo=true`` (the pages label them).
"""

from __future__ import annotations

import threading
import time

import openai

from aoai_client import ClientConfig, Endpoint, Telemetry, TelemetryConfig, build_client
from aoai_client import configure_telemetry as configure_client_telemetry
from aoai_client.config import parse_endpoints
from aoai_client.traffic import start_live_traffic
from app.access import SERVER_TOKEN
from app.config import Settings, load_settings
from collectors.otlp.synthetic import TENANTS
from simulator import DEFAULT_DEPLOYMENTS

SIMULATOR_PATH = "/simulator"
SIMULATOR_KEY = "simulator"  # the simulator wants a key, any key
SERVICE_NAME = "aoai-lens-playground"

_lock = threading.Lock()
_client: openai.AzureOpenAI | None = None


def local_url(settings: Settings) -> str:
    """This server as seen from inside its own process."""
    host = settings.lens_host if settings.lens_host not in ("0.0.0.0", "::", "") else "127.0.0.1"
    return f"http://{host}:{settings.lens_port}"


def uses_simulator(settings: Settings) -> bool:
    return not settings.azure_endpoint_set


def endpoints(settings: Settings) -> tuple[Endpoint, ...]:
    """``AZURE_OPENAI_ENDPOINTS`` (failover, in priority order) with their keys; empty when
    it names none."""
    keys = settings.azure_openai_api_keys
    return parse_endpoints(settings.azure_openai_endpoints, keys.get_secret_value() if keys else "")


def endpoint(settings: Settings) -> str:
    """Where calls go: the endpoints in priority order (``A, then B``), else the one."""
    several = endpoints(settings)
    if several:
        return ", then ".join(e.url for e in several)
    return settings.azure_openai_endpoint or f"{local_url(settings)}{SIMULATOR_PATH}"


DEMO_PREFIX_KEY = "aoai-lens-demo"  # keys the simulated calls' prompt prefix fingerprints


def simulated_deployment_types() -> dict[str, str]:
    return {d.name: d.deployment_type for d in DEFAULT_DEPLOYMENTS}


def shared(settings: Settings) -> bool:
    """An access file is in force: this server's routes want a token, its own too."""
    return settings.access_policy() is not None


def client_config(settings: Settings, max_retries: int = 0) -> ClientConfig:
    """The playground calls once (no retries), so a 429 is shown as the 429 it is. With an
    access file the simulator's key is this server's own token."""
    key = settings.azure_openai_api_key
    simulated = uses_simulator(settings)
    simulator_key = SERVER_TOKEN if shared(settings) else SIMULATOR_KEY
    several = endpoints(settings)
    return ClientConfig(
        endpoint="" if several else endpoint(settings),
        endpoints=several,
        api_version=settings.azure_openai_api_version,
        api_key=simulator_key if simulated else (key.get_secret_value() if key else None),
        use_managed_identity=settings.use_managed_identity and not simulated,
        deployment_types=simulated_deployment_types() if simulated else {},
        max_retries=max_retries,
        # simulated calls fingerprint their prompt prefixes, so the demo's savings advisor
        # has prompt caching to show; real ones are the application's to key
        prompt_prefix_key=DEMO_PREFIX_KEY if simulated else None,
    )


def telemetry(settings: Settings) -> Telemetry:
    """Spans of this process's calls, to this server's receiver (and Azure Monitor)."""
    connection = settings.applicationinsights_connection_string
    demo: dict[str, str | bool] = {"lens.demo": True} if uses_simulator(settings) else {}
    return configure_client_telemetry(
        TelemetryConfig(
            service_name=SERVICE_NAME,
            otlp_traces_endpoint=f"{local_url(settings)}/v1/traces",
            applicationinsights_connection_string=(
                connection.get_secret_value() if connection else None
            ),
            resource_attributes=demo,
            export_delay_ms=200,
            otlp_headers={"Authorization": f"Bearer {SERVER_TOKEN}"} if shared(settings) else {},
        )
    )


def playground_client() -> openai.AzureOpenAI:
    """One client per process, telemetry configured first."""
    global _client
    with _lock:
        if _client is None:
            settings = load_settings()
            telemetry(settings)
            _client = build_client(client_config(settings))
        return _client


def forget_client() -> None:
    """Drop the process's client (tests, or after the settings changed)."""
    global _client
    with _lock:
        _client = None


def offered_deployments(settings: Settings, seen: list[str]) -> list[str]:
    """Configured deployments first (the simulator's chat deployments when it is the
    endpoint), then those seen in the ledger."""
    if uses_simulator(settings):
        configured = [d.name for d in DEFAULT_DEPLOYMENTS if not d.embeddings]
        return configured  # other names would only answer DeploymentNotFound
    configured = settings.configured_deployments
    return configured + [name for name in seen if name not in configured]


def flush_spans(settings: Settings, timeout_s: float = 5.0) -> bool:
    return telemetry(settings).flush(int(timeout_s * 1000))


def start_demo_traffic(settings: Settings, stop: threading.Event) -> threading.Thread | None:
    """Demo mode with the simulator: a low, steady rate of calls through the client."""
    if not uses_simulator(settings) or settings.lens_live_traffic_per_minute <= 0:
        return None
    telemetry(settings)
    chat = [d.name for d in DEFAULT_DEPLOYMENTS if not d.embeddings]

    def client_when_ready() -> openai.AzureOpenAI:
        time.sleep(1.0)  # let the server finish starting before the first call
        return build_client(client_config(settings, max_retries=2))

    return start_live_traffic(
        client_when_ready, chat, TENANTS, settings.lens_live_traffic_per_minute, stop
    )
