"""Dashboard benchmark: every page's queries and every page's full render, at 1M and 10M calls.

Run with ``make bench`` (or ``python -m bench.dashboard --calls 1000000``). N realistic calls
are generated inside DuckDB into a real file: 90 days up to now, 20 tenants (each through one
service and three of 12 deployments of every type), streaming and non-streaming, throttles
and errors, and content-filter verdicts at realistic rates (0.3 % prompts blocked, 0.4 %
completions filtered, 3 % annotated).

For each page: the query functions it calls, uncached, timed together (median of 5), and the
page's full render in Streamlit's AppTest with the cache cleared (median of 3). The baseline in
the same run prices and resolves tenants call by call (the call_costs and call_tenants views)
for the Overview totals, as a dashboard without price groups would. Before timing a range,
the Deployments page's percentiles from the latency sketch are checked against the exact
ones from the calls (within 1 %), and the Deployments page's queries are also timed reading
every call (the exact reports short ranges use), as before the sketch. The total cost
(pay-as-you-go + provisioned per deployment) is checked against the Overview's two parts,
and the pricing coverage's unpriced calls against a count made call by call (the bench's
`ptu-eu` is provisioned and not registered, so its calls are unpriced); `calls_unpriced` is
the Calls explorer following the coverage's link (`calls?priced=no`). Content safety's heat map
and verdicts by category, read from the verdict summary of sealed hours, are checked against
the same reports read from the calls alone. The current hour is left open in the latency
sketch, as a live lens has it (decision 0042): the pages read its calls for it.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import tempfile
import time
import timeit
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb

from collectors.deployments import Deployment, write_deployments
from collectors.prices.book import load_reference_data
from collectors.store import Store
from collectors.tenants import default_tenants, write_tenants
from queries import calls, costs, deployments, overview, safety
from queries import run as run_query
from queries.calls import CallSearch
from queries.scope import Scope
from queries.usage import usage_in_scope

APP = str(Path(__file__).resolve().parents[1] / "app" / "dashboard" / "entrypoint.py")
DEPLOYMENTS = [  # (name, model, type)
    ("chat-prod", "gpt-4o-2024-11-20", "GlobalStandard"),
    ("chat-mini", "gpt-4o-mini-2024-07-18", "GlobalStandard"),
    ("reason", "o4-mini-2025-04-16", "GlobalStandard"),
    ("gpt41-eu", "gpt-4.1-2025-04-14", "DataZoneStandard"),
    ("gpt41-mini-eu", "gpt-4.1-mini-2025-04-14", "DataZoneStandard"),
    ("chat-eu", "gpt-4o-2024-11-20", "DataZoneStandard"),
    ("embed", "text-embedding-3-small", "Standard"),
    ("embed-large", "text-embedding-3-large", "GlobalStandard"),
    ("batch-nightly", "gpt-4o-mini-2024-07-18", "GlobalBatch"),
    ("ptu-core", "gpt-4o-2024-08-06", "ProvisionedManaged"),
    ("ptu-eu", "gpt-4.1-2025-04-14", "DataZoneProvisionedManaged"),
    ("chat-legacy", "gpt-4o-2024-08-06", "Standard"),
]
SERVICES = ["chat-api", "search", "support-bot", "indexer", "summariser", "agents"]

GENERATE_CALLS = """
INSERT INTO calls BY NAME
WITH base AS (
    SELECT
        i,
        hash(i * 31) % 1000 AS roll,
        hash(i * 13) % 20 AS tenant,
        $end - to_microseconds(CAST(hash(i * 3) % (90 * 86400) AS BIGINT) * 1000000) AS t
    FROM range($n) AS r(i)
),
placed AS (
    -- A tenant works through one service and three of the twelve deployments.
    SELECT *, (tenant * 5 + hash(i * 7) % 3) % 12 AS dep FROM base
)
SELECT
    printf('%032x%016x', i, i) AS call_id,
    md5_number_lower(printf('%032x%016x', i, i)) AS call_key, 'otlp' AS source,
    printf('%032x', i) AS trace_id, printf('%016x', i) AS span_id,
    t AS start_time,
    150 + (hash(i * 11) % 1000) * (1 + (hash(i * 5) % 7)) AS duration_ms,
    CASE WHEN i % 5 < 3 THEN 80 + hash(i * 17) % 600 END AS ttft_ms,
    CASE WHEN d.model LIKE 'text-embedding%' THEN 'embeddings' ELSE 'chat' END AS operation,
    'aoai-' || (dep % 3) || '.openai.azure.com' AS endpoint,
    CASE WHEN dep % 3 = 0 THEN 'Sweden Central' ELSE 'East US 2' END AS region,
    d.name AS deployment, 'attribute' AS deployment_source,
    d.model, d.name AS request_model, 'azure.ai.openai' AS provider,
    '2024-10-21' AS api_version, d.deployment_type,
    'tenant-' || lpad(CAST(tenant AS VARCHAR), 2, '0') AS tenant_id,
    'user-' || hash(i * 19) % 2000 AS end_user,
    s.service,
    CASE WHEN roll < 27 THEN 'error' ELSE 'ok' END AS status,
    CASE WHEN roll < 15 THEN 429 WHEN roll < 20 THEN 500 WHEN roll < 23 THEN 400 ELSE 200 END
        AS http_status,
    CASE WHEN roll < 15 THEN 'openai.RateLimitError'
         WHEN roll < 20 THEN 'openai.InternalServerError'
         WHEN roll < 23 THEN 'openai.BadRequestError' END AS error_type,
    CASE WHEN roll < 20 THEN NULL ELSE 100 + hash(i * 23) % 4000 END AS input_tokens,
    CASE WHEN roll < 20 THEN NULL WHEN i % 4 = 0 THEN 64 ELSE 0 END AS cached_input_tokens,
    CASE WHEN roll < 23 OR d.model LIKE 'text-embedding%' THEN 0
         ELSE 20 + hash(i * 29) % 900 END AS output_tokens,
    CASE WHEN d.model LIKE 'o4%' AND roll >= 23 THEN 10 ELSE 0 END AS reasoning_tokens,
    CASE WHEN roll < 23 THEN NULL WHEN roll < 27 THEN 'content_filter' ELSE 'stop' END
        AS finish_reason,
    CASE WHEN roll BETWEEN 20 AND 22 THEN 'blocked_prompt'
         WHEN roll BETWEEN 23 AND 26 THEN 'filtered_completion'
         WHEN roll BETWEEN 27 AND 56 THEN 'annotated' ELSE 'none' END AS filter_action,
    '{}' AS attributes
