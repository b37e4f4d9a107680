"""Log Analytics pull benchmark: one maximal response (500,000 APIM rows) pulled with the
real LogsQueryClient from a local fake workspace and stored in a real DuckDB file.

Prints the time of each phase: HTTP + JSON parsing, our decode (result rows -> Arrow
columns), normalise (the source's SQL over those columns) and the DuckDB write, then a
re-read of the same slice (every call already stored: the upsert path). The same-run baseline is
the floor of the wire part: the same body fetched with httpx and parsed with json.loads.
The fake server runs in this process and competes for the same CPU.

Run with ``make bench`` or ``python -m bench.log_analytics [--rows N]``.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from collectors.loganalytics.client import LogAnalyticsConfig, build_client, run_query
from collectors.loganalytics.decode import table_columns
from collectors.loganalytics.normalize import normalize_calls
from collectors.loganalytics.poller import cyclic_gc_paused
from collectors.store import Store
from queries.kql import load_kql
from tests.fakes.log_analytics import (
    TOKEN,
    WORKSPACE,
    FakeLogAnalytics,
    TokenCredential,
    result_table,
)
from tests.fixtures.log_analytics_rows import apim_row

TARGET_S = 15.0


def build_body(count: int, start: datetime) -> bytes:
    step = timedelta(hours=1) / count
    rows = [
        apim_row(start + i * step, f"{i:08x}-0000-4000-8000-000000000000",
                 subscription=f"sub-{i % 50}", backend_request_id=f"req-{i}")
        for i in range(count)
    ]  # fmt: skip
    for row in rows:  # what a gateway log says of a backend: its host
        row["BackendUrl"] = "https://aoai-prod.openai.azure.com/openai"
    return json.dumps({"tables": [result_table("ApiManagementGatewayLlmLog", rows)]}).encode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=500_000)
    args = parser.parse_args()
    start = datetime(2026, 11, 1, tzinfo=UTC)
    end = start + timedelta(hours=1)
    print(f"building a {args.rows:,}-row response ...", flush=True)
    fake = FakeLogAnalytics().start()
    fake.fixed_body = build_body(args.rows, start)
    print(f"response body: {len(fake.fixed_body) / 2**20:.0f} MiB")
    config = LogAnalyticsConfig(
        workspace_id=WORKSPACE, endpoint=fake.endpoint, retry_total=0, row_limit=args.rows + 1
    )
    client = build_client(config, TokenCredential())
    text = load_kql("apim").with_prelude({"row_limit": config.row_limit})
    with tempfile.TemporaryDirectory() as folder:
        store = Store(Path(folder) / "lens.duckdb")
        timings: dict[str, float] = {}
        with cyclic_gc_paused():  # as the poller does around a slice
            load = os.getloadavg()[0]
            cpu_began = time.process_time()
            began = time.perf_counter()
            result = run_query(client, config, text, start, end)
            timings["HTTP + JSON decoding"] = time.perf_counter() - began
            mark = time.perf_counter()
            columns = table_columns(result.tables)
            timings["decode (rows -> Arrow columns)"] = time.perf_counter() - mark
            mark = time.perf_counter()
            calls, bad = normalize_calls("apim", columns, "loganalytics:apim")
            timings["normalise (SQL over columns)"] = time.perf_counter() - mark
            mark = time.perf_counter()
            written = store.write(calls, [], source="loganalytics:apim", rejected=bad)
            timings["DuckDB write (new calls)"] = time.perf_counter() - mark
            total = time.perf_counter() - began
            cpu = time.process_time() - cpu_began
        mark = time.perf_counter()
        again = store.write(calls, [], source="loganalytics:apim", rejected=bad)
        reread = time.perf_counter() - mark
        store.close()
    mark = time.perf_counter()
    response = httpx.post(
        f"{fake.endpoint}/v1/workspaces/{WORKSPACE}/query",
        json={"query": text, "timespan": None},
        headers={"Authorization": f"Bearer {TOKEN}"},
        timeout=120,
    )
    parsed = json.loads(response.content)
    floor = time.perf_counter() - mark
    fake.stop()
    assert len(parsed["tables"][0]["rows"]) == args.rows
    assert written.calls_inserted == args.rows and again.calls_duplicate == args.rows
    print(f"{args.rows:,} rows pulled and stored in {total:.1f} s "
          f"({args.rows / total:,.0f} rows/s; target < {TARGET_S:.0f} s); {cpu:.1f} s of CPU in "
          f"this process (the fake server included); load average {load:.1f} on "
          f"{os.cpu_count()} cores at the start")  # fmt: skip
    for phase, seconds in timings.items():
        print(f"  {phase:<30} {seconds:6.2f} s  {100 * seconds / total:4.0f}%")
    print(f"re-read of the same slice (all {args.rows:,} already stored): {reread:.1f} s")
    print(f"baseline, httpx + json.loads of the same body: {floor:.2f} s")


if __name__ == "__main__":
    main()
