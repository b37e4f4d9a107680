"""Ingest benchmark: GenAI spans/s end to end over HTTP into the lens server's DuckDB.

Run with ``make bench``. Prints:
- end to end: protobuf batches of 512 spans POSTed to /v1/traces by concurrent
  senders, spans/s until every batch is acknowledged (= committed), and the server's
  peak RSS;
- the split inside one process: decode + normalise vs batched store write;
- the baseline in the same run: a naive row-at-a-time INSERT (autocommit per call).
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import httpx

from collectors.otlp.decode import decode_export_request
from collectors.otlp.normalize import normalize_export_request
from collectors.otlp.synthetic import export_requests
from collectors.rows import CALL_COLUMNS
from collectors.store import Store
from tests.lens_process import LensServer

PROTOBUF = {"Content-Type": "application/x-protobuf"}


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def make_bodies(spans: int, batch: int) -> list[bytes]:
    end = datetime.now(UTC)
    return [
        r.SerializeToString() for r in export_requests(end - timedelta(days=30), end, spans, batch)
    ]


def end_to_end(bodies: list[bytes], spans: int, senders: int, work: Path) -> tuple[float, float]:
    server = LensServer(work / "e2e.duckdb", work / "server.log").start()
    assert server.process is not None
    pid = server.process.pid
    failures: list[int] = []
    local = threading.local()

    def send(body: bytes) -> None:
        client = getattr(local, "client", None)
        if client is None:
            client = local.client = httpx.Client(timeout=60)
        while True:
            response = client.post(f"{server.url}/v1/traces", content=body, headers=PROTOBUF)
            if response.status_code in (429, 503):
                time.sleep(float(response.headers.get("Retry-After", "1")))
                continue
            if response.status_code != 200:
                failures.append(response.status_code)
            return

    started = time.perf_counter()
    with ThreadPoolExecutor(senders) as pool:
        list(pool.map(send, bodies))
    elapsed = time.perf_counter() - started
    rss = peak_rss_mib(pid)
    calls = server.health()["calls"]
    server.stop()
    if failures or calls != spans:
        raise SystemExit(f"ingest lost data: {failures[:5]} calls={calls} expected={spans}")
    return spans / elapsed, rss


def in_process_split(bodies: list[bytes], spans: int, work: Path) -> tuple[float, float]:
    started = time.perf_counter()
    batches = [
        normalize_export_request(decode_export_request(b, "application/x-protobuf")) for b in bodies
    ]
    decode_s = time.perf_counter() - started
    store = Store(work / "split.duckdb")
    started = time.perf_counter()
    for batch in batches:
        store.write(batch.calls, batch.filter_results, source="otlp")
    write_s = time.perf_counter() - started
    store.close()
    return spans / decode_s, spans / write_s


def naive_row_at_a_time(bodies: list[bytes], rows: int, work: Path) -> float:
    """The baseline: one INSERT statement and one commit per call."""
    Store(work / "naive.duckdb").close()
    calls = [
        call
        for body in bodies
        for call in normalize_export_request(
            decode_export_request(body, "application/x-protobuf")
        ).calls
    ][:rows]
    con = duckdb.connect(str(work / "naive.duckdb"))
    placeholders = ", ".join("?" for _ in CALL_COLUMNS)
    statement = f"INSERT INTO calls ({', '.join(CALL_COLUMNS)}) VALUES ({placeholders})"
    started = time.perf_counter()
    for call in calls:
        values = [getattr(call, c) for c in CALL_COLUMNS]
        values[CALL_COLUMNS.index("attributes")] = "{}"
        con.execute(statement, values)
    elapsed = time.perf_counter() - started
    con.close()
    return len(calls) / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--spans", type=int, default=200 * 512)
    parser.add_argument("--batch", type=int, default=512)
    parser.add_argument("--senders", type=int, default=4)
    parser.add_argument("--naive-rows", type=int, default=5_000)
    args = parser.parse_args()
    print(f"generating {args.spans:,} spans in batches of {args.batch} ...", flush=True)
    bodies = make_bodies(args.spans, args.batch)
    mib = sum(map(len, bodies)) / 2**20
    print(f"{len(bodies)} protobuf bodies, {mib:.1f} MiB")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        rate, rss = end_to_end(bodies, args.spans, args.senders, work)
        print(f"end to end over HTTP   : {rate:>10,.0f} spans/s   server peak RSS {rss:,.0f} MiB")
        decode_rate, write_rate = in_process_split(bodies, args.spans, work)
        print(f"  decode + normalise   : {decode_rate:>10,.0f} spans/s (one thread)")
        print(f"  batched store write  : {write_rate:>10,.0f} spans/s (512 per transaction)")
        naive = naive_row_at_a_time(bodies, args.naive_rows, work)
        print(f"baseline row-at-a-time : {naive:>10,.0f} spans/s ({args.naive_rows:,} rows)")
        print(f"speed-up over baseline : {rate / naive:>10.1f}x")


if __name__ == "__main__":
    main()
