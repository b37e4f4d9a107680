"""The one DuckDB connection: migrations, batched idempotent writes, cursors.

Exactly one process owns the database file (DESIGN section 1). ``Store`` is that
ownership: it opens the file, applies the schema migrations in ``queries/schema``,
(re)creates the views in ``queries/views``, and writes canonical rows in batches
(Arrow tables, ``INSERT OR IGNORE`` on ``call_id``). Readers take ``cursor()``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from operator import attrgetter
from pathlib import Path
from typing import TypeAlias

import duckdb
import orjson
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

import queries
from collectors.rows import (
    CALL_COLUMNS,
    CALL_SCHEMA,
    FILTER_RESULT_COLUMNS,
    CallRow,
    FilterResultRow,
)
from queries import registered

log = logging.getLogger(__name__)

# A batch of calls: rows, or a table of their columns (CALL_SCHEMA) from a large pull.
Calls: TypeAlias = Sequence[CallRow] | pa.Table
_FILTER_TYPES: dict[str, pa.DataType] = {
    "idx": pa.int32(),
    "filtered": pa.bool_(),
    "detected": pa.bool_(),
}


@dataclass(frozen=True)
class WriteResult:
    """What one committed write stored."""

    calls_inserted: int
    calls_duplicate: int  # already stored: refreshed, or merged into a call (below)
    calls_merged: int = 0  # the same request id as a stored call of another source


@dataclass(frozen=True)
class _CallsOutcome:
    inserted: set[str]  # call ids inserted as new rows
    merged: dict[str, str]  # incoming call id -> the stored call it was merged into
    verdicts_to: dict[str, str]  # merged call id -> stored call that takes its verdicts


@dataclass(frozen=True)
class StoreHealth:
    file_name: str  # the file's name only: where it lives is not for every caller to know
    calls: int
    last_ingest: datetime | None


class StoreError(RuntimeError):
    """The database could not be opened or written (a transient, retryable failure)."""


class BatchDataError(ValueError):
    """DuckDB refused a batch's values (a conversion, a range, a constraint): permanent for
    that batch, whatever the retry."""


# DuckDB errors that say the database, not the batch, is at fault: the write may succeed
# later (disk, memory, a conflict, an interrupt) or after a restart (an invalidated file).
_TRANSIENT_DUCKDB_ERRORS: tuple[type[duckdb.Error], ...] = (
    duckdb.OperationalError,
    duckdb.FatalException,
    duckdb.InternalException,
    duckdb.InterruptException,
    duckdb.PermissionException,
)


def _store_error(path: Path, exc: duckdb.Error) -> Exception:
    """A DuckDB error of a write as ``StoreError`` (transient) or ``BatchDataError``."""
    if isinstance(exc, _TRANSIENT_DUCKDB_ERRORS):
        return StoreError(f"write to {path} failed: {exc}")
    return BatchDataError(f"DuckDB refused the batch: {exc}")


_EMPTY_JSON = "{}"


def _attributes_json(values: Sequence[dict[str, object] | None]) -> list[str]:
    """Compact JSON of each call's attributes; values JSON cannot hold are written as text."""
    dumps, option = orjson.dumps, orjson.OPT_NON_STR_KEYS
    return [dumps(value, default=str, option=option).decode() if value else _EMPTY_JSON
            for value in values]  # fmt: skip


# From this many calls a write finds the stored ones with one join over the ledger and
# inserts the others with a plain INSERT: about twice as fast per call as INSERT OR IGNORE
# ... RETURNING, which probes the call_id index call by call, but the join reads every
# stored call_id, so smaller batches (an OTLP group commit is at most 20,000) probe.
BULK_CALLS = 50_000


def _calls_table(calls: Calls) -> pa.Table:
    """``calls`` as Arrow columns (CALL_SCHEMA)."""
    if isinstance(calls, pa.Table):
        return calls.cast(CALL_SCHEMA)
    arrays: dict[str, pa.Array] = {}
    for column in CALL_SCHEMA:
        name, kind = column.name, column.type
        values = list(map(attrgetter(name), calls))
        if name == "attributes":
            values = _attributes_json(values)
        elif values[:1] == [None] and values.count(None) == len(values):  # never filled here
            arrays[name] = pa.nulls(len(values), kind)
            continue
        arrays[name] = pa.array(values, type=kind)
    return pa.table(arrays)


def _call_rows(table: pa.Table) -> list[CallRow]:
    """The calls of ``table`` as rows again, attributes parsed."""
    return [
        CallRow(**{**row, "attributes": orjson.loads(row["attributes"] or "{}")})
        for row in table.to_pylist()
    ]


def _start_times(calls: Calls, table: pa.Table) -> dict[str, datetime]:
    """call_id -> start time, read from the rows when the batch came as rows."""
    if isinstance(calls, pa.Table):
        ids, starts = table["call_id"].to_pylist(), table["start_time"].to_pylist()
        return dict(zip(ids, starts, strict=True))
    return {call.call_id: call.start_time for call in calls}


