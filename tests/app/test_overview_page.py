"""The Overview page shows the ledger's numbers, or says how to get data in."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.app.conftest import APP
from tests.seeding import add_throttled_call, resum_usage_summary, seeded_database


def metric(at: AppTest, label: str) -> str:
    return next(str(m.value) for m in at.metric if m.label == label)


def test_overview_shows_seeded_totals(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LENS_DB", str(seeded_database(tmp_path / "lens.duckdb")))
    at = AppTest.from_file(APP, default_timeout=30).run()
    assert not at.exception
    # By hand from tests/fixtures/seed/calls.csv: 6 calls, 2 errors, 3,998 + 2,100 tokens.
    assert metric(at, "Calls") == "6"
    assert metric(at, "Tokens (input + output)") == "6,098"
    assert metric(at, "Error rate") == "33.3%"
    assert metric(at, "Filtered-call rate") == "16.7%"  # c06, blocked prompt
    assert metric(at, "Deployments") == "4"
    assert len(at.get("plotly_chart")) == 4  # spend, tokens, calls, errors
    # Deployments in the Errors chart are told apart by colour-blind-safe hues, none red.
    import json

    errors_chart = json.loads(at.get("plotly_chart")[3].proto.spec)
    colors = {trace["marker"]["color"] for trace in errors_chart["data"]}
    okabe_ito_without_vermillion = {
        "#0072B2", "#E69F00", "#56B4E9", "#009E73", "#CC79A7", "#F0E442", "#999999", "#000000",
    }  # fmt: skip
    assert len(colors) == len(errors_chart["data"]) >= 2
    assert colors <= okabe_ito_without_vermillion
    # Spend shown == the SQL truth of the view (priced with the shipped price book).
    from app.dashboard import db

    ((spend,),) = db.cursor().execute("SELECT sum(payg_cost_usd) FROM call_costs").fetchall()
    assert metric(at, "Spend") == f"${float(spend):,.4f}"
    assert not any("synthetic demo" in c.value for c in at.caption)  # real calls only
    assert at.query_params["range"] == "7d"
    # Top tenants link to the Deployments page filtered to the tenant.
    top_tenants = at.dataframe[0].value
    assert list(top_tenants["tenant_id"]) == [
        "deployments?tenant=contoso",
        "deployments?tenant=fabrikam",
        "deployments?tenant=unassigned",
    ]


def test_overview_compares_with_the_period_before(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import UTC, datetime, timedelta

    from app.dashboard import db

    seeded = seeded_database(tmp_path / "lens.duckdb", datetime.now(UTC) - timedelta(hours=1))
    monkeypatch.setenv("LENS_DB", str(seeded))
    at = AppTest.from_file(APP, default_timeout=30).run()
    # Move c01-c03 into the week before: this week has 3 calls, the week before 3.
    db.cursor().execute(
        "UPDATE calls SET start_time = start_time - INTERVAL 7 DAY "
        "WHERE call_id IN ('c01', 'c02', 'c03')"
    )
    resum_usage_summary(db.cursor())
    db.cursor().execute("INSERT INTO ingest_log VALUES (now(), 'test', 0, 0)")  # new version
    at.run()
    assert not at.exception
    calls = next(m for m in at.metric if m.label == "Calls")
    assert (calls.value, calls.delta) == ("3", "+0.0%")
    tokens = next(m for m in at.metric if m.label == "Tokens (input + output)")
    # this week c04-c06: 2,000 + 300 + 150; before: c01-c03: 1,200 + 2,448 + 0.
    assert tokens.value == "2,450"
    assert tokens.delta == f"{(2450 - 3648) / 3648 * 100:+.1f}%"
    assert any(c.value.endswith("changes are against the 7 days before.") for c in at.caption)
    # 1 failed call against 1: a change, but too few calls to colour it red or green.
    error_rate = next(m for m in at.metric if m.label == "Error rate")
    assert error_rate.delta is not None
    assert error_rate.proto.color == error_rate.proto.MetricColor.GRAY
    assert "Fewer than 20 failed calls" in error_rate.proto.help


def test_filters_in_the_url_narrow_the_numbers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LENS_DB", str(seeded_database(tmp_path / "lens.duckdb")))
    at = AppTest.from_file(APP, default_timeout=30)
    at.query_params["tenant"] = "fabrikam"
    at.run()
    assert not at.exception
    assert metric(at, "Calls") == "2"  # c03, c04
    assert metric(at, "Error rate") == "50.0%"
    tenant_filter = next(m for m in at.sidebar.multiselect if m.label == "Tenant")
    assert tenant_filter.value == ["fabrikam"]
    tenant_filter.set_value(["contoso", "fabrikam"]).run()
    assert metric(at, "Calls") == "4"
    assert at.query_params["tenant"] == ["contoso", "fabrikam"]


def test_stacking_by_tenant(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LENS_DB", str(seeded_database(tmp_path / "lens.duckdb")))
    at = AppTest.from_file(APP, default_timeout=30).run()
    at.get("button_group")[0].set_value("tenant_id").run()
    assert not at.exception
    spend_chart = at.get("plotly_chart")[0].proto.spec
    assert "contoso" in spend_chart and "gpt-4o-prod" not in spend_chart


def test_overview_range_comes_from_the_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The seed's latest call is 3 days ago and the earliest ~2.5 hours before it.
    from datetime import UTC, datetime, timedelta

    seeded = seeded_database(tmp_path / "lens.duckdb", datetime.now(UTC) - timedelta(days=3))
    monkeypatch.setenv("LENS_DB", str(seeded))
    at = AppTest.from_file(APP, default_timeout=30)
    at.query_params["range"] = "24h"
    at.run()
    assert not at.exception
    assert any("No Azure OpenAI calls recorded" in i.value for i in at.info)
    at.sidebar.selectbox[0].select("7d").run()
    assert metric(at, "Calls") == "6"
    assert at.query_params["range"] == "7d"


def test_empty_ledger_says_how_to_send_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LENS_DB", str(tmp_path / "empty.duckdb"))
    at = AppTest.from_file(APP, default_timeout=30).run()
    assert not at.exception
    assert any("No Azure OpenAI calls recorded" in i.value for i in at.info)
    assert any("/v1/traces" in m.value for m in at.markdown)
    assert len(at.metric) == 0


def test_demo_calls_are_labelled_as_such(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import duckdb

    db = seeded_database(tmp_path / "lens.duckdb")
    with duckdb.connect(str(db)) as con:  # mark two seed calls as demo data
        con.execute(
            'UPDATE calls SET attributes = \'{"resource": {"lens.demo": true}}\' '
            "WHERE call_id IN ('c01', 'c02')"
        )
        con.execute(  # and one answered by the built-in simulator
            "UPDATE calls SET attributes = '{\"azure.openai.simulated\": true}' "
            "WHERE call_id = 'c03'"
        )
        resum_usage_summary(con)
    monkeypatch.setenv("LENS_DB", str(db))
    at = AppTest.from_file(APP, default_timeout=30).run()
    assert not at.exception
    assert any("3 of these calls are synthetic demo data" in c.value for c in at.caption)


def test_bad_tenants_file_is_shown_with_the_fix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "tenants.toml").write_text("[[rule]]\nkind = 'ip'\n")
    monkeypatch.setenv("LENS_DB", str(tmp_path / "lens.duckdb"))
    monkeypatch.setenv("LENS_TENANTS", str(tmp_path / "tenants.toml"))
    at = AppTest.from_file(APP, default_timeout=30).run()
    assert not at.exception
    assert at.error[0].value == "This page cannot be shown."
    shown = [text.value for text in at.text]
    assert any("rule 1: kind must be one of" in line for line in shown)
    assert any("LENS_TENANTS" in line for line in shown)


def test_spend_includes_provisioned_capacity_hours(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import UTC, datetime, timedelta

    from app.dashboard import db

    # A provisioned deployment at 10 PTU x $2 an hour whose only call (answered 429, no
    # tokens) came 100 hours ago: each whole hour since costs $20, all of it idle capacity.
    # The hours before that call are not charged.
    registry = tmp_path / "deployments.toml"
    registry.write_text(
        '[[deployment]]\nname = "gpt-4o-ptu"\nmodel = "gpt-4o"\n'
        'deployment_type = "ProvisionedManaged"\nptu = 10\nptu_hourly_usd = 2.0\n'
    )
    monkeypatch.setenv("LENS_DEPLOYMENTS", str(registry))
    this_hour = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    ledger = seeded_database(tmp_path / "lens.duckdb")
    add_throttled_call(ledger, "p01", "gpt-4o-ptu", this_hour - timedelta(hours=100, minutes=-5))
    monkeypatch.setenv("LENS_DB", str(ledger))
    at = AppTest.from_file(APP, default_timeout=30).run()
    assert not at.exception
    hours = 100  # the hour of the call up to the one before this hour
    ((payg,),) = db.cursor().execute("SELECT sum(payg_cost_usd) FROM call_costs").fetchall()
    capacity = 20.0 * hours
    assert metric(at, "Spend") == f"${float(payg) + capacity:,.2f}"
    # The parts are rounded once, to the total's cents, and the total is their sum.
    payg_cents = round(float(payg), 2)
    assert any(
        c.value == f"${payg_cents:,.2f} pay-as-you-go + ${capacity:,.2f} provisioned capacity "
        f"(${capacity:,.2f} of the capacity idle) = ${payg_cents + capacity:,.2f} total."
        for c in at.caption
    ), [c.value for c in at.caption]
    assert metric(at, "Pay-as-you-go") == f"${payg_cents:,.2f}"
    assert metric(at, "Provisioned capacity") == f"${capacity:,.2f}"
    assert metric(at, "Spend") == f"${payg_cents + capacity:,.2f}"

    # A tenant's spend carries its share of used hours only: idle hours belong to no tenant.
    at.query_params["tenant"] = "fabrikam"
    at.run()
    ((fabrikam,),) = (
        db.cursor()
        .execute("SELECT sum(payg_cost_usd) FROM call_costs WHERE call_id IN ('c03', 'c04')")
        .fetchall()
    )
    assert metric(at, "Spend") == f"${float(fabrikam):,.6f}"  # under a cent: 6 decimals

    # Capacity is not split by deployment type: the page says it is left out.
    at.query_params["tenant"] = []
    at.query_params["type"] = "GlobalStandard"
    at.run()
    assert any(c.value.startswith("Pay-as-you-go only") for c in at.caption)
    spend = next(m for m in at.metric if m.label == "Spend")
    assert "not included" in spend.help
