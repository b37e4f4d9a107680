"""OTLP decode + flatten + the worker's answer: CPU microseconds a span, this code against a
baseline revision.

Run: ``python -m bench.flatten [--requests 48] [--batch 512] [--baseline-rev 50976d8]``

The bench's synthetic spans (22 attributes each) in protobuf requests of ``--batch``, each
turned into what an ingest worker sends back (``workers.flatten_body``: decode, flatten and
the Arrow IPC answer, where the code has it; else ``decode_raw_attributes_request`` or
``decode_export_request``, ``flatten_request`` and an Arrow IPC stream written here), one
request after the other, in a fresh process for each code tree, the trees taking turns
twice; the CPU time (``time.process_time``) of the first pass (the flattener has learnt no
attribute yet) and of the best later pass (what a running worker meets), the lowest of the
two turns. It first checks what both computed: every span flattened (all of them are GenAI)
and the same tables from both trees (a digest of their rows, read back from the answers),
then prints the figures and the machine's calibration. The default baseline is the
flattener that read attribute by attribute.
"""

from __future__ import annotations

import argparse
import json
import os
import struct
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.ingest import ROOT, calibration_us, checkout, remove_checkout, run_in_tree
from collectors.otlp.synthetic import export_requests

BATCH = 512
_END = datetime(2026, 11, 30, tzinfo=UTC)

# Run in the tree measured, so that it imports that tree's collectors.
_MEASURE = """
import hashlib, json, struct, sys, time
from datetime import datetime
import orjson
import pyarrow as pa
from collectors.otlp import decode
from collectors.otlp.flatten import flatten_request

try:
    from collectors.otlp.workers import flatten_body
except ImportError:  # before the ingest workers
    flatten_body = None
decode_for_flatten = getattr(decode, "decode_raw_attributes_request", None)
decode_for_flatten = decode_for_flatten or decode.decode_export_request


def answer(body):
    if flatten_body is not None:
        return flatten_body(body, decode.PROTOBUF, None, decode.DEFAULT_MAX_BODY_BYTES)
    table = flatten_request(decode_for_flatten(body, decode.PROTOBUF)).spans
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    return sink.getvalue().to_pybytes()


def table(answered):
    if isinstance(answered, bytes):
        return pa.ipc.open_stream(pa.py_buffer(answered)).read_all()
    return answered.flat().spans


data = open(sys.argv[1], "rb").read()
bodies, at = [], 0
while at < len(data):
    (size,) = struct.unpack_from("<I", data, at)
    bodies.append(data[at + 4 : at + 4 + size])
    at += 4 + size
passes = []
best_decode = float("inf")
for _ in range(3):
    cpu = time.process_time()
    answers = [answer(b) for b in bodies]
    passes.append(time.process_time() - cpu)
    cpu = time.process_time()
    for b in bodies:
        decode_for_flatten(b, decode.PROTOBUF)
    best_decode = min(best_decode, time.process_time() - cpu)
tables = [table(a) for a in answers]
spans = sum(t.num_rows for t in tables)
rows = orjson.dumps([t.to_pylist() for t in tables])
print(json.dumps({"spans": spans, "first": passes[0], "seconds": min(passes[1:]),
                  "decode_seconds": best_decode,
                  "digest": hashlib.sha256(rows).hexdigest()}))
"""


def measure(tree: Path, bodies_file: Path) -> dict[str, float | str]:
    """Decode + flatten of the bodies in a fresh process running the code of ``tree``."""
    result: dict[str, float | str] = json.loads(run_in_tree(tree, _MEASURE, str(bodies_file)))
    return result


def _best(*runs: dict[str, float | str]) -> dict[str, float | str]:
    """The lowest CPU of each figure over runs of one tree (which computed the same)."""
    if len({run["digest"] for run in runs}) != 1:
        raise SystemExit("one tree flattened the spans into different tables from run to run")
    names = ("first", "seconds", "decode_seconds")
    return {**runs[0], **{name: min(float(run[name]) for run in runs) for name in names}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=48, help="requests of --batch spans")
    parser.add_argument("--batch", type=int, default=BATCH, help="spans a request")
    parser.add_argument("--baseline-rev", default="50976d8", help="git revision; '' for none")
    args = parser.parse_args()
    spans = args.requests * args.batch
    start = _END - timedelta(days=2)
    print(f"machine: timeit sum(range(1000)) = {calibration_us():.1f} us, {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        bodies_file = work / "bodies.bin"
        with bodies_file.open("wb") as out:
            for request in export_requests(start, _END, spans, args.batch):
                body = request.SerializeToString()
                out.write(struct.pack("<I", len(body)) + body)
        trees = [("this code", ROOT)]
        if args.baseline_rev:
            trees.append((f"baseline {args.baseline_rev}", checkout(args.baseline_rev, work)))
        try:
            # Taking turns, so that a busy moment of the machine falls on both trees.
            rounds = [[measure(tree, bodies_file) for _, tree in trees] for _ in range(2)]
            results = [
                (label, _best(*runs)) for (label, _), *runs in zip(trees, *rounds, strict=True)
            ]
        finally:
            for _, tree in trees[1:]:
                remove_checkout(tree)
    for label, result in results:
        if result["spans"] != spans:
            raise SystemExit(f"{label} flattened {result['spans']} spans, not {spans}")
    if len({result["digest"] for _, result in results}) != 1:
        raise SystemExit("the trees flattened the spans into different tables")
    print(f"{spans:,} spans in {args.requests} requests, the same tables from each tree")
    for label, result in results:
        first = float(result["first"]) / spans * 1e6
        total = float(result["seconds"]) / spans * 1e6
        decode = float(result["decode_seconds"]) / spans * 1e6
        print(
            f"{label}: decode + flatten + answer {first:.1f} us/span on the first pass,"
            f" {total:.1f} on the next (best; decode alone {decode:.1f})"
        )


if __name__ == "__main__":
    main()
