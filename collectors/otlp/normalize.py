"""OTLP spans -> canonical ``CallRow``s and ``FilterResultRow``s.

Pure: an ``ExportTraceServiceRequest`` in, a ``NormalizedBatch`` out. One row per GenAI
*model call* span; every other span is rejected, counted and given a short reason (OTLP
``partialSuccess.rejectedSpans``). A model-call span with impossible token counts raises
``InvalidSpanError`` and the whole request is refused. ``docs/attributes.md`` lists every
attribute read, the column it fills and the rules: deployment from ``azure.openai.deployment``,
else a ``/openai/deployments/{name}/`` URL on the span or on its child HTTP span, else
``gen_ai.request.model``; ``http_status`` derived from openai exception names, and 200 for a
call that reports no error; ``region`` only from ``azure.openai.region`` (the resource's
``cloud.region`` is where the caller runs).
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import InstrumentationScope
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status

from collectors import content_filter
from collectors.credentials import mask_credentials
from collectors.limits import MAX_INDEX, bounded_attributes, plausible_start
from collectors.otlp import attributes as attr
from collectors.otlp.decode import hex_id
from collectors.rows import (
    DEPLOYMENT_FROM_ATTRIBUTE,
    DEPLOYMENT_FROM_REQUEST_MODEL,
    DEPLOYMENT_FROM_URL,
    DEPLOYMENT_UNKNOWN,
    CallRow,
    FilterResultRow,
    NormalizedBatch,
)

MAX_TOKENS_PER_CALL: Final = 100_000_000

_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_NO_OPERATION: Final = "no gen_ai.operation.name"
_NO_START: Final = "no startTimeUnixNano"
_IMPLAUSIBLE_START: Final = "startTimeUnixNano before 2020 or more than a day ahead"
_MAX_TTFT_S: Final = 86_400.0
_OTHER_OPERATION: Final = "other gen_ai.operation.name"
# OpenLLMetry numbers choices from 0: without a choice-0 key there are no per-choice keys.
_FIRST_CHOICE_FILTER: Final = f"{attr.COMPLETION_PREFIX}0.{attr.COMPLETION_FILTER_FIELD}"
_FIRST_CHOICE_FINISH: Final = f"{attr.COMPLETION_PREFIX}0.{attr.COMPLETION_FINISH_FIELD}"


class InvalidSpanError(ValueError):
    """A model-call span whose numbers cannot be true; the request is refused with 400."""


@dataclass(slots=True)
class _HttpChild:
    """The HTTP client span under a model-call span (the last attempt wins)."""

    start: int
    url: attr.UrlFacts
    endpoint: str | None
    http_status: int | None


@dataclass(slots=True)
class _ModelCall:
    span: Span
    attrs: dict[str, Any]
    operation: str
    resource: dict[str, Any]
    scope: InstrumentationScope
    path: tuple[int, int, int]


def normalize_export_request(
    request: ExportTraceServiceRequest, *, source: str = "otlp"
) -> NormalizedBatch:
    """Every GenAI model-call span of ``request`` as rows; the rest counted as rejected."""
    model_calls: list[_ModelCall] = []
    children: dict[tuple[bytes, bytes], _HttpChild] = {}
    rejected: Counter[str] = Counter()
    other_operations: set[str] = set()
    now = datetime.now(UTC)
    for r, resource_spans in enumerate(request.resource_spans):
        resource = attr.attribute_dict(resource_spans.resource.attributes)
        for s, scope_spans in enumerate(resource_spans.scope_spans):
            for i, span in enumerate(scope_spans.spans):
                attrs = attr.attribute_dict(span.attributes)
                operation, other_operation = _classify(attrs, span.name)
                if operation is not None and span.start_time_unix_nano:
                    if not plausible_start(_start_time(span), now):
                        rejected[_IMPLAUSIBLE_START] += 1
                        continue
                    model_calls.append(
                        _ModelCall(span, attrs, operation, resource, scope_spans.scope, (r, s, i))
                    )
                    continue
                if operation is not None:
                    rejected[_NO_START] += 1
                elif other_operation is None:
                    rejected[_NO_OPERATION] += 1
                    _remember_http_child(span, attrs, children)
                else:
                    rejected[_OTHER_OPERATION] += 1
                    other_operations.add(other_operation[:40])
    calls: list[CallRow] = []
    filter_results: list[FilterResultRow] = []
    seen: set[tuple[bytes, bytes]] = set()
    for call in model_calls:
        key = (call.span.trace_id, call.span.span_id)
        if key in seen:
            continue  # the same span twice in one request is one call
        seen.add(key)
        child = children.get(key)
        row, rows = _call_row(call, child, source)
        calls.append(row)
        filter_results.extend(rows)
    return NormalizedBatch(
        calls=calls,
        filter_results=filter_results,
        rejected=sum(rejected.values()),
        rejection_reasons=_rejection_reasons(rejected, other_operations),
    )


def _classify(attrs: dict[str, Any], span_name: str) -> tuple[str | None, str | None]:
    """(operation, None) for a model call; (None, other operation name or None) otherwise.

    Without ``gen_ai.operation.name`` (semantic conventions <= 1.26, OpenLLMetry) a span with
    a provider and a request model is a model call; its operation comes from OpenLLMetry's
    ``llm.request.type`` or the span name (``chat gpt-4o``, ``openai.chat``).
    """
    name = attrs.get(attr.OPERATION_NAME)
    if isinstance(name, str) and name:
        operation = attr.OPERATIONS.get(name.lower())
        return (operation, None) if operation is not None else (None, name)
    provider = attrs.get(attr.PROVIDER_NAME) or attrs.get(attr.SYSTEM)
    model = attrs.get(attr.REQUEST_MODEL)
    if not (isinstance(provider, str) and provider and isinstance(model, str) and model):
        return None, None
    request_type = attrs.get(attr.TRACELOOP_REQUEST_TYPE)
    if isinstance(request_type, str) and request_type:
        return attr.OPERATIONS.get(request_type.lower(), request_type.lower()), None
    first_word = span_name.partition(" ")[0].rpartition(".")[2].lower()
    return attr.OPERATIONS.get(first_word, attr.UNKNOWN_OPERATION), None


def _rejection_reasons(rejected: Counter[str], other_operations: set[str]) -> list[str]:
    reasons: list[str] = []
    if count := rejected[_NO_OPERATION]:
        what = "not a GenAI model call" if count == 1 else "not GenAI model calls"
        reasons.append(f"{_spans(count)} {what} ({_NO_OPERATION})")
    if count := rejected[_OTHER_OPERATION]:
        what = "a GenAI operation" if count == 1 else "GenAI operations"
        names = ", ".join(sorted(other_operations)[:5])
        more = ", ..." if len(other_operations) > 5 else ""
        reasons.append(f"{_spans(count)} {what} other than model calls ({names}{more})")
    if count := rejected[_NO_START]:
        what = "a model call" if count == 1 else "model calls"
        reasons.append(f"{_spans(count)} {what} without a start time ({_NO_START})")
    if count := rejected[_IMPLAUSIBLE_START]:
        what = "a model call" if count == 1 else "model calls"
        reasons.append(f"{_spans(count)} {what} dated implausibly ({_IMPLAUSIBLE_START})")
    return reasons


def _start_time(span: Span) -> datetime:
    return _EPOCH + timedelta(microseconds=span.start_time_unix_nano // 1000)


def _spans(count: int) -> str:
    return "1 span is" if count == 1 else f"{count} spans are"


def _remember_http_child(
    span: Span, attrs: dict[str, Any], children: dict[tuple[bytes, bytes], _HttpChild]
) -> None:
    if not span.parent_span_id:
        return
    url = attr.url(attrs)
    if url is None or attr.DEPLOYMENTS_PATH not in url:
        return
    key = (span.trace_id, span.parent_span_id)
    known = children.get(key)
    if known is not None and known.start > span.start_time_unix_nano:
        return
    children[key] = _HttpChild(
        start=span.start_time_unix_nano,
        url=attr.parse_url(url),
        endpoint=attr.text(attrs, attr.SERVER_ADDRESS),
        http_status=attr.http_status(attrs),
    )


def _call_row(
    call: _ModelCall, child: _HttpChild | None, source: str
) -> tuple[CallRow, list[FilterResultRow]]:
    span, attrs = call.span, call.attrs
    trace_id, span_id = hex_id(span.trace_id), hex_id(span.span_id)
    call_id = trace_id + span_id
    url_text = attr.url(attrs)
    url = attr.parse_url(url_text) if url_text is not None else None
    child_url = child.url if child is not None else None
    request_model = attr.text(attrs, attr.REQUEST_MODEL)

    deployment, deployment_source = _deployment(attrs, url, child_url, request_model)
    input_tokens, output_tokens, cached, reasoning = _tokens(attrs, call.path)
    finish_reasons, completion_filters = _completions(attrs, call.path)
    blocked, rows = _filter_results(
        attrs, completion_filters, call_id, span.status.message, call.path
    )

    error_type = attr.error_type(attrs)
    explicit_status = attr.http_status(attrs)
    if explicit_status is None and child is not None:
        explicit_status = child.http_status
    failed = (
        error_type is not None
        or span.status.code == Status.STATUS_CODE_ERROR
        or blocked
        or (explicit_status is not None and explicit_status >= 400)
    )
    extra = {key: value for key, value in attrs.items() if key not in attr.MAPPED}
    extra["span.name"] = span.name
    extra["scope.name"] = call.scope.name
    extra["scope.version"] = call.scope.version
    if span.status.message:
        extra["span.status_message"] = span.status.message
    extra["resource"] = dict(call.resource)
    extra = bounded_attributes(mask_credentials(extra))

    row = CallRow(
        call_id=call_id,
        source=source,
        trace_id=trace_id,
        span_id=span_id,
        start_time=_start_time(span),
        duration_ms=_duration_ms(span),
        ttft_ms=_ttft_ms(attrs.get(attr.TIME_TO_FIRST_CHUNK)),
        operation=call.operation,
        endpoint=(
            attr.text(attrs, attr.SERVER_ADDRESS)
            or (url.host if url is not None else None)
            or ((child.endpoint or child.url.host) if child is not None else None)
        ),
        region=attr.text(attrs, attr.AZURE_REGION),
        deployment=deployment,
        deployment_source=deployment_source,
        model=attr.text(attrs, attr.RESPONSE_MODEL),
        request_model=request_model,
        provider=attr.text(attrs, attr.PROVIDER_NAME) or attr.text(attrs, attr.SYSTEM),
        api_version=(
            attr.text(attrs, attr.AZURE_API_VERSION)
            or attr.text(attrs, attr.TRACELOOP_API_VERSION)
            or (url.api_version if url is not None else None)
            or (child_url.api_version if child_url is not None else None)
        ),
        deployment_type=attr.text(attrs, attr.AZURE_DEPLOYMENT_TYPE),
        tenant_id=attr.text(attrs, attr.TENANT_ID) or attr.text(call.resource, attr.TENANT_ID),
        apim_subscription=(
            attr.text(attrs, attr.APIM_SUBSCRIPTION)
            or attr.text(call.resource, attr.APIM_SUBSCRIPTION)
        ),
        end_user=attr.first_text(attrs, attr.END_USER),
        service=attr.text(call.resource, attr.SERVICE_NAME),
        status="error" if failed else "ok",
        http_status=_http_status(explicit_status, error_type, blocked, failed),
        error_type=error_type,
        input_tokens=input_tokens,
        cached_input_tokens=cached,
        output_tokens=output_tokens,
        reasoning_tokens=reasoning,
        finish_reason=finish_reasons[0] if finish_reasons else None,
        filter_action=content_filter.decide_filter_action(rows, finish_reasons, blocked),
        response_id=attr.text(attrs, attr.RESPONSE_ID),
        request_id=attr.text(attrs, attr.AZURE_REQUEST_ID),
        attributes=extra,
    )
    return row, rows


def _deployment(
    attrs: dict[str, Any],
    url: attr.UrlFacts | None,
    child_url: attr.UrlFacts | None,
    request_model: str | None,
) -> tuple[str, str]:
    named = attr.text(attrs, attr.AZURE_DEPLOYMENT)
    if named is not None:
        return named, DEPLOYMENT_FROM_ATTRIBUTE
    if url is not None and url.deployment is not None:
        return url.deployment, DEPLOYMENT_FROM_URL
    if child_url is not None and child_url.deployment is not None:
        return child_url.deployment, DEPLOYMENT_FROM_URL
    if request_model is not None:
        return request_model, DEPLOYMENT_FROM_REQUEST_MODEL
    return DEPLOYMENT_UNKNOWN, DEPLOYMENT_UNKNOWN


def _tokens(
    attrs: dict[str, Any], path: tuple[int, int, int]
) -> tuple[int | None, int | None, int | None, int | None]:
    """(input, output, cached input, reasoning), each checked; raises InvalidSpanError."""
    input_name, input_tokens = _token_count(attrs, attr.INPUT_TOKENS, path)
    output_name, output_tokens = _token_count(attrs, attr.OUTPUT_TOKENS, path)
    cached_name, cached = _token_count(attrs, attr.CACHED_INPUT_TOKENS, path)
    reasoning_name, reasoning = _token_count(attrs, attr.REASONING_TOKENS, path)
    if cached is not None and input_tokens is not None and cached > input_tokens:
        raise InvalidSpanError(
            f"{_where(path)}: {cached_name} = {cached} exceeds {input_name} = {input_tokens}"
        )
    if reasoning is not None and output_tokens is not None and reasoning > output_tokens:
        raise InvalidSpanError(
            f"{_where(path)}: {reasoning_name} = {reasoning} exceeds "
            f"{output_name} = {output_tokens}"
        )
    return input_tokens, output_tokens, cached, reasoning


def _token_count(
    attrs: dict[str, Any], names: tuple[str, ...], path: tuple[int, int, int]
) -> tuple[str, int | None]:
    """The first of ``names`` present, as a plausible count (integral doubles and digit
    strings accepted); raises InvalidSpanError for anything else."""
    for name in names:
        if name not in attrs:
            continue
        value = attrs[name]
        count: int | None = None
        if isinstance(value, int) and not isinstance(value, bool):
            count = value
        elif isinstance(value, float) and value.is_integer():
            count = int(value)
        elif isinstance(value, str) and value.isascii() and value.isdigit():
            count = int(value) if len(value) <= 18 else MAX_TOKENS_PER_CALL + 1
        shown = repr(value)[:60]
        if count is None:
            raise InvalidSpanError(f"{_where(path)}: {name} = {shown} is not an integer count")
        if count < 0 or count > MAX_TOKENS_PER_CALL:
            raise InvalidSpanError(
                f"{_where(path)}: {name} = {shown} is not a plausible token count"
            )
        return name, count
    return names[0], None


def _where(path: tuple[int, int, int]) -> str:
    return f"resourceSpans[{path[0]}].scopeSpans[{path[1]}].spans[{path[2]}]"


def _completions(
    attrs: dict[str, Any], path: tuple[int, int, int]
) -> tuple[list[str], dict[int, Any]]:
    """Finish reasons in choice order, and OpenLLMetry's per-choice filter JSON by index
    (an index no column can hold refuses the span)."""
    reasons = attrs.get(attr.FINISH_REASONS)
    finish_reasons = [r for r in reasons if isinstance(r, str)] if isinstance(reasons, list) else []
    if isinstance(reasons, str) and reasons:
        finish_reasons = [reasons]
    per_choice: dict[int, str] = {}
    filters: dict[int, Any] = {}
    if _FIRST_CHOICE_FILTER not in attrs and _FIRST_CHOICE_FINISH not in attrs:
        return _single_finish_reason(attrs, finish_reasons), filters  # no per-choice keys
    for key, value in attrs.items():
        if not key.startswith(attr.COMPLETION_PREFIX):
            continue
        digits, _, field = key[len(attr.COMPLETION_PREFIX) :].partition(".")
        if not (digits.isascii() and digits.isdigit()):
            continue
        if field not in (attr.COMPLETION_FILTER_FIELD, attr.COMPLETION_FINISH_FIELD):
            continue
        if len(digits) > 10 or int(digits) > MAX_INDEX:
            raise InvalidSpanError(
                f"{_where(path)}: {key[:80]} has a choice index outside 0..{MAX_INDEX}"
            )
        if field == attr.COMPLETION_FILTER_FIELD:
            filters[int(digits)] = value
        elif isinstance(value, str) and value:
            per_choice[int(digits)] = value
    if not finish_reasons and per_choice:
        finish_reasons = [per_choice[index] for index in sorted(per_choice)]
    return _single_finish_reason(attrs, finish_reasons), filters


def _single_finish_reason(attrs: dict[str, Any], finish_reasons: list[str]) -> list[str]:
    if not finish_reasons:
        single = attr.first_text(attrs, attr.SINGLE_FINISH_REASON)
        if single is not None:
            return [single]
    return finish_reasons


def _filter_results(
    attrs: dict[str, Any],
    completion_filters: dict[int, Any],
    call_id: str,
    status_message: str,
    path: tuple[int, int, int],
) -> tuple[bool, list[FilterResultRow]]:
    """(prompt blocked with a 400 content_filter, one row per category verdict)."""
    blocked = attrs.get(attr.AZURE_FILTER_BLOCKED) is True
    groups: list[list[FilterResultRow]] = []
    if status_message:  # the stock OpenAI instrumentation: only the exception text
        in_status, body = content_filter.blocked_prompt_in_status(status_message)
        blocked = blocked or in_status
        if body is not None:  # older openai versions put the whole 400 body in it
            groups.append(content_filter.parse_error_filter_result(body, call_id))
    try:
        for name in (attr.AZURE_PROMPT_FILTER, attr.TRACELOOP_PROMPT_FILTER):
            if name in attrs:
                groups.append(content_filter.parse_prompt_filter_results(attrs[name], call_id))
        name = attr.AZURE_COMPLETION_FILTER
        if name in attrs:
            groups.append(content_filter.parse_completion_filter_results(attrs[name], call_id))
    except content_filter.VerdictIndexError as exc:
        raise InvalidSpanError(f"{_where(path)}: {name}: {exc}") from None
    for index, value in completion_filters.items():
        groups.append(content_filter.parse_choice_filter_results(index, value, call_id))
    for name in (attr.AZURE_FILTER_ERROR, attr.TRACELOOP_PROMPT_ERROR):
        if name in attrs:
            groups.append(content_filter.parse_error_filter_result(attrs[name], call_id))
            blocked = blocked or content_filter.is_content_filter_error(attrs[name])
    if len(groups) < 2:
        return blocked, groups[0] if groups else []
    return blocked, content_filter.merge_filter_rows(*groups)


def _http_status(
    explicit: int | None, error_type: str | None, blocked: bool, failed: bool
) -> int | None:
    if explicit is not None:
        return explicit
    if error_type is not None:
        name = error_type.rpartition(".")[2]
        if len(name) == 3 and name.isascii() and name.isdigit():
            return int(name)  # some producers put the provider's error code, e.g. "429"
        if name in attr.STATUS_OF_ERROR:
            return attr.STATUS_OF_ERROR[name]
    if blocked:
        return 400
    return None if failed else 200


def _duration_ms(span: Span) -> float | None:
    start, end = span.start_time_unix_nano, span.end_time_unix_nano
    if end == 0 or end < start:
        return None
    return (end - start) / 1e6


def _ttft_ms(seconds: Any) -> float | None:
    numeric = isinstance(seconds, int | float) and not isinstance(seconds, bool)
    if numeric and math.isfinite(seconds) and 0 <= seconds <= _MAX_TTFT_S:
        return float(seconds) * 1000.0
    return None
