"""Failover across several Azure OpenAI endpoints, beneath the ``openai`` client.

The ``openai`` client builds every request for the first endpoint; ``FailoverTransport``
(``AsyncFailoverTransport`` for asyncio) sends it there and, on a 429, a 5xx, a timeout or a
connection error, sends the same request to the next endpoint in priority order: the URL's
scheme, host, port and base path re-targeted, the endpoint's own credentials set. Each
endpoint has a circuit breaker (``breaker``): an open one, or one still inside the
Retry-After its endpoint sent, is skipped. When every endpoint is skipped, the one that takes
calls again first gets the request, so the caller always gets an endpoint's real answer.

What the caller sees does not change: the first answer that is not a failure is handed on as
it came (streams too); when every endpoint tried failed, the last one's answer, or the
exception it raised, is handed on, and the ``openai`` client turns it into the error it would
have raised (and retries it, per ``max_retries``, through this transport again).

The call's span records every attempt (docs/attributes.md, "Failover"): endpoint, status,
outcome, Retry-After and duration as parallel lists, their count, the endpoint that answered
(``server.address``) and, when that is not the first endpoint of the call,
``azure.openai.failover_from``.
"""

from __future__ import annotations

import contextlib
import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import httpx2
from opentelemetry import trace

from aoai_client import azure_wire
from aoai_client.breaker import BREAKER_OPEN, Breaker, Clock
from aoai_client.config import BreakerConfig, Endpoint
from aoai_client.context import current_capture
from aoai_client.failures import record_failure
from azure_openai_wire import headers as wire_headers

# What came of an attempt (``azure.openai.attempt.outcome``).
ANSWERED: Final = "answered"
THROTTLED: Final = "throttled"
SERVER_ERROR: Final = "server_error"
TIMEOUT: Final = "timeout"
CONNECTION_ERROR: Final = "connection_error"
SKIPPED_BREAKER_OPEN: Final = "skipped_breaker_open"
SKIPPED_RETRY_AFTER: Final = "skipped_retry_after"
CREDENTIAL_ERROR: Final = "credential_error"  # its credentials could not be had: not sent

FAILED_OVER: Final = (THROTTLED, SERVER_ERROR, TIMEOUT, CONNECTION_ERROR)
NO_ANSWER: Final = (httpx2.TimeoutException, httpx2.NetworkError, httpx2.RemoteProtocolError)

AuthHeaders = Callable[[], Mapping[str, str]]


@dataclass
class Target:
    """An endpoint as the transport uses it: its URL, credentials and breaker."""

    endpoint: Endpoint
    priority: int
    auth: AuthHeaders
    breaker: Breaker
    url: httpx2.URL = field(init=False)

    def __post_init__(self) -> None:
        self.url = httpx2.URL(self.endpoint.url)

    @property
    def name(self) -> str:
        return self.endpoint.url.rstrip("/")


def build_targets(
    endpoints: Sequence[Endpoint],
    auths: Sequence[AuthHeaders],
    breaker: BreakerConfig,
    clock: Clock = time.monotonic,
) -> list[Target]:
    """One target per endpoint; priority defaults to the position in the list."""
    return [
        Target(e, e.priority if e.priority is not None else n, auth, Breaker(breaker, clock))
        for n, (e, auth) in enumerate(zip(endpoints, auths, strict=True), 1)
    ]


def call_order(targets: Sequence[Target], rng: random.Random) -> list[Target]:
    """Priority order, lowest first; endpoints of equal priority in a random order drawn by
    weight (the heavier one first more often)."""
    ordered: list[Target] = []
    for priority in sorted({t.priority for t in targets}):
        group = [t for t in targets if t.priority == priority]
        while group:
            pick = rng.choices(range(len(group)), [t.endpoint.weight for t in group])[0]
            ordered.append(group.pop(pick))
    return ordered


def retargeted(request: httpx2.Request, built_for: Target, target: Target) -> httpx2.Request:
    """``request`` (built for ``built_for``) sent to ``target``, with its credentials."""
    url = request.url
    if target is not built_for:
        base = built_for.url.path.rstrip("/")
        url = url.copy_with(
            scheme=target.url.scheme,
            host=target.url.host,
            port=target.url.port,
            path=target.url.path.rstrip("/") + url.path[len(base) :],
        )
    headers = httpx2.Headers(request.headers)
    headers.pop("host", None)
    auth = target.auth()
    for name in ("api-key", "authorization"):
        if name in headers and name not in auth:
            del headers[name]
    headers.update(auth)
    return httpx2.Request(
        request.method, url, headers=headers, content=request.content,
        extensions=request.extensions,
    )  # fmt: skip


def can_fail_over(request: httpx2.Request, first: Target) -> bool:
    """The request's body can be sent again and its URL is under the first endpoint's."""
    url, base = request.url, first.url
    path = base.path.rstrip("/")
    return (
        isinstance(request.stream, httpx2.ByteStream)
        and (url.scheme, url.host, url.port) == (base.scheme, base.host, base.port)
        and (url.path == path or url.path.startswith(path + "/"))
    )


