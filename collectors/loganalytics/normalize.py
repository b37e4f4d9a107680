"""Log Analytics rows (dicts from ``decode.py``) -> canonical rows. Pure: no I/O.

- ``app_insights``: an ``AppDependencies`` GenAI span as azure-monitor-opentelemetry wrote
  it. ``Properties`` holds the span attributes as strings (``"812"``, ``"True"``, tuples as
  Python reprs ``"('stop',)"``); ``error.type`` and ``server.address`` were dropped by the
  exporter. ``call_id`` is trace id + span id, as for the same span received over OTLP.
- ``apim``: the API Management GenAI gateway log joined to its gateway log; the
  subscription is ``apim_subscription`` (a tenant rule kind), ``call_id`` ``apim:`` +
  CorrelationId, and the backend's ``apim-request-id`` (when headers are logged) the
  ``request_id`` that joins the call other sources saw.
- ``azure_diagnostics``: the Azure OpenAI resource's RequestResponse log; its CorrelationId
  is the ``apim-request-id`` header the caller got, so it is the ``request_id``.
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Callable
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, Final
from urllib.parse import urlsplit

from collectors.otlp import attributes as attr
from collectors.rows import (
    DEPLOYMENT_FROM_ATTRIBUTE,
    DEPLOYMENT_FROM_LOG,
    DEPLOYMENT_FROM_REQUEST_MODEL,
    DEPLOYMENT_UNKNOWN,
    CallRow,
)

# Azure OpenAI REST operation ids (AzureDiagnostics/APIM OperationName) -> operation.
OPERATION_IDS: Final = {
    "chatcompletions_create": "chat",
    "completions_create": "text_completion",
    "embeddings_create": "embeddings",
    "imagegenerations_create": "images",
    "responses_create": "responses",
}
_API_VERSION: Final = re.compile(r"(\d{4}-\d{2}-\d{2}(?:-preview)?)")
MAX_TOKENS_PER_CALL: Final = 100_000_000


# The normalisers pass CallRow's fields in order, each named in a comment: matching 33
# keyword arguments would cost a row more than everything else it takes.


class InvalidRowError(ValueError):
    """A row that cannot be a call (no time or no id); counted and skipped, never stored."""


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


def _count(value: Any) -> int | None:
    """A token count: an int, or its text; negative or absurd values are missing."""
    if type(value) is int:
        return value if 0 <= value <= MAX_TOKENS_PER_CALL else None
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        number = int(float(value))
    except (TypeError, ValueError):
        return None
    return number if 0 <= number <= MAX_TOKENS_PER_CALL else None


def _float(value: Any) -> float | None:
    try:
        return None if value is None or value == "" else float(value)
    except (TypeError, ValueError):
        return None


def _status_code(value: Any) -> int | None:
    number = _count(value)
    return number if number is not None and 100 <= number <= 599 else None


def operation_of(operation_name: Any) -> str:
    """``ChatCompletions_Create`` -> ``chat``; an unknown name in lower case."""
    name = (_text(operation_name) or "").lower()
    return OPERATION_IDS.get(name, name or attr.UNKNOWN_OPERATION)


def finish_reasons(value: Any) -> list[str]:
    """``"('stop',)"`` (a Python tuple repr), ``'["stop"]'`` or ``"stop"`` -> ``["stop"]``."""
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value]
    text = _text(value)
    if text is None:
        return []
    if text[0] in "([":
        try:
            parsed = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            return [text]
        if isinstance(parsed, (list, tuple)):
            return [str(v) for v in parsed]
    return [text]


def _first(props: dict[str, Any], names: tuple[str, ...]) -> Any:
    for name in names:
        if props.get(name) not in (None, ""):
            return props[name]
    return None


def normalize_app_insights(row: dict[str, Any], source: str) -> CallRow:
    props = row.get("Properties")
    props = props if isinstance(props, dict) else {}
    trace_id = (_text(row.get("OperationId")) or "").lower()
    span_id = (_text(row.get("Id")) or "").lower()
    if not trace_id or not span_id:
        raise InvalidRowError("no OperationId or Id")
    deployment = _text(props.get(attr.AZURE_DEPLOYMENT))
    request_model = _text(props.get(attr.REQUEST_MODEL))
    how = DEPLOYMENT_FROM_ATTRIBUTE if deployment else DEPLOYMENT_FROM_REQUEST_MODEL
    if deployment is None:
        deployment = request_model
    success = row.get("Success")
    failed = success is False or str(success).lower() == "false"
    result_code = _status_code(row.get("ResultCode"))
    reasons = finish_reasons(props.get(attr.FINISH_REASONS))
    operation = _text(props.get(attr.OPERATION_NAME)) or ""
    extra = {k: v for k, v in props.items() if k not in attr.MAPPED}
    extra["span.name"] = row.get("Name")
    extra["dependency.type"] = row.get("DependencyType")
    target = _text(row.get("Target"))
    return CallRow(  # fields in order (see the note above InvalidRowError)
        trace_id + span_id,  # call_id
        source,  # source
        trace_id,  # trace_id
        span_id,  # span_id
        _utc(row.get("TimeGenerated")),  # start_time
        _float(row.get("DurationMs")),  # duration_ms
        _seconds_as_ms(props.get(attr.TIME_TO_FIRST_CHUNK)),  # ttft_ms
        attr.OPERATIONS.get(operation, operation or attr.UNKNOWN_OPERATION),  # operation
        target if target and "." in target else None,  # endpoint
        _text(props.get(attr.AZURE_REGION)),  # region
        deployment or "unknown",  # deployment
        how if deployment else DEPLOYMENT_UNKNOWN,  # deployment_source
        _text(props.get(attr.RESPONSE_MODEL)),  # model
        request_model,  # request_model
        _text(props.get(attr.PROVIDER_NAME)) or _text(props.get(attr.SYSTEM)),  # provider
        _text(props.get(attr.AZURE_API_VERSION)),  # api_version
        _text(props.get(attr.AZURE_DEPLOYMENT_TYPE)),  # deployment_type
        _text(props.get(attr.TENANT_ID)),  # tenant_id
        _text(_first(props, attr.END_USER)),  # end_user
        _text(row.get("AppRoleName")),  # service
        "error" if failed else "ok",  # status
        result_code or (None if failed else 200),  # http_status
        None,  # error_type
        _count(_first(props, attr.INPUT_TOKENS)),  # input_tokens
        _count(_first(props, attr.CACHED_INPUT_TOKENS)),  # cached_input_tokens
        _count(_first(props, attr.OUTPUT_TOKENS)),  # output_tokens
        _count(_first(props, attr.REASONING_TOKENS)),  # reasoning_tokens
        reasons[0] if reasons else None,  # finish_reason
        "none",  # filter_action
        _text(props.get(attr.RESPONSE_ID)),  # response_id
        extra,  # attributes
        _text(props.get(attr.APIM_SUBSCRIPTION)),  # apim_subscription
        _text(props.get(attr.AZURE_REQUEST_ID)),  # request_id
    )


def _seconds_as_ms(value: Any) -> float | None:
    seconds = _float(value)
    return None if seconds is None else seconds * 1000.0


@lru_cache(maxsize=1024)
def _host(url: str | None) -> str | None:
    return urlsplit(url).hostname if url else None


_APIM_EXTRA: Final = (
    ("ProductId", "apim.product_id"),
    ("ApiId", "apim.api_id"),
    ("CallerIpAddress", "apim.caller_ip"),
    ("Region", "apim.region"),
)


def normalize_apim(row: dict[str, Any], source: str) -> CallRow:
    get = row.get
    correlation = _text(get("CorrelationId"))
    if correlation is None:
        raise InvalidRowError("no CorrelationId")
    deployment = _text(get("DeploymentName"))
    status = _status_code(get("ResponseCode"))
    error = _text(get("LastErrorReason"))
    failed = (status is not None and status >= 400) or error is not None
    extra: dict[str, Any] = {}  # the CorrelationId is in call_id
    for column, key in _APIM_EXTRA:
        value = get(column)
        if value:
            extra[key] = value
    if get("IsStreamCompletion"):
        extra["stream"] = True
    return CallRow(  # fields in order (see the note above InvalidRowError)
        f"apim:{correlation}",  # call_id
        source,  # source
        None,  # trace_id
        None,  # span_id
        _utc(row.get("TimeGenerated")),  # start_time
        _float(row.get("TotalTime")),  # duration_ms
        None,  # ttft_ms
        operation_of(row.get("OperationName")),  # operation
        _host(_text(get("BackendUrl"))),  # endpoint
        None,  # region; Region is the gateway's, not the Azure OpenAI resource's
        deployment or "unknown",  # deployment
        DEPLOYMENT_FROM_LOG if deployment else DEPLOYMENT_UNKNOWN,  # deployment_source
        _text(row.get("ModelName")),  # model
        None,  # request_model
        "azure.ai.openai",  # provider
        _text(row.get("ApiVersion")),  # api_version
        None,  # deployment_type
        None,  # tenant_id
        None,  # end_user
        None,  # service
        "error" if failed else "ok",  # status
        status,  # http_status
        error,  # error_type
        _count(row.get("PromptTokens")),  # input_tokens
        None,  # cached_input_tokens
        _count(row.get("CompletionTokens")),  # output_tokens
        None,  # reasoning_tokens
        None,  # finish_reason
        "none",  # filter_action
        _text(row.get("LlmRequestId")),  # response_id
        extra,  # attributes
        _text(row.get("ApimSubscriptionId")),  # apim_subscription
        _text(row.get("BackendRequestId")),  # request_id
    )


def normalize_azure_diagnostics(row: dict[str, Any], source: str) -> CallRow:
    correlation = _text(row.get("CorrelationId"))
    if correlation is None:
        raise InvalidRowError("no CorrelationId")
    props = row.get("properties_s")
    if isinstance(props, str):  # properties_s is a string column holding JSON
        try:
            props = json.loads(props)
        except ValueError:
            props = {}
    props = props if isinstance(props, dict) else {}
    deployment = _text(props.get("modelDeploymentName"))
    name, version = _text(props.get("modelName")), _text(props.get("modelVersion"))
    status = _status_code(row.get("ResultSignature"))
    api = _API_VERSION.search(_text(props.get("apiName")) or "")
    resource = _text(row.get("Resource"))
    return CallRow(  # fields in order (see the note above InvalidRowError)
        f"diag:{correlation}",  # call_id
        source,  # source
        None,  # trace_id
        None,  # span_id
        _utc(row.get("TimeGenerated")),  # start_time
        _float(row.get("DurationMs")),  # duration_ms
        None,  # ttft_ms
        operation_of(row.get("OperationName")),  # operation
        resource.lower() if resource else None,  # endpoint
        None,  # region
        deployment or "unknown",  # deployment
        DEPLOYMENT_FROM_LOG if deployment else DEPLOYMENT_UNKNOWN,  # deployment_source
        f"{name}-{version}" if name and version else name,  # model
        None,  # request_model
        "azure.ai.openai",  # provider
        api.group(1) if api else None,  # api_version
        None,  # deployment_type
        None,  # tenant_id
        None,  # end_user
        None,  # service
        "error" if status is not None and status >= 400 else "ok",  # status
        status,  # http_status
        None,  # error_type
        _count(props.get("promptTokens")),  # input_tokens
        None,  # cached_input_tokens
        _count(props.get("completionTokens")),  # output_tokens
        None,  # reasoning_tokens
        None,  # finish_reason
        "none",  # filter_action
        None,  # response_id
        {
            k: v
            for k, v in {
                "stream_type": _text(props.get("streamType")),
                "caller_ip": _text(row.get("CallerIPAddress")),
                "resource": resource,
            }.items()
            if v is not None
        },  # attributes
        None,  # apim_subscription
        correlation,  # request_id
    )


NORMALIZERS: Final[dict[str, Callable[[dict[str, Any], str], CallRow]]] = {
    "app_insights": normalize_app_insights,
    "apim": normalize_apim,
    "azure_diagnostics": normalize_azure_diagnostics,
}


def normalize_calls(
    name: str, rows: list[dict[str, Any]], source: str
) -> tuple[list[CallRow], int]:
    """Rows of source ``name`` as calls; rows that cannot be calls are counted, not raised."""
    normalize = NORMALIZERS[name]
    calls: list[CallRow] = []
    bad = 0
    for row in rows:
        try:
            calls.append(normalize(row, source))
        except (InvalidRowError, ValueError):
            bad += 1
    return calls, bad


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
                "requests": _count(row.get("Requests")) or 0,
                "input_tokens": _count(row.get("PromptTokens")) or 0,
                "cached_input_tokens": 0,
                "output_tokens": _count(row.get("CompletionTokens")) or 0,
                "reasoning_tokens": 0,
            }
        )
    return out
