"""Savings advisor benchmark: 30 days of N calls (default 1M and 10M), the whole advice
(PTU sizing from the minute profile, re-pricing, prompt-prefix reuse, Batch candidates)
against the same sizing and pay-as-you-go totals worked out in pandas first.

Run with ``make bench``. The calls are the chargeback bench's mix (12 deployments, 20
tenants, the shipped price book) over 2026-10-01 to 2026-10-31 00:00, a quarter of them with a
prompt prefix fingerprint (1,000 distinct prefixes), a third streamed, from 6 services.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

import pandas as pd

from app.advisor import advise
from bench.chargeback import GENERATE, priced_calls, timed
from bench.chargeback import build as build_ledger
from collectors.prices.ptu import base_model, load_figures
from collectors.store import Store

END = datetime(2026, 10, 31, tzinfo=UTC)  # 30 days from 2026-10-01
DAYS = 30
# The chargeback bench's calls over 30 days instead of 31, with services, streams and
# prompt prefix fingerprints.
GENERATE_30 = GENERATE.replace("CAST(31 * 86400", "CAST(30 * 86400").replace(
    "'{}' AS attributes",
    'CASE WHEN i % 4 = 0 THEN \'{"azure.openai.prompt_prefix_hash": "p\' || (hash(i) % 1000) '
    "|| '\"}' ELSE '{}' END AS attributes, 'svc-' || (i % 6) AS service, "
    "CASE WHEN i % 6 < 2 THEN 150.0 END AS ttft_ms",
)


def build(path: Path, n: int) -> Store:
    return build_ledger(path, n, GENERATE_30)


def pandas_baseline(store: Store) -> pd.DataFrame:
    """Per deployment, in pandas: the pay-as-you-go cost of the month (provisioned: 0) and
    the 95th-percentile minute of input-equivalent tokens (Microsoft's sizing formula)."""
    calls = priced_calls(store, "deployment")
    figures = load_figures()
    calls["ratio"] = calls["model_x"].map(
        lambda m: figures[base_model(m)].output_ratio if base_model(m) in figures else None
    )
    calls["minute"] = calls["start_time"].dt.floor("min")
    per_minute = calls.groupby(["deployment", "minute"]).agg(
        uncached=("input_tokens", "sum"), cached=("cached_input_tokens", "sum"),
        output=("output_tokens", "sum"), ratio=("ratio", "first"),
    )  # fmt: skip
    per_minute["tpm"] = (
        per_minute["uncached"] - per_minute["cached"] + (per_minute["ratio"] * per_minute["output"])
    )
    p95 = per_minute.groupby("deployment")["tpm"].quantile(0.95)
    payg = calls.groupby("deployment")["payg_cost_usd"].sum()
    return pd.DataFrame({"p95_tpm": p95, "payg_usd": payg})


def advice(store: Store) -> object:
    return advise(store.cursor(), timedelta(days=DAYS), END)


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
            report = advise(store.cursor(), timedelta(days=DAYS), END)
            baseline = pandas_baseline(store)
            checked = 0
            for row in report.ptu_sizing:
                expected = baseline.loc[row["deployment"]]
                if abs(row["p95_tpm"] - expected["p95_tpm"]) > 1e-6 * expected["p95_tpm"]:
                    raise SystemExit(f"{row['deployment']}: p95 TPM {row['p95_tpm']} != "
                                     f"pandas' {expected['p95_tpm']}")  # fmt: skip
                # provisioned deployments' tokens are priced at Standard here, 0 in pandas;
                # the others' 30 days scaled to 30 days: the month's cost as it is
                provisioned = str(row["deployment_type"]).endswith("ProvisionedManaged")
                if not provisioned and abs(row["payg_monthly_usd"] - expected["payg_usd"]) > 1e-6:
                    raise SystemExit(f"{row['deployment']}: pay-as-you-go "
                                         f"{row['payg_monthly_usd']} != pandas' "
                                         f"{expected['payg_usd']}")  # fmt: skip
                checked += 1
            if report.monthly_factor != 1.0 or checked < 8:
                raise SystemExit(f"scaled by {report.monthly_factor}, {checked} deployments")
            print(
                f"  checked: p95 TPM and pay-as-you-go of {checked} deployments equal pandas'; "
                f"{len(report.recommendations)} recommendations, "
                f"${sum(max(r.monthly_saving_usd, 0) for r in report.recommendations):,.2f}"
                " a month estimated"
            )
            ms = timed(partial(advice, store), args.repeat)
            rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print(f"  advisor, 30 days     : {ms:>9,.0f} ms (median of {args.repeat})")
            print(f"  peak RSS so far      : {rss:>9,.0f} MiB")
            store.close()


if __name__ == "__main__":
    main()
