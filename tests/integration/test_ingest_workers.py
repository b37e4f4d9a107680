"""Ingest worker processes (decision 0025): the calls they make are the calls the server's
own threads make, a worker that dies costs its requests a 503 with Retry-After and nothing
more, and workers end with their server, even one killed with SIGKILL. Bodies and answers
cross as spool files (decision 0038), removed once read; a body that cannot be spooled
crosses the pipe."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import duckdb
import grpc
import httpx
import pytest
from google.rpc.error_details_pb2 import RetryInfo
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.trace.v1.trace_pb2 import Span

from collectors.otlp.decode import decode_raw_attributes_request
from collectors.otlp.flatten import flatten_request
from collectors.otlp.ingest import OtlpIngest
from collectors.otlp.workers import IngestWorkers, WorkerCrashedError
from collectors.queue import IngestQueue
from collectors.store import Store
from lens_harness.lens_process import LensServer
from tests.fixtures import otlp_spans as f

PROTOBUF = "application/x-protobuf"
EXPORT = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"
PROTOBUF_HEADERS = {"Content-Type": PROTOBUF}
PARENT = bytes.fromhex("1111111111111111")
START_NS = time.time_ns() - 3_600_000_000_000  # an hour ago: within content retention
END_NS = START_NS + 1_500_000_000
EMAIL_PROMPT = [{"role": "user", "parts": [{"type": "text", "content": "I am ann@contoso.com"}]}]


def _span(attributes: dict[str, object], **fields: object) -> Span:
    return f.make_span(attributes, start=START_NS, end=END_NS, **fields)  # type: ignore[arg-type]


def _requests() -> list[ExportTraceServiceRequest]:
    """A child HTTP span alone (its model call comes in the next request), then a blocked
    prompt, a filtered completion, a model call with an e-mail address in its prompt, the
    parent of the child span (it names no deployment), and an agent span (not a call)."""
    child = _span(
        f.HTTPX_CLIENT_POST, name="POST", span_id=bytes.fromhex("2222222222222222"),
        parent_span_id=PARENT,
    )  # fmt: skip
    calls = [
        _span(
            f.OURS_BLOCKED_PROMPT,
            span_id=bytes.fromhex("3333333333333333"),
            status_code=2,
            status_message="content_filter",
        ),
        _span(f.OURS_FILTERED_COMPLETION, span_id=bytes.fromhex("4444444444444444")),
        _span(
            {**f.OURS_FILTERED_COMPLETION, "gen_ai.input.messages": json.dumps(EMAIL_PROMPT)},
            span_id=bytes.fromhex("5555555555555555"),
        ),
        _span(
            {
                "gen_ai.operation.name": "chat",
                "gen_ai.request.model": "chat",
                "gen_ai.usage.input_tokens": 7,
                "gen_ai.usage.output_tokens": 3,
            },
            span_id=PARENT,
        ),
        _span(f.EXECUTE_TOOL, name="execute_tool", span_id=bytes.fromhex("6666666666666666")),
    ]
    return [f.make_request(child), f.make_request(*calls)]


def _ledger(db: Path) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    """Every call (but when it was ingested) and every verdict, in call id order."""
    with duckdb.connect(str(db), read_only=True) as con:
        calls = con.execute("SELECT * EXCLUDE (ingested_at) FROM calls ORDER BY call_id").fetchall()
        verdicts = con.execute("SELECT * FROM filter_results ORDER BY ALL").fetchall()
    return calls, verdicts


def _send_all(server: LensServer) -> list[dict[str, object]]:
    answers = []
    for request in _requests():
        response = httpx.post(
            f"{server.url}/v1/traces", content=request.SerializeToString(),
            headers=PROTOBUF_HEADERS, timeout=30,
        )  # fmt: skip
        assert response.status_code == 200, response.text
        answers.append({"status": response.status_code, "body": response.content})
    return answers


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[Callable[[str, dict[str, str]], LensServer]]:
    made: list[LensServer] = []

    def make(name: str, env: dict[str, str]) -> LensServer:
        server = LensServer(tmp_path / f"{name}.duckdb", tmp_path / f"{name}.log", env=env)
        made.append(server)
        return server.start()

    yield make
    for server in made:
        if server.process is not None:
            server.kill()


@pytest.fixture
def workers() -> Iterator[IngestWorkers]:
    """One started ingest worker, stopped after the test."""
    started = IngestWorkers(1)
    started.start()
    yield started
    started.stop()


def _filtered_body() -> bytes:
    """A request of one model call whose completion Azure filtered, as protobuf."""
    return f.make_request(_span(f.OURS_FILTERED_COMPLETION)).SerializeToString()


def test_workers_store_the_same_calls_and_verdicts_as_the_servers_threads(
    servers: Callable[[str, dict[str, str]], LensServer],
) -> None:
    threads = servers("threads", {"LENS_INGEST_WORKERS": "0"})
    workers = servers("workers", {"LENS_INGEST_WORKERS": "2"})
    assert threads.health()["otlp"]["workers"] == {"count": 0}  # type: ignore[index]
    assert workers.health()["otlp"]["workers"]["count"] == 2  # type: ignore[index]
    assert _send_all(threads) == _send_all(workers)  # the same answers, partial success too
    threads.stop()
    workers.stop()
    calls, verdicts = _ledger(workers.db_path)
    assert (calls, verdicts) == _ledger(threads.db_path)
    # What the rows hold, by hand: 4 calls (the agent span is not one); the parent took its
    # deployment from the child's URL; the e-mail address was redacted; the blocked prompt's
    # and the filtered completion's verdicts are there.
    with duckdb.connect(str(workers.db_path), read_only=True) as con:
        rows = con.execute(
            "SELECT call_id[-16:], deployment, filter_action, input_tokens, attributes "
            "FROM calls ORDER BY call_id"
        ).fetchall()
        filtered = con.execute("SELECT count(*) FROM filter_results WHERE filtered").fetchone()
    assert [r[:4] for r in rows] == [
        ("1111111111111111", "chat-prod", "none", 7),
        ("3333333333333333", "chat-prod", "blocked_prompt", None),
        ("4444444444444444", "chat-prod", "filtered_completion", 40),
        ("5555555555555555", "chat-prod", "filtered_completion", 40),
    ]
    assert "ann@contoso.com" not in rows[3][4] and "[redacted:email]" in rows[3][4], rows[3][4]
    assert filtered is not None and filtered[0] >= 3


def test_a_worker_that_dies_costs_its_request_a_503_and_the_pool_is_replaced(
    servers: Callable[[str, dict[str, str]], LensServer],
) -> None:
    server = servers("lens", {"LENS_INGEST_WORKERS": "2"})
    before = server.health()["otlp"]["workers"]  # type: ignore[index]
    assert len(before["pids"]) == 2 and before["replaced"] == 0
    for pid in before["pids"]:
        os.kill(pid, signal.SIGKILL)
    body = _filtered_body()
    refused = httpx.post(f"{server.url}/v1/traces", content=body, headers=PROTOBUF_HEADERS)
    assert refused.status_code == 503, refused.text
    assert refused.headers["Retry-After"] == "2"
    again = httpx.post(f"{server.url}/v1/traces", content=body, headers=PROTOBUF_HEADERS,
                       timeout=60)  # fmt: skip
    assert again.status_code == 200, again.text
    after = server.health()
    workers = after["otlp"]["workers"]  # type: ignore[index]
    assert workers["replaced"] == 1 and not set(workers["pids"]) & set(before["pids"])
    assert after["status"] == "ok" and after["calls"] == 1

    # The same over OTLP/gRPC: UNAVAILABLE with the wait as a RetryInfo, then stored.
    for pid in workers["pids"]:
        os.kill(pid, signal.SIGKILL)
    with grpc.insecure_channel(server.grpc_endpoint) as channel:
        export: Any = channel.unary_unary(EXPORT)
        with pytest.raises(grpc.RpcError) as caught:
            export(body, timeout=60)
        assert caught.value.code() == grpc.StatusCode.UNAVAILABLE, caught.value.details()
        trailers: dict[str, Any] = dict(caught.value.trailing_metadata() or ())  # type: ignore[arg-type]
        retry = RetryInfo.FromString(trailers["google.rpc.retryinfo-bin"])
        assert retry.retry_delay.seconds == 2
        assert export(body, timeout=60) == b""  # an empty ExportTraceServiceResponse
    final = server.health()
    assert final["otlp"]["workers"]["replaced"] == 2  # type: ignore[index]
    assert final["calls"] == 1  # the same call, stored once


def test_workers_end_with_a_server_killed_by_sigkill(
    servers: Callable[[str, dict[str, str]], LensServer],
) -> None:
    server = servers("lens", {"LENS_INGEST_WORKERS": "2"})
    pids = server.health()["otlp"]["workers"]["pids"]  # type: ignore[index]
    server.kill()
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [pid for pid in pids if _alive(pid)]


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[0] != "Z"  # a zombie has ended
    except FileNotFoundError:
        return False


def test_a_request_whose_worker_dies_fails_with_a_retryable_error(
    workers: IngestWorkers,
) -> None:
    body = _filtered_body()
    (pid,) = workers.pids()
    os.kill(pid, signal.SIGSTOP)  # the request is handed over, but not read
    held = workers.submit(body, PROTOBUF, None, 1_000_000)
    time.sleep(0.2)
    os.kill(pid, signal.SIGKILL)
    with pytest.raises(WorkerCrashedError):
        held.result(timeout=30)
    answer = workers.submit(body, PROTOBUF, None, 1_000_000).result(timeout=60)
    spans = answer.flat().spans
    assert spans["gen_ai.usage.input_tokens"].to_pylist() == ["40"]
    assert workers.replaced == 1


def test_a_child_span_and_its_model_call_flattened_apart_meet_in_one_group(
    tmp_path: Path,
) -> None:
    """Workers flatten requests one by one; when a child HTTP span and its model call come
    in two requests of one group, the call takes the child's deployment in one commit."""
    store = Store(tmp_path / "lens.duckdb")
    workers = IngestWorkers(1)
    workers.start()
    queue = IngestQueue(store, max_group_wait_s=2.0, max_group_spans=2)
    try:
        child, parent = _requests()[0], f.make_request(_requests()[1].resource_spans[0]
                                                        .scope_spans[0].spans[3])  # fmt: skip
        done = [
            workers.submit(r.SerializeToString(), PROTOBUF, None, 1_000_000).result(timeout=60)
            for r in (child, parent)
        ]
        futures = [queue.submit(a.flat(), source="otlp") for a in done]
        results = [future.result(timeout=30) for future in futures]
        assert [r.write.calls_inserted for r in results] == [0, 1]
        rows = (
            store.cursor()
            .execute("SELECT deployment, deployment_source, input_tokens FROM calls")
            .fetchall()
        )
        assert rows == [("chat-prod", "url_path", 7)]
        # One row a request, both from one transaction (current_timestamp is its start).
        log_rows = (
            store.cursor()
            .execute("SELECT count(*), count(DISTINCT received_at) FROM ingest_log")
            .fetchone()
        )
        assert log_rows == (2, 1)
    finally:
        queue.close()
        workers.stop()
        store.close()


