"""Total cost everywhere: pay-as-you-go + provisioned (PTU) capacity = total on the
Overview, Deployments and the chargeback; a provisioned deployment with no capacity price
named with the lines to add; the priced share of the tokens with a link to the calls that
have no price.

By hand from tests/fixtures/seed/ and the test price book (per 1M tokens):
c01 gpt-4o 1,000 in + 200 out = $0.0025 + $0.002 = $0.0045; c02 gpt-4o 1,024 in + 1,024
cached + 400 out = $0.00256 + $0.00128 + $0.004 = $0.00784; c05 text-embedding-3-small 300
in x $0.02 x 1.1 (Standard) = $0.0000066; c06 gpt-4o-mini 150 in x $0.15 = $0.0000225;
c03 failed, no tokens. Pay-as-you-go without c04: $0.0123691. Here c04 (o4-mini, 500 in +
1,500 out = 2,000 tokens) is served by a provisioned deployment: no per-token cost.
Tokens: 1,200 + 2,448 + 2,000 + 300 + 150 = 6,098, of which c04's 2,000 are priced only
when its capacity is.
"""

from __future__ import annotations

import calendar
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from queries.chargeback import last_full_month, month_bounds
from tests.app.conftest import APP
from tests.seeding import resum_usage_summary, seeded_database

PAYG = 0.0123691
REGISTRY = (
    '[[deployment]]\nname = "o4-mini"\nmodel = "o4-mini"\n'
    'deployment_type = "ProvisionedManaged"\nptu = 10\nptu_hourly_usd = 2.0\n'
)  # 10 PTU x $2 = $20 an hour
TOML_LINES = (
    '[[deployment]]\nname = "o4-mini"\nmodel = "o4-mini"\n'
    'deployment_type = "ProvisionedManaged"\n'
    "ptu = 50                # the deployment's provisioned throughput units\n"
    "ptu_hourly_usd = 1.0    # your price of one PTU-hour (or reserved_monthly_usd)"
)


def provisioned_ledger(path: Path, latest: datetime | None = None) -> Path:
    """The seed with c04's deployment (o4-mini) provisioned."""
    import duckdb

    seeded_database(path, latest)
    with duckdb.connect(str(path)) as con:
        con.execute("UPDATE calls SET deployment_type = 'ProvisionedManaged' WHERE call_id = 'c04'")
        resum_usage_summary(con)
    return path


def open_page(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    page: str,
    params: dict[str, str] | None = None,
    registry: str | None = None,
    latest: datetime | None = None,
) -> AppTest:
    monkeypatch.setenv("LENS_DB", str(provisioned_ledger(tmp_path / "lens.duckdb", latest)))
    if registry is not None:
        (tmp_path / "deployments.toml").write_text(registry)
        monkeypatch.setenv("LENS_DEPLOYMENTS", str(tmp_path / "deployments.toml"))
    at = AppTest.from_file(APP, default_timeout=30)
    at.run()
    at.switch_page(f"app_pages/{page}.py")
    for key, value in (params or {}).items():
        at.query_params[key] = value
    at.run()
    assert not at.exception
    return at


def metric(at: AppTest, label: str) -> str:
    return next(str(m.value) for m in at.metric if m.label == label)


def assert_names_the_unregistered_deployment(at: AppTest) -> None:
    warning = next(w.value for w in at.warning if "Provisioned deployment" in w.value)
    assert warning.startswith(
        "Provisioned deployment `o4-mini` (`ProvisionedManaged`) is not in deployments.toml"
    )
    assert "its 1 call and 2,000 tokens cost nothing" in warning
    assert TOML_LINES in [c.value for c in at.code]


@pytest.mark.parametrize("page", ["overview", "deployments"])
def test_unregistered_provisioned_deployment_is_named_and_unpriced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, page: str
) -> None:
    at = open_page(tmp_path, monkeypatch, page)
    assert_names_the_unregistered_deployment(at)
    # 4,098 of 6,098 tokens priced (c04's 2,000 are not): 67.2 %
    assert metric(at, "Priced tokens") == f"{4098 / 6098 * 100:.1f}%" == "67.2%"
    link = at.get("page_link")[0].proto
    assert link.label == "Unpriced calls"
    assert f"{link.page}?{link.query_string}" == "calls?range=7d&priced=no"
    # No capacity price, so no capacity cost: the total is pay-as-you-go alone.
    assert metric(at, "Pay-as-you-go") == f"${PAYG:,.4f}" == "$0.0124"
    assert metric(at, "Provisioned capacity") == "$0.0000"