def _filter_results_table(
    rows: Sequence[FilterResultRow], start_times: Sequence[datetime]
) -> pa.Table:
    """Verdict rows, each with the start of the call that carried it (033_verdict_time)."""
    columns = {
        name: pa.array(
            [getattr(row, name) for row in rows], type=_FILTER_TYPES.get(name, pa.string())
        )
        for name in FILTER_RESULT_COLUMNS
    }
    columns["start_time"] = pa.array(start_times, type=CALL_SCHEMA.field("start_time").type)
    return pa.table(columns)


def _one_per_request(calls: Sequence[CallRow]) -> list[CallRow]:
    """One row per call id (the last copy wins) and per request id (fields of later copies
    fill what the first left empty): a batch never holds the same call twice."""
    by_id = {call.call_id: call for call in calls}
    by_request: dict[str, CallRow] = {}
    kept: list[CallRow] = []
    for call in by_id.values():
        first = by_request.get(call.request_id) if call.request_id else None
        if first is None:
            if call.request_id:
                by_request[call.request_id] = call
            kept.append(call)
            continue
        for name in CALL_COLUMNS:
            if getattr(first, name) is None:
                setattr(first, name, getattr(call, name))
    return kept


def _one_row_per_call(table: pa.Table) -> bool:
    """No call id and no request id twice in ``table``."""
    ids, requests = table["call_id"], table["request_id"]
    # pc.unique is several times faster than pc.count_distinct on long string ids.
    return bool(
        len(pc.unique(ids)) == len(ids)
        and len(pc.unique(requests.drop_null())) == len(requests) - requests.null_count
    )