FROM placed
JOIN deployments_bench AS d ON d.k = placed.dep
JOIN services_bench AS s ON s.k = placed.tenant % 6
ORDER BY t
"""

GENERATE_VERDICTS = """
INSERT INTO filter_results
    (call_id, target, idx, category, severity, filtered, detected, start_time)
SELECT call_id, 'prompt', 0, 'hate',
       CASE filter_action WHEN 'blocked_prompt' THEN 'medium' ELSE 'low' END,
       filter_action = 'blocked_prompt', NULL, start_time
FROM calls WHERE filter_action IN ('blocked_prompt', 'annotated')
UNION ALL
SELECT call_id, 'prompt', 0, 'jailbreak', NULL, true, true, start_time
FROM calls WHERE filter_action = 'blocked_prompt' AND hash(call_id) % 2 = 0
UNION ALL
SELECT call_id, 'completion', 0, CASE WHEN hash(call_id) % 2 = 0 THEN 'sexual' ELSE 'violence' END,
       'high', true, NULL, start_time
FROM calls WHERE filter_action = 'filtered_completion'
"""


def build(path: Path, n: int) -> None:
    """A DuckDB file with the schema, the shipped prices, default tenants, two PTU
    deployments with quotas, and ``n`` generated calls ending now."""
    register(path)
    build_calls(path, n)


def register(path: Path) -> None:
    """The reference data, tenants and deployments (a lens that started on the file
    without a deployments file has emptied its registry)."""
    store = Store(path)
    load_reference_data(store)
    write_tenants(store, default_tenants())
    write_deployments(
        store,
        (
            Deployment(
                "ptu-core", None, None, "gpt-4o", "ProvisionedManaged", 50, 2, None, 2_500_000
            ),
            Deployment(
                "chat-prod", None, None, "gpt-4o", "GlobalStandard", None, None, None, 450_000
            ),
        ),
    )
    store.close()


def build_calls(path: Path, n: int) -> None:
    con = duckdb.connect(str(path))
    try:
        con.execute(
            "CREATE TEMP TABLE deployments_bench "
            "(k INTEGER, name VARCHAR, model VARCHAR, deployment_type VARCHAR)"
        )
        con.executemany(
            "INSERT INTO deployments_bench VALUES (?, ?, ?, ?)",
            [(k, *row) for k, row in enumerate(DEPLOYMENTS)],
        )
        con.execute("CREATE TEMP TABLE services_bench (k INTEGER, service VARCHAR)")
        con.executemany("INSERT INTO services_bench VALUES (?, ?)", list(enumerate(SERVICES)))
        end = datetime.now(UTC)
        con.execute(GENERATE_CALLS, {"n": n, "end": end})
        con.execute(GENERATE_VERDICTS)
        con.execute("INSERT INTO ingest_log VALUES (now(), 'bench', $n, 0)", {"n": n})
        con.execute("CHECKPOINT")
    finally:
        con.close()
    began = time.perf_counter()
    # Written around the store: opening it sums the hours (usage summary and latency
    # sketch) as its writes would, since neither sums to the calls.
    store = Store(path)
    store.close()
    print(f"  summary and latency sketch summed at open in {time.perf_counter() - began:.1f} s")
    # As a live lens has it, the current hour is open: its calls are counted into the
    # latency sketch once it is over, and the pages read them until then (decision 0042).
    with duckdb.connect(str(path)) as con:
        con.execute("INSERT INTO latency_open_hours VALUES (date_trunc('hour', now()))")


def page_queries(cur: duckdb.DuckDBPyConnection, scope: Scope) -> dict[str, Callable[[], Any]]:
    """Each page's query functions, as the page calls them (filter options included)."""
    bucket = (
        timedelta(hours=6) if scope.end - scope.start <= timedelta(days=31) else timedelta(days=1)
    )

    def overview_page() -> None:
        overview.filter_options(cur, scope.start, scope.end)
        usage = usage_in_scope(cur, scope)
        overview.overview_totals(cur, usage)
        overview.overview_totals(cur, usage_in_scope(cur, scope.previous(scope.end)))
        overview.ptu_cost_in_scope(cur, scope, scope.end)
        overview.ptu_cost_in_scope(cur, scope.previous(scope.end), scope.end)
        overview.spend_over_time(cur, usage, "deployment")
        overview.usage_over_time(cur, usage, bucket, "deployment")
        overview.spend_by_group(cur, usage, "tenant_id")
        overview.spend_by_group(cur, usage, "deployment")
        costs.pricing_coverage(cur, usage)
        costs.unregistered_provisioned(cur, usage)

    def deployments_page() -> None:
        overview.filter_options(cur, scope.start, scope.end)
        stats = deployments.deployment_stats(cur, scope)
        bin_ms, max_ms = deployments.latency_bins(stats)
        deployments.latency_histogram(cur, scope, bin_ms, max_ms)
        deployments.latency_over_time(cur, scope, bucket)
        usage = usage_in_scope(cur, scope)
        capacity = costs.capacity_in_scope(cur, scope, scope.end)
        costs.deployment_costs(cur, scope, usage, scope.end, capacity)
        costs.pricing_coverage(cur, usage)
        costs.unregistered_provisioned(cur, usage)
        deployments.ptu_hours(cur, scope, scope.end, capacity)
        deployments.ptu_utilization(cur, scope)

    def deployment_costs() -> None:  # the Deployments page's cost section alone
        usage = usage_in_scope(cur, scope)
        capacity = costs.capacity_in_scope(cur, scope, scope.end)
        costs.deployment_costs(cur, scope, usage, scope.end, capacity)
        costs.pricing_coverage(cur, usage)
        costs.unregistered_provisioned(cur, usage)

    def safety_page() -> None:
        overview.filter_options(cur, scope.start, scope.end)
        usage = usage_in_scope(cur, scope)
        safety.safety_totals(cur, usage)
        safety.safety_over_time(cur, usage, bucket)
        safety.safety_heatmap(cur, scope)
        safety.safety_by_category(cur, scope)
        safety.safety_by_group(cur, usage, "tenant_id")
        safety.safety_incidents(cur, scope, 200)

    def calls_page() -> None:
        overview.filter_options(cur, scope.start, scope.end)
        found = calls.calls_search(cur, scope, CallSearch(), 500)
        one = str(found["call_id"].iloc[0])
        detail = calls.call_detail(cur, one)
        assert detail is not None
        calls.call_filter_results(cur, one, detail["start_time"])
        calls.call_cost(cur, one, detail["start_time"])

    def calls_unpriced() -> None:  # the pricing coverage's link: calls?priced=no
        overview.filter_options(cur, scope.start, scope.end)
        calls.calls_search(cur, scope, CallSearch(unpriced=True), 500)

    def deployments_exact() -> None:  # the same page reading every call of the range
        overview.filter_options(cur, scope.start, scope.end)
        stats = run_query(cur, "deployment_stats", **scope.params())
        bin_ms, max_ms = deployments.latency_bins(stats)
        run_query(cur, "latency_histogram", bin_ms=bin_ms, max_ms=max_ms, **scope.params())
        run_query(cur, "latency_over_time", bucket=bucket, **scope.params())

    return {
        "overview": overview_page,
        "deployments": deployments_page,
        "deployments_exact": deployments_exact,
        "deployment_costs": deployment_costs,
        "content_safety": safety_page,
        "calls": calls_page,
        "calls_unpriced": calls_unpriced,
    }


