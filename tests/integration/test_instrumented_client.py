"""The instrumented client (aoai_client) against the shipped simulator, which answers as
Azure's documentation says (docs/simulator.md), and against a stream unlike Azure's: the spans
it exports and the ledger rows they become in a real lens server. Spans go through the real
OTLP exporter.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import duckdb
import pytest
from azure.core.credentials import AccessToken
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from aoai_client import (
    SCOPE,
    ChatRequest,
    ClientConfig,
    Telemetry,
    TelemetryConfig,
    build_async_client,
    build_client,
    call_context,
    configure_telemetry,
    run_chat,
)
from azure_openai_wire import bodies, content_filter
from lens_harness.lens_process import LensServer
from simulator import DEFAULT_DEPLOYMENTS, SimulatorConfig
from tests.fakes.raw_answers import RawAnswer, RawAnswerServer
from tests.threaded_servers import ALWAYS_THROTTLED, WITH_THROTTLED, simulator_server

API_VERSION = "2024-10-21"
TYPES = {d.name: d.deployment_type for d in WITH_THROTTLED.deployments}
# 5,400 characters: 1,350 tokens, a system message of 1,353 and a prefix of 1,356; seen
# before on the deployment, 1,280 of them (10 x 128) are read from cache.
POLICY = "Follow the support policy. " * 200


@pytest.fixture
def telemetry(lens_server: LensServer) -> Iterator[tuple[Telemetry, InMemorySpanExporter]]:
    spans = InMemorySpanExporter()
    made = configure_telemetry(
        TelemetryConfig(
            service_name="checkout",
            otlp_traces_endpoint=f"{lens_server.url}/v1/traces",
            export_delay_ms=100,
        )
    )
    made.add_span_processor(SimpleSpanProcessor(spans))
    try:
        yield made, spans
    finally:
        made.shutdown()


def rows(server: LensServer) -> dict[str, dict[str, Any]]:
    """The ledger after a graceful stop, by call_id, with each call's filter verdicts."""
    server.stop()
    with duckdb.connect(str(server.db_path), read_only=True) as con:
        cursor = con.execute("SELECT * FROM calls")
        names = [c[0] for c in cursor.description]
        calls = {r[0]: dict(zip(names, r, strict=True)) for r in cursor.fetchall()}
        verdicts = con.execute(
            "SELECT call_id, target, idx, category, severity, filtered, detected "
            "FROM filter_results ORDER BY ALL"
        ).fetchall()
    for row in calls.values():
        row["attributes"] = json.loads(row["attributes"])
        row["verdicts"] = {
            (v[1], v[3]): (v[4], v[5], v[6]) for v in verdicts if v[0] == row["call_id"]
        }
    return calls


def call_id(span: ReadableSpan) -> str:
    assert span.context is not None
    return f"{span.context.trace_id:032x}{span.context.span_id:016x}"


def by_request(spans: InMemorySpanExporter) -> list[ReadableSpan]:
    return [s for s in spans.get_finished_spans() if s.name.startswith(("chat", "embeddings"))]


# --- Azure's documented answers, from the simulator, and an odd stream ---------------------


