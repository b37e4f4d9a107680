"""Every table on every page, on the seeded ledger, names its columns for people: a
configured label for each column shown, never a snake_case field name."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.app.test_dashboard_pages import open_page

PAGES = [
    ("overview", {}),
    ("deployments", {}),
    ("content_safety", {}),
    ("calls", {}),
    ("calls", {"call_id": "c06"}),
    ("tenants", {}),
    ("sources", {}),
]


@pytest.mark.parametrize(("page", "params"), PAGES)
def test_every_shown_column_has_a_human_header(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, page: str, params: dict[str, str]
) -> None:
    at = open_page(tmp_path, monkeypatch, page, params)
    assert at.dataframe, f"{page} shows no table"
    for table in at.dataframe:
        config = json.loads(table.proto.columns or "{}")
        order = list(table.proto.column_order) or list(table.value.columns)
        for column in order:
            if config.get(column, {}).get("hidden"):
                continue
            label = config.get(column, {}).get("label")
            assert label, f"{page}: column {column!r} has no label"
            assert "_" not in label, f"{page}: column {column!r} is labelled {label!r}"
