"""``LogsQueryClient`` from a ``LogAnalyticsConfig``, and one query with its failures
classified once.

The client is ``azure-monitor-query`` 2.x (logs only). The credential is
``DefaultAzureCredential``, or a pre-obtained bearer token (``LOG_ANALYTICS_ACCESS_TOKEN``).
Throttling (429) and server errors (5xx) are retried by azure-core's retry policy, which
honours ``Retry-After``; what still fails is raised as ``PullError`` with what to do.
"""

from __future__ import annotations

import ipaddress
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Final
from urllib.parse import quote, urlsplit

import orjson
from azure.core.credentials import AccessToken, TokenCredential
from azure.core.exceptions import (
    ClientAuthenticationError,
    ServiceRequestError,
    ServiceResponseError,
)
from azure.core.rest import HttpRequest
from azure.monitor.query import LogsQueryClient

from lens_errors import ConfigError, UpstreamError

PUBLIC_ENDPOINT: Final = "https://api.loganalytics.io"
# Sovereign clouds (Azure Monitor "Log Analytics API" endpoints).
GOVERNMENT_ENDPOINT: Final = "https://api.loganalytics.us"
CHINA_ENDPOINT: Final = "https://api.loganalytics.azure.cn"
SOURCE_NAMES: Final = ("app_insights", "apim", "azure_diagnostics", "azure_metrics")
MODES: Final = ("calls", "rollup")


class EndpointError(ConfigError, ValueError):
    """An endpoint aoai-lens will not send a bearer token to."""


@dataclass(frozen=True)
class LogAnalyticsConfig:
    """What a user sets to pull from a Log Analytics workspace (built by app/config.py)."""

    workspace_id: str
    endpoint: str = PUBLIC_ENDPOINT
    access_token: str | None = field(default=None, repr=False)
    sources: tuple[str, ...] = SOURCE_NAMES
    mode: str = "calls"  # calls | rollup
    poll_interval: timedelta = timedelta(minutes=5)
    overlap: timedelta = timedelta(minutes=30)  # re-read for rows ingested late
    slice: timedelta = timedelta(hours=6)  # backfills are pulled in slices of this length
    min_slice: timedelta = timedelta(minutes=5)  # a too-large slice is halved down to this
    first_pull: timedelta = timedelta(days=1)  # history read by the first poll of a source
    row_limit: int = 500_000  # the API's row limit per query
    retry_total: int = 4  # azure-core retries of 429 and 5xx (Retry-After honoured)
    server_timeout_s: int = 180
    redact: bool = True  # personal data in message content replaced (collectors/redaction.py)


def check_endpoint(endpoint: str) -> str:
    """``endpoint`` without a trailing slash; plain http only for loopback addresses."""
    parts = urlsplit(endpoint)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise EndpointError(f"{endpoint!r} is not an http(s) URL")
    if parts.scheme == "http" and not _is_loopback(parts.hostname):
        raise EndpointError(
            f"{endpoint!r} is plain http to another machine; bearer tokens go only over https"
        )
    return endpoint.rstrip("/")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class StaticTokenCredential:
    """A credential that hands out one pre-obtained bearer token (``az account
    get-access-token --resource https://api.loganalytics.io``)."""

    def __init__(self, token: str, expires_on: int | None = None) -> None:
        self._token = token
        self._expires_on = expires_on or int(time.time()) + 3600

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return AccessToken(self._token, self._expires_on)


def build_client(
    config: LogAnalyticsConfig, credential: TokenCredential | None = None
) -> LogsQueryClient:
    """The client for ``config``: the given credential, else the token, else
    DefaultAzureCredential."""
    endpoint = check_endpoint(config.endpoint)
    if credential is None:
        if config.access_token:
            credential = StaticTokenCredential(config.access_token)
        else:
            from azure.identity import DefaultAzureCredential

            credential = DefaultAzureCredential()
    return LogsQueryClient(
        credential,
        endpoint=endpoint,
        retry_total=config.retry_total,
        retry_backoff_factor=0.5,
        retry_backoff_max=30,
        # Answers run to ~100 MiB; read them in 1 MiB blocks, not azure-core's 4 KiB.
        connection_data_block_size=1 << 20,
    )


@dataclass
class QueryResult:
    """The documented response of one query: its tables (``{"name", "columns", "rows"}``)
    and, when the service said PartialError, that error's message."""

    tables: list[dict[str, Any]]
    partial_error: str | None = None


