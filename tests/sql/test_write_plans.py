"""The inserts of every commit are planned as plain inserts, also on more than one thread;
a bulk of rows (a Log Analytics pull's) goes to DuckDB's batch insert.

On two threads or more DuckDB plans an insert from an Arrow table as a batch insert, whose
per-thread row collections cost a commit of a few thousand rows more than they save; the
statements' ``RETURNING NULL`` makes it plan a plain insert. For many rows the batch
insert's threads are faster: calls and verdicts have an ``_in_bulk`` twin, chosen by
``writes.insert_rows`` above ``PLAIN_INSERT_ROWS`` (decision 0041). Each statement stores
its rows."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pytest

import queries
from collectors.rows import calls_table
from collectors.store import Store
from collectors.summaries import summaries_of
from collectors.writes import PLAIN_INSERT_ROWS, insert_rows
from tests.normalizing import (
    HAND_BUILT_AT,
    hand_built_call,
    hand_built_hints,
    hand_built_verdicts,
)

# Each commit's inserts and the table each one writes.
COMMIT_INSERTS = {
    "insert_calls": "calls",
    "insert_filter_results": "filter_results",
    "append_usage_rows": "usage_hourly",
    "insert_call_hints": "call_hints",
}
# The statements with a twin for a bulk of rows.
BULK_TWINS = ("insert_calls", "insert_filter_results")


def rows_for(statement: str) -> pa.Table:
    """Rows of the shape ``statement`` reads."""
    calls = calls_table([hand_built_call("c1", "otlp"), hand_built_call("c2", "otlp")])
    sums = summaries_of(calls, {})
    return {
        "insert_calls": calls,
        "insert_filter_results": hand_built_verdicts("c1", 2),
        "append_usage_rows": sums.usage,
        "insert_call_hints": hand_built_hints("c3", at=HAND_BUILT_AT),
    }[statement]


@pytest.fixture
def two_threads(tmp_path: Path) -> Iterator[Store]:
    store = Store(tmp_path / "lens.duckdb")
    store.cursor().execute("SET threads = 2")
    yield store
    store.close()


def plan_of(store: Store, statement: str, rows: pa.Table) -> str:
    con = store.cursor()
    for name in ("rows_in_hand", "incoming_hints"):
        con.register(name, rows)
    explained = con.execute("EXPLAIN " + queries.load(statement).body).fetchall()
    return "\n".join(row[1] for row in explained)


@pytest.mark.parametrize("statement", COMMIT_INSERTS)
def test_a_commit_insert_is_planned_as_a_plain_insert(two_threads: Store, statement: str) -> None:
    plan = plan_of(two_threads, statement, rows_for(statement))
    assert "Insert" in plan
    assert "Batch Insert" not in plan


@pytest.mark.parametrize("statement", BULK_TWINS)
def test_a_bulk_insert_is_planned_as_a_batch_insert(two_threads: Store, statement: str) -> None:
    plan = plan_of(two_threads, f"{statement}_in_bulk", rows_for(statement))
    assert "Batch Insert" in plan


@pytest.mark.parametrize("statement", BULK_TWINS)
def test_a_bulk_twin_is_its_statement_without_the_returning(statement: str) -> None:
    def code(name: str) -> list[str]:
        lines = queries.load(name).body.splitlines()
        return [line for line in lines if line.strip() and not line.startswith("--")]

    plain = code(statement)
    assert plain[-1] == "RETURNING NULL;"
    assert code(f"{statement}_in_bulk") == [*plain[:-2], plain[-2] + ";"]


@pytest.mark.parametrize("statement", BULK_TWINS)
def test_more_rows_than_a_plain_insert_takes_go_by_the_bulk_twin(
    two_threads: Store, statement: str
) -> None:
    one = rows_for(statement)
    repeat = PLAIN_INSERT_ROWS // one.num_rows + 1
    many = pa.concat_tables([one] * repeat).combine_chunks()
    if statement == "insert_calls":  # one call id each
        ids = [f"c{n}" for n in range(many.num_rows)]
        many = many.set_column(many.schema.get_field_index("call_id"), "call_id", pa.array(ids))
    assert many.num_rows > PLAIN_INSERT_ROWS
    with two_threads.transaction() as con:
        insert_rows(con, statement, many)
        answered = con.fetchmany(2)  # a NULL a row would be many: two tell them apart
    assert answered == [(many.num_rows,)]  # the batch insert's count, not a NULL a row
    table = COMMIT_INSERTS[statement]
    count = two_threads.cursor().execute(f"SELECT count(*) FROM {table}").fetchone()
    assert count == (many.num_rows,)


@pytest.mark.parametrize("statement", BULK_TWINS)
def test_a_commit_of_calls_and_verdicts_goes_by_the_plain_insert(
    two_threads: Store, statement: str
) -> None:
    rows = rows_for(statement)
    with two_threads.transaction() as con:
        insert_rows(con, statement, rows)
        answered = con.fetchall()
    assert answered == [(None,)] * rows.num_rows  # RETURNING NULL: the plain insert


@pytest.mark.parametrize("statement", COMMIT_INSERTS)
def test_a_commit_insert_stores_every_row(two_threads: Store, statement: str) -> None:
    rows = rows_for(statement)
    with two_threads.transaction() as con:
        if statement == "insert_call_hints":
            with queries.registered(con, "incoming_hints", rows):
                queries.execute(con, statement)
        else:
            queries.execute_over(con, statement, rows)
    table = COMMIT_INSERTS[statement]
    count = two_threads.cursor().execute(f"SELECT count(*) FROM {table}").fetchone()
    assert count == (rows.num_rows,)
