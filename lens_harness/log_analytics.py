"""A local fake of the Log Analytics query API: real HTTP on 127.0.0.1, in a thread.

Route: ``POST /v1/workspaces/{workspaceId}/query`` with ``{"query", "timespan",
"workspaces"}``, ``Authorization: Bearer <token>``: what ``azure-monitor-query`` 2.0.0's
``LogsQueryClient.query_workspace`` sends (read in the installed package:
``azure/monitor/query/_patch.py`` builds the body, ``_helpers.construct_iso8601`` writes
``timespan`` as ``<start>/<end>`` in ISO 8601 with a ``Z``).

Where each answer's shape comes from:

- 200 ``{"tables": [{"name": "PrimaryResult", "columns": [{"name", "type"}], "rows":
  [[...]]}]}``, rows positional, ``datetime`` as ISO text, ``dynamic`` values as JSON
  **text** (the SDK leaves them unparsed): MicrosoftDocs/azure-monitor-docs
  ``articles/azure-monitor/logs/api/response-format.md``.
- Partial results: HTTP 200 with the tables and ``"error": {"code": "PartialError",
  "message", "details": [...]}`` (the SDK returns ``LogsQueryPartialResult``): the same
  page and ``logs/api/errors.md``; the inner ``details`` follow observed responses
  (``E_QUERY_RESULT_SET_TOO_LARGE``).
- Failures: a OneAPI error object ``{"error": {"message", "code", "innererror": {...}}}``
  with 400 ``BadArgumentError`` (a query naming a table the workspace does not have:
  ``SemanticError``), 401 ``AuthenticationFailed`` (a token the fake does not know), 404
  ``PathNotFoundError`` (another workspace): ``logs/api/errors.md``.
- 429 with ``Retry-After`` (seconds): the query rate limit in
  ``logs/includes/azure-monitor-limits-log-queries.md``; azure-core's retry policy reads
  the header.
- 204 No Content: a workspace with no data at all (``errors.md``).

It does not run KQL. A test puts the **result rows of our pulls** into the fake, keyed by
the first table the pull reads (``AppDependencies``, ``ApiManagementGatewayLlmLog``,
``AzureDiagnostics``, ``AzureMetrics``), and the fake answers a query with the rows whose
time column lies in the request's timespan (start inclusive, end exclusive), in the
columns and types of ``queries/kql/<source>.kql`` (rollup pulls: the ``rollup`` rows, on
``Hour``). Rows added after a poll are rows that
reached the workspace late.

What it does know of how Azure fills the tables:

- A result has only the columns the query names: a pull that does not select
  ``ItemCount`` does not learn that a sampled ``AppDependencies`` row stands for
  ``ItemCount`` calls (the table reference: ``ItemCount``, "the number of telemetry items
  represented by a single sample item").
- ``ApiManagementGatewayLlmLog`` writes several rows per exchange (``SequenceNumber``:
  request, response, message chunks). A call row may carry them as ``_exchange``; the
  usage each row repeats is collapsed per ``CorrelationId`` the way the query's
  ``summarize ... by CorrelationId`` says: summed (``sum(``), or the largest
  ``TotalTokens`` (``arg_max(TotalTokens``), after ``where isnotempty(DeploymentName)``
  when the query keeps only the rows that name the deployment. That the other rows repeat
  the usage is the worst case the summing samples would double count; Microsoft's
  samples read only the rows with a ``DeploymentName`` (the LLM logging how-to).
- ``AzureMetrics`` holds every metric the resource exports; the fake answers only the
  rows whose ``MetricName`` is in the query's ``MetricName in (<let-bound list>)``.
- ``AppDependencies`` holds every GenAI span the exporter wrote, agent and tool spans
  (``gen_ai.operation.name`` ``invoke_agent``, ``execute_tool``, ...) included; the fake
  answers only the rows whose operation name passes the query's
  ``tostring(Properties["gen_ai.operation.name"]) !in (<let-bound list>)``, if it has one.
- A table in ``missing`` that a query names makes it fail as Log Analytics does, 400
  ``BadArgumentError`` / ``SemanticError`` / ``SEM0100`` "Failed to resolve table or column
  expression named '...'", unless the query reads it through ``union isfuzzy=true``: then
  the rows come without that table's fields (for ``ApiManagementGatewayLogs``: the caller
  details, ``GatewayLogged`` false). Whether the service adds a warning to such an answer
  is not documented; the fake adds none.
"""

from __future__ import annotations

import json
import re
import threading
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from lens_harness.log_analytics_tables import (
    GATEWAY_COLUMNS,
    error_body,
    one_exchange,
    passes_metric_filter,
    passes_operation_filter,
    unresolved_table,
)

TOKEN = "fake-log-analytics-token"
WORKSPACE = "11111111-2222-3333-4444-555555555555"