@contextmanager
def _transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """BEGIN ... COMMIT on ``con``; ROLLBACK if the block raises (the caller holds the lock)."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield
    except BaseException:
        try:
            con.execute("ROLLBACK")
        except duckdb.Error:  # the error that brought us here is the one to report
            log.warning("rollback failed", exc_info=True)
        raise
    con.execute("COMMIT")


def _insert_calls(con: duckdb.DuckDBPyConnection, table: pa.Table) -> pa.Array:
    """Insert the calls of ``table`` not stored yet; the call ids inserted."""
    if table.num_rows < BULK_CALLS:
        with registered(con, "incoming_calls", table):
            ids = con.execute(queries.load("insert_calls").body).fetchall()
        return pa.array([row[0] for row in ids], pa.string())
    with registered(con, "incoming_calls", table):
        stored = con.sql(queries.load("stored_call_ids").body).to_arrow_table()["call_id"]
    new = table.filter(pc.invert(pc.is_in(table["call_id"], stored))) if len(stored) else table
    if new.num_rows:
        with registered(con, "incoming_calls", new):
            con.execute(queries.load("insert_new_calls").body)
    return new["call_id"].combine_chunks()


def _merge_calls(
    con: duckdb.DuckDBPyConnection,
    table: pa.Table,
    read_again: pa.ChunkedArray,
    merged: dict[str, str],
) -> dict[str, str]:
    """Fold calls read again and other sources' reports (``merged``: incoming id -> stored
    id) into the stored calls, and sum the days of the calls that changed again; the merged
    call ids whose verdicts their stored call takes (it has none yet)."""
    # One incoming call per stored call: a re-read of it, else the first other report.
    others: dict[str, str] = {}  # stored id -> incoming id
    if merged:
        again = set(read_again.to_pylist())
        for cid, stored in merged.items():
            if stored not in again:
                others.setdefault(stored, cid)
    if not len(read_again) and not others:
        return {}
    matches = pa.table(
        {
            "incoming_id": pa.concat_arrays(
                [*read_again.chunks, pa.array(list(others.values()), pa.string())]
            ),
            "stored_id": pa.concat_arrays(
                [*read_again.chunks, pa.array(list(others), pa.string())]
            ),
            "incoming_first": pa.concat_arrays(
                [pa.repeat(True, len(read_again)), pa.repeat(False, len(others))]
            ),
        }
    )
    with registered(con, "incoming_calls", table), registered(con, "call_matches", matches):
        changing = con.sql(queries.load("changing_call_matches").body).to_arrow_table()
    if changing.num_rows:
        changed = sorted(set(changing["stored_id"].to_pylist()))
        days = set(queries.run(con, "days_of_calls", call_ids=changed)["day"])
        with registered(con, "incoming_calls", table), registered(con, "call_matches", changing):
            con.execute(queries.load("merge_calls").body)
        # Merged or refreshed calls changed in place: sum their days again.
        days |= set(queries.run(con, "days_of_calls", call_ids=changed)["day"])
        queries.run(con, "clear_usage_days", days=sorted(days))
        queries.run(con, "fill_usage_days", days=sorted(days))
    if not merged:
        return {}
    have = set(
        queries.run(con, "calls_with_verdicts", call_ids=list(set(merged.values())))["call_id"]
    )
    return {cid: to for cid, to in merged.items() if to not in have}


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
        if not bool(queries.run(self.cursor(), "usage_hourly_in_step")["in_step"].iloc[0]):
            self.rebuild_usage_summary()
        return applied_now

    def rebuild_usage_summary(self) -> None:
        """Sum usage_hourly again from the whole ledger: after calls were written other than
        through this store (a file loaded by SQL, an edit), or by an older version."""
        with self.transaction() as con:
            queries.run(con, "clear_usage_hourly")
            queries.run(con, "fill_usage_days", days=None)
        log.info("rebuilt the hourly usage summary of %s", self.path)

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
        calls: Calls,
        filter_results: Sequence[FilterResultRow],
        *,
        source: str,
        rejected: int = 0,
    ) -> WriteResult:
        """Store one batch in one transaction; re-sent calls are ignored, not doubled."""
        return self.write_many([(calls, filter_results, source, rejected)])[0]

    def write_many(
        self,
        batches: Iterable[tuple[Calls, Sequence[FilterResultRow], str, int]],
    ) -> list[WriteResult]:
        """Store several batches in one transaction (group commit); all or none.

        A call already stored under its ``call_id`` is not doubled: it is refreshed with
        what the new copy says (a re-read may know more). A new call whose ``request_id``
        is that of a stored call (the same call seen by another source) is merged into it.
        ``filter_results`` rows go in with their call's first insert, or with a merge into
        a call that has none yet."""
        batches = list(batches)
        tables = [_calls_table(batch[0]) for batch in batches]
        try:
            with self.transaction() as con:
                outcome = self._store_calls(con, pa.concat_tables(tables))
                claimed: set[str] = set()
                verdicts: list[FilterResultRow] = []
                verdict_times: list[datetime] = []  # the start of the call that carried each
                results: list[WriteResult] = []
                for table, (calls, filter_rows, source, rejected) in zip(
                    tables, batches, strict=True
                ):
                    call_ids = table["call_id"].to_pylist()
                    ids = set(call_ids)
                    fresh = (ids & outcome.inserted) - claimed
                    merged = (ids & outcome.verdicts_to.keys()) - claimed
                    claimed |= fresh | merged  # a call twice in one group is counted once
                    start_of = _start_times(calls, table) if filter_rows else {}
                    for row in filter_rows:
                        if row.call_id in fresh:
                            verdict_times.append(start_of[row.call_id])
                            verdicts.append(row)
                        elif row.call_id in merged:
                            verdict_times.append(start_of[row.call_id])
                            row.call_id = outcome.verdicts_to[row.call_id]
                            verdicts.append(row)
                    queries.run(
                        con, "insert_ingest_log", source=source, calls=len(fresh), rejected=rejected
                    )
                    results.append(
                        WriteResult(
                            len(fresh),
                            len(call_ids) - len(fresh),
                            sum(1 for cid in call_ids if cid in outcome.merged)
                            if outcome.merged
                            else 0,
                        )
                    )
                self._insert_filter_results(con, verdicts, verdict_times)
        except duckdb.Error as exc:
            raise _store_error(self.path, exc) from exc
        return results

    @staticmethod
    def _store_calls(con: duckdb.DuckDBPyConnection, table: pa.Table) -> _CallsOutcome:
        """Insert new calls, merge calls known by request id, refresh calls read again."""
        if not table.num_rows:
            return _CallsOutcome(set(), {}, {})
        if not _one_row_per_call(table):
            table = _calls_table(_one_per_request(_call_rows(table)))
        merged: dict[str, str] = {}
        if pc.any(pc.is_valid(table["request_id"])).as_py():
            with registered(con, "incoming_calls", table):
                found = queries.run(con, "match_calls_by_request_id")
            merged = dict(zip(found["incoming_id"], found["stored_id"], strict=True))
        to_insert = table
        if merged:
            keep = pc.invert(pc.is_in(table["call_id"], pa.array(list(merged), pa.string())))
            to_insert = table.filter(keep)
        inserted = _insert_calls(con, to_insert)
        is_new = pc.is_in(to_insert["call_id"], inserted)
        if len(inserted):
            new = to_insert if len(inserted) == to_insert.num_rows else to_insert.filter(is_new)
            with registered(con, "new_calls", new):
                con.execute(queries.load("add_usage_hourly").body)
        read_again = to_insert["call_id"].filter(pc.invert(is_new))
        verdicts_to = _merge_calls(con, table, read_again, merged)
        return _CallsOutcome(set(inserted.to_pylist()), merged, verdicts_to)

    @staticmethod
    def _insert_filter_results(
        con: duckdb.DuckDBPyConnection,
        rows: Sequence[FilterResultRow],
        start_times: Sequence[datetime],
    ) -> None:
        if not rows:
            return
        table = _filter_results_table(rows, start_times)
        with registered(con, "incoming_filter_results", table):
            con.execute(queries.load("insert_filter_results").body)

    def health(self) -> StoreHealth:
        frame = queries.run(self.cursor(), "store_health")
        last = frame["last_ingest"].iloc[0]
        return StoreHealth(
            file_name=self.path.name,
            calls=int(frame["calls"].iloc[0]),
            last_ingest=None if pd.isna(last) else last.to_pydatetime(),
        )

    def interrupt(self) -> None:
        """Stop a query or write running on the owner connection (it raises and rolls back)."""
        self._con.interrupt()

    def close(self) -> None:
        with self._write_lock:
            self._con.close()
