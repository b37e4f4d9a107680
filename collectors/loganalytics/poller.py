"""Incremental pulls from Log Analytics: per-source watermark, overlap re-read, slices.

Each poll of a source reads ``[watermark - overlap, now)``; rows reach a workspace minutes
after their ``TimeGenerated``, and the overlap catches them. Rows are upserted by
``call_id``, so a re-read never counts a call twice. A range is read in slices; a slice
that comes back partial (``PartialError``) or at the row limit has its rows stored and is
read again in halves. The watermark moves only past slices stored whole: a failure stops
the pull there and is recorded, with what to do, for the Sources page. A slice stored whole
whose rows lacked the fields of a joined table (a workspace without the API Management
gateway log) is ``degraded``: its warning is recorded for the Sources page too.
"""

from __future__ import annotations

import gc
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from azure.core.credentials import TokenCredential
from azure.monitor.query import LogsQueryClient

from collectors.loganalytics import state
from collectors.loganalytics.client import (
    LogAnalyticsConfig,
    PullError,
    QueryResult,
    build_client,
    run_query,
)
from collectors.loganalytics.decode import table_columns, table_rows
from collectors.loganalytics.normalize import (
    normalize_calls,
    normalize_metrics,
    normalize_rollups,
    rows_without,
)
from collectors.loganalytics.sources import CALLS, METRICS, ROLLUP_BIN, SOURCES, Source
from collectors.store import Store
from lens_errors import BadInputError
from queries.kql import load_kql

log = logging.getLogger(__name__)

MAX_PARTIAL_RETRIES = 2


class UnknownSourceError(BadInputError, ValueError):
    """A source name that is not one of ``SOURCES``."""


@dataclass
class SliceDone:
    """One slice read and stored (or not): the progress of a pull."""

    source: str
    start: datetime
    end: datetime
    outcome: str  # ok | degraded | partial | failed
    rows_read: int
    rows_stored: int
    error: str | None = None


@dataclass
class PullReport:
    source: str
    start: datetime
    end: datetime
    slices: int = 0
    rows_read: int = 0
    rows_stored: int = 0
    partial_results: int = 0
    warnings: list[str] = field(default_factory=list)
    error: str | None = None
    hint: str | None = None
    watermark: datetime | None = None
    done: list[SliceDone] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {
            "source": self.source,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "slices": self.slices,
            "rows_read": self.rows_read,
            "rows_stored": self.rows_stored,
            "partial_results": self.partial_results,
            "warnings": self.warnings,
            "error": self.error,
            "hint": self.hint,
            "watermark": self.watermark.isoformat() if self.watermark else None,
        }


def source_of(name: str) -> Source:
    try:
        return SOURCES[name]
    except KeyError:
        raise UnknownSourceError(f"unknown source {name!r}; one of: {', '.join(SOURCES)}") from None


def time_slices(start: datetime, end: datetime, size: timedelta) -> list[tuple[datetime, datetime]]:
    """``[start, end)`` cut into consecutive slices of at most ``size``."""
    slices = []
    cursor = start
    while cursor < end:
        stop = min(cursor + size, end)
        slices.append((cursor, stop))
        cursor = stop
    return slices


@contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a slice's rows are built: hundreds of
    thousands of new dicts and rows would otherwise trigger full collections that scan
    them again and again (a third of a 500,000-row pull). Reference counting still frees
    what is dropped; the collector runs again afterwards."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _floor_hour(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


