"""The hourly latency sketch (041_latency_sketch): an hour's calls counted into it once the
hour is sealed (058_latency_open_hours, decision 0042), an open hour's read from its calls;
its percentiles within 1 % of DuckDB's exact ones on a real DuckDB file, whichever hours
are open."""

from __future__ import annotations

import math
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

import collectors.store
from collectors.otlp.flatten import flatten_request
from collectors.otlp.synthetic import export_requests
from collectors.queue import IngestQueue
from collectors.rows import CallRow, calls_table
from collectors.store import Batch, BatchDataError, Store
from collectors.tenants import default_tenants, write_tenants
from queries import audits, deployments, run
from queries.scope import Scope
from tests.normalizing import hand_built_verdicts, rows_batch

END = datetime(2026, 11, 20, 6, 30, tzinfo=UTC)  # the last calls: 06:00 to 06:59
FIRST_HOUR = datetime(2026, 10, 31, 6, tzinfo=UTC)  # the first calls' hour, 20 days before
LONG = Scope(END - timedelta(days=30), END)  # past SKETCHES_PAST: read from the sketch
CALLS = 6_000
REL = 0.01 + 1e-9  # the sketch's bound, with room for floating point at a bucket's edge


def skewed_call(i: int) -> CallRow:
    """Call ``i`` of CALLS: durations 150 ms to 5 s with a long right tail (150 ms
    x exp(3.5 u^3)), time to first token on three calls in five, over 20 days of hours,
    two deployments, three tenants."""
    u = (i * 7919 % CALLS) / CALLS  # a permutation, so slow calls are spread over the hours
    streamed = i % 5 < 3
    return CallRow(
        call_id=f"sk-{i:05d}",
        source="test",
        trace_id=None,
        span_id=None,
        start_time=END - timedelta(minutes=i * 20 * 24 * 60 // CALLS),
        duration_ms=150 * math.exp(3.5 * u**3),
        ttft_ms=40 + 400 * u**2 if streamed else None,
        operation="chat",
        endpoint=None,
        region=None,
        deployment="chat-prod" if i % 3 else "chat-mini",
        deployment_source="attribute",
        model="gpt-4o-2024-11-20" if i % 3 else "gpt-4o-mini-2024-07-18",
        request_model=None,
        provider=None,
        api_version=None,
        deployment_type="GlobalStandard",
        tenant_id=("contoso", "fabrikam", "adatum")[i % 7 % 3],
        end_user=None,
        service="chat-api",
        status="ok",
        http_status=200,
        error_type=None,
        input_tokens=100,
        cached_input_tokens=0,
        output_tokens=50 + i * 31 % 500,
        reasoning_tokens=0,
        finish_reason="stop",
        filter_action="none",
        response_id=None,
    )


# Which hours of a filled store are sealed: none (every hour read from its calls), those
# before 2026-11-10 13:00 (whole days from the sketch, a day half from its sealed hours and
# half from its calls, the rest from the calls), or all of them.
SEALED_BEFORE = {
    "open": datetime(2026, 10, 1, tzinfo=UTC),
    "half": datetime(2026, 11, 10, 13, tzinfo=UTC),
    "sealed": None,
}


def filled_store(path: Path, sealed: str | None = "sealed") -> Store:
    """CALLS skewed calls in commits as the ingest queue makes them, then the hours
    ``sealed`` says sealed (None: no seal at all)."""
    store = Store(path)
    write_tenants(store, default_tenants())
    calls = [skewed_call(i) for i in range(CALLS)]
    for start in range(0, CALLS, 500):
        store.write_many([rows_batch(calls[start : start + 500])])
    if sealed is not None:
        store.seal_latency_hours(before=SEALED_BEFORE[sealed])
    return store


EXACT = """
SELECT
    quantile_cont(duration_ms, [0.5, 0.95, 0.99]),
    quantile_disc(duration_ms, [0.5, 0.95, 0.99]),
    quantile_cont(ttft_ms, [0.5, 0.95, 0.99]),
    quantile_disc(ttft_ms, [0.5, 0.95, 0.99])
FROM calls
WHERE deployment = $deployment AND start_time >= $start AND start_time < $end
"""


def exact(cur: duckdb.DuckDBPyConnection, kind: str, column: str, deployment: str) -> list[float]:
    """DuckDB's own quantile_cont or quantile_disc of a column, for p50, p95 and p99."""
    ((cont, disc, ttft_cont, ttft_disc),) = cur.execute(
        EXACT, {"deployment": deployment, "start": LONG.start, "end": LONG.end}
    ).fetchall()
    chosen = {
        ("quantile_cont", "duration_ms"): cont,
        ("quantile_disc", "duration_ms"): disc,
        ("quantile_cont", "ttft_ms"): ttft_cont,
        ("quantile_disc", "ttft_ms"): ttft_disc,
    }[kind, column]
    return [float(v) for v in chosen]


@pytest.mark.parametrize("sealed", ["open", "half", "sealed"])
@pytest.mark.parametrize("kind", ["quantile_cont", "quantile_disc"])
def test_sketch_percentiles_are_within_one_percent_of_exact(
    tmp_path: Path, kind: str, sealed: str
) -> None:
    store = filled_store(tmp_path / "lens.duckdb", sealed)
    cur = store.cursor()
    assert deployments.reads_sketches(LONG)
    stats = deployments.deployment_stats(cur, LONG).set_index("deployment")
    for deployment in ("chat-prod", "chat-mini"):
        got = stats.loc[deployment]
        p50, p95, p99 = exact(cur, kind, "duration_ms", deployment)
        assert got["p50_ms"] == pytest.approx(p50, rel=REL)
        assert got["p95_ms"] == pytest.approx(p95, rel=REL)
        assert got["p99_ms"] == pytest.approx(p99, rel=REL)
        ttft50, ttft95, _ = exact(cur, kind, "ttft_ms", deployment)
        assert got["ttft_p50_ms"] == pytest.approx(ttft50, rel=REL)
        assert got["ttft_p95_ms"] == pytest.approx(ttft95, rel=REL)
    store.close()


@pytest.mark.parametrize("sealed", ["open", "half", "sealed"])
def test_long_range_reports_match_the_exact_ones(tmp_path: Path, sealed: str) -> None:
    """Every column of the Deployments page's reports, sketch against calls: counts, rates
    and peaks equal; percentiles and output speed within 1 %; also for one tenant, and over
    60 days (whole days from latency_daily); whichever hours are sealed."""
    store = filled_store(tmp_path / "lens.duckdb", sealed)
    cur = store.cursor()
    sixty_days = replace(LONG, start=END - timedelta(days=60))
    for scope in (LONG, replace(LONG, tenants=("fabrikam",)), sixty_days):
        params = scope.params()
        sketched = deployments.deployment_stats(cur, scope)
        truth = run(cur, "deployment_stats", **params)
        assert list(sketched.columns) == list(truth.columns)
        assert list(sketched["deployment"]) == list(truth["deployment"])
        for column in ("calls", "throttled_rate", "error_rate", "peak_tpm", "deployment_type"):
            assert list(sketched[column]) == list(truth[column]), column
        for column in ("p50_ms", "p95_ms", "p99_ms", "ttft_p50_ms", "output_tokens_per_s"):
            for got, want in zip(sketched[column], truth[column], strict=True):
                assert got == pytest.approx(want, rel=REL), column
        for width in (timedelta(days=1), timedelta(hours=6)):  # whole days, whole hours
            over_time = deployments.latency_over_time(cur, scope, width)
            exact_over_time = run(cur, "latency_over_time", bucket=width, **params)
            assert list(over_time["bucket"]) == list(exact_over_time["bucket"])
            assert list(over_time["calls"]) == list(exact_over_time["calls"])
            for column in ("p50_ms", "p95_ms"):
                for got, want in zip(over_time[column], exact_over_time[column], strict=True):
                    assert got == pytest.approx(want, rel=REL), column
        histogram = deployments.latency_histogram(cur, scope, 1000.0, 4000.0)
        exact_histogram = run(cur, "latency_histogram", bin_ms=1000.0, max_ms=4000.0, **params)
        assert histogram["calls"].sum() == truth["calls"].sum()
        assert (
            histogram.groupby("family")["calls"].sum().to_dict()
            == exact_histogram.groupby("family")["calls"].sum().to_dict()
        )
    store.close()


def timed_call(name: str, start: datetime, duration_ms: float, ttft_ms: float | None = None,
               output_tokens: int = 0) -> CallRow:  # fmt: skip
    return replace(
        skewed_call(0),
        call_id=name,
        start_time=start,
        duration_ms=duration_ms,
        ttft_ms=ttft_ms,
        output_tokens=output_tokens,
    )


@pytest.mark.parametrize("sealed", ["open", "half", "sealed"])
def test_long_range_reports_count_the_edges_hours_and_days_by_hand(
    tmp_path: Path, sealed: str
) -> None:
    """The sketch reports over a long range: the partial hours at either edge from the
    calls, the whole hours around the whole days from latency_hourly, whole days from
    latency_daily; calls outside [start, end) left out. Buckets by hand:
    ceil(ln x / ln(1.01 / 0.99)) = 346 for 1,000 ms (345.38), 381 for 2,000 ms (380.03), 265
    for a 200 ms TTFT (264.91), 231 for 100 tokens/s (230.25: 80 output tokens over
    1,000 - 200 ms)."""
    scope = Scope(END - timedelta(days=20), END)  # 2026-10-31 06:30 to 2026-11-20 06:30
    at = datetime(2026, 10, 31, 6, 40, tzinfo=UTC)
    calls = [
        timed_call("before", datetime(2026, 10, 31, 6, 20, tzinfo=UTC), 1000),  # left out
        timed_call("first-edge", at, 1000),  # the partial first hour: from the calls
        timed_call("last-hour", datetime(2026, 10, 31, 23, 59, 59, tzinfo=UTC), 1000),
        timed_call("whole-day", datetime(2026, 11, 1, tzinfo=UTC), 1000, 200, 80),
        # A whole day that "half" seals up to 13:00: one hour sealed, one open.
        timed_call("sealed-hour", datetime(2026, 11, 10, 12, 30, tzinfo=UTC), 1000),
        timed_call("open-hour", datetime(2026, 11, 10, 13, 30, tzinfo=UTC), 1000),
        timed_call("hour-after", datetime(2026, 11, 20, 5, 30, tzinfo=UTC), 1000),
        timed_call("last-edge", datetime(2026, 11, 20, 6, 10, tzinfo=UTC), 2000),
        timed_call("at-end", END, 1000),  # left out
    ]
    store = Store(tmp_path / "lens.duckdb")
    store.write_many([rows_batch(calls)])
    store.seal_latency_hours(before=SEALED_BEFORE[sealed])
    cur = store.cursor()
    assert deployments.reads_sketches(scope)
    # Seven durations (six of 1,000 ms, one of 2,000), one TTFT, one speed.
    stats = deployments.deployment_stats(cur, scope)
    assert list(stats["calls"]) == [7]
    assert stats["p50_ms"].iloc[0] == pytest.approx(1000, rel=REL)
    assert stats["ttft_p50_ms"].iloc[0] == pytest.approx(200, rel=REL)
    assert stats["output_tokens_per_s"].iloc[0] == pytest.approx(100, rel=REL)
    histogram = deployments.latency_histogram(cur, scope, 1000.0, 4000.0)
    # Bucket 346's value 2 g^346 / (g + 1) = 1,002.43 ms, bucket 381's 2,018.69 ms.
    assert list(zip(histogram["family"], histogram["bin_ms"], histogram["calls"], strict=True)) == [
        ("global", 1000.0, 6),
        ("global", 2000.0, 1),
    ]
    days = deployments.latency_over_time(cur, scope, timedelta(days=1))
    assert [
        (b.date().isoformat(), n) for b, n in zip(days["bucket"], days["calls"], strict=True)
    ] == [
        ("2026-10-31", 2),
        ("2026-11-01", 1),
        ("2026-11-10", 2),
        ("2026-11-20", 2),
    ]
    store.close()


def sketched(store: Store) -> tuple[int, int, int]:
    ((durations, ttfts, speeds),) = (
        store.cursor()
        .execute(
            "SELECT coalesce(sum(duration_calls), 0), coalesce(sum(ttft_calls), 0), "
            "coalesce(sum(speed_calls), 0) FROM latency_hourly"
        )
        .fetchall()
    )
    return int(durations), int(ttfts), int(speeds)


def open_hours(store: Store) -> list[datetime]:
    return [hour for (hour,) in store.cursor().execute(
        "SELECT hour FROM latency_open_hours ORDER BY hour").fetchall()]  # fmt: skip


def test_commits_open_their_hours_and_a_seal_counts_them(tmp_path: Path) -> None:
    """A commit counts nothing into the sketch: it names its calls' hours open. Sealing
    counts every call of the hours before the current one, and leaves that one open."""
    store = filled_store(tmp_path / "lens.duckdb", "open")
    hours = open_hours(store)
    # Every hour from 2026-10-31 06:00 to 2026-11-20 06:00: 20 days of hours, both ends.
    assert (len(hours), hours[0], hours[-1]) == (481, FIRST_HOUR, END.replace(minute=0))
    assert sketched(store) == (0, 0, 0)
    now = datetime.now(UTC)
    store.write_many([rows_batch([replace(skewed_call(0), call_id="now", start_time=now)])])
    assert store.seal_latency_hours() == hours
    assert open_hours(store) == [now.replace(minute=0, second=0, microsecond=0)]
    assert sketched(store) == (CALLS, CALLS * 3 // 5, CALLS)  # not the current hour's call
    assert audits.latency_hourly_drift(store.cursor()).empty
    daily = "SELECT sum(duration_calls) FROM latency_daily"
    assert store.cursor().execute(daily).fetchall() == [(CALLS,)]
    store.close()


def test_open_hours_outlive_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "lens.duckdb"
    store = Store(path)
    store.write_many([rows_batch([skewed_call(i) for i in range(200)])])
    hours = open_hours(store)
    store.close()
    reopened = Store(path)  # in step: the open hours are not counted, nothing is rebuilt
    assert open_hours(reopened) == hours and sketched(reopened) == (0, 0, 0)
    assert reopened.seal_latency_hours() == hours
    assert sketched(reopened)[0] == 200
    reopened.close()


def test_sealing_is_due_every_ten_minutes_a_week_of_hours_at_most(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = filled_store(tmp_path / "lens.duckdb", None)
    hours = open_hours(store)
    assert store.seal_if_due() == []  # the store has just opened: not due yet
    monkeypatch.setattr(collectors.store, "SEAL_LATENCY_EVERY_S", 0.0)
    assert store.seal_if_due() == hours[:168]  # the oldest first
    assert store.seal_if_due() == hours[168:336]
    assert open_hours(store) == hours[336:]
    store.close()


def test_the_writers_seal_the_hours_due_after_their_commit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The Log Analytics path (``Store.write``) and the ingest queue's writer each seal the
    hours that are over once a seal is due, after the commit."""
    monkeypatch.setattr(collectors.store, "SEAL_LATENCY_EVERY_S", 0.0)
    store = Store(tmp_path / "lens.duckdb")
    store.write(calls_table([skewed_call(i) for i in range(200)]), source="test")
    assert open_hours(store) == [] and sketched(store)[0] == 200
    end = datetime.now(UTC) - timedelta(days=2)
    (request,) = export_requests(end - timedelta(hours=3), end, 50, batch_size=50)
    queue = IngestQueue(store)
    assert (
        queue.submit(flatten_request(request), source="otlp").result(10).write.calls_inserted == 50
    )
    deadline = time.monotonic() + 10
    while open_hours(store) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert open_hours(store) == [] and sketched(store)[0] == 250
    queue.close()
    store.close()


def test_a_write_that_fails_opens_no_hour(tmp_path: Path) -> None:
    """A write refused after it named its hours (a verdict DuckDB refuses) names none: the
    table and the store's list are as before, and the next write names the hour."""
    store = Store(tmp_path / "lens.duckdb")
    call = calls_table([skewed_call(0)])
    verdicts = hand_built_verdicts(skewed_call(0).call_id, 1)
    refused = verdicts.set_column(verdicts.schema.get_field_index("category"), "category",
                                  pa.nulls(verdicts.num_rows, pa.string()))  # fmt: skip
    with pytest.raises(BatchDataError):
        store.write_many([Batch(call, refused, "test")])
    assert open_hours(store) == [] and store.seal_latency_hours() == []
    store.write_many([Batch(call, verdicts, "test")])
    assert open_hours(store) == [skewed_call(0).start_time.replace(minute=0)]
    store.close()


def test_resent_batch_is_not_counted_twice(tmp_path: Path) -> None:
    store = Store(tmp_path / "lens.duckdb")
    batch = rows_batch([skewed_call(i) for i in range(200)])
    store.write_many([batch, batch])  # twice in one group
    store.write_many([batch])  # and again later
    store.seal_latency_hours()
    store.write_many([batch])  # and once its hours are sealed
    assert sketched(store)[0] == 200
    assert open_hours(store) == []
    assert audits.latency_hourly_drift(store.cursor()).empty
    store.close()


@pytest.mark.parametrize("sealed", [False, True])
def test_a_call_read_again_moves_to_its_new_bucket(tmp_path: Path, sealed: bool) -> None:
    store = Store(tmp_path / "lens.duckdb")
    call = skewed_call(0)
    store.write_many([rows_batch([call])])
    if sealed:  # the day counted again from its calls at the merge
        store.seal_latency_hours()
    store.write_many([rows_batch([replace(call, duration_ms=9_000.0)])])  # a re-read knows more
    store.seal_latency_hours()
    ((value, calls),) = (
        store.cursor()
        .execute(
            "SELECT bucket_value(bucket), duration_calls FROM latency_hourly "
            "WHERE duration_calls > 0"
        )
        .fetchall()
    )
    assert (value, calls) == (pytest.approx(9_000.0, rel=REL), 1)
    store.close()


def test_a_late_call_opens_its_sealed_hour_again(tmp_path: Path) -> None:
    """A call of a sealed hour opens it again: the hour is read from its calls (the late one
    included) until it is sealed again, then counted once, one row per bucket."""
    store = Store(tmp_path / "lens.duckdb")
    twins = [replace(skewed_call(0), call_id=f"twin-{i}") for i in range(3)]
    store.write_many([rows_batch(twins[:2])])
    store.seal_latency_hours()
    store.write_many([rows_batch(twins[2:])])
    hour = skewed_call(0).start_time.replace(minute=0)
    assert open_hours(store) == [hour]
    scope = Scope(hour - timedelta(days=20), hour + timedelta(days=1))
    assert deployments.reads_sketches(scope)
    assert list(deployments.deployment_stats(store.cursor(), scope)["calls"]) == [3]
    store.seal_latency_hours()
    count = "SELECT count(*), sum(duration_calls) FROM latency_hourly WHERE duration_calls > 0"
    assert store.cursor().execute(count + " AND hour = $hour", {"hour": hour}).fetchall() == [
        (1, 3)
    ]
    assert list(deployments.deployment_stats(store.cursor(), scope)["calls"]) == [3]
    store.close()


def test_migration_fills_the_sketch_as_the_writes_do(tmp_path: Path) -> None:
    path = tmp_path / "lens.duckdb"
    filled_store(path).close()
    with duckdb.connect(str(path)) as con:  # as a ledger from before the sketch
        con.execute("DROP TABLE latency_hourly")
        con.execute("DROP TABLE latency_daily")
        con.execute("DELETE FROM schema_migrations WHERE version = '041_latency_sketch'")
    store = Store(path)
    cur = store.cursor()
    differences = (
        "(SELECT * FROM hourly_latency_of('calls') EXCEPT ALL SELECT * FROM latency_hourly) "
        "UNION ALL "
        "(SELECT * FROM latency_hourly EXCEPT ALL SELECT * FROM hourly_latency_of('calls'))"
    )
    assert cur.execute(differences).fetchall() == []
    daily_differences = (
        "(SELECT * FROM daily_latency_of('calls') EXCEPT ALL SELECT * FROM latency_daily) "
        "UNION ALL "
        "(SELECT * FROM latency_daily EXCEPT ALL SELECT * FROM daily_latency_of('calls'))"
    )
    assert cur.execute(daily_differences).fetchall() == []
    store.close()
