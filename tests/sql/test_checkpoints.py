"""The store checkpoints its file itself, after the writer has answered the commit's
senders, once the write-ahead log reaches its size; its ordinary checkpoints do not vacuum,
one every ``VACUUM_EVERY_S`` and the one after a purge do (docs/decisions/0036)."""

from __future__ import annotations

import shutil
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb

from collectors.genai.normalize import normalize_spans
from collectors.otlp.flatten import FlatRequest, flatten_request
from collectors.otlp.synthetic import export_requests
from collectors.queue import IngestQueue
from collectors.retention import RetentionConfig
from collectors.store import Batch, Store


def requests(count: int, size: int = 50, days_ago: int = 0) -> list[FlatRequest]:
    end = datetime.now(UTC) - timedelta(days=days_ago)
    made = export_requests(end - timedelta(hours=12), end, size * count, batch_size=size)
    return [flatten_request(r) for r in made]


def write(store: Store, flat: FlatRequest) -> None:
    batch = normalize_spans(flat.spans, source="otlp")
    store.write_many([Batch(batch.calls_of(0), batch.verdicts_of(0), "otlp")], batch.hints)


def log_bytes(store: Store) -> int:
    wal = store.path.with_name(store.path.name + ".wal")
    return wal.stat().st_size if wal.exists() else 0


def calls_in_file_alone(store: Store, tmp_path: Path) -> int:
    """The calls a copy of the database file holds without its write-ahead log: those
    checkpointed."""
    copy = tmp_path / "alone.duckdb"
    shutil.copy(store.path, copy)
    with duckdb.connect(str(copy), read_only=True) as con:
        if not con.execute("SELECT * FROM duckdb_tables() WHERE table_name = 'calls'").fetchall():
            return 0  # not even the schema checkpointed yet
        return int(con.execute("SELECT count(*) FROM calls").fetchall()[0][0])


def one_value(store: Store, sql: str) -> int:
    """A read that leaves no transaction open (an open one would keep checkpoints from
    vacuuming)."""
    return int(store.cursor().execute(sql).fetchall()[0][0])


def row_groups(store: Store) -> int:
    return one_value(store, "SELECT count(DISTINCT row_group_id) FROM pragma_storage_info('calls')")


def vacuum_tasks(store: Store) -> int:
    return one_value(store, "SELECT current_setting('max_vacuum_tasks')")


def test_a_log_under_the_size_is_not_checkpointed(tmp_path: Path) -> None:
    store = Store(tmp_path / "lens.duckdb")  # 64 MiB
    write(store, requests(1)[0])
    assert log_bytes(store) > 0
    assert store.checkpoint_if_due() is False
    assert log_bytes(store) > 0
    assert calls_in_file_alone(store, tmp_path) == 0  # the 50 calls are in the log only
    store.close()


def test_a_log_at_the_size_is_written_into_the_file(tmp_path: Path) -> None:
    store = Store(tmp_path / "lens.duckdb", checkpoint_at_bytes=1)
    write(store, requests(1)[0])
    assert log_bytes(store) > 0
    assert store.checkpoint_if_due() is True
    assert log_bytes(store) == 0
    assert calls_in_file_alone(store, tmp_path) == 50
    assert store.checkpoint_if_due() is False  # nothing logged since
    store.close()


def test_the_writer_checkpoints_after_answering(tmp_path: Path) -> None:
    store = Store(tmp_path / "lens.duckdb", checkpoint_at_bytes=1)
    queue = IngestQueue(store)
    assert queue.submit(requests(1)[0], source="otlp").result(10).write.calls_inserted == 50
    deadline = time.monotonic() + 10
    while log_bytes(store) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert log_bytes(store) == 0
    assert calls_in_file_alone(store, tmp_path) == 50
    queue.close()
    store.close()


def test_ordinary_checkpoints_leave_row_groups_that_a_vacuum_merges(tmp_path: Path) -> None:
    store = Store(tmp_path / "lens.duckdb", checkpoint_at_bytes=1)
    first, second, third = requests(3)
    write(store, first)
    assert store.checkpoint_if_due()
    assert row_groups(store) == 1
    write(store, second)
    assert store.checkpoint_if_due()  # within VACUUM_EVERY_S of the opening: not merged
    assert row_groups(store) == 2
    write(store, third)
    assert store.checkpoint_if_due()
    assert row_groups(store) == 3
    write(store, first)  # stored already: refreshed, which a checkpoint writes again
    store.checkpoint(vacuum=True)
    assert row_groups(store) == 1  # 150 calls, one row group
    assert vacuum_tasks(store) == 0  # ordinary checkpoints stay without vacuuming
    store.close()


def test_a_purge_vacuums(tmp_path: Path) -> None:
    store = Store(tmp_path / "lens.duckdb", checkpoint_at_bytes=1)
    old, recent, newest = requests(1, days_ago=500)[0], requests(1)[0], requests(1, days_ago=1)[0]
    for flat in (old, recent, newest):
        write(store, flat)
        store.checkpoint_if_due()
    assert row_groups(store) == 3
    result = store.purge(RetentionConfig())  # 400 days of calls: the oldest 50 go
    assert result.calls_deleted == 50
    assert row_groups(store) == 1
    assert vacuum_tasks(store) == 0
    store.close()


def test_a_purge_that_deletes_nothing_does_not_vacuum(tmp_path: Path) -> None:
    """A server's first purge, on a ledger with nothing past retention, leaves the row
    groups to the ten-minute vacuum instead of merging them all under ingest."""
    store = Store(tmp_path / "lens.duckdb", checkpoint_at_bytes=1)
    for flat in (requests(1)[0], requests(1, days_ago=1)[0]):
        write(store, flat)
        store.checkpoint_if_due()
    assert row_groups(store) == 2
    result = store.purge(RetentionConfig())
    assert (result.calls_deleted, result.verdicts_deleted, result.contents_removed) == (0, 0, 0)
    write(store, requests(1, days_ago=2)[0])
    assert store.checkpoint_if_due()  # an ordinary checkpoint: no vacuum wanted
    assert row_groups(store) == 3
    store.close()


def test_a_single_write_and_a_transaction_checkpoint_when_due(tmp_path: Path) -> None:
    store = Store(tmp_path / "lens.duckdb", checkpoint_at_bytes=1)
    batch = normalize_spans(requests(1)[0].spans, source="otlp")
    # the Log Analytics poller's write: no queue after it
    assert store.write(batch.calls_of(0), batch.verdicts_of(0), source="otlp").calls_inserted == 50
    assert log_bytes(store) == 0
    assert calls_in_file_alone(store, tmp_path) == 50
    with store.transaction() as con:  # reference data, rebuilds
        con.execute("DELETE FROM calls WHERE call_id IN (SELECT call_id FROM calls LIMIT 20)")
    assert log_bytes(store) == 0
    assert calls_in_file_alone(store, tmp_path) == 30
    store.close()
