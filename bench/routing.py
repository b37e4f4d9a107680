"""Routing benchmark: the Deployments page's routing reports at 1M calls (or ``--calls``).

Run with ``python -m bench.routing --calls 1000000``. The calls are the dashboard bench's
(``bench.dashboard.build``: 90 days, 12 deployments of every type), then routed in DuckDB:
2 % of the calls not on the first endpoint failed over from it (two attempts), one call in
ten of the provisioned deployments spilled over to the standard ``chat-legacy``, and one
tenant asks for Priority, one call in twenty of which is served at default.

Before timing, the extra cost of failover is computed a second way, in pandas from the
per-call cost view (``call_costs``), and must equal the report's to a millionth of a dollar;
the shares must equal plain counts. Then each report is timed uncached (median of 5) over
7, 30 and 90 days, with the routing section's full set, as the page asks for it.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from bench.dashboard import build, median_ms
from collectors.store import Store
from queries import routing
from queries.scope import Scope

ROUTE_CALLS = """
UPDATE calls SET
    attempts = CASE WHEN endpoint <> 'aoai-0.openai.azure.com' AND hash(call_id) % 50 = 0
                    THEN 2 ELSE 1 END,
    failover_from = CASE WHEN endpoint <> 'aoai-0.openai.azure.com' AND hash(call_id) % 50 = 0
                         THEN 'https://aoai-0.openai.azure.com' END,
    spillover = CASE WHEN deployment_type LIKE '%Provisioned%' THEN hash(call_id) % 10 = 0 END,
    spillover_from = CASE WHEN deployment_type LIKE '%Provisioned%' AND hash(call_id) % 10 = 0
                          THEN deployment END,
    service_tier_requested = CASE WHEN tenant_id = 'tenant-00' THEN 'priority' END,
    service_tier = CASE WHEN status = 'ok' AND tenant_id = 'tenant-00' AND hash(call_id) % 20 <> 0
                        THEN 'priority' WHEN status = 'ok' THEN 'default' END;
UPDATE calls SET deployment = 'chat-legacy', deployment_type = 'Standard',
                 model = 'gpt-4o-2024-08-06'
WHERE spillover;
"""


def pandas_extra_cost(cur: duckdb.DuckDBPyConnection, scope: Scope) -> float:
    """The extra cost of failover from the per-call cost view, grouped in pandas."""
    frame: pd.DataFrame = cur.execute(
        "SELECT c.call_id, c.endpoint, c.deployment, c.failover_from, c.spillover, "
        "c.spillover_from, k.priced, k.input_tokens, k.cached_input_tokens, k.output_tokens, "
        "k.input_cost_usd, k.cached_input_cost_usd, k.output_cost_usd, k.payg_cost_usd "
        "FROM calls AS c JOIN call_costs AS k USING (call_id) "
        "WHERE c.start_time >= $start AND c.start_time < $end",
        {"start": scope.start, "end": scope.end},
    ).df()
    for column in ("input_cost_usd", "cached_input_cost_usd", "output_cost_usd", "payg_cost_usd"):
        frame[column] = frame[column].astype(float)
    frame["endpoint"] = frame["endpoint"].fillna("")
    frame["uncached"] = frame["input_tokens"] - frame["cached_input_tokens"]
    rerouted = frame["failover_from"].notna() | frame["spillover"].fillna(False).astype(bool)
    own = frame[~rerouted & frame["priced"] & (frame["input_tokens"] > 0)]
    sums = own.groupby(["endpoint", "deployment"])[
        ["input_cost_usd", "cached_input_cost_usd", "output_cost_usd", "uncached",
         "cached_input_tokens", "output_tokens"]
    ].sum()  # fmt: skip
    moved = frame[rerouted].copy()
    host = moved["failover_from"].str.extract(r"^[A-Za-z][A-Za-z0-9+.-]*://([^/:?#@]*)")[0]
    moved["place_endpoint"] = host.str.lower().fillna(moved["endpoint"])
    spilled = moved["spillover"].fillna(False).astype(bool)
    moved["place_deployment"] = moved["spillover_from"].where(spilled, moved["deployment"])
    extra = 0.0
    for row in moved.itertuples():
        key = (row.place_endpoint, row.place_deployment)
        if key not in sums.index:
            continue
        place = sums.loc[key]
        per_input = place["input_cost_usd"] / place["uncached"] if place["uncached"] else None
        if per_input is None:
            continue
        per_cached = (place["cached_input_cost_usd"] / place["cached_input_tokens"]
                      if place["cached_input_tokens"] else per_input)  # fmt: skip
        per_output = (place["output_cost_usd"] / place["output_tokens"]
                      if place["output_tokens"] else 0.0)  # fmt: skip
        meant = (row.uncached * per_input + row.cached_input_tokens * per_cached
                 + row.output_tokens * per_output)  # fmt: skip
        extra += row.payg_cost_usd - meant
    return extra


def check(cur: duckdb.DuckDBPyConnection, scope: Scope) -> str:
    report = routing.failover_extra_cost(cur, scope).iloc[0]
    ours = float(report["extra_cost_usd"])
    theirs = pandas_extra_cost(cur, scope)
    if abs(ours - theirs) > 1e-6:
        raise SystemExit(f"extra cost {ours:.6f} != pandas' {theirs:.6f}")
    totals = routing.routing_totals(cur, scope).iloc[0]
    ((failed_over,),) = cur.execute(
        "SELECT count(*) FROM calls WHERE failover_from IS NOT NULL "
        "AND start_time >= $start AND start_time < $end",
        {"start": scope.start, "end": scope.end},
    ).fetchall()
    if int(totals["failed_over"]) != failed_over:
        raise SystemExit(f"failed over {totals['failed_over']} != a plain count's {failed_over}")
    return f"extra cost ${ours:,.2f} (pandas ${theirs:,.2f}), {failed_over:,} failovers"


def routing_section(cur: duckdb.DuckDBPyConnection, scope: Scope) -> dict[str, Any]:
    return {
        "routing_totals": lambda: routing.routing_totals(cur, scope),
        "routing_over_time": lambda: routing.routing_over_time(cur, scope, timedelta(hours=6)),
        "routing_by_region": lambda: routing.routing_by_group(cur, scope, "region"),
        "failover_extra_cost": lambda: routing.failover_extra_cost(cur, scope),
    }


def run(n: int, folder: Path) -> None:
    path = folder / f"routing-{n}.duckdb"
    began = time.perf_counter()
    build(path, n)
    with duckdb.connect(str(path)) as con:
        con.execute(ROUTE_CALLS)
    print(f"\n{n:,} calls generated and routed in {time.perf_counter() - began:.1f} s")
    store = Store(path)
    cur = store.cursor()
    now = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(minutes=1)
    for days in (7, 30, 90):
        scope = Scope(now - timedelta(days=days), now)
        print(f"  range {days}d: checked: {check(cur, scope)}")
        print(f"  range {days}d: each report uncached, median of 5")
        for name, query in routing_section(cur, scope).items():
            print(f"    {name:<20} {median_ms(query, 5):8.0f} ms")
    store.close()
    path.unlink()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, nargs="+", default=[1_000_000])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        for n in args.calls:
            run(n, Path(folder))


if __name__ == "__main__":
    main()
