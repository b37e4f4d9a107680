"""Azure OpenAI's error bodies: ``{"error": {"code": ..., "message": ..., ...}}``.

Sources: 404 ``Resource not found`` for a request without ``api-version``
(MicrosoftDocs/azure-docs issue #114602); 401 and ``DeploymentNotFound`` as Azure words
them; the blocked prompt (HTTP 400, ``code: content_filter``, ``param: prompt``, the verdicts
in an inner error) from azure-ai-docs ``concepts/content-filter.md``; the 429 message and
its ``"code": "429"`` as a string from azure-ai-docs ``how-to/quota.md``. The 503 is worded
as Azure's "service unavailable" answers are commonly reported; the specification only
documents the generic error shape for it.
"""

from __future__ import annotations

from typing import Any, Final

from azure_openai_wire.content_filter import CONTENT_FILTER, SPEC_SPELLING, WIRE_SPELLING

NOT_FOUND_MESSAGE: Final = "Resource not found"
UNAUTHORIZED_MESSAGE: Final = (
    "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide "
    "a valid key for an active subscription and use a correct regional API endpoint for your "
    "resource."
)
NO_DEPLOYMENT_MESSAGE: Final = (
    "The API deployment for this resource does not exist. If you created the deployment "
    "within the last 5 minutes, please wait a moment and try again."
)
BLOCKED_MESSAGE: Final = (
    "The response was filtered due to the prompt triggering Azure OpenAI's content management "
    "policy. Please modify your prompt and retry. To learn more about our content filtering "
    "policies please read our documentation: https://go.microsoft.com/fwlink/?linkid=2198766"
)


def error_body(code: str | None, message: str, **extra: Any) -> dict[str, Any]:
    """Azure's error shape; ``extra`` adds fields such as ``param``."""
    return {"error": {"code": code, "message": message, **extra}}


def not_found_body() -> dict[str, Any]:
    """HTTP 404 for a path Azure does not serve or a request without ``api-version``."""
    return error_body("404", NOT_FOUND_MESSAGE)


def unauthorized_body() -> dict[str, Any]:
    """HTTP 401 for a request with neither ``api-key`` nor ``Authorization: Bearer``."""
    return error_body("401", UNAUTHORIZED_MESSAGE)


def deployment_not_found_body() -> dict[str, Any]:
    """HTTP 404 for a deployment the resource does not have."""
    return error_body("DeploymentNotFound", NO_DEPLOYMENT_MESSAGE)


def blocked_prompt_body(verdicts: dict[str, Any], *, spec_spelling: bool) -> dict[str, Any]:
    """HTTP 400 for a prompt the content filter blocked, with its ``verdicts`` spelled as the
    wire usually spells them (``innererror`` / ``content_filter_result``) or as the
    specification does (``inner_error`` / ``content_filter_results``)."""
    inner_key, verdicts_key = SPEC_SPELLING if spec_spelling else WIRE_SPELLING
    return error_body(
        CONTENT_FILTER,
        BLOCKED_MESSAGE,
        type=None,
        param="prompt",
        status=400,
        **{inner_key: {"code": "ResponsibleAIPolicyViolation", verdicts_key: verdicts}},
    )


UNAVAILABLE_MESSAGE: Final = (
    "The service is temporarily unable to process your request. Please try again later."
)


def unavailable_body() -> dict[str, Any]:
    """HTTP 503: the resource (or its region) cannot serve the request now."""
    return error_body("ServiceUnavailable", UNAVAILABLE_MESSAGE)


def throttled_body(
    operation: str, api_version: str, limit: str, retry_after_s: int
) -> dict[str, Any]:
    """HTTP 429: ``operation`` such as ``ChatCompletions_Create``, ``limit`` ``token`` or
    ``call``; the headers are ``headers.retry_headers``."""
    message = (
        f"Requests to the {operation} Operation under Azure OpenAI API version {api_version} "
        f"have exceeded {limit} rate limit of your current OpenAI S0 pricing tier. Please retry "
        f"after {retry_after_s} seconds. Please go here: https://aka.ms/oai/quotaincrease if "
        "you would like to further increase the default rate limit."
    )
    return error_body("429", message)
