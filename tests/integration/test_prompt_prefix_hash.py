"""The instrumented client's prompt prefix fingerprint (azure.openai.prompt_prefix_hash)
through the real ``openai`` client, the simulator, the real OTLP exporter and receiver,
into the ledger, where the advisor counts the calls that repeat a long prefix. The
application sees the same answers whatever the fingerprint does."""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from aoai_client import (
    ChatRequest,
    ClientConfig,
    TelemetryConfig,
    build_client,
    configure_telemetry,
)
from aoai_client import transport as client_transport
from aoai_client.prompt_prefix import PREFIX_CHARS
from collectors.store import Store
from queries.advisor import prompt_prefix_reuse
from tests.threaded_servers import ThreadedServer, ingest_server

KEY = "a-secret-of-this-organisation"
POLICY = "Follow the support policy. " * 200  # 5,400 characters: ~1,350 tokens


@pytest.fixture
def lens(tmp_path: Path) -> Iterator[tuple[ThreadedServer, Store, InMemorySpanExporter]]:
    store = Store(tmp_path / "lens.duckdb")
    server = ingest_server(store).start()
    spans = InMemorySpanExporter()
    telemetry = configure_telemetry(
        TelemetryConfig(service_name="support", otlp_traces_endpoint=f"{server.url}/v1/traces",
                        export_delay_ms=100)
    )  # fmt: skip
    telemetry.add_span_processor(SimpleSpanProcessor(spans))
    try:
        yield server, store, spans
    finally:
        telemetry.shutdown()
        server.stop()
        store.close()


def ask(server: ThreadedServer, key: str | None, system: str, user: str) -> str:
    config = ClientConfig(endpoint=f"{server.url}/simulator", api_key="k", max_retries=0,
                          prompt_prefix_key=key)  # fmt: skip
    request = ChatRequest("gpt-4o-mini", user, system=system)
    with build_client(config) as client:  # its connection closed, not left to the collector
        answer = client.chat.completions.create(model="gpt-4o-mini", messages=request.messages())
    return str(answer.choices[0].message.content)


def test_calls_sharing_a_long_prefix_share_a_keyed_hash_in_the_ledger(
    lens: tuple[ThreadedServer, Store, InMemorySpanExporter],
) -> None:
    server, store, spans = lens
    ask(server, KEY, POLICY, "Where is my order?")
    ask(server, KEY, POLICY, "Cancel my order.")
    ask(server, KEY, "Be brief. " + POLICY, "Where is my order?")
    ask(server, None, POLICY, "Where is my order?")  # no key: no fingerprint
    hashes = [
        (s.attributes or {}).get("azure.openai.prompt_prefix_hash")
        for s in spans.get_finished_spans()
        if s.name.startswith("chat")
    ]
    # HMAC-SHA256 of "system\n" + the policy, cut at 4,096 characters: the question is
    # beyond the cut, so both calls share it
    text = ("system\n" + POLICY)[:PREFIX_CHARS]
    expected = hmac.new(KEY.encode(), text.encode(), hashlib.sha256).hexdigest()[:32]
    assert hashes[0] == hashes[1] == expected
    assert hashes[2] is not None and hashes[2] != expected
    assert hashes[3] is None
    for span in spans.get_finished_spans():  # the fingerprint never carries the text
        assert not any("support policy" in str(v) for v in (span.attributes or {}).values())
    deadline = time.monotonic() + 30
    while store.cursor().execute("SELECT count(*) FROM calls").fetchall() != [(4,)]:
        assert time.monotonic() < deadline, "the spans did not reach the ledger"
        time.sleep(0.1)
    now = datetime.now(UTC)
    (row,) = prompt_prefix_reuse(store.cursor(), now - timedelta(hours=1), now).to_dict("records")
    # 4 calls, 3 fingerprinted, 1 repeat of a prefix seen before
    assert (row["calls"], row["hashed_calls"], row["repeat_calls"]) == (4, 3, 1)


def test_a_failing_fingerprint_changes_nothing_the_application_sees(
    lens: tuple[ThreadedServer, Store, InMemorySpanExporter], monkeypatch: pytest.MonkeyPatch
) -> None:
    server, _, spans = lens

    def broken(body: bytes, key: bytes) -> str:
        raise RuntimeError("no hash today")

    monkeypatch.setattr(client_transport, "prompt_prefix_hash", broken)
    answer = ask(server, KEY, "", "Say hello")  # no exception: the simulator's answer
    assert answer and answer != "None"
    last = spans.get_finished_spans()[-1].attributes or {}
    assert "azure.openai.prompt_prefix_hash" not in last
    assert "prompt_prefix_hash" in str(last.get("azure.openai.telemetry.error"))
