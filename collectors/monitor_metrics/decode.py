"""A Metrics REST API answer (``azure.mgmt.monitor.models.Response``: ``value`` of metrics,
each with ``timeseries`` of ``metadatavalues`` and hourly ``data``) -> one row per
resource, deployment, hour and metric.

A metric whose ``errorCode`` is not ``Success`` carries no data; its message is returned
beside the rows so the pull can say what is missing without dropping what came.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from azure.mgmt.monitor.models import Response


@dataclass
class MetricRows:
    rows: list[dict[str, Any]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def resource_name(resource_id: str) -> str:
    """The account name of a resource id, lower case (as AzureMetrics' Resource)."""
    return resource_id.rstrip("/").rsplit("/", 1)[-1].lower()


def metric_rows(answer: Response, resource_id: str, dimension: str) -> MetricRows:
    """The values of one answer, per deployment (the ``dimension`` metadata value) and hour.
    Data points without any value (an hour with no traffic) are left out."""
    out = MetricRows()
    resource = resource_name(resource_id)
    for metric in answer.value or []:
        name = metric.name.value if metric.name is not None else None
        if not name:
            continue
        if metric.error_code and metric.error_code.lower() != "success":
            out.errors.append(f"{name}: {metric.error_code} {metric.error_message or ''}".strip())
            continue
        for series in metric.timeseries or []:
            deployment = ""
            for meta in series.metadatavalues or []:
                key = meta.name.value if meta.name is not None else ""
                if key and key.lower() == dimension.lower():
                    deployment = meta.value or ""
            for point in series.data or []:
                values = (point.total, point.average, point.maximum)
                if point.time_stamp is None or all(value is None for value in values):
                    continue
                out.rows.append(
                    {
                        "resource": resource,
                        "deployment": deployment,
                        "hour": _utc(point.time_stamp),
                        "metric": name,
                        "total": point.total,
                        "average": point.average,
                        "maximum": point.maximum,
                        "resource_id": resource_id,
                    }
                )
    return out


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
