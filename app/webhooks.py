"""Alert webhooks: where alerts go (``LENS_ALERT_WEBHOOKS``), the body each kind of
receiver reads, and delivery with retries.

Each URL is one receiver; its payload format is chosen per URL:

- ``teams:https://...`` or a Teams / Power Automate host (``*.webhook.office.com``,
  ``*.logic.azure.com``, ``*.powerplatform.com``): an Adaptive Card 1.4 message;
- ``slack:https://...`` or ``hooks.slack.com``: Slack ``text`` + ``blocks``;
- ``json:https://...`` or any other host: the generic body, exactly the DESIGN names
  ``scope_kind, scope, month, threshold_pct, spend_usd, budget_usd, forecast_usd, fired_at``.

A webhook URL often is its own secret (Slack, Teams): only the format and host are logged.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import urlsplit

import httpx

from lens_errors import ConfigError

FORMATS: Final = ("json", "teams", "slack")
GENERIC_FIELDS: Final = (
    "scope_kind", "scope", "month", "threshold_pct", "spend_usd", "budget_usd",
    "forecast_usd", "fired_at",
)  # fmt: skip
_TEAMS_HOSTS: Final = (".webhook.office.com", ".logic.azure.com", ".powerplatform.com")
_SLACK_HOSTS: Final = ("hooks.slack.com",)
# Answers worth another attempt; any other 4xx will not get better by waiting.
_RETRYABLE: Final = frozenset({408, 425, 429})
SCOPE_WORDS: Final = {
    "tenant": "Tenant", "cost_center": "Cost center", "deployment": "Deployment",
    "tenant_spike": "Tenant", "deployment_spike": "Deployment",
}  # fmt: skip


class WebhookURLError(ConfigError, ValueError):
    """A ``LENS_ALERT_WEBHOOKS`` entry that is not an http(s) URL."""


@dataclass(frozen=True)
class Webhook:
    url: str
    format: str
    index: int

    @property
    def label(self) -> str:
        """What may be logged and shown: the format, host and port, never the path or a
        user name (they may be the secret)."""
        parts = urlsplit(self.url)
        port = f":{parts.port}" if parts.port else ""
        return f"{self.format}:{parts.scheme}://{parts.hostname or ''}{port}"


@dataclass(frozen=True)
class Delivery:
    status: str  # delivered | failed
    attempts: int
    last_error: str | None


def parse_webhooks(text: str) -> tuple[Webhook, ...]:
    """``LENS_ALERT_WEBHOOKS``: comma-separated URLs, each optionally ``teams:``, ``slack:``
    or ``json:`` first; without a prefix the host decides."""
    hooks: list[Webhook] = []
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        prefix, _, rest = item.partition(":")
        fmt = prefix.lower() if prefix.lower() in FORMATS and rest.startswith("http") else None
        url = rest if fmt is not None else item
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            shown = f"{parts.scheme}://{parts.hostname or ''}" if parts.scheme else "an entry"
            raise WebhookURLError(f"{shown} is not an http(s) URL")
        hooks.append(Webhook(url, fmt or format_for_host(parts.hostname), len(hooks)))
    return tuple(hooks)


def format_for_host(host: str) -> str:
    host = host.lower()
    if host in _SLACK_HOSTS:
        return "slack"
    if host.endswith(_TEAMS_HOSTS):
        return "teams"
    return "json"


def title(alert: Mapping[str, Any]) -> str:
    """One line: what crossed what."""
    scope = f"{SCOPE_WORDS.get(alert['scope_kind'], alert['scope_kind'])} {alert['scope']}"
    if is_spike(alert):
        return (
            f"{scope} spiked on {str(alert['rule']).removeprefix('spike ')}: "
            f"{alert['threshold_pct']:g} % of its usual day"
        )
    if alert.get("rule") == "forecast":
        return (
            f"{scope} is forecast to reach {alert['threshold_pct']:g} % of its "
            f"{alert['month']} budget"
        )
    return f"{scope} has spent {alert['threshold_pct']:g} % of its {alert['month']} budget"


def is_spike(alert: Mapping[str, Any]) -> bool:
    return str(alert["scope_kind"]).endswith("_spike")


def heading(alert: Mapping[str, Any]) -> str:
    return "Spike alert" if is_spike(alert) else "Budget alert"


def facts(alert: Mapping[str, Any]) -> list[tuple[str, str]]:
    if is_spike(alert):
        return [
            ("Spend that day", f"${alert['spend_usd']:,.2f}"),
            ("Usual spend (median, same weekday, 4 weeks)", f"${alert['budget_usd']:,.2f}"),
            ("Spend projected for the day", f"${alert['forecast_usd']:,.2f}"),
            ("Share of the usual day", f"{alert['threshold_pct']:g} %"),
            ("Fired at (UTC)", str(alert["fired_at"])),
        ]
    return [
        ("Spend month to date", f"${alert['spend_usd']:,.2f}"),
        ("Budget", f"${alert['budget_usd']:,.2f}"),
        ("Forecast for the month", f"${alert['forecast_usd']:,.2f}"),
        ("Threshold", f"{alert['threshold_pct']:g} %"),
        ("Fired at (UTC)", str(alert["fired_at"])),
    ]


def generic_body(alert: Mapping[str, Any]) -> dict[str, Any]:
    """Exactly the DESIGN section 9 names."""
    return {name: alert[name] for name in GENERIC_FIELDS}


def teams_body(alert: Mapping[str, Any]) -> dict[str, Any]:
    """A message with one Adaptive Card (1.4), as Teams incoming webhooks and Workflows
    (Power Automate "post to a channel when a webhook request is received") accept."""
    card = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": [
            {"type": "TextBlock", "text": f"aoai-lens {heading(alert).lower()}", "weight": "Bolder",
             "size": "Medium", "wrap": True},
            {"type": "TextBlock", "text": title(alert), "wrap": True},
            {"type": "FactSet",
             "facts": [{"title": name, "value": value} for name, value in facts(alert)]},
        ],
    }  # fmt: skip
    return {
        "type": "message",
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": None,
                "content": card,
            }
        ],
    }


def _slack_text(text: str) -> str:
    """Slack mrkdwn: &, < and > are control characters."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_body(alert: Mapping[str, Any]) -> dict[str, Any]:
    """Slack incoming webhook: ``text`` (the notification) and Block Kit ``blocks``."""
    line = title(alert)
    return {
        "text": line,
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": heading(alert)}},
            {"type": "section", "text": {"type": "mrkdwn", "text": _slack_text(line)}},
            {
                "type": "section",
                "fields": [
                    {"type": "mrkdwn", "text": f"*{name}*\n{_slack_text(value)}"}
                    for name, value in facts(alert)
                ],
            },
        ],
    }


