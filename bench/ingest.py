"""Ingest benchmark: GenAI spans/s end to end over HTTP into the lens server's DuckDB.

Run with ``make bench`` (or ``python -m bench.ingest``). It first checks that every run
stored what was sent (the call count and the input-token sum read from the bodies
themselves), then prints:

- end to end: protobuf batches of 512 spans POSTed to /v1/traces by 4 concurrent senders,
  spans/s until every batch is acknowledged (= committed), the server's peak RSS and CPU a
  span, its ingest worker processes included (``--workers`` sets ``LENS_INGEST_WORKERS``);
  the same for a baseline, the code at ``--baseline-rev`` (a git revision, checked out
  beside this one and started the same way), in the same run;
- the seal of the latency sketch's hours this code's run left open (their calls counted
  into the sketch, as the server does within ten minutes of an hour's end: decision 0042),
  timed once the server has stopped, and the rate with that seal counted in;
- with ``--ledger N``: the same ingest into a ledger that already holds N calls over the
  same week;
- with ``--request-ids``: every span carries a request id of its own (the instrumented
  client's ``azure.openai.request_id``), so each write also looks for another source's
  report of its calls;
- where the time goes inside one process: decode + flatten (the ingest workers' part),
  then the rules and the sums and commit of groups of 2 and 16 requests.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import threading
import time
import timeit
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import httpx
import pyarrow as pa
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from collectors.genai.attributes import AZURE_REQUEST_ID
from collectors.genai.normalize import normalize_spans
from collectors.otlp.decode import decode_raw_attributes_request
from collectors.otlp.flatten import flatten_request
from collectors.otlp.synthetic import export_requests
from collectors.store import Batch, Store
from lens_harness.lens_process import LensServer

PROTOBUF = {"Content-Type": "application/x-protobuf"}
ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Expected:
    calls: int
    input_tokens: int


@dataclass(frozen=True)
class Run:
    rate: float  # spans/s
    rss_mib: float  # the server's peak RSS, its worker processes' included (sum of peaks)
    pss_mib: float  # the largest PSS of them all together, sampled during the run
    server_cpu_us: float  # the server's CPU a span (all its threads and processes)
    workers_cpu_us: float  # of which its worker processes'
    processes: int


def calibration_us() -> float:
    """The machine's speed today: one timeit loop of sum(range(1000)), in microseconds."""
    return min(timeit.repeat("sum(range(1000))", number=20_000, repeat=5)) / 20_000 * 1e6


def peak_rss_mib(pid: int) -> float:
    """The process's peak resident memory (0 when it has ended)."""
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except FileNotFoundError:
        return 0.0
    for line in lines:
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def family(pid: int) -> list[int]:
    """``pid`` and every process below it (the ingest workers are children of a forkserver
    the server started)."""
    parents: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        parents.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        found.append(current := todo.pop())
        todo.extend(parents.get(current, []))
    return found


def family_peak_rss_mib(pids: list[int]) -> float:
    """The sum of each process's peak RSS: at most what they held at once (pages the
    workers share with the forkserver they came from are counted in each)."""
    return sum(peak_rss_mib(pid) for pid in pids)


def pss_mib(pids: list[int]) -> float:
    """What the processes hold now, each shared page divided among those that share it."""
    total = 0
    for pid in pids:
        try:
            lines = Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
        total += sum(int(line.split()[1]) for line in lines if line.startswith("Pss:"))
    return total / 1024


class PeakPss:
    """The largest ``pss_mib`` of a process and those below it, sampled every 0.2 s."""

    def __init__(self, pid: int) -> None:
        self.peak = 0.0
        self._pid = pid
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while not self._done.wait(0.2):
            self.peak = max(self.peak, pss_mib(family(self._pid)))

    def stop(self) -> float:
        self._done.set()
        self._thread.join()
        return self.peak


