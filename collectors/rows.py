"""The canonical rows every normaliser returns and the store writes.

One ``CallRow`` per model call, whatever its source (or, from a Log Analytics pull, a table
of its columns: ``CALL_SCHEMA``); one ``FilterResultRow`` per content-filter category
verdict of a call. Field names equal the DuckDB column names of ``calls`` and
``filter_results`` (queries/schema/).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any, Final

import pyarrow as pa

# How the deployment name of a call was learned (column ``deployment_source``).
DEPLOYMENT_FROM_ATTRIBUTE: Final = "attribute"  # azure.openai.deployment (our client) or similar
DEPLOYMENT_FROM_URL: Final = "url_path"  # .../openai/deployments/{name}/... in url.full
DEPLOYMENT_FROM_REQUEST_MODEL: Final = "request_model"  # AzureOpenAI(model=<deployment>)
DEPLOYMENT_FROM_LOG: Final = "log"  # a Log Analytics row's deployment column
DEPLOYMENT_UNKNOWN: Final = "unknown"  # nothing said which deployment served the call

FILTER_ACTIONS: Final = ("none", "annotated", "blocked_prompt", "filtered_completion")
FILTER_TARGETS: Final = ("prompt", "completion")


# Rows are plain slotted dataclasses, not frozen: a frozen dataclass costs several times
# as much to build, and ingest builds one CallRow and several FilterResultRows per span.
@dataclass(slots=True)
class FilterResultRow:
    """One content-filter category verdict for a prompt or a completion choice."""

    call_id: str
    target: str  # "prompt" | "completion"
    idx: int  # prompt_index or choice index
    category: str  # hate, sexual, violence, self_harm, jailbreak, ...
    severity: str | None  # safe | low | medium | high, None for binary classifiers
    filtered: bool
    detected: bool | None  # binary classifiers only


@dataclass(slots=True)
class CallRow:
    """One model call in the canonical shape (DESIGN section 3)."""

    call_id: str
    source: str  # "otlp", "loganalytics:apim", ...
    trace_id: str | None
    span_id: str | None
    start_time: datetime  # timezone-aware UTC
    duration_ms: float | None
    ttft_ms: float | None
    operation: str  # chat | embeddings | responses | images | text_completion | ...
    endpoint: str | None  # Azure resource host, e.g. aoai-prod.openai.azure.com
    region: str | None
    deployment: str  # the Azure deployment name; "unknown" when nothing said
    deployment_source: str  # one of DEPLOYMENT_FROM_* / DEPLOYMENT_UNKNOWN
    model: str | None  # response model with version, e.g. gpt-4o-2024-11-20
    request_model: str | None  # the model/deployment the caller asked for
    provider: str | None  # gen_ai.provider.name or gen_ai.system as sent
    api_version: str | None
    deployment_type: str | None  # GlobalStandard | DataZoneStandard | Standard | ...
    tenant_id: str | None  # as resolved at ingest from the span (raw)
    end_user: str | None
    service: str | None  # service.name of the caller
    status: str  # "ok" | "error"
    http_status: int | None
    error_type: str | None
    input_tokens: int | None  # includes cached_input_tokens
    cached_input_tokens: int | None
    output_tokens: int | None  # includes reasoning_tokens
    reasoning_tokens: int | None
    finish_reason: str | None
    filter_action: str  # one of FILTER_ACTIONS
    response_id: str | None
    attributes: dict[str, Any] = field(default_factory=dict)  # the rest, JSON
    apim_subscription: str | None = None  # API Management subscription the call came through
    request_id: str | None = None  # apim-request-id: joins the same call seen by other sources


CALL_COLUMNS: Final[tuple[str, ...]] = tuple(f.name for f in fields(CallRow))
FILTER_RESULT_COLUMNS: Final[tuple[str, ...]] = tuple(f.name for f in fields(FilterResultRow))

# Calls as Arrow columns, as the store writes them: CallRow's fields in order, text unless
# listed here; ``attributes`` is JSON text.
_CALL_ARROW_TYPES: Final[dict[str, pa.DataType]] = {
    "start_time": pa.timestamp("us", tz="UTC"),
    "duration_ms": pa.float64(),
    "ttft_ms": pa.float64(),
    "http_status": pa.int32(),
    "input_tokens": pa.int64(),
    "cached_input_tokens": pa.int64(),
    "output_tokens": pa.int64(),
    "reasoning_tokens": pa.int64(),
}
CALL_SCHEMA: Final = pa.schema(
    [(name, _CALL_ARROW_TYPES.get(name, pa.string())) for name in CALL_COLUMNS]
)


@dataclass(frozen=True, slots=True)
class NormalizedBatch:
    """What a normaliser makes of one export request."""

    calls: list[CallRow]
    filter_results: list[FilterResultRow]
    rejected: int  # spans that are not usable model calls
    rejection_reasons: list[str]  # short, de-duplicated reasons for ``rejected``