DAY = timedelta(days=1)
SKETCHED = ("p50_ms", "p95_ms", "p99_ms", "ttft_p50_ms", "ttft_p95_ms", "output_tokens_per_s")


def check_sketches(cur: duckdb.DuckDBPyConnection, scope: Scope) -> str:
    """The Deployments page's percentiles from the latency sketch are within 1 % of the exact
    ones (quantile_cont over the calls), and its counts equal."""
    params = scope.params()
    sketched = run_query(
        cur, "deployment_stats_from_sketches", summarised=False, calls_from=scope.start, **params
    ).drop(columns="unanswered_from")
    truth = run_query(cur, "deployment_stats", **params)
    kept = ""
    if deployments.reads_sketches(scope):
        # The page's own read, with the busiest minutes of sealed hours kept (kept here
        # first, as its first read keeps them), against the busiest minutes from the calls.
        began = time.perf_counter()
        summarised = deployments.deployment_stats(cur, scope)
        first_ms = (time.perf_counter() - began) * 1000
        if not summarised.equals(sketched):
            raise SystemExit("deployment_stats from the kept busiest minutes != the calls'")
        ((hours,),) = cur.execute("SELECT count(*) FROM busiest_minutes").fetchall()
        kept = f"; busiest minutes as the calls' ({hours} kept, the first read {first_ms:,.0f} ms)"
        # p95 over time, with the sealed buckets kept, against the sketch alone.
        bucket = timedelta(hours=6) if scope.end - scope.start <= timedelta(days=31) else DAY
        began = time.perf_counter()
        summarised = deployments.latency_over_time(cur, scope, bucket)
        first_ms = (time.perf_counter() - began) * 1000
        from_sketch = run_query(
            cur, "latency_over_time_from_sketches", bucket=bucket, summarised=False,
            sketch_from=scope.start, **params,
        ).drop(columns=["durations_fp", "kept", "complete"])  # fmt: skip
        if not summarised.equals(from_sketch):
            raise SystemExit("p95 over time from the kept buckets != the sketch's")
        ((periods,),) = cur.execute("SELECT count(*) FROM latency_periods").fetchall()
        kept += f", p95 over time as the sketch's ({periods} kept, first read {first_ms:,.0f} ms)"
    if list(sketched["deployment"]) != list(truth["deployment"]) or list(sketched["calls"]) != list(
        truth["calls"]
    ):
        raise SystemExit("deployment_stats from the sketch counts other calls than the exact one")
    worst = 0.0
    for column in SKETCHED:
        for got, want in zip(sketched[column], truth[column], strict=True):
            if want == want and want:  # not NaN or 0
                worst = max(worst, abs(got - want) / abs(want))
    if worst > 0.01 + 1e-9:
        raise SystemExit(f"a percentile from the latency sketch is {worst:.2%} off the exact one")
    return f"{len(truth)} deployments, worst relative error {worst:.3%}{kept}"


