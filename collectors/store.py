"""The one DuckDB connection: migrations, batched idempotent writes, cursors.

Exactly one process owns the database file (DESIGN section 1). ``Store`` is that
ownership: it opens the file, applies the schema migrations in ``queries/schema``,
(re)creates the views in ``queries/views``, and writes batches of calls and verdicts as
Arrow tables, several requests to one transaction (``collectors/writes.py`` holds the
statements), and purges what retention no longer keeps (``purge``). Readers take
``cursor()``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Final

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

import queries
from collectors.genai.attributes import CONTENT_KEY_PATTERN
from collectors.retention import PurgeResult, RetentionConfig, horizons
from collectors.rows import FILTER_SCHEMA
from collectors.summaries import ComingSummaries, Summaries, joined_summaries
from collectors.writes import (
    CallsOutcome,
    cast_calls,
    count_latency_days,
    fold_usage_days,
    insert_rows,
    open_latency_hours,
    seal_hours,
    store_calls,
    store_hints,
)
from lens_errors import BadInputError, UnavailableError

log = logging.getLogger(__name__)

# Child-span hints wait this long for their model-call span, then are forgotten.
HINTS_KEPT: Final = timedelta(days=2)
# The latency sketch counts an hour's calls once the hour is over and sealed
# (docs/decisions/0042-latency-sketch-sealed-by-hour.md): the store seals the open hours
# before the current one at most this often, the oldest first, at most a week of hours at
# a time (a backfill's hours are sealed over several passes; readers read an open hour's
# calls).
SEAL_LATENCY_EVERY_S: Final = 600.0
SEAL_HOURS_AT_ONCE: Final = 7 * 24
# Days whose hourly usage summary commits appended rows to (today included) are folded into
# one row per hour and keys at most this often, and when the store closes.
FOLD_USAGE_EVERY_S: Final = 60.0
# The store checkpoints the file once its write-ahead log reaches this size (about 37,000
# calls; DuckDB's default is 16 MB), after the commit's senders have their answer
# (``checkpoint_if_due``). The calls not yet checkpointed stay in memory
# (docs/decisions/0027-arrow-sums-and-cheaper-commits.md,
# docs/decisions/0036-checkpoints-after-the-answer.md).
CHECKPOINT_AT_BYTES: Final = 64 * 2**20
# DuckDB's own automatic checkpoint, inside a commit, is kept as a backstop for a log the
# store does not checkpoint itself.
CHECKPOINT_THRESHOLD: Final = "256MiB"
# A checkpoint leaves the rows appended since the one before as new, partly filled row
# groups, and the rows deleted (summary folds, retention) where they were. Vacuuming merges
# them into full row groups, several times the cost of the checkpoint itself: the store's
# checkpoints vacuum once this long after the last vacuum (or the store's opening), and
# after a purge.
VACUUM_EVERY_S: Final = 600.0
VACUUM_TASKS: Final = 100  # DuckDB's default max_vacuum_tasks


@dataclass(frozen=True)
class Batch:
    """One request's calls (``CALL_SCHEMA``) and verdicts (``FILTER_SCHEMA``)."""

    calls: pa.Table
    verdicts: pa.Table | None
    source: str
    rejected: int = 0  # spans of the request that are not calls


@dataclass(frozen=True)
class PreparedWrite:
    """A group's calls conformed and summed before its commit (``Store.prepare``), so the
    writer only inserts and appends; used while the store is as it was (``generation``)."""

    tables: list[pa.Table]  # each batch's calls in CALL_SCHEMA
    incoming: pa.Table  # all of them, those before retention's horizon left out
    summaries: Callable[[], Summaries]  # what incoming adds to them (may wait for the sums)
    generation: int


