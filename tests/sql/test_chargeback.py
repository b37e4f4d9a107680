"""Chargeback for October 2026, worked out by hand, and its CSV read back.

Prices: tests/fixtures/prices/price_book.csv. PTU: deployment ptu-dep, 10 PTU x $2 = $20 an
hour, charged from its first call (1 October 10:00): 744 - 10 = 734 hours in October. Its
capacity (ptu_figures.csv, gpt-4o: 2,500 input TPM per PTU, output x 4) is 10 x 60 = 600
PTU-minutes an hour; a call's PTU-minutes are (uncached input + 4 x output) / 2,500.
Tenants resolve by the call's tenant.id attribute.
"""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

from app.exports import chargeback_csv
from collectors.deployments import Deployment, write_deployments
from collectors.prices.book import DEPLOYMENT_TYPES, load_reference_data
from collectors.rows import CallRow
from collectors.store import Store
from collectors.tenants import Tenant, TenantRule, TenantsConfig, write_tenants
from queries.chargeback import (
    CHARGEBACK_COLUMNS,
    chargeback,
    chargeback_months,
    last_full_month,
    month_bounds,
    ptu_usage,
)
from tests.normalizing import rows_batch
from tests.sql.test_call_costs import PRICES

FORMULA_NAME = '=HYPERLINK("http://x","y")'
QUOTED_NAME = 'Acme "Big", Inc.'


def call(
    call_id: str,
    tenant: str | None,
    deployment: str,
    model: str,
    deployment_type: str,
    when: datetime,
    input_tokens: int,
    output_tokens: int,
    cached: int = 0,
) -> CallRow:
    return CallRow(
        call_id=call_id, source="test", trace_id=None, span_id=None, start_time=when,
        duration_ms=100.0, ttft_ms=None, operation="chat", endpoint=None, region=None,
        deployment=deployment, deployment_source="attribute", model=model,
        request_model=deployment, provider="openai", api_version=None,
        deployment_type=deployment_type, tenant_id=tenant, end_user=None, service=None,
        status="ok", http_status=200, error_type=None, input_tokens=input_tokens,
        cached_input_tokens=cached, output_tokens=output_tokens, reasoning_tokens=0,
        finish_reason="stop", filter_action="none", response_id=None,
    )  # fmt: skip


def at(day: int, hour: int, month: int = 10) -> datetime:
    return datetime(2026, month, day, hour, 15, tzinfo=UTC)


PTU = "ProvisionedManaged"
CALLS = [
    call("a-ptu", "acme", "ptu-dep", "gpt-4o-2024-08-06", PTU, at(1, 10), 200, 100),
    call("e-ptu", "evil", "ptu-dep", "gpt-4o-2024-08-06", PTU, at(1, 10), 100, 0),
    call("c-ptu", "cee", "ptu-dep", "gpt-4o-2024-08-06", PTU, at(1, 11), 50, 0),
    call("a-mini", "acme", "mini", "gpt-4o-mini", "GlobalStandard", at(3, 9), 1_000_000, 100_000),
    call("e-4o", "evil", "gpt-4o-prod", "gpt-4o", "GlobalStandard", at(4, 9), 2000, 500, 1024),
    call("u-mini", None, "mini", "gpt-4o-mini", "GlobalStandard", at(5, 9), 1_000_000, 0),
    call("nov", "acme", "mini", "gpt-4o-mini", "GlobalStandard", at(1, 0, 11), 1_000_000, 0),
]  # fmt: skip


@pytest.fixture
def store(tmp_path: Path) -> Store:
    store = Store(tmp_path / "lens.duckdb")
    load_reference_data(store, PRICES, DEPLOYMENT_TYPES)
    write_tenants(
        store,
        TenantsConfig(
            tenants=(
                Tenant("acme", QUOTED_NAME, "CC-1", 1_000_000, Decimal("100")),
                Tenant("evil", FORMULA_NAME, "+CC-2", None, None),
                Tenant("cee", "Cee Corp", None, None, None),
            ),
            rules=(TenantRule("attribute", None, None),),
        ),
    )
    write_deployments(
        store,
        (Deployment("ptu-dep", None, None, "gpt-4o", PTU, 10, Decimal("2"), None),),
    )
    store.write_many([rows_batch(CALLS, [], "test")])
    return store


