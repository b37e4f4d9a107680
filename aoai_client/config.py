"""What an application sets to get an instrumented Azure OpenAI client.

Names follow what Azure users already use: ``AZURE_OPENAI_ENDPOINT``,
``AZURE_OPENAI_API_KEY``, ``AZURE_OPENAI_API_VERSION``, ``USE_MANAGED_IDENTITY``,
``AZURE_CLIENT_ID`` (a user-assigned managed identity) and
``APPLICATIONINSIGHTS_CONNECTION_STRING``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

DEFAULT_API_VERSION = "2024-10-21"
_TRUE = ("1", "true", "yes", "on")


class ClientConfigError(ValueError):
    """The configuration cannot make a client; the message names the setting to fix."""


@dataclass(frozen=True)
class ClientConfig:
    """An Azure OpenAI resource and how to authenticate to it.

    ``endpoint`` is the resource URL (``https://NAME.openai.azure.com``); calls name a
    **deployment**, not a model. Authentication: ``api_key`` when set, else Entra ID
    (``DefaultAzureCredential``, or ``ManagedIdentityCredential`` for
    ``managed_identity_client_id``) with ``use_managed_identity``.
    """

    endpoint: str
    api_version: str = DEFAULT_API_VERSION
    api_key: str | None = field(default=None, repr=False)
    use_managed_identity: bool = False
    managed_identity_client_id: str | None = None
    deployment_types: Mapping[str, str] = field(default_factory=dict)  # name -> type
    max_retries: int = 2
    timeout_s: float = 60.0

    def __post_init__(self) -> None:
        if not self.endpoint.startswith(("http://", "https://")):
            raise ClientConfigError(
                f"AZURE_OPENAI_ENDPOINT must be a URL, got {self.endpoint!r}: "
                "use https://<resource>.openai.azure.com"
            )
        if not self.api_version:
            raise ClientConfigError("AZURE_OPENAI_API_VERSION is empty: use e.g. 2024-10-21")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ClientConfig:
        env = os.environ if environ is None else environ
        endpoint = env.get("AZURE_OPENAI_ENDPOINT", "")
        if not endpoint:
            raise ClientConfigError("AZURE_OPENAI_ENDPOINT is not set: the resource URL")
        return cls(
            endpoint=endpoint,
            api_version=env.get("AZURE_OPENAI_API_VERSION") or DEFAULT_API_VERSION,
            api_key=env.get("AZURE_OPENAI_API_KEY") or None,
            use_managed_identity=env.get("USE_MANAGED_IDENTITY", "").lower() in _TRUE,
            managed_identity_client_id=env.get("AZURE_CLIENT_ID") or None,
        )


@dataclass(frozen=True)
class TelemetryConfig:
    """Where spans go. ``otlp_traces_endpoint`` is a lens server's ``/v1/traces`` (or any
    OTLP/HTTP receiver); ``applicationinsights_connection_string`` adds Azure Monitor."""

    service_name: str = "aoai-client"
    otlp_traces_endpoint: str | None = None
    applicationinsights_connection_string: str | None = field(default=None, repr=False)
    resource_attributes: Mapping[str, str | bool] = field(default_factory=dict)
    export_delay_ms: int = 1000
    # Sent with each export (e.g. Authorization for a lens server with an access file);
    # empty: the SDK's own OTEL_EXPORTER_OTLP_(TRACES_)HEADERS.
    otlp_headers: Mapping[str, str] = field(default_factory=dict, repr=False)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> TelemetryConfig:
        """``OTEL_SERVICE_NAME``, ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`` (else
        ``OTEL_EXPORTER_OTLP_ENDPOINT`` + ``/v1/traces``) and
        ``APPLICATIONINSIGHTS_CONNECTION_STRING``."""
        env = os.environ if environ is None else environ
        traces = env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
        base = env.get("OTEL_EXPORTER_OTLP_ENDPOINT")
        if not traces and base:
            traces = base.rstrip("/") + "/v1/traces"
        return cls(
            service_name=env.get("OTEL_SERVICE_NAME") or "aoai-client",
            otlp_traces_endpoint=traces or None,
            applicationinsights_connection_string=(
                env.get("APPLICATIONINSIGHTS_CONNECTION_STRING") or None
            ),
        )
