"""One chat call through an instrumented client, and what came of it.

``run_chat`` is what the playground and the traffic generator do for each prompt: call the
deployment (streamed or not), hand text to ``on_text`` as it arrives, and return a
``ChatOutcome`` built from the answer and from the attributes the transport recorded on the
call's span, so what is shown is what the span says. A content-filter block, a throttle
(429) or another error is an outcome, not an exception.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import openai

from aoai_client import azure_wire
from aoai_client.context import call_context, capture_span
from azure_openai_wire.content_filter import (
    CONTENT_FILTER,
    CONTENT_FILTER_RESULTS,
    INNER_ERROR_SPELLINGS,
)
from azure_openai_wire.headers import RETRY_AFTER

TextSink = Callable[[str], object]


@dataclass(frozen=True)
class ChatRequest:
    deployment: str
    user: str
    system: str = ""
    temperature: float | None = None
    top_p: float | None = None
    max_tokens: int | None = None
    frequency_penalty: float | None = None
    stream: bool = False
    tenant_id: str | None = None
    end_user: str | None = None
    service_tier: str | None = None  # auto | default | priority | flex; None: not asked

    def messages(self) -> list[dict[str, str]]:
        system = [{"role": "system", "content": self.system}] if self.system else []
        return [*system, {"role": "user", "content": self.user}]


@dataclass(frozen=True)
class Verdict:
    target: str  # prompt | completion
    category: str
    severity: str | None
    filtered: bool
    detected: bool | None


@dataclass
class StreamResult:
    """What a consumed stream said, read defensively (any field may be missing)."""

    text: str = ""
    finish_reason: str | None = None
    usage: dict[str, Any] | None = None
    model: str | None = None
    chunks: int = 0
    first_text_at: float | None = None


@dataclass
class ChatOutcome:
    deployment: str
    kind: str  # ok | blocked | filtered | throttled | error
    text: str = ""
    finish_reason: str | None = None
    model: str | None = None
    input_tokens: int | None = None
    cached_input_tokens: int | None = None
    output_tokens: int | None = None
    reasoning_tokens: int | None = None
    latency_ms: float = 0.0
    ttft_ms: float | None = None
    http_status: int | None = None
    error_code: str | None = None
    error_message: str | None = None
    error_body: dict[str, Any] | None = None
    retry_after_s: float | None = None
    verdicts: list[Verdict] = field(default_factory=list)
    call_id: str | None = None
    region: str | None = None
    request_id: str | None = None
    simulated: bool = False
    unread: list[str] = field(default_factory=list)
    endpoint: str | None = None  # with several endpoints: the URL of the one that answered
    failover_from: str | None = None  # the first endpoint, when another one answered


def consume_stream(chunks: Iterable[Any], on_text: TextSink | None = None) -> StreamResult:
    """Read a chat stream to its end, passing text on as it comes.

    Tolerates what some endpoints send: chunks without choices (Azure's first event carries
    only ``prompt_filter_results``; the usage event has ``choices: []``), ``finish_reason``
    inside ``delta``, unknown fields, and no usage at all.
    """
    result = StreamResult()
    for chunk in chunks:
        result.chunks += 1
        result.model = _get(chunk, "model") or result.model
        usage = _get(chunk, "usage")
        if usage is not None:
            result.usage = _as_dict(usage)
        for choice in _get(chunk, "choices") or ():
            delta = _get(choice, "delta")
            piece = _get(delta, "content") if delta is not None else None
            if isinstance(piece, str) and piece:
                if result.first_text_at is None:
                    result.first_text_at = time.perf_counter()
                result.text += piece
                if on_text is not None:
                    on_text(result.text)
            finish = _get(choice, "finish_reason") or (
                _get(delta, "finish_reason") if delta is not None else None
            )
            if isinstance(finish, str):
                result.finish_reason = finish
    return result


def run_chat(
    client: openai.AzureOpenAI, request: ChatRequest, on_text: TextSink | None = None
) -> ChatOutcome:
    """Send ``request``; never raises for what Azure answers (blocks, throttles, errors)."""
    outcome = ChatOutcome(deployment=request.deployment, kind="ok")
    options: dict[str, Any] = {
        name: value
        for name, value in (
            ("temperature", request.temperature),
            ("top_p", request.top_p),
            ("max_tokens", request.max_tokens),
            ("frequency_penalty", request.frequency_penalty),
            ("service_tier", request.service_tier),
        )
        if value is not None
    }
    create: Any = client.chat.completions.create  # one signature for both stream modes
    started = time.perf_counter()
    with call_context(request.tenant_id, request.end_user), capture_span() as capture:
        try:
            if request.stream:
                stream = create(
                    model=request.deployment,
                    messages=request.messages(),
                    stream=True,
                    stream_options={"include_usage": True},
                    **options,
                )
                streamed = consume_stream(stream, on_text)
                _from_stream(outcome, streamed, started)
            else:
                completion = create(
                    model=request.deployment,
                    messages=request.messages(),
                    **options,
                )
                _from_completion(outcome, completion)
                if on_text is not None and outcome.text:
                    on_text(outcome.text)
        except openai.APIStatusError as error:
            _from_error(outcome, error)
        except openai.APIError as error:  # no answer: connection, timeout
            outcome.kind, outcome.error_message = "error", str(error)
    outcome.latency_ms = (time.perf_counter() - started) * 1000
    _from_span(outcome, capture.attributes)
    outcome.call_id = capture.call_id
    if outcome.kind == "ok" and outcome.finish_reason == CONTENT_FILTER:
        outcome.kind = "filtered"
    return outcome


def _from_completion(outcome: ChatOutcome, completion: Any) -> None:
    outcome.model = completion.model
    choice = completion.choices[0] if completion.choices else None
    if choice is not None:
        outcome.text = choice.message.content or ""
        outcome.finish_reason = choice.finish_reason
    if completion.usage is not None:
        _usage(outcome, _as_dict(completion.usage))


def _from_stream(outcome: ChatOutcome, streamed: StreamResult, started: float) -> None:
    outcome.text, outcome.finish_reason, outcome.model = (
        streamed.text,
        streamed.finish_reason,
        streamed.model,
    )
    if streamed.first_text_at is not None:
        outcome.ttft_ms = (streamed.first_text_at - started) * 1000
    if streamed.usage is not None:
        _usage(outcome, streamed.usage)


def _from_error(outcome: ChatOutcome, error: openai.APIStatusError) -> None:
    outcome.http_status = error.status_code
    body: dict[str, Any] = error.body if isinstance(error.body, dict) else {}
    nested = body.get("error")
    inner: dict[str, Any] = nested if isinstance(nested, dict) else body
    outcome.error_body = inner or None
    outcome.error_code = str(inner.get("code")) if inner.get("code") is not None else None
    outcome.error_message = str(inner.get("message") or error.message)
    if error.status_code == 429:
        outcome.kind = "throttled"
        retry = error.response.headers.get(RETRY_AFTER)
        try:
            outcome.retry_after_s = float(retry) if retry is not None else None
        except ValueError:
            outcome.retry_after_s = None
    elif outcome.error_code == CONTENT_FILTER:
        outcome.kind = "blocked"
    else:
        outcome.kind = "error"


def _from_span(outcome: ChatOutcome, attrs: dict[str, object]) -> None:
    """Region, request id, verdicts, TTFT and token details as the span records them."""
    outcome.region = _str(attrs.get(azure_wire.REGION))
    outcome.request_id = _str(attrs.get(azure_wire.REQUEST_ID))
    outcome.simulated = attrs.get(azure_wire.SIMULATED) is True
    outcome.failover_from = _str(attrs.get(azure_wire.FAILOVER_FROM))
    outcome.endpoint = _answering_endpoint(attrs)
    ttft = attrs.get(azure_wire.TIME_TO_FIRST_CHUNK)
    if isinstance(ttft, float):
        outcome.ttft_ms = ttft * 1000
    unread = attrs.get(azure_wire.UNREAD)
    outcome.unread = [str(u) for u in unread] if isinstance(unread, list) else []
    prompt = _loads(attrs.get(azure_wire.PROMPT_FILTER))
    if isinstance(prompt, list):
        for item in prompt:
            results = item.get(CONTENT_FILTER_RESULTS) if isinstance(item, dict) else None
            outcome.verdicts += _verdicts("prompt", results)
    error = _loads(attrs.get(azure_wire.FILTER_ERROR))
    if isinstance(error, dict):
        outcome.verdicts += _verdicts("prompt", _blocked_verdicts(error))
    completion = _loads(attrs.get(azure_wire.COMPLETION_FILTER))
    if isinstance(completion, list):
        for item in completion:
            results = item.get(CONTENT_FILTER_RESULTS) if isinstance(item, dict) else None
            outcome.verdicts += _verdicts("completion", results)


def _answering_endpoint(attrs: dict[str, object]) -> str | None:
    """The last endpoint a request was sent to (the attempt lists, failover only)."""
    endpoints = attrs.get(azure_wire.ATTEMPT_ENDPOINTS)
    outcomes = attrs.get(azure_wire.ATTEMPT_OUTCOMES)
    if not isinstance(endpoints, list | tuple) or not isinstance(outcomes, list | tuple):
        return None
    sent = [e for e, o in zip(endpoints, outcomes, strict=False) if not str(o).startswith("skip")]
    return _str(sent[-1]) if sent else None


def _blocked_verdicts(error: dict[str, Any]) -> Any:
    """The verdicts in a blocked prompt's inner error, in either spelling (even mixed)."""
    inners = (error.get(inner_key) for inner_key, _ in INNER_ERROR_SPELLINGS)
    inner = next((i for i in inners if isinstance(i, dict) and i), {})
    return next((inner[key] for _, key in INNER_ERROR_SPELLINGS if inner.get(key)), None)


