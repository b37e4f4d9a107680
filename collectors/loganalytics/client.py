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
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Final
from urllib.parse import urlsplit

from azure.core.credentials import AccessToken, TokenCredential
from azure.core.exceptions import (
    ClientAuthenticationError,
    HttpResponseError,
    ServiceRequestError,
    ServiceResponseError,
)
from azure.monitor.query import LogsQueryClient, LogsQueryPartialResult, LogsTable

PUBLIC_ENDPOINT: Final = "https://api.loganalytics.io"
# Sovereign clouds (Azure Monitor "Log Analytics API" endpoints).
GOVERNMENT_ENDPOINT: Final = "https://api.loganalytics.us"
CHINA_ENDPOINT: Final = "https://api.loganalytics.azure.cn"
SOURCE_NAMES: Final = ("app_insights", "apim", "azure_diagnostics", "azure_metrics")
MODES: Final = ("calls", "rollup")


class EndpointError(ValueError):
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
    )


@dataclass
class QueryResult:
    """Tables of one query; ``partial_error`` set when the service said PartialError."""

    tables: list[LogsTable]
    partial_error: str | None = None


class PullError(Exception):
    """A pull that failed: what happened, what to do, and whether retrying may help."""

    def __init__(self, kind: str, message: str, hint: str) -> None:
        super().__init__(message)
        self.kind = kind  # credential | workspace | query | throttled | server | network
        self.message = message
        self.hint = hint


def run_query(
    client: LogsQueryClient,
    config: LogAnalyticsConfig,
    text: str,
    start: datetime,
    end: datetime,
) -> QueryResult:
    """One query over ``[start, end)``; 204 No Content is an empty result."""
    statuses: list[int] = []
    try:
        result = client.query_workspace(
            config.workspace_id,
            text,
            timespan=(start, end),
            server_timeout=config.server_timeout_s,
            enforce_https=urlsplit(config.endpoint).scheme == "https",
            raw_response_hook=lambda response: statuses.append(response.http_response.status_code),
        )
    except HttpResponseError as exc:
        # The SDK re-raises every failure as a plain HttpResponseError; a credential that
        # could not give a token is the exception it replaced, with no response.
        if exc.response is None and isinstance(exc.__context__, ClientAuthenticationError):
            raise PullError(
                "credential",
                f"no token for Log Analytics: {_short(exc.__context__)}",
                "sign in again (az login) or set a fresh LOG_ANALYTICS_ACCESS_TOKEN",
            ) from exc
        raise _http_failure(exc, config) from exc
    except (ServiceRequestError, ServiceResponseError) as exc:
        raise PullError(
            "network",
            f"cannot reach {config.endpoint}: {_short(exc)}",
            "check LOG_ANALYTICS_ENDPOINT and the network; the next poll retries",
        ) from exc
    except ValueError as exc:  # a 204 No Content has no JSON body to read
        if statuses and statuses[-1] == 204:
            return QueryResult([])
        raise PullError("server", f"unreadable answer: {exc}", "the next poll retries") from exc
    if isinstance(result, LogsQueryPartialResult):
        return QueryResult(list(result.partial_data), partial_message(result.partial_error))
    return QueryResult(list(result.tables))


def partial_message(error: Any) -> str:
    """A PartialError's message with the innermost message of each of its details."""
    parts = [str(getattr(error, "message", None) or error)]
    for detail in getattr(error, "details", None) or []:
        while isinstance(detail, Mapping) and isinstance(detail.get("innererror"), Mapping):
            detail = detail["innererror"]
        if isinstance(detail, Mapping) and detail.get("message"):
            parts.append(str(detail["message"]))
    return " ".join(parts)


def _http_failure(exc: HttpResponseError, config: LogAnalyticsConfig) -> PullError:
    status = exc.status_code or 0
    if status == 404:
        return PullError(
            "workspace",
            f"workspace {config.workspace_id} was not found: {_short(exc)}",
            "set LOG_ANALYTICS_WORKSPACE_ID to the workspace ID (a GUID on the workspace's "
            "Overview page), not its name",
        )
    if status in (401, 403):
        return PullError(
            "credential",
            f"Log Analytics answered {status}: {_short(exc)}",
            "give the identity the Log Analytics Reader role on the workspace, or renew "
            "LOG_ANALYTICS_ACCESS_TOKEN",
        )
    if status == 429:
        return PullError(
            "throttled",
            "Log Analytics kept throttling (429) after retries",
            "the next poll retries; raise LENS_LOG_ANALYTICS_POLL_INTERVAL if it persists",
        )
    if status >= 500 or status == 0:
        return PullError(
            "server", f"Log Analytics answered {status}: {_short(exc)}", "the next poll retries"
        )
    return PullError(
        "query",
        f"the query was refused ({status}): {_short(exc)}",
        "the table may not exist in this workspace yet: check the diagnostic setting that "
        "sends it there",
    )


def _short(exc: Exception) -> str:
    message = getattr(exc, "message", None) or str(exc)
    model = getattr(exc, "model", None)
    inner = getattr(model, "message", None)
    text = str(inner or message)
    return text.splitlines()[0][:300] if text else type(exc).__name__