# The result columns of each pull (queries/kql/*.kql), keyed by the first table it reads.
RESULT_COLUMNS: dict[str, list[tuple[str, str]]] = {
    "AppDependencies": [
        ("TimeGenerated", "datetime"),
        ("OperationId", "string"),
        ("Id", "string"),
        ("Name", "string"),
        ("DurationMs", "real"),
        ("Success", "bool"),
        ("ResultCode", "string"),
        ("DependencyType", "string"),
        ("Target", "string"),
        ("AppRoleName", "string"),
        ("UserAuthenticatedId", "string"),
        ("SessionId", "string"),
        ("ItemCount", "int"),
        ("Properties", "dynamic"),
    ],
    "ApiManagementGatewayLlmLog": [
        ("TimeGenerated", "datetime"),
        ("CorrelationId", "string"),
        ("LlmRequestId", "string"),
        ("OperationName", "string"),
        ("ApiVersion", "string"),
        ("DeploymentName", "string"),
        ("ModelName", "string"),
        ("IsStreamCompletion", "long"),
        ("Region", "string"),
        ("PromptTokens", "long"),
        ("CompletionTokens", "long"),
        ("TotalTokens", "long"),
        ("SessionId", "string"),
        ("ApimSubscriptionId", "string"),
        ("ProductId", "string"),
        ("ApiId", "string"),
        ("CallerIpAddress", "string"),
        ("ResponseCode", "int"),
        ("TotalTime", "long"),
        ("BackendUrl", "string"),
        ("BackendRequestId", "string"),
        ("LastErrorReason", "string"),
        ("BackendId", "string"),
        ("BackendResponseCode", "int"),
        ("GatewayLogged", "bool"),
    ],
    "AzureDiagnostics": [
        ("TimeGenerated", "datetime"),
        ("CorrelationId", "string"),
        ("Resource", "string"),
        ("OperationName", "string"),
        ("DurationMs", "long"),
        ("ResultSignature", "string"),
        ("CallerIPAddress", "string"),
        ("properties_s", "string"),
        ("usage_s", "string"),
    ],
    # Any rollup-mode pull (queries/kql/*_rollup.kql: it reads bin_size).
    "rollup": [
        ("Hour", "datetime"),
        ("DeploymentName", "string"),
        ("ModelName", "string"),
        ("Region", "string"),
        ("ApimSubscriptionId", "string"),
        ("TenantId", "string"),
        ("Status", "string"),
        ("Requests", "long"),
        ("PromptTokens", "long"),
        ("CompletionTokens", "long"),
        ("CachedTokens", "long"),
        ("ReasoningTokens", "long"),
        ("CacheWriteTokens", "long"),  # app_insights_rollup.kql only
    ],
    "AzureMetrics": [
        ("TimeGenerated", "datetime"),
        ("Resource", "string"),
        ("MetricName", "string"),
        ("Total", "real"),
    ],
}
_FIRST_TABLE = re.compile(r"^\s*([A-Za-z]+)\s*$", re.MULTILINE)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass
class Fault:
    status: int
    body: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)


