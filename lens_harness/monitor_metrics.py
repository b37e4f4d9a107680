"""A local fake of the Azure Monitor Metrics REST API: real HTTP on 127.0.0.1, in a thread.

Route: ``GET /{resourceId}/providers/Microsoft.Insights/metrics`` with the query
parameters ``api-version``, ``timespan`` (``start/end``, ISO 8601), ``interval``,
``metricnames`` (comma-separated), ``aggregation`` (comma-separated, any case), ``$filter``
(``ModelDeploymentName eq '*'`` splits by deployment) and ``top``, ``Authorization: Bearer
<token>``: what ``azure-mgmt-monitor`` 7.0.0's ``MonitorManagementClient.metrics.list``
sends (read in the installed package: ``operations/_metrics_operations.py``
``build_list_request``; api-version ``2024-02-01``).

Where each answer's shape comes from (the ``Response`` / ``Metric`` /
``TimeSeriesElement`` / ``MetadataValue`` / ``MetricValue`` definitions of the Metrics
REST API, 2024-02-01, which the SDK's models mirror key for key):

- 200 ``{"cost", "timespan", "interval", "namespace", "resourceregion", "value": [{"id",
  "type": "Microsoft.Insights/metrics", "name": {"value", "localizedValue"}, "unit",
  "displayDescription", "errorCode": "Success", "timeseries": [{"metadatavalues":
  [{"name": {"value", "localizedValue"}, "value"}], "data": [{"timeStamp", "total" |
  "average" | "maximum"}]}]}]}``; only the aggregations asked for are in each data point;
  hours with no value have a data point with the time stamp alone. The dimension's name
  comes back in lower case (``modeldeploymentname``), as the service writes it.
- A metric that cannot be read comes back in ``value`` with its ``errorCode`` and
  ``errorMessage`` and no time series (the ``Metric`` definition: "'Success' or the error
  details on query failures for this metric"), beside the metrics that could.
- A metric name the resource type does not define makes the whole request fail: 400
  ``BadRequest`` "Failed to find metric configuration for provider: ..., metric: NAME,
  Valid metrics: ..." (the message as the service words it; not in the API reference).
- Failures: Azure Resource Manager's error object ``{"error": {"code", "message"}}``: 401
  ``InvalidAuthenticationToken``, 404 ``ResourceNotFound``; 429 ``TooManyRequests`` with
  ``Retry-After`` (seconds), which azure-core's retry policy reads.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

TOKEN = "fake-management-token"
PATH_SUFFIX = "/providers/Microsoft.Insights/metrics"


def resource_id(name: str, subscription: str = "0a1b2c3d-0000-4000-8000-000000000001") -> str:
    return (
        f"/subscriptions/{subscription}/resourceGroups/rg-ai/providers/"
        f"Microsoft.CognitiveServices/accounts/{name}"
    )


@dataclass
class Fault:
    status: int
    code: str
    headers: dict[str, str] = field(default_factory=dict)


class FakeMonitorMetrics:
    """The fake Metrics API; ``start()`` serves it, ``requests`` records what came."""

    def __init__(self, token: str = TOKEN) -> None:
        self.token = token
        # (resource lower case, metric, deployment, hour) -> {aggregation: value}
        self.points: dict[tuple[str, str, str, datetime], dict[str, float]] = {}
        self.resources: set[str] = set()
        self.requests: list[dict[str, Any]] = []
        self.faults: deque[Fault] = deque()
        self.metric_errors: dict[str, tuple[str, str]] = {}  # metric -> (code, message)
        self.undefined: set[str] = set()  # metric names the resource type does not define
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    @property
    def endpoint(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def add(
        self, resource: str, metric: str, deployment: str, hour: datetime, **values: float
    ) -> None:
        with self._lock:  # a value added again for the same hour replaces it
            self.resources.add(resource.lower())
            self.points[(resource.lower(), metric, deployment, hour)] = values

    def fail_next(self, status: int, *, retry_after: int | None = None, times: int = 1) -> None:
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
        code = "TooManyRequests" if status == 429 else "InternalServerError"
        for _ in range(times):
            self.faults.append(Fault(status, code, headers))

    def start(self) -> FakeMonitorMetrics:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                status, headers, payload = fake.answer(self.path, dict(self.headers))
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def answer(self, raw_path: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
        parts = urlsplit(raw_path)
        path = unquote(parts.path)
        query = {key: values[0] for key, values in parse_qs(parts.query).items()}
        with self._lock:
            self.requests.append({"path": path, "query": query})
            if headers.get("Authorization") != f"Bearer {self.token}":
                return _error(401, "InvalidAuthenticationToken", "The access token is invalid.")
            if self.faults:
                fault = self.faults.popleft()
                return _error(fault.status, fault.code, "busy", fault.headers)
            if not path.endswith(PATH_SUFFIX):
                return _error(404, "NotFound", f"no route {path}")
            resource = path[: -len(PATH_SUFFIX)]
            if resource.lower() not in self.resources:
                return _error(404, "ResourceNotFound", f"The Resource '{resource}' was not found.")
            unknown = [n for n in query.get("metricnames", "").split(",") if n in self.undefined]
            if unknown:
                return _error(
                    400,
                    "BadRequest",
                    "Failed to find metric configuration for provider: "
                    f"Microsoft.CognitiveServices, resource Type: accounts, metric: {unknown[0]}, "
                    "Valid metrics: AzureOpenAIRequests, ProcessedPromptTokens, GeneratedTokens",
                )
            return 200, {}, json.dumps(self._metrics(resource, query)).encode()

    def _metrics(self, resource: str, query: dict[str, str]) -> dict[str, Any]:
        start, end = (_parse(text) for text in query["timespan"].split("/"))
        wanted = [a.strip().lower() for a in query.get("aggregation", "average").split(",")]
        split = "eq '*'" in query.get("$filter", "")
        hours = []
        cursor = start.replace(minute=0, second=0, microsecond=0)
        while cursor < end:
            hours.append(cursor)
            cursor += timedelta(hours=1)
        value = []
        for name in query["metricnames"].split(","):
            metric: dict[str, Any] = {
                "id": f"{resource}/providers/Microsoft.Insights/metrics/{name}",
                "type": "Microsoft.Insights/metrics",
                "name": {"value": name, "localizedValue": name},
                "displayDescription": "",
                "unit": "Percent" if "Utilization" in name else "Count",
            }
            if name in self.metric_errors:
                code, message = self.metric_errors[name]
                value.append({**metric, "errorCode": code, "errorMessage": message})
                continue
            mine: dict[str, dict[datetime, dict[str, float]]] = {}
            for (where, what, deployment, hour), values in self.points.items():
                if where == resource.lower() and what == name:
                    by_hour = mine.setdefault(deployment if split else "", {})
                    for key, number in values.items():  # unsplit: the deployments summed
                        slot = by_hour.setdefault(hour, {})
                        slot[key] = slot.get(key, 0.0) + number if not split else number
            series = []
            for deployment in sorted(mine):
                data = []
                for hour in hours:
                    point: dict[str, Any] = {"timeStamp": _iso(hour)}
                    found = mine[deployment].get(hour, {})
                    point.update({key: found[key] for key in wanted if key in found})
                    data.append(point)
                meta = (
                    [
                        {
                            "name": {
                                "value": "modeldeploymentname",
                                "localizedValue": "modeldeploymentname",
                            },
                            "value": deployment,
                        }
                    ]
                    if split
                    else []
                )
                series.append({"metadatavalues": meta, "data": data})
            value.append({**metric, "errorCode": "Success", "timeseries": series})
        return {
            "cost": len(hours) * len(value),
            "timespan": query["timespan"],
            "interval": query.get("interval", "PT1M"),
            "namespace": "Microsoft.CognitiveServices/accounts",
            "resourceregion": "swedencentral",
            "value": value,
        }


def _error(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    return status, headers or {}, json.dumps({"error": {"code": code, "message": message}}).encode()


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
