"""Azure Monitor metrics with the real MonitorManagementClient against a local fake of the
Metrics REST API, into a real DuckDB file: per-deployment request counts and PTU
utilisation, throttling retried, partial answers stored without moving the watermark."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import duckdb
import pytest

from collectors.loganalytics import state
from collectors.monitor_metrics.client import SOURCE_NAME, MetricsConfig
from collectors.monitor_metrics.poller import MetricsPoller
from collectors.store import Store
from lens_harness.lens_process import LensServer
from lens_harness.log_analytics import TokenCredential
from lens_harness.monitor_metrics import TOKEN, FakeMonitorMetrics, resource_id

NOW = datetime(2026, 11, 20, 12, 30, tzinfo=UTC)
H10, H11 = NOW.replace(hour=10, minute=0), NOW.replace(hour=11, minute=0)
PROD, EU = resource_id("AOAI-PROD"), resource_id("aoai-eu")


@pytest.fixture
def fake() -> Iterator[FakeMonitorMetrics]:
    server = FakeMonitorMetrics().start()
    yield server
    server.stop()


def poller_for(
    store: Store, fake: FakeMonitorMetrics, *resources: str, **config: Any
) -> MetricsPoller:
    settings: dict[str, Any] = {
        "resource_ids": resources or (PROD,),
        "endpoint": fake.endpoint,
        "retry_total": 0,
        "overlap": timedelta(hours=2),
        "first_pull": timedelta(hours=3),
        **config,
    }
    return MetricsPoller(
        store, MetricsConfig(**settings), credential=TokenCredential(TOKEN), now=lambda: NOW
    )


def stored(store: Store) -> list[tuple[Any, ...]]:
    return (
        store.cursor()
        .execute(
            "SELECT resource, deployment, hour, metric, total, average, maximum "
            "FROM deployment_metrics ORDER BY resource, deployment, metric, hour"
        )
        .fetchall()
    )


def test_requests_and_ptu_utilisation_are_stored_per_deployment_and_hour(
    store: Store, fake: FakeMonitorMetrics
) -> None:
    fake.add(PROD, "AzureOpenAIRequests", "gpt-4o-ptu", H10, total=120.0)
    fake.add(PROD, "AzureOpenAIRequests", "gpt-4o-ptu", H11, total=80.0)
    fake.add(PROD, "AzureOpenAIRequests", "gpt-4o-mini", H11, total=7.0)
    fake.add(PROD, "InputTokens", "llama-33-70b", H11, total=5200.0)
    fake.add(
        PROD,
        "AzureOpenAIProvisionedManagedUtilizationV2",
        "gpt-4o-ptu",
        H11,
        average=62.5,
        maximum=97.0,
    )
    report = poller_for(store, fake).poll()
    assert (report.errors, report.rows_stored) == ([], 5)
    assert stored(store) == [
        ("aoai-prod", "gpt-4o-mini", H11, "AzureOpenAIRequests", 7.0, None, None),
        (
            "aoai-prod",
            "gpt-4o-ptu",
            H11,
            "AzureOpenAIProvisionedManagedUtilizationV2",
            None,
            62.5,
            97.0,
        ),
        ("aoai-prod", "gpt-4o-ptu", H10, "AzureOpenAIRequests", 120.0, None, None),
        ("aoai-prod", "gpt-4o-ptu", H11, "AzureOpenAIRequests", 80.0, None, None),
        ("aoai-prod", "llama-33-70b", H11, "InputTokens", 5200.0, None, None),
    ]
    # The documented wire: one GET per resource and aggregation, hourly, split by deployment.
    first = fake.requests[0]
    assert first["path"] == f"{PROD}/providers/Microsoft.Insights/metrics"
    assert first["query"]["interval"] == "PT1H"
    assert first["query"]["$filter"] == "ModelDeploymentName eq '*'"
    assert first["query"]["api-version"] == "2024-02-01"
    assert first["query"]["timespan"] == "2026-11-20T09:00:00.000Z/2026-11-20T12:30:00.000Z"
    assert first["query"]["aggregation"] == "Total"
    assert fake.requests[1]["query"]["metricnames"] == "AzureOpenAIProvisionedManagedUtilizationV2"
    assert fake.requests[1]["query"]["aggregation"] == "Average,Maximum"
    assert state.watermark(store, SOURCE_NAME) == NOW


def test_a_throttled_read_is_retried_after_retry_after_and_stored(
    store: Store, fake: FakeMonitorMetrics
) -> None:
    fake.add(PROD, "AzureOpenAIRequests", "gpt-4o-ptu", H11, total=80.0)
    fake.fail_next(429, retry_after=1)
    began = time.monotonic()
    report = poller_for(store, fake, retry_total=2).poll()
    assert time.monotonic() - began >= 0.9  # Retry-After was honoured
    assert report.errors == []
    assert len(fake.requests) == 3  # the throttled read, its retry, the utilisation read
    assert [row[4] for row in stored(store)] == [80.0]


def test_throttling_beyond_the_retries_keeps_the_watermark_and_says_so(
    store: Store, fake: FakeMonitorMetrics
) -> None:
    fake.add(PROD, "AzureOpenAIRequests", "gpt-4o-ptu", H11, total=80.0)
    fake.fail_next(429, retry_after=0, times=5)
    report = poller_for(store, fake).poll()
    assert report.errors == ["Azure Monitor kept throttling (429) after retries"]
    assert state.watermark(store, SOURCE_NAME) is None
    health = store.cursor().execute(
        "SELECT last_error, last_error_hint FROM source_state WHERE source = ?", [SOURCE_NAME]
    )
    error, hint = health.fetchone() or ("", "")
    assert "429" in error and "LENS_METRICS_POLL_INTERVAL_S" in hint


def test_a_partial_answer_stores_what_came_and_reads_the_hours_again(
    store: Store, fake: FakeMonitorMetrics
) -> None:
    fake.resources.add(EU.lower())  # a second resource that exists
    fake.add(PROD, "AzureOpenAIRequests", "gpt-4o-ptu", H11, total=80.0)
    fake.add(EU, "AzureOpenAIRequests", "gpt-41-eu", H11, total=3.0)
    fake.metric_errors["AzureOpenAIProvisionedManagedUtilizationV2"] = (
        "InternalServerError",
        "The metric could not be read.",
    )
    missing = resource_id("aoai-gone")
    poller = poller_for(store, fake, PROD, missing, EU)
    report = poller.poll()
    # Both resources that answered are stored; the missing one and the failed metric are
    # named, and the watermark stays so the next poll reads the same hours again.
    assert sorted((row[0], row[4]) for row in stored(store)) == [
        ("aoai-eu", 3.0),
        ("aoai-prod", 80.0),
    ]
    assert len(report.errors) == 3
    assert any("aoai-gone" in error for error in report.errors)
    assert report.outcome == "partial"
    assert state.watermark(store, SOURCE_NAME) is None
    fake.metric_errors.clear()
    fake.resources.add(missing.lower())
    fake.add(PROD, "AzureOpenAIRequests", "gpt-4o-ptu", H11, total=95.0)  # filled in later
    again = poller_for(store, fake, PROD, EU).poll()
    assert again.errors == []
    assert sorted((row[0], row[4]) for row in stored(store)) == [
        ("aoai-eu", 3.0),
        ("aoai-prod", 95.0),  # the hour read again replaced its value, never added
    ]
    assert state.watermark(store, SOURCE_NAME) == NOW


def test_the_server_polls_the_metrics_of_the_configured_resources(
    make_server: Callable[..., LensServer], fake: FakeMonitorMetrics
) -> None:
    hour = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=1)
    fake.add(PROD, "AzureOpenAIRequests", "gpt-4o-ptu", hour, total=42.0)
    env = {
        "LENS_METRICS_RESOURCE_IDS": PROD,
        "LENS_METRICS_ENDPOINT": fake.endpoint,
        "LENS_METRICS_ACCESS_TOKEN": TOKEN,
    }
    server = make_server(env=env).start()
    deadline = time.monotonic() + 30
    while len(fake.requests) < 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    server.stop()
    with duckdb.connect(str(server.db_path), read_only=True) as con:
        stored = con.execute("SELECT deployment, hour, metric, total FROM deployment_metrics")
        assert stored.fetchall() == [("gpt-4o-ptu", hour, "AzureOpenAIRequests", 42.0)]
        state_row = con.execute(
            "SELECT last_error FROM source_state WHERE source = 'azure_monitor_metrics'"
        ).fetchall()
    assert state_row == [(None,)]


def test_a_metric_the_resource_does_not_define_is_a_warning_not_a_lost_read(
    store: Store, fake: FakeMonitorMetrics
) -> None:
    # An older account defines no InputTokens / OutputTokens: Azure refuses the whole read.
    fake.undefined |= {"InputTokens", "OutputTokens"}
    fake.add(PROD, "AzureOpenAIRequests", "gpt-4o-ptu", H11, total=80.0)
    fake.add(PROD, "GeneratedTokens", "gpt-4o-ptu", H11, total=900.0)
    report = poller_for(store, fake).poll()
    assert sorted((row[3], row[4]) for row in stored(store)) == [
        ("AzureOpenAIRequests", 80.0),
        ("GeneratedTokens", 900.0),
    ]
    assert report.errors == [] and report.outcome == "degraded"
    assert [w.split("metric: ")[1].split(",")[0] for w in report.warnings] == [
        "InputTokens",
        "OutputTokens",
    ]
    assert state.watermark(store, SOURCE_NAME) == NOW  # nothing to read again
    warning = store.cursor().execute(
        "SELECT outcome, error FROM source_pulls WHERE source = ?", [SOURCE_NAME]
    )
    outcome, error = warning.fetchone() or ("", "")
    assert outcome == "degraded" and "InputTokens" in error