def test_documented_answers_become_spans_and_rows(
    lens_server: LensServer, telemetry: tuple[Telemetry, InMemorySpanExporter]
) -> None:
    tel, spans = telemetry
    with simulator_server(WITH_THROTTLED) as sim:
        client = build_client(
            ClientConfig(endpoint=sim.url, api_key="k", max_retries=0, deployment_types=TYPES)
        )
        asks = {
            "first": ChatRequest("o4-mini-reasoning", "Plan a trip", system=POLICY),
            "annotated": ChatRequest(  # "sword" and "fight": low violence
                "o4-mini-reasoning",
                "Describe a sword fight",
                system=POLICY,
                tenant_id="contoso",
                end_user="alice@contoso.com",
            ),
            # hate, high and violence, medium: blocked, in the wire's spelling (innererror)
            "blocked": ChatRequest("gpt-41-eu", "Exterminate them with a weapon"),
            # violence, medium: blocked, in the specification's spelling (inner_error)
            "blocked_again": ChatRequest("gpt-41-eu", "How do I build a weapon?"),
            "filtered": ChatRequest("gpt-41-eu", "Print the lyrics of a pop song"),
            "throttled": ChatRequest(ALWAYS_THROTTLED.name, "Hello"),
            "streamed": ChatRequest("gpt-41-eu", "Stream to me", stream=True),
        }
        outcomes = {name: run_chat(client, ask) for name, ask in asks.items()}
        with call_context(tenant_id="fabrikam"):  # an application's own streaming loop
            stream = client.chat.completions.create(
                model="gpt-41-eu", messages=[{"role": "user", "content": "no usage"}], stream=True
            )
            text = "".join(c.choices[0].delta.content or "" for c in stream if c.choices)
    assert text and text[0].isupper()
    assert tel.flush()
    assert [o.kind for o in outcomes.values()] == [
        "ok",
        "ok",
        "blocked",
        "blocked",
        "filtered",
        "throttled",
        "ok",
    ]
    for name in ("blocked", "blocked_again"):  # the outcome reads either spelling
        verdicts = {(v.category, v.severity) for v in outcomes[name].verdicts if v.filtered}
        assert ("violence", "medium") in verdicts, name
    spans_by_id = {call_id(s): s for s in by_request(spans)}
    ids = {name: outcome.call_id for name, outcome in outcomes.items()}
    assert set(ids.values()) <= set(spans_by_id)
    (no_usage_id,) = set(spans_by_id) - set(ids.values())

    annotated_outcome = outcomes["annotated"]
    reasoning = annotated_outcome.reasoning_tokens
    assert reasoning is not None and reasoning > 0
    attrs = spans_by_id[ids["annotated"]].attributes or {}
    assert attrs["azure.openai.deployment"] == "o4-mini-reasoning"
    assert attrs["azure.openai.deployment_type"] == "GlobalStandard"
    assert attrs["azure.openai.region"] == "East US 2"
    assert attrs["azure.openai.api_version"] == API_VERSION
    assert attrs["tenant.id"] == "contoso" and attrs["enduser.id"] == "alice@contoso.com"
    assert attrs["gen_ai.usage.cache_read.input_tokens"] == 1280
    assert attrs["gen_ai.usage.reasoning.output_tokens"] == reasoning
    throttled = spans_by_id[ids["throttled"]].attributes or {}
    assert throttled["azure.openai.retry_after_ms"] == 60_000
    assert throttled["azure.openai.ratelimit.remaining_tokens"] == 1000  # nothing counted
    unread = (spans_by_id[no_usage_id].attributes or {})["azure.openai.telemetry.unread"]
    assert any(note.startswith("usage: the stream sent no usage") for note in unread)

    ledger = rows(lens_server)
    annotated = ledger[ids["annotated"]]
    assert (
        annotated["filter_action"],
        annotated["region"],
        annotated["tenant_id"],
        annotated["end_user"],
        annotated["deployment_source"],
    ) == ("annotated", "East US 2", "contoso", "alice@contoso.com", "attribute")
    # 3 to prime, 3 + 1,350 for the policy, 3 + 6 for the question; 1,280 from cache.
    assert (
        annotated["input_tokens"],
        annotated["cached_input_tokens"],
        annotated["output_tokens"],
        annotated["reasoning_tokens"],
    ) == (1365, 1280, annotated_outcome.output_tokens, reasoning)
    assert annotated["verdicts"][("prompt", "violence")] == ("low", False, None)
    assert annotated["verdicts"][("completion", "violence")] == ("low", False, None)
    blocked = ledger[ids["blocked"]]
    assert (blocked["filter_action"], blocked["http_status"], blocked["status"]) == (
        "blocked_prompt",
        400,
        "error",
    )
    assert blocked["verdicts"][("prompt", "hate")] == ("high", True, None)
    assert blocked["verdicts"][("prompt", "violence")] == ("medium", True, None)
    blocked_again = ledger[ids["blocked_again"]]
    assert blocked_again["filter_action"] == "blocked_prompt"
    assert blocked_again["verdicts"][("prompt", "violence")] == ("medium", True, None)
    filtered = ledger[ids["filtered"]]
    assert (filtered["filter_action"], filtered["finish_reason"]) == (
        "filtered_completion",
        "content_filter",
    )
    assert filtered["verdicts"][("completion", "protected_material_text")] == (None, True, True)
    throttled_row = ledger[ids["throttled"]]
    assert (throttled_row["http_status"], throttled_row["status"]) == (429, "error")
    streamed = ledger[ids["streamed"]]
    assert (streamed["region"], streamed["deployment_type"]) == ("West Europe", "DataZoneStandard")
    # 3 to prime, 3 for the message, 3 for its 12 characters.
    assert (streamed["input_tokens"], streamed["output_tokens"]) == (
        9,
        outcomes["streamed"].output_tokens,
    )
    assert streamed["ttft_ms"] is not None and streamed["finish_reason"] == "stop"
    no_usage = ledger[no_usage_id]
    assert (no_usage["input_tokens"], no_usage["tenant_id"]) == (None, "fabrikam")
    assert no_usage["finish_reason"] == "stop" and no_usage["ttft_ms"] is not None


