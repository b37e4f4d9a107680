"""Pulls from a fake workspace that fills its tables the way Azure does: sampled
Application Insights rows, several API Management LLM log rows per call, a workspace
without the gateway log, agent spans, end users in their own column. The real
LogsQueryClient reads it into a real DuckDB file."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from collectors.loganalytics.client import LogAnalyticsConfig
from collectors.loganalytics.poller import Poller
from collectors.prices.book import DEPLOYMENT_TYPES, load_reference_data
from collectors.store import Store
from lens_harness.log_analytics import WORKSPACE, FakeLogAnalytics, TokenCredential
from lens_harness.log_analytics_rows import apim_row, app_insights_row, diagnostics_row
from queries.chargeback import chargeback
from queries.overview import overview_totals
from queries.scope import Scope
from queries.sources import source_health
from queries.usage import usage_in_scope
from tests.fixtures import otlp_spans as f
from tests.fixtures.otlp_spans import make_request, make_span
from tests.normalizing import normalized_tables
from tests.sql.test_call_costs import PRICES

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
APP = "AppDependencies"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = Store(tmp_path / "lens.duckdb")
    load_reference_data(opened, PRICES, DEPLOYMENT_TYPES)
    yield opened
    opened.close()


def poller_for(store: Store, fake: FakeLogAnalytics, **config: Any) -> Poller:
    settings: dict[str, Any] = {
        "workspace_id": WORKSPACE,
        "endpoint": fake.endpoint,
        "retry_total": 0,
        **config,
    }
    return Poller(
        store, LogAnalyticsConfig(**settings), credential=TokenCredential(), now=lambda: NOW
    )


def test_sampled_app_insights_rows_count_every_call_they_stand_for_in_chargeback(
    store: Store, fake: FakeLogAnalytics
) -> None:
    # Three kept spans of a sampled application: 10 + 4 + 1 calls.
    fake.add(
        APP,
        app_insights_row(NOW - timedelta(hours=3), "a" * 32, "1" * 16, item_count=10),
        app_insights_row(
            NOW - timedelta(hours=2), "b" * 32, "2" * 16, input_tokens=1000,
            output_tokens=500, item_count=4,
        ),
        app_insights_row(NOW - timedelta(hours=1), "c" * 32, "3" * 16),
    )  # fmt: skip
    report = poller_for(store, fake).poll("app_insights")
    assert (report.error, report.rows_read) == (None, 3)
    weights = store.cursor().execute("SELECT sample_weight FROM calls ORDER BY call_id")
    assert [w for (w,) in weights.fetchall()] == [10.0, 4.0, 1.0]

    (row,) = chargeback(store.cursor(), "2026-11", now=NOW).to_dict("records")
    # By hand: 15 calls; input 10 x 812 + 4 x 1000 + 812 = 12,932 tokens at $2.50 per
    # million; output 10 x 164 + 4 x 500 + 164 = 3,804 tokens at $10 per million.
    assert row["requests"] == 15
    assert (row["input_tokens"], row["output_tokens"]) == (12_932, 3_804)
    truth = Decimal("12932") * Decimal("2.50") / 10**6 + Decimal("3804") * Decimal("10") / 10**6
    assert truth == Decimal("0.07037")
    assert round(Decimal(str(row["total_cost_usd"])), 2) == round(truth, 2)
    assert Decimal(str(row["total_cost_usd"])).quantize(Decimal("0.000001")) == truth


APIM = "ApiManagementGatewayLlmLog"


def apim_calls(store: Store) -> list[tuple[Any, ...]]:
    return (
        store.cursor()
        .execute(
            "SELECT call_id, input_tokens, output_tokens, apim_subscription, "
            "attributes->>'apim.backend_id', "
            "CAST(attributes->>'apim.backend_response_code' AS INTEGER) "
            "FROM calls ORDER BY call_id"
        )
        .fetchall()
    )


def test_an_exchange_logged_over_several_rows_is_one_call_with_its_tokens_once(
    store: Store, fake: FakeLogAnalytics
) -> None:
    # c1: the request row and two more rows (response, a message chunk) repeating the usage.
    fake.add(
        APIM,
        apim_row(NOW - timedelta(minutes=9), "c1", prompt=812, completion=164, chunks=2),
        apim_row(NOW - timedelta(minutes=8), "c2", prompt=100, completion=20),
    )
    report = poller_for(store, fake).poll("apim")
    assert (report.error, report.rows_read, report.warnings) == (None, 2, [])
    assert apim_calls(store) == [
        ("apim:c1", 812, 164, "sub-contoso", "aoai-prod-backend", 200),
        ("apim:c2", 100, 20, "sub-contoso", "aoai-prod-backend", 200),
    ]


def test_a_workspace_without_the_gateway_log_stores_the_calls_without_caller_details(
    store: Store, fake: FakeLogAnalytics
) -> None:
    fake.missing.add("ApiManagementGatewayLogs")
    fake.add(APIM, apim_row(NOW - timedelta(minutes=9), "c1", chunks=1))
    report = poller_for(store, fake).poll("apim")
    assert (report.error, report.rows_read, report.watermark) == (None, 1, NOW)
    assert apim_calls(store) == [("apim:c1", 812, 164, None, None, None)]
    (warning,) = report.warnings
    assert warning.startswith("1 of 1 calls had no row in ApiManagementGatewayLogs")
    assert "'Resource specific'" in warning
    # The Sources page reads it from the source's health, beside the pull log.
    health = source_health(store.cursor(), ["apim"], NOW).set_index("source")
    assert health.loc["apim", "warning"] == warning
    assert pd.isna(health.loc["apim", "last_error"])
    (outcome,) = store.cursor().execute("SELECT outcome FROM source_pulls").fetchall()
    assert outcome == ("degraded",)
    # Once the gateway log arrives, the next pull is whole again and the warning goes.
    fake.missing.clear()
    later = poller_for(store, fake).poll("apim")
    assert later.warnings == []
    health = source_health(store.cursor(), ["apim"], NOW).set_index("source")
    assert pd.isna(health.loc["apim", "warning"])
    assert apim_calls(store)[0][3] == "sub-contoso"


def test_a_query_naming_a_missing_table_outside_a_fuzzy_union_fails_as_the_service_does(
    store: Store, fake: FakeLogAnalytics
) -> None:
    fake.missing.add(APIM)
    report = poller_for(store, fake).poll("apim")
    assert report.error is not None
    assert f"Failed to resolve table or column expression named '{APIM}'" in report.error
    assert report.hint is not None and "diagnostic setting" in report.hint


def test_agent_and_tool_spans_stay_in_the_workspace_and_end_users_come_from_their_column(
    store: Store, fake: FakeLogAnalytics
) -> None:
    at = NOW - timedelta(minutes=9)
    # An agent run: its own span (with the tokens of the model calls under it), a tool
    # call, and the one model call, whose caller the exporter moved to UserAuthenticatedId.
    fake.add(
        APP,
        app_insights_row(at, "d" * 32, "1" * 16, operation="invoke_agent", input_tokens=812),
        app_insights_row(at, "d" * 32, "2" * 16, operation="execute_tool", input_tokens=0),
        app_insights_row(at, "d" * 32, "3" * 16, end_user="alice@contoso.com"),
        app_insights_row(at, "d" * 32, "4" * 16, operation="create_agent"),
    )
    report = poller_for(store, fake).poll("app_insights")
    assert (report.error, report.rows_read) == (None, 1)  # only the model call left Azure
    rows = store.cursor().execute("SELECT call_id, end_user, input_tokens FROM calls")
    assert rows.fetchall() == [("d" * 32 + "3" * 16, "alice@contoso.com", 812)]


def test_calls_known_only_from_the_resource_log_have_unknown_tokens_not_a_zero_cost(
    store: Store, fake: FakeLogAnalytics
) -> None:
    # RequestResponse rows carry no token counts (the documented properties have none).
    fake.add("AzureDiagnostics", diagnostics_row(NOW - timedelta(hours=2), "diag-1"))
    assert poller_for(store, fake).poll("azure_diagnostics").rows_read == 1
    cur = store.cursor()
    tokens = cur.execute("SELECT input_tokens, output_tokens FROM calls").fetchall()
    assert tokens == [(None, None)]  # NULL stays NULL
    ((priced, reason),) = cur.execute("SELECT priced, unpriced_reason FROM call_costs").fetchall()
    assert (priced, reason) == (False, "tokens unknown: the source gave no token counts")
    scope = Scope(NOW - timedelta(days=1), NOW)
    totals = overview_totals(cur, usage_in_scope(cur, scope)).iloc[0]
    assert (totals["calls"], totals["unknown_token_calls"], totals["unpriced_calls"]) == (1, 1, 1)
    assert totals["payg_cost_usd"] == 0  # not in the spend, and said to be unknown


def test_the_sources_health_shows_how_many_calls_a_sampled_source_stands_for(
    store: Store, fake: FakeLogAnalytics
) -> None:
    at = NOW - timedelta(minutes=9)
    fake.add(
        APP,
        app_insights_row(at, "e" * 32, "1" * 16, item_count=20),
        app_insights_row(at, "e" * 32, "2" * 16, item_count=20),
    )
    poller_for(store, fake).poll("app_insights")
    health = source_health(store.cursor(), ["app_insights"], NOW).set_index("source")
    assert health.loc["app_insights", ["kept_calls", "represented_calls"]].tolist() == [2, 40]
    assert health.loc["otlp", ["kept_calls", "represented_calls"]].tolist() == [0, 0]


def test_gateway_rows_without_the_request_id_header_are_not_merged_and_are_counted(
    store: Store, fake: FakeLogAnalytics
) -> None:
    """The gateway logs the backend's apim-request-id only when the API's logging settings
    list that header; without it the call the application traced is stored twice."""
    at = NOW - timedelta(minutes=1)
    span = make_span(f.OURS_STREAMED_CHAT, start=int(at.timestamp() * 1e9))
    store.write_many([normalized_tables(make_request(span))])
    fake.add(APIM, apim_row(at, "corr-1", backend_request_id=None))
    poller_for(store, fake).poll("apim")
    sources = store.cursor().execute("SELECT source FROM calls ORDER BY source").fetchall()
    assert sources == [("loganalytics:apim",), ("otlp",)]  # the same call, twice
    health = source_health(store.cursor(), ["apim"], NOW).set_index("source")
    assert health.loc["apim", ["kept_calls", "without_request_id"]].tolist() == [1, 1]


def test_resource_log_calls_take_their_tokens_from_the_request_usage_category(
    store: Store, fake: FakeLogAnalytics
) -> None:
    with_usage = diagnostics_row(NOW - timedelta(hours=2), "diag-1")
    # The call's AzureOpenAIRequestUsage row, joined on CorrelationId by the pull.
    with_usage["usage_s"] = '{"promptTokens":[2000],"cachedTokens":[1024],"generatedTokens":[500]}'
    fake.add("AzureDiagnostics", with_usage, diagnostics_row(NOW - timedelta(hours=1), "diag-2"))
    poller_for(store, fake).poll("azure_diagnostics")
    cur = store.cursor()
    rows = cur.execute(
        "SELECT call_id, c.input_tokens, c.cached_input_tokens, c.output_tokens, k.priced, "
        "k.payg_cost_usd FROM calls AS c JOIN call_costs AS k USING (call_id) ORDER BY call_id"
    ).fetchall()
    # gpt-4o: (976 uncached x 2.50 + 1024 cached x 1.25 + 500 x 10.00) / 1M = 0.008720
    assert rows == [
        ("diag:diag-1", 2000, 1024, 500, True, Decimal("0.008720000")),
        ("diag:diag-2", None, None, None, False, Decimal("0")),  # tokens unknown
    ]
