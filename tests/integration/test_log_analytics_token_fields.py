"""Token fields the Log Analytics pulls read beside the usual counts, with the real
LogsQueryClient against the local fake workspace: Foundry's non-OpenAI models
(InputTokens / OutputTokens), API Management's TotalTokens and SessionId."""

from __future__ import annotations

import json
from datetime import timedelta

from collectors.store import Store
from lens_harness.log_analytics import FakeLogAnalytics
from lens_harness.log_analytics_rows import apim_row, diagnostics_row, metrics_row
from queries import calls, sources
from tests.integration.log_analytics_polling import NOW, poll

AT = NOW - timedelta(minutes=10)


def test_foundry_models_tokens_count_in_the_metrics_coverage_never_twice(
    store: Store, fake: FakeLogAnalytics
) -> None:
    # An OpenAI deployment's 1,200 tokens, counted by both pairs; a Llama deployment's 600
    # tokens, counted only as InputTokens / OutputTokens.
    fake.add(
        "AzureMetrics",
        metrics_row(AT, "ProcessedPromptTokens", 1000.0),
        metrics_row(AT, "GeneratedTokens", 200.0),
        metrics_row(AT, "InputTokens", 1500.0),
        metrics_row(AT, "OutputTokens", 300.0),
        metrics_row(AT, "AzureOpenAIRequests", 9.0),  # not a token metric: not asked for
    )
    poll(store, fake, "azure_metrics")
    stored = store.cursor().execute("SELECT metric FROM resource_metrics ORDER BY metric")
    assert [row[0] for row in stored.fetchall()] == [
        "GeneratedTokens",
        "InputTokens",
        "OutputTokens",
        "ProcessedPromptTokens",
    ]
    coverage = sources.source_coverage(store.cursor(), NOW - timedelta(days=1), NOW)
    assert list(coverage["metrics_tokens"]) == [1800.0]  # max(1,000 + 200, 1,500 + 300)


def test_a_foundry_models_logged_input_and_output_tokens_are_its_tokens(
    store: Store, fake: FakeLogAnalytics
) -> None:
    row = diagnostics_row(AT, "llama-1")
    props = json.loads(row["properties_s"])
    row["properties_s"] = json.dumps(
        {**props, "modelDeploymentName": "llama-33-70b", "modelName": "Llama-3.3-70B-Instruct"}
    )
    row["usage_s"] = json.dumps({"inputTokens": [900], "outputTokens": [120]})
    fake.add("AzureDiagnostics", row)
    poll(store, fake, "azure_diagnostics")
    stored = store.cursor().execute(
        "SELECT deployment, input_tokens, output_tokens FROM calls WHERE call_id = 'diag:llama-1'"
    )
    assert stored.fetchall() == [("llama-33-70b", 900, 120)]  # priced, not "tokens unknown"


def test_apim_total_tokens_fills_a_missing_count_and_the_session_is_on_the_call(
    store: Store, fake: FakeLogAnalytics
) -> None:
    fake.add(
        "ApiManagementGatewayLlmLog",
        apim_row(AT, "corr-1", prompt=None, completion=164, total=976, session="sess-42"),
    )
    poll(store, fake, "apim")
    assert "column_ifexists" in fake.queries_for("ApiManagementGatewayLlmLog")[0]["query"]
    detail = calls.call_detail(store.cursor(), "apim:corr-1")
    assert detail is not None
    assert (detail["input_tokens"], detail["output_tokens"]) == (812, 164)  # 976 - 164
    assert detail["session_id"] == "sess-42"
    assert json.loads(detail["attributes"])["apim.total_tokens"] == 976


def test_the_app_insights_session_is_put_back_on_the_call(
    store: Store, fake: FakeLogAnalytics
) -> None:
    from lens_harness.log_analytics_rows import app_insights_row

    # azure-monitor-opentelemetry moves session.id out of Properties into SessionId, as it
    # moves enduser.id into UserAuthenticatedId.
    fake.add("AppDependencies", app_insights_row(AT, "a" * 32, "b" * 16, session="conv-7"))
    fake.add("AppDependencies", app_insights_row(AT, "c" * 32, "d" * 16))
    poll(store, fake, "app_insights")
    with_session = calls.call_detail(store.cursor(), "a" * 32 + "b" * 16)
    without = calls.call_detail(store.cursor(), "c" * 32 + "d" * 16)
    assert with_session is not None and without is not None
    assert with_session["session_id"] == "conv-7"
    assert not isinstance(without["session_id"], str)  # NULL (NaN in the frame)
    assert "session.id" not in json.loads(without["attributes"])
