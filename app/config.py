"""Settings from the environment and a ``.env`` file, validated once at start.

Names follow what Azure users already use (DESIGN section 7); the lens server's own
settings start with ``LENS_``. Secrets are ``SecretStr`` so ``repr`` masks them.
"""

from __future__ import annotations

import difflib
import logging
import os
from datetime import timedelta
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from app import key_vault
from app.access import AccessPolicy, load_access_file
from app.alerts import AlertsConfig
from app.errors import ConfigError
from app.webhooks import WebhookURLError, parse_webhooks
from collectors.loganalytics.client import (
    PUBLIC_ENDPOINT,
    SOURCE_NAMES,
    EndpointError,
    LogAnalyticsConfig,
    check_endpoint,
)
from collectors.monitor_metrics.client import PUBLIC_ENDPOINT as ARM_ENDPOINT
from collectors.monitor_metrics.client import MetricsConfig
from collectors.otlp.grpc_receiver import OtlpGrpcConfig
from collectors.retention import RetentionConfig

log = logging.getLogger(__name__)

_PREFIXES = ("LENS_", "AZURE_OPENAI_", "LOG_ANALYTICS_", "APPLICATIONINSIGHTS_", "USE_")


class Settings(BaseSettings):
    """What a user can set. Each field is the lower-case name of its variable."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", frozen=True)

    lens_db: Path = Field(
        default=Path("data/lens.duckdb"), description="DuckDB file the lens server owns."
    )
    lens_host: str = Field(default="127.0.0.1", description="Address the server binds to.")
    lens_port: int = Field(default=8501, ge=1, le=65535, description="Port of app and routes.")
    lens_allowed_hosts: str = Field(
        default="",
        description="Host names the server answers to besides loopback ones and LENS_HOST, "
        "comma-separated (e.g. the name of a proxy on this machine).",
    )
    lens_access_file: Path = Field(
        default=Path("access.toml"),
        description="Access file: people, machine tokens and their roles. Without it the "
        "lens runs in local mode (loopback only, no sign-in).",
    )
    lens_token: SecretStr | None = Field(
        default=None,
        description="Bearer token the CLI sends to a lens server that has an access file.",
    )
    lens_max_body_bytes: int = Field(
        default=16 * 1024 * 1024,
        ge=1024,
        description="Largest OTLP request body accepted, after decompression (413 beyond).",
    )
    lens_otlp_body_timeout_s: float = Field(
        default=30.0,
        gt=0,
        description="Seconds an OTLP request body may take to arrive (408 beyond).",
    )
    lens_otlp_max_concurrent: int = Field(
        default=64,
        ge=1,
        description="OTLP requests handled at once over HTTP and gRPC together; more are "
        "answered 503 + Retry-After (gRPC: UNAVAILABLE + RetryInfo).",
    )
    lens_otlp_grpc_port: int = Field(
        default=4317,
        ge=0,
        le=65535,
        description="Port of the OTLP/gRPC trace service, on LENS_HOST (0: off).",
    )
    lens_tenants: Path = Field(
        default=Path("tenants.toml"),
        description="Tenants and their resolution rules; without it, tenant.id names the tenant.",
    )
    lens_deployments: Path = Field(
        default=Path("deployments.toml"),
        description="Deployments registry: model, type and PTU capacity and price per deployment.",
    )
    lens_retail_prices_url: str = Field(
        default="https://prices.azure.com/api/retail/prices",
        description="Azure Retail Prices API that `aoai-lens prices refresh` reads.",
    )
    lens_demo: bool = Field(
        default=False,
        description="Seed 14 days of synthetic demo calls when the ledger is empty, and read "
        "tenants.example.toml and deployments.example.toml where no tenants or deployments "
        "file is configured.",
    )
    lens_ingest_workers: int | None = Field(
        default=None,
        ge=0,
        le=32,
        description="Processes that decode and flatten OTLP requests beside the server "
        "(default: min(2, CPU count), at most 32); 0: the server's own threads do it.",
    )
    lens_queue_max_calls: int = Field(
        default=50_000,
        ge=1,
        description="Calls that may wait for the writer before OTLP answers 429.",
    )
    lens_simulator: bool | None = Field(
        default=None,
        description="Serve the Azure OpenAI simulator under /simulator (default: when "
        "AZURE_OPENAI_ENDPOINT is unset).",
    )
    lens_live_traffic_per_minute: float = Field(
        default=6.0,
        ge=0,
        description="Demo mode: calls a minute sent through the instrumented client to the "
        "simulator (0: none).",
    )
    lens_alert_webhooks: SecretStr | None = Field(
        default=None,
        description="Where budget alerts are sent: URLs, comma-separated; `teams:` or "
        "`slack:` before a URL (or a Teams / Slack webhook host) picks that payload, else "
        "the generic JSON body.",
    )
    lens_alert_thresholds_pct: str = Field(
        default="50,80,100",
        description="Budget alert thresholds, % of a monthly budget, comma-separated.",
    )
    lens_alert_forecast: bool = Field(
        default=True,
        description="Also alert when the month's linear forecast reaches the budget.",
    )
    lens_alert_forecast_after_days: float = Field(
        default=3.0,
        ge=0,
        description="Days of a month after which the forecast may alert (before, a "
        "forecast from a few hours of spend is noise).",
    )
    lens_alert_spikes: bool = Field(
        default=True,
        description="Also alert on a daily spend or token spike of a tenant or deployment, "
        "once per day per scope.",
    )
    lens_alert_interval_s: int = Field(
        default=300,
        ge=0,
        description="Seconds between two budget checks by the server (0: none; "
        "`aoai-lens alerts check` still checks).",
    )
    lens_retention_days: int = Field(
        default=400,
        ge=1,
        description="Days calls and their content-filter verdicts are kept after the UTC day "
        "they started; the hourly usage summary is kept, so chargeback does not change.",
    )
    lens_content_retention_days: int = Field(
        default=30,
        ge=0,
        description="Days message content is kept in a call's attributes (the call stays).",
    )
    lens_redact: bool = Field(
        default=True,
        description="Replace personal data and secrets in message content with "
        "[redacted:KIND] before it is written, whatever the source.",
    )
    azure_openai_endpoint: str | None = Field(
        default=None,
        pattern=r"^https?://",
        description="Azure OpenAI resource URL used by the playground and traffic generator.",
    )
    azure_openai_api_key: SecretStr | None = Field(
        default=None, description="API key of that resource (else Entra ID)."
    )
    azure_openai_endpoints: str = Field(
        default="",
        description="Several Azure OpenAI resources for the playground and `aoai-lens "
        "traffic`, comma-separated in priority order (failover); `;weight=N` / `;priority=N` "
        "after a URL.",
    )
    azure_openai_api_keys: SecretStr | None = Field(
        default=None,
        description="Keys of AZURE_OPENAI_ENDPOINTS, comma-separated in the same order (an "
        "empty one: AZURE_OPENAI_API_KEY, else Entra ID).",
    )
    azure_openai_api_version: str = Field(
        default="2024-10-21", min_length=1, description="Data-plane api-version."
    )
    azure_openai_deployment: str = Field(
        default="",
        description="Deployment names the playground offers, comma-separated.",
    )
    use_managed_identity: bool = Field(
        default=False,
        description="Authenticate with Entra ID (DefaultAzureCredential) instead of a key.",
    )
    applicationinsights_connection_string: SecretStr | None = Field(
        default=None,
        description="Also export the playground's spans to Azure Monitor (Application Insights).",
    )

    @property
    def simulator_enabled(self) -> bool:
        """The simulator is on when asked, or by default when no Azure endpoint is set."""
        if self.lens_simulator is not None:
            return self.lens_simulator
        return not self.azure_endpoint_set

    @property
    def allowed_hosts(self) -> frozenset[str]:
        """Host names requests may be addressed to besides loopback ones: LENS_HOST and
        LENS_ALLOWED_HOSTS, lower case."""
        names = [self.lens_host, *self.lens_allowed_hosts.split(",")]
        return frozenset(name.strip().lower() for name in names if name.strip())

    def access_policy(self) -> AccessPolicy | None:
        """The access file's policy, or None for local mode (no file at the default path).
        A file named by LENS_ACCESS_FILE must exist."""
        path = self.lens_access_file
        if not path.exists():
            if "lens_access_file" in self.model_fields_set:
                raise ConfigError(
                    f"LENS_ACCESS_FILE names {path}, which does not exist",
                    "create it (see access.example.toml), or unset LENS_ACCESS_FILE to run "
                    "in local mode",
                )
            return None
        return load_access_file(path)

    @property
    def demo_data(self) -> bool:
        """Demo calls are seeded: demo mode, with calls going to the built-in simulator."""
        return self.lens_demo and not self.azure_endpoint_set

    @property
    def azure_endpoint_set(self) -> bool:
        """An Azure OpenAI resource is configured (one, or several for failover)."""
        return bool(self.azure_openai_endpoint or self.azure_openai_endpoints.strip())

    @property
    def configured_deployments(self) -> list[str]:
        names = (name.strip() for name in self.azure_openai_deployment.split(","))
        return [name for name in names if name]

    log_analytics_workspace_id: str = Field(
        default="",
        description="Log Analytics workspace ID (a GUID) to pull Azure Monitor usage from.",
    )
    log_analytics_endpoint: str = Field(
        default=PUBLIC_ENDPOINT,
        description="Log Analytics query API; sovereign clouds and tests set another.",
    )
    log_analytics_access_token: SecretStr | None = Field(
        default=None,
        description="A pre-obtained bearer token used instead of DefaultAzureCredential.",
    )
    lens_log_analytics_sources: str = Field(
        default=",".join(SOURCE_NAMES),
        description="Comma-separated Log Analytics sources the server polls.",
    )
    lens_log_analytics_mode: Literal["calls", "rollup"] = Field(
        default="calls",
        description="calls: one row per call; rollup: hourly aggregates only.",
    )
    lens_log_analytics_poll_interval_s: int = Field(
        default=300, ge=5, description="Seconds between two polls of each source."
    )
    lens_log_analytics_overlap_min: int = Field(
        default=30, ge=0, description="Minutes before the watermark each poll reads again."
    )
    lens_metrics_resource_ids: str = Field(
        default="",
        description="Azure OpenAI resource ids, comma-separated, whose Azure Monitor metrics "
        "(requests, tokens, PTU utilisation per deployment) the server polls.",
    )
    lens_metrics_endpoint: str = Field(
        default=ARM_ENDPOINT,
        description="Azure Resource Manager endpoint of the Metrics REST API.",
    )
    lens_metrics_access_token: SecretStr | None = Field(
        default=None,
        description="A pre-obtained Azure Resource Manager bearer token used instead of "
        "DefaultAzureCredential for Azure Monitor metrics.",
    )
    lens_metrics_poll_interval_s: int = Field(
        default=300, ge=5, description="Seconds between two polls of Azure Monitor metrics."
    )

    def alerts_config(self) -> AlertsConfig:
        """Webhooks and thresholds of the budget alerts, checked."""
        secret = self.lens_alert_webhooks
        try:
            webhooks = parse_webhooks(secret.get_secret_value() if secret else "")
        except WebhookURLError as exc:
            raise ConfigError(
                f"LENS_ALERT_WEBHOOKS is invalid: {exc}",
                "give http(s) URLs, comma-separated, each optionally prefixed teams: or slack:",
            ) from None
        try:
            thresholds = tuple(
                float(part) for part in self.lens_alert_thresholds_pct.split(",") if part.strip()
            )
        except ValueError:
            thresholds = ()
        if not thresholds or any(not 0 < pct <= 1000 for pct in thresholds):
            raise ConfigError(
                f"LENS_ALERT_THRESHOLDS_PCT is invalid: {self.lens_alert_thresholds_pct!r}",
                "give percentages of the budget, comma-separated, e.g. 50,80,100",
            )
        return AlertsConfig(
            webhooks=webhooks,
            thresholds_pct=tuple(sorted(set(thresholds))),
            forecast=self.lens_alert_forecast,
            forecast_after_days=self.lens_alert_forecast_after_days,
            spikes=self.lens_alert_spikes,
        )

    def retention_config(self) -> RetentionConfig:
        """How long calls and message content are kept (the daily purge's horizons)."""
        return RetentionConfig(
            calls_days=self.lens_retention_days, content_days=self.lens_content_retention_days
        )

    def ingest_workers(self) -> int:
        """How many ingest worker processes to start (0: none)."""
        if self.lens_ingest_workers is not None:
            return self.lens_ingest_workers
        return min(2, os.cpu_count() or 1)

    def otlp_grpc_config(self) -> OtlpGrpcConfig | None:
        """Where the OTLP/gRPC trace service listens; None when it is off."""
        if self.lens_otlp_grpc_port == 0:
            return None
        if self.lens_otlp_grpc_port == self.lens_port:
            raise ConfigError(
                f"LENS_OTLP_GRPC_PORT is {self.lens_port}, the port of the dashboard and routes",
                "set LENS_OTLP_GRPC_PORT to another port (4317 is OTLP/gRPC's), or 0 for none",
            )
        return OtlpGrpcConfig(
            host=self.lens_host,
            port=self.lens_otlp_grpc_port,
            max_message_bytes=self.lens_max_body_bytes,
            max_concurrent=self.lens_otlp_max_concurrent,
        )

    def metrics_config(self) -> MetricsConfig | None:
        """What the Azure Monitor metrics poller is given; None when no resource is named."""
        return _metrics_config(self)

    def log_analytics_config(self) -> LogAnalyticsConfig | None:
        """What the Log Analytics poller is given; None when no workspace is set."""
        if not self.log_analytics_workspace_id:
            return None
        try:
            endpoint = check_endpoint(self.log_analytics_endpoint)
        except EndpointError as exc:
            raise ConfigError(
                f"LOG_ANALYTICS_ENDPOINT is invalid: {exc}",
                "use https://api.loganalytics.io (or a sovereign cloud's https endpoint)",
            ) from None
        sources = tuple(s.strip() for s in self.lens_log_analytics_sources.split(",") if s.strip())
        unknown = sorted(set(sources) - set(SOURCE_NAMES))
        if unknown:
            raise ConfigError(
                f"LENS_LOG_ANALYTICS_SOURCES names unknown sources: {', '.join(unknown)}",
                f"use some of: {', '.join(SOURCE_NAMES)}",
            )
        token = self.log_analytics_access_token
        return LogAnalyticsConfig(
            workspace_id=self.log_analytics_workspace_id,
            endpoint=endpoint,
            access_token=token.get_secret_value() if token else None,
            sources=sources,
            mode=self.lens_log_analytics_mode,
            poll_interval=timedelta(seconds=self.lens_log_analytics_poll_interval_s),
            overlap=timedelta(minutes=self.lens_log_analytics_overlap_min),
            redact=self.lens_redact,
        )


def _metrics_config(settings: Settings) -> MetricsConfig | None:
    """What the Azure Monitor metrics poller is given; None when no resource is named."""
    ids = tuple(
        part.strip() for part in settings.lens_metrics_resource_ids.split(",") if part.strip()
    )
    if not ids:
        return None
    bad = [
        one for one in ids if "/providers/microsoft.cognitiveservices/accounts/" not in one.lower()
    ]
    if bad:
        raise ConfigError(
            f"LENS_METRICS_RESOURCE_IDS names something that is not an Azure OpenAI resource id: "
            f"{bad[0]}",
            "give resource ids like /subscriptions/<id>/resourceGroups/<rg>/providers/"
            "Microsoft.CognitiveServices/accounts/<name> (the resource's JSON View in the portal)",
        )
    try:
        endpoint = check_endpoint(settings.lens_metrics_endpoint)
    except EndpointError as exc:
        raise ConfigError(
            f"LENS_METRICS_ENDPOINT is invalid: {exc}",
            "use https://management.azure.com (or a sovereign cloud's Resource Manager endpoint)",
        ) from None
    token = settings.lens_metrics_access_token  # a Log Analytics token has another audience
    return MetricsConfig(
        resource_ids=ids,
        endpoint=endpoint,
        access_token=token.get_secret_value() if token else None,
        poll_interval=timedelta(seconds=settings.lens_metrics_poll_interval_s),
    )


def documented_names() -> list[str]:
    """Every environment variable aoai-lens reads, upper case."""
    return [name.upper() for name in Settings.model_fields]


def warn_near_misses(environ: dict[str, str] | None = None) -> list[str]:
    """Warn about variables that look like a documented name but are not one."""
    env = os.environ if environ is None else environ
    known = documented_names()
    warnings: list[str] = []
    for name in env:
        upper = name.upper()
        if upper in known or not upper.startswith(_PREFIXES):
            continue
        close = difflib.get_close_matches(upper, known, n=1, cutoff=0.8)
        if close:
            warnings.append(f"{name} is not a setting aoai-lens reads; did you mean {close[0]}?")
    for warning in warnings:
        log.warning(warning)
    return warnings


def load_settings() -> Settings:
    """Read and validate the settings, naming the variable and the fix on failure."""
    warn_near_misses()
    try:
        settings = Settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        name = str(first["loc"][0]).upper() if first["loc"] else "?"
        raise ConfigError(
            f"{name} is invalid: {first['msg']}",
            f"fix {name} in the environment or .env; see the README's configuration table",
        ) from None
    secrets = key_vault.resolved(dict(settings))  # Key Vault references -> their secrets
    if not secrets:
        return settings
    return settings.model_copy(update={name: SecretStr(v) for name, v in secrets.items()})