# (tenant_id, deployment, model, type, requests, input, cached, output, payg, ptu, total)
EXPECTED = [
    ("acme", "mini", "gpt-4o-mini", "GlobalStandard", 1, 1_000_000, 0, 100_000,
     "0.210000", "0.000000", "0.210000"),  # 1M x 0.15 + 100k x 0.60
    ("acme", "ptu-dep", "gpt-4o", PTU, 1, 200, 0, 100,
     "0.000000", "0.008000", "0.008000"),  # (200 + 4 x 100) / 2,500 = 0.24 of 600 x $20
    ("cee", "ptu-dep", "gpt-4o", PTU, 1, 50, 0, 0,
     "0.000000", "0.000667", "0.000667"),  # 50 / 2,500 = 0.02 of 600 x $20 at 11:00
    ("evil", "gpt-4o-prod", "gpt-4o", "GlobalStandard", 1, 2000, 1024, 500,
     "0.008720", "0.000000", "0.008720"),  # 976 x 2.50 + 1024 x 1.25 + 500 x 10.00
    ("evil", "ptu-dep", "gpt-4o", PTU, 1, 100, 0, 0,
     "0.000000", "0.001333", "0.001333"),  # 100 / 2,500 = 0.04 of 600 x $20 at 10:00
    ("idle capacity", "ptu-dep", "gpt-4o", PTU, 0, 0, 0, 0,
     "0.000000", "14679.990000", "14679.990000"),  # 734 x $20 - 0.008 - 0.000667 - 0.001333
    ("unassigned", "mini", "gpt-4o-mini", "GlobalStandard", 1, 1_000_000, 0, 0,
     "0.150000", "0.000000", "0.150000"),
]  # fmt: skip


def test_chargeback_rows_equal_the_hand_computed_ones(store: Store) -> None:
    frame = chargeback(store.cursor(), "2026-10")
    assert tuple(frame.columns) == CHARGEBACK_COLUMNS
    assert set(frame["month"]) == {"2026-10"}
    got = [
        (r.tenant_id, r.deployment, r.model, r.deployment_type, r.requests, r.input_tokens,
         r.cached_input_tokens, r.output_tokens, f"{r.payg_cost_usd:.6f}",
         f"{r.ptu_cost_usd:.6f}", f"{r.total_cost_usd:.6f}")
        for r in frame.itertuples(index=False)
    ]  # fmt: skip
    assert got == EXPECTED
    acme = frame[frame["tenant_id"] == "acme"]
    # acme: tokens 1,100,000 + 300 of a 1,000,000 quota; cost 0.218 of a $100 budget.
    assert list(acme["quota_utilization_pct"]) == [110.03, 110.03]
    assert list(acme["budget_utilization_pct"]) == [0.22, 0.22]
    assert frame[frame["tenant_id"] == "cee"]["quota_utilization_pct"].isna().all()
    assert list(frame[frame["tenant_id"] == "acme"]["tenant_name"]) == [QUOTED_NAME] * 2


def test_failed_calls_are_labelled_and_counted_and_amounts_add_up(store: Store) -> None:
    failed = replace(
        call("a-fail", "acme", "mini", "gpt-4o-mini", "GlobalStandard", at(6, 9), 0, 0),
        model=None, request_model=None, status="error", http_status=429, input_tokens=None,
        output_tokens=None, cached_input_tokens=None, reasoning_tokens=None,
    )  # fmt: skip
    store.write_many([rows_batch([failed], [], "test")])
    frame = chargeback(store.cursor(), "2026-10")
    row = frame[frame["model"] == "unknown (failed calls)"]
    assert row[["tenant_id", "deployment", "requests", "failed_requests"]].values.tolist() == [
        ["acme", "mini", 1, 1]
    ]
    assert frame[frame["model"] != "unknown (failed calls)"]["failed_requests"].sum() == 0
    # Each total is the sum of its two parts as shown, to the last digit.
    amounts = frame[["payg_cost_usd", "ptu_cost_usd", "total_cost_usd"]].astype(float)
    parts = (amounts["payg_cost_usd"] + amounts["ptu_cost_usd"]).round(6)
    assert (parts == amounts["total_cost_usd"].round(6)).all()


