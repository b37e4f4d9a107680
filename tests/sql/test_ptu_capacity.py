"""Provisioned throughput allocated as capacity, worked out by hand.

Deployment ptu: gpt-4o, 10 PTU x $2 = $20 an hour. collectors/prices/ptu_figures.csv gives
gpt-4o 2,500 input tokens per minute per PTU and an output ratio of 4, so an hour's capacity
is 10 x 2,500 x 60 = 1,500,000 input-equivalent tokens, and a call counts as
uncached input + 4 x output. On 1 October 2026 (UTC):

- 09:00 no call: before the first call, not charged;
- 10:00 at 37 %: acme 300,000 input of which 50,000 cached + 50,000 output = 250,000 +
  200,000 = 450,000 (30 %); beta 105,000 input (7 %); idle 63 %;
- 11:00 at 100 %: acme 1,200,000 input (80 %), beta 75,000 output (x 4 = 300,000, 20 %);
  a call acme sent to it spilled over to gpt-4o-std (Global Standard) and is billed there;
- 12:00 at 150 %: acme 1,800,000 input, beta 112,500 output (x 4 = 450,000): they split
  the whole $20 by share, 80 % / 20 %, nothing idle;
- 13:00 at 0 %: no call, all idle.

Prices: tests/fixtures/prices/price_book.csv (gpt-4o Global Standard $2.50 input, $10.00
output per 1M tokens).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

import queries
from collectors.deployments import (
    Deployment,
    DeploymentsFileError,
    read_deployments_file,
    write_deployments,
)
from collectors.prices.book import DEPLOYMENT_TYPES, load_reference_data
from collectors.store import Store
from collectors.tenants import TenantRule, TenantsConfig, write_tenants
from queries.chargeback import chargeback
from queries.deployments import ptu_hours
from queries.scope import Scope
from tests.normalizing import rows_batch
from tests.sql.test_call_costs import PRICES
from tests.sql.test_chargeback import call

PTU = "ProvisionedManaged"
MODEL = "gpt-4o-2024-08-06"


def at(hour: int, minute: int = 15) -> datetime:
    return datetime(2026, 10, 1, hour, minute, tzinfo=UTC)


START, END = datetime(2026, 10, 1, tzinfo=UTC), at(14, 0)

CALLS = [
    call("a10", "acme", "ptu", MODEL, PTU, at(10), 300_000, 50_000, cached=50_000),
    call("b10", "beta", "ptu", MODEL, PTU, at(10), 105_000, 0),
    call("a11", "acme", "ptu", MODEL, PTU, at(11), 1_200_000, 0),
    call("b11", "beta", "ptu", MODEL, PTU, at(11), 0, 75_000),
    replace(
        call("s11", "acme", "gpt-4o-std", MODEL, "GlobalStandard", at(11, 40), 1_000_000, 100_000),
        spillover=True,
        spillover_from="ptu",
    ),
    call("a12", "acme", "ptu", MODEL, PTU, at(12), 1_800_000, 0),
    call("b12", "beta", "ptu", MODEL, PTU, at(12), 0, 112_500),
]


def registry(**changes: object) -> tuple[Deployment, ...]:
    ptu = Deployment("ptu", None, None, "gpt-4o", PTU, 10, Decimal("2"), None)
    return (replace(ptu, **changes),)  # type: ignore[arg-type]


@pytest.fixture
def store(tmp_path: Path) -> Store:
    store = Store(tmp_path / "lens.duckdb")
    load_reference_data(store, PRICES, DEPLOYMENT_TYPES)
    write_tenants(store, TenantsConfig(tenants=(), rules=(TenantRule("attribute", None, None),)))
    write_deployments(store, registry())
    store.write_many([rows_batch(CALLS, [], "test")])
    return store


def allocation(store: Store, start: datetime = START, end: datetime = END) -> pd.DataFrame:
    return (
        store.cursor()
        .execute(
            "SELECT hour, tenant_id, ptu_cost_usd, utilization FROM ptu_allocation($s, $e) "
            "ORDER BY hour, tenant_id",
            {"s": start, "e": end},
        )
        .df()
    )


def rows(frame: pd.DataFrame) -> list[tuple[int, str, float, float | None]]:
    return [
        (
            r.hour.hour,
            r.tenant_id,
            round(float(r.ptu_cost_usd), 6),
            None if pd.isna(r.utilization) else round(float(r.utilization), 6),
        )
        for r in frame.itertuples(index=False)
    ]


def test_each_hour_is_split_by_share_of_the_capacity_and_the_rest_is_idle(store: Store) -> None:
    assert rows(allocation(store)) == [
        (10, "acme", 6.0, 0.37),  # 450,000 / 1,500,000 x $20
        (10, "beta", 1.4, 0.37),  # 105,000 / 1,500,000 x $20
        (10, "idle capacity", 12.6, 0.37),  # 63 % of $20
        (11, "acme", 16.0, 1.0),
        (11, "beta", 4.0, 1.0),  # full: no idle row
        (12, "acme", 16.0, 1.5),  # over 100 %: 1,800,000 / 2,250,000 of the whole $20
        (12, "beta", 4.0, 1.5),
        (13, "idle capacity", 20.0, 0.0),  # no call: all idle
    ]  # 09:00 and earlier: before the first call, not charged at all


def test_cached_input_is_deducted_as_azure_does(store: Store) -> None:
    # Counted in full, acme's 10:00 would be 500,000 tokens: $6.666667, not $6.
    frame = allocation(store)
    acme = frame[(frame["tenant_id"] == "acme") & (frame["hour"] == at(10, 0))]
    assert float(acme["ptu_cost_usd"].iloc[0]) == pytest.approx(6.0)


def test_hours_before_the_registry_since_are_not_charged(store: Store) -> None:
    # since 11:30: the hour it falls in is charged, 10:00 is not.
    write_deployments(store, registry(since=at(11, 30)))
    assert [(h, t) for h, t, *_ in rows(allocation(store))] == [
        (11, "acme"), (11, "beta"), (12, "acme"), (12, "beta"), (13, "idle capacity"),
    ]  # fmt: skip
    assert float(allocation(store)["ptu_cost_usd"].sum()) == pytest.approx(60.0)
    # A since before the first call changes nothing: the first call still starts the hours.
    write_deployments(store, registry(since=datetime(2026, 9, 1, tzinfo=UTC)))
    assert float(allocation(store)["ptu_cost_usd"].sum()) == pytest.approx(80.0)


def test_a_deployment_without_calls_is_not_charged(tmp_path: Path) -> None:
    store = Store(tmp_path / "empty.duckdb")
    load_reference_data(store, PRICES, DEPLOYMENT_TYPES)
    write_deployments(store, registry())
    assert allocation(store).empty


def test_a_model_without_figures_keeps_the_split_by_tokens(store: Store) -> None:
    store.cursor().execute("DELETE FROM ptu_figures WHERE model = 'gpt-4o'")
    got = rows(allocation(store))
    # 10:00: acme 350,000 of the 455,000 tokens, beta 105,000: $15.384615 and $4.615385.
    assert got[:2] == [(10, "acme", 15.384615, None), (10, "beta", 4.615385, None)]
    assert got[-1] == (13, "idle capacity", 20.0, 0.0)  # nothing served: all idle
    assert float(allocation(store)["ptu_cost_usd"].sum()) == pytest.approx(80.0)


def test_an_hour_with_a_model_without_figures_is_split_by_tokens(store: Store) -> None:
    # A call of a model with no published figures at 10:00 (50,000 input tokens): the
    # hour's use cannot be measured, so it is split by tokens: acme 350,000 + 50,000,
    # beta 105,000 of 505,000; the other hours are measured as before.
    mystery = call("m10", "acme", "ptu", "mystery-model", PTU, at(10, 50), 50_000, 0)
    store.write_many([rows_batch([mystery], [], "test")])
    got = rows(allocation(store))
    assert got[:2] == [(10, "acme", 15.841584, None), (10, "beta", 4.158416, None)]
    assert got[2:4] == [(11, "acme", 16.0, 1.0), (11, "beta", 4.0, 1.0)]


def test_the_chargeback_shows_the_capacity_split_and_the_spilled_call_as_pay_as_you_go(
    store: Store,
) -> None:
    frame = chargeback(store.cursor(), "2026-10")
    got = {
        (r.tenant_id, r.deployment): (f"{r.payg_cost_usd:.6f}", f"{r.ptu_cost_usd:.6f}")
        for r in frame.itertuples(index=False)
    }
    # The month's hours charged: 1 October 10:00 to 1 November 00:00 = 734 x $20 = $14,680.
    # acme 6 + 16 + 16, beta 1.4 + 4 + 4; idle: the rest.
    assert got == {
        ("acme", "gpt-4o-std"): ("3.500000", "0.000000"),  # 1M x 2.50 + 100k x 10.00
        ("acme", "ptu"): ("0.000000", "38.000000"),
        ("beta", "ptu"): ("0.000000", "9.400000"),
        ("idle capacity", "ptu"): ("0.000000", "14632.600000"),  # 14,680 - 38 - 9.4
    }


def test_the_spillover_hour_shows_the_ptu_at_100_percent(store: Store) -> None:
    hours = ptu_hours(store.cursor(), Scope(START, END), now=datetime(2026, 10, 2, tzinfo=UTC))
    eleven = hours[hours["hour"] == at(11, 0)].iloc[0]
    assert (eleven["deployment"], eleven["utilization"]) == ("ptu", 1.0)
    assert (float(eleven["ptu_cost_usd"]), float(eleven["idle_cost_usd"])) == (20.0, 0.0)
    assert int(eleven["tokens"]) == 1_275_000  # the spilled call is not the PTU's
    assert list(hours["hour"].dt.hour) == [13, 12, 11, 10]  # newest first
    assert [round(float(u), 6) for u in hours["utilization"]] == [0.0, 1.5, 1.0, 0.37]
    spilled = queries.run(store.cursor(), "spilled_calls", start=START, end=END)
    assert spilled.values.tolist() == [["ptu", 1]]


def test_since_is_read_as_a_date_or_a_utc_time(tmp_path: Path) -> None:
    path = tmp_path / "deployments.toml"
    path.write_text(
        '[[deployment]]\nname = "a"\nsince = 2026-11-01\n'
        '[[deployment]]\nname = "b"\nsince = 2026-11-01T08:30:00+02:00\n'
    )
    assert [d.since for d in read_deployments_file(path)] == [
        datetime(2026, 11, 1, tzinfo=UTC),
        datetime(2026, 11, 1, 6, 30, tzinfo=UTC),
    ]
    for bad, said in (
        ('"yesterday"', "since must be a date"),
        ("2026-11-01T08:30:00", "since needs a UTC offset"),
    ):
        path.write_text(f'[[deployment]]\nname = "a"\nsince = {bad}\n')
        with pytest.raises(DeploymentsFileError, match=said):
            read_deployments_file(path)