def _verdicts(target: str, results: Any) -> list[Verdict]:
    if not isinstance(results, dict):
        return []
    found = []
    for category, verdict in results.items():
        if not isinstance(verdict, dict) or category == "error":
            continue
        detected = verdict.get("detected")
        found.append(
            Verdict(
                target=target,
                category=str(category).replace("-", "_"),
                severity=_str(verdict.get("severity")),
                filtered=verdict.get("filtered") is True,
                detected=detected if isinstance(detected, bool) else None,
            )
        )
    return found


def _usage(outcome: ChatOutcome, usage: dict[str, Any]) -> None:
    outcome.input_tokens = _int(usage.get("prompt_tokens"))
    outcome.output_tokens = _int(usage.get("completion_tokens"))
    details = azure_wire.usage_details(usage)
    outcome.cached_input_tokens = _int(details.get(azure_wire.CACHED_INPUT_TOKENS))
    outcome.reasoning_tokens = _int(details.get(azure_wire.REASONING_TOKENS))


def _get(obj: Any, name: str) -> Any:
    """An attribute of an SDK object or a key of a dict, including fields the SDK's models
    do not declare (kept in ``model_extra``)."""
    if obj is None:
        return None
    if isinstance(obj, dict):
        return obj.get(name)
    value = getattr(obj, name, None)
    if value is None:
        extra = getattr(obj, "model_extra", None)
        if isinstance(extra, dict):
            value = extra.get(name)
    return value


def _as_dict(obj: Any) -> dict[str, Any]:
    if isinstance(obj, dict):
        return obj
    dump = getattr(obj, "model_dump", None)
    result = dump() if callable(dump) else {}
    return result if isinstance(result, dict) else {}


def _loads(value: object) -> Any:
    if not isinstance(value, str):
        return None
    try:
        return json.loads(value)
    except ValueError:
        return None


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
