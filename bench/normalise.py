"""The normaliser's CPU a group, this code against a baseline revision.

Run: ``python -m bench.normalise [--baseline-rev 8f242ab] [--rounds 3]``

What the ingest queue does with a group of requests (``collectors/queue.py``): their span
tables numbered and concatenated, ``normalize_spans``, then each request's calls, verdicts,
problem and rejected spans. Measured on the ingest bench's synthetic spans as the ingest
workers hand them over (decoded, flattened, through Arrow IPC) in groups of 1 span (the
fixed cost), 512 (one request), 1,024 (two) and 2,048 (four), in a fresh process for each
code tree, the trees taking turns; the CPU time (``time.process_time``, Arrow's threads
included) of a group, the lowest round of each tree.

It first checks that both trees computed the same: each request's calls and verdicts
(columns, types and values), problem, rejected spans and the group's hints, for the timed
groups and for a group of odd requests (a duplicate call id within a request and across
two, a child HTTP span, spans that are not calls, a request without calls, an impossible
span, verdicts from several attributes of one call), grouped and each request alone.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status

from bench.ingest import ROOT, calibration_us, checkout, remove_checkout, run_in_tree
from collectors.otlp.synthetic import export_requests

BATCH = 512
TIMED = {"1 span": 1, "512 spans": 512, "1,024 spans": 1024, "2,048 spans": 2048}
_END = datetime(2026, 11, 30, tzinfo=UTC)
_NOW = _END + timedelta(hours=1)

# Run in the tree measured, so that it imports that tree's collectors.
_MEASURE = """
import hashlib, json, pickle, sys, time
from datetime import datetime
import orjson
import pyarrow as pa
from collectors.otlp.decode import decode_raw_attributes_request
from collectors.otlp.flatten import flatten_request
from collectors.genai.normalize import normalize_spans
from collectors.queue import _numbered

groups, timed = pickle.loads(open(sys.argv[1], "rb").read())
now = datetime.fromisoformat(sys.argv[2])

def worker_table(body):
    flat = flatten_request(decode_raw_attributes_request(body, "application/x-protobuf"), now=now)
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, flat.spans.schema) as writer:
        writer.write_table(flat.spans)
    return pa.ipc.open_stream(sink.getvalue()).read_all()

def table_digest(table):
    rows = orjson.dumps([str(table.schema), table.to_pylist()])
    return hashlib.sha256(rows).hexdigest()

def queued(tables):
    # what the queue does with a group (collectors/queue.py _normalised)
    spans = pa.concat_tables(_numbered(t, n) for n, t in enumerate(tables))
    batch = normalize_spans(spans, source="otlp")
    for n in range(len(tables)):
        if batch.problems.get(n) is None:
            batch.rejected.get(n)
            batch.calls_of(n), batch.verdicts_of(n)
    return batch

def normalised(tables):
    batch = queued(tables)
    out = []
    for n in range(len(tables)):
        problem = batch.problems.get(n)
        rejected = batch.rejected.get(n)
        entry = {"problem": problem,
                 "rejected": None if rejected is None else [
                     sorted(rejected.counts.items()), sorted(rejected.other_operations)]}
        if problem is None:  # the queue reads no calls of a refused request
            calls, verdicts = batch.calls_of(n), batch.verdicts_of(n)
            entry.update(calls=calls.num_rows, verdicts=verdicts.num_rows,
                         calls_digest=table_digest(calls),
                         verdicts_digest=table_digest(verdicts))
        out.append(entry)
    return out, table_digest(batch.hints)

