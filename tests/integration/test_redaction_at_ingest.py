"""Message content reaches the ledger with its personal data replaced: a real instrumented
``openai`` client with content capture on, OpenLLMetry-shaped spans over OTLP/JSON, and
Application Insights rows the server pulls from a (fake) Log Analytics workspace, all into
a real lens server; the ledger is read back after a graceful stop."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import duckdb
import httpx
import openai
import pytest

from lens_harness.lens_process import LensServer
from lens_harness.log_analytics import TOKEN, WORKSPACE, FakeLogAnalytics
from lens_harness.log_analytics_rows import app_insights_row
from tests.fakes.otel import instrumented_openai
from tests.otlp_bodies import JSON, body, span
from tests.threaded_servers import WITH_THROTTLED, ThreadedServer, simulator_server

PERSONAL = ("ann.lee@contoso.com", "4111 1111 1111 1111", "+44 20 7946 0958", "10.1.2.3")
PROMPT = (
    "I am ann.lee@contoso.com, card 4111 1111 1111 1111, phone +44 20 7946 0958, "
    "host 10.1.2.3; order 1234567890123456 on gpt-4o-2024-08-06."
)
REDACTED = (
    "I am [redacted:email], card [redacted:card], phone [redacted:phone], "
    "host [redacted:ip]; order 1234567890123456 on gpt-4o-2024-08-06."
)


@pytest.fixture
def azure() -> Iterator[ThreadedServer]:
    with simulator_server(WITH_THROTTLED) as running:
        yield running


def stored_attributes(server: LensServer) -> list[str]:
    server.stop()
    with duckdb.connect(str(server.db_path), read_only=True) as con:
        return [row[0] for row in con.execute("SELECT attributes FROM calls").fetchall()]


def test_content_captured_by_the_openai_instrumentation_is_stored_redacted(
    azure: ThreadedServer, lens_server: LensServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "SPAN_AND_EVENT")
    client = openai.AzureOpenAI(
        azure_endpoint=azure.url, api_key="test-key", api_version="2024-10-21", max_retries=0
    )
    with instrumented_openai(lens_server.url) as telemetry:
        client.chat.completions.create(
            model="gpt-4o-prod",
            messages=[
                {"role": "system", "content": "Answer ann.lee@contoso.com politely."},
                {"role": "user", "content": PROMPT},
            ],
        )
        telemetry.flush()
        (sent,) = telemetry.finished_spans()
    exported = json.dumps(dict(sent.attributes or {}))
    assert all(value in exported for value in PERSONAL)  # the producer sent them
    (attributes,) = stored_attributes(lens_server)
    assert not any(value in attributes for value in PERSONAL)
    kept = json.loads(attributes)
    stored = json.dumps(
        [json.loads(kept[key]) for key in ("gen_ai.input.messages", "gen_ai.system_instructions")
         if key in kept]
    )  # fmt: skip
    assert REDACTED.replace('"', "") in stored
    assert "[redacted:email]" in stored


def test_openllmetry_content_over_otlp_json_is_stored_redacted_and_events_are_not_stored(
    lens_server: LensServer,
) -> None:
    one = span(
        "00000000000000c1",
        **{
            "gen_ai.prompt.0.role": "user",
            "gen_ai.prompt.0.content": PROMPT,
            "gen_ai.completion.0.content": "Sent to ann.lee@contoso.com",
            "gen_ai.completion.0.finish_reason": "stop",
        },
    )
    one["events"] = [
        {
            "name": "gen_ai.user.message",
            "timeUnixNano": one["startTimeUnixNano"],
            "attributes": [{"key": "content", "value": {"stringValue": PROMPT}}],
        }
    ]
    response = httpx.post(f"{lens_server.url}/v1/traces", content=body(one), headers=JSON)
    assert response.status_code == 200, response.text
    (attributes,) = stored_attributes(lens_server)
    assert not any(value in attributes for value in PERSONAL)
    kept = json.loads(attributes)
    assert kept["gen_ai.prompt.0.content"] == REDACTED
    assert kept["gen_ai.completion.0.content"] == "Sent to [redacted:email]"
    assert (kept["gen_ai.prompt.0.role"], kept["gen_ai.completion.0.finish_reason"]) == (
        "user",
        "stop",
    )


def test_with_redaction_off_content_is_stored_as_it_came(
    make_server: Callable[..., LensServer],
) -> None:
    server = make_server(env={"LENS_REDACT": "false"}).start()
    one = span("00000000000000c2", **{"gen_ai.prompt.0.content": PROMPT})
    response = httpx.post(f"{server.url}/v1/traces", content=body(one), headers=JSON)
    assert response.status_code == 200, response.text
    (attributes,) = stored_attributes(server)
    assert json.loads(attributes)["gen_ai.prompt.0.content"] == PROMPT


def test_application_insights_content_pulled_from_log_analytics_is_stored_redacted(
    make_server: Callable[..., LensServer],
) -> None:
    row = app_insights_row(datetime.now(UTC) - timedelta(minutes=3), "e" * 32, "f" * 16)
    row["Properties"]["gen_ai.prompt.0.content"] = PROMPT
    fake = FakeLogAnalytics().start()
    try:
        fake.add("AppDependencies", row)
        env = {
            "LOG_ANALYTICS_WORKSPACE_ID": WORKSPACE,
            "LOG_ANALYTICS_ENDPOINT": fake.endpoint,
            "LOG_ANALYTICS_ACCESS_TOKEN": TOKEN,
            "LENS_LOG_ANALYTICS_SOURCES": "app_insights",
        }
        server = make_server(env=env).start()
        deadline = time.monotonic() + 30
        while server.health()["calls"] != 1:
            assert time.monotonic() < deadline, server.output()
            time.sleep(0.2)
        (attributes,) = stored_attributes(server)
    finally:
        fake.stop()
    assert json.loads(attributes)["gen_ai.prompt.0.content"] == REDACTED
