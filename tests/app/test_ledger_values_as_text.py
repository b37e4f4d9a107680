"""Text from the ledger, the URL or an Azure answer is shown as text on every page: never
read as Markdown (a link, a remote image, bold) or HTML, in Streamlit's elements or in
Plotly's labels.

Every page is opened under AppTest on a seeded ledger whose deployment names, tenant ids
and names, model names, call ids, filter categories and source errors carry Markdown and
HTML. The Markdown of every element that Streamlit renders as Markdown is parsed with a
CommonMark parser: outside code spans and blocks, none of it may hold a marker of those
values, so none can become a link, an image or markup. Each value must still be shown
exactly: in a code span, an ``st.text`` element, a table cell, or a chart label.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest
from markdown_it import MarkdownIt
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from streamlit.testing.v1 import AppTest

from aoai_client import telemetry
from app import lens_client
from app.dashboard import db
from collectors.loganalytics import state
from collectors.store import Store
from tests.app.conftest import APP
from tests.seeding import resum_usage_summary, seeded_database
from tests.threaded_servers import ThreadedServer, ingest_server

DEPLOYMENT = "<a href=http://evil/a>gpt</a> [x](http://evil/deployment)"
TENANT_ID = "tenant ![](http://evil/img.png)"
TENANT_NAME = '<a href="http://evil/tenant">**bold** name</a>'
MODEL = "**bold** <img src=x>"
CALL_ID = "c02 `x` [x](http://evil/call)"
CATEGORY = "<img src=x onerror=evil>"
SOURCE_ERROR = "[x](http://evil/error) <img src=x>"
SOURCE_HINT = "**bold** ![](http://evil/hint.png)"
AZURE_CODE = "<img src=x>"
AZURE_MESSAGE = "[x](http://evil/message) **bold**"
AZURE_REGION = "![](http://evil/region.png)"

MARKERS = ("evil", "bold", "<img", "<a ")
CODE = ("code_inline", "code_block", "fence")
COMMONMARK = MarkdownIt("commonmark").enable(["table", "strikethrough"])


def markdown_of(at: AppTest) -> list[str]:
    """The text of every element Streamlit renders as Markdown."""
    elements: list[Any] = [*at.markdown, *at.caption, *at.title, *at.header, *at.subheader]
    elements += [*at.warning, *at.error, *at.info, *at.success]
    sources = [str(e.value) for e in elements]
    sources += [str(m.label) for m in at.metric] + [str(m.proto.help) for m in at.metric]
    return sources


def tokens(source: str) -> Iterator[Any]:
    for token in COMMONMARK.parse(source):
        yield token
        yield from token.children or ()


def read_as_markdown(source: str) -> str:
    """What of ``source`` Markdown would interpret: every token but code, link targets and
    image sources included."""
    parts = []
    for token in tokens(source):
        if token.type in CODE or token.type == "inline":  # an inline's children are walked
            continue
        parts.append(token.content)
        parts += [str(value) for value in token.attrs.values()]
    return "\n".join(parts)


def chart_texts(at: AppTest) -> list[str]:
    """Every string of every Plotly figure on the page."""
    found: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, str):
            found.append(node)
        elif isinstance(node, dict):
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for chart in at.get("plotly_chart"):
        walk(json.loads(chart.proto.spec))
    return found


def shown_as_text(at: AppTest) -> list[str]:
    """Text shown as it is: code spans, st.text, table cells, metric values, the options
    of select boxes, chart labels (as Plotly shows them)."""
    shown = [t.content for s in markdown_of(at) for t in tokens(s) if t.type in CODE]
    shown += [str(t.value) for t in at.text] + [str(m.value) for m in at.metric]
    shown += [str(option) for box in [*at.selectbox, *at.multiselect] for option in box.options]
    for frame in at.dataframe:
        shown += [str(cell) for cell in frame.value.to_numpy().flatten()]
    shown += [html.unescape(text) for text in chart_texts(at)]
    return shown


def assert_shown_as_text(at: AppTest, *values: str) -> None:
    assert not at.exception, at.exception
    for source in markdown_of(at):
        interpreted = read_as_markdown(source)
        assert not any(marker in interpreted for marker in MARKERS), source
    for text in chart_texts(at):
        assert "<a " not in text and "<img" not in text, text
    shown = shown_as_text(at)
    for value in values:
        assert any(value in text for text in shown), (value, shown)


TENANTS = f"""
[[tenant]]
id = {json.dumps(TENANT_ID)}
name = {json.dumps(TENANT_NAME)}
cost_center = {json.dumps(TENANT_NAME)}
monthly_token_quota = 1
"""


def hostile_ledger(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The seed, its names and ids replaced by Markdown and HTML."""
    path = seeded_database(tmp_path / "lens.duckdb")
    with duckdb.connect(str(path)) as con:
        con.execute("UPDATE calls SET deployment = $d WHERE deployment = 'gpt-4o-prod'",
                    {"d": DEPLOYMENT})  # fmt: skip
        con.execute("UPDATE calls SET tenant_id = $t WHERE tenant_id = 'contoso'",
                    {"t": TENANT_ID})  # fmt: skip
        con.execute("UPDATE calls SET model = $m, call_id = $c, call_key = md5_number_lower($c) "
                    "WHERE call_id = 'c02'", {"m": MODEL, "c": CALL_ID})  # fmt: skip
        con.execute("UPDATE filter_results SET call_id = $c WHERE call_id = 'c02'",
                    {"c": CALL_ID})  # fmt: skip
        con.execute("UPDATE filter_results SET category = $k", {"k": CATEGORY})
        resum_usage_summary(con)
    store = Store(path)
    state.record_failure(store, "app_insights", SOURCE_ERROR, SOURCE_HINT)
    store.close()
    (tmp_path / "tenants.toml").write_text(TENANTS, encoding="utf-8")
    monkeypatch.setenv("LENS_DB", str(path))
    monkeypatch.setenv("LENS_TENANTS", str(tmp_path / "tenants.toml"))
    return path