def test_the_month_picker_offers_months_with_calls(store: Store, tmp_path: Path) -> None:
    assert chargeback_months(store.cursor(), "2026-12", 12) == ["2026-11", "2026-10"]
    assert chargeback_months(store.cursor(), "2026-12", 1) == ["2026-12"]  # none in December
    empty = Store(tmp_path / "empty.duckdb")
    assert chargeback_months(empty.cursor(), "2026-12", 12) == ["2026-12"]


def test_ptu_usage_says_how_much_of_the_capacity_each_tenant_used(store: Store) -> None:
    # ptu-dep's 734 charged hours of October hold 734 x 600 = 440,400 PTU-minutes.
    usage = ptu_usage(store.cursor(), "2026-10").set_index("tenant_id")
    assert usage.loc["acme", "hours"] == 1  # one call makes an hour count ...
    assert usage.loc["acme", "capacity_used"] == pytest.approx(0.24 / 440_400)  # ... not much
    # Unused: 440,400 - 0.24 - 0.04 - 0.02 PTU-minutes, in each of the 734 hours.
    assert usage.loc["idle capacity", "hours"] == 734
    assert usage.loc["idle capacity", "capacity_used"] == pytest.approx((440_400 - 0.3) / 440_400)
    # For a model without PTU figures, how much is not known (its hours split by tokens).
    write_deployments(
        store, (Deployment("ptu-dep", None, None, "gpt-4o", PTU, 10, Decimal("2"), None),)
    )
    store.cursor().execute("DELETE FROM ptu_figures WHERE model = 'gpt-4o'")
    assert ptu_usage(store.cursor(), "2026-10")["capacity_used"].isna().all()


def test_a_month_not_over_charges_the_capacity_hours_so_far(store: Store) -> None:
    # On 2 October at 09:30 the month has had whole hours up to 2 October 09:00; ptu-dep's
    # are charged from its first call (1 October 10:00): 14 + 9 = 23 hours x $20 = $460,
    # of which the tenants used 0.3 PTU-minutes (0.24 + 0.04 at 10:00, 0.02 at 11:00).
    now = at(2, 9).replace(minute=30)
    frame = chargeback(store.cursor(), "2026-10", now=now)
    ptu = frame[frame["deployment"] == "ptu-dep"].set_index("tenant_id")["ptu_cost_usd"]
    assert ptu.to_dict() == {
        "acme": 0.008,
        "cee": 0.000667,
        "evil": 0.001333,
        "idle capacity": 459.99,
    }
    by_tenant = ptu_usage(store.cursor(), "2026-10", now=now).set_index("tenant_id")
    assert by_tenant.loc["idle capacity", "hours"] == 23  # every hour had capacity unused
    assert by_tenant["ptu_cost_usd"].sum() == pytest.approx(460.0)
    # A month that is over counts every hour, whenever it is asked.
    assert chargeback(store.cursor(), "2026-10", now=at(5, 0, month=12))[
        "ptu_cost_usd"
    ].sum() == pytest.approx(14680.0)


def test_csv_reads_back_with_the_same_totals_and_no_formulas(store: Store) -> None:
    frame = chargeback(store.cursor(), "2026-10")
    text = chargeback_csv(frame)
    assert text.splitlines()[0] == ",".join(CHARGEBACK_COLUMNS)
    back = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    assert len(back) == len(EXPECTED)
    # Totals in the file equal the view's to the cent (and to the 6th decimal).
    assert sum(Decimal(v) for v in back["total_cost_usd"]) == Decimal("14680.368720")
    assert sum(Decimal(v) for v in back["total_cost_usd"]) == sum(
        Decimal(str(v)) for v in frame["total_cost_usd"]
    )
    evil = back[back["tenant_id"] == "evil"]
    assert set(evil["tenant_name"]) == {"'" + FORMULA_NAME}  # text, not a formula
    assert set(evil["cost_center"]) == {"'+CC-2"}
    assert set(back[back["tenant_id"] == "acme"]["tenant_name"]) == {QUOTED_NAME}
    assert all(len(v.split(".")[1]) == 6 for v in back["payg_cost_usd"])


