"""One entry per Log Analytics pull: its .kql file, what its rows become, and its inputs.

Every source's watermark is on ``TimeGenerated`` (what ``timespan=`` filters on); each
poll re-reads ``overlap`` before the watermark, because rows reach a workspace minutes
after their ``TimeGenerated``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Final

from queries.kql import KqlValue

CALLS: Final = "calls"  # rows -> CallRow (calls)
METRICS: Final = "metrics"  # rows -> resource_metrics
ROLLUP: Final = "rollup"  # rows -> usage_rollups

ROLLUP_BIN: Final = timedelta(hours=1)
# gen_ai.operation.name of GenAI spans that are not model calls (the GenAI semantic
# conventions' agent, tool and workflow spans); an agent span's tokens are those of the model
# calls under it, so pulling it would count them twice.
NOT_MODEL_CALLS: Final = ("invoke_agent", "create_agent", "execute_tool", "invoke_workflow")


@dataclass(frozen=True)
class Source:
    name: str  # what --source takes
    kql: str  # queries/kql/<kql>.kql in calls mode
    kind: str  # CALLS | METRICS
    rollup_kql: str | None  # the summarised pull in rollup mode; None: same as calls mode
    params: dict[str, KqlValue] = field(default_factory=dict)  # besides row_limit
    needs: str = ""  # what must be configured in Azure for the table to exist
    # For a pull whose rows may come without the fields of a second table: the boolean
    # result column that says a row has them, and what their absence means and needs.
    joined_flag: str | None = None
    joined_missing: str = ""

    @property
    def ledger_source(self) -> str:
        """The ``calls.source`` of its rows."""
        return f"loganalytics:{self.name}"


SOURCES: Final[dict[str, Source]] = {
    source.name: source
    for source in (
        Source(
            "app_insights",
            "app_insights",
            CALLS,
            "app_insights_rollup",
            params={"not_model_calls": list(NOT_MODEL_CALLS)},
            needs="workspace-based Application Insights fed by azure-monitor-opentelemetry "
            "with the OpenAI instrumentation (table AppDependencies)",
        ),
        Source(
            "apim",
            "apim",
            CALLS,
            "apim_rollup",
            needs="the API Management diagnostic setting with 'Logs related to generative AI "
            "gateway' and 'Logs related to ApiManagement Gateway' sent to this workspace, "
            "destination table 'Resource specific' (tables ApiManagementGatewayLlmLog, "
            "ApiManagementGatewayLogs)",
            joined_flag="GatewayLogged",
            joined_missing="had no row in ApiManagementGatewayLogs, so they are stored without "
            "caller details (subscription, product, API, caller IP, backend): send 'Logs "
            "related to ApiManagement Gateway' to this workspace in the same diagnostic "
            "setting, destination table 'Resource specific'",
        ),
        Source(
            "azure_diagnostics",
            "azure_diagnostics",
            CALLS,
            None,
            params={
                "resource_provider": "MICROSOFT.COGNITIVESERVICES",
                "category": "RequestResponse",
                "usage_category": "AzureOpenAIRequestUsage",
            },
            needs="the Azure OpenAI resource's diagnostic setting 'Request and Response Logs' "
            "sent to this workspace (table AzureDiagnostics); 'Azure OpenAI Request Usage' "
            "too for token counts",
        ),
        Source(
            "azure_metrics",
            "azure_metrics",
            METRICS,
            None,
            params={
                "resource_provider": "MICROSOFT.COGNITIVESERVICES",
                # Azure OpenAI models' tokens, and every model's (Foundry's others too).
                "metric_names": [
                    "ProcessedPromptTokens",
                    "GeneratedTokens",
                    "InputTokens",
                    "OutputTokens",
                ],
            },
            needs="the Azure OpenAI resource's diagnostic setting 'AllMetrics' sent to this "
            "workspace (table AzureMetrics)",
        ),
    )
}


_UNITS: Final = {"m": "minutes", "h": "hours", "d": "days"}
MAX_SINCE: Final = timedelta(days=3650)


def parse_since(text: str) -> timedelta:
    """``30d``, ``12h``, ``90m`` -> a timedelta; anything else raises ValueError."""
    value = text.strip().lower()
    shown = repr(text[:40])  # a URL parameter: quoted in part, never whole
    if not 2 <= len(value) <= 12 or value[-1] not in _UNITS or not value[:-1].isascii():
        raise ValueError(f"{shown} is not a duration like 30d, 12h or 90m")
    if not value[:-1].isdigit():
        raise ValueError(f"{shown} is not a duration like 30d, 12h or 90m")
    since = timedelta(**{_UNITS[value[-1]]: int(value[:-1])})
    if not timedelta(minutes=1) <= since <= MAX_SINCE:
        raise ValueError(f"{shown} is out of range (1m to 3650d)")
    return since