def joined_writes(parts: Sequence[PreparedWrite | None]) -> PreparedWrite | None:
    """Several groups prepared apart, as one write (their batches in order); None when
    one of them was not prepared or the store changed between them (the writer then
    prepares them itself)."""
    known = [part for part in parts if part is not None]
    if len(known) < len(parts) or len({part.generation for part in known}) != 1:
        return None
    incoming = pa.concat_tables([part.incoming for part in known])
    sums = [part.summaries for part in known]
    return PreparedWrite(
        [table for part in known for table in part.tables],
        incoming,
        lambda: joined_summaries(incoming, [summed() for summed in sums]),
        known[0].generation,
    )


@dataclass(frozen=True)
class WriteResult:
    """What one committed write stored."""

    calls_inserted: int
    calls_duplicate: int  # already stored: refreshed, or merged into a call (below)
    calls_merged: int = 0  # the same request id as a stored call of another source
    calls_too_old: int = 0  # started before retention's horizon: not stored (reported)


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


class StoreError(UnavailableError, RuntimeError):
    """The database could not be opened or written (a transient, retryable failure)."""


class BatchDataError(BadInputError, ValueError):
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


def _verdicts_kept(
    verdicts: pa.Table, fresh: set[str], merged: set[str], outcome: CallsOutcome
) -> pa.Table:
    """The verdicts of calls this write inserted, and of merged calls (moved to the stored
    call that takes them)."""
    call_ids = verdicts["call_id"]
    kept = verdicts.filter(pc.is_in(call_ids, pa.array(list(fresh | merged), pa.string())))
    if not merged or not kept.num_rows:
        return kept.select(FILTER_SCHEMA.names).cast(FILTER_SCHEMA)
    moved = [outcome.verdicts_to.get(cid, cid) for cid in kept["call_id"].to_pylist()]
    kept = kept.set_column(kept.schema.get_field_index("call_id"), "call_id", pa.array(moved))
    return kept.select(FILTER_SCHEMA.names).cast(FILTER_SCHEMA)


_Outcomes = tuple[list[pa.Table], list[tuple[str, int, int]], list[WriteResult]]


def _new_batch_outcomes(tables: list[pa.Table], batches: list[Batch]) -> _Outcomes:
    """Each batch's verdicts to insert, ingest log row and result, when every call of every
    batch was inserted."""
    kept: list[pa.Table] = []
    log_rows: list[tuple[str, int, int]] = []
    results: list[WriteResult] = []
    for table, batch in zip(tables, batches, strict=True):
        if batch.verdicts is not None and batch.verdicts.num_rows:
            kept.append(_verdicts_of(batch.verdicts, table["call_id"]))
        log_rows.append((batch.source, table.num_rows, batch.rejected))
        results.append(WriteResult(table.num_rows, 0))
    return kept, log_rows, results


def _batch_outcomes(
    tables: list[pa.Table],
    batches: list[Batch],
    outcome: CallsOutcome,
    kept_from: datetime | None,
) -> _Outcomes:
    """Each batch's verdicts to insert, ingest log row and result, whatever ``outcome``
    (calls stored already, merged, twice in the group, or from before ``kept_from``)."""
    inserted = set(outcome.inserted.to_pylist())
    claimed: set[str] = set()
    kept: list[pa.Table] = []
    log_rows: list[tuple[str, int, int]] = []
    results: list[WriteResult] = []
    for table, batch in zip(tables, batches, strict=True):
        call_ids = table["call_id"].to_pylist()
        too_old = _count_before(table, kept_from)
        ids = set(call_ids)
        fresh = (ids & inserted) - claimed
        merged = (ids & outcome.verdicts_to.keys()) - claimed
        claimed |= fresh | merged  # a call twice in one group is counted once
        if batch.verdicts is not None and batch.verdicts.num_rows:
            kept.append(_verdicts_kept(batch.verdicts, fresh, merged, outcome))
        log_rows.append((batch.source, len(fresh), batch.rejected))
        results.append(
            WriteResult(
                len(fresh),
                len(call_ids) - len(fresh) - too_old,
                sum(1 for cid in call_ids if cid in outcome.merged),
                too_old,
            )
        )
    return kept, log_rows, results


