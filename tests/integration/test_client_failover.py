"""The instrumented client with several endpoints in priority order: a primary that refuses
connections, throttles with Retry-After, times out or answers 503 (a local endpoint serving
what the test gives it), and the shipped simulator behind it. The caller gets one answer;
the span, from the real OpenAI instrumentation and SDK, records every attempt; breakers
open and recover on a clock the test moves; with one endpoint nothing changes.
"""

from __future__ import annotations

import asyncio
import json
import random
from collections.abc import Iterator
from typing import Any

import duckdb
import openai
import pytest
from opentelemetry.sdk.trace import ReadableSpan

from aoai_client import (
    BreakerConfig,
    ChatRequest,
    ClientConfig,
    Endpoint,
    TelemetryConfig,
    build_async_client,
    build_client,
    configure_telemetry,
    run_chat,
)
from azure_openai_wire import errors
from lens_harness.lens_process import LensServer, free_port
from tests.fakes.raw_answers import RawAnswer, RawAnswerServer
from tests.stream_reading import Instrumented, bare_client
from tests.threaded_servers import ThreadedServer, simulator_server

ASK: dict[str, Any] = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "hi"}]}
OK_BODY = {
    "id": "chatcmpl-1",
    "object": "chat.completion",
    "created": 1,
    "model": "gpt-4o-mini-2024-07-18",
    "choices": [
        {"index": 0, "message": {"role": "assistant", "content": "Primary."},
         "finish_reason": "stop"}
    ],
    "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4},
}  # fmt: skip


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def unavailable(retry_after_s: int | None = None, message: str = "down") -> RawAnswer:
    headers = {"retry-after": str(retry_after_s)} if retry_after_s is not None else {}
    body = json.dumps(errors.error_body("503", message)).encode()
    return RawAnswer([body], "application/json", status=503, headers=headers)


def throttled(retry_after_s: int) -> RawAnswer:
    body = json.dumps(errors.throttled_body("ChatCompletions_Create", "x", "token", 10))
    headers = {"retry-after": str(retry_after_s), "retry-after-ms": str(retry_after_s * 1000)}
    return RawAnswer([body.encode()], "application/json", status=429, headers=headers)


def healthy() -> RawAnswer:
    headers = {"x-ms-region": "Primary Region"}
    return RawAnswer([json.dumps(OK_BODY).encode()], "application/json", headers=headers)


@pytest.fixture
def primary() -> Iterator[RawAnswerServer]:
    with RawAnswerServer() as server:
        yield server


@pytest.fixture
def secondary() -> Iterator[ThreadedServer]:
    with simulator_server() as server:
        yield server


@pytest.fixture
def spans() -> Iterator[Instrumented]:
    with Instrumented() as instrumented:
        yield instrumented


def config(*urls: str, **options: Any) -> ClientConfig:
    endpoints = tuple(Endpoint(url) for url in urls)
    return ClientConfig(endpoints=endpoints, api_key="k", max_retries=0, **options)


def attrs(span: ReadableSpan) -> dict[str, Any]:
    found = dict(span.attributes or {})
    return {k: list(v) if isinstance(v, tuple) else v for k, v in found.items()}


def chat_spans(instrumented: Instrumented) -> list[dict[str, Any]]:
    return [attrs(s) for s in instrumented.spans() if s.name.startswith("chat")]


def test_a_refused_connection_fails_over_and_the_span_says_where_the_call_went(
    secondary: ThreadedServer, spans: Instrumented
) -> None:
    down = f"http://127.0.0.1:{free_port()}"
    client = build_client(config(down, secondary.url))
    answer = client.chat.completions.create(**ASK)
    assert answer.choices[0].message.content  # one answer, from the simulator
    (span,) = chat_spans(spans)
    assert span["azure.openai.attempts"] == 2
    assert span["azure.openai.attempt.endpoint"] == [down, secondary.url]
    assert span["azure.openai.attempt.outcome"] == ["connection_error", "answered"]
    assert span["azure.openai.attempt.status"] == [0, 200]
    assert span["azure.openai.attempt.region"] == ["", "Sweden Central"]
    assert span["azure.openai.failover_from"] == down
    assert span["azure.openai.failover_from_skipped"] is False
    assert span["server.port"] == secondary.port
    assert span["azure.openai.region"] == "Sweden Central"
    assert span["http.response.status_code"] == 200
    assert len(secondary.requests) == 1 and secondary.requests[0].headers["api-key"] == "k"


