"""'Use the bill's unit prices': a FOCUS export whose prices differ from the test book
(written with Cost Management's unit columns: ConsumedQuantity in single tokens, ConsumedUnit
and PricingUnit 'Units', PricingQuantity in blocks of x_PricingBlockSize 1000, described as
'1K'), against the seed ledger's calls of 2026-11-20.

Hand-computed bill prices (cost / tokens x 1M) and the lens's (test book, 2026-11-01):
- gpt-4o GlobalStandard: input 0.004048 / 2,024 = 2.00 (lens 2.50), cached 0.00128 / 1,024
  = 1.25 (lens 1.25, unchanged), output 0.0054 / 600 = 9.00 (lens 10.00);
- o4-mini DataZoneStandard (no row of its own: GlobalStandard x 1.1): input 0.0005 / 500 =
  1.00 (lens 1.10 x 1.1 = 1.21), output 0.006 / 1,500 = 4.00 (lens 4.40 x 1.1 = 4.84); its
  cached input stays the lens's 0.275 x 1.1 = 0.3025;
- text-embedding-3-small Standard in westeurope: 0.0000075 / 300 = 0.025 (lens 0.02 x 1.1
  = 0.022).
A bundle meter the parser cannot read and a meter counted in hours are listed, not applied.
"""

from __future__ import annotations

import hashlib
import io
import os
import subprocess
import sys
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import httpx
import pandas as pd
import pytest

from app.access import Identity
from app.reconciliation import reconcile_exports, refuse_bill_prices, use_bill_prices
from collectors.prices.apply import read_price_book
from collectors.store import Store
from lens_harness.lens_process import LensServer
from tests.seeding import seeded_database

CLI = Path(sys.executable).with_name("aoai-lens")
MONTH = "2026-11"
RG = "/subscriptions/0000/resourceGroups/ai/providers/Microsoft.CognitiveServices/accounts"
# (day, resource, meter, tokens, cost in USD, region)
LINES = [
    ("2026-11-20", "aoai-prod", "gpt 4o 1120 Inp glbl", 2024, "0.004048", "swedencentral"),
    ("2026-11-20", "aoai-prod", "gpt 4o 1120 cchd Inp glbl", 1024, "0.00128", "swedencentral"),
    ("2026-11-20", "aoai-prod", "gpt 4o 1120 Outp glbl", 600, "0.0054", "swedencentral"),
    ("2026-11-20", "aoai-eu", "o4-mini 0416 Inp Data Zone", 500, "0.0005", "westeurope"),
    ("2026-11-20", "aoai-eu", "o4-mini 0416 Outp DZone", 1500, "0.006", "westeurope"),
    ("2026-11-20", "aoai-eu", "Az-Text-Embedding-3-Small", 300, "0.0000075", "westeurope"),
    ("2026-11-21", "aoai-prod", "Azure OpenAI Tokens Bundle", 1000, "0.5", "swedencentral"),
    ("2026-11-21", "aoai-prod", "gpt 4o mini 0718 Inp glbl", 2, "0.25", "swedencentral"),
]


def focus_csv() -> bytes:
    rows = []
    for day, resource, meter, tokens, cost, region in LINES:
        row = {
            "BilledCost": cost, "BillingCurrency": "USD", "ChargeCategory": "Usage",
            "ChargeClass": "", "ChargePeriodStart": f"{day}T00:00:00Z",
            "ConsumedQuantity": str(tokens), "ConsumedUnit": "Units", "EffectiveCost": cost,
            "PricingQuantity": str(tokens / 1000), "PricingUnit": "Units",
            "RegionId": region, "ResourceId": f"{RG}/{resource}", "SkuMeter": meter,
            "x_PricingBlockSize": "1000", "x_PricingUnitDescription": "1K",
        }  # fmt: skip
        if "mini 0718" in meter:  # counted in hours: no token count can be had
            row |= {"ConsumedUnit": "1 Hour", "PricingQuantity": "", "PricingUnit": "",
                    "x_PricingBlockSize": "", "x_PricingUnitDescription": ""}  # fmt: skip
        rows.append(row)
    return pd.DataFrame(rows).to_csv(index=False).encode()


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(
        seeded_database(tmp_path / "lens.duckdb", datetime(2026, 11, 20, 12, 30, tzinfo=UTC))
    )