def outcome_of(status: int) -> str:
    if status == 429:
        return THROTTLED
    return SERVER_ERROR if status >= 500 else ANSWERED


@dataclass
class Attempt:
    target: Target
    outcome: str
    status: int = 0  # 0: no answer
    retry_after_ms: int = 0
    duration_ms: float = 0.0
    region: str = ""


class FailoverCall:
    """One request's way through the endpoints: which to try next, what each attempt gave,
    and what the span records. The transports do the I/O."""

    def __init__(self, targets: Sequence[Target], rng: random.Random) -> None:
        self.order = call_order(targets, rng)
        self.attempts: list[Attempt] = []
        self.started = 0.0

    def admitted(self, target: Target) -> bool:
        """Whether ``target`` is tried now; asked only when it is reached, so a half-open
        breaker's probe is taken only for a request that is sent. A refusal is recorded as
        a skipped attempt."""
        refusal = target.breaker.refusal()
        if refusal is None:
            self.started = time.perf_counter()
            return True
        skipped = SKIPPED_BREAKER_OPEN if refusal == BREAKER_OPEN else SKIPPED_RETRY_AFTER
        self.attempts.append(Attempt(target, skipped))
        return False

    def last_resort(self) -> Target:
        """Every endpoint was skipped: the one that takes calls again first."""
        target = min(self.order, key=lambda t: t.breaker.available_at())
        self.started = time.perf_counter()
        return target

    def answered(self, target: Target, response: httpx2.Response) -> bool:
        """Record an answer; True when it is the call's (not a failure to move on from)."""
        status = response.status_code
        outcome = outcome_of(status)
        retry_ms = azure_wire.retry_after_ms(response.headers) or 0
        region = response.headers.get(wire_headers.REGION, "")
        self.attempts.append(Attempt(target, outcome, status, retry_ms, self._ms(), region))
        if outcome == ANSWERED:
            target.breaker.succeeded()
            return True
        target.breaker.failed(retry_ms / 1000 if retry_ms else None)
        return False

    def prepared(
        self, request: httpx2.Request, built_for: Target, target: Target
    ) -> httpx2.Request | Exception:
        """``request`` for ``target``, or the error of getting its credentials (recorded:
        the endpoint is passed over, its breaker untouched)."""
        try:
            return retargeted(request, built_for, target)
        except Exception as error:
            self.attempts.append(Attempt(target, CREDENTIAL_ERROR))
            return error

    def raised(self, target: Target, error: Exception) -> None:
        outcome = TIMEOUT if isinstance(error, httpx2.TimeoutException) else CONNECTION_ERROR
        self.attempts.append(Attempt(target, outcome, duration_ms=self._ms()))
        target.breaker.failed()

    def _ms(self) -> float:
        return round((time.perf_counter() - self.started) * 1000, 3)

    def record(self) -> None:
        """Put the attempts on the current span (and the call's capture); never raises."""
        span = trace.get_current_span()
        try:
            attrs = self.attributes(_recorded(span))
        except Exception as error:  # never raise into the application
            record_failure(span, "failover", error)
            return
        if span.is_recording():
            span.set_attributes(attrs)
        capture = current_capture()
        if capture is not None:
            capture.attributes.update(attrs)

    def attributes(self, before: Mapping[str, Any]) -> dict[str, Any]:
        """The span's failover attributes: this request's attempts after the ones an earlier
        request of the same call (an ``openai`` retry) recorded."""
        attrs: dict[str, Any] = {}
        lists: dict[str, list[Any]] = {
            azure_wire.ATTEMPT_ENDPOINTS: [a.target.name for a in self.attempts],
            azure_wire.ATTEMPT_STATUSES: [a.status for a in self.attempts],
            azure_wire.ATTEMPT_OUTCOMES: [a.outcome for a in self.attempts],
            azure_wire.ATTEMPT_RETRY_AFTER_MS: [a.retry_after_ms for a in self.attempts],
            azure_wire.ATTEMPT_DURATIONS_MS: [a.duration_ms for a in self.attempts],
            azure_wire.ATTEMPT_REGIONS: [a.region for a in self.attempts],
        }
        for name, values in lists.items():
            earlier = before.get(name)
            kept: list[Any] = list(earlier) if isinstance(earlier, (list, tuple)) else []
            attrs[name] = [*kept, *values]
        sent = [a for a in attrs[azure_wire.ATTEMPT_OUTCOMES] if a in _SENT]
        attrs[azure_wire.ATTEMPTS] = len(sent)
        last = next((a for a in reversed(self.attempts) if a.outcome in _SENT), None)
        if last is None:
            return attrs
        attrs[azure_wire.SERVER_ADDRESS] = last.target.url.host
        if last.target.url.port:
            attrs[azure_wire.SERVER_PORT] = last.target.url.port
        first = self.order[0]
        if last.target is not first:
            attrs[azure_wire.FAILOVER_FROM] = first.name
            first_attempt = next(a for a in self.attempts if a.target is first)
            attrs[azure_wire.FAILOVER_FROM_SKIPPED] = first_attempt.outcome.startswith("skipped")
        return attrs


