"""What hostile or broken senders get from the running server, one test per way they used
to hurt it: a clear 4xx (or the call kept within bounds), never a 500, never a hang, and
the server goes on storing what comes next."""

from __future__ import annotations

import gzip
import json
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

import duckdb
import httpx
import pytest

from lens_harness.lens_process import LensServer
from tests.otlp_bodies import JSON, body, span


def post(server: LensServer, content: bytes, headers: dict[str, str] = JSON) -> httpx.Response:
    return httpx.post(f"{server.url}/v1/traces", content=content, headers=headers, timeout=60)


def stored(server: LensServer, sql: str) -> list[tuple[Any, ...]]:
    server.stop()
    with duckdb.connect(str(server.db_path), read_only=True) as con:
        return con.execute(sql).fetchall()


def still_storing(server: LensServer, span_id: str) -> None:
    """The server answers a good span with 200 and says it is healthy."""
    assert post(server, body(span(span_id))).status_code == 200
    health = httpx.get(f"{server.url}/healthz", timeout=10)
    assert health.status_code == 200, health.text
    assert health.json()["status"] == "ok"
    assert health.json()["writer"]["alive"] is True


def test_a_verdict_index_beyond_any_column_is_refused_and_ingestion_goes_on(
    lens_server: LensServer,
) -> None:
    verdicts = json.dumps(
        [{"prompt_index": 2**40, "content_filter_results": {"hate": {"filtered": False}}}]
    )
    response = post(
        lens_server,
        body(span("00000000000000a1", **{"azure.openai.prompt_filter_results": verdicts})),
    )
    assert response.status_code == 400
    assert "azure.openai.prompt_filter_results" in response.json()["message"]
    still_storing(lens_server, "00000000000000a2")
    assert stored(lens_server, "SELECT span_id FROM calls") == [("00000000000000a2",)]


def test_a_huge_python_literal_in_a_status_message_is_not_parsed(
    lens_server: LensServer,
) -> None:
    # 16 MB of nested literal behind "Error code: 400 -": gzip makes it a few kB.
    literal = "{'error': {'code': 'content_filter', 'x': [" + "[1]," * 4_000_000 + "]}}"
    content = gzip.compress(body(span("00000000000000b1", status="Error code: 400 - " + literal)))
    assert len(content) < 100_000
    started = time.monotonic()
    response = post(lens_server, content, {**JSON, "Content-Encoding": "gzip"})
    elapsed = time.monotonic() - started
    assert response.status_code == 200, response.text[:300]
    assert elapsed < 20, f"{elapsed:.1f} s for one request: the literal was parsed"
    still_storing(lens_server, "00000000000000b2")
    rows = stored(lens_server, "SELECT span_id, filter_action FROM calls ORDER BY span_id")
    # "Error code: 400" with content_filter and no readable body: not a blocked prompt.
    assert rows == [("00000000000000b1", "none"), ("00000000000000b2", "none")]


@pytest.mark.parametrize(
    ("case", "attributes"),
    [
        ("superscript status code", {"http.response.status_code": "²⁰⁰"}),
        ("superscript error type", {"error.type": "openai.²³⁴"}),
        (
            "superscript choice index",
            {
                "gen_ai.completion.²³.finish_reason": "stop",
                "gen_ai.completion.0.finish_reason": "x",
            },
        ),
        ("arabic-indic digits in tokens", {"gen_ai.usage.input_tokens": "١٢٣"}),
    ],
)
def test_digits_python_accepts_but_int_refuses_never_give_a_500(
    lens_server: LensServer, case: str, attributes: dict[str, Any]
) -> None:
    response = post(lens_server, body(span("00000000000000c1", **attributes)))
    assert response.status_code in (200, 400), (case, response.text[:300])
    if response.status_code == 400:
        assert next(iter(attributes)) in response.json()["message"], case
    still_storing(lens_server, "00000000000000c2")


@pytest.mark.parametrize(
    "attributes",
    [
        {
            "gen_ai.completion." + "9" * 5000 + ".finish_reason": "stop",
            "gen_ai.completion.0.finish_reason": "stop",
        },
        {"gen_ai.usage.output_tokens": "9" * 5000},
    ],
)
def test_digit_strings_longer_than_python_converts_are_refused(
    lens_server: LensServer, attributes: dict[str, Any]
) -> None:
    response = post(lens_server, body(span("00000000000000d1", **attributes)))
    assert response.status_code == 400
    assert next(iter(attributes))[:40] in response.json()["message"]
    still_storing(lens_server, "00000000000000d2")


def test_json_nested_a_thousand_deep_is_a_400(lens_server: LensServer) -> None:
    opening = '{"kvlistValue":{"values":[{"key":"k","value":' * 1000
    deep = opening + '{"stringValue":"x"}' + "}]}}" * 1000
    nested = json.dumps(span("00000000000000e1"))
    text = nested[:-1] + ',"x":{"attributes":[{"key":"deep","value":' + deep + "}]}}"
    content = b'{"resourceSpans":[{"scopeSpans":[{"spans":[' + text.encode() + b"]}]}]}"
    response = post(lens_server, content)
    assert response.status_code == 400
    assert "nested too deeply" in response.json()["message"]
    still_storing(lens_server, "00000000000000e2")


