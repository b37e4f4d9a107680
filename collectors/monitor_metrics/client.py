"""The Metrics REST API through ``azure-mgmt-monitor``'s ``MonitorManagementClient``, and one
read of a resource's metrics with its failures classified once.

``azure-monitor-query`` 2.x has no metrics client any more (``MetricsQueryClient`` was
removed); ``MonitorManagementClient.metrics.list`` sends the documented
``GET {resourceId}/providers/Microsoft.Insights/metrics?api-version=2024-02-01&timespan=...
&interval=PT1H&metricnames=...&aggregation=...&$filter=ModelDeploymentName eq '*'&top=...``
to Azure Resource Manager. Throttling (429) and server errors are retried by azure-core's
retry policy, which honours ``Retry-After``; what still fails is a ``PullError``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Final
from urllib.parse import urlsplit

from azure.core.credentials import TokenCredential
from azure.core.exceptions import (
    ClientAuthenticationError,
    HttpResponseError,
    ServiceRequestError,
    ServiceResponseError,
)
from azure.mgmt.monitor import MonitorManagementClient
from azure.mgmt.monitor.models import Response

from collectors.loganalytics.client import (
    PullError,
    StaticTokenCredential,
    check_endpoint,
    iso_timespan,
)

PUBLIC_ENDPOINT: Final = "https://management.azure.com"
SOURCE_NAME: Final = "azure_monitor_metrics"
# Counted per deployment and hour: requests, and the tokens of every model, Foundry's
# non-OpenAI models included (InputTokens / OutputTokens; the Azure OpenAI names
# ProcessedPromptTokens / GeneratedTokens count OpenAI models).
COUNTED: Final = (
    "AzureOpenAIRequests",
    "ProcessedPromptTokens",
    "GeneratedTokens",
    "InputTokens",
    "OutputTokens",
)
# A percentage per deployment and hour, for provisioned (PTU) deployments only; never in
# AzureMetrics (the supported-metrics page: not exportable through diagnostic settings).
PTU_UTILIZATION: Final = "AzureOpenAIProvisionedManagedUtilizationV2"
# (metric names, aggregations) read in one request each: a percentage has no Total.
READS: Final = ((COUNTED, "Total"), ((PTU_UTILIZATION,), "Average,Maximum"))
DEPLOYMENT_DIMENSION: Final = "ModelDeploymentName"
MAX_SERIES: Final = 1000  # top= per request: the API returns 10 series unless told more


@dataclass(frozen=True)
class MetricsConfig:
    """What a user sets to read Azure Monitor metrics (built by app/config.py)."""

    resource_ids: tuple[str, ...]
    endpoint: str = PUBLIC_ENDPOINT
    access_token: str | None = field(default=None, repr=False)
    poll_interval: timedelta = timedelta(minutes=5)
    overlap: timedelta = timedelta(hours=2)  # metrics of the last hours are still filled in
    first_pull: timedelta = timedelta(days=7)
    retry_total: int = 4


def build_client(
    config: MetricsConfig, credential: TokenCredential | None = None
) -> MonitorManagementClient:
    """The client for ``config``: the given credential, else the token, else
    DefaultAzureCredential. The subscription id is not used: each read names its resource."""
    endpoint = check_endpoint(config.endpoint)
    if credential is None:
        if config.access_token:
            credential = StaticTokenCredential(config.access_token)
        else:
            from azure.identity import DefaultAzureCredential

            credential = DefaultAzureCredential()
    return MonitorManagementClient(
        credential,
        subscription_id="00000000-0000-0000-0000-000000000000",
        base_url=endpoint,
        credential_scopes=[f"{endpoint}/.default"],
        retry_total=config.retry_total,
        retry_backoff_factor=0.5,
        retry_backoff_max=30,
    )


def read_metrics(
    client: MonitorManagementClient,
    config: MetricsConfig,
    resource_id: str,
    names: tuple[str, ...],
    aggregation: str,
    start: datetime,
    end: datetime,
) -> Response:
    """One read of ``names`` on one resource over ``[start, end)``, per deployment and hour."""
    try:
        return client.metrics.list(
            resource_id,
            timespan=iso_timespan(start, end),
            interval="PT1H",
            metricnames=",".join(names),
            aggregation=aggregation,
            filter=f"{DEPLOYMENT_DIMENSION} eq '*'",
            top=MAX_SERIES,
            enforce_https=urlsplit(config.endpoint).scheme == "https",
        )
    except ClientAuthenticationError as exc:
        raise PullError(
            "credential",
            f"Azure Monitor refused the credential for {resource_id}: {_short(exc)}",
            "give the identity the Monitoring Reader role on the Azure OpenAI resource (or its "
            "resource group), or sign in again (az login) or renew LENS_METRICS_ACCESS_TOKEN",
        ) from exc
    except (ServiceRequestError, ServiceResponseError) as exc:
        raise PullError(
            "network",
            f"cannot reach {config.endpoint}: {_short(exc)}",
            "check LENS_METRICS_ENDPOINT and the network; the next poll retries",
        ) from exc
    except HttpResponseError as exc:
        raise _http_failure(exc.status_code or 0, _short(exc), resource_id) from exc


def _http_failure(status: int, message: str, resource_id: str) -> PullError:
    if status == 404:
        return PullError(
            "workspace",
            f"no resource {resource_id}: {message}",
            "set LENS_METRICS_RESOURCE_IDS to the Azure OpenAI resources' ids "
            "(/subscriptions/.../providers/Microsoft.CognitiveServices/accounts/NAME)",
        )
    if status == 403:
        return PullError(
            "credential",
            f"Azure Monitor answered 403 for {resource_id}: {message}",
            "give the identity the Monitoring Reader role on the Azure OpenAI resource",
        )
    if status == 429:
        return PullError(
            "throttled",
            "Azure Monitor kept throttling (429) after retries",
            "the next poll retries; raise LENS_METRICS_POLL_INTERVAL_S if it persists",
        )
    if status >= 500:
        return PullError(
            "server", f"Azure Monitor answered {status}: {message}", "the next poll retries"
        )
    return PullError(
        "query",
        f"Azure Monitor refused the metrics read ({status}) for {resource_id}: {message}",
        "check that the resource id is an Azure OpenAI or Foundry resource: other kinds of "
        "account do not define these metrics",
    )


def _short(exc: Exception) -> str:
    text = str(getattr(exc, "message", None) or exc)
    return text.splitlines()[0][:300] if text else type(exc).__name__
