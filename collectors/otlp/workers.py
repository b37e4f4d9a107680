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

A body and its answer cross between the server and a worker as files in a spool folder
(on ``/dev/shm`` where there is one: memory, no disk), not through the pool's pipes: the
pool's pickling and 64 KiB pipe writes cost the server's threads and the round trip about
as much as the flattening itself (decision 0038). Only the files' names and the small fields
of ``WorkerAnswer`` are pickled; a body that cannot be spooled (the folder full) crosses
the pipe as before.

A worker ends when the server does, even after a SIGKILL of the server. A worker that dies
(killed, out of memory) breaks the pool: the requests it held are answered
``WorkerCrashedError`` (a transient 503 / ``UNAVAILABLE`` with a wait) and the pool is
replaced, once, for the requests that follow.
"""

from __future__ import annotations

import gc
import itertools
import logging
import multiprocessing
import os
import shutil
import signal
import tempfile
import threading
import time
import traceback
from concurrent.futures import Future, InvalidStateError, ProcessPoolExecutor
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
# Where the spool folders are made: memory where the system has it (tmpfs), else the
# temporary folder (files deleted before they are written back never reach the disk).
_SHARED_MEMORY: Final = Path("/dev/shm")
_SPOOL_PREFIX: Final = "aoai-lens-ingest-"
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
    spans_file: str | None = None  # ``spans`` written to this spool file instead
    lost: str | None = None  # the spooled body could not be read: why (sent again)

    def flat(self) -> FlatRequest:
        """The span columns (a spooled answer's file is read and removed). A spooled
        answer that cannot be read (its file gone) raises ``WorkerCrashedError``: the
        request is sound, the sender sends it again; so does a body lost on its way."""
        if self.lost is not None:
            raise WorkerCrashedError(f"the request's body did not reach a worker ({self.lost})")
        if self.spans_file is not None:
            path = Path(self.spans_file)
            try:
                data = path.read_bytes()
            except OSError as exc:
                raise WorkerCrashedError(f"the worker's answer could not be read ({exc})") from exc
            finally:
                path.unlink(missing_ok=True)
            return FlatRequest(_table(data), self.not_genai)
        if self.spans is None:
            raise ValueError("a refused request has no spans")
        return FlatRequest(_table(self.spans), self.not_genai)

    def discard(self) -> None:
        """Remove a spooled answer that will not be read."""
        if self.spans_file is not None:
            Path(self.spans_file).unlink(missing_ok=True)


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


def flatten_spooled(
    path: str, content_type: str | None, content_encoding: str | None, max_bytes: int
) -> WorkerAnswer:
    """``flatten_body`` of the body spooled at ``path`` (the file is removed), its spans
    spooled beside it (inline when the file cannot be written); never raises."""
    body_file = Path(path)
    try:
        body = body_file.read_bytes()
    except OSError as exc:  # the server wrote it a moment ago: the spool is gone
        return WorkerAnswer(lost=f"{type(exc).__name__}: {exc}")
    finally:
        body_file.unlink(missing_ok=True)
    answer = flatten_body(body, content_type, content_encoding, max_bytes)
    if answer.spans is None:
        return answer
    spans_file = body_file.with_suffix(".spans")
    try:
        spans_file.write_bytes(answer.spans)
    except OSError:  # the spool is full: the answer crosses the pipe
        spans_file.unlink(missing_ok=True)
        return answer
    return WorkerAnswer(not_genai=answer.not_genai, spans_file=str(spans_file))


def _remove(path: Path | None) -> None:
    if path is not None:
        path.unlink(missing_ok=True)


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


def _spool_folder() -> Path:
    """A new spool folder for this server's workers (named after its process, so a later
    server removes it if this one is killed before it can)."""
    memory = _SHARED_MEMORY.is_dir() and os.access(_SHARED_MEMORY, os.W_OK)
    root = _SHARED_MEMORY if memory else Path(tempfile.gettempdir())
    _remove_abandoned_spools(root)
    return Path(tempfile.mkdtemp(prefix=f"{_SPOOL_PREFIX}{os.getpid()}-", dir=root))


def _remove_abandoned_spools(root: Path) -> None:
    """Spool folders of servers that no longer run (killed: no stop removed them)."""
    for folder in root.glob(f"{_SPOOL_PREFIX}*"):
        owner = folder.name.removeprefix(_SPOOL_PREFIX).partition("-")[0]
        if owner.isdigit() and not _running(int(owner)):
            shutil.rmtree(folder, ignore_errors=True)


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
        self._spool: Path | None = None  # where bodies and answers cross (decision 0038)
        self._numbers = itertools.count()  # the spool files' names
        self.replaced = 0  # pools replaced after a worker died

    def start(self) -> None:
        """Start the workers and wait until each has imported what it needs, so the first
        requests do not pay for it."""
        with self._lock:
            if self._pool is None:
                self._pool = self._new_pool()
            if self._spool is None:
                try:
                    self._spool = _spool_folder()
                except OSError as exc:  # nowhere to spool: bodies cross the pipe
                    log.warning("no spool folder for the ingest workers (%s); pipes it is", exc)
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
            pool, spool = self._pool, self._spool
            if pool is None:
                raise WorkerCrashedError("the ingest workers are not running")
        spooled = self._spooled(spool, body)
        try:
            if spooled is None:
                work = pool.submit(flatten_body, body, content_type, content_encoding, max_bytes)
            else:
                work = pool.submit(
                    flatten_spooled, str(spooled), content_type, content_encoding, max_bytes
                )
        except BrokenProcessPool:
            _remove(spooled)
            self._replace(pool)
            answer.set_exception(WorkerCrashedError("an ingest worker stopped; send again"))
            return answer
        except RuntimeError:  # shut down since it was read above: the server is stopping
            _remove(spooled)
            raise WorkerCrashedError("the ingest workers are stopping") from None
        work.add_done_callback(lambda done: self._settle(pool, done, answer, spooled))
        return answer

    @property
    def spool(self) -> Path | None:
        """The folder where bodies and answers cross (None before ``start``)."""
        with self._lock:
            return self._spool

    def _spooled(self, spool: Path | None, body: bytes) -> Path | None:
        """``body`` written to a new spool file; None when it cannot be (the pipe takes it)."""
        if spool is None:
            return None
        path = spool / f"{next(self._numbers)}.body"
        try:
            path.write_bytes(body)
        except OSError:
            path.unlink(missing_ok=True)
            return None
        return path

    def _settle(
        self,
        pool: ProcessPoolExecutor,
        work: Future[WorkerAnswer],
        answer: Future[WorkerAnswer],
        spooled: Path | None,
    ) -> None:
        error = work.exception() if not work.cancelled() else None
        if work.cancelled() or isinstance(error, BrokenProcessPool):
            self._replace(pool)
            error = WorkerCrashedError("an ingest worker stopped; send again")
        if error is not None:  # no answer will be read: nor will its files
            _remove(spooled)
            _remove(spooled and spooled.with_suffix(".spans"))
        try:
            if error is not None:
                answer.set_exception(error)
            else:
                answer.set_result(work.result())
        except InvalidStateError:  # the request stopped waiting (cancelled): nobody reads it
            if error is None:
                work.result().discard()

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
            spool, self._spool = self._spool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
        if spool is not None:
            shutil.rmtree(spool, ignore_errors=True)