_SENT: Final = (ANSWERED, *FAILED_OVER)


def _recorded(span: trace.Span) -> Mapping[str, Any]:
    """What the span already holds (SDK spans show their attributes)."""
    attributes = getattr(span, "attributes", None)
    return attributes if isinstance(attributes, Mapping) else {}


class FailoverTransport(httpx2.BaseTransport):
    """Sends each request to the first endpoint that answers it (synchronous clients)."""

    def __init__(
        self, inner: httpx2.BaseTransport, targets: Sequence[Target], rng: random.Random
    ) -> None:
        self.inner, self.targets, self.rng = inner, list(targets), rng

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        if not can_fail_over(request, self.targets[0]):
            return self.inner.handle_request(request)
        call = FailoverCall(self.targets, self.rng)
        held: httpx2.Response | Exception | None = None  # the last failure, handed on at the end
        try:
            for target in call.order:
                if not call.admitted(target):
                    continue
                sent = call.prepared(request, self.targets[0], target)
                if isinstance(sent, Exception):
                    held = sent if held is None else held
                    continue
                _release(held)
                held = self._send(call, target, sent)
                if isinstance(held, httpx2.Response) and call.answered(target, held):
                    return held
            if held is None:  # every endpoint skipped
                held = self._last_resort(call, request)
        except BaseException:
            _release(held)
            raise
        finally:
            call.record()
        if isinstance(held, Exception):
            raise held
        return held

    def _last_resort(
        self, call: FailoverCall, request: httpx2.Request
    ) -> httpx2.Response | Exception:
        target = call.last_resort()
        sent = call.prepared(request, self.targets[0], target)
        if isinstance(sent, Exception):
            return sent
        answer = self._send(call, target, sent)
        if isinstance(answer, httpx2.Response):
            call.answered(target, answer)
        return answer

    def _send(
        self, call: FailoverCall, target: Target, request: httpx2.Request
    ) -> httpx2.Response | Exception:
        try:
            return self.inner.handle_request(request)
        except NO_ANSWER as error:
            call.raised(target, error)
            return error

    def close(self) -> None:
        self.inner.close()


class AsyncFailoverTransport(httpx2.AsyncBaseTransport):
    """Sends each request to the first endpoint that answers it (asyncio clients)."""

    def __init__(
        self, inner: httpx2.AsyncBaseTransport, targets: Sequence[Target], rng: random.Random
    ) -> None:
        self.inner, self.targets, self.rng = inner, list(targets), rng

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        if not can_fail_over(request, self.targets[0]):
            return await self.inner.handle_async_request(request)
        call = FailoverCall(self.targets, self.rng)
        held: httpx2.Response | Exception | None = None  # the last failure, handed on at the end
        try:
            for target in call.order:
                if not call.admitted(target):
                    continue
                sent = call.prepared(request, self.targets[0], target)
                if isinstance(sent, Exception):
                    held = sent if held is None else held
                    continue
                await _async_release(held)
                held = await self._send(call, target, sent)
                if isinstance(held, httpx2.Response) and call.answered(target, held):
                    return held
            if held is None:  # every endpoint skipped
                held = await self._last_resort(call, request)
        except BaseException:
            await _async_release(held)
            raise
        finally:
            call.record()
        if isinstance(held, Exception):
            raise held
        return held

    async def _last_resort(
        self, call: FailoverCall, request: httpx2.Request
    ) -> httpx2.Response | Exception:
        target = call.last_resort()
        sent = call.prepared(request, self.targets[0], target)
        if isinstance(sent, Exception):
            return sent
        answer = await self._send(call, target, sent)
        if isinstance(answer, httpx2.Response):
            call.answered(target, answer)
        return answer

    async def _send(
        self, call: FailoverCall, target: Target, request: httpx2.Request
    ) -> httpx2.Response | Exception:
        try:
            return await self.inner.handle_async_request(request)
        except NO_ANSWER as error:
            call.raised(target, error)
            return error

    async def aclose(self) -> None:
        await self.inner.aclose()


def _release(held: httpx2.Response | Exception | None) -> None:
    """Read and close a failed answer before the next attempt (its connection is reused)."""
    if isinstance(held, httpx2.Response):
        with contextlib.suppress(Exception):  # a failed answer's body does not matter
            held.read()
        held.close()


async def _async_release(held: httpx2.Response | Exception | None) -> None:
    if isinstance(held, httpx2.Response):
        with contextlib.suppress(Exception):  # a failed answer's body does not matter
            await held.aread()
        await held.aclose()