# The Mandatory columns of FOCUS 1.2 (FinOps Foundation, FOCUS_Spec, specification/columns:
# "Feature level | Mandatory"), as a set, to check the export against independently.
FOCUS_12_MANDATORY = {
    "BilledCost", "BillingAccountId", "BillingAccountName", "BillingCurrency",
    "BillingPeriodEnd", "BillingPeriodStart", "ChargeCategory", "ChargeClass",
    "ChargeDescription", "ChargePeriodEnd", "ChargePeriodStart", "ContractedCost",
    "EffectiveCost", "InvoiceIssuerName", "ListCost", "PricingQuantity", "PricingUnit",
    "ProviderName", "PublisherName", "ServiceCategory", "ServiceName",
}  # fmt: skip


def test_focus_format_is_focus_12_with_allocation_in_x_columns(store: Store) -> None:
    text = chargeback_csv(chargeback(store.cursor(), "2026-10"), "focus")
    back = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    header = list(back.columns)
    assert set(header[:21]) == FOCUS_12_MANDATORY and len(header) == len(set(header))
    assert all(name.startswith("x_") for name in header[21:])  # custom columns only
    assert not {"month", "tenant_id", "total_cost_usd", "SkuId", "ResourceName"} & set(header)
    assert len(back) == len(EXPECTED)
    assert (
        set(back["BillingPeriodStart"])
        == set(back["ChargePeriodStart"])
        == {"2026-10-01T00:00:00Z"}
    )
    assert set(back["BillingPeriodEnd"]) == set(back["ChargePeriodEnd"]) == {"2026-11-01T00:00:00Z"}
    assert set(back["ChargeCategory"]) == {"Usage"} and set(back["ChargeClass"]) == {""}
    assert set(back["BillingCurrency"]) == {"USD"} and set(back["PricingUnit"]) == {"Tokens"}
    assert set(back["ServiceName"]) == {"Azure OpenAI"}
    assert set(back["ServiceCategory"]) == {"AI and Machine Learning"}
    # acme's gpt-4o-mini line: 1M x 0.15 + 100k x 0.60 = 0.21 over 1,100,000 tokens
    mini = back[(back["x_TenantId"] == "acme") & (back["x_Deployment"] == "mini")].iloc[0]
    assert (mini["BilledCost"], mini["EffectiveCost"], mini["ListCost"]) == ("0.210000",) * 3
    assert mini["ContractedCost"] == "0.210000"
    assert (mini["PricingQuantity"], mini["x_PayAsYouGoCostUsd"]) == ("1100000", "0.210000")
    assert mini["ChargeDescription"] == (
        "Azure OpenAI gpt-4o-mini on deployment mini (GlobalStandard)"
    )
    assert (mini["x_CostCenter"], mini["x_QuotaUtilizationPct"]) == ("CC-1", "110.03")
    idle = back[back["x_TenantId"] == "idle capacity"].iloc[0]
    assert (idle["EffectiveCost"], idle["x_ProvisionedCostUsd"]) == ("14679.990000",) * 2
    assert sum(Decimal(v) for v in back["BilledCost"]) == Decimal("14680.368720")
    evil = back[back["x_TenantId"] == "evil"]
    assert set(evil["x_TenantName"]) == {"'" + FORMULA_NAME}  # text, not a formula