def test_a_throttled_endpoint_is_left_alone_until_its_retry_after_has_passed(
    primary: RawAnswerServer, secondary: ThreadedServer, spans: Instrumented
) -> None:
    clock = Clock()
    client = build_client(config(primary.url, secondary.url), clock=clock)
    primary.answer = throttled(retry_after_s=10)
    first = client.chat.completions.create(**ASK)
    clock.now += 9
    second = client.chat.completions.create(**ASK)  # the primary's Retry-After still runs
    assert primary.hits == 1
    primary.answer = healthy()
    clock.now += 1
    third = client.chat.completions.create(**ASK)
    assert primary.hits == 2
    assert first.model == second.model == "gpt-4o-mini-2024-07-18"  # the simulator's
    assert third.choices[0].message.content == "Primary."
    one, two, three = chat_spans(spans)
    assert one["azure.openai.attempt.outcome"] == ["throttled", "answered"]
    assert one["azure.openai.attempt.status"] == [429, 200]
    assert one["azure.openai.attempt.retry_after_ms"] == [10_000, 0]
    assert one["azure.openai.failover_from"] == primary.url
    assert two["azure.openai.attempt.outcome"] == ["skipped_retry_after", "answered"]
    assert two["azure.openai.attempts"] == 1
    assert two["azure.openai.failover_from_skipped"] is True
    assert "azure.openai.retry_after_ms" not in two  # nothing of the 429 on this call
    assert three["azure.openai.attempt.outcome"] == ["answered"]
    assert "azure.openai.failover_from" not in three
    assert three["azure.openai.region"] == "Primary Region"
    assert three["server.port"] == primary.port


def test_a_slow_endpoint_times_out_and_the_next_one_answers(
    primary: RawAnswerServer, secondary: ThreadedServer, spans: Instrumented
) -> None:
    primary.answer = healthy()
    primary.answer.delay_s = 3.0
    client = build_client(config(primary.url, secondary.url, timeout_s=0.5))
    answer = client.chat.completions.create(**ASK)
    assert answer.model == "gpt-4o-mini-2024-07-18"
    (span,) = chat_spans(spans)
    assert span["azure.openai.attempt.outcome"] == ["timeout", "answered"]
    timed_out, _ = span["azure.openai.attempt.duration_ms"]
    assert 450 <= timed_out < 3000


def test_the_breaker_opens_after_repeated_failures_and_half_opens_after_its_trip(
    primary: RawAnswerServer, secondary: ThreadedServer, spans: Instrumented
) -> None:
    clock = Clock()
    breaker = BreakerConfig(failures=2, window_s=10, trip_s=30)
    client = build_client(config(primary.url, secondary.url, breaker=breaker), clock=clock)
    primary.answer = unavailable()
    for _ in range(2):  # two 503s within 10 s: the breaker opens
        client.chat.completions.create(**ASK)
        clock.now += 1
    client.chat.completions.create(**ASK)
    assert primary.hits == 2
    clock.now += 29  # 30 s after it opened: half-open, one probe, which fails with Retry-After
    primary.answer = unavailable(retry_after_s=60)
    client.chat.completions.create(**ASK)
    assert primary.hits == 3
    clock.now += 30  # the trip has passed, the Retry-After (the longer) has not
    client.chat.completions.create(**ASK)
    assert primary.hits == 3
    clock.now += 30
    primary.answer = healthy()
    recovered = client.chat.completions.create(**ASK)
    again = client.chat.completions.create(**ASK)
    assert recovered.choices[0].message.content == again.choices[0].message.content == "Primary."
    assert primary.hits == 5
    outcomes = [s["azure.openai.attempt.outcome"] for s in chat_spans(spans)]
    assert outcomes == [
        ["server_error", "answered"],
        ["server_error", "answered"],
        ["skipped_breaker_open", "answered"],
        ["server_error", "answered"],
        ["skipped_breaker_open", "answered"],
        ["answered"],
        ["answered"],
    ]
    assert len(secondary.requests) == 5


