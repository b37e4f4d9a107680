"""Reconciliation benchmark: a month of N calls (default 1M and 10M) against a FOCUS export
of about 100,000 rows, beside the same comparison done in pandas, in the same run.

The export is written from the lens's own costs of the month, each (day, resource, model,
type, token class) split over many rows under the meter name Azure uses for it, so the
right answer is known: every row's difference is zero. The bench checks that first (and
that pandas agrees), then prints the time of parsing the export and of the reconciliation.
"""

from __future__ import annotations

import argparse
import io
import resource
import tempfile
import time
from functools import partial
from pathlib import Path

import pandas as pd

from app.reconciliation import reconcile_exports
from bench.chargeback import MONTH, build, priced_calls, timed
from collectors.billing.cost_export import read_cost_exports
from collectors.store import Store
from queries import run
from queries.chargeback import month_bounds

RG = "/subscriptions/0000/resourceGroups/ai/providers/Microsoft.CognitiveServices/accounts"
# (model, deployment type, token class) -> a meter name Azure writes for it
METERS = {
    ("gpt-4o", "GlobalStandard", "input"): "gpt 4o 1120 Inp glbl",
    ("gpt-4o", "GlobalStandard", "cached_input"): "gpt 4o 1120 cchd Inp glbl",
    ("gpt-4o", "GlobalStandard", "output"): "gpt 4o 1120 Outp glbl",
    ("gpt-4o-mini", "GlobalStandard", "input"): "gpt 4o mini 0718 Inp glbl",
    ("gpt-4o-mini", "GlobalStandard", "cached_input"): "gpt 4o mini 0718 cd Inp glbl",
    ("gpt-4o-mini", "GlobalStandard", "output"): "gpt 4o mini 0718 Outp glbl",
    ("gpt-4.1", "DataZoneStandard", "input"): "gpt 4.1 Inp DZone",
    ("gpt-4.1", "DataZoneStandard", "cached_input"): "gpt 4.1 cchd Inp DZone",
    ("gpt-4.1", "DataZoneStandard", "output"): "gpt 4.1 Outp DZone",
    ("o4-mini", "GlobalStandard", "input"): "o4-mini 0416 Inp glbl",
    ("o4-mini", "GlobalStandard", "cached_input"): "o4-mini 0416 cd Inp glbl",
    ("o4-mini", "GlobalStandard", "output"): "o4-mini 0416 Outp glbl",
    ("text-embedding-3-small", "Standard", "input"): "Az-Text-Embedding-3-Small",
    ("", "", "provisioned"): "Provisioned Managed Global Hourly",
}


def with_endpoints(store: Store) -> None:
    """Three resources: deployment dep-k is on aoai-(k mod 3)."""
    with store.transaction() as con:
        con.execute(
            "UPDATE calls SET endpoint = 'aoai-' || (CAST(split_part(deployment, '-', 2) AS "
            "INTEGER) % 3) || '.openai.azure.com'"
        )


def export_from(lens: pd.DataFrame, rows: int) -> bytes:
    """A FOCUS CSV whose lines add up to the lens's costs, about ``rows`` of them."""
    pieces = max(1, rows // len(lens))
    lines = []
    for key in lens.itertuples(index=False):
        meter = METERS[(key.model, key.deployment_type, key.token_class)]
        share = float(key.lens_cost_usd) / pieces
        for _ in range(pieces):
            lines.append(
                (
                    f"{key.day.isoformat()}T00:00:00Z", f"{RG}/{key.resource}", meter,
                    f"{share:.12f}", "USD", "Usage",
                )
            )  # fmt: skip
    frame = pd.DataFrame(
        lines,
        columns=[
            "ChargePeriodStart", "ResourceId", "SkuMeter", "BilledCost", "BillingCurrency",
            "ChargeCategory",
        ],
    )  # fmt: skip
    frame["ConsumedQuantity"] = "1"
    return frame.to_csv(index=False).encode()


def pandas_reconcile(store: Store, bill: pd.DataFrame) -> pd.DataFrame:
    """The baseline: the month's calls loaded and priced in pandas, per day and resource,
    beside the bill summed the same way (pay-as-you-go only)."""
    merged = priced_calls(store, "endpoint")
    merged = merged.assign(
        day=merged["start_time"].dt.date, resource=merged["endpoint"].str.split(".").str[0]
    )
    lens = merged.groupby(["day", "resource"])["payg_cost_usd"].sum()
    billed = (
        bill[bill["token_class"] != "provisioned"]
        .groupby(["day", "resource"])["billed_cost_usd"]
        .sum()
    )
    return pd.DataFrame({"lens": lens, "billed": billed}).fillna(0.0)


def pandas_baseline(store: Store, files: list[tuple[str, bytes]]) -> pd.DataFrame:
    return pandas_reconcile(store, read_cost_exports(files).lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--export-rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    for n in args.calls:
        with tempfile.TemporaryDirectory() as tmp:
            started = time.perf_counter()
            store = build(Path(tmp) / "bench.duckdb", n)
            with_endpoints(store)
            print(f"{n:>12,} calls generated in {time.perf_counter() - started:.1f} s", flush=True)
            start, end = month_bounds(MONTH)
            lens = run(store.cursor(), "reconcile_lens_costs", start=start, end=end)
            export = export_from(lens, args.export_rows)
            files = [("focus.csv", export)]
            done = reconcile_exports(store.cursor(), MONTH, files)
            rows = len(pd.read_csv(io.BytesIO(export), usecols=["SkuMeter"]))
            worst = float(done.rows["difference_usd"].abs().max())
            unmatched = int((~done.rows["matched"]).sum())
            if worst > 1e-5 or unmatched:
                raise SystemExit(
                    f"reconciliation wrong: worst difference {worst}, {unmatched} unmatched"
                )
            check = pandas_reconcile(store, read_cost_exports(files).lines)
            if float((check["lens"] - check["billed"]).abs().max()) > 1e-5:
                raise SystemExit("the pandas baseline does not agree with the export")
            print(
                f"  checked: {len(done.rows):,} rows from a {rows:,}-row export, every "
                f"difference 0 (worst ${worst:.7f}); billed ${done.billed_usd:,.2f} = lens "
                f"${done.lens_usd:,.2f}; pandas agrees"
            )
            parse_ms = timed(partial(read_cost_exports, files), args.repeat)
            ours_ms = timed(partial(reconcile_exports, store.cursor(), MONTH, files), args.repeat)
            baseline = partial(pandas_baseline, store, files)
            pandas_ms = timed(baseline, 1)
            rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            repeat = f"median of {args.repeat}"
            print(f"  export parsed          : {parse_ms:>9,.0f} ms ({repeat})")
            print(f"  reconcile (parse + SQL): {ours_ms:>9,.0f} ms ({repeat}; target < 5,000)")
            print(f"  pandas baseline        : {pandas_ms:>9,.0f} ms (parse, load, price, group)")
            print(f"  peak RSS so far        : {rss:>9,.0f} MiB")
            store.close()


if __name__ == "__main__":
    main()