def test_calls_dated_1970_or_2554_are_refused_per_span(lens_server: LensServer) -> None:
    old = span("00000000000000f1", start_ns=1_000_000_000)
    future = span("00000000000000f2", start_ns=18_000_000_000_000_000_000)
    response = post(lens_server, body(old, future, span("00000000000000f3")))
    assert response.status_code == 200
    partial = response.json()["partialSuccess"]
    assert partial["rejectedSpans"] == "2"
    assert "dated implausibly" in partial["errorMessage"]
    assert stored(lens_server, "SELECT span_id FROM calls") == [("00000000000000f3",)]


def test_a_15_mb_attribute_is_kept_cut_with_a_marker(lens_server: LensServer) -> None:
    content = body(span("0000000000000101", **{"app.blob": "x" * 15_000_000}))
    response = post(lens_server, content)
    assert response.status_code == 200
    (attributes,) = stored(lens_server, "SELECT attributes FROM calls")[0]
    kept = json.loads(attributes)
    assert len(kept["app.blob"]) < 300_000
    assert kept["app.blob"].endswith("...[truncated: 15000000 characters]")
    assert kept["lens.truncated"] == ["app.blob"]


def test_an_error_quotes_only_a_short_excerpt_of_the_input(lens_server: LensServer) -> None:
    bad = span("0000000000000111")
    bad["attributes"].append({"key": "n", "value": {"intValue": "z" * 65_000}})
    response = post(lens_server, body(bad))
    assert response.status_code == 400
    assert len(response.content) < 1_000


def test_credentials_in_attributes_are_masked_before_they_are_stored(
    lens_server: LensServer,
) -> None:
    secret = {
        "http.request.header.authorization": "Bearer eyJhbGciOi.secret",
        "http.request.header.api-key": "0123456789abcdef",
        "llm.headers": "{'api-key': '0123456789abcdef'}",
        "db.password": "hunter2",
        "url.full": "https://aoai.openai.azure.com/openai/deployments/d/chat/completions"
        "?api-version=2024-10-21&api-key=0123456789abcdef",
        "gen_ai.usage.cache_read.input_tokens": 10,
    }
    assert post(lens_server, body(span("0000000000000121", **secret))).status_code == 200
    (attributes,) = stored(lens_server, "SELECT attributes FROM calls")[0]
    assert "0123456789abcdef" not in attributes
    assert "hunter2" not in attributes and "eyJhbGciOi" not in attributes
    kept = json.loads(attributes)
    assert kept["http.request.header.authorization"] == "[redacted]"
    assert kept["llm.headers"] == "[redacted]"
    assert kept["url.full"].endswith("api-version=2024-10-21&api-key=[redacted]")


def test_healthz_does_not_tell_where_the_file_lives(lens_server: LensServer) -> None:
    health = lens_server.health()
    assert health["db"] == "lens.duckdb"
    assert str(lens_server.db_path.parent) not in json.dumps(health)


def slow_sender(url: str, seconds: float) -> Callable[[], bytes]:
    """Start a POST whose body trickles in over ``seconds``; returns a reader of the answer."""
    host, port = url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=60)
    sock.sendall(
        b"POST /v1/traces HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        b"Content-Length: 1000\r\n\r\n"
    )
    stop = threading.Event()

    def trickle() -> None:
        for _ in range(int(seconds * 10)):
            if stop.wait(0.1):
                return
            try:
                sock.sendall(b" ")
            except OSError:
                return

    thread = threading.Thread(target=trickle, daemon=True)
    thread.start()

    def answer() -> bytes:
        data = b""
        try:
            while chunk := sock.recv(65536):
                data += chunk
                if b"\r\n\r\n" in data:
                    break
        except OSError:
            pass
        stop.set()
        sock.close()
        return data

    return answer


def test_a_body_slower_than_its_deadline_gets_a_408(
    make_server: Callable[..., LensServer],
) -> None:
    server = make_server(env={"LENS_OTLP_BODY_TIMEOUT_S": "1"}).start()
    answer = slow_sender(server.url, seconds=30)()
    assert answer.startswith(b"HTTP/1.1 408"), answer[:200]
    still_storing(server, "0000000000000131")


def test_requests_beyond_the_cap_are_told_to_come_back(
    make_server: Callable[..., LensServer],
) -> None:
    server = make_server(
        env={"LENS_OTLP_MAX_CONCURRENT": "2", "LENS_OTLP_BODY_TIMEOUT_S": "20"}
    ).start()
    readers = [slow_sender(server.url, seconds=3) for _ in range(2)]
    time.sleep(0.5)  # both are being read
    response = post(server, body(span("0000000000000141")))
    assert response.status_code == 503
    assert int(response.headers["Retry-After"]) >= 1
    for read in readers:
        read()
    still_storing(server, "0000000000000142")


def test_sigterm_stops_the_server_within_ten_seconds_while_requests_wait(
    make_server: Callable[..., LensServer],
) -> None:
    server = make_server(env={"LENS_OTLP_BODY_TIMEOUT_S": "60"}).start()
    readers = [slow_sender(server.url, seconds=60) for _ in range(3)]
    time.sleep(0.5)
    started = time.monotonic()
    code = server.stop(timeout_s=15)
    elapsed = time.monotonic() - started
    assert elapsed < 10, f"stopped after {elapsed:.1f} s"
    assert code in (0, -15, 143)
    for read in readers:
        answer = read()
        assert answer == b"" or answer.startswith(b"HTTP/1.1 503"), answer[:200]
