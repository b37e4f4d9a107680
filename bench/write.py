"""The store's write of a group: CPU a group and a span, this code against a baseline revision.

Run: ``python -m bench.write [--requests 24] [--ledger 1000000] [--baseline-rev 8f242ab]``

The bench's synthetic spans (``collectors/otlp/synthetic.py``), decoded, flattened and
normalised by this code once, kept as Arrow files, then written by each code tree in a
fresh process as the server's writer does: ``Store.prepare`` then ``Store.write_many`` of
one group (the group's child-span hints with it), into a copy of a ledger that already holds
``--ledger`` calls over the same days (purged once, as a running lens does daily), for
groups of one span and of 512, 1,024 and 2,048 spans (requests of 512). The CPU time
(``time.process_time``, DuckDB's and Arrow's threads included) of prepare + write, the
trees taking turns (``--rounds``), the lowest of the turns, the first group of each size
left out (it reads the query files). It first checks
what both stored: the calls, verdicts, ingest log (counts), hints and summaries of each
tree the same (a digest of their rows, the summaries summed per key), after the first group
was sent again (stored once) and, in a tree that counts a day's latency once the day is
sealed (decision 0042), after its open hours were sealed, then prints ms a group and µs a
span, the CPU of that seal, and the machine's calibration. With ``--request-ids`` every
span carries a request id of its own, as the lens's instrumented client records one
(``azure.openai.request_id``): each write then also looks for another source's report of
its calls (decision 0040).
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow.feather as feather

from bench.ingest import (
    ROOT,
    calibration_us,
    checkout,
    give_request_ids,
    remove_checkout,
    run_in_tree,
)
from collectors.genai.normalize import normalize_spans
from collectors.otlp.decode import PROTOBUF, decode_raw_attributes_request
from collectors.otlp.flatten import flatten_request
from collectors.otlp.synthetic import export_requests

BATCH = 512
GROUPS = (1, 512, 1024, 2048)  # spans a group
_END = datetime(2026, 11, 30, 12, tzinfo=UTC)
_NOW = _END + timedelta(minutes=5)

# Run in the tree measured, so that it imports that tree's collectors.
_MEASURE = """
import hashlib, json, shutil, sys, time
from pathlib import Path
import duckdb
import pyarrow as pa
import pyarrow.feather as feather
from collectors.store import Batch, Store

data, ledger, work = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
sizes = json.loads(sys.argv[4])

def read(folder):
    requests = []
    for calls in sorted(folder.glob("*.calls.arrow")):
        stem = calls.name.removesuffix(".calls.arrow")
        requests.append((feather.read_table(calls),
                         feather.read_table(folder / f"{stem}.verdicts.arrow"),
                         feather.read_table(folder / f"{stem}.hints.arrow")))
    return requests

DIGESTS = {
    "calls": "SELECT * EXCLUDE (ingested_at) FROM calls WHERE call_id NOT LIKE 'ledger%'"
             " ORDER BY call_id",
    "ledger": "SELECT count(*), sum(input_tokens) FROM calls WHERE call_id LIKE 'ledger%'",
    "filter_results": "SELECT * FROM filter_results ORDER BY ALL",
    "ingest_log": "SELECT source, sum(calls), sum(rejected), count(*) FROM ingest_log"
                  " GROUP BY ALL ORDER BY ALL",
    "call_hints": "SELECT * EXCLUDE (received_at) FROM call_hints ORDER BY ALL",
    "usage_hourly": "SELECT * EXCLUDE (requests, errors, throttled, unknown_deployment,"
        " synthetic, input_tokens, cached_input_tokens, output_tokens, reasoning_tokens,"
        " unknown_tokens, cache_write_tokens), sum(COLUMNS(['requests', 'errors', 'throttled',"
        " 'unknown_deployment', 'synthetic', 'input_tokens', 'cached_input_tokens',"
        " 'output_tokens', 'reasoning_tokens', 'unknown_tokens', 'cache_write_tokens']))"
        " FROM usage_hourly GROUP BY ALL ORDER BY ALL",
    "latency_hourly": "SELECT * EXCLUDE (duration_calls, ttft_calls, speed_calls),"
        " sum(duration_calls), sum(ttft_calls), sum(speed_calls) FROM latency_hourly"
        " GROUP BY ALL ORDER BY ALL",
    "latency_daily": "SELECT * EXCLUDE (duration_calls, ttft_calls, speed_calls),"
        " sum(duration_calls), sum(ttft_calls), sum(speed_calls) FROM latency_daily"
        " GROUP BY ALL ORDER BY ALL",
}