def cpu_s(pid: int) -> float:
    """CPU seconds (user + system) the process has used, its waited-for children included."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return 0.0
    ticks = sum(int(f) for f in fields[11:15])  # utime, stime, cutime, cstime
    return ticks / os.sysconf("SC_CLK_TCK")


def family_cpu_s(pids: list[int]) -> dict[int, float]:
    return {pid: cpu_s(pid) for pid in pids}


def make_bodies(spans: int, batch: int, request_ids: bool = False) -> list[bytes]:
    """The week to 5 minutes ago, in requests of ``batch`` spans; with ``request_ids``,
    each span carrying a request id of its own, as the instrumented client records one."""
    end = datetime.now(UTC) - timedelta(minutes=5)
    requests = list(export_requests(end - timedelta(days=7), end, spans, batch))
    if request_ids:
        for request in requests:
            give_request_ids(request)
    return [r.SerializeToString() for r in requests]


def give_request_ids(request: ExportTraceServiceRequest) -> None:
    """Every span of ``request`` carrying a request id of its own, as the instrumented
    client records one (``azure.openai.request_id``)."""
    for resource_spans in request.resource_spans:
        for scope_spans in resource_spans.scope_spans:
            for span in scope_spans.spans:
                item = span.attributes.add(key=AZURE_REQUEST_ID)
                item.value.string_value = f"bench-{span.span_id.hex()}"


def expected_of(bodies: list[bytes]) -> Expected:
    """What the server must store, read from the bodies without the lens's code."""
    calls = tokens = 0
    for body in bodies:
        request = ExportTraceServiceRequest.FromString(body)
        for resource_spans in request.resource_spans:
            for scope_spans in resource_spans.scope_spans:
                for span in scope_spans.spans:
                    calls += 1
                    for item in span.attributes:
                        if item.key == "gen_ai.usage.input_tokens":
                            tokens += item.value.int_value
    return Expected(calls, tokens)


def stored(db: Path, since: datetime) -> Expected:
    with duckdb.connect(str(db), read_only=True) as con:
        row = con.execute(
            "SELECT count(*), coalesce(sum(input_tokens), 0) FROM calls WHERE ingested_at >= $s",
            {"s": since},
        ).fetchone()
    assert row is not None
    return Expected(int(row[0]), int(row[1]))


def end_to_end(
    bodies: list[bytes],
    spans: int,
    senders: int,
    db: Path,
    work: Path,
    tree: Path | None,
    workers: int | None = None,
) -> tuple[Run, Expected]:
    env = {"PYTHONPATH": str(tree)} if tree is not None else {}
    if workers is not None:
        env["LENS_INGEST_WORKERS"] = str(workers)
    server = LensServer(db, work / f"{db.stem}.log", env=env).start(timeout_s=300)
    assert server.process is not None
    pid = server.process.pid
    failures: list[int] = []
    local = threading.local()

    def send(body: bytes) -> None:
        client = getattr(local, "client", None)
        if client is None:
            client = local.client = httpx.Client(timeout=120)
        while True:
            response = client.post(f"{server.url}/v1/traces", content=body, headers=PROTOBUF)
            if response.status_code in (429, 503):
                time.sleep(float(response.headers.get("Retry-After", "1")))
                continue
            if response.status_code != 200:
                failures.append(response.status_code)
            return

    began_at = datetime.now(UTC)
    cpu_before = family_cpu_s(family(pid))
    pss = PeakPss(pid)
    started = time.perf_counter()
    with ThreadPoolExecutor(senders) as pool:
        list(pool.map(send, bodies))
    elapsed = time.perf_counter() - started
    processes = family(pid)  # a worker that died and was replaced is not counted
    cpu_after = family_cpu_s(processes)
    used = {p: cpu_after[p] - cpu_before.get(p, 0.0) for p in processes}
    cpu_us = sum(used.values()) / spans * 1e6
    workers_us = (sum(used.values()) - used[pid]) / spans * 1e6
    rss = family_peak_rss_mib(processes)
    peak_pss = pss.stop()
    server.stop(timeout_s=60)
    if failures:
        raise SystemExit(f"ingest refused batches: {failures[:5]}")
    run = Run(spans / elapsed, rss, peak_pss, cpu_us, workers_us, len(processes))
    return run, stored(db, began_at)


