"""The statements of one write, on the owner connection inside its transaction.

Calls arrive as tables (``CALL_SCHEMA``). A call is found again by its ``call_id`` within
the time window of its batch (``window``): the ledger keeps no index on call ids, which
cost more than the rest of a write (docs/decisions/0004-one-ingest-shape.md). A copy sent
again keeps its start time, so the same call id is looked for within a second of an OTLP
batch's start times (``SPAN_COPY_PAD``), a minute of a Log Analytics batch's
(``SAME_CALL_PAD``); a report of another source, matched by request id, and a child HTTP
span's hint within an hour (``REPORT_PAD``) (docs/decisions/0030-cheaper-group-writes.md,
0040-narrow-windows-for-live-traffic.md).

- ``store_calls`` inserts the new calls, merges a call another source already reported
  (the same ``request_id``) and refreshes calls read again; it adds what it inserted to
  the hourly usage summary (rows summed in Arrow, ``collectors/summaries.py``, appended,
  folded later by ``fold_usage_days``), and sums again the days of what changed in place.
  The latency sketch counts an hour's calls once the hour is sealed (``seal_hours``);
  the store names the hours of the calls it inserts open until then
  (``open_latency_hours``, docs/decisions/0042-latency-sketch-sealed-by-hour.md).
- ``store_hints`` keeps what child HTTP spans said of a model call (its deployment) and
  gives it to stored calls that lacked it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

import queries
from collectors.rows import (
    CALL_COLUMNS,
    CALL_SCHEMA,
    SOURCE_OTLP,
    CallRow,
    call_rows,
    calls_table,
    conform_calls,
)
from collectors.summaries import Summaries, summaries_of
from queries import registered

log = logging.getLogger(__name__)

# A call sent or read again under its call id keeps its start time: its stored copy starts
# within the batch's start times. A span keeps its start exactly (a second either side, for
# a source that rounds it to the millisecond); a log row read again may carry a rounded
# stamp, or another of the call's rows' (a minute either side).
SPAN_COPY_PAD: Final = timedelta(seconds=1)
SAME_CALL_PAD: Final = timedelta(minutes=1)
# Another report of a call (another source's, found by request id; a child HTTP span's)
# starts within this much of the call's own start: they differ by the call's duration and
# the two clocks' skew (decision 0040). Every batch looks this far, so it stays narrow.
REPORT_PAD: Final = timedelta(hours=1)
# A merge, and the days summed again after one, look this far around the batch: they run
# only when a call was matched.
WINDOW_PAD: Final = timedelta(days=1)
_WEAK_DEPLOYMENT: Final = pa.array(["unknown", "request_model"])
# Up to this many rows, calls and verdicts are inserted by the plain insert of their
# statement (``RETURNING NULL``; a commit of the ingest queue: up to 8,192 calls and their
# verdicts); more (a Log Analytics pull's) by its ``_in_bulk`` twin, DuckDB's batch insert,
# whose threads convert them faster (decision 0041).
PLAIN_INSERT_ROWS: Final = 32_768


@dataclass(frozen=True)
class CallsOutcome:
    inserted: pa.Array  # call ids inserted as new rows
    inserted_start_times: pa.Array  # their start times
    merged: dict[str, str]  # incoming call id -> the stored call it was merged into
    verdicts_to: dict[str, str]  # merged call id -> stored call that takes its verdicts


def window(table: pa.Table, pad: timedelta = WINDOW_PAD) -> tuple[datetime, datetime]:
    """The start times around a batch's calls in which a stored copy of them may lie."""
    bounds = pc.min_max(table["start_time"])
    return bounds["min"].as_py() - pad, bounds["max"].as_py() + pad


def store_calls(
    con: duckdb.DuckDBPyConnection,
    table: pa.Table,
    long_above: Mapping[str, int],
    summaries: Callable[[], Summaries] | None = None,
) -> CallsOutcome:
    """Insert new calls, merge calls known by request id, refresh calls read again; add what
    was inserted to the summaries (``summaries()``, the sums of ``table``, when they sum
    exactly those calls; they may still be being made on another thread, and are waited
    for only once the calls are in; else summed here with ``long_above``, the context
    tiers' thresholds)."""
    summed = table
    if not table.num_rows:
        return CallsOutcome(
            pa.array([], pa.string()), pa.array([], pa.timestamp("us", tz="UTC")), {}, {}
        )
    if not _one_row_per_call(table):
        table = calls_table(_one_per_request(call_rows(table)))
    start, end = window(table)
    merged: dict[str, str] = {}
    if table["request_id"].null_count < table.num_rows:
        near_start, near_end = window(table, REPORT_PAD)
        with registered(con, "incoming_calls", table):
            found = queries.run_arrow(
                con, "match_calls_by_request_id", window_start=near_start, window_end=near_end
            )
        merged = dict(zip(found["incoming_id"].to_pylist(), found["stored_id"].to_pylist(),
                          strict=True))  # fmt: skip
    to_insert = table
    if merged:
        to_insert = table.filter(pc.invert(pc.is_in(table["call_id"], pa.array(list(merged)))))
    read_again = pa.chunked_array([], pa.string())
    if to_insert.num_rows:
        pad = SPAN_COPY_PAD if _spans_only(to_insert) else SAME_CALL_PAD
        near_start, near_end = window(to_insert, pad)
        stored = queries.run_rows(
            con,
            "stored_calls_in_window",
            call_ids=to_insert["call_id"].to_pylist(),
            window_start=near_start,
            window_end=near_end,
        )
        read_again = pa.chunked_array([[row[0] for row in stored]], pa.string())
    new = to_insert
    if len(read_again):
        new = to_insert.filter(pc.invert(pc.is_in(to_insert["call_id"], read_again)))
    if new.num_rows:
        new = _with_stored_hints(con, new)
        insert_rows(con, "insert_calls", new)
        # Each step above returns the very table it was given when it leaves every call in
        # place, so ``new is summed`` says the summed calls are what was inserted.
        _append_summaries(con, _sums_of(new, summed, summaries, long_above))
    verdicts_to = _merge_calls(con, table, read_again, merged, (start, end))
    return CallsOutcome(
        new["call_id"].combine_chunks(), new["start_time"].combine_chunks(), merged, verdicts_to
    )