def _flattened(body: bytes) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = flatten_request(
        decode_raw_attributes_request(body, PROTOBUF)
    ).spans.to_pylist()
    return rows


def test_bodies_and_answers_cross_as_spool_files_that_are_removed() -> None:
    """Decision 0038: a body goes to its worker as a file, the answer comes back as one;
    each is removed once read, and the folder with the workers."""
    workers = IngestWorkers(2)
    workers.start()
    spool = workers.spool
    try:
        assert spool is not None and spool.is_dir()
        bodies = [r.SerializeToString() for r in _requests()]
        answers = [workers.submit(b, PROTOBUF, None, 1_000_000).result(60) for b in bodies]
        assert all(a.spans is None and a.spans_file is not None for a in answers)
        assert sorted(p.suffix for p in spool.iterdir()) == [".spans"] * len(bodies)
        for body, answer in zip(bodies, answers, strict=True):
            assert answer.flat().spans.to_pylist() == _flattened(body)
        assert list(spool.iterdir()) == []
    finally:
        workers.stop()
    assert not spool.exists()


def test_a_body_that_cannot_be_spooled_crosses_the_pipe(workers: IngestWorkers) -> None:
    assert workers.spool is not None
    shutil.rmtree(workers.spool)  # the spool is gone (or full): nothing can be written
    body = _filtered_body()
    answer = workers.submit(body, PROTOBUF, None, 1_000_000).result(timeout=60)
    assert answer.spans_file is None and answer.spans is not None
    assert answer.flat().spans.to_pylist() == _flattened(body)