results, seconds = {}, {}
for label, bodies in groups.items():
    tables = [worker_table(b) for b in bodies]
    results[label] = normalised(tables)
    if label not in timed:
        continue
    reps = max(5, 20 * 512 // max(512, sum(t.num_rows for t in tables)))
    for _ in range(3):
        queued(tables)
    best = float("inf")
    for _ in range(int(sys.argv[3])):
        cpu = time.process_time()
        for _ in range(reps):
            queued(tables)
        best = min(best, (time.process_time() - cpu) / reps)
    seconds[label] = best
print(json.dumps({"results": results, "seconds": seconds}))
"""


def measure(tree: Path, groups_file: Path, repeats: int) -> dict[str, dict[str, object]]:
    """The groups normalised in a fresh process running the code of ``tree``."""
    printed = run_in_tree(tree, _MEASURE, str(groups_file), _NOW.isoformat(), str(repeats))
    result: dict[str, dict[str, object]] = json.loads(printed)
    return result


def _kv(key: str, value: str | int | bool) -> KeyValue:
    if isinstance(value, bool):
        return KeyValue(key=key, value=AnyValue(bool_value=value))
    if isinstance(value, int):
        return KeyValue(key=key, value=AnyValue(int_value=value))
    return KeyValue(key=key, value=AnyValue(string_value=value))


def _span(trace: int, span: int, attributes: dict[str, str | int | bool], **fields: object) -> Span:
    start = int((_END - timedelta(minutes=5)).timestamp() * 1e9) + span * 1_000_000
    made = Span(
        trace_id=trace.to_bytes(16, "big"),
        span_id=span.to_bytes(8, "big"),
        name=str(fields.get("name", "chat chat-prod")),
        kind=Span.SPAN_KIND_CLIENT,
        start_time_unix_nano=start,
        end_time_unix_nano=start + 800_000_000,
        attributes=[_kv(k, v) for k, v in attributes.items()],
    )
    if "parent" in fields:
        made.parent_span_id = int(str(fields["parent"])).to_bytes(8, "big")
    if "status" in fields:
        made.status.CopyFrom(Status(code=Status.STATUS_CODE_ERROR, message=str(fields["status"])))
    return made


def _request(*spans: Span) -> bytes:
    request = ExportTraceServiceRequest()
    resource_spans = request.resource_spans.add()
    resource_spans.resource.attributes.append(_kv("service.name", "odd-api"))
    resource_spans.scope_spans.add().spans.extend(spans)
    return request.SerializeToString()


def _verdict(filtered: bool, severity: str) -> dict[str, object]:
    return {"filtered": filtered, "severity": severity}


def odd_requests() -> list[bytes]:
    """Requests that take the normaliser's rarer paths (see the module's text)."""
    call: dict[str, str | int | bool] = {"gen_ai.operation.name": "chat", "gen_ai.system": "openai",
            "gen_ai.request.model": "chat-prod", "gen_ai.usage.input_tokens": 100,
            "gen_ai.usage.output_tokens": 20}  # fmt: skip
    prompt = json.dumps([{"prompt_index": 0, "content_filter_results": {
        "hate": _verdict(False, "safe"), "violence": _verdict(False, "low")}}])  # fmt: skip
    stronger = json.dumps([{"prompt_index": 0, "content_filter_results": {
        "violence": _verdict(True, "high"), "sexual": _verdict(False, "safe")}}])  # fmt: skip
    choice = json.dumps(
        {"hate": _verdict(False, "medium"), "jailbreak": {"filtered": False, "detected": True}}
    )
    messages = json.dumps([{"role": "assistant", "content_filter_results": {
        "hate": _verdict(False, "safe"), "self_harm": _verdict(False, "low")}}])  # fmt: skip
    url = "https://aoai-odd.openai.azure.com/openai/deployments/odd-dep/chat/completions"
    first = _request(
        _span(1, 1, {**call, "azure.openai.prompt_filter_results": prompt}),
        _span(1, 2, call),
        _span(1, 1, {**call, "gen_ai.usage.input_tokens": 999}),  # the same call id again
        _span(
            1,
            3,
            {"url.full": url + "?api-version=2024-10-21", "http.response.status_code": 200},
            name="POST",
            parent=4,
        ),
        _span(1, 5, {"gen_ai.operation.name": "execute_tool"}, name="execute_tool"),
        _span(
            1,
            6,
            {
                "llm.request.type": "chat",
                "gen_ai.system": "Azure",
                "gen_ai.request.model": "odd-model",
                "gen_ai.usage.prompt_tokens": 7,
                "gen_ai.prompt.prompt_filter_results": stronger,
                "azure.openai.prompt_filter_results": prompt,
                "gen_ai.completion.0.content_filter_results": choice,
                "gen_ai.completion.0.finish_reason": "stop",
                "gen_ai.output.messages": messages,
            },
            name="openai.chat",
        ),
    )
    refused = _request(
        _span(2, 1, call),
        _span(2, 2, {**call, "gen_ai.usage.input_tokens": "many"}),  # impossible
    )
    no_calls = _request(
        _span(3, 1, {"gen_ai.operation.name": "invoke_agent"}, name="invoke_agent"),
        _span(3, 2, {"url.full": url, "http.response.status_code": 429}, name="POST", parent=9),
    )
    again = _request(
        _span(1, 1, {**call, "gen_ai.usage.input_tokens": 5}),  # request one's call id
        _span(
            1,
            4,
            {"gen_ai.operation.name": "chat", "gen_ai.request.model": "chat"},
            status="Error code: 400 - {'error': {'code': 'content_filter', 'status': 400, "
            "'innererror': {'content_filter_result': {'hate': {'filtered': True, "
            "'severity': 'high'}}}}}",
        ),
    )
    return [first, refused, no_calls, again]


def groups_to_normalise() -> tuple[dict[str, list[bytes]], list[str]]:
    """Every group by its label, and the labels of those timed."""
    start = _END - timedelta(days=2)
    bodies = [r.SerializeToString() for r in export_requests(start, _END, 4 * BATCH, BATCH)]
    groups = {"1 span": [next(export_requests(start, _END, 1, 1)).SerializeToString()]}
    for label, spans in TIMED.items():
        if spans >= BATCH:
            groups[label] = bodies[: spans // BATCH]
    odd = odd_requests()
    groups["odd requests, grouped"] = odd
    groups.update({f"odd request {n}, alone": [body] for n, body in enumerate(odd)})
    return groups, list(TIMED)


def _best(runs: list[dict[str, dict[str, object]]], label: str) -> dict[str, float]:
    """The lowest CPU of each timed group over the runs of one tree (which must agree)."""
    if any(run["results"] != runs[0]["results"] for run in runs):
        raise SystemExit(f"{label} normalised the groups differently from run to run")
    return {group: min(float(str(run["seconds"][group])) for run in runs) for group in TIMED}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline-rev", default="8f242ab", help="git revision; '' for none")
    parser.add_argument("--rounds", type=int, default=3, help="turns of each tree")
    parser.add_argument("--repeats", type=int, default=5, help="timings of a group a turn")
    args = parser.parse_args()
    print(f"machine: timeit sum(range(1000)) = {calibration_us():.1f} us, {os.cpu_count()} cores")
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        groups_file = work / "groups.pickle"
        groups_file.write_bytes(pickle.dumps(groups_to_normalise()))
        trees = [("this code", ROOT)]
        if args.baseline_rev:
            trees.append((f"baseline {args.baseline_rev}", checkout(args.baseline_rev, work)))
        try:
            # Taking turns, so that a busy moment of the machine falls on both trees.
            rounds = [
                [measure(tree, groups_file, args.repeats) for _, tree in trees]
                for _ in range(args.rounds)
            ]
        finally:
            for _, tree in trees[1:]:
                remove_checkout(tree)
    runs = {label: [r[n] for r in rounds] for n, (label, _) in enumerate(trees)}
    ours = runs["this code"][0]["results"]
    for label, tree_runs in runs.items():
        if tree_runs[0]["results"] != ours:
            differing = [g for g in ours if tree_runs[0]["results"].get(g) != ours[g]]
            raise SystemExit(f"{label} normalised these groups differently: {differing}")
    _print_checked(ours)
    best = {label: _best(tree_runs, label) for label, tree_runs in runs.items()}
    for group in TIMED:
        figures = ", ".join(f"{label} {best[label][group] * 1e3:.2f}" for label in best)
        print(f"{group} a group: CPU ms {figures}")


def _print_checked(results: Any) -> None:
    """What both trees computed alike, in short."""
    for group, (requests, _) in results.items():
        made = "; ".join(
            f"refused ({entry['problem'][:40]}...)" if entry["problem"]
            else f"{entry['calls']} calls, {entry['verdicts']} verdicts"
            for entry in requests
        )  # fmt: skip
        print(f"  same results, {group}: {made}")


if __name__ == "__main__":
    main()
