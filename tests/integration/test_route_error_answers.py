"""The routes' one translation of errors (``app/server/http_errors.py``): a ``LensError`` is
answered ``{"error", "hint"}`` with the error's status and, when it has one, Retry-After;
a bug is a 500 in the same shape with an id, never a traceback; the OTLP receiver keeps
answering in its own protocol. Real routes on a real server on 127.0.0.1."""

from __future__ import annotations

import logging
from pathlib import Path

import httpx
import pytest
from google.rpc import status_pb2
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from app.config import Settings
from app.lens import Lens
from app.server.http_errors import answers_errors
from app.server.routes import build_routes
from collectors.store import Store
from lens_errors import BusyError, ForbiddenError
from tests.threaded_servers import ThreadedServer, ingest_server


def lens_on(store: Store) -> Lens:
    """A lens on ``store``, not started: no poller, no queue."""
    settings = Settings(
        lens_db=store.path, lens_otlp_grpc_port=0, lens_alert_interval_s=0, lens_simulator=False
    )
    return Lens(settings, store=store)


def test_a_route_answers_bad_input_with_the_errors_status_and_hint(tmp_path: Path) -> None:
    store = Store(tmp_path / "lens.duckdb")
    lens = lens_on(store)
    with ThreadedServer(Starlette(routes=build_routes(lambda: lens))) as server:
        month = httpx.get(f"{server.url}/api/chargeback.csv", params={"month": "2026-13"})
        since = httpx.get(f"{server.url}/api/advise", params={"since": "soon"})
        source = httpx.post(f"{server.url}/api/backfill", params={"source": "nope"})
        no_workspace = httpx.post(
            f"{server.url}/api/backfill", params={"source": "apim", "since": "1d"}
        )
    store.close()
    assert (month.status_code, month.json()) == (
        400,
        {
            "error": "month must be YYYY-MM, got '2026-13'",
            "hint": "pass month=YYYY-MM, e.g. month=2026-10",
        },
    )
    assert since.status_code == 400 and since.json()["hint"] == "pass since=30d, 12h or 90m"
    assert "'soon'" in since.json()["error"]
    assert (source.status_code, source.json()["error"]) == (400, "unknown source 'nope'")
    assert source.json()["hint"].startswith("use source= one of ")
    assert (no_workspace.status_code, no_workspace.json()) == (
        409,
        {
            "error": "no Log Analytics workspace is configured",
            "hint": "set LOG_ANALYTICS_WORKSPACE_ID (and a credential) and restart the server",
        },
    )
    assert "retry-after" not in month.headers


def test_an_upload_without_an_export_is_a_bad_input(tmp_path: Path) -> None:
    store = Store(tmp_path / "lens.duckdb")
    lens = lens_on(store)
    answers = {}
    with ThreadedServer(Starlette(routes=build_routes(lambda: lens))) as server:
        for path in ("/api/reconcile",):  # the bill-prices route reads uploads the same way
            url = f"{server.url}{path}?month=2026-11"
            answers[path, "empty"] = httpx.post(url)
            answers[path, "broken form"] = httpx.post(
                url,
                content=b"--x\r\nno headers and no end",
                headers={"Content-Type": "multipart/form-data; boundary=x"},
            )
            answers[path, "no file field"] = httpx.post(url, files={"other": ("a.csv", b"1")})
    store.close()
    for (path, case), answer in answers.items():
        assert answer.status_code == 400, (path, case, answer.text)
        hint = answer.json()["hint"]
        assert hint == "send the export files as multipart/form-data fields named file"
        if case == "broken form":
            assert answer.json()["error"].startswith("the upload could not be read: ")
        else:
            assert answer.json()["error"] == "no Cost Management export was sent"


def test_a_route_before_the_store_is_open_says_when_to_retry() -> None:
    with ThreadedServer(Starlette(routes=build_routes(lambda: None))) as server:
        starting = httpx.get(f"{server.url}/api/advise")
    assert starting.status_code == 503
    assert starting.headers["Retry-After"] == "5"
    assert starting.json() == {
        "error": "the lens server is starting",
        "hint": "retry in a few seconds",
    }


async def busy(request: Request) -> Response:
    raise BusyError("too many exports at once", "retry in a minute", retry_after_s=60)


async def forbidden(request: Request) -> Response:
    raise ForbiddenError("the role 'reader' may not", "ask an admin")


async def broken(request: Request) -> Response:
    raise RuntimeError("a bug with a secret-looking detail")


def test_each_error_class_sets_the_status_and_a_bug_is_a_500_with_an_id(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = Starlette(
        routes=[
            Route("/busy", answers_errors(busy)),
            Route("/forbidden", answers_errors(forbidden)),
            Route("/broken", answers_errors(broken)),
        ]
    )
    with caplog.at_level(logging.ERROR, logger="app.routes"), ThreadedServer(app) as server:
        full = httpx.get(f"{server.url}/busy")
        refused = httpx.get(f"{server.url}/forbidden")
        failed = httpx.get(f"{server.url}/broken")
    assert (full.status_code, full.headers["Retry-After"]) == (429, "60")
    assert full.json() == {"error": "too many exports at once", "hint": "retry in a minute"}
    assert refused.status_code == 403
    assert refused.json() == {"error": "the role 'reader' may not", "hint": "ask an admin"}
    assert failed.status_code == 500
    error = failed.json()["error"]
    assert error.startswith("the lens server failed unexpectedly (error id ")
    assert "secret" not in failed.text  # the details go to the log, with the same id
    error_id = error.removeprefix("the lens server failed unexpectedly (error id ").rstrip(")")
    assert len(error_id) == 8
    logged = [r for r in caplog.records if error_id in r.getMessage()]
    assert logged and logged[0].exc_info is not None


def test_the_otlp_receiver_still_answers_in_its_own_protocol(tmp_path: Path) -> None:
    store = Store(tmp_path / "lens.duckdb")
    with ingest_server(store) as server:
        bad = httpx.post(
            f"{server.url}/v1/traces",
            content=b"\xff\xff not protobuf",
            headers={"Content-Type": "application/x-protobuf"},
        )
    store.close()
    assert bad.status_code == 400
    assert bad.headers["content-type"] == "application/x-protobuf"
    assert status_pb2.Status.FromString(bad.content).message  # a google.rpc.Status, not our JSON