class FakeLogAnalytics:
    """The fake workspace; ``start()`` serves it, ``requests`` records what came."""

    def __init__(self, workspace: str = WORKSPACE, token: str = TOKEN) -> None:
        self.workspace = workspace
        self.token = token
        self.rows: dict[str, list[dict[str, Any]]] = {table: [] for table in RESULT_COLUMNS}
        self.requests: list[dict[str, Any]] = []
        self.faults: deque[Fault] = deque()
        self.partial_next = 0  # answer this many queries with PartialError (rows included)
        self.no_content = False  # answer 204 when a query finds no rows
        self.fixed_body: bytes | None = None  # a pre-encoded answer (the bench)
        self.missing: set[str] = set()  # tables this workspace does not have (400)
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    @property
    def endpoint(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def add(self, table: str, *rows: dict[str, Any]) -> None:
        with self._lock:
            self.rows[table].extend(rows)

    def fail_next(self, status: int, *, retry_after: int | None = None, times: int = 1) -> None:
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
        body = error_body("ServiceUnavailable" if status >= 500 else "TooManyRequests", "busy")
        for _ in range(times):
            self.faults.append(Fault(status, body, headers))

    def queries_for(self, table: str) -> list[dict[str, Any]]:
        return [r for r in self.requests if r["table"] == table]

    def start(self) -> FakeLogAnalytics:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                status, headers, payload = fake.answer(self.path, dict(self.headers), body)
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                if payload is not None:
                    self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(payload or b"")))
                self.end_headers()
                if payload:
                    self.wfile.write(payload)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def answer(
        self, path: str, headers: dict[str, str], raw: bytes
    ) -> tuple[int, dict[str, str], bytes | None]:
        match = re.fullmatch(r"/v1/workspaces/([^/]+)/query", path)
        if headers.get("Authorization") != f"Bearer {self.token}":
            return _json(401, error_body("AuthenticationFailed", "Authentication failed."))
        if match is None or match.group(1) != self.workspace:
            return _json(404, error_body("PathNotFoundError", "The requested path does not exist"))
        request = json.loads(raw)
        query = request["query"]
        found = _FIRST_TABLE.search(query)
        table = found.group(1) if found else ""
        if "bin_size" in query and table in RESULT_COLUMNS:
            table = "rollup"
        self.requests.append({"table": table, "query": query, "timespan": request["timespan"]})
        if self.faults:
            fault = self.faults.popleft()
            return _json(fault.status, fault.body, fault.headers)
        if self.fixed_body is not None:
            return 200, {}, self.fixed_body
        fuzzy = set()
        for name in sorted(self.missing):
            if not re.search(rf"\b{name}\b", query):
                continue
            if name != table and re.search(rf"union\s+isfuzzy\s*=\s*true\s+{name}\b", query):
                fuzzy.add(name)
                continue
            return _json(400, unresolved_table(name))
        if table not in RESULT_COLUMNS:
            return _json(400, unresolved_table(table))
        start, end = _timespan(request["timespan"])
        with self._lock:
            rows = [r for r in self.rows[table] if start <= _time_of(r) < end]
        if table == "AppDependencies":
            rows = [r for r in rows if passes_operation_filter(r, query)]
        if table == "AzureMetrics":
            rows = [r for r in rows if passes_metric_filter(r, query)]
        if table == "ApiManagementGatewayLlmLog":
            rows = [r for r in (one_exchange(row, query) for row in rows) if r is not None]
            if "ApiManagementGatewayLogs" in fuzzy:
                lost = {**dict.fromkeys(GATEWAY_COLUMNS), "GatewayLogged": False}
                rows = [{**r, **lost} for r in rows]
        if not rows and self.no_content:
            return 204, {}, None
        document: dict[str, Any] = {"tables": [result_table(table, rows, query)]}
        if self.partial_next:
            self.partial_next -= 1
            document["error"] = {
                "code": "PartialError",
                "message": "There were some errors when processing your query.",
                "details": [
                    {
                        "code": "EngineError",
                        "message": "Something went wrong processing your query on the server.",
                        "innererror": {
                            "code": "-2133196797",
                            "message": "Query result set has exceeded the internal record "
                            "count limit 500000 (E_QUERY_RESULT_SET_TOO_LARGE).",
                            "severity": 2,
                            "severityName": "Error",
                        },
                    }
                ],
            }
        return _json(200, document)


def result_table(
    table: str, rows: list[dict[str, Any]], query: str | None = None
) -> dict[str, Any]:
    """Rows as the documented PrimaryResult table of ``table``'s pull: the columns of
    ``RESULT_COLUMNS`` that ``query`` names (all of them without a query)."""
    columns = [
        (name, kind)
        for name, kind in RESULT_COLUMNS[table]
        if query is None or re.search(rf"\b{name}\b", query)
    ]
    return {
        "name": "PrimaryResult",
        "columns": [{"name": name, "type": kind} for name, kind in columns],
        "rows": [[_cell(row.get(name), kind) for name, kind in columns] for row in rows],
    }


def _cell(value: Any, kind: str) -> Any:
    if value is None:
        return None
    if kind == "datetime" and isinstance(value, datetime):
        return iso(value)
    if kind == "dynamic":
        return json.dumps(value)  # dynamic values travel as JSON text
    return value


def _time_of(row: dict[str, Any]) -> datetime:
    value = row["TimeGenerated"] if "TimeGenerated" in row else row["Hour"]
    assert isinstance(value, datetime)
    return value


def _timespan(text: str | None) -> tuple[datetime, datetime]:
    if not text or "/" not in text:
        return datetime.min.replace(tzinfo=UTC), datetime.max.replace(tzinfo=UTC)
    start, end = text.split("/")
    return _parse(start), _parse(end)


def _parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _json(
    status: int, body: dict[str, Any] | None, headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    return status, headers or {}, json.dumps(body).encode()


class TokenCredential:
    """A credential object that returns a token (any scope), as azure-identity's do."""

    def __init__(self, token: str = TOKEN) -> None:
        self.token = token
        self.scopes: list[str] = []

    def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        from azure.core.credentials import AccessToken

        self.scopes.extend(scopes)
        return AccessToken(self.token, int(datetime.now(UTC).timestamp()) + 3600)


class FailingCredential:
    """A credential that cannot get a token (expired sign-in, no identity)."""

    def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        from azure.core.exceptions import ClientAuthenticationError

        raise ClientAuthenticationError(
            "DefaultAzureCredential failed to retrieve a token: AADSTS700082: "
            "The refresh token has expired due to inactivity."
        )
