"""Retail Prices meters -> price book rows: meter names, units, item selection, merge, diff.

Meter spellings are those seen in Retail Prices API answers as quoted by third parties
(infracost's Azure OpenAI price mapping, published price cards and price-check scripts) and
in /work/shared/research/azure-formats.md section 8.1; none is a contracted format.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from collectors.prices.apply import PriceChange, diff_price_books, merge_price_books
from collectors.prices.book import format_price
from collectors.prices.parse import (
    CapacityPrice,
    PriceRow,
    UnmappedMeter,
    parse_meter_name,
    price_rows_from_items,
    read_meter_name,
)

READ_ON = date(2026, 11, 23)
SOURCE = "azure-retail-prices@2026-11-23"
GPT5 = "Azure OpenAI GPT5"

# (meter name, productName) -> (model, deployment_type, token class)
MAPPED = [
    ("gpt-4o-mini-0718-Inp-glbl", "", ("gpt-4o-mini", "GlobalStandard", "input")),
    ("gpt-4o-mini-0718-Outp-glbl", "", ("gpt-4o-mini", "GlobalStandard", "output")),
    ("gpt 4o 1120 Inp glbl Tokens", "", ("gpt-4o", "GlobalStandard", "input")),
    ("gpt 4o 1120 Inp global", "", ("gpt-4o", "GlobalStandard", "input")),
    ("gpt 4o 1120 Out Data Zone", "", ("gpt-4o", "DataZoneStandard", "output")),
    ("gpt 4o 1120 cached Inp Data Zone", "", ("gpt-4o", "DataZoneStandard", "cached_input")),
    ("gpt 4o 0513 Input regional", "", ("gpt-4o", "Standard", "input")),
    ("gpt-4o-0806-Outp-regnl", "", ("gpt-4o", "Standard", "output")),
    ("GPT 4.1 nano Global Input", "", ("gpt-4.1-nano", "GlobalStandard", "input")),
    ("gpt 4.1 Inp glbl Tokens", "", ("gpt-4.1", "GlobalStandard", "input")),
    ("o3 Inpt DZone 1M Tokens", "", ("o3", "DataZoneStandard", "input")),
    ("o1 mini cached input glbl", "", ("o1-mini", "GlobalStandard", "cached_input")),
    ("o3 mini 0131 Batch Inp Data Zone", "", ("o3-mini", "DataZoneBatch", "input")),
    ("GPT 5 pro inp glbl Tokens", GPT5, ("gpt-5-pro", "GlobalStandard", "input")),
    ("GPT 5 Mini cchd Inpt Glbl", GPT5, ("gpt-5-mini", "GlobalStandard", "cached_input")),
    ("GPT 5 Mini outpt Glbl", GPT5, ("gpt-5-mini", "GlobalStandard", "output")),
    ("GPT 5 Batch Inpt Glbl", GPT5, ("gpt-5", "GlobalBatch", "input")),
    ("GPT 5 Chat Inpt Glbl 1M Tokens", GPT5, ("gpt-5-chat", "GlobalStandard", "input")),
    # The model named by its version only: a GPT model when the product says which.
    ("5.4 mini Inp Gl", GPT5, ("gpt-5.4-mini", "GlobalStandard", "input")),
    ("5.4 mini cd Inp Gl", GPT5, ("gpt-5.4-mini", "GlobalStandard", "cached_input")),
    ("5.4 mini Opt Gl", GPT5, ("gpt-5.4-mini", "GlobalStandard", "output")),
    ("5.2 chat 0210 opt Gl 1M Tokens", GPT5, ("gpt-5.2-chat", "GlobalStandard", "output")),
    # Glued words: context size, version and camel case.
    ("gpt-35-turbo4K-Inp-glbl", "", ("gpt-35-turbo", "GlobalStandard", "input")),
    ("gpt-35-turbo-16k-Output-regional", "", ("gpt-35-turbo-16k", "Standard", "output")),
    ("gpt-4-8K-Batch-Outp-glbl", "", ("gpt-4", "GlobalBatch", "output")),
    ("gpt-4-32K-Input-regional", "", ("gpt-4-32k", "Standard", "input")),
    ("gpt-4-turbo128K Inp-glbl", "", ("gpt-4-turbo", "GlobalStandard", "input")),
    ("gpt 4o mini0718 BatchOutp DataZone", "", ("gpt-4o-mini", "DataZoneBatch", "output")),
    ("gpt 4.5 0227 Inp DZone", "", ("gpt-4.5-preview", "DataZoneStandard", "input")),
    ("computer-use-inpt-glbl", "", ("computer-use-preview", "GlobalStandard", "input")),
    ("gpt-4.1-2025-04-14 Inp glbl", "", ("gpt-4.1", "GlobalStandard", "input")),
    # Embeddings: no direction word (input); no scope word (a regional meter).
    ("text-embedding-3-large-glbl", "", ("text-embedding-3-large", "GlobalStandard", "input")),
    ("text-embedding-3-large-regional", "", ("text-embedding-3-large", "Standard", "input")),
    ("Az-Text-Embedding-3-Small", "", ("text-embedding-3-small", "Standard", "input")),
    ("Az-Embeddings-Ada", "", ("text-embedding-ada-002", "Standard", "input")),
]  # fmt: skip

# Meters the price book does not hold, or names too unclear to read: reported, not guessed.
UNMAPPED = [
    ("gpt-4o-rt-txt-1217 Inp glbl", ""),  # realtime
    ("gpt-4o-aud-1217 Outp DZone", ""),  # audio
    ("gpt4omini-aud1217-txt Inp glbl", ""),
    ("gpt4o realtimePrvwTxtInp DataZone", ""),
    ("gpt img 1.5 out img DZ", ""),  # image tokens
    ("FW GPT OSS 120B Inp DZ", "Fireworks Models"),  # another host's meter
    ("4.3 Inp Glbl Tokens", GPT5),  # a version of which model?
    ("54 opt Dz", GPT5),
    ("5.4 mini Inp Gl", "Azure OpenAI"),  # the product does not say GPT
    ("gpt 4o 1120 Inp Outp glbl", ""),  # two directions
    ("gpt 4o 1120 Inp glbl DZone", ""),  # two scopes
    ("gpt 4o 1120 cached Outp glbl", ""),  # cached output
    ("gpt 4o 1120 glbl", ""),  # no direction
    ("gpt 4o 1120 Batch Inp regnl", ""),  # no regional batch type
    ("Provisioned Managed Unit", ""),  # a capacity meter, not a token one
    ("gpt 4o 1120 Batch Flex Inp glbl", ""),  # batch is not a service tier
    ("gpt 4o 1120 cd Wr Outp glbl", ""),  # a cache write is input
    ("Grok 4.1 Inp Glbl Tokens", "Azure Grok Models"),
]


@pytest.mark.parametrize(("name", "product", "expected"), MAPPED)
def test_meter_name_is_read(name: str, product: str, expected: tuple[str, str, str]) -> None:
    meter = parse_meter_name(name, product)
    assert meter is not None
    assert (meter.model, meter.deployment_type, meter.token_class) == expected


@pytest.mark.parametrize(("name", "product"), UNMAPPED)
def test_meter_name_not_understood_is_refused(name: str, product: str) -> None:
    assert parse_meter_name(name, product) is None


# Billing modes: (meter, product) -> (model, type, token class, service tier, context tier).
MODES = [
    ("GPT 5 Mini pp Inpt Glbl", GPT5, ("gpt-5-mini", "GlobalStandard", "input", "priority", None)),
    ("5.6 luna ShortCo Cd Inp Std DZ 1M Tokens", GPT5,
     ("gpt-5.6-luna", "DataZoneStandard", "cached_input", "default", "short")),
    ("5.6 terra ShortCo Cd Inp PP Gl 1M Tokens", GPT5,
     ("gpt-5.6-terra", "GlobalStandard", "cached_input", "priority", "short")),
    ("5.6 sol LongCo Opt Flex Gl 1M Tokens", GPT5,
     ("gpt-5.6-sol", "GlobalStandard", "output", "flex", "long")),
    ("5.6 luna LongCo Cd Wr Std DZ 1M Tokens", GPT5,
     ("gpt-5.6-luna", "DataZoneStandard", "cache_write", "default", "long")),
    ("5.6 luna ShortCo Cached Write Inp Std DZ", GPT5,
     ("gpt-5.6-luna", "DataZoneStandard", "cache_write", "default", "short")),
    ("gpt-5-codex-ccchd-inp-glbl Tokens", "", ("gpt-5-codex", "GlobalStandard", "cached_input",
                                               "default", None)),
    ("codex mini inp cchd glbl Tokens", "", ("codex-mini", "GlobalStandard", "cached_input",
                                             "default", None)),
    ("o3-deep research 0626-inp-cchd-glbl 1M Tokens", "",
     ("o3-deep-research", "GlobalStandard", "cached_input", "default", None)),
    ("5.4 pro Batch inp Dz 1M Tokens", GPT5, ("gpt-5.4-pro", "DataZoneBatch", "input", "default",
                                              None)),
    ("5.4 nano Batch cd Inp Gl", GPT5, ("gpt-5.4-nano", "GlobalBatch", "cached_input", "default",
                                        None)),
]  # fmt: skip


@pytest.mark.parametrize(("name", "product", "expected"), MODES)
def test_billing_mode_words_are_read(
    name: str, product: str, expected: tuple[str, str, str, str, str | None]
) -> None:
    meter = parse_meter_name(name, product)
    assert meter is not None
    assert (meter.model, meter.deployment_type, meter.token_class, meter.service_tier,
            meter.context_tier) == expected  # fmt: skip


def test_a_meter_not_understood_says_why() -> None:
    assert read_meter_name("gpt-4o-rt-txt-1217 Inp glbl") == "word 'rt' not understood"
    assert read_meter_name("chat-latest 08062026 opt Gl 1M Tokens") == (
        "'chat' does not start a model name"
    )


def test_version_word_is_kept_apart_from_the_model() -> None:
    meter = parse_meter_name("gpt-4o-mini-0718-Inp-glbl")
    assert meter is not None and meter.version == "0718"


def item(name: str, price: str, unit: str = "1K", **fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "currencyCode": "USD", "tierMinimumUnits": 0.0, "retailPrice": Decimal(price),
        "unitPrice": Decimal(price), "armRegionName": "eastus2", "location": "US East 2",
        "effectiveStartDate": "2025-01-01T00:00:00Z", "meterName": name,
        "productName": "Azure OpenAI", "serviceName": "Foundry Models",
        "unitOfMeasure": unit, "type": "Consumption", "isPrimaryMeterRegion": True,
    }  # fmt: skip
    return base | fields


def row(
    model: str,
    prices: tuple[str | None, str | None, str | None],
    start: date = date(2025, 1, 1),
    end: date | None = None,
    deployment_type: str = "GlobalStandard",
    region: str | None = None,
    source: str = SOURCE,
) -> PriceRow:
    inp, cached, out = (None if p is None else Decimal(p) for p in prices)
    return PriceRow(model, deployment_type, region, inp, cached, out, start, end, source)


@pytest.mark.parametrize(
    ("unit", "price", "per_1m"),
    [
        ("1K", "0.0025", "2.50"),
        ("1K Tokens", "0.000025", "0.025"),
        ("1M", "2.5", "2.50"),
        ("1M Tokens", "0.075", "0.075"),
    ],
)
def test_prices_become_usd_per_million_tokens(unit: str, price: str, per_1m: str) -> None:
    parsed = price_rows_from_items([item("gpt 4o Inp glbl", price, unit)], READ_ON)
    assert parsed.unmapped == []
    assert parsed.rows == [replace(row("gpt-4o", (per_1m, None, None)), meters="gpt 4o Inp glbl")]


def test_capacity_meters_become_ptu_prices_and_other_items_are_listed_or_left_out() -> None:
    items = [
        item("gpt 4o Inp glbl", "0.0025"),
        item("gpt 4o Inp glbl", "0.002", type="Reservation", reservationTerm="1 Year"),
        item("gpt 4o Inp glbl", "0.001", type="DevTestConsumption"),  # left out
        item("gpt 4o Inp glbl", "0.002", tierMinimumUnits=1_000_000.0),  # left out
        item("Provisioned Managed Unit", "2", unit="1 Hour"),
        item("Provisioned Managed Data Zone Unit", "1.1", unit="1 Hour"),
        item("Provisioned Managed Global", "260", unit="1/Month", type="Reservation",
             reservationTerm="1 Month"),
        item("Provisioned Managed Global", "2652", unit="1/Year", type="Reservation",
             reservationTerm="1 Year"),
        item("Provisioned Managed Global", "9", unit="1/Day", type="Reservation",
             reservationTerm="3 Years"),
        item("gpt img 1 Outp glbl", "0.04", unit="1 Image"),
    ]  # fmt: skip
    parsed = price_rows_from_items(items, READ_ON)
    assert parsed.rows == [replace(row("gpt-4o", ("2.50", None, None)), meters="gpt 4o Inp glbl")]
    start = date(2025, 1, 1)
    assert parsed.capacity == [
        CapacityPrice("DataZoneProvisionedManaged", "eastus2", "hourly", Decimal("1.1"), start,
                      "Provisioned Managed Data Zone Unit"),
        CapacityPrice("GlobalProvisionedManaged", "eastus2", "monthly", Decimal("260"), start,
                      "Provisioned Managed Global"),
        CapacityPrice("GlobalProvisionedManaged", "eastus2", "yearly", Decimal("2652"), start,
                      "Provisioned Managed Global"),
        CapacityPrice("ProvisionedManaged", "eastus2", "hourly", Decimal("2"), start,
                      "Provisioned Managed Unit"),
    ]  # fmt: skip
    assert parsed.unmapped == [
        UnmappedMeter("Provisioned Managed Global", "Azure OpenAI", "1/Day",
                      "reservation term '3 Years' not understood"),
        UnmappedMeter("gpt 4o Inp glbl", "Azure OpenAI", "1K", "a reservation of tokens"),
        UnmappedMeter("gpt img 1 Outp glbl", "Azure OpenAI", "1 Image", "unit is not tokens"),
    ]  # fmt: skip


def test_primary_meter_region_wins_over_a_duplicate() -> None:
    items = [
        item("gpt 4o Inp glbl", "0.0026", armRegionName="westeurope", isPrimaryMeterRegion=False),
        item("gpt 4o Inp glbl", "0.0025"),
        item("gpt 4o Inp glbl", "0.0027", armRegionName="japaneast", isPrimaryMeterRegion=False),
    ]
    rows = price_rows_from_items(items, READ_ON).rows
    assert unlabelled(rows) == [row("gpt-4o", ("2.50", None, None))]


def test_only_standard_rows_keep_their_region() -> None:
    items = [
        item("gpt 4o Inp regnl", "0.00275", armRegionName="swedencentral"),
        item("gpt 4o Inp regnl", "0.0028", armRegionName="eastus"),
        item("gpt 4o Inp Data Zone", "0.00275", armRegionName="swedencentral"),
    ]
    rows = unlabelled(price_rows_from_items(items, READ_ON).rows)
    assert rows == [
        row("gpt-4o", ("2.75", None, None), deployment_type="DataZoneStandard"),
        row("gpt-4o", ("2.80", None, None), deployment_type="Standard", region="eastus"),
        row("gpt-4o", ("2.75", None, None), deployment_type="Standard", region="swedencentral"),
    ]


def test_each_effective_start_date_starts_a_dated_row() -> None:
    items = [
        item("o3 Inp glbl", "0.01", effectiveStartDate="2025-04-16T00:00:00Z"),
        item("o3 Outp glbl", "0.04", effectiveStartDate="2025-04-16T00:00:00Z"),
        item("o3 Inp glbl", "0.002", effectiveStartDate="2025-06-10T00:00:00Z"),
        item("o3 Outp glbl", "0.008", effectiveStartDate="2025-06-10T00:00:00Z"),
        # the cached meter came later: until then, no cached price
        item("o3 cchd Inp glbl", "0.0005", effectiveStartDate="2025-07-01T00:00:00Z"),
    ]
    rows = unlabelled(price_rows_from_items(items, READ_ON).rows)
    assert rows == [
        row("o3", ("10.00", None, "40.00"), date(2025, 4, 16), date(2025, 6, 10)),
        row("o3", ("2.00", None, "8.00"), date(2025, 6, 10), date(2025, 7, 1)),
        row("o3", ("2.00", "0.50", "8.00"), date(2025, 7, 1)),
    ]


def test_a_model_without_an_input_price_is_reported_not_priced() -> None:
    items = [item("gpt 4o Outp glbl", "0.01"), item("gpt 4o cchd Inp glbl", "0.00125")]
    parsed = price_rows_from_items(items, READ_ON)
    assert parsed.rows == []
    assert [(u.meter, u.reason) for u in parsed.unmapped] == [
        ("gpt 4o Outp glbl", "no input price for this model"),
        ("gpt 4o cchd Inp glbl", "no input price for this model"),
    ]


def test_unmapped_meters_are_listed_once_each() -> None:
    items = [item("gpt-4o-rt-txt-1217 Inp glbl", "0.005")] * 3
    parsed = price_rows_from_items(items, READ_ON)
    assert parsed.rows == []
    assert [u.meter for u in parsed.unmapped] == ["gpt-4o-rt-txt-1217 Inp glbl"]


def unlabelled(rows: list[PriceRow]) -> list[PriceRow]:
    return [replace(r, meters="") for r in rows]


def book_row(model: str, prices: tuple[str | None, ...], **kw: Any) -> PriceRow:
    return row(model, prices, source="book", **kw)  # type: ignore[arg-type]


def test_merge_keeps_models_the_api_does_not_list() -> None:
    book = [book_row("gpt-4", ("30.00", None, "60.00")), book_row("o1", ("15", "7.5", "60"))]
    api = [row("o1", ("15.00", "7.50", "60.00"), start=date(2025, 3, 1))]
    merged, notes = merge_price_books(book, api)
    assert merged == book  # same o1 price, later start: the book row stays
    assert notes == []


def test_merge_replaces_a_changed_price_from_its_start_date() -> None:
    book = [book_row("gpt-4o", ("2.50", "1.25", "10.00"), start=date(2024, 10, 1))]
    api = [row("gpt-4o", ("2.40", "1.20", "9.60"), start=date(2026, 1, 1))]
    merged, _ = merge_price_books(book, api)
    assert merged == [
        book_row(
            "gpt-4o", ("2.50", "1.25", "10.00"), start=date(2024, 10, 1), end=date(2026, 1, 1)
        ),
        api[0],
    ]
    assert [c.kind for c in diff_price_books(book, merged)] == ["changed", "added"]


def test_merge_keeps_a_book_price_the_api_does_not_list() -> None:
    book = [book_row("gpt-4o", ("2.50", "1.25", "10.00"))]
    api = [row("gpt-4o", ("2.40", None, "9.60"))]
    merged, notes = merge_price_books(book, api)
    assert merged == [row("gpt-4o", ("2.40", "1.25", "9.60"))]
    assert notes == [
        "gpt-4o GlobalStandard: cached input price kept from the book (not in the API)"
    ]


def test_merge_refuses_a_new_type_row_without_output_price() -> None:
    book = [book_row("gpt-4o", ("2.50", "1.25", "10.00"))]
    api = [row("gpt-4o", ("1.25", None, None), deployment_type="GlobalBatch")]
    merged, notes = merge_price_books(book, api)
    assert merged == book
    assert notes == ["gpt-4o GlobalBatch: the API lists no output price; row not added"]


def test_diff_lists_added_removed_and_changed_rows() -> None:
    old = [
        book_row("gpt-4o", ("2.50", "1.25", "10.00")),
        book_row("o1", ("15.00", "7.50", "60.00")),
        book_row("gpt-4", ("30.00", None, "60.00")),
    ]
    new = [
        book_row("gpt-4o", ("2.50", "1.25", "10.00")),
        row("o1", ("12.00", "6.00", "48.00"), start=date(2024, 12, 17)),
        row("o3", ("2.00", "0.50", "8.00"), deployment_type="DataZoneStandard"),
    ]
    assert diff_price_books(old, new) == [
        PriceChange("changed", old[1], new[1]),
        PriceChange("removed", old[2], None),
        PriceChange("added", None, new[2]),
    ]
    assert PriceChange("changed", old[1], new[1]).describe() == (
        "changed o1 GlobalStandard (any region) from 2025-01-01: input 15.00 -> 12.00, "
        "cached input 7.50 -> 6.00, output 60.00 -> 48.00, from 2025-01-01 -> 2024-12-17"
    )


@pytest.mark.parametrize(
    ("value", "text"), [("2.5", "2.50"), ("0.125000", "0.125"), ("10", "10.00"), ("0", "0.00")]
)
def test_prices_are_written_like_the_shipped_book(value: str, text: str) -> None:
    assert format_price(Decimal(value)) == text
