"""What an application sets to get an instrumented Azure OpenAI client.

Names follow what Azure users already use: ``AZURE_OPENAI_ENDPOINT``,
``AZURE_OPENAI_API_KEY``, ``AZURE_OPENAI_API_VERSION``, ``USE_MANAGED_IDENTITY``,
``AZURE_CLIENT_ID`` (a user-assigned managed identity) and
``APPLICATIONINSIGHTS_CONNECTION_STRING``. Several resources in priority order (failover):
``AZURE_OPENAI_ENDPOINTS``, and their keys in ``AZURE_OPENAI_API_KEYS``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from aoai_client.key_vault import KeyVaultError, KeyVaultKey, parse_reference

DEFAULT_API_VERSION = "2024-10-21"
_TRUE = ("1", "true", "yes", "on")


class ClientConfigError(ValueError):
    """The configuration cannot make a client; the message names the setting to fix."""


@dataclass(frozen=True)
class Endpoint:
    """One Azure OpenAI resource of a failover list.

    ``api_key``: this resource's key; without it the client's own credentials are used
    (``ClientConfig.api_key``, else Entra ID). ``entra_id``: Entra ID for this resource even
    when the client has a key. ``priority``: lower is tried first (default: the position in
    the list, 1-based); endpoints of equal priority share calls by ``weight``.
    """

    url: str
    api_key: str | None = field(default=None, repr=False)
    entra_id: bool = False
    priority: int | None = None
    weight: int = 1

    def __post_init__(self) -> None:
        if not self.url.startswith(("http://", "https://")):
            raise ClientConfigError(
                f"endpoint must be a URL, got {self.url!r}: use https://<resource>.openai.azure.com"
            )
        if self.weight < 1:
            raise ClientConfigError(f"endpoint {self.url}: weight must be 1 or more")


@dataclass(frozen=True)
class BreakerConfig:
    """Each endpoint's circuit breaker: it opens after ``failures`` failures (429, 5xx,
    timeout, connection error) within ``window_s`` seconds, and half-opens (lets one call
    through) after the longer of ``trip_s`` and the last Retry-After the endpoint sent."""

    failures: int = 3
    window_s: float = 10.0
    trip_s: float = 30.0

    def __post_init__(self) -> None:
        if self.failures < 1 or self.window_s <= 0 or self.trip_s < 0:
            raise ClientConfigError(
                "breaker: failures must be 1 or more, window_s above 0, trip_s 0 or more"
            )


@dataclass(frozen=True)
class ClientConfig:
    """An Azure OpenAI resource and how to authenticate to it.

    ``endpoint`` is the resource URL (``https://NAME.openai.azure.com``); calls name a
    **deployment**, not a model. Authentication: ``api_key`` when set, else Entra ID
    (``DefaultAzureCredential``, or ``ManagedIdentityCredential`` for
    ``managed_identity_client_id``) with ``use_managed_identity``.

    ``endpoints``: several resources in priority order; a call that gets a 429, a 5xx, a
    timeout or a connection error moves on to the next (``aoai_client.failover``), each
    endpoint behind its own ``breaker``. ``endpoint`` is then the first of them (set it or
    leave it empty). With one endpoint there is no failover.
    """

    endpoint: str = ""
    api_version: str = DEFAULT_API_VERSION
    # a key, or a key read from Key Vault when needed (KeyVaultKey)
    api_key: str | KeyVaultKey | None = field(default=None, repr=False)
    use_managed_identity: bool = False
    managed_identity_client_id: str | None = None
    deployment_types: Mapping[str, str] = field(default_factory=dict)  # name -> type
    max_retries: int = 2
    timeout_s: float = 60.0
    endpoints: tuple[Endpoint, ...] = ()
    breaker: BreakerConfig = field(default_factory=BreakerConfig)
    # the key of the prompt prefix fingerprint (azure.openai.prompt_prefix_hash); none: no
    # fingerprint is recorded (aoai_client.prompt_prefix)
    prompt_prefix_key: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.endpoints:
            first = self.endpoints[0].url
            if self.endpoint and self.endpoint.rstrip("/") != first.rstrip("/"):
                raise ClientConfigError(
                    f"endpoint {self.endpoint!r} is not the first of endpoints ({first!r}): "
                    "leave endpoint empty, or list it first"
                )
            object.__setattr__(self, "endpoint", first)
        if not self.endpoint.startswith(("http://", "https://")):
            raise ClientConfigError(
                f"AZURE_OPENAI_ENDPOINT must be a URL, got {self.endpoint!r}: "
                "use https://<resource>.openai.azure.com"
            )
        if not self.endpoints:
            object.__setattr__(self, "endpoints", (Endpoint(self.endpoint),))
        if not self.api_version:
            raise ClientConfigError("AZURE_OPENAI_API_VERSION is empty: use e.g. 2024-10-21")

    @property
    def failover(self) -> bool:
        """Calls may move on to another endpoint (there is more than one)."""
        return len(self.endpoints) > 1

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ClientConfig:
        """``AZURE_OPENAI_ENDPOINT`` (one resource) or ``AZURE_OPENAI_ENDPOINTS`` (several,
        comma-separated, in priority order; see ``parse_endpoints``), with
        ``AZURE_OPENAI_API_KEY`` (or ``AZURE_OPENAI_API_KEYS``, one per endpoint),
        ``AZURE_OPENAI_API_VERSION``, ``USE_MANAGED_IDENTITY``, ``AZURE_CLIENT_ID`` and
        ``AOAI_LENS_PREFIX_KEY`` (the prompt prefix fingerprint's key)."""
        env = os.environ if environ is None else environ
        endpoint = env.get("AZURE_OPENAI_ENDPOINT", "")
        endpoints = parse_endpoints(
            env.get("AZURE_OPENAI_ENDPOINTS", ""), env.get("AZURE_OPENAI_API_KEYS", "")
        )
        if not endpoint and not endpoints:
            raise ClientConfigError(
                "AZURE_OPENAI_ENDPOINT is not set: the resource URL "
                "(or AZURE_OPENAI_ENDPOINTS: several, comma-separated, in priority order)"
            )
        if endpoint and endpoints and endpoint.rstrip("/") != endpoints[0].url.rstrip("/"):
            raise ClientConfigError(
                "AZURE_OPENAI_ENDPOINT and AZURE_OPENAI_ENDPOINTS name different first "
                "endpoints: unset AZURE_OPENAI_ENDPOINT, or list it first"
            )
        return cls(
            endpoint="" if endpoints else endpoint,
            endpoints=endpoints,
            api_version=env.get("AZURE_OPENAI_API_VERSION") or DEFAULT_API_VERSION,
            api_key=key_source(env.get("AZURE_OPENAI_API_KEY") or None),
            use_managed_identity=env.get("USE_MANAGED_IDENTITY", "").lower() in _TRUE,
            managed_identity_client_id=env.get("AZURE_CLIENT_ID") or None,
            prompt_prefix_key=env.get("AOAI_LENS_PREFIX_KEY") or None,
        )


def key_source(text: str | None) -> str | KeyVaultKey | None:
    """A key, or for an App Service style Key Vault reference
    (``@Microsoft.KeyVault(SecretUri=...)``) the key read from the vault when needed."""
    if text is None:
        return None
    try:
        reference = parse_reference(text)
    except KeyVaultError as exc:
        raise ClientConfigError(f"AZURE_OPENAI_API_KEY: {exc.message}; {exc.hint}") from None
    return KeyVaultKey(reference) if reference is not None else text


def parse_endpoints(text: str, keys: str = "") -> tuple[Endpoint, ...]:
    """``AZURE_OPENAI_ENDPOINTS``: comma-separated URLs in priority order, each optionally
    followed by ``;weight=N`` and ``;priority=N`` (``https://a.openai.azure.com;weight=3``).
    ``keys`` (``AZURE_OPENAI_API_KEYS``): comma-separated keys in the same order; an empty
    one leaves that endpoint to the client's own credentials."""
    items = [item.strip() for item in text.split(",") if item.strip()]
    key_list = [key.strip() for key in keys.split(",")] if keys.strip() else []
    if len(key_list) > len(items):
        raise ClientConfigError(
            f"AZURE_OPENAI_API_KEYS has {len(key_list)} keys for {len(items)} endpoints in "
            "AZURE_OPENAI_ENDPOINTS: give one per endpoint, in the same order"
        )
    endpoints = []
    for number, item in enumerate(items):
        url, *options = (part.strip() for part in item.split(";"))
        numbers: dict[str, int] = {}
        for option in options:
            name, _, value = option.partition("=")
            if name not in ("weight", "priority") or not value.isdigit():
                raise ClientConfigError(
                    f"AZURE_OPENAI_ENDPOINTS: {option!r} after {url} is not weight=N or priority=N"
                )
            numbers[name] = int(value)
        key = key_list[number] if number < len(key_list) else ""
        endpoints.append(
            Endpoint(
                url,
                api_key=key or None,
                priority=numbers.get("priority"),
                weight=numbers.get("weight", 1),
            )
        )
    return tuple(endpoints)


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
