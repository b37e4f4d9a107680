"""What child HTTP spans say of a model call that has not come yet (call_hints): kept until
the call takes it, then forgotten; forgotten by the daily purge when the call never came."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from collectors.retention import RetentionConfig
from collectors.store import HINTS_KEPT, Store
from tests.normalizing import hand_built_call, hand_built_hints, rows_batch


def waiting(store: Store) -> list[str]:
    rows = store.cursor().execute("SELECT call_id FROM call_hints ORDER BY call_id").fetchall()
    return [row[0] for row in rows]


def test_a_call_takes_its_waiting_hint_and_the_hint_is_forgotten(tmp_path: Path) -> None:
    store = Store(tmp_path / "lens.duckdb")
    now = datetime.now(UTC).replace(microsecond=0)
    store.write_many([rows_batch([], [], "otlp")], hand_built_hints("t1s1", "t2s2", at=now))
    assert waiting(store) == ["t1s1", "t2s2"]
    model_call = hand_built_call("t1s1", "otlp", start_time=now - timedelta(seconds=3))
    store.write_many([rows_batch([model_call], [], "otlp")])
    stored = (
        store.cursor()
        .execute("SELECT call_id, deployment, deployment_source, api_version FROM calls")
        .fetchall()
    )
    assert stored == [("t1s1", "gpt-4o-prod", "url_path", "2024-10-21")]
    assert waiting(store) == ["t2s2"]  # the other call has not come


def test_the_purge_forgets_hints_whose_call_never_came(tmp_path: Path) -> None:
    store = Store(tmp_path / "lens.duckdb")
    now = datetime.now(UTC)
    store.write_many([rows_batch([], [], "otlp")], hand_built_hints("t1s1", at=now))
    store.purge(RetentionConfig(), now + HINTS_KEPT - timedelta(hours=1))
    assert waiting(store) == ["t1s1"]  # still within HINTS_KEPT of its arrival
    store.purge(RetentionConfig(), now + HINTS_KEPT + timedelta(hours=1))
    assert waiting(store) == []
