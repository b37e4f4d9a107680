"""Decode and flatten OTLP requests in worker processes (decisions 0025 and 0029).

The pure-Python part of ingest (protobuf or JSON to span columns) holds the GIL; in the
server's own process it took turns with the HTTP and gRPC handling and the writer.
``IngestWorkers`` runs it in a small pool of processes (``LENS_INGEST_WORKERS``), started
with the lens (``forkserver``, or ``spawn`` where there is none: the server has threads, so
never ``fork``). A worker answers one request with a ``WorkerAnswer``: its span columns
(``SPAN_SCHEMA``) as Arrow IPC bytes and the spans no GenAI rule reads, or the refusal of a
body that cannot be read. The server's process keeps the transports and the ingest queue,
which applies the GenAI rules to a whole group of requests at once (Arrow compute, whose
cost is mostly per batch) and commits it (DuckDB, which releases the GIL).

A worker ends when the server does, even after a SIGKILL of the server. A worker that dies
(killed, out of memory) breaks the pool: the requests it held are answered
``WorkerCrashedError`` (a transient 503 / ``UNAVAILABLE`` with a wait) and the pool is
replaced, once, for the requests that follow.
"""

from __future__ import annotations

import gc
import logging
import multiprocessing
import os
import signal
import threading
import time
import traceback
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import pyarrow as pa

from collectors.otlp.decode import BadPayloadError, decode_raw_attributes_request
from collectors.otlp.flatten import SPAN_SCHEMA, FlatRequest, flatten_request
from lens_errors import UnavailableError

log = logging.getLogger(__name__)

# Seconds a sender is asked to wait after a worker died (a new pool starts in about one).
RETRY_AFTER_CRASH_S: Final = 2
# The modules a new worker imports before its first request (forkserver: once, in the
# server that forks the workers).
_PRELOAD: Final = ["collectors.otlp.workers"]
# How often a worker checks that the server still runs.
_PARENT_CHECK_S: Final = 0.5
_EMPTY_BATCH: Final = pa.RecordBatch.from_pylist([], schema=SPAN_SCHEMA)


class WorkerCrashedError(UnavailableError):
    """The worker process that held a request died; the sender should send it again."""

    def __init__(self, message: str) -> None:
        super().__init__(message, "send the request again", RETRY_AFTER_CRASH_S)


@dataclass(frozen=True)
class WorkerAnswer:
    """What a worker sends back for one request (pickled; the spans as Arrow IPC bytes)."""

    spans: bytes | None = None  # SPAN_SCHEMA, as the Arrow IPC message of one record batch
    not_genai: int = 0  # spans with nothing a GenAI rule reads
    refusal: tuple[int, str] | None = None  # a body that cannot be read: status, reason
    unreadable: str | None = None  # an error no rule foresaw: its type and traceback

    def flat(self) -> FlatRequest:
        if self.spans is None:
            raise ValueError("a refused request has no spans")
        return FlatRequest(_table(self.spans), self.not_genai)


def flatten_body(
    body: bytes, content_type: str | None, content_encoding: str | None, max_bytes: int
) -> WorkerAnswer:
    """A request body to its span columns, in a worker process; never raises (nothing but
    plain values crosses back)."""
    collecting = gc.isenabled()
    gc.disable()  # the flattener makes no reference cycles; a collection would only rescan
    # what it learnt (decision 0032)
    try:
        request = decode_raw_attributes_request(
            body, content_type, content_encoding, max_bytes=max_bytes
        )
        flat = flatten_request(request)
        return WorkerAnswer(_ipc(flat.spans), flat.not_genai)
    except BadPayloadError as exc:
        return WorkerAnswer(refusal=(exc.status, exc.reason))
    except Exception as exc:
        return WorkerAnswer(unreadable=f"{type(exc).__name__}\n{traceback.format_exc()}")
    finally:
        if collecting:
            gc.enable()


def _ipc(table: pa.Table) -> bytes:
    """The table as the Arrow IPC message of one record batch, without the schema: both
    sides know it is ``SPAN_SCHEMA``."""
    batches = table.to_batches()
    if len(batches) != 1:  # no rows (no batch), or more than one chunk
        batches = table.combine_chunks().to_batches() or [_EMPTY_BATCH]
    data: bytes = batches[0].serialize().to_pybytes()
    return data


