"""The GenAI attribute names every source is read by, defined once.

OTLP spans and Application Insights dependency rows carry the same span attributes (the
App Insights exporter writes them into ``Properties`` as text), so both are normalised by
one SQL file, ``queries/normalize/genai_calls.sql``, which is given the names here as
parameters. Every name is documented in ``docs/attributes.md`` with its type, an example
and the column it fills. Where producers disagree on a name, the tuples list the spellings
in the order they are tried; the first one present wins.
"""

from __future__ import annotations

from typing import Final

# --- GenAI semantic conventions (current, and the names they replaced) -------------------
OPERATION_NAME: Final = "gen_ai.operation.name"
PROVIDER_NAME: Final = "gen_ai.provider.name"  # current: "azure.ai.openai", "openai"
SYSTEM: Final = "gen_ai.system"  # older: "az.ai.openai", "openai"; Traceloop: "Azure"
REQUEST_MODEL: Final = "gen_ai.request.model"  # the Azure deployment name for AzureOpenAI
RESPONSE_MODEL: Final = "gen_ai.response.model"  # model with version, e.g. gpt-4o-2024-11-20
RESPONSE_ID: Final = "gen_ai.response.id"
FINISH_REASONS: Final = "gen_ai.response.finish_reasons"  # string[]
TIME_TO_FIRST_CHUNK: Final = "gen_ai.response.time_to_first_chunk"  # seconds
INPUT_TOKENS: Final = (
    "gen_ai.usage.input_tokens",
    "gen_ai.usage.prompt_tokens",
    "llm.token_count.prompt",  # OpenInference
)
OUTPUT_TOKENS: Final = (
    "gen_ai.usage.output_tokens",
    "gen_ai.usage.completion_tokens",
    "llm.token_count.completion",  # OpenInference
)
CACHED_INPUT_TOKENS: Final = (
    "gen_ai.usage.cache_read.input_tokens",  # current GenAI semantic conventions
    "gen_ai.usage.cache_read_input_tokens",  # OpenLLMetry (Traceloop) semconv_ai
    "gen_ai.usage.input_tokens.cached",  # Sentry SDKs
    "gen_ai.usage.input_tokens_details.cached",  # LangChain-based instrumentations
    "llm.token_count.prompt_details.cache_read",  # OpenInference
)
# Prompt tokens written to the prompt cache (a part of input tokens, like cache reads).
CACHE_WRITE_TOKENS: Final = (
    "gen_ai.usage.cache_creation.input_tokens",  # current GenAI semantic conventions
    "gen_ai.usage.cache_creation_input_tokens",  # OpenLLMetry (Traceloop) semconv_ai
    "gen_ai.usage.input_tokens.cache_write",  # Sentry SDKs
    "llm.token_count.prompt_details.cache_write",  # OpenInference
)
REASONING_TOKENS: Final = (
    "gen_ai.usage.reasoning.output_tokens",  # current GenAI semantic conventions
    "gen_ai.usage.reasoning_tokens",  # OpenLLMetry (Traceloop) semconv_ai
    "gen_ai.usage.output_tokens.reasoning",  # Sentry SDKs
    "gen_ai.usage.output_tokens_details.reasoning",  # LangChain-based instrumentations
    "llm.token_count.completion_details.reasoning",  # OpenInference
)
TOKEN_GROUPS: Final = {
    "input_tokens": INPUT_TOKENS,
    "output_tokens": OUTPUT_TOKENS,
    "cached_input_tokens": CACHED_INPUT_TOKENS,
    "reasoning_tokens": REASONING_TOKENS,
    "cache_write_tokens": CACHE_WRITE_TOKENS,
}
ALL_TOKENS: Final = (
    INPUT_TOKENS + OUTPUT_TOKENS + CACHED_INPUT_TOKENS + REASONING_TOKENS + CACHE_WRITE_TOKENS
)

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
# OpenLLMetry 0.62 and the GenAI conventions: the choices as a JSON array of messages; each
# entry of an Azure answer carries its choice's content_filter_results.
OUTPUT_MESSAGES: Final = "gen_ai.output.messages"
SINGLE_FINISH_REASON: Final = (
    "gen_ai.response.finish_reason",
    "llm.response.finish_reason",
    "llm.finish_reason",  # OpenInference
)