def check_safety(cur: duckdb.DuckDBPyConnection, scope: Scope) -> str:
    """The Content safety page's heat map and verdicts by category, read from the verdict
    summary of sealed hours (summed here first where it does not answer, as the page's
    first read does), equal those read from the calls alone."""
    began = time.perf_counter()
    summed = safety.safety_heatmap(cur, scope)
    first_ms = (time.perf_counter() - began) * 1000
    from_calls: dict[str, Any] = {"summarised": False, "stale": [], "calls_from": scope.start}
    truth = run_query(cur, "safety_heatmap", **from_calls, **scope.params())
    if summed.to_dict("records") != truth.to_dict("records"):
        raise SystemExit("the heat map from the verdict summary differs from the calls'")
    by_category = safety.safety_by_category(cur, scope)
    truth = run_query(cur, "safety_by_category", categories=[], **from_calls, **scope.params())
    if by_category.to_dict("records") != truth.to_dict("records"):
        raise SystemExit("the verdicts by category from the summary differ from the calls'")
    ((hours,),) = cur.execute("SELECT count(*) FROM safety_hours").fetchall()
    return (
        f"{int(summed['calls'].sum()):,} heat map calls in {len(summed)} cells, "
        f"{int(by_category['calls'].sum()):,} by category; {hours:,} hours kept "
        f"(the first read {first_ms:,.0f} ms)"
    )