def _verdicts_of(verdicts: pa.Table, call_ids: pa.ChunkedArray) -> pa.Table:
    """The verdicts of ``call_ids`` (every call of their batch was inserted)."""
    kept = verdicts.filter(pc.is_in(verdicts["call_id"], value_set=call_ids.combine_chunks()))
    return kept.select(FILTER_SCHEMA.names).cast(FILTER_SCHEMA)


def _count_before(calls: pa.Table, horizon: datetime | None) -> int:
    """How many of ``calls`` started before ``horizon`` (none when there is none)."""
    if horizon is None or not calls.num_rows:
        return 0
    moment = pa.scalar(horizon, calls.schema.field("start_time").type)
    return int(pc.sum(pc.less(calls["start_time"], moment)).as_py() or 0)


def _hours_of(start_times: pa.Array) -> set[datetime]:
    """The distinct UTC hours of ``start_times`` (each hour's start)."""
    hours = pc.floor_temporal(pc.cast(start_times, pa.timestamp("us", tz="UTC")), unit="hour")
    return set(pc.unique(hours).to_pylist())


def _named_open_hours(con: duckdb.DuckDBPyConnection) -> set[datetime]:
    """The hours latency_open_hours names: the truth the store's own list follows."""
    return {hour for (hour,) in queries.run_rows(con, "latency_open_hours")}