def insert_rows(con: duckdb.DuckDBPyConnection, statement: str, rows: pa.Table) -> None:
    """Insert ``rows`` by ``statement``, or by its ``_in_bulk`` twin when they are many."""
    chosen = statement if rows.num_rows <= PLAIN_INSERT_ROWS else f"{statement}_in_bulk"
    queries.execute_over(con, chosen, rows)


def _spans_only(table: pa.Table) -> bool:
    """Whether every call of ``table`` came as an OTLP span."""
    return bool(pc.all(pc.equal(table["source"], SOURCE_OTLP)).as_py())


def _sums_of(
    new: pa.Table,
    summed: pa.Table,
    summaries: Callable[[], Summaries] | None,
    long_above: Mapping[str, int],
) -> Summaries:
    """What the calls inserted (``new``) add to the summaries: the sums in hand when they
    are of exactly those calls and could be made, else summed here."""
    if summaries is not None and new is summed:
        try:
            return summaries()
        except Exception as exc:  # the sums failed or never came: summed here instead
            log.warning("the calls' sums made beside the write failed (%s); summed again", exc)
    return summaries_of(new, long_above)


def _append_summaries(con: duckdb.DuckDBPyConnection, summaries: Summaries) -> None:
    if summaries.usage.num_rows:
        queries.execute_over(con, "append_usage_rows", summaries.usage)


def store_hints(con: duckdb.DuckDBPyConnection, hints: pa.Table) -> None:
    """Child-span hints (call_id, start_time, deployment, api_version, endpoint,
    http_status): stored calls that lack a deployment take theirs, the rest are kept for
    the model-call spans that arrive later."""
    if not hints.num_rows:
        return
    start, end = window(hints, REPORT_PAD)
    with registered(con, "incoming_hints", hints):
        hinted = queries.run_arrow(con, "calls_to_hint", window_start=start, window_end=end)
    if hinted.num_rows:
        ids = hinted["call_id"].to_pylist()
        days = set(
            queries.run(con, "days_of_calls", call_ids=ids, window_start=start, window_end=end)[
                "day"
            ]
        )
        with registered(con, "call_hinted", hinted):
            queries.execute(con, "apply_call_hints", window_start=start, window_end=end)
        _sum_days_again(con, days)
    waiting = hints.filter(pc.invert(pc.is_in(hints["call_id"], hinted["call_id"])))
    if waiting.num_rows:
        with registered(con, "incoming_hints", waiting):
            queries.execute(con, "insert_call_hints")


def _with_stored_hints(con: duckdb.DuckDBPyConnection, new: pa.Table) -> pa.Table:
    """``new`` with deployments that child spans stored earlier name (only looked up when a
    call lacks one and hints are waiting)."""
    weak = pc.is_in(new["deployment_source"], _WEAK_DEPLOYMENT)
    if not pc.any(weak).as_py() or not _hints_waiting(con):
        return new
    start, end = window(new, REPORT_PAD)
    with registered(con, "incoming_calls", new):
        hinted = queries.run_arrow(con, "hinted_calls", window_start=start, window_end=end)
    # The calls are stored now: what waited for them is forgotten, or the hints of a live
    # feed would pile up until the next start (decision 0040).
    waited = pc.filter(new["call_id"], weak).to_pylist()
    queries.execute(con, "forget_call_hints", call_ids=waited)
    return hinted.cast(new.schema)


def _hints_waiting(con: duckdb.DuckDBPyConnection) -> bool:
    return bool(queries.run_arrow(con, "call_hints_waiting")["waiting"][0].as_py())