def open_page(page: str, **params: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=30)
    at.run()  # switch_page needs the pages st.navigation registers on a first run
    at.switch_page(f"app_pages/{page}.py")
    for key, value in params.items():
        at.query_params[key] = value
    return at.run()


def test_overview_shows_ledger_values_as_text(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hostile_ledger(tmp_path, monkeypatch)
    at = open_page("overview")
    assert_shown_as_text(at, DEPLOYMENT)
    at.segmented_control[0].set_value("tenant_id").run()
    assert_shown_as_text(at, TENANT_ID)


def test_deployments_page_shows_ledger_values_as_text(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hostile_ledger(tmp_path, monkeypatch)
    assert_shown_as_text(open_page("deployments"), DEPLOYMENT)


def test_tenants_page_shows_ledger_values_as_text(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hostile_ledger(tmp_path, monkeypatch)
    at = open_page("tenants")
    assert any(TENANT_NAME in e.value and "over quota" in e.value for e in at.error)
    assert_shown_as_text(at, TENANT_NAME, TENANT_ID)
    at.selectbox[0].set_value(f"{datetime.now(UTC):%Y-%m}").run()  # the seeded month's chart
    assert at.get("plotly_chart")
    assert_shown_as_text(at, TENANT_NAME, TENANT_ID, DEPLOYMENT)


def test_content_safety_page_shows_ledger_values_as_text(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hostile_ledger(tmp_path, monkeypatch)
    at = open_page("content_safety")
    assert_shown_as_text(at, CATEGORY, TENANT_ID)
    at.segmented_control[0].set_value("deployment").run()
    assert_shown_as_text(at, CATEGORY, DEPLOYMENT)


def test_calls_explorer_shows_ledger_and_url_values_as_text(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hostile_ledger(tmp_path, monkeypatch)
    assert_shown_as_text(open_page("calls"), DEPLOYMENT, TENANT_ID, MODEL, CALL_ID)

    detail = open_page("calls", call_id=CALL_ID)
    assert any(CALL_ID in s.value for s in detail.subheader)
    assert any("Not priced" in w.value for w in detail.warning)
    assert_shown_as_text(detail, CALL_ID, MODEL, CATEGORY)

    unknown = "nothing `x` [x](http://evil/unknown)"
    missing = open_page("calls", call_id=unknown)
    assert any("No call with id" in w.value for w in missing.warning)
    assert_shown_as_text(missing, unknown)


def test_sources_page_shows_source_errors_as_text(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hostile_ledger(tmp_path, monkeypatch)
    monkeypatch.setenv("LOG_ANALYTICS_WORKSPACE_ID", "11111111-2222-3333-4444-555555555555")
    monkeypatch.setenv("LENS_LOG_ANALYTICS_SOURCES", "app_insights")
    at = open_page("sources")
    assert [t.value for t in at.text] == [SOURCE_ERROR, f"What to do: {SOURCE_HINT}"]
    assert_shown_as_text(at, SOURCE_ERROR, SOURCE_HINT)


@pytest.fixture
def hostile_azure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """An Azure OpenAI endpoint that answers every call 400 with Markdown and HTML in its
    error and region, and the ledger's receiver writing to the store the pages read."""

    async def refuse(_: Request) -> Response:
        body = {"error": {"code": AZURE_CODE, "message": AZURE_MESSAGE}}
        return JSONResponse(body, status_code=400, headers={"x-ms-region": AZURE_REGION})

    route = "/openai/deployments/{deployment:path}/chat/completions"
    azure = ThreadedServer(Starlette(routes=[Route(route, refuse, methods=["POST"])])).start()
    store = Store(hostile_ledger(tmp_path, monkeypatch))
    db.use_store(store)
    receiver = ingest_server(store).start()
    monkeypatch.setenv("LENS_PORT", str(receiver.port))
    monkeypatch.setenv("AZURE_OPENAI_ENDPOINT", azure.url)
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", "any")
    try:
        yield
    finally:
        if telemetry._telemetry is not None:
            telemetry._telemetry.shutdown()
        lens_client.forget_client()
        receiver.stop()
        azure.stop()


@pytest.mark.usefixtures("hostile_azure")
def test_playground_shows_deployment_names_and_azure_errors_as_text() -> None:
    at = AppTest.from_file(APP, default_timeout=60)
    at.switch_page("app_pages/playground.py").run()
    assert_shown_as_text(at, DEPLOYMENT, TENANT_ID)  # the choices offered
    at.selectbox(key="deployment").set_value(DEPLOYMENT)
    at.selectbox(key="tenant").set_value(TENANT_ID)
    at.toggle(key="stream").set_value(False)
    next(b for b in at.button if b.label == "Send").click().run()
    assert any(DEPLOYMENT in m.value for m in at.markdown)  # the answer's label
    assert any("HTTP 400" in e.value and AZURE_CODE in e.value for e in at.error)
    assert AZURE_MESSAGE in [t.value for t in at.text]
    assert_shown_as_text(at, DEPLOYMENT, AZURE_CODE, AZURE_MESSAGE, AZURE_REGION)
