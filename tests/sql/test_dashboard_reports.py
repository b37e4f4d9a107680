"""Deployments, Content safety and Calls explorer reports on the seeded DuckDB file.

Expected values are computed by hand from tests/fixtures/seed/{calls,filter_results}.csv;
tenants follow the default tenant.id rule (see test_overview_reports.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from queries import calls, deployments, safety
from queries.calls import CallSearch
from queries.scope import Scope
from queries.usage import usage_in_scope
from tests.seeding import resum_usage_summary, seeded_database

LATEST = datetime(2026, 11, 20, 12, 30, tzinfo=UTC)
DAY = Scope(LATEST - timedelta(days=1), LATEST + timedelta(hours=1))


@pytest.fixture
def cur(tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    con = duckdb.connect(str(seeded_database(tmp_path / "seed.duckdb", LATEST, tenants=True)))
    yield con
    con.close()


def test_deployment_stats_by_hand(cur: duckdb.DuckDBPyConnection) -> None:
    stats = deployments.deployment_stats(cur, DAY).set_index("deployment")
    assert list(stats.index) == ["gpt-4o-prod", "embed-small", "gpt-4o-mini", "o4-mini"]
    prod = stats.loc["gpt-4o-prod"]
    assert prod["family"] == "global"
    assert prod["calls"] == 3  # c01, c02, c03
    assert prod["p50_ms"] == pytest.approx(812.5)  # of 95, 812.5, 1500
    assert prod["p95_ms"] == pytest.approx(812.5 + 0.9 * (1500 - 812.5))
    assert prod["ttft_p50_ms"] == pytest.approx(210.0)  # only c01 streamed
    # c01: 200 / (0.8125 - 0.210) s; c02: 400 / 1.5 s; c03 produced nothing.
    assert prod["output_tokens_per_s"] == pytest.approx((200 / 0.6025 + 400 / 1.5) / 2)
    assert prod["throttled_rate"] == pytest.approx(1 / 3)  # c03's 429
    assert prod["error_rate"] == pytest.approx(1 / 3)
    assert prod["peak_tpm"] == 2448  # c02's minute
    assert pd.isna(prod["tpm_quota"]) and pd.isna(prod["peak_quota_pct"])
    assert stats.loc["o4-mini", "family"] == "data zone"
    assert stats.loc["embed-small", "family"] == "standard"
    assert stats.loc["gpt-4o-mini", "deployment_type"] == "GlobalStandard"  # assumed


def test_peak_is_compared_with_the_registered_quota(cur: duckdb.DuckDBPyConnection) -> None:
    cur.execute(
        "INSERT INTO deployments (deployment, deployment_type, tpm_quota) "
        "VALUES ('gpt-4o-prod', 'GlobalStandard', 10000)"
    )
    prod = deployments.deployment_stats(cur, DAY).set_index("deployment").loc["gpt-4o-prod"]
    assert prod["tpm_quota"] == 10000
    assert prod["peak_quota_pct"] == pytest.approx(0.2448)


def test_latency_histogram_bins_and_open_last_bin(cur: duckdb.DuckDBPyConnection) -> None:
    frame = deployments.latency_histogram(cur, DAY, bin_ms=1000.0, max_ms=2000.0)
    got = [(r.family, r.bin_ms, r.calls) for r in frame.itertuples()]
    # c04 took 3,000 ms: it lands in the open-ended 2,000 ms bin.
    assert got == [("data zone", 2000.0, 1), ("global", 0.0, 3), ("global", 1000.0, 1),
                   ("standard", 0.0, 1)]  # fmt: skip


def test_latency_bins_are_round_and_cover_the_slowest_p99() -> None:
    assert deployments.latency_bins(pd.DataFrame({"p99_ms": [812.0, 3000.0]})) == (100.0, 3000.0)
    # p99 11.5 s: 500 ms bins, the last from 11,500 ms (not from 20,000, past every call).
    assert deployments.latency_bins(pd.DataFrame({"p99_ms": [11_480.0]})) == (500.0, 11_500.0)
    assert deployments.latency_bins(pd.DataFrame({"p99_ms": [float("nan")]})) == (1.0, 1.0)


def test_latency_over_time_per_bucket(cur: duckdb.DuckDBPyConnection) -> None:
    frame = deployments.latency_over_time(cur, DAY, timedelta(hours=1))
    first = frame.iloc[0]
    assert (first["bucket"].hour, first["deployment"], first["calls"]) == (10, "gpt-4o-prod", 2)
    assert first["p50_ms"] == pytest.approx((812.5 + 1500) / 2)


def test_latency_over_time_in_buckets_of_hours_and_of_minutes(
    cur: duckdb.DuckDBPyConnection,
) -> None:
    """6-hour buckets from UTC midnight (counted in whole hours), 30-minute ones as
    time_bucket makes them. gpt-4o-prod's 10:05, 10:35 and 11:10 calls (812.5, 1,500 and
    95 ms) share 06:00-12:00: p50 812.5, p95 at rank 0.95 x 2 = 1.9: 812.5 + 0.9 x 687.5."""
    six = deployments.latency_over_time(cur, DAY, timedelta(hours=6))
    got = [
        (b.hour, d, n)
        for b, d, n in zip(six["bucket"], six["deployment"], six["calls"], strict=True)
    ]
    assert got == [
        (6, "gpt-4o-prod", 3),
        (6, "o4-mini", 1),
        (12, "embed-small", 1),
        (12, "gpt-4o-mini", 1),
    ]
    assert six["p95_ms"].iloc[0] == pytest.approx(1431.25)
    half = deployments.latency_over_time(cur, DAY, timedelta(minutes=30))
    prod = half[half["deployment"] == "gpt-4o-prod"]
    assert [(b.hour, b.minute) for b in prod["bucket"]] == [(10, 0), (10, 30), (11, 0)]
    assert list(prod["p50_ms"]) == [812.5, 1500.0, 95.0]


def test_safety_totals_count_incidents_and_their_cost(cur: duckdb.DuckDBPyConnection) -> None:
    got = safety.safety_totals(cur, usage_in_scope(cur, DAY)).iloc[0]
    assert (got["calls"], got["blocked_prompts"], got["filtered_completions"]) == (6, 1, 0)
    assert (got["annotated"], got["incidents"]) == (1, 1)
    assert got["incident_rate"] == pytest.approx(1 / 6)
    assert float(got["incident_cost_usd"]) == pytest.approx(0.0000225, abs=1e-12)  # c06


def test_filtered_completion_counts_as_incident(cur: duckdb.DuckDBPyConnection) -> None:
    cur.execute("UPDATE calls SET filter_action = 'filtered_completion' WHERE call_id = 'c01'")
    resum_usage_summary(cur)
    got = safety.safety_totals(cur, usage_in_scope(cur, DAY)).iloc[0]
    assert (got["filtered_completions"], got["incidents"]) == (1, 2)
    assert float(got["incident_cost_usd"]) == pytest.approx(0.0045 + 0.0000225, abs=1e-12)


def test_heatmap_leaves_out_safe_verdicts(cur: duckdb.DuckDBPyConnection) -> None:
    frame = safety.safety_heatmap(cur, DAY)
    got = [(r.target, r.category, r.severity, r.calls, r.filtered) for r in frame.itertuples()]
    assert got == [
        ("completion", "violence", "low", 1, 0),  # c02, annotated
        ("prompt", "hate", "low", 1, 0),  # c02
        ("prompt", "hate", "medium", 1, 1),  # c06, blocked
        ("prompt", "jailbreak", "detected", 1, 1),  # c06: jailbreak has no severity
    ]


def test_verdicts_by_category_and_intervention_point(cur: duckdb.DuckDBPyConnection) -> None:
    def rows(frame: pd.DataFrame) -> list[tuple[object, ...]]:
        return [(r.category, r.intervention_point, r.calls, r.detected, r.filtered,
                 r.blocked_or_filtered_calls) for r in frame.itertuples()]  # fmt: skip

    assert rows(safety.safety_by_category(cur, DAY)) == [
        ("hate", "user_input", 2, 2, 1, 1),  # c02 low (annotated), c06 medium (blocked)
        ("jailbreak", "user_input", 1, 1, 1, 1),  # c06
        ("violence", "output", 1, 1, 0, 0),  # c02's answer, low
    ]
    cur.execute(
        "INSERT INTO filter_results SELECT 'c02', 'completion', 0, 'task_adherence', NULL, "
        "false, true, start_time, NULL, 'tool_call' FROM calls WHERE call_id = 'c02'"
    )
    assert rows(safety.safety_by_category(cur, DAY, ("task_adherence", "violence"))) == [
        ("task_adherence", "tool_call", 1, 1, 0, 0),
        ("violence", "output", 1, 1, 0, 0),
    ]


def test_incidents_by_end_user(cur: duckdb.DuckDBPyConnection) -> None:
    frame = safety.safety_by_end_user(cur, DAY)
    got = [(r.end_user, r.calls, r.blocked_prompts, r.annotated, r.incidents) for r in
           frame.itertuples()]  # fmt: skip
    # c05 and c06 name no user; u1 and u3 had no verdict at all and are left out.
    assert got == [("(none)", 2, 1, 0, 1), ("u2", 1, 0, 1, 0)]
    assert frame.iloc[0]["incident_rate"] == pytest.approx(0.5)


def test_incident_list_names_filtered_categories(cur: duckdb.DuckDBPyConnection) -> None:
    frame = safety.safety_incidents(cur, DAY, limit=10)
    assert list(frame["call_id"]) == ["c06"]
    assert frame.iloc[0]["categories"] == "prompt:hate, prompt:jailbreak"
    assert frame.iloc[0]["worst_severity"] == "medium"
    assert frame.iloc[0]["tenant_id"] == "unassigned"


def test_incident_list_reads_back_far_enough_for_its_limit(
    cur: duckdb.DuckDBPyConnection,
) -> None:
    # Three more blocked prompts like c06 (12:30): i1 12:05 and i2 12:10 share c06's hourly
    # summary row (same keys), i2 standing for 5 sampled calls; i3 at 11:20 has a row of
    # its own. The summary has 2 incident rows (hours 12 and 11) for 4 incident calls and
    # 8 weighted requests: the list must still reach back to i3 for a limit of 4.
    cur.execute(
        "INSERT INTO calls SELECT c.* REPLACE (v.id AS call_id, md5_number_lower(v.id) AS "
        "call_key, v.t AS start_time, v.w AS sample_weight) FROM calls AS c, (VALUES "
        "('i1', TIMESTAMPTZ '2026-11-20 12:05:00+00', 1.0), "
        "('i2', TIMESTAMPTZ '2026-11-20 12:10:00+00', 5.0), "
        "('i3', TIMESTAMPTZ '2026-11-20 11:20:00+00', 1.0)) AS v(id, t, w) "
        "WHERE c.call_id = 'c06'"
    )
    resum_usage_summary(cur)
    newest = ["c06", "i2", "i1", "i3"]
    for limit in (1, 2, 3, 4, 10):
        assert list(safety.safety_incidents(cur, DAY, limit=limit)["call_id"]) == newest[:limit]
    mini = Scope(DAY.start, DAY.end, deployments=("gpt-4o-mini",))
    assert list(safety.safety_incidents(cur, mini, limit=4)["call_id"]) == newest
    # A range that starts at 12:10 has no whole hour before 13:00: c06 and i2 only.
    late = Scope(datetime(2026, 11, 20, 12, 10, tzinfo=UTC), DAY.end)
    assert list(safety.safety_incidents(cur, late, limit=10)["call_id"]) == ["c06", "i2"]


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        (CallSearch(), ["c06", "c05", "c04", "c03", "c02", "c01"]),
        (CallSearch(id_prefix="C0"), ["c06", "c05", "c04", "c03", "c02", "c01"]),
        (CallSearch(id_prefix="t05"), ["c05"]),  # a trace id
        (CallSearch(id_prefix="r04"), ["c04"]),  # a response id
        (CallSearch(status="error"), ["c06", "c03"]),
        (CallSearch(end_user="u3"), ["c04", "c03"]),
        (CallSearch(finish_reason="stop"), ["c04", "c02", "c01"]),
        (CallSearch(id_prefix="%"), []),  # no pattern characters: '%' is a '%'
    ],
)
def test_calls_search(
    cur: duckdb.DuckDBPyConnection, search: CallSearch, expected: list[str]
) -> None:
    assert list(calls.calls_search(cur, DAY, search, limit=50)["call_id"]) == expected


def test_calls_search_obeys_the_scope_and_limit(cur: duckdb.DuckDBPyConnection) -> None:
    scope = Scope(DAY.start, DAY.end, tenants=("contoso",))
    assert list(calls.calls_search(cur, scope, CallSearch(), limit=50)["call_id"]) == [
        "c02",
        "c01",
    ]
    assert list(calls.calls_search(cur, DAY, CallSearch(), limit=2)["call_id"]) == ["c06", "c05"]


def test_one_call_in_full(cur: duckdb.DuckDBPyConnection) -> None:
    detail = calls.call_detail(cur, "c04")
    assert detail is not None
    assert (detail["resolved_tenant_id"], detail["resolved_by"]) == ("fabrikam", "attribute")
    assert detail["reasoning_tokens"] == 1000
    assert calls.call_detail(cur, "nope") is None
    cost = calls.call_cost(cur, "c04", detail["start_time"]).iloc[0]
    assert float(cost["payg_cost_usd"]) == pytest.approx(0.007865, abs=1e-12)
    assert bool(cost["priced"])
    assert calls.call_cost(cur, "nope", detail["start_time"]).empty
    c06 = calls.call_detail(cur, "c06")
    assert c06 is not None
    verdicts = calls.call_filter_results(cur, "c06", c06["start_time"])
    assert list(verdicts["category"]) == ["hate", "jailbreak", "violence"]


def test_message_content_only_from_content_attributes() -> None:
    attributes = {
        "gen_ai.input.messages": '[{"role": "user", "parts": [{"type": "text", "content": "hi"}]}]',
        "gen_ai.prompt.0.content": "hello",
        "gen_ai.prompt.0.role": "user",
        "gen_ai.request.model": "chat-prod",
        "gen_ai.output.messages": "not json [",
    }
    assert calls.message_content(attributes) == {
        "gen_ai.input.messages": [{"role": "user", "parts": [{"type": "text", "content": "hi"}]}],
        "gen_ai.output.messages": "not json [",
        "gen_ai.prompt.0.content": "hello",
        "gen_ai.prompt.0.role": "user",
    }
    assert calls.message_content('{"gen_ai.request.model": "x"}') == {}
    assert calls.message_content(None) == {}


def test_sampled_calls_count_their_weight_in_the_safety_reports(
    cur: duckdb.DuckDBPyConnection,
) -> None:
    # c06 (blocked) and c02 (annotated) were kept by a source that sampled 1 in 4.
    cur.execute("UPDATE calls SET sample_weight = 4 WHERE call_id IN ('c02', 'c06')")
    resum_usage_summary(cur)
    frame = safety.safety_heatmap(cur, DAY)
    got = [(r.target, r.category, r.severity, r.calls, r.filtered) for r in frame.itertuples()]
    assert got == [
        ("completion", "violence", "low", 4, 0),
        ("prompt", "hate", "low", 4, 0),
        ("prompt", "hate", "medium", 4, 4),
        ("prompt", "jailbreak", "detected", 4, 4),
    ]
    users = safety.safety_by_end_user(cur, DAY)
    assert (int(users["blocked_prompts"].sum()), int(users["annotated"].sum())) == (4, 4)


def test_sampled_calls_count_their_weight_in_the_deployment_stats(
    cur: duckdb.DuckDBPyConnection,
) -> None:
    # c03 (the 429 of gpt-4o-prod) stands for three calls; c02 (2448 tokens) for two.
    cur.execute("UPDATE calls SET sample_weight = 3 WHERE call_id = 'c03'")
    cur.execute("UPDATE calls SET sample_weight = 2 WHERE call_id = 'c02'")
    prod = deployments.deployment_stats(cur, DAY).set_index("deployment").loc["gpt-4o-prod"]
    assert prod["calls"] == 1 + 2 + 3
    assert prod["throttled_rate"] == pytest.approx(3 / 6)
    assert prod["error_rate"] == pytest.approx(3 / 6)
    assert prod["peak_tpm"] == 2 * 2448  # c02's minute, twice
    assert prod["p50_ms"] == pytest.approx(812.5)  # percentiles: over the stored calls


def test_calls_search_reads_back_far_enough_for_its_limit(
    cur: duckdb.DuckDBPyConnection,
) -> None:
    # Two more calls like c06 (12:30) in its hour and its summary row: j1 at 12:40 and j2 at
    # 12:50, j2 standing for 5 sampled calls. Hour 12 has 2 summary rows (c05's, c06's)
    # for 4 calls and 8 weighted requests: a limit of 5 must still reach back to c04.
    cur.execute(
        "INSERT INTO calls SELECT c.* REPLACE (v.id AS call_id, md5_number_lower(v.id) AS "
        "call_key, v.t AS start_time, v.w AS sample_weight) FROM calls AS c, (VALUES "
        "('j1', TIMESTAMPTZ '2026-11-20 12:40:00+00', 1.0), "
        "('j2', TIMESTAMPTZ '2026-11-20 12:50:00+00', 5.0)) AS v(id, t, w) "
        "WHERE c.call_id = 'c06'"
    )
    resum_usage_summary(cur)
    newest = ["j2", "j1", "c06", "c05", "c04", "c03", "c02", "c01"]
    for limit in range(1, 10):
        found = calls.calls_search(cur, DAY, CallSearch(), limit=limit)
        assert list(found["call_id"]) == newest[:limit]
    assert list(calls.calls_search(cur, DAY, CallSearch(status="error"), limit=3)["call_id"]) == [
        "j2",
        "j1",
        "c06",
    ]