def _merge_calls(
    con: duckdb.DuckDBPyConnection,
    table: pa.Table,
    read_again: pa.ChunkedArray,
    merged: dict[str, str],
    bounds: tuple[datetime, datetime],
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
    start, end = bounds
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
        changing = queries.run_arrow(
            con, "changing_call_matches", window_start=start, window_end=end
        )
    if changing.num_rows:
        changed = sorted(set(changing["stored_id"].to_pylist()))
        days = set(
            queries.run(con, "days_of_calls", call_ids=changed, window_start=start, window_end=end)[
                "day"
            ]
        )
        with registered(con, "incoming_calls", table), registered(con, "call_matches", changing):
            queries.execute(con, "merge_calls", window_start=start, window_end=end)
        # Merged or refreshed calls changed in place: sum their days again.
        days |= set(
            queries.run(con, "days_of_calls", call_ids=changed, window_start=start, window_end=end)[
                "day"
            ]
        )
        _sum_days_again(con, days)
    if not merged:
        return {}
    have = set(
        queries.run(
            con,
            "calls_with_verdicts",
            call_ids=list(set(merged.values())),
            window_start=start,
            window_end=end,
        )["call_id"]
    )
    return {cid: to for cid, to in merged.items() if to not in have}


def _sum_days_again(con: duckdb.DuckDBPyConnection, days: set[Any]) -> None:
    if days:
        queries.execute(con, "clear_usage_days", days=sorted(days))
        queries.execute(con, "fill_usage_days", days=sorted(days))
        count_latency_days(con, days)


def count_latency_days(con: duckdb.DuckDBPyConnection, days: set[Any] | None) -> None:
    """Count the latency sketch of ``days`` (every day when None) again from their calls."""
    if days is not None and not days:
        return
    chosen = None if days is None else sorted(days)
    first, last = (None, None) if chosen is None else (chosen[0], chosen[-1])
    if chosen is None:
        queries.execute(con, "clear_latency_hourly")
    else:
        queries.execute(con, "clear_latency_days", days=chosen, first_day=first, last_day=last)
    queries.execute(con, "fill_latency_days", days=chosen, first_day=first, last_day=last)
    _sum_latency_daily(con, chosen)


def open_latency_hours(con: duckdb.DuckDBPyConnection, hours: set[datetime]) -> None:
    """Name ``hours`` in latency_open_hours: the latency sketch does not count their calls
    until they are sealed, and readers read those calls instead."""
    if hours:
        queries.execute(con, "open_latency_hours", hours=sorted(hours))


def seal_hours(con: duckdb.DuckDBPyConnection, hours: set[datetime]) -> None:
    """Count the latency sketch of the open ``hours`` from their calls (latency_hourly, then
    latency_daily of their days) and take them out of latency_open_hours."""
    if not hours:
        return
    chosen = sorted(hours)
    bounds = {"first_hour": chosen[0], "last_hour": chosen[-1]}
    queries.execute(con, "clear_latency_hours", hours=chosen, **bounds)
    queries.execute(con, "fill_latency_hours", hours=chosen, **bounds)
    _sum_latency_daily(con, sorted({hour.astimezone(UTC).date() for hour in chosen}))
    queries.execute(con, "close_latency_hours", hours=chosen)


def fold_usage_days(con: duckdb.DuckDBPyConnection, days: set[Any]) -> None:
    """Fold the rows commits appended to usage_hourly for ``days`` into one row per hour and
    keys; reads the summary, not the calls."""
    if not days:
        return
    chosen = sorted(days)
    bounds = {"first_day": chosen[0], "last_day": chosen[-1]}
    folded = queries.run_arrow(con, "usage_hours_of_days", days=chosen, **bounds)
    queries.execute(con, "clear_usage_days", days=chosen)
    with registered(con, "folded_hours", folded):
        queries.execute(con, "insert_usage_hours")


def _sum_latency_daily(con: duckdb.DuckDBPyConnection, days: list[Any] | None) -> None:
    """latency_daily summed again from latency_hourly for ``days`` (every day when None)."""
    first, last = (None, None) if days is None else (days[0], days[-1])
    queries.execute(con, "clear_latency_daily", days=days)
    queries.execute(con, "fill_latency_daily", days=days, first_day=first, last_day=last)


def _one_row_per_call(table: pa.Table) -> bool:
    """No call id and no request id twice in ``table``."""
    ids, requests = table["call_id"], table["request_id"]
    # pc.unique is several times faster than pc.count_distinct on long string ids.
    return bool(
        len(pc.unique(ids)) == len(ids)
        and len(pc.unique(requests.drop_null())) == len(requests) - requests.null_count
    )


def _one_per_request(calls: list[CallRow]) -> list[CallRow]:
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


def cast_calls(calls: pa.Table) -> pa.Table:
    """A calls table in ``CALL_SCHEMA``'s columns and types: the very table when it is
    already (as the normalisers' are), since a cast of every column costs about 1 ms a table
    even when it changes nothing."""
    if calls.schema.equals(CALL_SCHEMA):
        return calls
    return conform_calls(calls)