def bill_rows_of_the_day(store: Store) -> pd.DataFrame:
    done = reconcile_exports(store.cursor(), MONTH, [("focus.csv", focus_csv())])
    rows = done.rows[(done.rows["day"] == date(2026, 11, 20)) & (done.rows["billed_cost_usd"] > 0)]
    assert len(rows) == 6
    return rows


def test_the_bill_proposes_its_prices_where_they_differ_from_the_book(store: Store) -> None:
    used = use_bill_prices(store, MONTH, [("focus.csv", focus_csv())], apply=False)
    proposal = used.proposal
    got = {
        (c.model, c.deployment_type, c.region, c.token_class): (c.lens_per_1m, c.bill_per_1m)
        for c in proposal.changes
    }
    D = Decimal
    assert got == {
        ("gpt-4o", "GlobalStandard", "", "input"): (D("2.5"), D("2")),
        ("gpt-4o", "GlobalStandard", "", "output"): (D("10"), D("9")),
        ("o4-mini", "DataZoneStandard", "", "input"): (D("1.21"), D("1")),
        ("o4-mini", "DataZoneStandard", "", "output"): (D("4.84"), D("4")),
        ("text-embedding-3-small", "Standard", "westeurope", "input"): (D("0.022"), D("0.025")),
    }
    assert proposal.unchanged == 1  # gpt-4o's cached input: 1.25 on both
    rows = {(r.model, r.deployment_type): r for r in proposal.rows}
    gpt = rows[("gpt-4o", "GlobalStandard")]
    assert (gpt.input_per_1m, gpt.cached_input_per_1m, gpt.output_per_1m) == (2, D("1.25"), 9)
    assert (gpt.effective_from, gpt.effective_to, gpt.source) == (date(2026, 11, 1), None,
                                                                   "bill-2026-11")  # fmt: skip
    assert gpt.meters == "gpt 4o 1120 Inp glbl; gpt 4o 1120 cchd Inp glbl; gpt 4o 1120 Outp glbl"
    dz = rows[("o4-mini", "DataZoneStandard")]
    assert (dz.input_per_1m, dz.cached_input_per_1m, dz.output_per_1m) == (1, D("0.3025"), 4)
    embed = rows[("text-embedding-3-small", "Standard")]
    assert (embed.region, embed.input_per_1m, embed.output_per_1m) == (
        "westeurope",
        D("0.025"),
        None,
    )
    # the book's gpt-4o row in force ends where the bill's starts; nothing is applied yet
    old = [r for r in proposal.book if r.model == "gpt-4o" and r.source == "test"]
    assert [(r.effective_from, r.effective_to) for r in old] == [
        (date(2024, 10, 1), date(2026, 11, 1))
    ]
    assert used.applied_version is None
    assert read_price_book(store)[1][0].input_per_1m == D("2.5")


def test_meters_with_an_unknown_unit_or_name_are_listed_not_applied(store: Store) -> None:
    proposal = use_bill_prices(store, MONTH, [("f.csv", focus_csv())], apply=False).proposal
    listed = {n.meter: n.reason for n in proposal.not_applied}
    assert listed == {
        "Azure OpenAI Tokens Bundle":
            "meter name not understood: 'azure' does not start a model name",
        "gpt 4o mini 0718 Inp glbl":
            "the unit 'ConsumedUnit' does not say how many tokens the quantity counts: 1 Hour",
    }  # fmt: skip
    assert not [r for r in proposal.rows if r.model == "gpt-4o-mini"]


def test_after_applying_the_lens_cost_of_the_day_equals_the_bill(store: Store) -> None:
    before = bill_rows_of_the_day(store)
    assert round(before["difference_usd"].abs().sum(), 6) > 0  # 0.00506 - 0.004048, ...
    used = use_bill_prices(store, MONTH, [("focus.csv", focus_csv())], apply=True)
    assert used.applied_version is not None
    assert used.applied_version.startswith("bill_prices_2026-11.csv@")
    after = bill_rows_of_the_day(store)
    assert [round(v, 6) for v in after["difference_usd"]] == [0.0] * 6
    # 0.004048 + 0.00128 + 0.0054 + 0.0005 + 0.006 + 0.000008 (0.0000075 to 6 decimals)
    assert round(after["lens_cost_usd"].sum(), 6) == 0.017236
    assert round(after["billed_cost_usd"].sum(), 6) == 0.017236
    # applying the same bill again changes nothing and loads nothing
    again = use_bill_prices(store, MONTH, [("focus.csv", focus_csv())], apply=True)
    assert again.proposal.changes == () and again.applied_version is None