class Poller:
    """Pulls the configured sources into ``store``; ``start()`` polls on an interval."""

    def __init__(
        self,
        store: Store,
        config: LogAnalyticsConfig,
        *,
        client: LogsQueryClient | None = None,
        credential: TokenCredential | None = None,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.store = store
        self.config = config
        self._client = client
        self._credential = credential
        self._now = now
        self._locks = {name: threading.Lock() for name in SOURCES}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def client(self) -> LogsQueryClient:
        if self._client is None:
            self._client = build_client(self.config, self._credential)
        return self._client

    def poll(self, name: str) -> PullReport:
        """One incremental pull of source ``name``: from watermark minus overlap to now."""
        end = self._now()
        mark = state.watermark(self.store, name)
        start = mark - self.config.overlap if mark else end - self.config.first_pull
        return self.pull(name, start, end, size=max(end - start, self.config.min_slice))

    def backfill(self, name: str, since: timedelta) -> Iterator[SliceDone | PullReport]:
        """Slices of ``[now - since, now)`` as they are stored, then the report."""
        end = self._now()
        return self.iter_pull(name, end - since, end, size=self.config.slice)

    def pull(
        self, name: str, start: datetime, end: datetime, *, size: timedelta | None = None
    ) -> PullReport:
        report: PullReport | None = None
        for event in self.iter_pull(name, start, end, size=size or self.config.slice):
            if isinstance(event, PullReport):
                report = event
        assert report is not None
        return report

    def iter_pull(
        self, name: str, start: datetime, end: datetime, *, size: timedelta
    ) -> Iterator[SliceDone | PullReport]:
        """Read ``[start, end)`` of one source slice by slice, yielding each slice done."""
        source = source_of(name)
        rollup = self.config.mode == "rollup" and source.rollup_kql is not None
        if rollup:
            start = _floor_hour(start)
        report = PullReport(name, start, end)
        pending = deque((s, e, 0) for s, e in time_slices(start, end, size))
        with self._locks[name]:
            while pending:
                slice_start, slice_end, attempt = pending.popleft()
                began = time.monotonic()
                try:
                    with cyclic_gc_paused():
                        read, stored, trouble, warning = self._pull_slice(
                            source, slice_start, slice_end, rollup
                        )
                except PullError as exc:
                    done = SliceDone(name, slice_start, slice_end, "failed", 0, 0, exc.message)
                    self._record(done, time.monotonic() - began)
                    state.record_failure(self.store, name, exc.message, exc.hint)
                    report.error, report.hint = exc.message, exc.hint
                    log.warning("pull of %s failed: %s", name, exc.message)
                    yield done
                    break
                report.rows_read += read
                report.rows_stored += stored
                outcome = "partial" if trouble else "degraded" if warning else "ok"
                done = SliceDone(
                    name, slice_start, slice_end, outcome, read, stored, trouble or warning
                )
                if warning and trouble is None:
                    report.warnings.append(warning)
                    log.warning("pull of %s: %s", name, warning)
                self._record(done, time.monotonic() - began)
                report.slices += 1
                if trouble is None:
                    state.record_success(self.store, name, slice_start, slice_end)
                    yield done
                    continue
                report.partial_results += 1
                yield done
                halves = self._halves(slice_start, slice_end, rollup)
                if halves:
                    pending.extendleft(reversed([(s, e, 0) for s, e in halves]))
                elif attempt < MAX_PARTIAL_RETRIES:
                    pending.appendleft((slice_start, slice_end, attempt + 1))
                else:
                    hint = (
                        "the workspace answered only part of the data for this slice; the next "
                        "poll reads it again"
                    )
                    state.record_failure(self.store, name, trouble, hint)
                    report.error, report.hint = trouble, hint
                    break
        report.watermark = state.watermark(self.store, name)
        yield report

    def _halves(
        self, start: datetime, end: datetime, rollup: bool
    ) -> list[tuple[datetime, datetime]]:
        smallest = max(self.config.min_slice, ROLLUP_BIN if rollup else self.config.min_slice)
        if end - start < 2 * smallest:
            return []
        middle = start + (end - start) / 2
        if rollup:
            middle = _floor_hour(middle)
        return [(start, middle), (middle, end)]

    def _pull_slice(
        self, source: Source, start: datetime, end: datetime, rollup: bool
    ) -> tuple[int, int, str | None, str | None]:
        """Read one slice and store what came; (rows read, rows stored, trouble or None,
        warning or None)."""
        kql = load_kql(source.rollup_kql if rollup and source.rollup_kql else source.kql)
        params = {**source.params, "row_limit": self.config.row_limit}
        if "bin_size" in kql.params:
            params["bin_size"] = ROLLUP_BIN
        result: QueryResult = run_query(
            self.client, self.config, kql.with_prelude(params), start, end
        )
        warning = None
        if rollup:
            rows = table_rows(result.tables)
            read, stored = len(rows), state.replace_rollups(
                self.store, source.ledger_source, start, end,
                normalize_rollups(rows, source.ledger_source),
            )  # fmt: skip
        elif source.kind == METRICS:
            rows = table_rows(result.tables)
            read, stored = len(rows), state.store_metrics(self.store, normalize_metrics(rows))
        else:
            assert source.kind == CALLS
            columns = table_columns(result.tables)
            normalized = normalize_calls(
                source.name, columns, source.ledger_source, redact=self.config.redact
            )
            written = self.store.write(
                normalized.calls,
                normalized.verdicts,
                source=source.ledger_source,
                rejected=normalized.left_out,
            )
            read, stored = columns.num_rows, written.calls_inserted + written.calls_duplicate
            lacking = rows_without(columns, source.joined_flag) if source.joined_flag else 0
            if lacking:
                warning = f"{lacking} of {read} calls {source.joined_missing}"
        trouble = result.partial_error
        if trouble is None and read >= self.config.row_limit:
            trouble = f"{read} rows: the row limit of one query was reached"
        return read, stored, trouble, warning

    def _record(self, done: SliceDone, seconds: float) -> None:
        state.record_pull(
            self.store,
            done.source,
            done.start,
            done.end,
            outcome=done.outcome,
            rows_read=done.rows_read,
            rows_stored=done.rows_stored,
            seconds=seconds,
            error=done.error,
        )

    def poll_all(self) -> list[PullReport]:
        reports = []
        for name in self.config.sources:
            try:
                reports.append(self.poll(name))
            except Exception:  # never let one source stop the loop
                log.exception("poll of %s failed unexpectedly", name)
        return reports

    def start(self) -> None:
        """Poll every configured source now and then every ``poll_interval``."""
        self._thread = threading.Thread(target=self._loop, name="lens-loganalytics", daemon=True)
        self._thread.start()
        log.info(
            "Log Analytics poller started: workspace %s, sources %s, every %s",
            self.config.workspace_id,
            ", ".join(self.config.sources),
            self.config.poll_interval,
        )

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.poll_all()
            self._stop.wait(self.config.poll_interval.total_seconds())

    def stop(self, timeout_s: float = 30.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