class PullError(UpstreamError):
    """A pull that failed: what happened, what to do, and whether retrying may help."""

    def __init__(self, kind: str, message: str, hint: str) -> None:
        super().__init__(message)
        self.kind = kind  # credential | workspace | query | throttled | server | network
        self.message = message
        self.hint = hint


def iso_timespan(start: datetime, end: datetime) -> str:
    """``start/end`` in ISO 8601 UTC with milliseconds, as ``query_workspace`` writes it."""
    return f"{_iso(start)}/{_iso(end)}"


def _iso(moment: datetime) -> str:
    return (
        moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    )


def run_query(
    client: LogsQueryClient,
    config: LogAnalyticsConfig,
    text: str,
    start: datetime,
    end: datetime,
) -> QueryResult:
    """One query over ``[start, end)``; 204 No Content is an empty result.

    The request goes through the client's own pipeline (``send_request``: its credential,
    retry and logging policies) with the body ``query_workspace`` sends; the answer is read
    as the documented JSON rather than through the SDK's per-cell row objects, which cost
    more than the rest of a pull together on a 500,000-row response."""
    request = HttpRequest(
        "POST",
        f"workspaces/{quote(config.workspace_id, safe='')}/query",
        json={"query": text, "timespan": iso_timespan(start, end), "workspaces": None},
        headers={"Prefer": f"wait={config.server_timeout_s}"},
    )
    try:
        response = client.send_request(
            request, enforce_https=urlsplit(config.endpoint).scheme == "https"
        )
    except ClientAuthenticationError as exc:
        raise PullError(
            "credential",
            f"no token for Log Analytics: {_short(exc)}",
            "sign in again (az login) or set a fresh LOG_ANALYTICS_ACCESS_TOKEN",
        ) from exc
    except (ServiceRequestError, ServiceResponseError) as exc:
        raise PullError(
            "network",
            f"cannot reach {config.endpoint}: {_short(exc)}",
            "check LOG_ANALYTICS_ENDPOINT and the network; the next poll retries",
        ) from exc
    status = response.status_code
    if status == 204 or (status == 200 and not response.content):
        return QueryResult([])
    try:
        document = orjson.loads(response.content)
    except ValueError as exc:
        raise PullError(
            "server", f"Log Analytics answered {status} with no JSON", "the next poll retries"
        ) from exc
    error = document.get("error") if isinstance(document, dict) else None
    if status != 200:
        raise _http_failure(status, _innermost(error), config)
    tables = document.get("tables") or []
    if isinstance(error, dict) and error.get("code") == "PartialError":
        return QueryResult(tables, partial_message(error))
    if error:
        raise _http_failure(400, _innermost(error), config)
    return QueryResult(tables)


def _innermost(error: Any) -> str:
    """The innermost ``innererror.message`` of a OneAPI error object."""
    message = ""
    while isinstance(error, dict):
        message = str(error.get("message") or message)
        error = error.get("innererror")
    return message


def partial_message(error: dict[str, Any]) -> str:
    """A PartialError's message with the innermost message of each of its details."""
    parts = [str(error.get("message") or "PartialError")]
    parts += [_innermost(detail) for detail in error.get("details") or []]
    return " ".join(part for part in parts if part)


def _http_failure(status: int, message: str, config: LogAnalyticsConfig) -> PullError:
    if status == 404:
        return PullError(
            "workspace",
            f"workspace {config.workspace_id} was not found: {message}",
            "set LOG_ANALYTICS_WORKSPACE_ID to the workspace ID (a GUID on the workspace's "
            "Overview page), not its name",
        )
    if status in (401, 403):
        return PullError(
            "credential",
            f"Log Analytics answered {status}: {message}",
            "give the identity the Log Analytics Reader role on the workspace, or renew "
            "LOG_ANALYTICS_ACCESS_TOKEN",
        )
    if status == 429:
        return PullError(
            "throttled",
            "Log Analytics kept throttling (429) after retries",
            "the next poll retries; raise LENS_LOG_ANALYTICS_POLL_INTERVAL_S if it persists",
        )
    if status >= 500:
        return PullError(
            "server", f"Log Analytics answered {status}: {message}", "the next poll retries"
        )
    return PullError(
        "query",
        f"the query was refused ({status}): {message}",
        "the table may not exist in this workspace yet: check the diagnostic setting that "
        "sends it there",
    )


def _short(exc: Exception) -> str:
    message = getattr(exc, "message", None) or str(exc)
    model = getattr(exc, "model", None)
    inner = getattr(model, "message", None)
    text = str(inner or message)
    return text.splitlines()[0][:300] if text else type(exc).__name__