def baseline_overview(cur: duckdb.DuckDBPyConnection, scope: Scope) -> tuple[int, float]:
    """Overview totals priced and tenant-resolved call by call: calls and pay-as-you-go."""
    ((calls, payg),) = cur.execute(
        "SELECT count(*), sum(c.payg_cost_usd) FROM call_costs AS c "
        "JOIN call_tenants AS t USING (call_id) "
        "WHERE c.start_time >= $start AND c.start_time < $end",
        {"start": scope.start, "end": scope.end},
    ).fetchall()
    return int(calls), float(payg or 0)


def check_overview(cur: duckdb.DuckDBPyConnection, scope: Scope) -> str:
    """The Overview's totals (from the hourly summary) equal the call-by-call baseline's."""
    totals = overview.overview_totals(cur, usage_in_scope(cur, scope)).iloc[0]
    calls, payg = baseline_overview(cur, scope)
    ours = (int(totals["calls"]), float(totals["payg_cost_usd"]))
    if ours[0] != calls or abs(ours[1] - payg) > 1e-6 * max(1.0, payg):
        raise SystemExit(f"overview totals {ours} != the call-by-call baseline's {(calls, payg)}")
    return f"{calls:,} calls, ${payg:,.2f} pay-as-you-go"


UNPRICED_CALL_BY_CALL = """
SELECT count(*), coalesce(sum(c.input_tokens + c.output_tokens), 0)
FROM call_costs AS c
LEFT JOIN deployment_types AS t ON t.deployment_type = c.billed_type
WHERE c.start_time >= $start AND c.start_time < $end
    AND c.input_tokens + c.output_tokens > 0
    AND (NOT c.priced OR (t.billing = 'ptu' AND c.deployment <> 'ptu-core'))
"""


def check_costs(cur: duckdb.DuckDBPyConnection, scope: Scope) -> str:
    """Per deployment, pay-as-you-go + provisioned adds up to the Overview's two parts; the
    coverage's unpriced tokens are those counted call by call (only ptu-core has a capacity
    price); the unpriced search finds only such calls."""
    usage = usage_in_scope(cur, scope)
    totals = overview.overview_totals(cur, usage).iloc[0]
    ptu = overview.ptu_cost_in_scope(cur, scope, scope.end)
    assert ptu is not None
    parts = float(totals["payg_cost_usd"]) + float(ptu.iloc[0]["ptu_cost_usd"])
    per_deployment = costs.deployment_costs(cur, scope, usage, scope.end)
    total = float(per_deployment["total_cost_usd"].sum())
    if abs(total - parts) > 1e-6 * len(per_deployment) + 1e-9 * parts:
        raise SystemExit(f"deployment costs ${total:,.6f} != the Overview's ${parts:,.6f}")
    unregistered = list(costs.unregistered_provisioned(cur, usage)["deployment"])
    if unregistered != ["ptu-eu"]:
        raise SystemExit(f"unregistered provisioned deployments {unregistered} != ['ptu-eu']")
    coverage = costs.pricing_coverage(cur, usage).iloc[0]
    ((by_call, tokens),) = cur.execute(
        UNPRICED_CALL_BY_CALL, {"start": scope.start, "end": scope.end}
    ).fetchall()
    if int(coverage["unpriced_tokens"]) != int(tokens):
        raise SystemExit(f"{coverage['unpriced_tokens']} unpriced tokens != {tokens} by call")
    found = calls.calls_search(cur, scope, CallSearch(unpriced=True), 500)
    if len(found) != min(500, by_call) or set(found["deployment"]) - {"ptu-eu"}:
        raise SystemExit("the unpriced search found other calls than the unpriced ones")
    return (
        f"${total:,.2f} in {len(per_deployment)} deployments, {by_call:,} unpriced calls "
        f"({tokens:,} tokens), "
        f"{float(coverage['coverage']):.1%} of tokens priced"
    )


