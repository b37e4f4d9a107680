"""Prompt-cache writes from Log Analytics, with the real LogsQueryClient against the local
fake workspace. Application Insights rows carry the span's attributes in Properties
(customDimensions), so a cache write is read under the same names, in the same order, as
over OTLP (collectors/genai/attributes.py CACHE_WRITE_TOKENS). API Management's
ApiManagementGatewayLlmLog (PromptTokens, CompletionTokens, TotalTokens) and the resource's
AzureOpenAIRequestUsage log (promptTokens, cachedTokens, generatedTokens) document no
cache-write field: their calls' cache_write_tokens stay NULL."""

from __future__ import annotations

import json
from datetime import timedelta

from collectors.genai.attributes import CACHE_WRITE_TOKENS
from collectors.loganalytics.client import LogAnalyticsConfig
from collectors.loganalytics.poller import Poller
from collectors.store import Store
from lens_harness.log_analytics import WORKSPACE, FakeLogAnalytics, TokenCredential
from lens_harness.log_analytics_rows import app_insights_row, diagnostics_row
from tests.integration.log_analytics_polling import NOW, poll

AT = NOW - timedelta(minutes=10)


def cache_writes(store: Store) -> dict[str, int | None]:
    rows = store.cursor().execute("SELECT call_id, cache_write_tokens FROM calls ORDER BY 1")
    return dict(rows.fetchall())


def test_app_insights_cache_writes_are_read_under_every_spelling_otlp_reads(
    store: Store, fake: FakeLogAnalytics
) -> None:
    # One call per spelling (writes 100, 200, 300, 400 of 812 input tokens), one with two
    # spellings (the first in the definition's order wins: 128, not 999), one with none.
    rows = []
    for i, name in enumerate(CACHE_WRITE_TOKENS):
        row = app_insights_row(AT, f"{i:032x}", f"{i:016x}")
        row["Properties"][name] = str(100 * (i + 1))
        rows.append(row)
    both = app_insights_row(AT, "e" * 32, "e" * 16)
    both["Properties"] |= {CACHE_WRITE_TOKENS[0]: "128", CACHE_WRITE_TOKENS[-1]: "999"}
    rows += [both, app_insights_row(AT, "f" * 32, "f" * 16)]
    fake.add("AppDependencies", *rows)
    poll(store, fake, "app_insights")
    assert cache_writes(store) == {
        f"{0:032x}{0:016x}": 100,
        f"{1:032x}{1:016x}": 200,
        f"{2:032x}{2:016x}": 300,
        f"{3:032x}{3:016x}": 400,
        "e" * 48: 128,
        "f" * 48: None,
    }


def test_a_resource_log_with_cached_tokens_names_no_cache_write(
    store: Store, fake: FakeLogAnalytics
) -> None:
    row = diagnostics_row(AT, "req-1")
    row["usage_s"] = json.dumps({"promptTokens": [900], "cachedTokens": [512],
                                 "generatedTokens": [120]})  # fmt: skip
    fake.add("AzureDiagnostics", row)
    poll(store, fake, "azure_diagnostics")
    stored = store.cursor().execute(
        "SELECT input_tokens, cached_input_tokens, cache_write_tokens FROM calls"
    )
    assert stored.fetchall() == [(900, 512, None)]


def test_app_insights_rollups_carry_cache_writes_into_the_costed_usage(
    store: Store, fake: FakeLogAnalytics
) -> None:
    # Rollup mode sums gen_ai.usage.cache_creation.input_tokens per hour in the workspace
    # (queries/kql/app_insights_rollup.kql): 300 of the hour's 1,000 input tokens.
    hour = NOW - timedelta(hours=3)
    fake.add(
        "rollup",
        {"Hour": hour, "DeploymentName": "gpt-4o-prod", "ModelName": "gpt-4o-2024-11-20",
         "Status": "ok", "Requests": 4, "PromptTokens": 1000, "CompletionTokens": 50,
         "CachedTokens": 200, "ReasoningTokens": 0, "CacheWriteTokens": 300},
    )  # fmt: skip
    config = LogAnalyticsConfig(workspace_id=WORKSPACE, endpoint=fake.endpoint, retry_total=0,
                                mode="rollup", first_pull=timedelta(hours=6))  # fmt: skip
    report = Poller(store, config, credential=TokenCredential(), now=lambda: NOW).poll(
        "app_insights"
    )
    assert report.error is None and report.rows_read == 1
    assert "CacheWriteTokens = sum(" in fake.queries_for("rollup")[0]["query"]
    usage = store.cursor().execute(
        "SELECT sum(input_tokens), sum(cached_input_tokens), sum(cache_write_tokens) "
        "FROM costed_usage($a, $b, false)",
        {"a": NOW - timedelta(days=1), "b": NOW + timedelta(days=1)},
    )
    assert usage.fetchall() == [(1000, 200, 300)]