def test_an_answer_nobody_waits_for_is_removed(workers: IngestWorkers) -> None:
    spool = workers.spool
    assert spool is not None
    first, second = (r.SerializeToString() for r in _requests()[:2])
    abandoned = workers.submit(first, PROTOBUF, None, 1_000_000)
    assert abandoned.cancel()  # the request stopped waiting (its sender went away)
    # One worker answers in order: once the second is answered, the first was settled.
    kept = workers.submit(second, PROTOBUF, None, 1_000_000).result(timeout=60)
    assert [p.name for p in spool.iterdir()] == [Path(str(kept.spans_file)).name]
    kept.flat()
    assert list(spool.iterdir()) == []


def test_the_spool_of_a_server_that_was_killed_is_removed_by_the_next() -> None:
    dead = subprocess.Popen(["true"])
    dead.wait()
    workers = IngestWorkers(1)
    workers.start()
    try:
        assert workers.spool is not None
        root = workers.spool.parent
        abandoned = root / f"aoai-lens-ingest-{dead.pid}-abandoned"
        abandoned.mkdir()
        (abandoned / "0.body").write_bytes(b"left behind")
        living = root / f"aoai-lens-ingest-{os.getpid()}-another"
        living.mkdir()
        second = IngestWorkers(1)
        second.start()
        second.stop()
        assert not abandoned.exists()
        assert living.exists()  # its server runs: not removed
        living.rmdir()
    finally:
        workers.stop()


