"""No table cell on any page reads as Python's or pandas' word for nothing: a missing value
is an empty cell (st.dataframe draws the text "None" unless told otherwise), and no value
is the text None, nan or NaT."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from tests.app.test_dashboard_pages import open_page

PAGES = [
    ("overview", {}),
    ("deployments", {}),
    ("content_safety", {}),
    ("calls", {}),
    ("calls", {"call_id": "c06"}),
    ("calls", {"call_id": "c03"}),  # a failed call: no model, no tokens
    ("tenants", {}),
    ("sources", {}),
]
# As Python and pandas print nothing (the ledger's own lowercase "none", a filter action,
# is a value and stays).
NOTHING = {"None", "nan", "NaN", "NaT", "<NA>"}


def shown_columns(table: object) -> list[str]:
    proto = table.proto  # type: ignore[attr-defined]
    config = json.loads(proto.columns or "{}")
    order = list(proto.column_order) or list(table.value.columns)  # type: ignore[attr-defined]
    return [c for c in order if not config.get(c, {}).get("hidden")]


@pytest.mark.parametrize(("page", "params"), PAGES)
def test_missing_values_show_as_empty_cells(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, page: str, params: dict[str, str]
) -> None:
    at = open_page(tmp_path, monkeypatch, page, params)
    assert at.dataframe, f"{page} shows no table"
    missing_somewhere = False
    for number, table in enumerate(at.dataframe):
        where = f"{page} {params}, table {number}"
        assert table.proto.HasField("placeholder"), f"{where}: missing values would read None"
        assert table.proto.placeholder == "", where
        frame: pd.DataFrame = table.value
        for column in shown_columns(table):
            values = frame[column]
            missing_somewhere |= bool(values.isna().any())
            words = {v.strip() for v in values if isinstance(v, str)}
            assert not words & NOTHING, f"{where}: column {column!r} holds {words & NOTHING}"
    if page == "tenants":  # the seed's tenants have no cost center: the test has teeth
        assert missing_somewhere
