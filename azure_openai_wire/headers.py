"""Response headers of Azure OpenAI, by name, and the sets an answer carries.

Sources: ``apim-request-id`` is in the 2024-10-21 specification; ``x-request-id``,
``x-ms-region``, ``x-ms-deployment-name`` (openai/openai-python issue #3271), the
``x-ratelimit-remaining-*`` pair and the echo of ``x-ms-client-request-id`` are what Azure
sends in practice; ``retry-after`` (seconds) and ``retry-after-ms`` come with a 429
(azure-ai-docs ``how-to/quota.md``; openai-python and azure-core read both, azure-core also
``x-ms-retry-after-ms``).
"""

from __future__ import annotations

from typing import Final

APIM_REQUEST_ID: Final = "apim-request-id"
REQUEST_ID: Final = "x-request-id"
CLIENT_REQUEST_ID: Final = "x-ms-client-request-id"
REGION: Final = "x-ms-region"
DEPLOYMENT_NAME: Final = "x-ms-deployment-name"
REMAINING_REQUESTS: Final = "x-ratelimit-remaining-requests"
REMAINING_TOKENS: Final = "x-ratelimit-remaining-tokens"
RETRY_AFTER: Final = "retry-after"
RETRY_AFTER_MS: Final = "retry-after-ms"
MS_RETRY_AFTER_MS: Final = "x-ms-retry-after-ms"
SPILLOVER_DEPLOYMENT: Final = "x-ms-spillover-deployment"
"""Request header: the standard deployment a provisioned one may spill over to, for this call
(azure-ai-docs ``how-to/spillover-traffic-management.md``)."""
SPILLOVER_FROM_DEPLOYMENT: Final = "x-ms-spillover-from-deployment"
"""Response header of a call that spilled over: the provisioned deployment it came from
(``x-ms-deployment-name`` then names the standard deployment that served it)."""
SPILLOVER_ERROR: Final = "x-ms-spillover-error"
"""Response header: why spillover was not possible for this call."""
BACKEND: Final = "x-aoai-backend"
"""Not Azure's: the API Management backend (pool member) that served the call, when the
gateway names it with an outbound policy (docs/attributes.md, "Routing")."""
SIMULATED: Final = "x-aoai-lens-simulator"
"""Not Azure's: says the answer came from aoai-lens's simulator (value ``1``)."""


def rate_limit_headers(remaining_requests: int, remaining_tokens: int) -> dict[str, str]:
    """What is left of the deployment's requests and tokens this minute."""
    return {
        REMAINING_REQUESTS: str(remaining_requests),
        REMAINING_TOKENS: str(remaining_tokens),
    }


def retry_headers(retry_after_s: int) -> dict[str, str]:
    """When a throttled client may try again, in seconds and in milliseconds."""
    return {RETRY_AFTER: str(retry_after_s), RETRY_AFTER_MS: str(retry_after_s * 1000)}
