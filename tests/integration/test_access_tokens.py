"""A lens server with an access file, tried route by route with each role's token.

What each request gets: no or an unknown token, 401 with ``{"error", "hint"}`` and
``WWW-Authenticate: Bearer``; a role that may not, 403; a tenant's token, only its
tenants' chargeback rows; the anonymous ``/healthz``, only ``status``. Every refusal, and
each export, backfill and price apply, leaves an audit entry naming the actor.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import grpc
import httpx
import pytest
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.proto.collector.trace.v1.trace_service_pb2_grpc import TraceServiceStub

from lens_harness.lens_process import LensServer
from tests.integration.test_otlp_grpc import sdk_spans
from tests.otlp_bodies import JSON, NOW_NS, body, span

TOKENS = {
    "admin": "admin-token-0001",
    "finops": "finops-token-0002",
    "tenant": "contoso-token-0003",
    "ingest": "collector-token-0004",
    "safety": "safety-token-0005",
    "finops-contoso": "contoso-finops-token-0006",  # finops, limited to one tenant
}


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def access_file(path: Path) -> Path:
    lines = ['[[users]]\nemail = "ana@contoso.com"\nrole = "finops"\n']
    for name, token in TOKENS.items():
        role = name.split("-")[0]
        tenants = 'tenants = ["contoso"]\n' if role == "tenant" or "-" in name else ""
        lines.append(
            f'[[tokens]]\nname = "{name}-machine"\nsha256 = "{digest(token)}"\n'
            f'role = "{role}"\n{tenants}'
        )
    path.write_text("\n".join(lines))
    return path


def bearer(role: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKENS[role]}"}


@pytest.fixture
def shared_server(make_server: Callable[..., LensServer], tmp_path: Path) -> LensServer:
    env = {"LENS_ACCESS_FILE": str(access_file(tmp_path / "access.toml"))}
    return make_server(env=env).start()


def month_of_spans() -> str:
    return datetime.fromtimestamp(NOW_NS / 1e9, UTC).strftime("%Y-%m")


def test_each_route_answers_each_role_as_the_access_file_says(shared_server: LensServer) -> None:
    url = shared_server.url
    spans = body(
        span("00000000000000c1", **{"tenant.id": "contoso"}),
        span("00000000000000f1", **{"tenant.id": "fabrikam"}),
    )
    month = month_of_spans()

    # Ingest: no token, an unknown one, a role that may not; then the ingest token.
    for headers, status in (
        ({}, 401),
        ({"Authorization": "Bearer not-a-listed-token"}, 401),
        ({"Authorization": "Basic YWRtaW46YWRtaW4="}, 401),
        (bearer("tenant"), 403),
        (bearer("finops"), 403),
    ):
        refused = httpx.post(f"{url}/v1/traces", content=spans, headers={**JSON, **headers})
        assert refused.status_code == status, headers
        assert set(refused.json()) == {"error", "hint"}
    unauthenticated = httpx.post(f"{url}/v1/traces", content=spans, headers=JSON)
    assert unauthenticated.headers["WWW-Authenticate"] == "Bearer"
    assert "no credentials" in unauthenticated.json()["error"]
    assert "Authorization: Bearer" in unauthenticated.json()["hint"]
    stored = httpx.post(f"{url}/v1/traces", content=spans, headers={**JSON, **bearer("ingest")})
    assert stored.status_code == 200
    assert shared_server.health()  # anonymous /healthz still answers (probes)

    # Chargeback: every reading role; the tenant's token sees only its tenant.
    chargeback = f"{url}/api/chargeback.csv?month={month}"
    assert httpx.get(chargeback).status_code == 401
    assert httpx.get(chargeback, headers=bearer("ingest")).status_code == 403
    everyone = httpx.get(chargeback, headers=bearer("finops"))
    assert everyone.status_code == 200
    tenants_seen = {line.split(",")[1] for line in everyone.text.splitlines()[1:]}
    assert tenants_seen == {"contoso", "fabrikam"}
    own = httpx.get(chargeback, headers=bearer("tenant"))
    assert own.status_code == 200
    assert own.text.splitlines()[0] == everyone.text.splitlines()[0]  # same columns
    assert {line.split(",")[1] for line in own.text.splitlines()[1:]} == {"contoso"}
    assert httpx.get(chargeback, headers=bearer("safety")).status_code == 200

    # Prices and backfill: reading the price book is finops', applying it the admin's.
    refresh = f"{url}/api/prices/refresh"
    assert httpx.post(refresh).status_code == 401
    assert httpx.post(refresh, headers=bearer("tenant")).status_code == 403
    apply = httpx.post(f"{refresh}?apply=true", headers=bearer("finops"))
    assert apply.status_code == 403 and "apply" in apply.json()["error"]
    backfill = f"{url}/api/backfill?source=app_insights&since=1d"
    assert httpx.post(backfill, headers=bearer("finops")).status_code == 403
    no_workspace = httpx.post(backfill, headers=bearer("admin"))
    assert no_workspace.status_code == 409  # let through, then: no workspace configured

    # Budget checks: the admin's and finops'.
    alerts = f"{url}/api/alerts/check?dry_run=true"
    assert httpx.post(alerts).status_code == 401
    assert httpx.post(alerts, headers=bearer("tenant")).status_code == 403
    checked = httpx.post(alerts, headers=bearer("finops"))
    assert checked.status_code == 200 and checked.json()["dry_run"] is True

    # Savings advice: the admin's and finops'.
    advise = f"{url}/api/advise?since=30d"
    assert httpx.get(advise).status_code == 401
    assert httpx.get(advise, headers=bearer("safety")).status_code == 403
    advised = httpx.get(advise, headers=bearer("finops"))
    assert advised.status_code == 200 and "recommendations" in advised.json()
    limited = httpx.get(advise, headers=bearer("finops-contoso"))  # advice reads every tenant
    assert limited.status_code == 403 and "every tenant" in limited.json()["error"]

    # The simulator takes a token as its api-key, as an Azure OpenAI client sends it.
    chat = f"{url}/simulator/openai/deployments/gpt-4o-prod/chat/completions?api-version=2024-10-21"
    message = {"messages": [{"role": "user", "content": "hi"}]}
    assert httpx.post(chat, json=message, headers={"api-key": "any"}).status_code == 401
    assert httpx.post(chat, json=message, headers={"api-key": TOKENS["finops"]}).status_code == 403
    assert httpx.post(chat, json=message, headers={"api-key": TOKENS["safety"]}).status_code == 200

    # /healthz: the anonymous learn the status only; a token holder sees the rest.
    anonymous = httpx.get(f"{url}/healthz").json()
    assert anonymous == {"status": "ok"}
    detailed = httpx.get(f"{url}/healthz", headers=bearer("finops")).json()
    assert detailed["status"] == "ok" and detailed["calls"] == 2 and "db" in detailed

    shared_server.stop()
    with duckdb.connect(str(shared_server.db_path), read_only=True) as con:
        rows = con.execute(
            "SELECT actor, role, action, target, CAST(detail AS VARCHAR) FROM audit_log"
            ' ORDER BY "at"'
        ).fetchall()
    denied = [r for r in rows if r[2] == "denied"]
    assert ("anonymous", None, "denied", "/v1/traces") in [r[:4] for r in denied]
    assert ("tenant-machine", "tenant", "denied", "/v1/traces") in [r[:4] for r in denied]
    assert ("finops-machine", "finops", "denied", "/api/prices/refresh") in [r[:4] for r in denied]
    assert ("ingest-machine", "ingest", "denied", "/api/chargeback.csv") in [r[:4] for r in denied]
    assert len(denied) == 18  # every 401 and 403 above, and nothing else
    exports = {r[0]: json.loads(r[4]) for r in rows if r[2] == "export.chargeback"}
    assert exports["tenant-machine"] == {
        "format": "csv", "month": month, "tenants": ["contoso"], "via": "api"
    }  # fmt: skip
    assert exports["finops-machine"]["tenants"] == "all"
    assert [r for r in rows if r[2] == "backfill"] == []  # 409: no pull was started


def test_otlp_grpc_needs_an_ingest_token_as_metadata(shared_server: LensServer) -> None:
    request = encode_spans(sdk_spans(1, "svc"))
    with grpc.insecure_channel(shared_server.grpc_endpoint) as channel:
        stub = TraceServiceStub(channel)
        for metadata, code in (
            ((), grpc.StatusCode.UNAUTHENTICATED),
            ((("authorization", f"Bearer {TOKENS['finops']}"),), grpc.StatusCode.PERMISSION_DENIED),
        ):
            with pytest.raises(grpc.RpcError) as refused:
                stub.Export(request, metadata=metadata, timeout=30)
            assert refused.value.code() == code
        stub.Export(request, metadata=(("authorization", f"Bearer {TOKENS['ingest']}"),))
    assert shared_server.health() == {"status": "ok"}
    shared_server.stop()
    with duckdb.connect(str(shared_server.db_path), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM calls").fetchone() == (1,)
        denials = con.execute(
            "SELECT actor, target FROM audit_log WHERE action = 'denied' ORDER BY \"at\""
        ).fetchall()
    assert denials == [("anonymous", "otlp-grpc"), ("finops-machine", "otlp-grpc")]


def test_a_malformed_access_file_stops_serve_naming_the_entry(
    make_server: Callable[..., LensServer], tmp_path: Path
) -> None:
    path = tmp_path / "access.toml"
    path.write_text(
        f'[[tokens]]\nname = "ok"\nsha256 = "{digest("x")}"\nrole = "ingest"\n'
        '[[tokens]]\nname = "collector-weu"\nsha256 = "abc123"\nrole = "ingest"\n'
    )
    server = make_server(env={"LENS_ACCESS_FILE": str(path)})
    with pytest.raises(RuntimeError, match="exited early") as failed:
        server.start(timeout_s=30)
    assert "tokens[2] (collector-weu): sha256 must be the 64 hex digits" in str(failed.value)
    assert server.process is not None and server.process.wait(5) == 2


def test_with_an_access_file_serve_may_bind_every_address(
    make_server: Callable[..., LensServer], tmp_path: Path
) -> None:
    env = {"LENS_ACCESS_FILE": str(access_file(tmp_path / "access.toml")), "LENS_HOST": "0.0.0.0"}
    server = make_server(env=env).start()
    assert httpx.get(f"{server.url}/healthz").json() == {"status": "ok"}
    assert httpx.get(f"{server.url}/api/chargeback.csv").status_code == 401
