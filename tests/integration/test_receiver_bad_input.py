"""What each bad OTLP request gets from the running server: a 4xx with a reason,
nothing of it stored, and the server goes on serving."""

from __future__ import annotations

import gzip
from typing import Any

import duckdb
import httpx
import pytest

from lens_harness.lens_process import LensServer
from tests import otlp_bodies
from tests.otlp_bodies import JSON, body

START_NS = 1763888400000000000
PROTOBUF = {"Content-Type": "application/x-protobuf"}


def span(span_id: str, **attributes: Any) -> dict[str, Any]:
    return otlp_bodies.span(span_id, start_ns=START_NS, **attributes)


GOOD = span("00000000000000a1")


def post(server: LensServer, content: bytes, headers: dict[str, str]) -> httpx.Response:
    return httpx.post(f"{server.url}/v1/traces", content=content, headers=headers, timeout=30)


# (case, body, headers, status, words in the reason)
CASES = [
    ("truncated protobuf", b"\x0a\x85\x01\x0a", PROTOBUF, 400, "protobuf"),
    ("invalid JSON", b'{"resourceSpans": [', JSON, 400, "not valid JSON"),
    ("wrong content type", body(GOOD), {"Content-Type": "text/csv"}, 415, "text/csv"),
    ("short trace id in one of two spans",
     body(GOOD, {**span("00000000000000a2"), "traceId": "abcd"}), JSON, 400, "traceId"),
    ("long span id", body(span("00000000000000a2aa")), JSON, 400, "spanId"),
    ("negative tokens next to a good span",
     body(GOOD, span("00000000000000a3", **{"gen_ai.usage.input_tokens": -5})), JSON, 400,
     "gen_ai.usage.input_tokens"),
    ("a billion output tokens",
     body(span("00000000000000a4", **{"gen_ai.usage.output_tokens": 10**12})), JSON, 400,
     "gen_ai.usage.output_tokens"),
    ("gzip bomb", gzip.compress(b"\0" * (64 * 1024 * 1024)),
     {**PROTOBUF, "Content-Encoding": "gzip"}, 413, "limit"),
    ("body over the size limit", b"x" * (17 * 1024 * 1024), PROTOBUF, 413, "limit"),
]  # fmt: skip


def test_each_bad_request_gets_a_reason_and_stores_nothing(lens_server: LensServer) -> None:
    for case, content, headers, status, words in CASES:
        response = post(lens_server, content, headers)
        assert response.status_code == status, case
        assert words in response.content.decode(errors="replace"), (case, response.text[:300])
        assert response.headers.get("Retry-After") is None, case  # permanent: not to be retried
    health = lens_server.health()
    assert health["calls"] == 0
    assert health["otlp"]["bad_requests"] == len(CASES)  # type: ignore[index]

    # The server keeps serving: the good span alone is accepted afterwards.
    assert post(lens_server, body(GOOD), JSON).status_code == 200
    assert lens_server.health()["calls"] == 1
    lens_server.stop()
    with duckdb.connect(str(lens_server.db_path), read_only=True) as con:
        rows = con.execute("SELECT span_id, input_tokens FROM calls").fetchall()
    assert rows == [("00000000000000a1", 100)]


def test_json_errors_are_google_rpc_status(lens_server: LensServer) -> None:
    response = post(lens_server, b"{", JSON)
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/json")
    status = response.json()
    assert status["code"] == 3  # INVALID_ARGUMENT
    assert "not valid JSON" in status["message"]


def test_protobuf_errors_are_protobuf_status(lens_server: LensServer) -> None:
    from google.rpc import status_pb2

    response = post(lens_server, b"\x0a\xff\xff", PROTOBUF)
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/x-protobuf"
    status = status_pb2.Status.FromString(response.content)
    assert status.code == 3
    assert "protobuf" in status.message


def test_non_genai_spans_are_partial_success(lens_server: LensServer) -> None:
    http_span = {
        "traceId": "5b8efff798038103d269b633813fc60c",
        "spanId": "00000000000000b1",
        "name": "GET /",
        "kind": 2,
        "startTimeUnixNano": "1763888400000000000",
        "endTimeUnixNano": "1763888400100000000",
        "attributes": [{"key": "http.request.method", "value": {"stringValue": "GET"}}],
    }
    response = post(lens_server, body(GOOD, http_span), JSON)
    assert response.status_code == 200
    partial = response.json()["partialSuccess"]
    assert partial["rejectedSpans"] == "1"
    assert partial["errorMessage"]
    assert lens_server.health()["calls"] == 1


@pytest.mark.parametrize("method", ["GET", "PUT"])
def test_other_methods_are_refused(lens_server: LensServer, method: str) -> None:
    response = httpx.request(method, f"{lens_server.url}/v1/traces", timeout=10)
    assert response.status_code == 405
