"""The call page shows the conversation a call belongs to (session.id), as its source said,
to every role that may open the call."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from tests.app.conftest import APP
from tests.seeding import seeded_database


def fields_of(at: AppTest) -> dict[str, str]:
    table = next(d.value for d in at.dataframe if list(d.value.columns) == ["field", "value"])
    return dict(zip(table["field"], table["value"], strict=True))


def test_a_calls_session_is_among_its_fields(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = seeded_database(tmp_path / "lens.duckdb")
    with duckdb.connect(str(path)) as con:  # c04 came through API Management with a session
        con.execute(
            "UPDATE calls SET attributes = json_merge_patch(attributes, "
            "'{\"session.id\": \"conv-7\"}') WHERE call_id = 'c04'"
        )
    monkeypatch.setenv("LENS_DB", str(path))
    shown = {}
    for call_id in ("c04", "c05"):
        at = AppTest.from_file(APP, default_timeout=30)
        at.run()
        at.switch_page("app_pages/calls.py")
        at.query_params["call_id"] = call_id
        at.run()
        assert not at.exception
        shown[call_id] = fields_of(at)["session_id"]
    assert shown == {"c04": "conv-7", "c05": ""}