def test_the_link_opens_the_unpriced_calls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = open_page(tmp_path, monkeypatch, "calls", {"range": "7d", "priced": "no"})
    assert list(at.dataframe[0].value["call_id"]) == ["c04"]
    assert next(c for c in at.checkbox if c.label == "Unpriced only").value is True
    assert any("matching calls with tokens and no price" in c.value for c in at.caption)
    # Unticked, every call of the week again, and the URL says so.
    next(c for c in at.checkbox if c.label == "Unpriced only").uncheck()
    at.button[0].click().run()  # the form's Search button
    assert len(at.dataframe[0].value) == 6
    assert "priced" not in at.query_params


def test_deployments_page_adds_pay_as_you_go_and_capacity(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The seed's latest call at half past the hour before this one puts c04 (70 minutes
    # earlier) in the hour two hours ago: o4-mini is charged from then, 2 whole hours.
    this_hour = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    latest = this_hour - timedelta(minutes=30)
    at = open_page(tmp_path, monkeypatch, "deployments", registry=REGISTRY, latest=latest)
    capacity = 20.0 * 2
    # Over a dollar: each part rounded to cents once, the total their sum.
    assert metric(at, "Pay-as-you-go") == "$0.01"
    assert metric(at, "Provisioned capacity") == f"${capacity:,.2f}"
    assert metric(at, "Total") == f"${0.01 + capacity:,.2f}"
    assert any(
        c.value == f"$0.01 pay-as-you-go + ${capacity:,.2f} provisioned capacity "
        f"= ${0.01 + capacity:,.2f} total."
        for c in at.caption
    )
    costs = at.dataframe[1].value.set_index("deployment")  # after the latency table
    assert costs.loc["o4-mini", "payg_cost_usd"] == 0
    assert costs.loc["o4-mini", "ptu_cost_usd"] == pytest.approx(capacity)
    assert costs.loc["gpt-4o-prod", "payg_cost_usd"] == pytest.approx(0.0045 + 0.00784)
    assert list(costs["total_cost_usd"]) == pytest.approx(
        list(costs["payg_cost_usd"] + costs["ptu_cost_usd"])
    )
    # The capacity is priced now: every token is, and nothing is left to warn about.
    assert metric(at, "Priced tokens") == "100.0%"
    assert not at.get("page_link")
    assert not any("Provisioned deployment" in w.value for w in at.warning)


def last_month_middle() -> tuple[str, datetime]:
    month = last_full_month(datetime.now(UTC))
    return month, month_bounds(month)[0] + timedelta(days=14)


def test_chargeback_adds_pay_as_you_go_and_capacity(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    month, middle = last_month_middle()
    at = open_page(tmp_path, monkeypatch, "tenants", registry=REGISTRY, latest=middle)
    year, number = (int(part) for part in month.split("-"))
    # c04, o4-mini's first call, is 70 minutes before the middle (the 15th, 00:00): on the
    # 14th at 22:50. Its hours are charged from 22:00: 2 that day and every hour after.
    days = calendar.monthrange(year, number)[1]
    capacity = 20.0 * (2 + 24 * (days - 14))
    assert metric(at, "Pay-as-you-go") == "$0.01"
    assert metric(at, "Provisioned (PTU)") == f"${capacity:,.2f}"
    assert metric(at, f"Total for {month}") == f"${0.01 + capacity:,.2f}"
    assert not any("Provisioned deployment" in w.value for w in at.warning)


def test_chargeback_names_the_unregistered_deployment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, middle = last_month_middle()
    at = open_page(tmp_path, monkeypatch, "tenants", latest=middle)
    assert_names_the_unregistered_deployment(at)


def test_deployments_page_leaves_capacity_out_of_a_type_filter(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = open_page(
        tmp_path, monkeypatch, "deployments", {"type": "GlobalStandard"}, registry=REGISTRY
    )
    # c01 + c02 + c06 (type assumed GlobalStandard): $0.0045 + $0.00784 + $0.0000225
    assert metric(at, "Pay-as-you-go") == f"${0.0045 + 0.00784 + 0.0000225:,.4f}" == "$0.0124"
    assert metric(at, "Provisioned capacity") == "not included"
    assert metric(at, "Total") == "$0.0124"
    assert any(c.value.startswith("Pay-as-you-go tokens x the price") for c in at.caption)