def test_an_answer_whose_file_is_gone_is_a_retryable_error(workers: IngestWorkers) -> None:
    """The request was sound: a spooled answer lost before it is read (its folder removed)
    asks the sender to send it again, as a crashed worker does, rather than refusing it."""
    body = _filtered_body()
    answer = workers.submit(body, PROTOBUF, None, 1_000_000).result(timeout=60)
    assert answer.spans_file is not None
    Path(answer.spans_file).unlink()
    with pytest.raises(WorkerCrashedError, match="answer could not be read"):
        answer.flat()  # answered 503 with Retry-After, as for a worker that died


def test_requests_held_by_a_worker_that_dies_leave_nothing_in_the_spool(
    workers: IngestWorkers,
) -> None:
    spool = workers.spool
    assert spool is not None
    (pid,) = workers.pids()
    os.kill(pid, signal.SIGSTOP)  # handed over (or queued), never read
    body = _filtered_body()
    held = [workers.submit(body, PROTOBUF, None, 1_000_000) for _ in range(3)]
    assert len(list(spool.iterdir())) == 3
    time.sleep(0.2)
    os.kill(pid, signal.SIGKILL)
    for future in held:
        with pytest.raises(WorkerCrashedError):
            future.result(timeout=30)
    assert list(spool.iterdir()) == []


def test_an_answer_that_arrives_as_its_request_is_cancelled_is_removed(tmp_path: Path) -> None:
    """The answer is in, but the request's task is cancelled before it reads it (a gRPC
    deadline, a stop): its spooled answer is removed, not left in memory."""
    store = Store(tmp_path / "lens.duckdb")
    queue = IngestQueue(store)
    workers = IngestWorkers(1)
    workers.start()
    ingest = OtlpIngest()
    ingest.attach(queue, max_body_bytes=1_000_000, max_in_flight=4, workers=workers)
    spool = workers.spool
    assert spool is not None
    body = _filtered_body()

    async def cancelled_once_answered() -> None:
        reading = asyncio.ensure_future(ingest._read(body, PROTOBUF, None))
        await asyncio.sleep(0)  # the body is handed to the worker
        deadline = time.monotonic() + 30
        # The event loop is held here: the answer arrives but the task cannot resume.
        while not [p for p in spool.iterdir() if p.suffix == ".spans"]:
            assert time.monotonic() < deadline
            time.sleep(0.01)
        time.sleep(0.2)  # the pool has set the answer
        reading.cancel()
        with pytest.raises(asyncio.CancelledError):
            await reading

    try:
        asyncio.run(cancelled_once_answered())
        assert list(spool.iterdir()) == []
    finally:
        workers.stop()
        queue.close()
        store.close()