class Store:
    """Owner of the DuckDB file. Thread-safe: writes are serialised by a lock."""

    def __init__(self, path: Path, *, checkpoint_at_bytes: int = CHECKPOINT_AT_BYTES) -> None:
        self.path = path.resolve()
        self._checkpoint_at_bytes = checkpoint_at_bytes
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            # Without the ICU extension (not bundled, not downloadable offline) DuckDB's
            # TIMESTAMPTZ arithmetic and DATE comparisons are in UTC: dated prices and
            # month boundaries are UTC dates.
            self._con = duckdb.connect(str(self.path))
            queries.execute(self._con, "set_checkpoint_threshold", size=CHECKPOINT_THRESHOLD)
            queries.execute(self._con, "set_vacuum_tasks", tasks=0)
        except duckdb.Error as exc:
            raise StoreError(f"cannot open {self.path}: {exc}") from exc
        self._write_lock = threading.Lock()
        # The purge's own connection to the file, so that stopping it interrupts nothing else.
        self._purge_con = self._con.cursor()
        # Counts the transactions other than ingest writes (reference data, rebuilds,
        # purges): a write prepared before one of them ends is summed again by the writer.
        self._generation = 0
        # context_tiers (base model -> long-context threshold) as of a generation: reference
        # data, changed only in a transaction of its own.
        self._long_above: tuple[int, dict[str, int]] | None = None
        self._local = threading.local()
        self._vacuumed_at = time.monotonic()  # the first vacuum VACUUM_EVERY_S after opening
        self._vacuum_wanted = False  # after a purge that deleted: its next checkpoint vacuums
        self._calls_kept_from: datetime | None = None  # retention deleted the calls before
        self._content_kept_from: datetime | None = None  # ... and message content before
        # The hours whose calls the latency sketch does not count yet (latency_open_hours, as
        # of the last commit), and when the store last sealed such hours.
        self._open_hours: set[datetime] = set()
        self._sealed_at = time.monotonic()
        # The same for the hourly usage summary (fold_usage_days).
        self._usage_days: set[date] = set()
        self._usage_folded_at = time.monotonic()
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
            self._open_hours = _named_open_hours(con)
        if applied_now:
            log.info("applied migrations %s to %s", ", ".join(applied_now), self.path)
        self._read_horizons(self.cursor())
        if not bool(queries.run(self.cursor(), "usage_hourly_in_step")["in_step"].iloc[0]):
            self.rebuild_usage_summary()
        if not bool(queries.run(self.cursor(), "latency_hourly_in_step")["in_step"].iloc[0]):
            self.rebuild_latency_sketch()
        with self.transaction() as con:  # hints whose model call never came
            queries.run(con, "clear_old_call_hints", before=datetime.now(UTC) - HINTS_KEPT)
        return applied_now

    def rebuild_usage_summary(self) -> None:
        """Sum usage_hourly again from the whole ledger: after calls were written other than
        through this store (a file loaded by SQL, an edit), or by an older version. The hours
        before retention's horizon stay as they are: their calls are gone."""
        with self.transaction() as con:
            queries.run(con, "clear_usage_hourly")
            queries.run(con, "fill_usage_days", days=None)
            self._usage_days.clear()
        log.info("rebuilt the hourly usage summary of %s", self.path)

    def rebuild_latency_sketch(self) -> None:
        """Count latency_hourly and latency_daily again from the whole ledger (as
        rebuild_usage_summary does the usage summary); every hour is sealed then."""
        with self.transaction() as con:
            count_latency_days(con, None)
            queries.execute(con, "close_latency_hours", hours=None)
            self._open_hours = set()  # as in purge(), should the commit fail
        log.info("rebuilt the hourly latency sketch of %s", self.path)

    def seal_latency_hours(
        self, *, before: datetime | None = None, most: int | None = None
    ) -> list[datetime]:
        """Seal the open hours that start before ``before`` (the current UTC hour's start when
        None), the oldest first and at most ``most`` of them: count their calls into the
        latency sketch, in one transaction. The hours sealed. The hours are those the table
        names, which the store's list then follows again (a transaction that failed to
        commit may have left them apart)."""
        now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
        with self._write_lock:
            named = _named_open_hours(self._con)
            due = sorted(hour for hour in named if hour < (before or now))[:most]
            if due:
                with _transaction(self._con):
                    seal_hours(self._con, set(due))
            self._open_hours = named - set(due)
            self._sealed_at = time.monotonic()
        return due

    def seal_if_due(self) -> list[datetime]:
        """``seal_latency_hours`` of at most SEAL_HOURS_AT_ONCE hours, once
        SEAL_LATENCY_EVERY_S have passed since the last (the writers call it after answering
        their senders)."""
        if time.monotonic() - self._sealed_at < SEAL_LATENCY_EVERY_S:
            return []
        try:
            return self.seal_latency_hours(most=SEAL_HOURS_AT_ONCE)
        except duckdb.Error as exc:  # the hours stay open: readers read their calls
            log.warning("sealing the latency sketch's hours failed (%s); retried later", exc)
        except Exception:  # the calls written before are stored: their writer is not failed
            log.exception("sealing the latency sketch's hours failed unexpectedly")
        self._sealed_at = time.monotonic()  # retried at the next pass, not at every commit
        return []

    @contextmanager
    def transaction(
        self, on: duckdb.DuckDBPyConnection | None = None
    ) -> Iterator[duckdb.DuckDBPyConnection]:
        """The owner connection (or ``on``, another connection of the store's) inside one
        transaction, writes serialised; all or none. Then the store's checkpoint, if its
        log is due one."""
        con = self._con if on is None else on
        with self._write_lock:
            try:
                with _transaction(con):
                    yield con
            finally:
                self._generation += 1
        self.checkpoint_if_due()

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A cursor for the calling thread (DuckDB cursors are not shared across threads)."""
        cur: duckdb.DuckDBPyConnection | None = getattr(self._local, "cursor", None)
        if cur is None:
            cur = self._con.cursor()
            self._local.cursor = cur
        return cur

    def write(
        self,
        calls: pa.Table,
        verdicts: pa.Table | None = None,
        *,
        source: str,
        rejected: int = 0,
    ) -> WriteResult:
        """Store one batch in one transaction; re-sent calls are ignored, not doubled. Then
        the store's checkpoint, if its log is due one (the ingest queue's writer checks
        after answering its senders instead)."""
        result = self.write_many([Batch(calls, verdicts, source, rejected)])[0]
        self.seal_if_due()
        self.checkpoint_if_due()
        return result

    def prepare(self, batches: list[Batch]) -> PreparedWrite:
        """What ``write_many`` computes of ``batches`` before it writes: their calls
        conformed, and what they add to the summaries, on the calling thread's cursor
        (beside a running write)."""
        write, sums = self.prepare_unsummed(batches)
        sums.sum()
        return write

    def prepare_unsummed(self, batches: list[Batch]) -> tuple[PreparedWrite, ComingSummaries]:
        """``prepare`` whose sums are yet to be made: ``sum()`` them on this thread, while
        ``write_many`` inserts the calls on the writer's (it waits for them to append)."""
        generation = self._generation  # read first: a transaction ending later changes it
        tables, incoming = self._incoming(batches)
        long_above = self._context_tiers(self.cursor(), generation)
        sums = ComingSummaries(incoming, long_above)
        return PreparedWrite(tables, incoming, sums.result, generation), sums

    def _context_tiers(self, cur: duckdb.DuckDBPyConnection, generation: int) -> dict[str, int]:
        """context_tiers (base model -> long-context threshold) as of ``generation``, read
        again only after another transaction ended. Read after the caller took
        ``generation``: a transaction ending in between makes the tiers newer than their
        label, never older, and the write sums again all the same (generation changed)."""
        cached = self._long_above
        if cached is not None and cached[0] == generation:
            return cached[1]
        rules = queries.run_arrow(cur, "context_tier_rules")
        long_above = dict(
            zip(rules["model"].to_pylist(), rules["long_above_tokens"].to_pylist(), strict=True)
        )
        self._long_above = (generation, long_above)
        return long_above

    def _incoming(self, batches: list[Batch]) -> tuple[list[pa.Table], pa.Table]:
        tables = [cast_calls(batch.calls) for batch in batches]
        incoming = pa.concat_tables(tables)
        if self._calls_kept_from is not None:
            # Calls from before retention's horizon are not stored again: their hours are
            # in the summary already, and would count twice.
            # A filter copies every column: only when some call is that old.
            kept_from = pa.scalar(self._calls_kept_from, incoming.schema.field("start_time").type)
            kept = pc.fill_null(pc.greater_equal(incoming["start_time"], kept_from), False)
            if not pc.all(kept).as_py():
                incoming = incoming.filter(kept)
        return tables, incoming

    def write_many(
        self,
        batches: Iterable[Batch],
        hints: pa.Table | None = None,
        prepared: PreparedWrite | None = None,
    ) -> list[WriteResult]:
        """Store several batches in one transaction (group commit); all or none.

        A call already stored under its ``call_id`` is not doubled: it is refreshed with
        what the new copy says (a re-read may know more). A new call whose ``request_id``
        is that of a stored call (the same call seen by another source) is merged into it.
        Verdicts go in with their call's first insert, or with a merge into a call that has
        none yet. ``hints`` (what child HTTP spans say of a model call) go to the calls.
        ``prepared`` is ``prepare(batches)``, made earlier on another thread."""
        batches = list(batches)
        try:
            with self._write_lock:
                results, opened = self._write_in_transaction(batches, hints, prepared)
                self._open_hours |= opened
        except duckdb.Error as exc:
            raise _store_error(self.path, exc) from exc
        return results

    def _write_in_transaction(
        self, batches: list[Batch], hints: pa.Table | None, prepared: PreparedWrite | None
    ) -> tuple[list[WriteResult], set[datetime]]:
        """``write_many``'s transaction (the caller holds the write lock); its results, and
        the hours it opened in the latency sketch (known to the store once committed)."""
        opened: set[datetime] = set()
        with _transaction(self._con):
            con = self._con
            summaries: Callable[[], Summaries] | None = None
            if prepared is not None and prepared.generation == self._generation:
                tables, incoming = prepared.tables, prepared.incoming
                summaries = prepared.summaries
            else:
                tables, incoming = self._incoming(batches)
            self._fold_usage_days(con)
            long_above = self._context_tiers(con, self._generation)
            outcome = store_calls(con, incoming, long_above, summaries)
            if len(outcome.inserted):
                hours = _hours_of(outcome.inserted_start_times)
                opened = hours - self._open_hours
                open_latency_hours(con, opened)
                self._usage_days |= {hour.date() for hour in hours}
            self._remove_old_content(con, incoming)
            # The common case, every call of every batch inserted (none twice, none
            # stored, merged or too old), is told without sets of ids in Python.
            every_call_new = not outcome.merged and len(outcome.inserted) == sum(
                table.num_rows for table in tables
            )
            if every_call_new:
                kept, log_rows, results = _new_batch_outcomes(tables, batches)
            else:
                kept, log_rows, results = _batch_outcomes(
                    tables, batches, outcome, self._calls_kept_from
                )
            verdicts = pa.concat_tables(kept) if kept else None
            if verdicts is not None and verdicts.num_rows:
                insert_rows(con, "insert_filter_results", verdicts)
            sources, calls, rejected = zip(*log_rows, strict=True)
            queries.execute(con, "insert_ingest_log", sources=list(sources),
                            calls=list(calls), rejected=list(rejected))  # fmt: skip
            if hints is not None:
                store_hints(con, hints)
        return results, opened

    def purge(self, config: RetentionConfig, now: datetime | None = None) -> PurgeResult:
        """Delete the calls (and their verdicts) and remove the message content that
        retention no longer keeps at ``now``, in one transaction; the hourly usage summary
        and the latency sketch keep every hour (an open hour among the purged is sealed
        first, while its calls are there to be counted)."""
        now = now or datetime.now(UTC)
        calls_before, content_before = horizons(config, now)
        with self.transaction(on=self._purge_con) as con:  # interrupt_purge() stops it
            # The hours the table names (the store's list could lag it after a failed commit).
            named = _named_open_hours(con)
            purged_hours = {hour for hour in named if hour < calls_before}
            seal_hours(con, purged_hours)
            done = queries.run(con, "retention_horizons").iloc[0]
            after = done["content_purged_before"]
            content_after = None if pd.isna(after) else after.to_pydatetime()
            counted = queries.run(
                con,
                "purge_counts",
                calls_before=calls_before,
                content_after=content_after,
                content_before=content_before,
                content_keys=CONTENT_KEY_PATTERN,
            )
            queries.execute(con, "purge_verdicts", before=calls_before)
            queries.execute(con, "purge_calls", before=calls_before)
            queries.execute(
                con,
                "purge_content",
                after=content_after,
                before=content_before,
                content_keys=CONTENT_KEY_PATTERN,
            )
            # Hints whose model call never came (an HTTP client traced without its GenAI
            # calls) are forgotten too, or they would wait until the next start.
            queries.execute(con, "clear_old_call_hints", before=now - HINTS_KEPT)
            queries.execute(con, "record_purge", calls_before=calls_before,
                            content_before=content_before, at=now)  # fmt: skip
            self._read_horizons(con)
            # Should the commit fail, the table names these hours still: readers read their
            # calls, and the next seal or purge reads them from the table.
            self._open_hours = named - purged_hours
            row = counted.iloc[0]
            if row["calls"] or row["verdicts"] or row["contents"]:
                self._vacuum_wanted = True  # the deleted rows' space reclaimed
        if self._vacuum_wanted:  # the log was not due a checkpoint after the purge
            self._try_checkpoint(vacuum=True)
        return PurgeResult(
            calls_before=calls_before,
            content_before=content_before,
            calls_deleted=int(row["calls"]),
            verdicts_deleted=int(row["verdicts"]),
            contents_removed=int(row["contents"]),
        )

    def checkpoint_if_due(self) -> bool:
        """Checkpoint the file if its write-ahead log has reached ``checkpoint_at_bytes``
        (the writer calls it after answering a commit's senders, so they do not wait for
        it); vacuuming if the store has not in ``VACUUM_EVERY_S``. True if it checkpointed;
        a checkpoint that fails leaves the log as it was, for the next one."""
        if self._log_bytes() < self._checkpoint_at_bytes:
            return False
        return self._try_checkpoint(vacuum=self._vacuum_due())

    def _vacuum_due(self) -> bool:
        return self._vacuum_wanted or time.monotonic() - self._vacuumed_at >= VACUUM_EVERY_S

    def _try_checkpoint(self, *, vacuum: bool) -> bool:
        try:
            self.checkpoint(vacuum=vacuum)
        except duckdb.Error as exc:  # e.g. another transaction writing: the log stays
            log.warning("checkpointing %s failed (%s); a later commit tries again", self.path,
                        exc)  # fmt: skip
            return False
        return True

    def checkpoint(self, *, vacuum: bool) -> None:
        """Write what the log holds into the file; ``vacuum`` also merges the row groups
        that appends left partly filled and those that deletes thinned."""
        with self._write_lock:
            if not vacuum:
                queries.execute(self._con, "checkpoint")
                return
            queries.execute(self._con, "set_vacuum_tasks", tasks=VACUUM_TASKS)
            try:
                queries.execute(self._con, "checkpoint")
            finally:
                queries.execute(self._con, "set_vacuum_tasks", tasks=0)
            self._vacuumed_at = time.monotonic()
            self._vacuum_wanted = False

    def _log_bytes(self) -> int:
        try:
            return self.path.with_name(self.path.name + ".wal").stat().st_size
        except FileNotFoundError:
            return 0

    def _read_horizons(self, cur: duckdb.DuckDBPyConnection) -> None:
        row = queries.run(cur, "retention_horizons").iloc[0]
        calls, content = row["calls_purged_before"], row["content_purged_before"]
        self._calls_kept_from = None if pd.isna(calls) else calls.to_pydatetime()
        self._content_kept_from = None if pd.isna(content) else content.to_pydatetime()

    def _remove_old_content(self, con: duckdb.DuckDBPyConnection, calls: pa.Table) -> None:
        """Calls written from before the content horizon (a backfill, a late re-send) keep
        no message content: the daily purge has gone past their time."""
        horizon = self._content_kept_from
        if horizon is None or not calls.num_rows:
            return
        earliest = pc.min(calls["start_time"]).as_py()
        if earliest >= horizon:
            return
        latest = pc.max(calls["start_time"]).as_py() + timedelta(microseconds=1)
        queries.execute(con, "purge_content", after=earliest, before=min(latest, horizon),
                        content_keys=CONTENT_KEY_PATTERN)  # fmt: skip

    def _fold_usage_days(self, con: duckdb.DuckDBPyConnection, *, now: bool = False) -> None:
        """Fold the days commits appended usage rows to, today included, once every
        FOLD_USAGE_EVERY_S (or ``now``), in the caller's transaction; should it roll back,
        the appended rows stay, and readers sum them all the same."""
        if not self._usage_days:
            return
        if not now and time.monotonic() - self._usage_folded_at < FOLD_USAGE_EVERY_S:
            return
        fold_usage_days(con, self._usage_days)
        self._usage_days.clear()
        self._usage_folded_at = time.monotonic()

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

    def interrupt_purge(self) -> None:
        """Stop a purge's statement running now (the purge raises and rolls back); nothing
        else runs on its connection."""
        self._purge_con.interrupt()

    def close(self) -> None:
        if self._usage_days:
            try:
                with self.transaction() as con:
                    self._fold_usage_days(con, now=True)
            except duckdb.Error:  # the appended rows stay, summed by readers all the same
                log.warning("folding the hourly usage summary failed at close", exc_info=True)
        with self._write_lock:
            self._purge_con.close()
            self._con.close()
