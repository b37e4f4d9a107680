"""The synthetic traffic of the demo and the benches, normalised as the receiver would:
it has a working week's rhythm, a latency per deployment, throttling that follows load,
a verdict on every filtered call and none on embeddings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import pyarrow as pa
import pytest

from collectors.otlp.synthetic import export_requests, hour_weight
from tests.normalizing import normalized_tables

# Monday 2 November 2026 to Monday 16 November: two whole weeks.
START = datetime(2026, 11, 2, tzinfo=UTC)
END = START + timedelta(days=14)


@pytest.fixture(scope="module")
def demo() -> tuple[pd.DataFrame, pd.DataFrame]:
    batches = [normalized_tables(r) for r in export_requests(START, END, 8_000)]
    calls = pa.concat_tables(b.calls for b in batches).to_pandas()
    verdicts = pa.concat_tables(b.verdicts for b in batches if b.verdicts is not None)
    return calls, verdicts.to_pandas()


def test_every_call_is_there_with_a_working_weeks_rhythm(
    demo: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    calls, _ = demo
    assert len(calls) == 8_000
    starts = calls["start_time"]
    assert starts.min() >= START and starts.max() < END
    when = pd.DataFrame(
        {"day": starts.dt.date, "hour": starts.dt.hour, "weekday": starts.dt.day_of_week < 5}
    )
    weekdays = when[when["weekday"]]
    per_day = weekdays.groupby("day").size().mean()
    office = weekdays[weekdays["hour"].between(9, 16)].groupby("day").size().mean()
    night = weekdays[weekdays["hour"] < 5].groupby("day").size().mean()
    weekend = when[~when["weekday"]].groupby("day").size().mean()
    assert office > 5 * night  # 8 office hours against 5 night hours
    assert weekend < 0.4 * per_day
    assert hour_weight(datetime(2026, 11, 4, 10, tzinfo=UTC)) == 1.0  # Wednesday 10:00


def test_each_deployment_has_its_own_latency_with_a_long_tail(
    demo: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    calls, _ = demo
    ok = calls[calls["status"] == "ok"]
    medians = ok.groupby("deployment")["duration_ms"].median()
    assert medians["embed-small"] < 300 < medians["gpt-4o-mini"] < medians["gpt-4o-prod"]
    assert medians["gpt-4o-ptu"] < medians["gpt-4o-prod"]  # provisioned: no queueing
    p99 = ok.groupby("deployment")["duration_ms"].quantile(0.99)
    assert (p99 > 2 * medians).all()


def test_throttling_follows_the_load_and_the_provisioned_deployment_hits_its_capacity(
    demo: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    calls, _ = demo
    throttled = calls["http_status"] == 429
    busy = calls["start_time"].map(hour_weight) == 1.0
    assert throttled[busy].mean() > 3 * throttled[~busy].mean()
    by_deployment = throttled.groupby(calls["deployment"]).mean()
    assert by_deployment["gpt-4o-ptu"] == by_deployment.max()


def test_every_filtered_call_names_what_filtered_it_and_embeddings_carry_no_verdicts(
    demo: tuple[pd.DataFrame, pd.DataFrame],
) -> None:
    calls, verdicts = demo
    filtered = calls[calls["filter_action"].isin(["blocked_prompt", "filtered_completion"])]
    assert len(filtered) > 20
    with_verdict = set(verdicts[verdicts["filtered"].fillna(False)]["call_id"])
    assert set(filtered["call_id"]) <= with_verdict
    completions = filtered[filtered["filter_action"] == "filtered_completion"]["call_id"]
    targets = verdicts[verdicts["call_id"].isin(completions) & verdicts["filtered"].fillna(False)]
    assert set(targets["target"]) == {"completion"}
    embeddings = set(calls[calls["deployment"] == "embed-small"]["call_id"])
    assert not embeddings & set(verdicts["call_id"])
