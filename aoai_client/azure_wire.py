"""What the Azure OpenAI wire says about a call, as span attributes (pure: no I/O, no OTel).

``opentelemetry-instrumentation-openai-v2`` records the OpenAI view of a call; Azure adds
what this module reads: the deployment and api-version in the URL, the serving region and
request id in the headers, rate-limit headers, content-filter verdicts in the bodies (and in
a 400 ``content_filter`` error), cached and reasoning tokens in ``usage``. Every name is
documented in ``docs/attributes.md``. Nothing here raises on a strange answer: what cannot
be read is listed in ``azure.openai.telemetry.unread`` instead. The wire's names (headers,
keys and their spellings) are ``azure_openai_wire``'s, the module the simulator writes with.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any, Final
from urllib.parse import parse_qs, urlsplit

from aoai_client import sse
from azure_openai_wire import headers as wire_headers
from azure_openai_wire.bodies import CACHE_WRITE_TOKENS as CACHE_WRITE_DETAIL
from azure_openai_wire.bodies import CACHED_TOKENS as CACHED_DETAIL
from azure_openai_wire.bodies import REASONING_TOKENS as REASONING_DETAIL
from azure_openai_wire.bodies import SERVICE_TIER
from azure_openai_wire.content_filter import (
    CONTENT_FILTER,
    CONTENT_FILTER_RESULTS,
    PROMPT_FILTER_KEYS,
    SEVERITIES,
)
from azure_openai_wire.sse import DONE

DEPLOYMENT: Final = "azure.openai.deployment"
API_VERSION: Final = "azure.openai.api_version"
REGION: Final = "azure.openai.region"
DEPLOYMENT_TYPE: Final = "azure.openai.deployment_type"
REQUEST_ID: Final = "azure.openai.request_id"
PROMPT_FILTER: Final = "azure.openai.prompt_filter_results"
COMPLETION_FILTER: Final = "azure.openai.completion_filter_results"
FILTER_BLOCKED: Final = "azure.openai.content_filter.blocked"
FILTER_ERROR: Final = "azure.openai.content_filter.error"
REMAINING_TOKENS: Final = "azure.openai.ratelimit.remaining_tokens"
REMAINING_REQUESTS: Final = "azure.openai.ratelimit.remaining_requests"
RETRY_AFTER_MS: Final = "azure.openai.retry_after_ms"
SIMULATED: Final = "azure.openai.simulated"
ATTEMPTS: Final = "azure.openai.attempts"
FAILOVER_FROM: Final = "azure.openai.failover_from"
FAILOVER_FROM_SKIPPED: Final = "azure.openai.failover_from_skipped"
ATTEMPT_ENDPOINTS: Final = "azure.openai.attempt.endpoint"
ATTEMPT_STATUSES: Final = "azure.openai.attempt.status"
ATTEMPT_OUTCOMES: Final = "azure.openai.attempt.outcome"
ATTEMPT_RETRY_AFTER_MS: Final = "azure.openai.attempt.retry_after_ms"
ATTEMPT_DURATIONS_MS: Final = "azure.openai.attempt.duration_ms"
ATTEMPT_REGIONS: Final = "azure.openai.attempt.region"
REQUEST_SERVICE_TIER: Final = "openai.request.service_tier"  # OTel GenAI semconv
RESPONSE_SERVICE_TIER: Final = "openai.response.service_tier"  # OTel GenAI semconv
UNREAD: Final = "azure.openai.telemetry.unread"
TELEMETRY_ERROR: Final = "azure.openai.telemetry.error"
PROMPT_PREFIX_HASH: Final = "azure.openai.prompt_prefix_hash"
TENANT_ID: Final = "tenant.id"
END_USER: Final = "enduser.id"
SERVER_ADDRESS: Final = "server.address"
SERVER_PORT: Final = "server.port"
HTTP_STATUS: Final = "http.response.status_code"
CACHED_INPUT_TOKENS: Final = "gen_ai.usage.cache_read.input_tokens"
CACHE_WRITE_TOKENS: Final = "gen_ai.usage.cache_creation.input_tokens"
REASONING_TOKENS: Final = "gen_ai.usage.reasoning.output_tokens"
INPUT_TOKENS: Final = "gen_ai.usage.input_tokens"
OUTPUT_TOKENS: Final = "gen_ai.usage.output_tokens"
TIME_TO_FIRST_CHUNK: Final = "gen_ai.response.time_to_first_chunk"
FINISH_REASONS: Final = "gen_ai.response.finish_reasons"

_DEPLOYMENT_PATH: Final = re.compile(r"/openai/deployments/([^/]+)/")
_SEVERITY_RANK: Final = {severity: rank for rank, severity in enumerate(SEVERITIES)}

Attributes = dict[str, Any]


def request_attributes(
    url: str,
    body: bytes,
    deployment_types: Mapping[str, str],
    tenant_id: str | None,
    end_user: str | None,
) -> Attributes:
    """Deployment, api-version, server, deployment type, tenant and end user of a request."""
    parts = urlsplit(url)
    attrs: Attributes = {}
    if parts.hostname:
        attrs[SERVER_ADDRESS] = parts.hostname
        if parts.port and parts.port != 443:
            attrs[SERVER_PORT] = parts.port
    match = _DEPLOYMENT_PATH.search(parts.path + "/")
    deployment = match.group(1) if match else None
    if deployment is None and body:  # the v1 API names the deployment in "model"
        model = _json(body).get("model")
        deployment = model if isinstance(model, str) else None
    if deployment:
        attrs[DEPLOYMENT] = deployment
        if deployment in deployment_types:
            attrs[DEPLOYMENT_TYPE] = deployment_types[deployment]
    version = parse_qs(parts.query).get("api-version")
    if version:
        attrs[API_VERSION] = version[0]
    if tenant_id:
        attrs[TENANT_ID] = tenant_id
    tier = _json(body).get(SERVICE_TIER) if body else None
    if isinstance(tier, str) and tier:
        attrs[REQUEST_SERVICE_TIER] = tier
    user = (end_user or _json(body).get("user")) if body else end_user
    if isinstance(user, str) and user:
        attrs[END_USER] = user
    return attrs


def asks_for_stream(body: bytes) -> bool:
    """The request body asks for a streamed answer (``"stream": true``)."""
    return bool(body) and _json(body).get("stream") is True


def untyped_stream_note(content_type: str) -> str:
    """The ``unread`` note of a stream sent without ``Content-Type: text/event-stream``."""
    sent = f"as {content_type}" if content_type else "with no Content-Type"
    return f"content-type: the stream was sent {sent}, not text/event-stream"


def header_attributes(status: int, headers: Mapping[str, str]) -> Attributes:
    """Region, request id, rate-limit state and retry-after of an answer."""
    attrs: Attributes = {HTTP_STATUS: status}
    for header, name in ((wire_headers.REGION, REGION), (wire_headers.APIM_REQUEST_ID, REQUEST_ID)):
        if headers.get(header):
            attrs[name] = headers[header]
    if REQUEST_ID not in attrs and headers.get(wire_headers.REQUEST_ID):
        attrs[REQUEST_ID] = headers[wire_headers.REQUEST_ID]
    for header, name in (
        (wire_headers.REMAINING_TOKENS, REMAINING_TOKENS),
        (wire_headers.REMAINING_REQUESTS, REMAINING_REQUESTS),
    ):
        value = _int(headers.get(header))
        if value is not None:
            attrs[name] = value
    retry_ms = retry_after_ms(headers)
    if retry_ms is not None:
        attrs[RETRY_AFTER_MS] = retry_ms
    if headers.get(wire_headers.SIMULATED):
        attrs[SIMULATED] = True
    return attrs


def retry_after_ms(headers: Mapping[str, str]) -> int | None:
    """How long the answer asks the client to wait: ``retry-after-ms`` (or
    ``x-ms-retry-after-ms``), else ``retry-after`` in seconds; None when it says nothing."""
    retry_ms = _int(headers.get(wire_headers.RETRY_AFTER_MS))
    retry_ms = retry_ms or _int(headers.get(wire_headers.MS_RETRY_AFTER_MS))
    seconds = _number(headers.get(wire_headers.RETRY_AFTER))
    if retry_ms is None and seconds is not None:
        retry_ms = round(seconds * 1000)
    return retry_ms


def body_attributes(status: int, body: bytes) -> tuple[Attributes, list[str]]:
    """Verdicts and token details of a whole (non-streamed) JSON answer, and what was unread."""
    document = _json(body)
    if not document:
        return {}, [f"body: the HTTP {status} answer is not a JSON object"]
    if status >= 400:
        return error_attributes(document), []
    attrs: Attributes = {}
    unread: list[str] = []
    prompt_filter = _prompt_filter(document)
    if isinstance(prompt_filter, list):
        attrs[PROMPT_FILTER] = _dumps(prompt_filter)
    choices = document.get("choices")
    if isinstance(choices, list):
        verdicts = [
            {"index": c.get("index", i), CONTENT_FILTER_RESULTS: c[CONTENT_FILTER_RESULTS]}
            for i, c in enumerate(choices)
            if isinstance(c, dict) and isinstance(c.get(CONTENT_FILTER_RESULTS), dict)
        ]
        if verdicts:
            attrs[COMPLETION_FILTER] = _dumps(verdicts)
    tier = document.get(SERVICE_TIER)
    if isinstance(tier, str) and tier:
        attrs[RESPONSE_SERVICE_TIER] = tier
    if isinstance(document.get("usage"), dict):
        attrs.update(usage_details(document["usage"]))
    elif "data" not in document:  # embeddings answers have usage too; say when it is missing
        unread.append("usage: the answer has no usage object")
    return attrs, unread


def error_attributes(document: Mapping[str, Any]) -> Attributes:
    """A 4xx/5xx body: a ``content_filter`` error blocks the prompt and keeps its verdicts."""
    error = document.get("error")
    if not isinstance(error, dict) or error.get("code") != CONTENT_FILTER:
        return {}
    return {FILTER_BLOCKED: True, FILTER_ERROR: _dumps(error)}


def usage_details(usage: Mapping[str, Any]) -> Attributes:
    """Cached, cache-write and reasoning tokens (subsets of prompt and completion tokens)."""
    attrs: Attributes = {}
    for (details, key), name in (
        (CACHED_DETAIL, CACHED_INPUT_TOKENS),
        (CACHE_WRITE_DETAIL, CACHE_WRITE_TOKENS),
        (REASONING_DETAIL, REASONING_TOKENS),
    ):
        block = usage.get(details)
        value = block.get(key) if isinstance(block, dict) else None
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            attrs[name] = value
    return attrs


class StreamReader:
    """Reads a chat stream event by event and says what the span should record.

    Tolerant of what Azure and look-alikes send: the empty-id first event with
    ``prompt_filter_results`` (or ``prompt_annotations``), annotation-only chunks, ``index``
    or ``finish_reason`` inside ``delta``, unknown fields, no usage event, and a ``[DONE]``
    without ``data:``. What is not as Azure sends it is named in ``unread``.
    """

    def __init__(self) -> None:
        self.prompt_filter: list[Any] | None = None
        self.choice_filters: dict[int, dict[str, Any]] = {}
        self.finish_reasons: dict[int, str] = {}
        self.usage: dict[str, Any] | None = None
        self.service_tier: str | None = None
        self.first_content_at: float | None = None
        self.events = 0
        self.bad_events = 0
        self.misplaced: set[str] = set()  # fields found inside delta instead of the choice
        self.unindexed = 0  # choices with no index anywhere
        self.done = False
        self.decoder = sse.EventDecoder()

    def feed_bytes(self, chunk: bytes, at: float) -> None:
        """Bytes of the answer received at monotonic time ``at``, split into SSE events as
        the ``openai`` client splits them; nothing after ``data: [DONE]`` is read (nor by
        the client)."""
        for event in self.decoder.feed(chunk):
            if self.done:
                return
            self.feed(event.data, at)

    def feed(self, data: str, at: float) -> None:
        """One SSE ``data:`` payload received at monotonic time ``at``."""
        if data.startswith(DONE):  # as the openai client tests it
            self.done = True
            return
        try:
            event = json.loads(data)
        except ValueError:
            self.bad_events += 1
            return
        if not isinstance(event, dict):
            self.bad_events += 1
            return
        self.events += 1
        prompt_filter = _prompt_filter(event)
        if isinstance(prompt_filter, list):
            self.prompt_filter = prompt_filter
        if isinstance(event.get("usage"), dict):
            self.usage = event["usage"]
        tier = event.get(SERVICE_TIER)
        if isinstance(tier, str) and tier:
            self.service_tier = tier
        choices = event.get("choices")
        for position, choice in enumerate(choices if isinstance(choices, list) else ()):
            if isinstance(choice, dict):
                self._choice(choice, position, at)

    def _choice(self, choice: dict[str, Any], position: int, at: float) -> None:
        raw_delta = choice.get("delta")
        delta: dict[str, Any] = raw_delta if isinstance(raw_delta, dict) else {}
        index = self._index(choice, delta, position)
        if self.first_content_at is None and (delta.get("content") or delta.get("tool_calls")):
            self.first_content_at = at
        finish = choice.get("finish_reason")
        if not isinstance(finish, str) and isinstance(delta.get("finish_reason"), str):
            finish = delta["finish_reason"]
            self.misplaced.add("finish_reason")
        if isinstance(finish, str):
            self.finish_reasons[index] = finish
        results = choice.get(CONTENT_FILTER_RESULTS)
        if isinstance(results, dict) and results and "error" not in results:
            merged = self.choice_filters.setdefault(index, {})
            for category, verdict in results.items():
                if _stronger(verdict, merged.get(category)):
                    merged[category] = verdict

    def _index(self, choice: dict[str, Any], delta: dict[str, Any], position: int) -> int:
        for where, value in (("choice", choice.get("index")), ("delta", delta.get("index"))):
            if isinstance(value, int) and not isinstance(value, bool):
                if where == "delta":
                    self.misplaced.add("index")
                return value
        self.unindexed += 1
        return position

    def attributes(self, started_at: float) -> tuple[Attributes, list[str]]:
        attrs: Attributes = {}
        if self.prompt_filter is not None:
            attrs[PROMPT_FILTER] = _dumps(self.prompt_filter)
        if self.choice_filters:
            attrs[COMPLETION_FILTER] = _dumps(
                [{"index": i, CONTENT_FILTER_RESULTS: r} for i, r in self.choice_filters.items()]
            )
        if self.finish_reasons:
            attrs[FINISH_REASONS] = [self.finish_reasons[i] for i in sorted(self.finish_reasons)]
        if self.service_tier is not None:
            attrs[RESPONSE_SERVICE_TIER] = self.service_tier
        if self.first_content_at is not None:
            attrs[TIME_TO_FIRST_CHUNK] = max(self.first_content_at - started_at, 0.0)
        if self.usage is not None:
            for key, name in (
                ("prompt_tokens", INPUT_TOKENS),
                ("completion_tokens", OUTPUT_TOKENS),
            ):
                value = self.usage.get(key)
                if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
                    attrs[name] = value
            attrs.update(usage_details(self.usage))
        return attrs, self.unread()

    def unread(self) -> list[str]:
        """What the stream did not say as Azure says it, one note per oddity."""
        notes: list[str] = []
        if self.usage is None:
            notes.append(
                "usage: the stream sent no usage event (request "
                "stream_options={'include_usage': True} to count tokens)"
            )
        if not self.finish_reasons:
            notes.append("finish_reason: no chunk carried one")
        for name in ("index", "finish_reason"):
            if name in self.misplaced:
                notes.append(f"{name}: sent inside delta, not beside it")
        if self.unindexed:
            notes.append(f"index: {self.unindexed} choices had none (their position was used)")
        if self.bad_events:
            notes.append(f"events: {self.bad_events} stream events were not JSON objects")
        if not self.done and self.decoder.bare_done:
            notes.append("end: [DONE] was sent without data: (the client reads on to the end)")
        elif not self.done:
            notes.append("end: the stream ended without data: [DONE]")
        if not self.done and self.decoder.open_event:
            notes.append("end: the last event had no blank line after it (the client drops it)")
        return notes


def _prompt_filter(document: Mapping[str, Any]) -> Any:
    """The prompt's verdicts, under whichever key the answer uses."""
    return next((document[key] for key in PROMPT_FILTER_KEYS if key in document), None)


def _stronger(new: Any, old: Any) -> bool:
    if not isinstance(new, dict):
        return False
    if not isinstance(old, dict):
        return True

    def rank(v: dict[str, Any]) -> tuple[bool, bool, int]:
        severity = _SEVERITY_RANK.get(str(v.get("severity", "safe")), 0)
        return bool(v.get("filtered")), bool(v.get("detected")), severity

    return rank(new) > rank(old)


def _json(body: bytes) -> dict[str, Any]:
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return {}
    return document if isinstance(document, dict) else {}


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _int(value: str | None) -> int | None:
    number = _number(value)
    return None if number is None else int(number)


def _number(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if 0 <= number < 1e15 else None  # not negative, NaN or infinite
