"""``openai.AzureOpenAI`` / ``AsyncAzureOpenAI`` built from a ``ClientConfig``, with the
Azure telemetry transport. Calls name the deployment: ``client.chat.completions.create(
model="<deployment>", ...)``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx2
import openai
from azure.core.credentials import TokenCredential

from aoai_client.config import ClientConfig, ClientConfigError
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
    exactly one of an API key or an Entra ID token provider."""
    common: dict[str, Any] = {
        "azure_endpoint": config.endpoint,
        "api_version": config.api_version,
        "max_retries": config.max_retries,
        "timeout": config.timeout_s,
    }
    if config.api_key and credential is None:
        return {**common, "api_key": config.api_key}
    if credential is not None or config.use_managed_identity:
        return {**common, "azure_ad_token_provider": token_provider(config, credential)}
    raise ClientConfigError(
        "no credentials: set AZURE_OPENAI_API_KEY, or USE_MANAGED_IDENTITY=true for Entra ID"
    )


def build_client(
    config: ClientConfig, credential: TokenCredential | None = None
) -> openai.AzureOpenAI:
    """A synchronous client whose calls carry Azure attributes on their spans."""
    transport = AzureTelemetryTransport(httpx2.HTTPTransport(), config.deployment_types)
    http_client = openai.DefaultHttpxClient(transport=transport)
    return openai.AzureOpenAI(http_client=http_client, **_settings(config, credential))


def build_async_client(
    config: ClientConfig, credential: TokenCredential | None = None
) -> openai.AsyncAzureOpenAI:
    """An asyncio client whose calls carry Azure attributes on their spans."""
    transport = AsyncAzureTelemetryTransport(httpx2.AsyncHTTPTransport(), config.deployment_types)
    http_client = openai.DefaultAsyncHttpxClient(transport=transport)
    return openai.AsyncAzureOpenAI(http_client=http_client, **_settings(config, credential))
