"""Reconciliation with Azure Cost Management exports, written from the documented column
sets (FOCUS 1.2 CSV and Parquet, the older actual-cost CSV), against the seed ledger.

Hand-computed lens costs on 2026-11-20 (test price book, per 1M tokens):
- aoai-prod, gpt-4o GlobalStandard: c01 1,000 input + 200 output; c02 2,048 input of which
  1,024 cached + 400 output -> input (1,000 + 1,024) x 2.50 = 0.005060, cached 1,024 x
  1.25 = 0.001280, output 600 x 10.00 = 0.006000;
- aoai-eu, o4-mini DataZoneStandard (x 1.1): 500 input x 1.10 x 1.1 = 0.000605, 1,500
  output x 4.40 x 1.1 = 0.007260.
The bill says 0.010000 for aoai-prod's input (a variance of 0.004940), matches the rest, and
lists a resource with no calls (aoai-west); the lens has calls the bill does not list (the
embedding call, and a call that names no endpoint). Each appears, none is dropped.
"""

from __future__ import annotations

import io
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import httpx
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from app.reconciliation import reconcile_exports
from collectors.billing.cost_export import CostExportError, read_cost_exports
from collectors.store import Store
from lens_harness.lens_process import LensServer
from queries.reconcile import RECONCILE_COLUMNS
from tests.seeding import seeded_database

CLI = Path(sys.executable).with_name("aoai-lens")
MONTH = "2026-11"
RG = "/subscriptions/0000/resourceGroups/ai/providers/Microsoft.CognitiveServices/accounts"
# (resource, meter, cost in USD)
LINES = [
    ("aoai-prod", "gpt 4o 1120 Inp glbl", "0.010000"),
    ("aoai-prod", "gpt 4o 1120 cchd Inp glbl", "0.001280"),
    ("aoai-prod", "gpt 4o 1120 Outp glbl", "0.006000"),
    ("AOAI-EU", "o4-mini 0416 Inp Data Zone", "0.000605"),
    ("aoai-eu", "o4-mini 0416 Outp DZone", "0.007260"),
    ("aoai-west", "gpt 4o 1120 Inp glbl", "1.000000"),
]
STORAGE = "/subscriptions/0000/resourceGroups/ai/providers/Microsoft.Storage/storageAccounts/st"


def focus_frame(rate: float = 1.0, currency: str = "USD") -> pd.DataFrame:
    rows = [
        {
            "BilledCost": f"{float(cost) * rate:.9f}", "BillingCurrency": currency,
            "ChargeCategory": "Usage", "ChargeClass": "",
            "ChargePeriodStart": "2026-11-20T00:00:00Z", "ChargePeriodEnd": "2026-11-21T00:00:00Z",
            "ConsumedQuantity": "0.001", "ConsumedUnit": "1M Tokens",
            "EffectiveCost": f"{float(cost) * rate:.9f}", "ResourceId": f"{RG}/{resource}",
            "ResourceName": resource, "SkuMeter": meter, "x_BillingExchangeRate": str(rate),
        }
        for resource, meter, cost in LINES
    ]  # fmt: skip
    rows.append({**rows[0], "ResourceId": STORAGE, "SkuMeter": "Hot LRS Data Stored"})
    return pd.DataFrame(rows)


def actual_cost_csv() -> bytes:
    rows = [
        {
            "Date": "11/20/2026", "ResourceId": f"{RG}/{resource}", "MeterName": meter,
            "MeterCategory": "Foundry Models", "Quantity": "1", "CostInBillingCurrency": cost,
            "BillingCurrencyCode": "USD",
        }
        for resource, meter, cost in LINES
    ]  # fmt: skip
    return pd.DataFrame(rows).to_csv(index=False).encode()


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(
        seeded_database(tmp_path / "lens.duckdb", datetime(2026, 11, 20, 12, 30, tzinfo=UTC))
    )


def by_key(frame: pd.DataFrame) -> dict[tuple[str, ...], tuple[float, float]]:
    keys = ["resource", "model", "deployment_type", "token_class"]
    return {
        tuple(row[k] for k in keys): (
            round(row["billed_cost_usd"], 6),
            round(row["lens_cost_usd"], 6),
        )
        for _, row in frame.iterrows()
    }


EXPECTED = {
    ("aoai-prod", "gpt-4o", "GlobalStandard", "input"): (0.01, 0.00506),
    ("aoai-prod", "gpt-4o", "GlobalStandard", "cached_input"): (0.00128, 0.00128),
    ("aoai-prod", "gpt-4o", "GlobalStandard", "output"): (0.006, 0.006),
    ("aoai-eu", "o4-mini", "DataZoneStandard", "input"): (0.000605, 0.000605),
    ("aoai-eu", "o4-mini", "DataZoneStandard", "output"): (0.00726, 0.00726),
    ("aoai-west", "gpt-4o", "GlobalStandard", "input"): (1.0, 0.0),  # on the bill only
}


