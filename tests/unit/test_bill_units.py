"""Tokens per unit of a Cost Management export's quantity, and the same bill prices read
from the actual-cost CSV (Quantity in blocks of UnitOfMeasure) as from FOCUS."""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
import pytest

from collectors.billing.cost_export import read_cost_exports
from collectors.billing.unit_prices import propose_bill_prices
from collectors.billing.units import tokens_per_unit
from collectors.prices.parse import PriceRow

RG = "/subscriptions/0000/resourceGroups/ai/providers/Microsoft.CognitiveServices/accounts"


@pytest.mark.parametrize(
    ("unit", "tokens"),
    [
        ("Units", 1), ("Tokens", 1), ("1K", 1_000), ("1K Tokens", 1_000), ("1M", 1_000_000),
        ("1M Tokens", 1_000_000), ("1000", 1_000), ("10K", 10_000), (" 1k tokens ", 1_000),
        ("1 Hour", None), ("Requests", None), ("", None), (None, None), ("K", None),
        ("Unassigned", None), ("0.5K", 500), ("0.5", None),
    ],
)  # fmt: skip
def test_a_unit_says_how_many_tokens_one_of_it_counts(unit: str | None, tokens: int) -> None:
    assert tokens_per_unit(unit) == tokens


def test_actual_cost_quantities_count_blocks_of_their_unit_of_measure() -> None:
    # 2.024 blocks of 1K at 0.004048 -> 2.00 per 1M; 0.0006 blocks of 1M at 0.0054 -> 9.00
    frame = pd.DataFrame(
        [
            {"Date": "11/20/2026", "ResourceId": f"{RG}/aoai-prod", "MeterName": meter,
             "Quantity": quantity, "UnitOfMeasure": unit, "CostInBillingCurrency": cost,
             "BillingCurrencyCode": "USD", "ResourceLocation": "swedencentral"}
            for meter, quantity, unit, cost in (
                ("gpt 4o 1120 Inp glbl", "2.024", "1K", "0.004048"),
                ("gpt 4o 1120 Outp glbl", "0.0006", "1M Tokens", "0.0054"),
                ("gpt 4o 1120 cchd Inp glbl", "3", "1 Hour", "0.001"),
            )
        ]
    )  # fmt: skip
    bill = read_cost_exports([("actual.csv", frame.to_csv(index=False).encode())])
    assert [round(t, 6) for t in bill.lines["tokens"][:2]] == [2024, 600]
    book = [PriceRow("gpt-4o", "GlobalStandard", None, Decimal("2.5"), Decimal("1.25"),
                     Decimal("10"), pd.Timestamp("2024-10-01").date(), None, "test")]  # fmt: skip
    proposal = propose_bill_prices(bill.lines, "2026-11", book, {})
    assert [(c.token_class, c.bill_per_1m) for c in proposal.changes] == [
        ("input", Decimal("2")), ("output", Decimal("9"))
    ]  # fmt: skip
    [missed] = proposal.not_applied
    assert missed.meter == "gpt 4o 1120 cchd Inp glbl"
    assert missed.reason.startswith("the unit 'UnitOfMeasure' does not say how many tokens")


def test_focus_units_that_disagree_are_not_applied() -> None:
    row = {
        "ChargePeriodStart": "2026-11-20T00:00:00Z", "BilledCost": "0.004048",
        "EffectiveCost": "0.004048", "ResourceId": f"{RG}/aoai-prod",
        "SkuMeter": "gpt 4o 1120 Inp glbl", "ConsumedQuantity": "2024", "ConsumedUnit": "Units",
        "PricingQuantity": "2.024", "x_PricingUnitDescription": "1M",  # 2,024,000 tokens
    }  # fmt: skip
    bill = read_cost_exports([("f.csv", pd.DataFrame([row]).to_csv(index=False).encode())])
    proposal = propose_bill_prices(bill.lines, "2026-11", [], {})
    assert proposal.rows == () and "disagree" in proposal.not_applied[0].reason


def test_a_focus_line_without_unit_columns_says_so() -> None:
    row = {
        "ChargePeriodStart": "2026-11-20T00:00:00Z", "BilledCost": "0.004048",
        "ResourceId": f"{RG}/aoai-prod", "SkuMeter": "gpt 4o 1120 Inp glbl",
        "ConsumedQuantity": "2024",
    }  # fmt: skip
    bill = read_cost_exports([("f.csv", pd.DataFrame([row]).to_csv(index=False).encode())])
    proposal = propose_bill_prices(bill.lines, "2026-11", [], {})
    assert [n.reason for n in proposal.not_applied] == ["the line gives no ConsumedUnit"]


def test_a_bill_row_runs_until_the_books_next_dated_change() -> None:
    day = pd.Timestamp
    book = [
        PriceRow("gpt-4.1", "GlobalStandard", None, Decimal("2.4"), Decimal("0.6"),
                 Decimal("9.6"), day("2025-01-01").date(), day("2026-11-15").date(), "test"),
        PriceRow("gpt-4.1", "GlobalStandard", None, Decimal("2"), Decimal("0.5"),
                 Decimal("8"), day("2026-11-15").date(), None, "test"),
    ]  # fmt: skip
    row = {
        "ChargePeriodStart": "2026-10-20T00:00:00Z", "BilledCost": "0.0022",
        "EffectiveCost": "0.0022", "ResourceId": f"{RG}/aoai-prod",
        "SkuMeter": "gpt 4.1 Inp glbl", "ConsumedQuantity": "1000", "ConsumedUnit": "Units",
    }  # fmt: skip
    bill = read_cost_exports([("f.csv", pd.DataFrame([row]).to_csv(index=False).encode())])
    proposal = propose_bill_prices(bill.lines, "2026-10", book, {})
    # 0.0022 / 1,000 tokens = 2.20 per 1M from 2026-10-01 until the book's 2026-11-15 row;
    # the row before ends on 2026-10-01; cached input and output stay the book's.
    assert [
        (str(r.effective_from), str(r.effective_to), r.input_per_1m, r.output_per_1m, r.source)
        for r in proposal.book
    ] == [
        ("2025-01-01", "2026-10-01", Decimal("2.4"), Decimal("9.6"), "test"),
        ("2026-11-15", "None", Decimal("2"), Decimal("8"), "test"),
        ("2026-10-01", "2026-11-15", Decimal("2.200000"), Decimal("9.6"), "bill-2026-10"),
    ]


@pytest.mark.parametrize("quantity", ["0", "0.0004", "-2024", "nan", "inf"])
def test_a_line_that_counts_no_tokens_is_listed_not_divided_by(quantity: str) -> None:
    row = {
        "ChargePeriodStart": "2026-11-20T00:00:00Z", "BilledCost": "0.004048",
        "EffectiveCost": "0.004048", "ResourceId": f"{RG}/aoai-prod",
        "SkuMeter": "gpt 4o 1120 Inp glbl", "ConsumedQuantity": quantity, "ConsumedUnit": "Units",
    }  # fmt: skip
    bill = read_cost_exports([("f.csv", pd.DataFrame([row]).to_csv(index=False).encode())])
    proposal = propose_bill_prices(bill.lines, "2026-11", [], {})
    assert proposal.rows == ()
    assert [n.meter for n in proposal.not_applied] == ["gpt 4o 1120 Inp glbl"]
