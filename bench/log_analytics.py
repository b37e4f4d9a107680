"""Log Analytics pull benchmark: one maximal response (500,000 rows of one calls source,
API Management by default) pulled with the real LogsQueryClient from a local fake
workspace and stored in a real DuckDB file.

Prints the time of each phase: HTTP + JSON parsing, our decode (result rows -> Arrow
columns), normalise (the source's SQL over those columns) and the DuckDB write, then a
re-read of the same slice (every call already stored: the upsert path). The same-run baseline is
the floor of the wire part: the same body fetched with httpx and parsed with json.loads.
The fake server runs in this process and competes for the same CPU.

Run with ``make bench`` or ``python -m bench.log_analytics [--rows N] [--source NAME]``.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from collectors.loganalytics.client import LogAnalyticsConfig, build_client, run_query
from collectors.loganalytics.decode import table_columns
from collectors.loganalytics.normalize import normalize_calls
from collectors.loganalytics.poller import cyclic_gc_paused
from collectors.loganalytics.sources import SOURCES
from collectors.store import Store
from lens_harness.log_analytics import (
    TOKEN,
    WORKSPACE,
    FakeLogAnalytics,
    TokenCredential,
    result_table,
)
from lens_harness.log_analytics_rows import apim_row, app_insights_row, diagnostics_row
from queries.kql import load_kql

TARGET_S = 15.0


def _apim(at: datetime, i: int) -> dict[str, Any]:
    row = apim_row(at, f"{i:08x}-0000-4000-8000-000000000000",
                   subscription=f"sub-{i % 50}", backend_request_id=f"req-{i}")  # fmt: skip
    row["BackendUrl"] = "https://aoai-prod.openai.azure.com/openai"  # a gateway log's backend
    return row


def _app_insights(at: datetime, i: int) -> dict[str, Any]:
    row = app_insights_row(at, f"{i:032x}", f"{i + 1:016x}")
    row["Properties"]["tenant.id"] = f"tenant-{i % 50}"
    return row


def _diagnostics(at: datetime, i: int) -> dict[str, Any]:
    return diagnostics_row(at, f"{i:08x}-0000-4000-8000-000000000000")


# Each calls source: the table its pull reads first (the fake's key) and a row maker.
ROWS: dict[str, tuple[str, Callable[[datetime, int], dict[str, Any]]]] = {
    "apim": ("ApiManagementGatewayLlmLog", _apim),
    "app_insights": ("AppDependencies", _app_insights),
    "azure_diagnostics": ("AzureDiagnostics", _diagnostics),
}


def build_body(count: int, start: datetime, source: str = "apim") -> bytes:
    table, make_row = ROWS[source]
    step = timedelta(hours=1) / count
    rows = [make_row(start + i * step, i) for i in range(count)]
    return json.dumps({"tables": [result_table(table, rows)]}).encode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=500_000)
    parser.add_argument("--source", choices=sorted(ROWS), default="apim")
    args = parser.parse_args()
    start = datetime(2026, 11, 1, tzinfo=UTC)
    end = start + timedelta(hours=1)
    print(f"building a {args.rows:,}-row {args.source} response ...", flush=True)
    fake = FakeLogAnalytics().start()
    fake.fixed_body = build_body(args.rows, start, args.source)
    print(f"response body: {len(fake.fixed_body) / 2**20:.0f} MiB")
    config = LogAnalyticsConfig(
        workspace_id=WORKSPACE, endpoint=fake.endpoint, retry_total=0, row_limit=args.rows + 1
    )
    client = build_client(config, TokenCredential())
    source = SOURCES[args.source]
    text = load_kql(source.kql).with_prelude({**source.params, "row_limit": config.row_limit})
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
            normalized = normalize_calls(source.name, columns, source.ledger_source)
            calls, verdicts, bad = normalized.calls, normalized.verdicts, normalized.left_out
            timings["normalise (SQL over columns)"] = time.perf_counter() - mark
            mark = time.perf_counter()
            written = store.write(calls, verdicts, source=source.ledger_source, rejected=bad)
            timings["DuckDB write (new calls)"] = time.perf_counter() - mark
            total = time.perf_counter() - began
            cpu = time.process_time() - cpu_began
        mark = time.perf_counter()
        again = store.write(calls, verdicts, source=source.ledger_source, rejected=bad)
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