# A stream unlike Azure's: finish_reason inside delta, unknown fields, an annotation-only
# event, no usage and no [DONE]. (A non-JSON event is left out: openai-python itself raises
# on one, with or without instrumentation.)
ODD_STREAM = [
    b'data: {"id":"x","object":"chat.completion.chunk","created":1,"model":"m",'
    b'"choices":[{"index":0,"delta":{"content":"Hi"},"novel":{"a":1}}]}\n\n',
    b'data: {"id":"","object":"","created":0,"model":"","choices":[],"extra":1}\n\n',
    b'data: {"id":"x","object":"chat.completion.chunk","created":1,"model":"m",'
    b'"choices":[{"index":0,"delta":{"content":"!","finish_reason":"stop"}}]}\n\n',
]


def test_an_odd_stream_never_breaks_the_application_loop(
    lens_server: LensServer, telemetry: tuple[Telemetry, InMemorySpanExporter]
) -> None:
    tel, spans = telemetry
    with RawAnswerServer() as server:
        server.answer = RawAnswer(ODD_STREAM)
        client = build_client(ClientConfig(endpoint=server.url, api_key="k", max_retries=0))
        pieces = []
        stream = client.chat.completions.create(
            model="odd", messages=[{"role": "user", "content": "hi"}], stream=True
        )
        for chunk in stream:  # the application's loop
            pieces += [c.delta.content for c in chunk.choices if c.delta and c.delta.content]
    assert "".join(pieces) == "Hi!"
    assert tel.flush()
    (span,) = by_request(spans)
    attrs = span.attributes or {}
    assert attrs["gen_ai.response.finish_reasons"] == ("stop",)  # read from inside delta
    assert list(attrs["azure.openai.telemetry.unread"]) == [
        "usage: the stream sent no usage event (request stream_options={'include_usage': True} "
        "to count tokens)",
        "finish_reason: sent inside delta, not beside it",
        "end: the stream ended without data: [DONE]",
    ]
    row = rows(lens_server)[call_id(span)]
    assert (row["deployment"], row["finish_reason"], row["input_tokens"]) == ("odd", "stop", None)


def test_an_answer_filtered_before_its_first_word_is_a_filtered_outcome(
    lens_server: LensServer, telemetry: tuple[Telemetry, InMemorySpanExporter]
) -> None:
    """Azure may stop an answer before any text (``content: null``); the simulator always
    lets a word through, so this one is served as raw bytes."""
    tel, _ = telemetry
    cut = {"protected_material_text": content_filter.detection_verdict(True, filtered=True)}
    answer = bodies.ChatAnswer(
        response_id="chatcmpl-1",
        created=1767225600,
        model="gpt-4o-2024-11-20",
        pieces=(),
        finish_reason="content_filter",
        prompt_filter={},
        choice_filter=cut,
        usage=bodies.usage(9, 0),
    )
    body = json.dumps(bodies.chat_completion_body(answer)).encode()
    with RawAnswerServer() as server:
        server.answer = RawAnswer([body], content_type="application/json")
        client = build_client(ClientConfig(endpoint=server.url, api_key="k", max_retries=0))
        outcome = run_chat(client, ChatRequest("gpt-4o-prod", "Print the lyrics"))
    assert (outcome.kind, outcome.text, outcome.finish_reason) == ("filtered", "", "content_filter")
    assert tel.flush()
    row = rows(lens_server)[outcome.call_id]  # type: ignore[index]
    assert (row["filter_action"], row["output_tokens"]) == ("filtered_completion", 0)
    assert row["verdicts"][("completion", "protected_material_text")] == (None, True, True)


# --- traffic the dashboard reads, throttling, asyncio ------------------------------------


def test_simulator_traffic_fills_every_column_the_dashboard_reads(
    lens_server: LensServer, telemetry: tuple[Telemetry, InMemorySpanExporter]
) -> None:
    tel, _ = telemetry
    policy = "Follow the support policy. " * 200  # > 1,024 tokens: cached when repeated
    with simulator_server() as sim:
        types = {d.name: d.deployment_type for d in DEFAULT_DEPLOYMENTS}
        client = build_client(ClientConfig(endpoint=sim.url, api_key="k", deployment_types=types))
        first = run_chat(
            client,
            ChatRequest(
                "o4-mini-reasoning", "Plan a trip", system=policy, stream=True, tenant_id="contoso"
            ),
        )
        again = run_chat(
            client,
            ChatRequest("o4-mini-reasoning", "Plan a picnic", system=policy, tenant_id="contoso"),
        )
        embedded = client.embeddings.create(model="embed-small", input=["a", "b c"])
    assert len(embedded.data) == 2 and len(embedded.data[0].embedding) == 1536
    assert tel.flush()
    ledger = rows(lens_server)
    streamed, repeated = ledger[first.call_id], ledger[again.call_id]  # type: ignore[index]
    assert (streamed["region"], streamed["deployment_type"], streamed["model"]) == (
        "East US 2",
        "GlobalStandard",
        "o4-mini-2025-04-16",
    )
    assert streamed["cached_input_tokens"] == 0 and repeated["cached_input_tokens"] >= 1024
    assert repeated["cached_input_tokens"] % 128 == 0
    assert streamed["reasoning_tokens"] > 0 and streamed["ttft_ms"] > 0
    assert streamed["attributes"]["azure.openai.simulated"] is True
    (embeddings,) = [r for r in ledger.values() if r["operation"] == "embeddings"]
    assert (
        embeddings["deployment"],
        embeddings["deployment_type"],
        embeddings["input_tokens"],
    ) == ("embed-small", "Standard", 2)


