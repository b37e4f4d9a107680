"""Alert webhook URLs and bodies: the generic JSON (DESIGN section 9 names), a Teams
Adaptive Card message and a Slack Block Kit message, each as its receiver documents it.

Teams: https://learn.microsoft.com/microsoftteams/platform/webhooks-and-connectors/how-to/connectors-using
("Send Adaptive Cards using an Incoming Webhook": type message, one attachment of
contentType application/vnd.microsoft.card.adaptive). Slack:
https://api.slack.com/messaging/webhooks (text, blocks; header text plain_text,
section fields mrkdwn, at most 10 fields)."""

from __future__ import annotations

import threading

import httpx
import pytest

from app.config import Settings
from app.errors import ConfigError
from app.webhooks import (
    GENERIC_FIELDS,
    Webhook,
    WebhookURLError,
    deliver,
    generic_body,
    parse_webhooks,
    slack_body,
    teams_body,
)

ALERT = {
    "scope_kind": "tenant", "scope": "R&D <east>", "month": "2026-11", "rule": "spend",
    "threshold_pct": 80.0, "spend_usd": 82.5, "budget_usd": 100.0, "forecast_usd": 165.0,
    "fired_at": "2026-11-16T00:00:00+00:00",
}  # fmt: skip


def test_the_prefix_or_the_host_picks_the_format() -> None:
    hooks = parse_webhooks(
        "teams:https://example.org/a, slack:https://example.org/b, "
        "https://hooks.slack.com/services/T/B/X, "
        "https://contoso.webhook.office.com/webhookb2/x, "
        "https://prod-12.westeurope.logic.azure.com/workflows/x, "
        "https://receiver.example.com/alerts,json:http://127.0.0.1:9/x"
    )
    assert [(h.format, h.index) for h in hooks] == [
        ("teams", 0), ("slack", 1), ("slack", 2), ("teams", 3), ("teams", 4), ("json", 5),
        ("json", 6),
    ]  # fmt: skip
    assert hooks[2].label == "slack:https://hooks.slack.com"  # the path is the secret
    assert hooks[6].url == "http://127.0.0.1:9/x"
    assert parse_webhooks(" , ") == ()
    with pytest.raises(WebhookURLError):
        parse_webhooks("ftp://example.org/x")


def test_a_bad_setting_names_the_variable() -> None:
    with pytest.raises(ConfigError, match="LENS_ALERT_WEBHOOKS"):
        Settings(lens_alert_webhooks="teams:not-a-url").alerts_config()  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="LENS_ALERT_THRESHOLDS_PCT"):
        Settings(lens_alert_thresholds_pct="50,eighty").alerts_config()
    config = Settings(lens_alert_thresholds_pct="100, 50,80,80").alerts_config()
    assert config.thresholds_pct == (50.0, 80.0, 100.0) and config.webhooks == ()
    hidden = Settings(lens_alert_webhooks="https://hooks.slack.com/services/T/B/SECRET")  # type: ignore[arg-type]
    assert "SECRET" not in repr(hidden)


def test_the_generic_body_has_exactly_the_design_names() -> None:
    body = generic_body(ALERT)
    assert list(body) == list(GENERIC_FIELDS) == [
        "scope_kind", "scope", "month", "threshold_pct", "spend_usd", "budget_usd",
        "forecast_usd", "fired_at",
    ]  # fmt: skip
    assert body["spend_usd"] == 82.5 and body["fired_at"] == "2026-11-16T00:00:00+00:00"


def test_the_teams_body_is_an_adaptive_card_message() -> None:
    body = teams_body(ALERT)
    assert set(body) == {"type", "attachments"} and body["type"] == "message"
    (attachment,) = body["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard" and card["version"] == "1.4"
    assert card["$schema"] == "http://adaptivecards.io/schemas/adaptive-card.json"
    assert [element["type"] for element in card["body"]] == ["TextBlock", "TextBlock", "FactSet"]
    assert card["body"][1]["text"] == "Tenant R&D <east> has spent 80 % of its 2026-11 budget"
    facts = {fact["title"]: fact["value"] for fact in card["body"][2]["facts"]}
    assert facts["Spend month to date"] == "$82.50" and facts["Budget"] == "$100.00"
    assert facts["Forecast for the month"] == "$165.00" and facts["Threshold"] == "80 %"


def test_the_slack_body_is_text_and_blocks_with_mrkdwn_escaped() -> None:
    forecast = {**ALERT, "rule": "forecast", "threshold_pct": 100.0}
    body = slack_body(forecast)
    assert set(body) == {"text", "blocks"}
    assert body["text"] == "Tenant R&D <east> is forecast to reach 100 % of its 2026-11 budget"
    header, summary, details = body["blocks"]
    assert header == {"type": "header", "text": {"type": "plain_text", "text": "Budget alert"}}
    assert summary["type"] == "section" and summary["text"]["type"] == "mrkdwn"
    assert "R&amp;D &lt;east&gt;" in summary["text"]["text"]
    assert details["type"] == "section" and len(details["fields"]) <= 10
    assert all(field["type"] == "mrkdwn" for field in details["fields"])
    assert details["fields"][0]["text"] == "*Spend month to date*\n$82.50"


def test_a_webhook_label_never_shows_the_path_or_a_user() -> None:
    hook = Webhook("https://user:pw@example.org:8443/secret/path", "json", 0)
    assert hook.label == "json:https://example.org:8443"


def test_retries_end_when_the_server_stops() -> None:
    stopping = threading.Event()
    stopping.set()
    answers = httpx.MockTransport(lambda request: httpx.Response(503, text="busy"))
    with httpx.Client(transport=answers) as client:
        hook = Webhook("https://example.org/hook", "json", 0)
        outcome = deliver(client, hook, ALERT, attempts=4, sleep=stopping.wait)
    assert (outcome.status, outcome.attempts) == ("failed", 1)
    assert outcome.last_error == "HTTP 503: busy (stopped before the next attempt)"
