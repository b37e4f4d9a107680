"""``queries.execute_over``: a statement reads the Arrow table in hand as ``rows_in_hand``
(a replacement scan on the function's own variable), so each caller's statement reads its
own table, whichever threads run at once."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pytest

import queries
from collectors.store import Store
from queries import QueryFileError
from tests.normalizing import hand_built_verdicts

AT = datetime(2026, 11, 20, 6, 30, tzinfo=UTC)


def verdicts(call_id: str, count: int) -> pa.Table:
    return hand_built_verdicts(call_id, count, at=AT)


def stored(store: Store) -> list[tuple[str, str, int]]:
    rows = store.cursor().execute(
        "SELECT call_id, intervention_point, count(*) FROM filter_results GROUP BY ALL ORDER BY ALL"
    )
    return rows.fetchall()


def test_the_statement_reads_the_rows_in_hand(tmp_path: Path) -> None:
    store = Store(tmp_path / "lens.duckdb")
    with store.transaction() as con:
        queries.execute_over(con, "insert_filter_results", verdicts("a", 2))
    # Two categories for each target; no intervention point given: the target's.
    assert stored(store) == [("a", "output", 2), ("a", "user_input", 2)]
    store.close()


def test_params_the_file_does_not_declare_are_refused(tmp_path: Path) -> None:
    store = Store(tmp_path / "lens.duckdb")
    with pytest.raises(QueryFileError, match="takes params"), store.transaction() as con:
        queries.execute_over(con, "insert_filter_results", verdicts("a", 1), at=AT)
    assert stored(store) == []
    store.close()


def test_threads_running_at_once_each_store_their_own_rows(tmp_path: Path) -> None:
    store = Store(tmp_path / "lens.duckdb")
    rounds = 40

    def insert(call_id: str, count: int) -> None:
        cur = store.cursor()
        for _ in range(rounds):
            queries.execute_over(cur, "insert_filter_results", verdicts(call_id, count))

    threads = [threading.Thread(target=insert, args=(name, n)) for name, n in (("a", 1), ("b", 3))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert stored(store) == [
        ("a", "output", rounds),
        ("a", "user_input", rounds),
        ("b", "output", 3 * rounds),
        ("b", "user_input", 3 * rounds),
    ]
    store.close()