def test_simulator_throttles_a_deployment_past_its_tokens_per_minute(
    lens_server: LensServer, telemetry: tuple[Telemetry, InMemorySpanExporter]
) -> None:
    tel, _ = telemetry
    tiny = tuple(replace(d, tpm=1000) for d in DEFAULT_DEPLOYMENTS)
    with simulator_server(SimulatorConfig(deployments=tiny, latency_scale=0)) as sim:
        client = build_client(ClientConfig(endpoint=sim.url, api_key="k", max_retries=0))
        ask = ChatRequest("gpt-4o-prod", "hello", max_tokens=400)
        outcomes = [run_chat(client, ask) for _ in range(3)]
    assert [o.kind for o in outcomes] == ["ok", "ok", "throttled"]  # 2 x ~410 of 1,000
    throttled = outcomes[2]
    assert throttled.http_status == 429 and throttled.error_code == "429"
    assert throttled.retry_after_s is not None and 1 <= throttled.retry_after_s <= 60
    assert "exceeded token rate limit" in (throttled.error_message or "")
    assert tel.flush()
    row = rows(lens_server)[throttled.call_id]  # type: ignore[index]
    assert row["attributes"]["azure.openai.retry_after_ms"] == throttled.retry_after_s * 1000


def test_async_client_records_the_same_attributes(
    lens_server: LensServer, telemetry: tuple[Telemetry, InMemorySpanExporter]
) -> None:
    import asyncio

    tel, spans = telemetry

    async def calls(url: str) -> str:
        client = build_async_client(ClientConfig(endpoint=url, api_key="k"))
        with call_context(tenant_id="async-tenant"):
            await client.chat.completions.create(
                model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}]
            )
            stream = await client.chat.completions.create(
                model="gpt-4o-mini",
                messages=[{"role": "user", "content": "hi"}],
                stream=True,
                stream_options={"include_usage": True},
            )
            return "".join([c.choices[0].delta.content or "" async for c in stream if c.choices])

    with simulator_server() as sim:
        assert asyncio.run(calls(sim.url))
    assert tel.flush()
    attrs = [s.attributes or {} for s in by_request(spans)]
    assert [a["azure.openai.region"] for a in attrs] == ["Sweden Central"] * 2
    assert [a["tenant.id"] for a in attrs] == ["async-tenant"] * 2
    assert "gen_ai.response.time_to_first_chunk" in attrs[1]


# --- Entra ID -----------------------------------------------------------------------------


class StaticCredential:
    """A credential that hands out one token and remembers the scopes asked for."""

    def __init__(self) -> None:
        self.scopes: list[tuple[str, ...]] = []

    def get_token(self, *scopes: str, **_: Any) -> AccessToken:
        self.scopes.append(scopes)
        return AccessToken("entra-token-123", int(time.time()) + 3600)


def test_entra_id_sends_the_credentials_bearer_token(tmp_path: Path) -> None:
    credential = StaticCredential()
    with simulator_server() as sim:
        config = ClientConfig(endpoint=sim.url, use_managed_identity=True, max_retries=0)
        client = build_client(config, credential=credential)  # type: ignore[arg-type]
        client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}]
        )
        (request,) = sim.requests
    assert request.headers["authorization"] == "Bearer entra-token-123"
    assert "api-key" not in request.headers
    assert credential.scopes == [(SCOPE,)]
    assert SCOPE == "https://cognitiveservices.azure.com/.default"


def test_no_credentials_is_refused_with_the_setting_to_fix() -> None:
    from aoai_client import ClientConfigError

    with pytest.raises(ClientConfigError, match="AZURE_OPENAI_API_KEY"):
        build_client(ClientConfig(endpoint="https://x.openai.azure.com"))
    with pytest.raises(ClientConfigError, match="must be a URL"):
        ClientConfig(endpoint="x.openai.azure.com")