def digest(path):
    found = {}
    with duckdb.connect(str(path), read_only=True) as con:
        for table, sql in DIGESTS.items():
            rows = con.execute(sql).fetchall()
            found[table] = [len(rows), hashlib.sha256(repr(rows).encode()).hexdigest()]
    return found

results = {}
for size in sizes:
    per_group = max(1, size // 512)
    requests = read(data / ("one" if size == 1 else "many"))
    groups = [requests[i : i + per_group] for i in range(0, len(requests), per_group)]
    db = work / f"write-{size}.duckdb"
    shutil.copy(ledger, db)
    store = Store(db)
    seconds = 0.0
    spans = 0
    for number, group in enumerate(groups):
        batches = [Batch(calls, verdicts, "otlp") for calls, verdicts, _ in group]
        hints = pa.concat_tables([h for _, _, h in group])
        cpu = time.process_time()
        prepared = store.prepare(batches)
        store.write_many(batches, hints, prepared)
        if number:  # the first group reads the query files: not counted
            seconds += time.process_time() - cpu
            spans += sum(b.calls.num_rows for b in batches)
    again = [Batch(calls, verdicts, "otlp") for calls, verdicts, _ in groups[0]]
    store.write_many(again, pa.concat_tables([h for _, _, h in groups[0]]))
    sealing = None
    if hasattr(store, "seal_latency_hours"):  # a tree whose sketch counts sealed hours
        cpu = time.process_time()
        store.seal_latency_hours()
        sealing = time.process_time() - cpu
    store.close()
    results[str(size)] = {"groups": len(groups) - 1, "spans": spans, "seconds": seconds,
                          "sealing": sealing, "digest": digest(db)}
    db.unlink()
print("results:", json.dumps(results))
"""

# Run in this tree: a ledger of ``n`` calls over the week before the spans, and over them.
_FILL = """
INSERT INTO calls BY NAME
SELECT 'ledger' || i AS call_id, md5_number_lower('ledger' || i) AS call_key,
    'otlp' AS source, $end - to_microseconds(CAST(i AS BIGINT) * $step) AS start_time,
    'chat' AS operation, 'dep-' || (i % 6) AS deployment,
    'attribute' AS deployment_source, 'gpt-4o-2024-11-20' AS model,
    'tenant-' || (i % 9) AS tenant_id, 'ok' AS status, 200 AS http_status,
    100 + i % 3000 AS input_tokens, 50 + i % 800 AS output_tokens, 300.0 AS duration_ms,
    'none' AS filter_action, '{}' AS attributes, 'req-' || i AS request_id
FROM range($n) AS r(i)
"""


def write_requests(
    folder: Path, start: datetime, spans: int, batch: int, request_ids: bool = False
) -> None:
    """The requests' calls, verdicts and hints as this code normalises them, as Arrow files;
    with ``request_ids``, each span carrying one of its own."""
    folder.mkdir()
    requests = export_requests(start, _END, spans, batch)
    for number, request in enumerate(requests):
        if request_ids:
            give_request_ids(request)
        flat = flatten_request(
            decode_raw_attributes_request(request.SerializeToString(), PROTOBUF), now=_NOW
        )
        normalised = normalize_spans(flat.spans, source="otlp")
        stem = folder / f"{number:05d}"
        feather.write_feather(normalised.calls_of(0), f"{stem}.calls.arrow")
        feather.write_feather(normalised.verdicts_of(0), f"{stem}.verdicts.arrow")
        feather.write_feather(normalised.hints, f"{stem}.hints.arrow")


def fill_ledger(path: Path, calls: int) -> None:
    """A ledger file holding ``calls`` calls over the week to ``_END`` (summaries included)."""
    import duckdb

    from collectors.retention import RetentionConfig
    from collectors.store import Store

    Store(path).close()
    if calls:
        step = int(timedelta(days=7) / timedelta(microseconds=1)) // calls
        with duckdb.connect(str(path)) as con:
            con.execute(_FILL, {"end": _END, "step": step, "n": calls})
    store = Store(path)  # sums the summaries again, as for any file written by SQL
    # A running lens purges daily: the store then knows retention's horizons (400 days of
    # calls by default, nothing of the ledger's week), and each write checks them.
    store.purge(RetentionConfig())
    store.close()


def measure(tree: Path, data: Path, ledger: Path, work: Path) -> dict[str, dict]:
    """Every group size written by the code of ``tree`` in a fresh process."""
    printed = run_in_tree(tree, _MEASURE, str(data), str(ledger), str(work), json.dumps(GROUPS))
    last = printed.splitlines()[-1]  # after anything DuckDB printed
    result: dict[str, dict] = json.loads(last.removeprefix("results:"))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=24, help="requests of 512 spans")
    parser.add_argument("--ledger", type=int, default=1_000_000, help="calls stored before")
    parser.add_argument("--rounds", type=int, default=3, help="turns of each tree")
    parser.add_argument("--baseline-rev", default="8f242ab", help="git revision; '' for none")
    parser.add_argument("--request-ids", action="store_true", help="each span carries a request id")
    args = parser.parse_args()
    spans = args.requests * BATCH
    print(f"machine: timeit sum(range(1000)) = {calibration_us():.1f} us, {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        data = work / "data"
        data.mkdir()
        # Live traffic: the spans of the last hour, and of one-span requests the last minute.
        ids = args.request_ids
        write_requests(data / "many", _END - timedelta(hours=1), spans, BATCH, ids)
        write_requests(data / "one", _END - timedelta(minutes=1), 64, 1, ids)
        print(f"filling a ledger with {args.ledger:,} calls ...", flush=True)
        ledger = work / "ledger.duckdb"
        fill_ledger(ledger, args.ledger)
        trees = [("this code", ROOT)]
        if args.baseline_rev:
            trees.append((f"baseline {args.baseline_rev}", checkout(args.baseline_rev, work)))
        try:
            # Taking turns, so that a busy moment of the machine falls on both trees.
            rounds = [
                [measure(tree, data, ledger, work) for _, tree in trees] for _ in range(args.rounds)
            ]
        finally:
            for _, tree in trees[1:]:
                remove_checkout(tree)
    for size in map(str, GROUPS):
        digests = {json.dumps(r[size]["digest"], sort_keys=True) for turn in rounds for r in turn}
        if len(digests) != 1:
            raise SystemExit(f"groups of {size} spans: the trees or turns stored different rows")
    first = rounds[0][0]
    stored = first[str(BATCH)]["digest"]
    print(f"checked: each tree stored the same rows ({stored['calls'][0]:,} calls beside"
          f" the ledger's, {stored['filter_results'][0]:,} verdicts), the first group sent"
          " twice")  # fmt: skip
    for size in map(str, GROUPS):
        groups, count = first[size]["groups"], first[size]["spans"]
        line = [f"groups of {int(size):>5,} spans ({groups} groups):"]
        for index, (label, _) in enumerate(trees):
            best = min(turn[index][size]["seconds"] for turn in rounds)
            per_group, per_span = best / groups * 1e3, best / count * 1e6
            line.append(f"{label} {per_group:6.1f} ms a group, {per_span:7.1f} us a span")
        if len(trees) == 2:
            ours = min(turn[0][size]["seconds"] for turn in rounds)
            theirs = min(turn[1][size]["seconds"] for turn in rounds)
            line.append(f"({(1 - ours / theirs) * 100:.0f} % less CPU)")
        print("  ".join(line))
    sealed = [min(turn[0][size]["sealing"] for turn in rounds) for size in map(str, GROUPS)]
    if all(seconds is not None for seconds in sealed):
        print(
            f"then, this code's seal of the latency sketch's open hours (their calls counted"
            f" once, the ledger's of those hours included): {min(sealed) * 1e3:.0f} to"
            f" {max(sealed) * 1e3:.0f} ms"
        )


if __name__ == "__main__":
    main()
