"""Tenants & chargeback page: budgets this month, the chosen month's lines and the CSV."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from app.dashboard import db
from app.exports import chargeback_file
from queries.chargeback import chargeback, last_full_month, month_bounds
from tests.app.conftest import APP
from tests.seeding import add_throttled_call, seeded_database

TENANTS = """
[[tenant]]
id = "contoso"
name = "Contoso"
cost_center = "CC-1"
monthly_budget_usd = 0.001
[[tenant]]
id = "fabrikam"
name = "=Fabrikam"
monthly_token_quota = 1000000000
"""


def open_page(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ledger: Path | None = None
) -> tuple[AppTest, str]:
    month = last_full_month(datetime.now(UTC))
    middle = month_bounds(month)[0] + timedelta(days=14)
    if ledger is None:
        ledger = seeded_database(tmp_path / "lens.duckdb", middle)
    monkeypatch.setenv("LENS_DB", str(ledger))
    (tmp_path / "tenants.toml").write_text(TENANTS)
    monkeypatch.setenv("LENS_TENANTS", str(tmp_path / "tenants.toml"))
    at = AppTest.from_file(APP, default_timeout=30)
    at.run()  # switch_page needs the pages st.navigation registers on a first run
    at.switch_page("app_pages/tenants.py").run()
    return at, month


def test_chargeback_of_last_month_matches_the_view(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at, month = open_page(tmp_path, monkeypatch)
    assert not at.exception
    assert at.selectbox[0].value == month  # the last full month by default
    lines = chargeback(db.cursor(), month)
    assert set(lines["tenant_id"]) == {"contoso", "fabrikam", "unassigned"}
    total = sum(Decimal(str(v)) for v in lines["total_cost_usd"])
    assert total > 0
    shown = next(m for m in at.metric if m.label == f"Total for {month}")
    assert total < 1  # under a dollar: four decimals, as the Overview writes such amounts
    assert shown.value == f"${float(total):,.4f}"
    # pay-as-you-go + provisioned = total, as shown (no capacity registered here)
    payg = sum(Decimal(str(v)) for v in lines["payg_cost_usd"])
    assert next(m.value for m in at.metric if m.label == "Pay-as-you-go") == f"${payg:,.4f}"
    assert next(m.value for m in at.metric if m.label == "Provisioned (PTU)") == "$0.0000"
    assert any(
        c.value == f"${payg:,.4f} pay-as-you-go + $0.0000 provisioned capacity "
        f"= ${float(total):,.4f} total."
        for c in at.caption
    ), [c.value for c in at.caption]
    button = at.get("download_button")[0]
    assert button.proto.label == "Download chargeback CSV"


def test_budget_table_lists_every_tenant_of_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at, _ = open_page(tmp_path, monkeypatch)
    assert not at.exception
    budgets = at.dataframe[0].value
    assert {"Contoso", "=Fabrikam"} <= set(budgets["tenant_name"])


def test_focus_choice_keeps_the_lines_and_the_file_formula_safe(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The downloaded bytes themselves are checked by the browser test; here: the choice
    # sticks, the table still shows names as they are, and the file it serves is safe.
    at, month = open_page(tmp_path, monkeypatch)
    at.radio[0].set_value("focus").run()
    assert not at.exception
    assert at.radio[0].value == "focus"
    lines = at.dataframe[1].value
    assert "=Fabrikam" in set(lines["tenant_name"])  # shown as is on the page
    served = chargeback_file(db.cursor(), month, "focus")  # what the button is given
    assert served.count("=Fabrikam") == served.count("'=Fabrikam") > 0  # never bare
    assert served.splitlines()[0].startswith("BilledCost,BillingAccountId,")


QUIET = (
    '[[deployment]]\nname = "ptu-quiet"\nmodel = "gpt-4o"\n'
    'deployment_type = "ProvisionedManaged"\nptu = 10\nptu_hourly_usd = 1.0\n'
)


def quiet_ledger(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, registry: str) -> Path:
    """The seed in the middle of last month, with ptu-quiet's only call (answered 429, no
    tokens) on the 10th at 00:05."""
    (tmp_path / "deployments.toml").write_text(registry)
    monkeypatch.setenv("LENS_DEPLOYMENTS", str(tmp_path / "deployments.toml"))
    start, _ = month_bounds(last_full_month(datetime.now(UTC)))
    ledger = seeded_database(tmp_path / "lens.duckdb", start + timedelta(days=14))
    add_throttled_call(ledger, "p01", "ptu-quiet", start + timedelta(days=9, minutes=5))
    return ledger


def test_ptu_hours_nobody_used_show_as_idle_capacity(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at, month = open_page(tmp_path, monkeypatch, quiet_ledger(tmp_path, monkeypatch, QUIET))
    assert not at.exception
    start, end = month_bounds(month)
    # Charged from the hour of the first call (the 10th, 00:00) to the month's end, all
    # idle at 10 PTU x $1; the 9 days before are not charged.
    hours = (end - start) / timedelta(hours=1) - 9 * 24
    idle = next(m for m in at.metric if m.label == f"Idle capacity, {month}")
    assert idle.value == f"${hours * 10:,.2f}"
    ptu = at.dataframe[-1].value
    assert list(ptu["tenant_id"]) == ["idle capacity"]
    assert list(ptu["hours"]) == [hours]
    assert list(ptu["capacity_used"]) == [1.0]  # none of it used


def test_ptu_hours_before_since_are_not_charged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    month = last_full_month(datetime.now(UTC))
    registry = QUIET + f"since = {month}-20\n"  # provisioned from the 20th, 00:00 UTC
    at, _ = open_page(tmp_path, monkeypatch, quiet_ledger(tmp_path, monkeypatch, registry))
    assert not at.exception
    start, end = month_bounds(month)
    hours = (end - start) / timedelta(hours=1) - 19 * 24
    idle = next(m for m in at.metric if m.label == f"Idle capacity, {month}")
    assert idle.value == f"${hours * 10:,.2f}"


def test_the_demo_says_its_tenants_and_deployments_come_from_the_examples(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LENS_DB", str(seeded_database(tmp_path / "lens.duckdb")))
    monkeypatch.setenv("LENS_TENANTS", str(tmp_path / "none.toml"))
    monkeypatch.setenv("LENS_DEPLOYMENTS", str(tmp_path / "none-either.toml"))
    monkeypatch.delenv("AZURE_OPENAI_ENDPOINT", raising=False)
    monkeypatch.setenv("LENS_DEMO", "true")
    at = AppTest.from_file(APP, default_timeout=30)
    at.run()
    at.switch_page("app_pages/tenants.py").run()
    assert not at.exception
    assert any(
        "come from `tenants.example.toml` and `deployments.example.toml`" in c.value
        for c in at.caption
    )
    # Not in demo mode: nothing stands in for the missing files, and nothing is said.
    monkeypatch.setenv("LENS_DEMO", "false")
    at.run()
    assert not any("Demo data" in c.value for c in at.caption)