# --- OpenInference (Arize Phoenix; its OpenAI, LangChain and LlamaIndex instrumentations) --
OPENINFERENCE_KIND: Final = "openinference.span.kind"  # LLM | EMBEDDING | CHAIN | TOOL | ...
OPENINFERENCE_MODEL: Final = ("llm.model_name", "embedding.model_name")  # response model
OPENINFERENCE_PROVIDER: Final = ("llm.provider", "llm.system")  # "azure", "openai"
# JSON of the request's parameters: its "model" is the deployment for AzureOpenAI.
OPENINFERENCE_PARAMETERS: Final = ("llm.invocation_parameters", "embedding.invocation_parameters")
# openinference.span.kind values that are model calls, and their operation.
OPENINFERENCE_OPERATIONS: Final = {"llm": "chat", "embedding": "embeddings"}

# --- ours: set by the aoai-lens client and documented for any producer -------------------
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

# --- routing: where the call went (docs/attributes.md, "Routing") ----------------------
# The service tier asked for and the one that served: the OpenAI conventions' current name,
# then the GenAI conventions' older one (openai-v2 writes either, by its mode).
REQUEST_SERVICE_TIER: Final = ("openai.request.service_tier", "gen_ai.openai.request.service_tier")
RESPONSE_SERVICE_TIER: Final = (
    "openai.response.service_tier",
    "gen_ai.openai.response.service_tier",
)
AZURE_BACKEND: Final = "azure.openai.backend"  # x-aoai-backend: the API Management backend
AZURE_FAILOVER_FROM: Final = "azure.openai.failover_from"  # the first endpoint's URL
AZURE_ATTEMPTS: Final = "azure.openai.attempts"  # int: endpoints sent the request
AZURE_SPILLOVER_USED: Final = "azure.openai.spillover.used"  # bool
AZURE_SPILLOVER_FROM: Final = "azure.openai.spillover.from_deployment"  # the provisioned one

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
        *REQUEST_SERVICE_TIER,
        *RESPONSE_SERVICE_TIER,
        AZURE_BACKEND,
        AZURE_SPILLOVER_USED,
        AZURE_SPILLOVER_FROM,
        OPENINFERENCE_KIND,
        *OPENINFERENCE_MODEL,
        *OPENINFERENCE_PROVIDER,
        *ALL_TOKENS,
        *HTTP_STATUS,
        *END_USER,
        *SINGLE_FINISH_REASON,
    }
)

# Attributes read without filling a column of their own, by the name of the SQL field that
# reads them (a URL gives deployment, api-version and host; verdicts become rows).
READ_NOT_MAPPED: Final = (
    *URLS,
    *OPENINFERENCE_PARAMETERS,
    AZURE_PROMPT_FILTER,
    AZURE_COMPLETION_FILTER,
    AZURE_FILTER_BLOCKED,
    AZURE_FILTER_ERROR,
    TRACELOOP_PROMPT_FILTER,
    TRACELOOP_PROMPT_ERROR,
    OUTPUT_MESSAGES,
    # Failover fills failover_from and attempts, and stays in attributes beside the other
    # attempt lists, where views read it before those columns existed.
    AZURE_FAILOVER_FROM,
    AZURE_ATTEMPTS,
)

# Every attribute the rules read, each a text column of the span rows (collectors/otlp/flatten.py
# SPAN_SCHEMA), in this order; and the resource attributes they read, as "resource.<name>".
READ_NAMES: Final = tuple(sorted(MAPPED | set(READ_NOT_MAPPED)))
RESOURCE_READ: Final = (TENANT_ID, APIM_SUBSCRIPTION, SERVICE_NAME)

# --- Message content (redacted at ingest: collectors/redaction.py) -----------------------
# The GenAI semantic conventions' content attributes (whole messages as JSON text), tool
# call arguments and results, OpenInference's input.value / output.value, and the indexed
# content fields of OpenLLMetry (gen_ai.prompt.{i}.content, gen_ai.completion.{i}.content,
# ...tool_calls.{j}.arguments) and OpenInference (llm.input_messages.{i}.message.content).
# RE2 syntax that Python's re reads alike (queries/normalize/app_insights_spans.sql too).
CONTENT_KEY_PATTERN: Final = (
    r"^(gen_ai\.(system_instructions|input\.messages|output\.messages|prompt|completion|"
    r"tool\.call\.arguments|tool\.call\.result)|input\.value|output\.value|"
    r"(gen_ai\.(prompt|completion)|llm\.(input|output)_messages)\.[0-9]+\.(.*\.)?"
    r"(content|text|arguments))$"
)