def sealing(db: Path) -> tuple[int, float]:
    """The hours of the latency sketch a run left open, and the seconds their seal takes
    (every call of them counted, the current hour's included), the server stopped."""
    store = Store(db)
    try:
        began = time.perf_counter()
        hours = store.seal_latency_hours(before=datetime.max.replace(tzinfo=UTC))
        return len(hours), time.perf_counter() - began
    finally:
        store.close()


def checkout(rev: str, work: Path) -> Path:
    """The code at ``rev``, checked out beside this one (no install: it runs on this venv)."""
    tree = work / f"tree-{rev}"
    subprocess.run(
        ["git", "-C", str(ROOT), "worktree", "add", "--detach", str(tree), rev],
        check=True,
        capture_output=True,
    )
    return tree


def run_in_tree(tree: Path, script: str, *args: str) -> str:
    """What ``script`` prints, run in a fresh process on the code of ``tree`` (this venv)."""
    done = subprocess.run(
        [sys.executable, "-c", script, *args],
        cwd=tree,
        env={**os.environ, "PYTHONPATH": str(tree)},
        capture_output=True,
        text=True,
    )
    if done.returncode:
        raise SystemExit(f"the code of {tree} failed:\n{done.stderr[-3000:]}")
    return done.stdout


def remove_checkout(tree: Path) -> None:
    subprocess.run(
        ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)], capture_output=True
    )


def filled_ledger(path: Path, calls: int) -> Path:
    """A ledger file that already holds ``calls`` calls over the week the bench's spans
    start in (their hourly summary included), so that every write's windows meet them."""
    Store(path).close()
    step_us = int(timedelta(days=7) / timedelta(microseconds=1)) // max(calls, 1)
    with duckdb.connect(str(path)) as con:
        con.execute(
            """
            INSERT INTO calls BY NAME
            SELECT 'bench' || i AS call_id, md5_number_lower('bench' || i) AS call_key,
                'bench' AS source,
                now() - INTERVAL 5 MINUTE - to_microseconds(CAST(i AS BIGINT) * $step)
                    AS start_time,
                'chat' AS operation, 'dep-' || (i % 6) AS deployment,
                'attribute' AS deployment_source, 'gpt-4o-2024-11-20' AS model,
                'tenant-' || (i % 9) AS tenant_id, 'ok' AS status, 200 AS http_status,
                100 + i % 3000 AS input_tokens, 50 + i % 800 AS output_tokens,
                'none' AS filter_action, '{}' AS attributes, 'req-' || i AS request_id
            FROM range($n) AS r(i)
            """,
            {"n": calls, "step": step_us},
        )
    Store(path).close()  # sums the hourly summary again, as for any file written by SQL
    return path


