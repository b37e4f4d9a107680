"""The canonical columns every normaliser returns and the store writes.

Every source normalises to tables: ``CALL_SCHEMA`` (one row per model call) and
``FILTER_SCHEMA`` (one row per content-filter category verdict of a call). Field names
equal the DuckDB column names of ``calls`` and ``filter_results`` (queries/schema/).
``CallRow`` and ``FilterResultRow`` are the same columns as one Python object, for a call
built by hand (tests, fixtures); ``calls_table`` and ``call_rows`` convert.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime
from typing import Any, Final

import orjson
import pyarrow as pa

# How the deployment name of a call was learned (column ``deployment_source``).
DEPLOYMENT_FROM_ATTRIBUTE: Final = "attribute"  # azure.openai.deployment (our client) or similar
DEPLOYMENT_FROM_URL: Final = "url_path"  # .../openai/deployments/{name}/... in url.full
DEPLOYMENT_FROM_REQUEST_MODEL: Final = "request_model"  # AzureOpenAI(model=<deployment>)
DEPLOYMENT_FROM_LOG: Final = "log"  # a Log Analytics row's deployment column
DEPLOYMENT_UNKNOWN: Final = "unknown"  # nothing said which deployment served the call
# The source of a call that came as an OTLP span (the Log Analytics sources are
# "loganalytics:<name>").
SOURCE_OTLP: Final = "otlp"

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
    # The verdict's other fields as JSON text (citation, entity types, offsets, blocklist id).
    details: str | None = None
    # user_input | output | tool_call | tool_response; None: read from the target on write.
    intervention_point: str | None = None


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
    sample_weight: float = 1.0  # how many calls this row stands for (a sampled source's N)
    # Where the call went (queries/schema/049_call_routing.sql).
    service_tier: str | None = None  # the tier that served it: default | priority | flex
    service_tier_requested: str | None = None  # what the request asked: auto | priority | ...
    backend: str | None = None  # the API Management backend (pool member) that served it
    failover_from: str | None = None  # the endpoint first in priority order, when another answered
    attempts: int | None = None  # endpoints the request was sent to
    spillover: bool | None = None  # served by the standard deployment a provisioned one spilled to
    spillover_from: str | None = None  # that provisioned deployment
    cache_write_tokens: int | None = None  # prompt tokens written to the cache (in input)


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
    "sample_weight": pa.float64(),
    "attempts": pa.int32(),
    "spillover": pa.bool_(),
    "cache_write_tokens": pa.int64(),
}
CALL_SCHEMA: Final = pa.schema(
    [(name, _CALL_ARROW_TYPES.get(name, pa.string())) for name in CALL_COLUMNS]
)


# Verdicts as Arrow columns, as the store writes them: FilterResultRow's fields and the start
# of the call that carried each (queries/schema/033_verdict_time.sql, 047_verdict_details.sql).
FILTER_SCHEMA: Final = pa.schema(
    [
        ("call_id", pa.string()),
        ("target", pa.string()),
        ("idx", pa.int32()),
        ("category", pa.string()),
        ("severity", pa.string()),
        ("filtered", pa.bool_()),
        ("detected", pa.bool_()),
        ("start_time", pa.timestamp("us", tz="UTC")),
        ("details", pa.string()),
        ("intervention_point", pa.string()),
    ]
)


def conform_calls(table: pa.Table) -> pa.Table:
    """A calls table in ``CALL_SCHEMA``'s columns and types; the columns a source does not
    give (a normaliser written before they existed) are added as nulls."""
    given = set(table.column_names)  # a new list each time it is asked for
    for name in CALL_SCHEMA.names:
        if name not in given:
            missing = pa.nulls(table.num_rows, CALL_SCHEMA.field(name).type)
            table = table.append_column(name, missing)
    table = table.select(CALL_SCHEMA.names)
    return table if table.schema.equals(CALL_SCHEMA) else table.cast(CALL_SCHEMA)


def calls_table(calls: Sequence[CallRow]) -> pa.Table:
    """Calls built one by one (tests, a hand-made call) as the columns the store writes."""
    arrays = {
        column.name: pa.array(
            [
                _json_text(call.attributes) if column.name == "attributes"
                else getattr(call, column.name)
                for call in calls
            ],
            type=column.type,
        )
        for column in CALL_SCHEMA
    }  # fmt: skip
    return pa.table(arrays, schema=CALL_SCHEMA)


def verdicts_table(
    verdicts: Sequence[FilterResultRow], calls: Sequence[CallRow] | pa.Table = ()
) -> pa.Table:
    """Verdicts built one by one as the columns the store writes; each takes the start time
    of its call among ``calls``."""
    table = calls if isinstance(calls, pa.Table) else calls_table(calls)
    start_of = dict(zip(table["call_id"].to_pylist(), table["start_time"].to_pylist(), strict=True))
    rows = [{**asdict(v), "start_time": start_of.get(v.call_id)} for v in verdicts]
    return pa.Table.from_pylist(rows, schema=FILTER_SCHEMA)


def call_rows(table: pa.Table) -> list[CallRow]:
    """A table of calls as rows again, attributes parsed (tests read calls so)."""
    return [
        CallRow(**{**row, "attributes": orjson.loads(row["attributes"] or "{}")})
        for row in table.select(CALL_COLUMNS).to_pylist()
    ]


def verdict_rows(table: pa.Table) -> list[FilterResultRow]:
    """A table of verdicts as rows again."""
    return [FilterResultRow(**row) for row in table.select(FILTER_RESULT_COLUMNS).to_pylist()]


def _json_text(attributes: dict[str, Any] | None) -> str:
    if not attributes:
        return "{}"
    return orjson.dumps(attributes, default=str, option=orjson.OPT_NON_STR_KEYS).decode()
