"""Local mode (no sign-in): the running server answers this machine only. A request
addressed to another host name (DNS rebinding) gets a 400 with the reason; a browser's POST
or WebSocket from another site gets a 403 (or is closed) and changes nothing; the same
requests from this machine go through."""

from __future__ import annotations

import socket
from collections.abc import Callable

import duckdb
import httpx

from lens_harness.lens_process import LensServer
from tests.otlp_bodies import JSON, body, span


def send_span(server: LensServer, span_id: str, headers: dict[str, str]) -> httpx.Response:
    return httpx.post(f"{server.url}/v1/traces", content=body(span(span_id)), headers=headers)


def websocket_handshake(server: LensServer, origin: str) -> str:
    """The status line the server answers a WebSocket upgrade of the dashboard's stream."""
    port = int(server.url.rsplit(":", 1)[1])
    request = (
        "GET /_stcore/stream HTTP/1.1\r\n"
        f"Host: 127.0.0.1:{port}\r\n"
        "Upgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
        f"Origin: {origin}\r\n\r\n"
    )
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request.encode())
        return sock.recv(4096).decode("latin-1").split("\r\n", 1)[0]


def test_only_this_machine_is_answered(make_server: Callable[..., LensServer]) -> None:
    # lens.internal: the name of a proxy on this machine, listed by the operator.
    lens_server = make_server(env={"LENS_ALLOWED_HOSTS": "lens.internal"}).start()
    url = lens_server.url
    port = url.rsplit(":", 1)[1]

    # DNS rebinding: a page of evil.example whose name resolves to 127.0.0.1.
    for path in ("/healthz", "/api/chargeback.csv", "/"):
        refused = httpx.get(f"{url}{path}", headers={"Host": f"evil.example:{port}"})
        assert refused.status_code == 400, path
        assert "127.0.0.1, localhost or LENS_ALLOWED_HOSTS only" in refused.json()["error"]
        assert "'evil.example'" in refused.json()["error"]
        assert "ssh -L" in refused.json()["hint"]
    long_name = "a" * 4_000 + ".example"
    refused = httpx.get(f"{url}/healthz", headers={"Host": long_name})
    assert refused.status_code == 400 and len(refused.text) < 1_000  # an excerpt, not all
    for host in (f"localhost:{port}", f"[::1]:{port}", "lens.internal", "LENS.internal:443"):
        assert httpx.get(f"{url}/healthz", headers={"Host": host}).status_code == 200, host

    # A web page's POSTs: a body-less price refresh, and forged calls.
    evil = {"Origin": "https://evil.example"}
    refresh = httpx.post(f"{url}/api/prices/refresh?apply=true", headers=evil)
    assert refresh.status_code == 403
    assert "https://evil.example" in refresh.json()["error"]
    cross_site = {**JSON, "Sec-Fetch-Site": "cross-site"}
    assert send_span(lens_server, "00000000000000f1", cross_site).status_code == 403
    sandboxed = {**JSON, "Origin": "null"}
    assert send_span(lens_server, "00000000000000f2", sandboxed).status_code == 403

    # The dashboard itself (same origin, or through the listed proxy) and senders on this
    # machine go through.
    own = {**JSON, "Origin": url}
    assert send_span(lens_server, "00000000000000a1", own).status_code == 200
    proxied = {**JSON, "Origin": "https://lens.internal"}
    assert send_span(lens_server, "00000000000000a3", proxied).status_code == 200
    assert send_span(lens_server, "00000000000000a2", JSON).status_code == 200

    # The dashboard's WebSocket: refused from another site, opened from its own page.
    assert " 403 " in websocket_handshake(lens_server, "https://evil.example") + " "
    assert " 101 " in websocket_handshake(lens_server, url) + " "

    lens_server.stop()
    with duckdb.connect(str(lens_server.db_path), read_only=True) as con:
        stored = con.execute("SELECT span_id FROM calls ORDER BY span_id").fetchall()
    assert stored == [("00000000000000a1",), ("00000000000000a2",), ("00000000000000a3",)]
