"""Span attribute names the OTLP normaliser reads, and typed reading of their values.

Every name here is documented in ``docs/attributes.md`` with its type, an example and the
column it fills. Where producers disagree on a name, the tuples list the spellings in the
order they are tried; the first one present wins.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import unquote, urlsplit

from google.protobuf.internal.containers import RepeatedCompositeFieldContainer
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue

from collectors import limits

# --- GenAI semantic conventions (current, and the names they replaced) -------------------
OPERATION_NAME: Final = "gen_ai.operation.name"
PROVIDER_NAME: Final = "gen_ai.provider.name"  # current: "azure.ai.openai", "openai"
SYSTEM: Final = "gen_ai.system"  # older: "az.ai.openai", "openai"; Traceloop: "Azure"
REQUEST_MODEL: Final = "gen_ai.request.model"  # the Azure deployment name for AzureOpenAI
RESPONSE_MODEL: Final = "gen_ai.response.model"  # model with version, e.g. gpt-4o-2024-11-20
RESPONSE_ID: Final = "gen_ai.response.id"
FINISH_REASONS: Final = "gen_ai.response.finish_reasons"  # string[]
TIME_TO_FIRST_CHUNK: Final = "gen_ai.response.time_to_first_chunk"  # seconds
INPUT_TOKENS: Final = ("gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens")
OUTPUT_TOKENS: Final = ("gen_ai.usage.output_tokens", "gen_ai.usage.completion_tokens")
CACHED_INPUT_TOKENS: Final = (
    "gen_ai.usage.cache_read.input_tokens",  # current GenAI semantic conventions
    "gen_ai.usage.cache_read_input_tokens",  # OpenLLMetry (Traceloop) semconv_ai
    "gen_ai.usage.input_tokens.cached",  # Sentry SDKs
    "gen_ai.usage.input_tokens_details.cached",  # LangChain-based instrumentations
)
REASONING_TOKENS: Final = (
    "gen_ai.usage.reasoning.output_tokens",  # current GenAI semantic conventions
    "gen_ai.usage.reasoning_tokens",  # OpenLLMetry (Traceloop) semconv_ai
    "gen_ai.usage.output_tokens.reasoning",  # Sentry SDKs
    "gen_ai.usage.output_tokens_details.reasoning",  # LangChain-based instrumentations
)
ALL_TOKENS: Final = INPUT_TOKENS + OUTPUT_TOKENS + CACHED_INPUT_TOKENS + REASONING_TOKENS

# --- general OpenTelemetry conventions --------------------------------------------------
SERVER_ADDRESS: Final = "server.address"
ERROR_TYPE: Final = "error.type"
HTTP_STATUS: Final = ("http.response.status_code", "http.status_code")
URLS: Final = ("url.full", "http.url", "gen_ai.openai.api_base", "url.path", "http.target")
TENANT_ID: Final = "tenant.id"  # span first, then resource
APIM_SUBSCRIPTION: Final = "azure.apim.subscription_id"  # span first, then resource
END_USER: Final = ("enduser.id", "user.id", "llm.user", "gen_ai.user")
SERVICE_NAME: Final = "service.name"  # resource

# --- OpenLLMetry (Traceloop) ------------------------------------------------------------
TRACELOOP_REQUEST_TYPE: Final = "llm.request.type"  # chat | completion | embedding | rerank
TRACELOOP_API_VERSION: Final = "gen_ai.openai.api_version"
TRACELOOP_PROMPT_FILTER: Final = "gen_ai.prompt.prompt_filter_results"  # JSON array
TRACELOOP_PROMPT_ERROR: Final = "gen_ai.prompt.prompt_error"  # JSON: the response's error
COMPLETION_PREFIX: Final = "gen_ai.completion."  # gen_ai.completion.{i}.<field>
COMPLETION_FILTER_FIELD: Final = "content_filter_results"  # JSON: one choice's dict
COMPLETION_FINISH_FIELD: Final = "finish_reason"
SINGLE_FINISH_REASON: Final = ("gen_ai.response.finish_reason", "llm.response.finish_reason")

# --- ours: set by the aoai-lens playground client and documented for any producer --------
AZURE_DEPLOYMENT: Final = "azure.openai.deployment"
AZURE_API_VERSION: Final = "azure.openai.api_version"
AZURE_REGION: Final = "azure.openai.region"  # x-ms-region response header
AZURE_DEPLOYMENT_TYPE: Final = "azure.openai.deployment_type"  # GlobalStandard, ...
AZURE_REQUEST_ID: Final = "azure.openai.request_id"  # apim-request-id response header
AZURE_PROMPT_FILTER: Final = "azure.openai.prompt_filter_results"  # JSON array as returned
AZURE_COMPLETION_FILTER: Final = "azure.openai.completion_filter_results"  # JSON list
AZURE_FILTER_BLOCKED: Final = "azure.openai.content_filter.blocked"  # bool
AZURE_FILTER_ERROR: Final = "azure.openai.content_filter.error"  # JSON: the 400 error
AZURE_REMAINING_TOKENS: Final = "azure.openai.ratelimit.remaining_tokens"  # int
AZURE_REMAINING_REQUESTS: Final = "azure.openai.ratelimit.remaining_requests"  # int
AZURE_RETRY_AFTER_MS: Final = "azure.openai.retry_after_ms"  # int

# --- attribute values ---------------------------------------------------------------
# gen_ai.operation.name (and OpenLLMetry's llm.request.type) -> the ``operation`` column.
# Names not listed here (execute_tool, invoke_agent, create_agent, ...) are not model calls.
OPERATIONS: Final = {
    "chat": "chat",
    "text_completion": "text_completion",
    "completion": "text_completion",
    "embeddings": "embeddings",
    "embedding": "embeddings",
    "generate_content": "generate_content",
    "responses": "responses",
    "response": "responses",
    "image_generation": "images",
    "images": "images",
    "image_gen": "images",
    "generate_image": "images",
    "create_image": "images",
    "rerank": "rerank",
}
UNKNOWN_OPERATION: Final = "unknown"

# openai-python exception class -> the HTTP status it stands for (None: no response).
STATUS_OF_ERROR: Final[dict[str, int | None]] = {
    "BadRequestError": 400,
    "AuthenticationError": 401,
    "PermissionDeniedError": 403,
    "NotFoundError": 404,
    "ConflictError": 409,
    "UnprocessableEntityError": 422,
    "RateLimitError": 429,
    "InternalServerError": 500,
    "APITimeoutError": None,
    "APIConnectionError": None,
}

DEPLOYMENTS_PATH: Final = "/openai/deployments/"
_DEPLOYMENT_IN_URL: Final = re.compile(r"/openai/deployments/([^/?#]+)")
_API_VERSION_IN_URL: Final = re.compile(r"[?&]api-version=([^&#]+)")

# Attributes whose value lives in a column; everything else is kept in ``attributes``.
MAPPED: Final = frozenset(
    {
        OPERATION_NAME,
        PROVIDER_NAME,
        SYSTEM,
        REQUEST_MODEL,
        RESPONSE_MODEL,
        RESPONSE_ID,
        FINISH_REASONS,
        TIME_TO_FIRST_CHUNK,
        SERVER_ADDRESS,
        ERROR_TYPE,
        TENANT_ID,
        APIM_SUBSCRIPTION,
        TRACELOOP_REQUEST_TYPE,
        TRACELOOP_API_VERSION,
        AZURE_DEPLOYMENT,
        AZURE_API_VERSION,
        AZURE_REGION,
        AZURE_DEPLOYMENT_TYPE,
        AZURE_REQUEST_ID,
        *ALL_TOKENS,
        *HTTP_STATUS,
        *END_USER,
        *SINGLE_FINISH_REASON,
    }
)


def any_value(value: AnyValue) -> Any:
    """An OTLP ``AnyValue`` as a JSON-serialisable Python value (bytes as base64)."""
    kind = value.WhichOneof("value")
    if kind == "string_value":
        return value.string_value
    if kind == "int_value":
        return value.int_value
    if kind == "bool_value":
        return value.bool_value
    if kind == "double_value":
        return value.double_value
    if kind == "array_value":
        return [any_value(item) for item in value.array_value.values]
    if kind == "kvlist_value":
        return {item.key: any_value(item.value) for item in value.kvlist_value.values}
    if kind == "bytes_value":
        return base64.b64encode(value.bytes_value).decode("ascii")
    return None


def attribute_dict(attributes: RepeatedCompositeFieldContainer[KeyValue]) -> dict[str, Any]:
    """Repeated ``KeyValue`` -> dict; a repeated key keeps its last value."""
    out: dict[str, Any] = {}
    for item in attributes:
        value = item.value
        kind = value.WhichOneof("value")
        if kind in _SCALAR_KINDS:
            out[item.key] = getattr(value, kind)  # the common case, without a call
        else:
            out[item.key] = any_value(value)
    return out


_SCALAR_KINDS: Final = frozenset({"string_value", "int_value", "bool_value", "double_value"})


def text(attrs: dict[str, Any], name: str) -> str | None:
    """A non-empty string attribute (an integer, e.g. a numeric tenant id, as text), cut to
    the length of a text column."""
    value = attrs.get(name)
    if isinstance(value, str):
        return limits.text(value) or None
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None


def first_text(attrs: dict[str, Any], names: tuple[str, ...]) -> str | None:
    """The first of ``names`` that holds a non-empty string."""
    for name in names:
        value = text(attrs, name)
        if value is not None:
            return value
    return None


def http_status(attrs: dict[str, Any]) -> int | None:
    """``http.response.status_code`` (or the older ``http.status_code``) if it is 100-599."""
    for name in HTTP_STATUS:
        value = attrs.get(name)
        if isinstance(value, str) and len(value) == 3 and value.isascii() and value.isdigit():
            value = int(value)
        if isinstance(value, int) and not isinstance(value, bool) and 100 <= value <= 599:
            return value
    return None


@dataclass(frozen=True, slots=True)
class UrlFacts:
    """What an Azure OpenAI request URL says about the call."""

    deployment: str | None  # {name} in /openai/deployments/{name}/
    api_version: str | None  # the api-version query parameter
    host: str | None


def url(attrs: dict[str, Any]) -> str | None:
    """The first URL-like attribute of ``URLS`` (full URL, base URL or path)."""
    for name in URLS:
        value = attrs.get(name)
        if isinstance(value, str) and value:
            return value
    return None


def parse_url(value: str) -> UrlFacts:
    """Deployment, api-version and host of a URL; regexes only run when they can match."""
    deployment = api_version = host = None
    if DEPLOYMENTS_PATH in value and (match := _DEPLOYMENT_IN_URL.search(value)):
        deployment = limits.text(unquote(match.group(1))) or None
    if "api-version=" in value and (match := _API_VERSION_IN_URL.search(value)):
        api_version = limits.text(unquote(match.group(1))) or None
    if "://" in value:
        try:
            host = urlsplit(value).hostname
            host = limits.text(host) if host is not None else None
        except ValueError:
            host = None
    return UrlFacts(deployment, api_version, host)


def error_type(attrs: dict[str, Any]) -> str | None:
    """``error.type``; a Python class repr ``<class 'openai.RateLimitError'>`` as its name.

    opentelemetry-instrumentation-openai-v2 2.4b0 with opentelemetry-util-genai 1.1b0 hands
    the exception class itself to ``Error(type=...)`` on failed chat calls, and the SDK
    stores ``str(cls)``; the name inside is what every other producer sends.
    """
    value = text(attrs, ERROR_TYPE)
    if value is not None and value.startswith("<class '") and value.endswith("'>"):
        return value[len("<class '") : -len("'>")] or None
    return value