BODIES: Final[Mapping[str, Callable[[Mapping[str, Any]], dict[str, Any]]]] = {
    "json": generic_body,
    "teams": teams_body,
    "slack": slack_body,
}


def deliver(
    client: httpx.Client,
    hook: Webhook,
    alert: Mapping[str, Any],
    *,
    attempts: int = 4,
    backoff_s: float = 1.0,
    sleep: Callable[[float], object] = time.sleep,
) -> Delivery:
    """POST the alert in the hook's format; a 2xx answer delivers it. Connection errors,
    5xx, 408, 425 and 429 are tried again after ``backoff_s`` x 1, 2, 4, ... seconds;
    any other answer fails at once. A ``sleep`` that returns True (``Event.wait`` once the
    event is set: the server stopping) ends the retries. Never raises."""
    body = BODIES[hook.format](alert)
    error: str | None = None
    for attempt in range(1, attempts + 1):
        try:
            response = client.post(hook.url, json=body)
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {str(exc).replace(hook.url, hook.label)}"[:300]
        else:
            if response.is_success:
                return Delivery("delivered", attempt, None)
            error = f"HTTP {response.status_code}: {response.text[:200]}"
            if response.status_code < 500 and response.status_code not in _RETRYABLE:
                return Delivery("failed", attempt, error)
        if attempt < attempts and sleep(backoff_s * 2 ** (attempt - 1)) is True:
            return Delivery("failed", attempt, f"{error} (stopped before the next attempt)")
    return Delivery("failed", attempts, error)
