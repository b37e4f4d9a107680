"""Reconciliation page: an uploaded FOCUS export against the seed ledger; its totals,
the resources only one side knows, the rows, and a file that is not an export."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.app.conftest import APP
from tests.integration.test_reconcile import focus_frame
from tests.seeding import seeded_database


def open_page(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    db = seeded_database(tmp_path / "lens.duckdb", datetime(2026, 11, 20, 12, 30, tzinfo=UTC))
    monkeypatch.setenv("LENS_DB", str(db))
    at = AppTest.from_file(APP, default_timeout=30)
    at.run()
    at.switch_page("app_pages/reconciliation.py").run()
    assert not at.exception
    return at


def test_an_uploaded_export_is_reconciled(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = open_page(tmp_path, monkeypatch)
    assert "Upload the month's export" in at.info[0].value  # the empty state says what to do
    at.selectbox[0].set_value("2026-11")
    at.file_uploader[0].upload("focus.csv", focus_frame().to_csv(index=False).encode(), "text/csv")
    at.run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    # bill 1.025145 (aoai-west's 1.00 included); lens 0.020252: the five matched costs, the
    # embedding call (0.0000066) and the call without an endpoint (0.0000225)
    assert metrics["Billed (USD)"] == "$1.03"
    assert metrics["Lens (USD)"] == "$0.02"
    warnings = " ".join(w.value for w in at.warning)
    assert "aoai-west" in warnings and "unknown" in warnings
    rows = at.dataframe[0].value
    assert len(rows) == 8 and set(rows["resource"]) == {
        "aoai-prod",
        "aoai-eu",
        "aoai-west",
        "unknown",
    }


def test_a_file_that_is_not_an_export_says_what_to_export(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = open_page(tmp_path, monkeypatch)
    at.file_uploader[0].upload("notes.csv", b"a,b\n1,2\n", "text/csv")
    at.run()
    assert not at.exception
    assert at.error[0].value == "The upload cannot be reconciled."
    message, hint = (text.value for text in at.text)
    assert "neither the FOCUS columns" in message
    assert "Cost and usage details (FOCUS)" in hint
