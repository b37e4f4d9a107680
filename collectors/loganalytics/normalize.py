"""Log Analytics results -> canonical rows. Pure: no I/O.

Call pulls are normalised as columns: each source's SQL file (``queries/normalize/``) maps
the result table (``decode.table_columns``) to the call columns (``CALL_SCHEMA``), on a private
in-memory database that sees only that table (``queries.run_detached``). A 500,000-row
answer is then a few column operations rather than half a million Python objects
(docs/decisions/0003-log-analytics-calls-as-columns.md).

- ``app_insights``: an ``AppDependencies`` GenAI span as azure-monitor-opentelemetry wrote
  it. ``queries/normalize/app_insights_spans.sql`` turns the rows into GenAI span columns,
  which the GenAI normaliser reads by the same rules as OTLP spans, content-filter
  verdicts included (``collectors/genai/normalize.py``). ``call_id`` is trace id + span
  id, as for the same span received over OTLP.
- ``apim``: the API Management GenAI gateway log joined to its gateway log; the
  subscription is ``apim_subscription`` (a tenant rule kind), ``call_id`` ``apim:`` +
  CorrelationId, and the backend's ``apim-request-id`` (when headers are logged) the
  ``request_id`` that joins the call other sources saw.
- ``azure_diagnostics``: the Azure OpenAI resource's RequestResponse log; its CorrelationId
  is the ``apim-request-id`` header the caller got, so it is the ``request_id``.

Rollups and metrics (a few thousand rows a pull) are read row by row from dicts.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

import pyarrow as pa
import pyarrow.compute as pc

import queries
from collectors.credentials import CREDENTIAL_KEY_PATTERN
from collectors.genai import attributes as attr
from collectors.genai.normalize import normalize_spans
from collectors.otlp.flatten import SPAN_SCHEMA
from collectors.rows import CALL_SCHEMA, FILTER_SCHEMA, conform_calls
from lens_errors import BadInputError

# Azure OpenAI REST operation ids (AzureDiagnostics/APIM OperationName) -> operation.
OPERATION_IDS: Final = {
    "chatcompletions_create": "chat",
    "completions_create": "text_completion",
    "embeddings_create": "embeddings",
    "imagegenerations_create": "images",
    "responses_create": "responses",
}
MAX_TOKENS_PER_CALL: Final = 100_000_000
MAX_ROLLUP_TOTAL: Final = 10**15  # an hour's tokens of one group: far beyond any quota
CELL_MACROS: Final = "log_cell_macros"

# Each calls source: its SQL file and the values that file binds.
_BY_OPERATION_ID: Final = {
    "operation_ids": list(OPERATION_IDS),
    "operations": list(OPERATION_IDS.values()),
    "max_tokens": MAX_TOKENS_PER_CALL,
}
CALL_QUERIES: Final[dict[str, tuple[str, dict[str, Any]]]] = {
    "apim": ("apim_calls", _BY_OPERATION_ID),
    "azure_diagnostics": ("azure_diagnostics_calls", _BY_OPERATION_ID),
}
# Application Insights rows are GenAI spans: read as such, by the rules OTLP spans are.
GENAI_SPAN_SOURCES: Final = frozenset({"app_insights"})
_SPAN_PARAMS: Final[dict[str, Any]] = {
    # Every attribute the rules read, as text; the merge patch that drops those a column
    # holds; credential keys; OpenLLMetry's per-choice keys.
    "read_as_text": json.dumps(dict.fromkeys(attr.READ_NAMES, "VARCHAR")),
    "drop_mapped": json.dumps(dict.fromkeys(sorted(attr.MAPPED))),
    "credential_keys": CREDENTIAL_KEY_PATTERN,
    "choice_keys": r"^gen_ai\.completion\.[0-9]+\.(finish_reason|content_filter_results)$",
    "content_keys": attr.CONTENT_KEY_PATTERN,
}


@dataclass(frozen=True)
class NormalizedCalls:
    """The calls of a pull (``CALL_SCHEMA``), their verdicts (``FILTER_SCHEMA``), and the
    rows left out: no id, no time, or not a model call (an agent or a tool span)."""

    calls: pa.Table
    verdicts: pa.Table
    left_out: int


def rows_without(rows: pa.Table, flag: str) -> int:
    """How many result rows say, in the boolean column ``flag``, that they lack the fields
    of a joined table (a row without the column lacks nothing)."""
    if flag not in rows.column_names or not rows.num_rows:
        return 0
    column = pc.cast(rows[flag], pa.string())
    present = pc.is_in(pc.utf8_lower(pc.fill_null(column, "false")), pa.array(["true", "1"]))
    kept: int = rows.num_rows
    return kept - int(pc.sum(present).as_py() or 0)


def normalize_calls(
    name: str, rows: pa.Table, source: str, *, redact: bool = True
) -> NormalizedCalls:
    """Rows of calls source ``name`` as calls and verdicts; rows that cannot be calls are
    counted, not raised. With ``redact``, message content has its personal data replaced
    (only Application Insights rows carry any)."""
    if not rows.num_columns:  # no result table at all
        return NormalizedCalls(CALL_SCHEMA.empty_table(), FILTER_SCHEMA.empty_table(), 0)
    if name in GENAI_SPAN_SOURCES:
        spans = queries.run_detached(
            "app_insights_spans", {"log_rows": rows}, setup=(CELL_MACROS,), **_SPAN_PARAMS
        )
        batch = normalize_spans(
            spans.select(SPAN_SCHEMA.names).cast(SPAN_SCHEMA), source=source, redact=redact
        )
        calls = _weighted_by_item_count(batch.calls_of(0), spans)
        verdicts = batch.verdicts_of(0)
    else:
        query, params = CALL_QUERIES[name]
        calls = queries.run_detached(
            query, {"log_rows": rows}, setup=(CELL_MACROS,), source=source, **params
        )
        calls = conform_calls(calls)
        verdicts = FILTER_SCHEMA.empty_table()
    usable = calls.filter(pc.and_(pc.is_valid(calls["call_id"]), pc.is_valid(calls["start_time"])))
    if usable.num_rows < calls.num_rows:
        verdicts = verdicts.filter(pc.is_in(verdicts["call_id"], usable["call_id"]))
    return NormalizedCalls(usable, verdicts, rows.num_rows - usable.num_rows)


def _weighted_by_item_count(calls: pa.Table, spans: pa.Table) -> pa.Table:
    """``calls`` with each span row's ``ItemCount`` as its sample weight: a sampling SDK
    keeps one span in N and Application Insights writes N on the row it kept. A row
    without one (or with a count below 1) stands for one call."""
    if "item_count" not in spans.column_names or not calls.num_rows:
        return calls
    keys = pc.binary_join_element_wise(spans["trace_id"], spans["span_id"], "")
    counts = pc.take(spans["item_count"], pc.index_in(calls["call_id"], value_set=keys))
    usable = pc.and_(pc.is_valid(counts), pc.greater_equal(pc.fill_null(counts, 0.0), 1.0))
    weight = pc.if_else(usable, counts, pa.scalar(1.0))
    return calls.set_column(calls.schema.get_field_index("sample_weight"), "sample_weight", weight)


class InvalidRowError(BadInputError, ValueError):
    """A rollup or metrics row with no time (call rows with none are counted by
    ``normalize_calls`` instead)."""


def _utc(value: Any) -> datetime:
    if type(value) is datetime and value.tzinfo is UTC:  # what decode gives
        return value
    if isinstance(value, datetime):
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, str) and value:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    raise InvalidRowError("no TimeGenerated")


def _text(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if type(value) is str:  # what JSON gives: the common case, kept fast
        return value
    return str(value).strip() or None


def _count(value: Any, most: int = MAX_TOKENS_PER_CALL) -> int | None:
    """A token count: an int, or its text; negative or absurd (above ``most``) values are
    missing."""
    if type(value) is int:
        return value if 0 <= value <= most else None
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        number = int(float(value))
    except (TypeError, ValueError):
        return None
    return number if 0 <= number <= most else None


def _total(value: Any) -> int:
    """An hour's sum of counts (a rollup row's): no call's limit applies; missing is 0."""
    return _count(value, MAX_ROLLUP_TOTAL) or 0


