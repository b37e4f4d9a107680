"""Chargeback benchmark: a month of N calls (default 1M and 10M) through the SQL views,
against the same aggregation in pandas, in the same run.

Run with ``make bench``. Calls are generated inside DuckDB (20 tenants, 12 deployments,
realistic token mixes) into a real DuckDB file; prices are the shipped price book.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import pandas as pd

from collectors.deployments import Deployment, write_deployments
from collectors.prices.book import load_reference_data
from collectors.store import Store
from collectors.tenants import default_tenants, write_tenants
from queries.chargeback import chargeback, month_bounds

MONTH = "2026-10"
MODELS = [
    ("gpt-4o-2024-11-20", "GlobalStandard"), ("gpt-4o-mini-2024-07-18", "GlobalStandard"),
    ("gpt-4.1-2025-04-14", "DataZoneStandard"), ("o4-mini-2025-04-16", "GlobalStandard"),
    ("text-embedding-3-small", "Standard"), ("gpt-4o-2024-08-06", "ProvisionedManaged"),
]  # fmt: skip

GENERATE = """
INSERT INTO calls BY NAME
SELECT
    'c' || i AS call_id, md5_number_lower('c' || i) AS call_key, 'bench' AS source,
    TIMESTAMPTZ '2026-10-01 00:00:00+00' + to_microseconds(
        CAST(i AS BIGINT) * (CAST(31 * 86400 AS BIGINT) * 1000000 // $n)) AS start_time,
    200.0 AS duration_ms, 'chat' AS operation,
    'dep-' || (i % 12) AS deployment, 'attribute' AS deployment_source,
    m.model, m.deployment_type,
    'tenant-' || (hash(i) % 20) AS tenant_id,
    'ok' AS status, 200 AS http_status,
    100 + hash(i * 7) % 3000 AS input_tokens,
    CASE WHEN i % 3 = 0 THEN 1024 ELSE 0 END AS cached_input_tokens,
    50 + hash(i * 13) % 800 AS output_tokens,
    0 AS reasoning_tokens, 'none' AS filter_action, '{}' AS attributes
FROM range($n) AS r(i)
JOIN (SELECT * FROM (VALUES {models}) AS v(k, model, deployment_type)) AS m
    ON m.k = i % 12 % 6
"""


def build(path: Path, n: int, generate: str = GENERATE) -> Store:
    """A ledger of ``n`` calls written by the ``generate`` SQL, with its hourly summary."""
    store = Store(path)
    load_reference_data(store)
    write_tenants(store, default_tenants())
    write_deployments(
        store, (Deployment("dep-5", None, None, "gpt-4o", "ProvisionedManaged", 50, 2, None),)
    )
    models = ", ".join(f"({k}, '{m}', '{t}')" for k, (m, t) in enumerate(MODELS))
    with store.transaction() as con:
        con.execute(generate.replace("{models}", models), {"n": n})
    store.rebuild_usage_summary()  # written around the store: sum the hours as a write would
    return store


def priced_calls(store: Store, columns: str) -> pd.DataFrame:
    """The month's calls loaded into pandas (``columns`` besides the ones priced) with their
    pay-as-you-go cost: the model's price row times its deployment type's multiplier
    (provisioned types: 0). A price the call's tokens need and the book lacks leaves the call
    unpriced ($0 here, as in the lens), never priced at 0 per token."""
    start, end = month_bounds(MONTH)
    calls = (
        store.cursor()
        .sql(
            f"SELECT {columns}, start_time, model, deployment_type, input_tokens, "
            "cached_input_tokens, output_tokens FROM calls"
        )
        .to_arrow_table()
        .to_pandas()
    )
    prices = (
        store.cursor()
        .sql(
            "SELECT model, input_per_1m, cached_input_per_1m, output_per_1m FROM price_book "
            "WHERE service_tier = 'default' AND context_tier IS NULL"  # the calls' own tier
        )
        .to_arrow_table()
        .to_pandas()
    )
    multipliers = (
        store.cursor()
        .sql("SELECT deployment_type, multiplier FROM deployment_types")
        .to_arrow_table()
        .to_pandas()
    )
    calls = calls[(calls["start_time"] >= start) & (calls["start_time"] < end)]
    calls = calls.assign(
        base_model=calls["model"].str.replace(r"-\d{4}-\d{2}-\d{2}$", "", regex=True)
    )
    merged = calls.merge(prices, left_on="base_model", right_on="model", how="left").merge(
        multipliers, on="deployment_type", how="left"
    )
    cached_price = merged["cached_input_per_1m"].astype(float)
    output_price = merged["output_per_1m"].astype(float)
    merged["payg_cost_usd"] = (
        (
            (merged["input_tokens"] - merged["cached_input_tokens"])
            * merged["input_per_1m"].astype(float)
            + (merged["cached_input_tokens"] * cached_price).where(
                merged["cached_input_tokens"] > 0, 0.0
            )
            + (merged["output_tokens"] * output_price).where(merged["output_tokens"] > 0, 0.0)
        )
        * merged["multiplier"].astype(float)
        / 1e6
    ).fillna(0.0)
    return merged


def pandas_chargeback(store: Store) -> pd.DataFrame:
    """The pay-as-you-go part of the same aggregation, done in pandas on loaded rows."""
    merged = priced_calls(store, "call_id, deployment, tenant_id, reasoning_tokens")
    return merged.groupby(["tenant_id", "deployment", "base_model", "deployment_type"]).agg(
        requests=("call_id", "count"),
        input_tokens=("input_tokens", "sum"),
        cached_input_tokens=("cached_input_tokens", "sum"),
        output_tokens=("output_tokens", "sum"),
        payg_cost_usd=("payg_cost_usd", "sum"),
    )


def ptu_total_by_hand(n: int) -> float:
    """dep-5's provisioned cost in the month: 50 PTU x $2 an hour, charged from the hour of
    its first call (call 5, at 5 x the generator's step from 1 October 00:00) to the end."""
    step_us = 31 * 86400 * 1_000_000 // n
    first_hour = 5 * step_us // 3_600_000_000
    return 50 * 2.0 * (31 * 24 - first_hour)


def chargeback_of(store: Store) -> pd.DataFrame:
    return chargeback(store.cursor(), MONTH)


def timed(fn: Callable[[], object], repeat: int) -> float:
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - started)
    return statistics.median(runs) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    for n in args.rows:
        with tempfile.TemporaryDirectory() as tmp:
            started = time.perf_counter()
            store = build(Path(tmp) / "bench.duckdb", n)
            print(f"{n:>12,} calls generated in {time.perf_counter() - started:.1f} s", flush=True)
            lines = chargeback(store.cursor(), MONTH)
            check = pandas_chargeback(store)
            ours = float(lines["payg_cost_usd"].astype(float).sum())
            theirs = float(check["payg_cost_usd"].astype(float).sum())
            # 6-decimal rounding per line: at most half a micro-dollar a line apart.
            if abs(ours - theirs) > len(lines) * 5e-7 + 1e-9:
                raise SystemExit(f"pay-as-you-go total {ours:.6f} != pandas' {theirs:.6f}")
            print(f"  checked: pay-as-you-go total ${ours:,.2f} equals pandas' ${theirs:,.2f}")
            ptu = float(lines["ptu_cost_usd"].astype(float).sum())
            if abs(ptu - ptu_total_by_hand(n)) > len(lines) * 5e-7 + 1e-6:
                raise SystemExit(f"PTU total {ptu:.6f} != {ptu_total_by_hand(n):.6f} by hand")
            print(f"  checked: PTU total ${ptu:,.2f} equals the hand-computed hours x $100")
            sql_ms = timed(partial(chargeback_of, store), args.repeat)
            pandas_ms = timed(partial(pandas_chargeback, store), 1)
            rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print(
                f"  chargeback SQL views : {sql_ms:>9,.0f} ms (median of {args.repeat}, "
                f"{len(lines)} lines, PTU allocation included)"
            )
            print(f"  pandas, pay-as-you-go: {pandas_ms:>9,.0f} ms (load + merge + groupby)")
            print(f"  peak RSS so far      : {rss:>9,.0f} MiB")
            store.close()


if __name__ == "__main__":
    main()
