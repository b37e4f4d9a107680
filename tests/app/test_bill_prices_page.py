"""The Reconciliation page's "use the bill's unit prices": the proposed prices beside the
book's (the export and hand-computed prices of tests/integration/test_bill_prices.py), the
meters not applied, the confirming button, and the people who may not press it."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from app.dashboard import db
from tests.app.conftest import APP
from tests.app.test_sign_in_and_roles import ACCESS, AUTH, person
from tests.integration.test_bill_prices import focus_csv
from tests.seeding import seeded_database

APPLY = "Apply the bill's unit prices"


def upload(at: AppTest) -> AppTest:
    at.selectbox[0].set_value("2026-11")
    at.file_uploader[0].upload("focus.csv", focus_csv(), "text/csv")
    at.run()
    assert not at.exception, at.exception
    return at


def differences_of_the_day(at: AppTest) -> list[float]:
    rows = at.dataframe[0].value
    rows = rows[(rows["day"] == date(2026, 11, 20)) & (rows["billed_cost_usd"] > 0)]
    return [round(v, 6) for v in rows["difference_usd"]]


def test_the_bills_prices_are_shown_then_applied_on_confirmation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = seeded_database(tmp_path / "lens.duckdb", datetime(2026, 11, 20, 12, 30, tzinfo=UTC))
    monkeypatch.setenv("LENS_DB", str(path))
    at = AppTest.from_file(APP, default_timeout=30)
    at.run()
    at = upload(at.switch_page("app_pages/reconciliation.py").run())
    before = differences_of_the_day(at)
    assert before[:1] and any(before)  # e.g. aoai-prod input 0.004048 - 0.00506
    proposed = at.dataframe[1].value
    assert len(proposed) == 5  # five prices differ; gpt-4o's cached input agrees
    gpt_input = proposed[(proposed["model"] == "gpt-4o") & (proposed["token_class"] == "input")]
    assert list(gpt_input[["lens_per_1m", "bill_per_1m", "difference_per_1m"]].iloc[0]) == [
        2.5, 2.0, -0.5
    ]  # fmt: skip
    not_applied = at.dataframe[2].value
    assert sorted(not_applied["meter"]) == ["Azure OpenAI Tokens Bundle",
                                            "gpt 4o mini 0718 Inp glbl"]  # fmt: skip
    [button] = [b for b in at.button if b.label == APPLY]
    button.click().run()
    assert not at.exception, at.exception
    assert "bill-2026-11" in at.success[0].value
    assert differences_of_the_day(at) == [0.0] * 6
    assert "nothing to change" in " ".join(i.value for i in at.info)
    audited = db.cursor().execute(
        "SELECT actor, target, detail->>'via' FROM audit_log WHERE action = 'prices.apply'"
    )
    assert audited.fetchall() == [("local", "bill-2026-11", "ui")]


def test_a_finops_person_of_some_tenants_sees_the_prices_but_cannot_apply_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = seeded_database(tmp_path / "lens.duckdb", datetime(2026, 11, 20, 12, 30, tzinfo=UTC))
    (tmp_path / "access.toml").write_text(ACCESS)
    monkeypatch.setenv("LENS_DB", str(path))
    monkeypatch.setenv("LENS_ACCESS_FILE", str(tmp_path / "access.toml"))
    for email, may in (("cf@contoso.com", False), ("fin@contoso.com", True)):
        at = AppTest.from_file(APP, default_timeout=30)
        at.secrets = AUTH
        at.user = person(email)
        at.run()
        at = upload(at.switch_page("app_pages/reconciliation.py").run())
        assert len(at.dataframe[1].value) == 5
        assert any(b.label == APPLY for b in at.button) is may
        infos = " ".join(i.value for i in at.info)
        assert ("limited to some" in infos) is not may