def _table(data: bytes) -> pa.Table:
    return pa.Table.from_batches([pa.ipc.read_record_batch(pa.py_buffer(data), SPAN_SCHEMA)])


def _context() -> multiprocessing.context.BaseContext:
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(_PRELOAD)
        return context
    return multiprocessing.get_context("spawn")


def _ready() -> int:
    return 0


def _worker_start(server: int) -> None:
    """In each worker as it starts: Ctrl-C is the server's to handle, and the worker ends
    when the server does (a server killed with SIGKILL runs no shutdown code). The worker's
    parent may be the forkserver, which lives as long as the workers do, so the server is
    watched by its process id."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    def watch() -> None:
        while _running(server):
            time.sleep(_PARENT_CHECK_S)
        os._exit(0)

    threading.Thread(target=watch, name="lens-worker-watch", daemon=True).start()


def _running(pid: int) -> bool:
    """Whether process ``pid`` runs (a zombie, ended but not yet waited for, does not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
        return stat.rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, IndexError):  # no /proc here: os.kill said enough
        return True


class IngestWorkers:
    """A pool of ``count`` worker processes that decode and flatten requests; ``start`` before use,
    ``stop`` at the end. Thread-safe: requests come from the event loop and its threads."""

    def __init__(self, count: int) -> None:
        if count < 1:
            raise ValueError("IngestWorkers needs at least one worker")
        self.count = count
        self._lock = threading.Lock()
        self._pool: ProcessPoolExecutor | None = None
        self.replaced = 0  # pools replaced after a worker died

    def start(self) -> None:
        """Start the workers and wait until each has imported what it needs, so the first
        requests do not pay for it."""
        with self._lock:
            if self._pool is None:
                self._pool = self._new_pool()
            pool = self._pool
        for done in [pool.submit(_ready) for _ in range(self.count * 2)]:
            done.result()

    def _new_pool(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            max_workers=self.count,
            mp_context=_context(),
            initializer=_worker_start,
            initargs=(os.getpid(),),
        )

    def submit(
        self, body: bytes, content_type: str | None, content_encoding: str | None, max_bytes: int
    ) -> Future[WorkerAnswer]:
        """``flatten_body`` of the body in a worker. The future fails with
        ``WorkerCrashedError`` when the worker died (the pool is replaced)."""
        answer: Future[WorkerAnswer] = Future()
        with self._lock:
            pool = self._pool
            if pool is None:
                raise WorkerCrashedError("the ingest workers are not running")
        try:
            work = pool.submit(flatten_body, body, content_type, content_encoding, max_bytes)
        except BrokenProcessPool:
            self._replace(pool)
            answer.set_exception(WorkerCrashedError("an ingest worker stopped; send again"))
            return answer
        except RuntimeError:  # shut down since it was read above: the server is stopping
            raise WorkerCrashedError("the ingest workers are stopping") from None
        work.add_done_callback(lambda done: self._settle(pool, done, answer))
        return answer

    def _settle(
        self, pool: ProcessPoolExecutor, work: Future[WorkerAnswer], answer: Future[WorkerAnswer]
    ) -> None:
        error = work.exception() if not work.cancelled() else None
        if work.cancelled() or isinstance(error, BrokenProcessPool):
            self._replace(pool)
            answer.set_exception(WorkerCrashedError("an ingest worker stopped; send again"))
        elif error is not None:
            answer.set_exception(error)
        else:
            answer.set_result(work.result())

    def _replace(self, broken: ProcessPoolExecutor) -> None:
        """A new pool in place of ``broken`` (once, however many requests it failed)."""
        with self._lock:
            if self._pool is not broken:
                return
            log.error("an ingest worker process died; starting a new pool of %d", self.count)
            self._pool = self._new_pool()
            self.replaced += 1
        broken.shutdown(wait=False, cancel_futures=True)

    def pids(self) -> list[int]:
        """The worker processes' ids (those started so far)."""
        with self._lock:
            pool = self._pool
        processes = getattr(pool, "_processes", None) or {}  # the executor names no others
        return sorted(processes)

    def status(self) -> dict[str, object]:
        """What /healthz shows: how many, their process ids, pools replaced since start."""
        return {"count": self.count, "pids": self.pids(), "replaced": self.replaced}

    def stop(self) -> None:
        """Stop the workers; requests not yet taken fail with ``WorkerCrashedError``."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
