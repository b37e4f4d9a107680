"""The one DuckDB connection: migrations, batched idempotent writes, cursors.

Exactly one process owns the database file (DESIGN section 1). ``Store`` is that
ownership: it opens the file, applies the schema migrations in ``queries/schema``,
(re)creates the views in ``queries/views``, and writes canonical rows in batches
(Arrow tables, ``INSERT OR IGNORE`` on ``call_id``). Readers take ``cursor()``.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa

import queries
from collectors.rows import CALL_COLUMNS, FILTER_RESULT_COLUMNS, CallRow, FilterResultRow

log = logging.getLogger(__name__)

_CALL_TYPES: dict[str, pa.DataType] = {
    "start_time": pa.timestamp("us", tz="UTC"),
    "duration_ms": pa.float64(),
    "ttft_ms": pa.float64(),
    "http_status": pa.int32(),
    "input_tokens": pa.int64(),
    "cached_input_tokens": pa.int64(),
    "output_tokens": pa.int64(),
    "reasoning_tokens": pa.int64(),
}
_FILTER_TYPES: dict[str, pa.DataType] = {
    "idx": pa.int32(),
    "filtered": pa.bool_(),
    "detected": pa.bool_(),
}


@dataclass(frozen=True)
class WriteResult:
    """What one committed write stored."""

    calls_inserted: int
    calls_duplicate: int


@dataclass(frozen=True)
class StoreHealth:
    calls: int
    last_ingest: datetime | None


class StoreError(RuntimeError):
    """The database could not be opened or written (a transient, retryable failure)."""


def _calls_table(calls: Sequence[CallRow]) -> pa.Table:
    encode = json.JSONEncoder(separators=(",", ":"), default=str).encode
    columns: dict[str, pa.Array] = {}
    for name in CALL_COLUMNS:
        values = [getattr(call, name) for call in calls]
        if name == "attributes":
            values = [encode(value) for value in values]
        columns[name] = pa.array(values, type=_CALL_TYPES.get(name, pa.string()))
    return pa.table(columns)


def _filter_results_table(rows: Sequence[FilterResultRow]) -> pa.Table:
    return pa.table(
        {
            name: pa.array(
                [getattr(row, name) for row in rows], type=_FILTER_TYPES.get(name, pa.string())
            )
            for name in FILTER_RESULT_COLUMNS
        }
    )


@contextmanager
def _transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """BEGIN ... COMMIT on ``con``; ROLLBACK if the block raises (the caller holds the lock)."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