class RecordingCursor:
    """A cursor that runs as the one it wraps and keeps each statement the page ran (its
    query file's name, text, bound parameters and the Arrow tables registered then), so
    each can be timed again alone under the profiler."""

    def __init__(self, cur: duckdb.DuckDBPyConnection) -> None:
        self._cur = cur
        self._registered: dict[str, Any] = {}
        self.statements: list[tuple[str, str, dict[str, Any] | None, dict[str, Any]]] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._cur, name)

    def register(self, name: str, table: Any) -> Any:
        self._registered[name] = table
        return self._cur.register(name, table)

    def unregister(self, name: str) -> Any:
        self._registered.pop(name, None)
        return self._cur.unregister(name)

    def _keep(self, text: str, params: dict[str, Any] | None) -> None:
        header = text.lstrip().splitlines()[0] if text.strip() else ""
        name = header.removeprefix("-- name:").strip() if header.startswith("-- name:") else "?"
        self.statements.append((name, text, params, dict(self._registered)))

    def sql(self, text: str, params: dict[str, Any] | None = None) -> Any:
        self._keep(text, params)
        return self._cur.sql(text, params=params)

    def execute(self, text: str, params: Any = None) -> Any:
        self._keep(text, params)
        return self._cur.execute(text, params)


def profiled_ms(cur: duckdb.DuckDBPyConnection, text: str, params: dict[str, Any] | None,
                output: Path) -> tuple[float, float]:  # fmt: skip
    """One run of a statement under DuckDB's profiler: (planning ms, whole ms). Planning is
    the profiler's binding and logical planning, optimiser and physical planning, before a
    row is read; whole is the query's total time."""
    cur.execute("SET profiling_mode = 'detailed'")
    cur.execute("SET enable_profiling = 'json'")
    cur.execute(f"SET profiling_output = '{output}'")
    try:
        cur.sql(text, params=params).to_arrow_table()
    finally:
        cur.execute("SET enable_profiling = 'no_output'")
        cur.execute("RESET profiling_output")
        cur.execute("PRAGMA disable_profiling")
    profile = json.loads(output.read_text(encoding="utf-8"))
    planning = (
        profile["planner"]["total_time"]
        + profile["optimizer"]["total_time"]
        + profile["physical_planner"]["total_time"]
    )
    return planning * 1000, profile["query"]["total_time"] * 1000