def in_process_split(bodies: list[bytes], work: Path) -> dict[str, float]:
    """CPU microseconds per span of each step, in one process: decoding and flattening (the
    ingest workers' part), then the rules and the sums and commit of groups of 2 requests
    (what the server's groups are under four senders) and of 16."""
    cpu = time.process_time()
    decode = decode_raw_attributes_request  # as the receiver decodes
    flats = [flatten_request(decode(b, PROTOBUF["Content-Type"])) for b in bodies]
    steps = {"decode + flatten (workers)": time.process_time() - cpu}
    for per_group in (2, 16):
        store = Store(work / f"split-{per_group}.duckdb")
        normalise = write = 0.0
        for first in range(0, len(flats), per_group):
            spans = pa.concat_tables(f.spans for f in flats[first : first + per_group])
            cpu = time.process_time()
            batch = normalize_spans(spans, source="otlp")
            batches = [Batch(batch.calls_of(0), batch.verdicts_of(0), "otlp")]
            normalise += time.process_time() - cpu
            cpu = time.process_time()
            store.write_many(batches, batch.hints, store.prepare(batches))
            write += time.process_time() - cpu
        cpu = time.process_time()
        store.close()
        write += time.process_time() - cpu
        size = f"{per_group * 512:,} spans a group"
        steps[f"rules ({size})"] = normalise
        steps[f"sums + commit ({size})"] = write
    spans = sum(f.spans.num_rows for f in flats)
    return {step: seconds / spans * 1e6 for step, seconds in steps.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--spans", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=512)
    parser.add_argument("--senders", type=int, default=4)
    parser.add_argument(
        "--baseline-rev",
        default="068993b",
        help="git revision to compare with (default: before one ingest shape)",
    )
    parser.add_argument(
        "--ledger", type=int, default=0, help="also ingest into a ledger that holds this many calls"
    )
    parser.add_argument(
        "--request-ids",
        action="store_true",
        help="each span carries a request id, as the instrumented client records one",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help="LENS_INGEST_WORKERS of this code's server (default: its own default)",
    )
    args = parser.parse_args()  # fmt: skip
    print(f"machine: timeit sum(range(1000)) = {calibration_us():.1f} us, {os.cpu_count()} cores")
    print(f"generating {args.spans:,} spans in batches of {args.batch} ...", flush=True)
    bodies = make_bodies(args.spans, args.batch, args.request_ids)
    expected = expected_of(bodies)
    mib = sum(map(len, bodies)) / 2**20
    print(f"{len(bodies)} protobuf bodies, {mib:.1f} MiB, {expected.input_tokens:,} input tokens")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        os.chdir(work)  # servers import the code of their own tree, not this folder's
        runs: dict[str, Run] = {}
        labels: list[tuple[str, Path | None]] = [("this code", None)]
        tree = checkout(args.baseline_rev, work) if args.baseline_rev else None
        if tree is not None:
            labels.append((f"baseline {args.baseline_rev}", tree))
        try:
            for label, code in labels:
                db = work / f"{label.split()[0]}.duckdb"
                workers = args.workers if code is None else None
                run, got = end_to_end(bodies, expected.calls, args.senders, db, work, code, workers)
                if got != expected:
                    raise SystemExit(f"{label} stored {got}, expected {expected}")
                runs[label] = run
        finally:
            if tree is not None:
                remove_checkout(tree)
        print(f"checked: each run stored {expected.calls:,} calls and their input tokens")
        for label, run in runs.items():
            print(f"end to end, {label:<22}: {run.rate:>8,.0f} spans/s, "
                  f"peak RSS {run.rss_mib:,.0f} MiB in {run.processes} processes "
                  f"(PSS {run.pss_mib:,.0f} MiB), "
                  f"server CPU {run.server_cpu_us:.0f} us a span "
                  f"({run.workers_cpu_us:.0f} of it in other processes)")  # fmt: skip
        if len(runs) == 2:
            ours, theirs = runs.values()
            print(f"speed-up over the baseline: {ours.rate / theirs.rate:.1f}x")
        hours, seal_s = sealing(work / "this.duckdb")
        counted_in = expected.calls / (expected.calls / runs["this code"].rate + seal_s)
        print(f"then sealing the {hours} hours this code's run left open in the latency sketch:"
              f" {seal_s * 1e3:,.0f} ms ({seal_s / expected.calls * 1e6:.1f} us a span);"
              f" with it counted in, {counted_in:,.0f} spans/s")  # fmt: skip
        if args.ledger:
            print(f"filling a ledger with {args.ledger:,} calls ...", flush=True)
            ledger = filled_ledger(work / "full.duckdb", args.ledger)
            run, got = end_to_end(
                bodies, expected.calls, args.senders, ledger, work, None, args.workers
            )
            if got != expected:
                raise SystemExit(f"the full ledger stored {got}, expected {expected}")
            empty = runs["this code"].rate
            print(f"end to end into {args.ledger:,} calls: {run.rate:>8,.0f} spans/s "
                  f"({(1 - run.rate / empty) * 100:+.0f} % slower than empty), "
                  f"peak RSS {run.rss_mib:,.0f} MiB")  # fmt: skip
        for step, us in in_process_split(bodies[: min(len(bodies), 64)], work).items():
            print(f"  {step:<40}: {us:6.1f} us of CPU a span")


if __name__ == "__main__":
    main()
