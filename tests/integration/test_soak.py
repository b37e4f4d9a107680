"""Soak: mixed valid and hostile traffic from several senders while the server is stopped
with SIGTERM and killed with SIGKILL again and again. Every acknowledged span is stored
once, nothing of a refused request is stored, the audits find nothing, and the writer is
alive before every stop.

Bounded: ``LENS_SOAK_ROUNDS`` restarts (2 in ``make test``, 12 in ``make soak``), each
``LENS_SOAK_ROUND_S`` seconds of traffic.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import duckdb
import httpx
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from collectors.otlp.synthetic import export_requests
from lens_harness.lens_process import LensServer
from queries import audits
from tests.otlp_bodies import call_ids

ROUNDS = int(os.environ.get("LENS_SOAK_ROUNDS", "2"))
ROUND_S = float(os.environ.get("LENS_SOAK_ROUND_S", "6"))
SENDERS = 4
PROTOBUF = {"Content-Type": "application/x-protobuf"}
JSON = {"Content-Type": "application/json"}


def hostile_bodies(now_ns: int) -> list[tuple[bytes, dict[str, str]]]:
    """Requests the server must refuse whole (each holds one valid-looking model call)."""

    def span(span_id: str, **attributes: object) -> dict[str, object]:
        values = {"gen_ai.operation.name": "chat", "gen_ai.request.model": "m", **attributes}
        return {
            "traceId": "feedfacefeedfacefeedfacefeedface",
            "spanId": span_id,
            "startTimeUnixNano": str(now_ns),
            "attributes": [{"key": k, "value": {"stringValue": str(v)}} for k, v in values.items()],
        }

    def body(*spans: dict[str, object]) -> bytes:
        return json.dumps({"resourceSpans": [{"scopeSpans": [{"spans": list(spans)}]}]}).encode()

    big_index = json.dumps([{"prompt_index": 2**40, "content_filter_results": {}}])
    return [
        (body(span("00000000000000f1", **{"azure.openai.prompt_filter_results": big_index})),
         JSON),
        (body(span("00000000000000f2", **{"gen_ai.usage.input_tokens": "-5"})), JSON),
        (body(span("00000000000000f3"), {"traceId": "ab"}), JSON),
        (b"\x0a\x85\x01\x0a", PROTOBUF),
        (b'{"resourceSpans": [', JSON),
        (b"[" * 5000, JSON),
    ]  # fmt: skip


class Traffic:
    """Senders that behave like OTLP exporters: retry 429/503 and lost connections."""

    def __init__(self, batches: list[ExportTraceServiceRequest]) -> None:
        self.batches = batches
        self.next_batch = itertools.count()
        self.acked: set[str] = set()
        self.acked_batches: list[int] = []
        self.lock = threading.Lock()
        self.answers: dict[int, int] = {}
        self.stop = threading.Event()

    def send(self, url: str, seed: int) -> None:
        rng = random.Random(seed)
        hostile = hostile_bodies(time.time_ns())
        with httpx.Client(timeout=30) as client:
            while not self.stop.is_set():
                if rng.random() < 0.2:
                    content, headers = rng.choice(hostile)
                    self._post(client, url, content, headers)
                    continue
                with self.lock:
                    done = list(self.acked_batches)
                resend = bool(done) and rng.random() < 0.1
                index = rng.choice(done) if resend else next(self.next_batch)
                if index >= len(self.batches):
                    return
                request = self.batches[index]
                while not self.stop.is_set():
                    status = self._post(client, url, request.SerializeToString(), PROTOBUF)
                    if status == 200:
                        with self.lock:
                            self.acked |= call_ids(request)
                            self.acked_batches.append(index)
                        break
                    if status is None or status in (429, 503):
                        time.sleep(0.2)
                        continue
                    raise AssertionError(f"a valid batch got {status}")

    def _post(
        self, client: httpx.Client, url: str, content: bytes, headers: dict[str, str]
    ) -> int | None:
        try:
            status = client.post(f"{url}/v1/traces", content=content, headers=headers).status_code
        except httpx.HTTPError:
            return None  # the server is gone: retried after it is back
        assert status < 500 or status == 503, status
        with self.lock:
            self.answers[status] = self.answers.get(status, 0) + 1
        return status


def test_restarts_under_mixed_traffic_lose_and_double_nothing(
    make_server: Callable[..., LensServer],
) -> None:
    server = make_server(env={"LENS_QUEUE_MAX_CALLS": "4000"})
    end = datetime.now(UTC)
    spans = int(ROUNDS * ROUND_S * 6_000)
    batches = list(export_requests(end - timedelta(days=2), end, spans, batch_size=256))
    traffic = Traffic(batches)
    for round_number in range(ROUNDS):
        server.start()
        traffic.stop.clear()
        threads = [
            threading.Thread(target=traffic.send, args=(server.url, round_number * 100 + n))
            for n in range(SENDERS)
        ]
        for thread in threads:
            thread.start()
        time.sleep(ROUND_S)
        health = server.health()
        assert health["status"] == "ok" and health["writer"]["alive"], health  # type: ignore[index]
        if round_number % 2:
            server.kill()
        else:
            started = time.monotonic()
            server.stop(timeout_s=15)
            assert time.monotonic() - started < 10
        traffic.stop.set()
        for thread in threads:
            thread.join(60)
    server.start()
    server.stop()

    assert traffic.answers.get(400, 0) > 0, "no hostile request was sent"
    with duckdb.connect(str(server.db_path), read_only=True) as con:
        stored = [row[0] for row in con.execute("SELECT call_id FROM calls").fetchall()]
        for audit in audits.AUDITS:
            assert getattr(audits, audit)(con).empty, audit
    assert len(stored) == len(set(stored)), "a call is stored twice"
    assert not any(cid.startswith("feedface") for cid in stored), "a refused request stored"
    missing = traffic.acked - set(stored)
    assert not missing, f"{len(missing)} acknowledged calls lost"
    assert len(traffic.acked) > 256 * ROUNDS, traffic.answers