def test_when_every_endpoint_fails_the_caller_gets_the_last_ones_error_as_openai_raises_it(
    primary: RawAnswerServer, spans: Instrumented
) -> None:
    primary.answer = unavailable(message="the primary is down")
    with RawAnswerServer() as last:
        last.answer = unavailable(message="the last one is down")
        with pytest.raises(openai.InternalServerError) as ours:
            build_client(config(primary.url, last.url)).chat.completions.create(**ASK)
        with pytest.raises(openai.InternalServerError) as bare:
            bare_client(last.url).chat.completions.create(**ASK)
    assert str(ours.value) == str(bare.value) and "the last one is down" in str(ours.value)
    assert ours.value.body == bare.value.body
    refused = [f"http://127.0.0.1:{free_port()}" for _ in range(2)]
    with pytest.raises(openai.APIConnectionError) as no_answer:
        build_client(config(*refused)).chat.completions.create(**ASK)
    with pytest.raises(openai.APIConnectionError) as bare_no_answer:
        bare_client(refused[1]).chat.completions.create(**ASK)
    assert type(no_answer.value) is type(bare_no_answer.value)
    assert str(no_answer.value) == str(bare_no_answer.value)
    # the bare client's calls are instrumented too (the instrumentation is process-wide)
    failed, unreached = [s for s in chat_spans(spans) if "azure.openai.attempts" in s]
    assert failed["azure.openai.attempt.outcome"] == ["server_error", "server_error"]
    assert failed["azure.openai.failover_from"] == primary.url
    assert failed["http.response.status_code"] == 503
    assert unreached["azure.openai.attempt.outcome"] == ["connection_error"] * 2


def test_when_every_breaker_is_open_the_endpoint_back_first_gets_the_call(
    primary: RawAnswerServer, spans: Instrumented
) -> None:
    clock = Clock()
    with RawAnswerServer() as other:
        primary.answer, other.answer = throttled(retry_after_s=20), throttled(retry_after_s=5)
        client = build_client(config(primary.url, other.url), clock=clock)
        with pytest.raises(openai.RateLimitError):
            client.chat.completions.create(**ASK)
        other.answer = healthy()
        answer = client.chat.completions.create(**ASK)  # both wait: the sooner one is asked
        assert answer.choices[0].message.content == "Primary."
        assert (primary.hits, other.hits) == (1, 2)
    _, last = chat_spans(spans)
    assert last["azure.openai.attempt.outcome"] == [
        "skipped_retry_after",
        "skipped_retry_after",
        "answered",
    ]
    assert last["azure.openai.attempt.endpoint"][2] == other.url