def test_month_arithmetic() -> None:
    assert month_bounds("2026-12") == (
        datetime(2026, 12, 1, tzinfo=UTC),
        datetime(2027, 1, 1, tzinfo=UTC),
    )
    assert last_full_month(datetime(2026, 1, 15, tzinfo=UTC)) == "2025-12"
    assert last_full_month(datetime(2026, 11, 23, tzinfo=UTC)) == "2026-10"
    for bad in ("2026-13", "2026-1", "26-10", "2026-10; DROP TABLE calls"):
        with pytest.raises(ValueError, match="YYYY-MM"):
            month_bounds(bad)


def test_budgets_month_to_date_forecast_and_flags(store: Store) -> None:
    from queries.chargeback import tenant_budgets

    # 2026-10-11 00:00: 10 of October's 31 days gone, so the forecast is x 3.1.
    frame = tenant_budgets(store.cursor(), datetime(2026, 10, 11, tzinfo=UTC))
    rows = {r["tenant_id"]: r for r in frame.to_dict("records")}
    acme = rows["acme"]
    # acme: 1,100,300 tokens of a 1,000,000 quota; $0.008 PTU + $0.21 of a $100 budget.
    assert (acme["mtd_tokens"], float(acme["mtd_cost_usd"])) == (1_100_300, 0.218)
    assert float(acme["forecast_cost_usd"]) == pytest.approx(0.218 * 3.1)
    assert (acme["quota_pct"], acme["budget_pct"]) == (110.03, 0.22)
    assert acme["flag"] == "over quota"
    # PTU hours so far, from the first call (1 October 10:00): 14 + 9 x 24 = 230 x $20,
    # less the 0.01 the tenants' 0.3 PTU-minutes cost.
    assert float(rows["idle capacity"]["mtd_cost_usd"]) == pytest.approx(4599.99)
    assert rows["cee"]["flag"] == "ok"  # no budget, no quota: nothing to flag
    assert rows["unassigned"]["mtd_tokens"] == 1_000_000
    # Ordered by month-to-date spend, highest first.
    assert frame["tenant_id"].iloc[0] == "idle capacity"


def test_budget_flags_at_80_and_forecast(tmp_path: Path) -> None:
    from queries.chargeback import tenant_budgets

    store = Store(tmp_path / "lens.duckdb")
    load_reference_data(store, PRICES, DEPLOYMENT_TYPES)
    write_tenants(
        store,
        TenantsConfig(
            tenants=(
                Tenant("eighty", "Eighty", None, None, Decimal("0.25")),  # spends 0.21
                Tenant("pace", "Pace", None, None, Decimal("0.60")),  # 0.21 now, x 3.1 later
            ),
            rules=(TenantRule("attribute", None, None),),
        ),
    )
    mini = ("mini", "gpt-4o-mini", "GlobalStandard", at(3, 9), 1_000_000, 100_000)
    store.write_many(
        [rows_batch([call("e", "eighty", *mini), call("p", "pace", *mini)], [], "test")]
    )
    frame = tenant_budgets(store.cursor(), datetime(2026, 10, 11, tzinfo=UTC))
    flags = dict(zip(frame["tenant_id"], frame["flag"], strict=True))
    assert flags == {"eighty": "forecast over", "pace": "forecast over"}
    frame = tenant_budgets(store.cursor(), datetime(2026, 10, 31, 12, tzinfo=UTC))
    flags = dict(zip(frame["tenant_id"], frame["flag"], strict=True))
    # 0.21 / 0.25 = 84 % (forecast x 31/30.5 stays under 100 %); 0.21 / 0.60 = 35 %.
    assert flags == {"eighty": "above 80 %", "pace": "ok"}


def test_deployment_catalog_fills_the_registry_from_calls(store: Store) -> None:
    rows = (
        store.cursor()
        .execute(
            "SELECT deployment, model, deployment_type, ptu, registered, calls "
            "FROM deployment_catalog"
        )
        .fetchall()
    )
    assert rows == [
        ("gpt-4o-prod", "gpt-4o", "GlobalStandard", None, False, 1),  # seen only
        ("mini", "gpt-4o-mini", "GlobalStandard", None, False, 3),
        ("ptu-dep", "gpt-4o", PTU, 10, True, 3),  # registered, and seen
    ]