def test_focus_csv_parquet_and_actual_cost_give_the_same_reconciliation(store: Store) -> None:
    focus = focus_frame()
    parquet = io.BytesIO()
    pq.write_table(pa.Table.from_pandas(focus), parquet)
    answers = [
        reconcile_exports(store.cursor(), MONTH, [(name, content)])
        for name, content in (
            ("focus.csv", focus.to_csv(index=False).encode()),
            ("focus.parquet", parquet.getvalue()),
            ("actual.csv", actual_cost_csv()),
        )
    ]
    for done in answers:
        rows = by_key(done.rows)
        for key, value in EXPECTED.items():
            assert rows[key] == value, key
        # the lens's calls the bill does not list: reported with their own keys
        embedding = [k for k in rows if k[0] == "aoai-eu" and k[1] == "text-embedding-3-small"]
        assert len(embedding) == 1 and rows[embedding[0]][0] == 0.0 and rows[embedding[0]][1] > 0
        assert rows[("unknown", "gpt-4o-mini", "GlobalStandard", "input")] == (0.0, 0.000023)
        prod_input = done.rows[done.rows["token_class"] == "input"]
        prod_input = prod_input[prod_input["resource"] == "aoai-prod"].iloc[0]
        assert round(prod_input["difference_usd"], 6) == 0.00494
    assert answers[0].bill.other_services == 1  # the storage account's line is not ours
    assert answers[0].csv() == answers[1].csv() == answers[2].csv()
    assert answers[0].csv().splitlines()[0] == ",".join(RECONCILE_COLUMNS)


def test_a_meter_that_names_less_takes_the_lens_cost_of_what_it_covers(store: Store) -> None:
    # One line for all of aoai-prod's tokens that day, under a meter the parser cannot read:
    # the lens's three costs for that day and resource land on that one row, once.
    frame = focus_frame().iloc[:1].copy()
    frame["SkuMeter"] = "Azure OpenAI Tokens Bundle"
    frame["BilledCost"] = "0.012340"
    done = reconcile_exports(
        store.cursor(), MONTH, [("one.csv", frame.to_csv(index=False).encode())]
    )
    rows = by_key(done.rows)
    assert rows[("aoai-prod", "", "", "other")] == (0.01234, 0.01234)  # 0.00506 + 0.00128 + 0.006
    assert not [k for k in rows if k[0] == "aoai-prod" and k[3] != "other"]


def test_other_currencies_convert_with_the_exchange_rate_or_are_refused(store: Store) -> None:
    euros = focus_frame(rate=0.9, currency="EUR")
    done = reconcile_exports(
        store.cursor(), MONTH, [("eur.csv", euros.to_csv(index=False).encode())]
    )
    assert by_key(done.rows)[("aoai-prod", "gpt-4o", "GlobalStandard", "output")] == (0.006, 0.006)
    without_rate = euros.drop(columns=["x_BillingExchangeRate"])
    with pytest.raises(CostExportError) as refused:
        read_cost_exports([("eur.csv", without_rate.to_csv(index=False).encode())])
    assert "billed in EUR and gives no exchange rate" in refused.value.message


def test_files_that_are_not_exports_are_refused_with_what_to_export() -> None:
    with pytest.raises(CostExportError) as refused:
        read_cost_exports([("notes.csv", b"a,b\n1,2\n")])
    assert "neither the FOCUS columns" in refused.value.message
    assert "Cost and usage details (FOCUS)" in refused.value.hint
    with pytest.raises(CostExportError):
        read_cost_exports([("bin.csv", b"\xff\xfe\x00garbage")])
    with pytest.raises(CostExportError) as corrupt:
        read_cost_exports([("cut.parquet", b"PAR1 cut short")])
    assert "not a readable Parquet file" in corrupt.value.message


def test_the_cli_reconciles_through_the_server_and_on_the_file(tmp_path: Path) -> None:
    db = seeded_database(tmp_path / "served.duckdb", datetime(2026, 11, 20, 12, 30, tzinfo=UTC))
    export = tmp_path / "focus.csv"
    focus_frame().to_csv(export, index=False)
    server = LensServer(db, tmp_path / "server.log").start()
    try:
        via_server = subprocess.run(
            [str(CLI), "reconcile", "--month", MONTH, str(export), "--url", server.url],
            capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        assert via_server.returncode == 0, via_server.stderr
        assert "aoai-west" in via_server.stderr  # on the bill, no calls in the lens
        bad = httpx.post(f"{server.url}/api/reconcile?month=2026-13", content=b"x")
        assert bad.status_code == 400 and "YYYY-MM" in bad.json()["hint"]
        empty = httpx.post(f"{server.url}/api/reconcile?month={MONTH}")
        assert empty.status_code == 400 and "no Cost Management export" in empty.json()["error"]
        not_export = httpx.post(
            f"{server.url}/api/reconcile?month={MONTH}", files={"file": ("x.csv", b"a,b\n1,2\n")}
        )
        assert not_export.status_code == 400 and "FOCUS" in not_export.json()["error"]
        torn = httpx.post(
            f"{server.url}/api/reconcile?month={MONTH}",
            content=b"--x\r\nContent-Disposition: form-data; name=file",
            headers={"Content-Type": "multipart/form-data; boundary=x"},
        )
        assert torn.status_code == 400 and set(torn.json()) == {"error", "hint"}
    finally:
        server.stop()
    on_file = subprocess.run(
        [str(CLI), "reconcile", "--month", MONTH, str(export), "--url", "http://127.0.0.1:9"],
        capture_output=True, text=True, timeout=120, check=False,
        env={"PATH": "/usr/bin:/bin", "LENS_DB": str(db)},
    )  # fmt: skip
    assert on_file.returncode == 0, on_file.stderr
    assert on_file.stdout == via_server.stdout  # the same CSV either way
    table = pd.read_csv(io.StringIO(on_file.stdout), dtype=str)
    assert list(table.columns) == list(RECONCILE_COLUMNS)
    assert "0.004940" in set(table["difference_usd"])
    with duckdb.connect(str(db), read_only=True) as con:
        audited = con.execute("SELECT detail->>'via' FROM audit_log WHERE action = 'reconcile'")
        assert [row[0] for row in audited.fetchall()] == ["api", "cli"]
