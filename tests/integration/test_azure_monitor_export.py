"""With a connection string, the instrumented client's spans also reach Azure Monitor.

The ingestion endpoint is a local server answering the Track API as Application Insights
does (``POST /v2.1/track``, a JSON array of envelopes, possibly gzip-compressed; answer
``{"itemsReceived", "itemsAccepted", "errors"}``: azure-sdk-for-python
``azure-monitor-opentelemetry-exporter`` ``_generated`` client and its README)."""

from __future__ import annotations

import gzip
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import pytest

from aoai_client import (
    ChatRequest,
    ClientConfig,
    TelemetryConfig,
    build_client,
    configure_telemetry,
    run_chat,
)
from tests.threaded_servers import simulator_server


class _Ingestion(BaseHTTPRequestHandler):
    envelopes: ClassVar[list[dict[str, Any]]] = []

    def log_message(self, *_: Any) -> None:
        pass

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("content-length", 0)))
        if self.headers.get("content-encoding") == "gzip":
            body = gzip.decompress(body)
        if self.path == "/v2.1/track":
            batch = json.loads(body)
            type(self).envelopes.extend(batch)
            answer = {"itemsReceived": len(batch), "itemsAccepted": len(batch), "errors": []}
        else:
            answer = {}
        payload = json.dumps(answer).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


def test_spans_go_to_application_insights_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APPLICATIONINSIGHTS_STATSBEAT_DISABLED_ALL", "true")
    ingestion = ThreadingHTTPServer(("127.0.0.1", 0), _Ingestion)
    threading.Thread(target=ingestion.serve_forever, daemon=True).start()
    connection = (
        "InstrumentationKey=00000000-0000-0000-0000-000000000000;"
        f"IngestionEndpoint=http://127.0.0.1:{ingestion.server_address[1]}/"
    )
    telemetry = configure_telemetry(
        TelemetryConfig(service_name="chat-api", applicationinsights_connection_string=connection)
    )
    try:
        with simulator_server() as sim:
            client = build_client(ClientConfig(endpoint=sim.url, api_key="k"))
            outcome = run_chat(client, ChatRequest("gpt-4o-prod", "hello", tenant_id="contoso"))
        assert outcome.kind == "ok"
        assert telemetry.flush(30_000)
    finally:
        telemetry.shutdown()
        ingestion.shutdown()
    dependencies = [
        e["data"]["baseData"]
        for e in _Ingestion.envelopes
        if e["name"] == "Microsoft.ApplicationInsights.RemoteDependency"
    ]
    (chat,) = [d for d in dependencies if d["name"] == "chat gpt-4o-prod"]
    assert chat["properties"]["azure.openai.region"] == "Sweden Central"
    assert chat["properties"]["tenant.id"] == "contoso"
    assert chat["properties"]["azure.openai.deployment"] == "gpt-4o-prod"
