"""Pulls from Log Analytics with the real LogsQueryClient against a local fake workspace,
into a real DuckDB file: watermarks, overlap, late rows, partial results, throttling,
credentials and the one-ledger merge."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from opentelemetry.proto.trace.v1.trace_pb2 import Span

from collectors.loganalytics.client import LogAnalyticsConfig
from collectors.loganalytics.poller import Poller
from collectors.rows import call_rows
from collectors.store import Store
from collectors.tenants import read_tenants_file, write_tenants
from lens_harness.log_analytics import (
    WORKSPACE,
    FailingCredential,
    FakeLogAnalytics,
    TokenCredential,
)
from lens_harness.log_analytics_rows import (
    apim_row,
    app_insights_row,
    diagnostics_row,
    metrics_row,
)
from tests.fixtures import otlp_spans as f
from tests.fixtures.otlp_spans import make_request, make_span
from tests.normalizing import normalized_tables

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
APIM = "ApiManagementGatewayLlmLog"


class Clock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


def poller_for(
    store: Store, fake: FakeLogAnalytics, clock: Clock, credential: Any = None, **config: Any
) -> Poller:
    settings: dict[str, Any] = {
        "workspace_id": WORKSPACE,
        "endpoint": fake.endpoint,
        "retry_total": 0,
        "overlap": timedelta(minutes=30),
        **config,
    }
    return Poller(
        store,
        LogAnalyticsConfig(**settings),
        credential=credential or TokenCredential(),
        now=clock,
    )


def calls(store: Store) -> list[tuple[Any, ...]]:
    return (
        store.cursor()
        .execute(
            "SELECT call_id, source, input_tokens, output_tokens, apim_subscription, request_id, "
            "also_seen_by FROM calls ORDER BY call_id"
        )
        .fetchall()
    )


def test_late_row_within_the_overlap_is_caught_and_nothing_counts_twice(
    store: Store, fake: FakeLogAnalytics
) -> None:
    clock = Clock(NOW)
    fake.add(APIM, apim_row(NOW - timedelta(minutes=50), "c1"))
    poller = poller_for(store, fake, clock)
    first = poller.poll("apim")
    assert (first.rows_read, first.error, first.watermark) == (1, None, NOW)
    # A row generated 10 minutes before the first poll reaches the workspace only now.
    fake.add(APIM, apim_row(NOW - timedelta(minutes=10), "c2"))
    clock.at = NOW + timedelta(minutes=5)
    second = poller.poll("apim")
    # The second poll re-read [watermark - 30 min, now): c2 is new, c1 is not doubled.
    assert fake.queries_for(APIM)[1]["timespan"] == (
        "2026-11-20T11:30:00.000Z/2026-11-20T12:05:00.000Z"
    )
    assert second.rows_read == 1
    assert [row[0] for row in calls(store)] == ["apim:c1", "apim:c2"]
    clock.at = NOW + timedelta(minutes=10)
    poller.poll("apim")
    assert len(calls(store)) == 2  # read again in the overlap, counted once


def test_a_row_later_than_the_overlap_is_missed_by_polls_and_found_by_a_backfill(
    store: Store, fake: FakeLogAnalytics
) -> None:
    clock = Clock(NOW)
    poller = poller_for(store, fake, clock)
    poller.poll("apim")
    fake.add(APIM, apim_row(NOW - timedelta(hours=2), "very-late"))
    clock.at = NOW + timedelta(minutes=5)
    poller.poll("apim")
    assert calls(store) == []
    report = list(poller.backfill("apim", timedelta(days=1)))[-1]
    assert [row[0] for row in calls(store)] == ["apim:very-late"]
    assert report.watermark == NOW + timedelta(minutes=5)  # never moved back


def test_overlap_reread_takes_the_newer_values_of_a_call(
    store: Store, fake: FakeLogAnalytics
) -> None:
    clock = Clock(NOW)
    fake.add(APIM, apim_row(NOW - timedelta(minutes=5), "c1", completion=10))
    poller = poller_for(store, fake, clock)
    poller.poll("apim")
    # The gateway logged the usage late: the re-read says more tokens.
    fake.rows[APIM][0]["CompletionTokens"] = 164
    clock.at = NOW + timedelta(minutes=5)
    poller.poll("apim")
    assert [(row[0], row[3]) for row in calls(store)] == [("apim:c1", 164)]


def test_partial_result_is_stored_and_its_slice_read_again(
    store: Store, fake: FakeLogAnalytics
) -> None:
    clock = Clock(NOW)
    fake.add(APIM, apim_row(NOW - timedelta(minutes=50), "c1"))
    fake.add(APIM, apim_row(NOW - timedelta(minutes=5), "c2"))
    fake.partial_next = 1
    report = poller_for(store, fake, clock).poll("apim")
    assert report.partial_results == 1 and report.error is None
    # The partial slice was halved and both halves read whole.
    assert len(fake.queries_for(APIM)) == 3
    assert report.watermark == NOW
    assert len(calls(store)) == 2
    outcomes = (
        store.cursor().execute("SELECT outcome FROM source_pulls ORDER BY pulled_at").fetchall()
    )
    assert [o[0] for o in outcomes] == ["partial", "ok", "ok"]


def test_a_slice_partial_every_time_keeps_its_rows_but_not_the_watermark(
    store: Store, fake: FakeLogAnalytics
) -> None:
    clock = Clock(NOW)
    fake.add(APIM, apim_row(NOW - timedelta(minutes=2), "c1"))
    fake.partial_next = 100
    poller = poller_for(store, fake, clock, first_pull=timedelta(minutes=5))
    report = poller.poll("apim")
    assert report.error is not None and "500000" in report.error
    assert report.watermark is None
    assert len(calls(store)) == 1  # what came is stored (upserts make the re-read safe)
    (error,) = store.cursor().execute("SELECT last_error FROM source_state").fetchall()[0]
    assert "E_QUERY_RESULT_SET_TOO_LARGE" in error


def test_throttled_query_is_retried_after_retry_after(store: Store, fake: FakeLogAnalytics) -> None:
    fake.add(APIM, apim_row(NOW - timedelta(minutes=5), "c1"))
    fake.fail_next(429, retry_after=1)
    poller = poller_for(store, fake, Clock(NOW), retry_total=2)
    began = time.monotonic()
    report = poller.poll("apim")
    assert time.monotonic() - began >= 1.0  # Retry-After honoured
    assert (report.error, report.rows_read, len(fake.queries_for(APIM))) == (None, 1, 2)


def test_throttling_that_outlasts_the_retries_is_recorded_and_the_watermark_stays(
    store: Store, fake: FakeLogAnalytics
) -> None:
    fake.fail_next(429, retry_after=0, times=3)
    report = poller_for(store, fake, Clock(NOW), retry_total=1).poll("apim")
    assert report.watermark is None
    assert report.error == "Log Analytics kept throttling (429) after retries"


def test_failed_credential_is_shown_with_what_to_do(store: Store, fake: FakeLogAnalytics) -> None:
    report = poller_for(store, fake, Clock(NOW), credential=FailingCredential()).poll("apim")
    assert report.error is not None and "refresh token has expired" in report.error
    assert report.hint is not None and "az login" in report.hint
    assert fake.requests == []  # nothing was sent without a token
    ((mark, error, hint),) = (
        store.cursor()
        .execute("SELECT watermark, last_error, last_error_hint FROM source_state")
        .fetchall()
    )
    assert (mark, error, hint) == (None, report.error, report.hint)


def test_a_token_the_workspace_refuses_says_which_role_to_grant(
    store: Store, fake: FakeLogAnalytics
) -> None:
    report = poller_for(store, fake, Clock(NOW), credential=TokenCredential("stale")).poll("apim")
    assert report.error is not None and report.error.startswith("Log Analytics answered 401")
    assert report.hint is not None and "Log Analytics Reader" in report.hint


def test_a_wrong_workspace_says_to_use_its_id(store: Store, fake: FakeLogAnalytics) -> None:
    report = poller_for(store, fake, Clock(NOW), workspace_id="my-workspace").poll("apim")
    assert report.error is not None and "my-workspace was not found" in report.error
    assert report.hint is not None and "GUID" in report.hint


def test_a_table_the_workspace_lacks_is_a_query_error_naming_it(
    store: Store, fake: FakeLogAnalytics
) -> None:
    fake.missing.add("AzureDiagnostics")
    report = poller_for(store, fake, Clock(NOW)).poll("azure_diagnostics")
    assert report.error is not None
    assert "Failed to resolve table or column expression named 'AzureDiagnostics'" in report.error
    assert report.hint is not None and "diagnostic setting" in report.hint


def test_no_content_is_an_empty_pull_that_moves_the_watermark(
    store: Store, fake: FakeLogAnalytics
) -> None:
    fake.no_content = True
    report = poller_for(store, fake, Clock(NOW)).poll("apim")
    assert (report.error, report.rows_read, report.watermark) == (None, 0, NOW)


def test_apim_subscription_resolves_the_tenant(
    store: Store, fake: FakeLogAnalytics, tmp_path: Path
) -> None:
    (tmp_path / "tenants.toml").write_text(
        '[[tenant]]\nid = "contoso"\nname = "Contoso"\n'
        '[[rule]]\nkind = "apim_subscription"\nmatch = "sub-contoso"\ntenant = "contoso"\n'
    )
    write_tenants(store, read_tenants_file(tmp_path / "tenants.toml"))
    fake.add(APIM, apim_row(NOW - timedelta(minutes=5), "c1", subscription="sub-contoso"))
    fake.add(APIM, apim_row(NOW - timedelta(minutes=4), "c2", subscription="sub-other"))
    poller_for(store, fake, Clock(NOW)).poll("apim")
    rows = (
        store.cursor()
        .execute("SELECT call_id, tenant_id, resolved_by FROM call_tenants ORDER BY call_id")
        .fetchall()
    )
    assert rows == [
        ("apim:c1", "contoso", "apim_subscription"),
        ("apim:c2", "unassigned", "none"),
    ]


def span_at(moment: datetime) -> Span:
    """Our client's span of a streamed call made at ``moment`` (the gateway logs the same
    call at the same time)."""
    start = int(moment.timestamp() * 1e9)
    return make_span(f.OURS_STREAMED_CHAT, start=start, end=start + 1_234_500_000)


def test_call_seen_by_otlp_then_apim_is_one_call_with_both_fields(
    store: Store, fake: FakeLogAnalytics
) -> None:
    span = span_at(NOW)  # azure.openai.request_id = 3f1c2a9e-...
    batch = normalized_tables(make_request(span))
    store.write_many([batch])
    first = call_rows(batch.calls)[0]
    request_id = first.request_id
    assert request_id is not None
    fake.add(APIM, apim_row(NOW, "corr-1", backend_request_id=request_id, prompt=1566))
    report = poller_for(store, fake, Clock(NOW + timedelta(minutes=1))).poll("apim")
    assert report.rows_read == 1
    ((call_id, source, tokens, _, subscription, rid, seen),) = calls(store)
    assert (call_id, source, tokens) == (first.call_id, "otlp", 1566)
    assert (subscription, rid, seen) == ("sub-contoso", request_id, ["loganalytics:apim"])
    verdicts = store.cursor().execute("SELECT count(*) FROM filter_results").fetchall()[0][0]
    assert verdicts == batch.verdicts.num_rows  # the OTLP verdicts stay with the call
    # Polling again (the overlap) and re-sending the span change nothing.
    poller_for(store, fake, Clock(NOW + timedelta(minutes=2))).poll("apim")
    store.write_many([batch])
    assert len(calls(store)) == 1


def test_call_seen_by_apim_then_otlp_keeps_the_verdicts_and_the_trace(
    store: Store, fake: FakeLogAnalytics
) -> None:
    span = span_at(NOW)
    batch = normalized_tables(make_request(span))
    first = call_rows(batch.calls)[0]
    request_id = first.request_id
    fake.add(APIM, apim_row(NOW, "corr-1", backend_request_id=request_id, prompt=1566))
    poller_for(store, fake, Clock(NOW + timedelta(minutes=1))).poll("apim")
    (result,) = store.write_many([batch])
    assert (result.calls_inserted, result.calls_merged) == (0, 1)
    ((call_id, source, *_rest, seen),) = calls(store)
    assert (call_id, source, seen) == ("apim:corr-1", "loganalytics:apim", ["otlp"])
    trace, verdict_ids = (
        store.cursor()
        .execute(
            "SELECT (SELECT trace_id FROM calls), "
            "(SELECT list(DISTINCT call_id) FROM filter_results)"
        )
        .fetchall()[0]
    )
    assert trace == first.trace_id
    assert verdict_ids == ["apim:corr-1"]


def test_every_source_lands_in_its_table(store: Store, fake: FakeLogAnalytics) -> None:
    at = NOW - timedelta(minutes=5)
    fake.add("AppDependencies", app_insights_row(at, "a" * 32, "b" * 16))
    fake.add("AzureDiagnostics", diagnostics_row(at, "diag-1"))
    fake.add("AzureMetrics", metrics_row(at, "ProcessedPromptTokens", 1000.0))
    poller = poller_for(store, fake, Clock(NOW))
    reports = {r.source: r for r in poller.poll_all()}
    assert {name: r.error for name, r in reports.items()} == dict.fromkeys(reports)
    rows = {row[0]: row for row in calls(store)}
    assert rows["a" * 32 + "b" * 16][1:4] == ("loganalytics:app_insights", 812, 164)
    assert rows["diag:diag-1"][5] == "diag-1"
    metrics = store.cursor().execute("SELECT resource, metric, total FROM resource_metrics")
    assert metrics.fetchall() == [("aoai-prod", "ProcessedPromptTokens", 1000.0)]


def test_rollup_mode_stores_hourly_aggregates_that_costs_use_where_no_call_exists(
    store: Store, fake: FakeLogAnalytics
) -> None:
    from collectors.prices.book import load_reference_data

    load_reference_data(store)
    hour = NOW - timedelta(hours=3)
    rollup = {
        "Hour": hour, "DeploymentName": "gpt-4o-prod", "ModelName": "gpt-4o-2024-11-20",
        "ApimSubscriptionId": "sub-contoso", "Status": "ok", "Requests": 10,
        "PromptTokens": 1_000_000, "CompletionTokens": 0,
    }  # fmt: skip
    fake.add("rollup", rollup, {**rollup, "Hour": hour + timedelta(hours=1)})
    clock = Clock(NOW)
    poller = poller_for(store, fake, clock, mode="rollup", first_pull=timedelta(hours=6))
    assert poller.poll("apim").rows_read == 2
    assert "bin_size = totimespan(36000000000tick)" in fake.queries_for("rollup")[0]["query"]
    clock.at = NOW + timedelta(minutes=5)
    poller.poll("apim")  # the overlap replaces its hours: still two rollup rows
    assert store.cursor().execute("SELECT count(*) FROM usage_rollups").fetchall() == [(2,)]
    # A call in the second hour: that hour is costed from calls, the first from its rollup.
    fake.add(APIM, apim_row(hour + timedelta(hours=1, minutes=5), "c1", prompt=1000, completion=0))
    poller_for(store, fake, clock).pull("apim", NOW - timedelta(hours=6), NOW)
    costs = (
        store.cursor()
        .execute(
            "SELECT sum(requests), sum(input_tokens) FROM costed_usage($a, $b, false)",
            {"a": NOW - timedelta(days=1), "b": NOW + timedelta(days=1)},
        )
        .fetchall()
    )
    assert costs == [(11, 1_001_000)]