class Store:
    """Owner of the DuckDB file. Thread-safe: writes are serialised by a lock."""

    def __init__(self, path: Path) -> None:
        self.path = path.resolve()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            # Without the ICU extension (not bundled, not downloadable offline) DuckDB's
            # TIMESTAMPTZ arithmetic and DATE comparisons are in UTC: dated prices and
            # month boundaries are UTC dates.
            self._con = duckdb.connect(str(self.path))
        except duckdb.Error as exc:
            raise StoreError(f"cannot open {self.path}: {exc}") from exc
        self._write_lock = threading.Lock()
        self._local = threading.local()
        self.migrate()

    def migrate(self) -> list[str]:
        """Apply pending migrations in order, then (re)create the views in file order."""
        applied_now: list[str] = []
        with self._write_lock:
            con = self._con
            steps = queries.migrations()
            con.execute(steps[0].body)  # 000_schema_migrations: idempotent
            done = set(queries.run(con, "applied_migrations")["version"])
            for step in steps[1:]:
                if step.name in done:
                    continue
                with _transaction(con):
                    con.execute(step.body)
                    queries.run(con, "record_migration", version=step.name)
                applied_now.append(step.name)
            for view in queries.views():
                con.execute(view.body)
        if applied_now:
            log.info("applied migrations %s to %s", ", ".join(applied_now), self.path)
        if not bool(queries.run(self.cursor(), "usage_daily_in_step")["in_step"].iloc[0]):
            self.rebuild_usage_daily()
        return applied_now

    def rebuild_usage_daily(self) -> None:
        """Sum usage_daily again from the whole ledger: after calls were written other than
        through this store (a file loaded by SQL, an edit), or by an older version."""
        with self.transaction() as con:
            queries.run(con, "clear_usage_daily")
            queries.run(con, "fill_usage_daily")
        log.info("rebuilt the daily usage summary of %s", self.path)

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """The owner connection inside one transaction, writes serialised; all or none."""
        with self._write_lock, _transaction(self._con):
            yield self._con

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A cursor for the calling thread (DuckDB cursors are not shared across threads)."""
        cur: duckdb.DuckDBPyConnection | None = getattr(self._local, "cursor", None)
        if cur is None:
            cur = self._con.cursor()
            self._local.cursor = cur
        return cur

    def write(
        self,
        calls: Sequence[CallRow],
        filter_results: Sequence[FilterResultRow],
        *,
        source: str,
        rejected: int = 0,
    ) -> WriteResult:
        """Store one batch in one transaction; re-sent calls are ignored, not doubled."""
        return self.write_many([(calls, filter_results, source, rejected)])[0]

    def write_many(
        self,
        batches: Iterable[tuple[Sequence[CallRow], Sequence[FilterResultRow], str, int]],
    ) -> list[WriteResult]:
        """Store several batches in one transaction and one INSERT per table (group
        commit); all or none. Calls already stored are ignored, not doubled, and so are
        their verdicts: ``filter_results`` rows go in only with their call's first insert."""
        batches = list(batches)
        try:
            with self.transaction() as con:
                new_ids = self._insert_calls(con, [call for batch in batches for call in batch[0]])
                claimed: set[str] = set()
                verdicts: list[FilterResultRow] = []
                results: list[WriteResult] = []
                for calls, filter_rows, source, rejected in batches:
                    fresh = {c.call_id for c in calls if c.call_id in new_ids} - claimed
                    claimed |= fresh  # a call twice in one group is stored and counted once
                    verdicts += [row for row in filter_rows if row.call_id in fresh]
                    queries.run(
                        con, "insert_ingest_log", source=source, calls=len(fresh), rejected=rejected
                    )
                    results.append(WriteResult(len(fresh), len(calls) - len(fresh)))
                self._insert_filter_results(con, verdicts)
        except duckdb.Error as exc:
            raise StoreError(f"write to {self.path} failed: {exc}") from exc
        return results

    @staticmethod
    def _insert_calls(con: duckdb.DuckDBPyConnection, calls: Sequence[CallRow]) -> set[str]:
        """Insert new calls and add them to the daily usage summary; the ids actually
        inserted (others were already stored)."""
        if not calls:
            return set()
        con.register("incoming_calls", _calls_table(calls))
        try:
            rows = con.execute(queries.load("insert_calls").body).fetchall()
            new_ids = {row[0] for row in rows}
            if new_ids:
                con.register("new_call_ids", pa.table({"call_id": sorted(new_ids)}))
                try:
                    con.execute(queries.load("add_usage_daily").body)
                finally:
                    con.unregister("new_call_ids")
            return new_ids
        finally:
            con.unregister("incoming_calls")

    @staticmethod
    def _insert_filter_results(
        con: duckdb.DuckDBPyConnection, rows: Sequence[FilterResultRow]
    ) -> None:
        if not rows:
            return
        con.register("incoming_filter_results", _filter_results_table(rows))
        try:
            con.execute(queries.load("insert_filter_results").body)
        finally:
            con.unregister("incoming_filter_results")

    def health(self) -> StoreHealth:
        frame = queries.run(self.cursor(), "store_health")
        last = frame["last_ingest"].iloc[0]
        return StoreHealth(
            calls=int(frame["calls"].iloc[0]),
            last_ingest=None if pd.isna(last) else last.to_pydatetime(),
        )

    def close(self) -> None:
        with self._write_lock:
            self._con.close()