def _float(value: Any) -> float | None:
    try:
        return None if value is None or value == "" else float(value)
    except (TypeError, ValueError):
        return None


def normalize_metrics(rows: list[dict[str, Any]]) -> list[tuple[str, datetime, str, float]]:
    """AzureMetrics rows -> (resource lower case, minute, metric, total)."""
    out = []
    for row in rows:
        resource, metric = _text(row.get("Resource")), _text(row.get("MetricName"))
        total = _float(row.get("Total"))
        if resource is None or metric is None or total is None:
            continue
        out.append((resource.lower(), _utc(row.get("TimeGenerated")), metric, total))
    return out


def normalize_rollups(rows: list[dict[str, Any]], source: str) -> list[dict[str, Any]]:
    """Rollup rows -> usage_rollups rows."""
    out = []
    for row in rows:
        out.append(
            {
                "source": source,
                "hour": _utc(row.get("Hour")),
                "deployment": _text(row.get("DeploymentName")) or "unknown",
                "model": _text(row.get("ModelName")),
                "endpoint": None,
                "region": None,
                "tenant_id": _text(row.get("TenantId")),
                "apim_subscription": _text(row.get("ApimSubscriptionId")),
                "status": "error" if _text(row.get("Status")) == "error" else "ok",
                "requests": _total(row.get("Requests")),
                "input_tokens": _total(row.get("PromptTokens")),
                "cached_input_tokens": _total(row.get("CachedTokens")),
                "output_tokens": _total(row.get("CompletionTokens")),
                "reasoning_tokens": _total(row.get("ReasoningTokens")),
                "cache_write_tokens": _total(row.get("CacheWriteTokens")),
            }
        )
    return out
