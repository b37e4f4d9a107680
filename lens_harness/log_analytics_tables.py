"""How Azure fills the tables the fake workspace (``log_analytics.py``) answers from: the
error of a query naming a table the workspace lacks, the rows of one API Management LLM
exchange, the operation filter on Application Insights spans. The fake's docstring says
where each behaviour comes from."""

from __future__ import annotations

import json
import re
from typing import Any


def error_body(code: str, message: str, inner: dict[str, Any] | None = None) -> dict[str, Any]:
    """A OneAPI error object, as the query API answers a failure."""
    error: dict[str, Any] = {"message": message, "code": code, "correlationId": "fake"}
    if inner:
        error["innererror"] = inner
    return {"error": error}


# The ApiManagementGatewayLogs fields of an API Management pull's row.
GATEWAY_COLUMNS = (
    "ApimSubscriptionId", "ProductId", "ApiId", "CallerIpAddress", "ResponseCode", "TotalTime",
    "BackendUrl", "BackendRequestId", "LastErrorReason", "BackendId", "BackendResponseCode",
)  # fmt: skip


def unresolved_table(name: str) -> dict[str, Any]:
    """The 400 body of a query naming a table the workspace does not have."""
    return error_body(
        "BadArgumentError",
        "The request had some invalid properties",
        {
            "code": "SemanticError",
            "message": "A semantic error occurred.",
            "innererror": {
                "code": "SEM0100",
                "message": f"'{name}' operator: Failed to resolve table or column expression "
                f"named '{name}'",
            },
        },
    )


def passes_operation_filter(row: dict[str, Any], query: str) -> bool:
    """Whether an AppDependencies row passes the query's ``!in`` test on its
    gen_ai.operation.name (every row does when the query has none)."""
    operation = r'tostring\(Properties\["gen_ai\.operation\.name"\]\)'
    test = re.search(operation + r"\s*!in\s*\((\w+)\)", query)
    if test is None:
        return True
    bound = re.search(rf"let {test.group(1)} = dynamic\((\[.*?\])\);", query)
    excluded = json.loads(bound.group(1)) if bound else []
    return str((row.get("Properties") or {}).get("gen_ai.operation.name", "")) not in excluded


def one_exchange(row: dict[str, Any], query: str) -> dict[str, Any] | None:
    """A call row whose exchange (``_exchange``: the LLM log rows of one CorrelationId) is
    collapsed as ``query`` collapses it; None when the query keeps none of its rows."""
    exchange = row.get("_exchange")
    if not exchange:
        return row
    found = re.search(r"ApiManagementGatewayLlmLog(.*?)by CorrelationId", query, re.DOTALL)
    steps = found.group(1) if found else ""
    if re.search(r"where\s+isnotempty\(DeploymentName\)", steps):
        exchange = [r for r in exchange if r.get("DeploymentName")]
    if not exchange:
        return None
    if re.search(r"sum\(\s*tolong\(PromptTokens\)", steps):
        prompt = sum(r["PromptTokens"] for r in exchange)
        completion = sum(r["CompletionTokens"] for r in exchange)
        total = sum(r["TotalTokens"] for r in exchange)
    else:
        kept = max(exchange, key=lambda r: r["TotalTokens"])
        prompt, completion, total = (
            kept["PromptTokens"], kept["CompletionTokens"], kept["TotalTokens"]
        )  # fmt: skip
    return {**row, "PromptTokens": prompt, "CompletionTokens": completion, "TotalTokens": total}


def passes_metric_filter(row: dict[str, Any], query: str) -> bool:
    """Whether an AzureMetrics row passes the query's ``MetricName in (<let-bound list>)``
    (every row does when the query has none)."""
    test = re.search(r"MetricName\s+in\s*\((\w+)\)", query)
    if test is None:
        return True
    bound = re.search(rf"let {test.group(1)} = dynamic\((\[.*?\])\);", query)
    return str(row.get("MetricName")) in (json.loads(bound.group(1)) if bound else [])