def test_a_stream_fails_over_and_reaches_the_caller_whole(
    primary: RawAnswerServer, secondary: ThreadedServer, spans: Instrumented
) -> None:
    primary.answer = unavailable()
    client = build_client(config(primary.url, secondary.url))
    stream = client.chat.completions.create(
        **ASK, stream=True, stream_options={"include_usage": True}
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text and chunks[-1].usage is not None
    (span,) = chat_spans(spans)
    assert span["azure.openai.attempt.outcome"] == ["server_error", "answered"]
    assert span["gen_ai.usage.output_tokens"] == chunks[-1].usage.completion_tokens
    assert span["gen_ai.response.time_to_first_chunk"] > 0


def test_each_endpoint_gets_its_own_key(secondary: ThreadedServer) -> None:
    down = f"http://127.0.0.1:{free_port()}"
    endpoints = (Endpoint(down, api_key="primary-key"), Endpoint(secondary.url, api_key="sk-2"))
    client = build_client(ClientConfig(endpoints=endpoints, max_retries=0))
    client.chat.completions.create(**ASK)
    (request,) = secondary.requests
    assert request.headers["api-key"] == "sk-2"
    assert request.path == "/openai/deployments/gpt-4o-mini/chat/completions"


def test_equal_priorities_share_calls_by_weight(secondary: ThreadedServer) -> None:
    with RawAnswerServer() as heavy:
        heavy.answer = healthy()
        endpoints = (
            Endpoint(heavy.url, priority=1, weight=3),
            Endpoint(secondary.url, priority=1, weight=1),
        )
        client = build_client(
            ClientConfig(endpoints=endpoints, api_key="k", max_retries=0), rng=random.Random(7)
        )
        for _ in range(40):
            client.chat.completions.create(**ASK)
        assert heavy.hits + len(secondary.requests) == 40
        assert 20 <= heavy.hits <= 38


def test_the_async_client_fails_over_too(secondary: ThreadedServer, spans: Instrumented) -> None:
    down = f"http://127.0.0.1:{free_port()}"

    async def call() -> str:
        async with build_async_client(config(down, secondary.url)) as client:
            answer = await client.chat.completions.create(**ASK)
            return answer.model

    assert asyncio.run(call()) == "gpt-4o-mini-2024-07-18"
    (span,) = chat_spans(spans)
    assert span["azure.openai.attempt.outcome"] == ["connection_error", "answered"]
    assert span["azure.openai.failover_from"] == down


def test_with_one_endpoint_nothing_changes(secondary: ThreadedServer, spans: Instrumented) -> None:
    client = build_client(ClientConfig(endpoint=secondary.url, api_key="k", max_retries=0))
    client.chat.completions.create(**ASK)
    (span,) = chat_spans(spans)
    assert not [name for name in span if "attempt" in name or "failover" in name]
    assert span["server.port"] == secondary.port


def test_the_ledger_row_names_the_endpoint_and_region_that_answered(
    lens_server: LensServer, secondary: ThreadedServer
) -> None:
    """``endpoint`` and ``region`` are the answering resource's; the attempts and
    ``failover_from`` stay in ``attributes`` (docs/attributes.md, "Failover")."""
    down = f"http://127.0.0.1:{free_port()}"
    answering = f"http://localhost:{secondary.port}"
    telemetry = configure_telemetry(
        TelemetryConfig(otlp_traces_endpoint=f"{lens_server.url}/v1/traces", export_delay_ms=50)
    )
    try:
        client = build_client(config(down, answering))
        outcome = run_chat(client, ChatRequest("gpt-41-eu", "hello", tenant_id="contoso"))
        assert telemetry.flush()
    finally:
        telemetry.shutdown()
    assert outcome.kind == "ok" and outcome.region == "West Europe"
    lens_server.stop()
    with duckdb.connect(str(lens_server.db_path), read_only=True) as con:
        endpoint, region, tenant, attributes = con.execute(
            "SELECT endpoint, region, tenant_id, attributes FROM calls WHERE call_id = ?",
            [outcome.call_id],
        ).fetchone() or (None, None, None, "{}")
    stored = json.loads(attributes)
    assert (endpoint, region, tenant) == ("localhost", "West Europe", "contoso")
    assert stored["azure.openai.failover_from"] == down
    assert stored["azure.openai.failover_from_skipped"] is False
    assert stored["azure.openai.attempts"] == 2
    assert stored["azure.openai.attempt.endpoint"] == [down, answering]
    assert stored["azure.openai.attempt.outcome"] == ["connection_error", "answered"]
    assert stored["azure.openai.attempt.status"] == [0, 200]


class FailingCredential:
    """An Entra ID credential that cannot get a token."""

    def get_token(self, *scopes: str, **_: Any) -> Any:
        raise RuntimeError("no token today")


def test_an_endpoint_whose_credentials_fail_is_passed_over_without_changing_the_answer(
    primary: RawAnswerServer, secondary: ThreadedServer, spans: Instrumented
) -> None:
    primary.answer = unavailable(message="the primary is down")
    endpoints = (Endpoint(primary.url, api_key="k"), Endpoint(secondary.url, entra_id=True))
    config = ClientConfig(endpoints=endpoints, max_retries=0)
    client = build_client(config, credential=FailingCredential())  # type: ignore[arg-type]
    with pytest.raises(openai.InternalServerError, match="the primary is down"):
        client.chat.completions.create(**ASK)
    assert secondary.requests == []
    (span,) = chat_spans(spans)
    assert span["azure.openai.attempt.outcome"] == ["server_error", "credential_error"]
    assert span["azure.openai.attempts"] == 1
    assert "azure.openai.failover_from" not in span