def planning_of(cur: duckdb.DuckDBPyConnection, page: Callable[[], Any], record: RecordingCursor,
                repeats: int = 3) -> list[tuple[str, float, float]]:  # fmt: skip
    """Each statement a page ran: (query name, planning ms, whole ms), from the run whose
    whole time is the median of ``repeats``."""
    record.statements.clear()
    page()
    timed = []
    with tempfile.TemporaryDirectory() as folder:
        output = Path(folder) / "profile.json"
        for name, text, params, tables in record.statements:
            for relation, table in tables.items():
                cur.register(relation, table)
            try:
                runs = sorted(
                    (profiled_ms(cur, text, params, output) for _ in range(repeats)),
                    key=lambda run: run[1],
                )
            finally:
                for relation in tables:
                    cur.unregister(relation)
            plan, whole = runs[len(runs) // 2]
            timed.append((name, plan, whole))
    return timed


def print_planning(cur: duckdb.DuckDBPyConnection, days: tuple[int, ...]) -> None:
    """Per page and range, each statement's planning and whole time, and the page's share of
    planning."""
    record = RecordingCursor(cur)
    now = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(minutes=1)
    for n_days in days:
        scope = Scope(now - timedelta(days=n_days), now)
        print(f"  range {n_days}d: each statement under the profiler, median of 3")
        pages = page_queries(record, scope)  # type: ignore[arg-type]
        for page, queries_of_page in pages.items():
            if page == "deployments_exact":
                continue
            # One read first: it keeps what the page keeps of sealed hours (the verdict
            # summary, the busiest minutes, p95 over time), so the statements profiled are
            # a settled read's, not the keeping, which would not run twice.
            queries_of_page()
            timed = planning_of(cur, queries_of_page, record)
            plan = sum(t[1] for t in timed)
            whole = sum(t[2] for t in timed)
            wall = median_ms(queries_of_page, 5)
            print(f"    {page:<18} {wall:8.0f} ms as the page calls them (median of 5); "
                  f"profiled {whole:6.0f} ms, of which planning {plan:6.0f} ms "
                  f"({plan / whole:.0%}), {len(timed)} statements")  # fmt: skip
            for name, p, w in sorted(timed, key=lambda t: -t[2]):
                print(f"      {name:<34} {w:7.1f} ms  planning {p:6.1f} ms")


def calibration_us() -> float:
    """The machine's speed now: one loop of sum(range(1000)), in microseconds."""
    return min(timeit.repeat("sum(range(1000))", number=20_000, repeat=5)) / 20_000 * 1e6


def median_ms(run: Callable[[], Any], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        began = time.perf_counter()
        run()
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times)


def render_ms(path: Path, page: str, repeats: int = 3) -> float:
    """A page's full AppTest render, cache cleared each time (median of ``repeats``)."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from app.dashboard import db

    os.environ["LENS_DB"] = str(path)
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page(f"app_pages/{page}.py")
    times = []
    for _ in range(repeats):
        st.cache_data.clear()
        began = time.perf_counter()
        at.run()
        times.append((time.perf_counter() - began) * 1000)
        if at.exception:
            raise RuntimeError(f"{page} raised: {at.exception[0].value}")
    store = db._store
    db.use_store(None)
    if store is not None:
        store.close()
    return statistics.median(times)


def run(n: int, folder: Path, keep: bool = False) -> None:
    path = folder / f"dashboard-{n}.duckdb"
    if keep and path.exists():  # kept by an earlier run: its 90 days end when it was built
        register(path)
        print(f"\n{n:,} calls: the ledger kept in {path}")
    else:
        began = time.perf_counter()
        build(path, n)
        print(f"\n{n:,} calls generated in {time.perf_counter() - began:.1f} s")
    store = Store(path)
    cur = store.cursor()
    now = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(minutes=1)
    for days in (7, 30, 90):
        scope = Scope(now - timedelta(days=days), now)
        print(f"  range {days}d: checked, the Overview equals the baseline: "
              f"{check_overview(cur, scope)}")  # fmt: skip
        print(f"  range {days}d: checked, sketch percentiles within 1 % of exact: "
              f"{check_sketches(cur, scope)}")  # fmt: skip
        print(f"  range {days}d: checked, total cost and coverage: {check_costs(cur, scope)}")
        print(f"  range {days}d: checked, verdict summary equals the calls: "
              f"{check_safety(cur, scope)}")  # fmt: skip
        print(
            f"  range {days}d: page queries together, uncached, median of 5 "
            "(deployments_exact: the Deployments page reading every call, median of 3)"
        )
        for page, queries_of_page in page_queries(cur, scope).items():
            repeats = 3 if page == "deployments_exact" else 5
            print(f"    {page:<18} {median_ms(queries_of_page, repeats):8.0f} ms")
        baseline = median_ms(lambda s=scope: baseline_overview(cur, s), 3)
        print(f"    {'baseline':<18} {baseline:8.0f} ms  (overview totals priced call by call)")
    store.close()
    print("  full render in AppTest (default range 7d), cache cleared, median of 3")
    for page in ("overview", "deployments", "content_safety", "calls", "tenants"):
        print(f"    {page:<18} {render_ms(path, page):8.0f} ms")
    if not keep:
        path.unlink()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument(
        "--planning",
        type=Path,
        metavar="LEDGER",
        help="time each page statement's planning and whole run (DuckDB's profiler) on a "
        "ledger this bench built (kept with --keep), for 7, 30 and 90 days, and stop",
    )
    parser.add_argument(
        "--keep",
        type=Path,
        metavar="FOLDER",
        help="build the ledgers in FOLDER and keep them (a ledger already there is used again)",
    )
    args = parser.parse_args()
    print(f"machine: timeit sum(range(1000)) = {calibration_us():.1f} us, {os.cpu_count()} cores")
    if args.planning:
        store = Store(args.planning)
        try:
            print_planning(store.cursor(), (7, 30, 90))
        finally:
            store.close()
        return
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        for n in args.calls:
            run(n, args.keep, keep=True)
        return
    with tempfile.TemporaryDirectory() as folder:
        for n in args.calls:
            run(n, Path(folder))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak RSS {peak:,.0f} MiB")


if __name__ == "__main__":
    main()