def test_tenant_limited_and_reading_roles_may_not_change_the_price_book() -> None:
    assert refuse_bill_prices(Identity("ana", "finops")) is None
    assert refuse_bill_prices(Identity("root", "admin")) is None
    assert "limited to some" in str(refuse_bill_prices(Identity("ana", "finops", ("contoso",))))
    assert "may not change" in str(refuse_bill_prices(Identity("sam", "safety")))
    assert "may not change" in str(refuse_bill_prices(None))


FINOPS, LIMITED, SAFETY = "finops-token-0002", "contoso-finops-token-0006", "safety-token-0005"


def access_file(path: Path) -> Path:
    entries = [("finops", FINOPS, ""), ("finops", LIMITED, 'tenants = ["contoso"]\n'),
               ("safety", SAFETY, "")]  # fmt: skip
    path.write_text("\n".join(
        f'[[tokens]]\nname = "{role}-{i}"\nsha256 = "{hashlib.sha256(token.encode()).hexdigest()}"'
        f'\nrole = "{role}"\n{tenants}'
        for i, (role, token, tenants) in enumerate(entries)
    ))  # fmt: skip
    return path


def differences_of_the_day(csv_text: str) -> list[str]:
    table = pd.read_csv(io.StringIO(csv_text), dtype=str)
    rows = table[(table["day"] == "2026-11-20") & (table["billed_cost_usd"] != "0.000000")]
    return list(rows["difference_usd"])


def test_the_cli_applies_the_bills_prices_through_the_server_and_on_the_file(
    tmp_path: Path,
) -> None:
    export = tmp_path / "focus.csv"
    export.write_bytes(focus_csv())
    db = seeded_database(tmp_path / "served.duckdb", datetime(2026, 11, 20, 12, 30, tzinfo=UTC))
    env = {"LENS_ACCESS_FILE": str(access_file(tmp_path / "access.toml"))}
    server = LensServer(db, tmp_path / "server.log", env).start()
    try:
        route = f"{server.url}/api/reconcile/prices?month={MONTH}&apply=true"
        files = {"file": ("focus.csv", focus_csv())}
        for token, says in ((LIMITED, "limited to some"), (SAFETY, "may not use")):
            refused = httpx.post(route, files=files, headers={"Authorization": f"Bearer {token}"})
            assert refused.status_code == 403 and says in refused.json()["error"]
        cli = subprocess.run(
            [str(CLI), "reconcile", "--month", MONTH, str(export), "--url", server.url,
             "--apply-prices"],
            capture_output=True, text=True, timeout=120, check=False,
            env={**os.environ, "LENS_TOKEN": FINOPS},
        )  # fmt: skip
        assert cli.returncode == 0, cli.stderr
        assert "applied the prices of bill-2026-11 as price book version" in cli.stderr
        assert "gpt-4o GlobalStandard input: 2.500000 -> 2.000000" in cli.stderr
        assert "not applied: Azure OpenAI Tokens Bundle" in cli.stderr
        assert differences_of_the_day(cli.stdout) == ["0.000000"] * 6
    finally:
        server.stop()
    with duckdb.connect(str(db), read_only=True) as con:
        audited = con.execute(
            "SELECT actor, action, target FROM audit_log WHERE action IN ('prices.apply', "
            "'denied') ORDER BY \"at\""
        ).fetchall()
    assert audited == [("finops-1", "denied", "/api/reconcile/prices"),
                       ("safety-2", "denied", "/api/reconcile/prices"),
                       ("finops-0", "prices.apply", "bill-2026-11")]  # fmt: skip
    on_file = seeded_database(tmp_path / "file.duckdb", datetime(2026, 11, 20, 12, 30, tzinfo=UTC))
    cli = subprocess.run(
        [str(CLI), "reconcile", "--month", MONTH, str(export), "--url", "http://127.0.0.1:9",
         "--apply-prices"],
        capture_output=True, text=True, timeout=120, check=False,
        env={"PATH": "/usr/bin:/bin", "LENS_DB": str(on_file)},
    )  # fmt: skip
    assert cli.returncode == 0, cli.stderr
    assert differences_of_the_day(cli.stdout) == ["0.000000"] * 6
    with duckdb.connect(str(on_file), read_only=True) as con:
        detail = con.execute(
            "SELECT detail->>'via', detail->>'source' FROM audit_log WHERE action = 'prices.apply'"
        ).fetchall()
    assert detail == [("cli", "bill-2026-11")]
