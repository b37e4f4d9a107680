"""``openai.AzureOpenAI`` / ``AsyncAzureOpenAI`` built from a ``ClientConfig``, with the
Azure telemetry transport (and, with several endpoints, the failover transport beneath it).
Calls name the deployment: ``client.chat.completions.create(model="<deployment>", ...)``.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx2
import openai
from azure.core.credentials import TokenCredential

from aoai_client.breaker import Clock
from aoai_client.config import ClientConfig, ClientConfigError, Endpoint
from aoai_client.failover import (
    AsyncFailoverTransport,
    AuthHeaders,
    FailoverTransport,
    Target,
    build_targets,
)
from aoai_client.transport import AsyncAzureTelemetryTransport, AzureTelemetryTransport

SCOPE = "https://cognitiveservices.azure.com/.default"


def token_provider(
    config: ClientConfig, credential: TokenCredential | None = None
) -> Callable[[], str]:
    """Entra ID bearer tokens for Azure OpenAI (``DefaultAzureCredential``, or
    ``ManagedIdentityCredential`` for a user-assigned identity), refreshed as they expire."""
    from azure.identity import (
        DefaultAzureCredential,
        ManagedIdentityCredential,
        get_bearer_token_provider,
    )

    if credential is None:
        if config.managed_identity_client_id:
            credential = ManagedIdentityCredential(client_id=config.managed_identity_client_id)
        else:
            credential = DefaultAzureCredential()
    provider: Callable[[], str] = get_bearer_token_provider(credential, SCOPE)
    return provider


def _settings(config: ClientConfig, credential: TokenCredential | None) -> dict[str, Any]:
    """What the sync and asyncio clients share: endpoint, version, retries, timeout and
    exactly one of an API key or an Entra ID token provider (the first endpoint's)."""
    common: dict[str, Any] = {
        "azure_endpoint": config.endpoint,
        "api_version": config.api_version,
        "max_retries": config.max_retries,
        "timeout": config.timeout_s,
    }
    first = config.endpoints[0]
    key = first.api_key or (None if credential is not None else config.api_key)
    if key and not first.entra_id:
        return {**common, "api_key": key}
    if credential is not None or config.use_managed_identity:
        return {**common, "azure_ad_token_provider": token_provider(config, credential)}
    raise ClientConfigError(
        "no credentials: set AZURE_OPENAI_API_KEY, or USE_MANAGED_IDENTITY=true for Entra ID"
    )


def _targets(
    config: ClientConfig, credential: TokenCredential | None, clock: Clock
) -> list[Target]:
    """The endpoints with their credentials: their own key, else the client's key, else
    Entra ID (one token provider for all, made only when one of them needs it)."""
    provider: Callable[[], str] | None = None

    def bearer() -> Mapping[str, str]:
        nonlocal provider
        if provider is None:
            provider = token_provider(config, credential)
        return {"authorization": f"Bearer {provider()}"}

    def auth(endpoint: Endpoint) -> AuthHeaders:
        key = endpoint.api_key or (None if credential is not None else config.api_key)
        if key and not endpoint.entra_id:
            return lambda: {"api-key": key() if callable(key) else key}
        if credential is None and not config.use_managed_identity:
            raise ClientConfigError(
                f"no credentials for {endpoint.url}: give it a key (AZURE_OPENAI_API_KEYS), "
                "set AZURE_OPENAI_API_KEY, or USE_MANAGED_IDENTITY=true for Entra ID"
            )
        return bearer

    auths = [auth(endpoint) for endpoint in config.endpoints]
    return build_targets(config.endpoints, auths, config.breaker, clock)


def build_client(
    config: ClientConfig,
    credential: TokenCredential | None = None,
    *,
    clock: Clock = time.monotonic,
    rng: random.Random | None = None,
) -> openai.AzureOpenAI:
    """A synchronous client whose calls carry Azure attributes on their spans and, with
    several endpoints, fail over between them (``clock`` times their breakers; ``rng``
    orders endpoints of equal priority)."""
    network: httpx2.BaseTransport = httpx2.HTTPTransport()
    if config.failover:
        targets = _targets(config, credential, clock)
        network = FailoverTransport(network, targets, rng or random.Random())
    transport = AzureTelemetryTransport(network, config.deployment_types, _prefix_key(config))
    http_client = openai.DefaultHttpxClient(transport=transport)
    return openai.AzureOpenAI(http_client=http_client, **_settings(config, credential))


def build_async_client(
    config: ClientConfig,
    credential: TokenCredential | None = None,
    *,
    clock: Clock = time.monotonic,
    rng: random.Random | None = None,
) -> openai.AsyncAzureOpenAI:
    """An asyncio client whose calls carry Azure attributes on their spans and, with
    several endpoints, fail over between them."""
    network: httpx2.AsyncBaseTransport = httpx2.AsyncHTTPTransport()
    if config.failover:
        targets = _targets(config, credential, clock)
        network = AsyncFailoverTransport(network, targets, rng or random.Random())
    transport = AsyncAzureTelemetryTransport(network, config.deployment_types, _prefix_key(config))
    http_client = openai.DefaultAsyncHttpxClient(transport=transport)
    return openai.AsyncAzureOpenAI(http_client=http_client, **_settings(config, credential))


def _prefix_key(config: ClientConfig) -> bytes | None:
    """The key of ``azure.openai.prompt_prefix_hash`` (none: no hash is recorded)."""
    return config.prompt_prefix_key.encode("utf-8") if config.prompt_prefix_key else None
