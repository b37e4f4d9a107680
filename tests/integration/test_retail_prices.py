"""prices refresh: the real httpx client against a local Retail Prices API fake, then a
real DuckDB store. Expected rows are worked out by hand from tests/fakes/retail_prices.py."""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

import queries
from collectors.prices.apply import (
    diff_price_books,
    merge_price_books,
    read_price_book,
    refresh_prices,
)
from collectors.prices.book import load_reference_data
from collectors.prices.fetch import RetailPricesConfig, RetailPricesError, fetch_retail_items
from collectors.prices.parse import CapacityPrice, PriceRow, price_rows_from_items
from collectors.rows import CallRow
from collectors.store import Store
from tests.fakes.retail_prices import CATALOGUE, RESEARCH_CATALOGUE, FakeRetailPrices
from tests.normalizing import rows_batch

READ_ON = date(2026, 11, 23)
SOURCE = "azure-retail-prices@2026-11-23"


def row(
    model: str,
    deployment_type: str,
    prices: tuple[str | None, str | None, str | None],
    start: date,
    region: str | None = None,
    service_tier: str = "default",
) -> PriceRow:
    inp, cached, out = (None if p is None else Decimal(p) for p in prices)
    return PriceRow(
        model, deployment_type, region, inp, cached, out, start, None, SOURCE, service_tier
    )


def unlabelled(rows: Iterable[PriceRow]) -> list[PriceRow]:
    """Rows without their meter names, to compare with the hand-made ones."""
    return [replace(r, meters="") for r in rows]


# What the fake's catalogue says, in USD per 1M tokens; 1K prices x 1000.
EXPECTED_ROWS = [
    row("gpt-35-turbo-16k", "Standard", ("3.00", None, "4.00"), date(2023, 6, 13), "eastus"),
    row("gpt-4.1-nano", "GlobalStandard", ("0.08", "0.02", "0.32"), date(2025, 1, 1)),
    row("gpt-4o", "DataZoneStandard", ("2.75", "1.375", "11.00"), date(2024, 11, 20)),
    row("gpt-4o", "GlobalStandard", ("2.50", "1.25", "10.00"), date(2024, 11, 20)),
    row("gpt-4o-mini", "GlobalBatch", ("0.075", None, "0.30"), date(2024, 7, 18)),
    row("gpt-5-mini", "GlobalStandard", ("0.25", "0.025", "2.00"), date(2025, 8, 1)),
    row("gpt-5-mini", "GlobalStandard", ("0.45", None, None), date(2025, 8, 1),
        service_tier="priority"),
    row("gpt-5.4-mini", "GlobalStandard", ("0.75", "0.075", "4.50"), date(2026, 3, 1)),
    row("o3", "DataZoneStandard", ("2.20", "0.55", "8.80"), date(2025, 6, 10)),
    row("text-embedding-3-large", "Standard", ("0.143", None, None), date(2025, 9, 1),
        "swedencentral"),
]  # fmt: skip
# The fake's provisioned throughput: the hourly price and the monthly reservation, per PTU.
EXPECTED_CAPACITY = [
    CapacityPrice("GlobalProvisionedManaged", "eastus2", "hourly", Decimal("1.000000"),
                  date(2024, 8, 1), "Provisioned Managed Global Unit"),
    CapacityPrice("GlobalProvisionedManaged", "eastus2", "monthly", Decimal("260.000000"),
                  date(2024, 8, 1), "Provisioned Managed Global"),
]  # fmt: skip
EXPECTED_UNMAPPED = [
    "4.3 Inp Glbl Tokens",
    "gpt-4o-aud-1217 Outp glbl Tokens",
    "gpt-4o-rt-txt-1217 Inp glbl Tokens",
]


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client() as client:
        yield client


@pytest.fixture
def fake() -> Iterator[FakeRetailPrices]:
    with FakeRetailPrices() as fake:
        yield fake


def config_for(fake: FakeRetailPrices, **overrides: object) -> RetailPricesConfig:
    return RetailPricesConfig(base_url=fake.url, timeout_s=5.0, **overrides)  # type: ignore[arg-type]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    store = Store(tmp_path / "lens.duckdb")
    load_reference_data(store)  # the shipped price book
    yield store
    store.close()


def test_every_page_of_both_service_names_is_read(
    fake: FakeRetailPrices, client: httpx.Client
) -> None:
    items = list(fetch_retail_items(config_for(fake), client))

    def selected(item: dict[str, Any], price_type: str, service: str) -> bool:
        return (
            "OpenAI" in item["productName"] and item["type"] == price_type
            and item["serviceName"] == service
        )  # fmt: skip

    in_filter_order = [
        i for price_type in ("Consumption", "Reservation")
        for service in ("Foundry Models", "Cognitive Services")
        for i in CATALOGUE if selected(i, price_type, service)
    ]  # fmt: skip
    assert [(i["meterName"], i["armRegionName"]) for i in items] == [
        (i["meterName"], i["armRegionName"]) for i in in_filter_order
    ]
    assert items[0]["retailPrice"] == Decimal("0.0025")  # read exactly, not as a float
    # 27 Foundry Models pay-as-you-go items in pages of 4 (7 pages), 2 Cognitive Services
    # items (1 page), 1 Foundry Models reservation (1 page), no Cognitive Services one (1)
    assert len(fake.requests) == 10
    first, second = fake.requests[0].query, fake.requests[1].query
    assert first["api-version"] == ["2023-01-01-preview"]
    assert first["currencyCode"] == ["'USD'"]
    assert first["$filter"] == [
        "serviceName eq 'Foundry Models' and contains(productName, 'OpenAI') "
        "and priceType eq 'Consumption'"
    ]
    assert "$skip" not in first
    assert second["$skip"] == ["4"]  # the NextPageLink, followed as given
    assert fake.requests[7].query["$filter"][0].startswith("serviceName eq 'Cognitive Services'")
    assert fake.requests[-1].query["$filter"] == [
        "serviceName eq 'Cognitive Services' and contains(productName, 'OpenAI') "
        "and priceType eq 'Reservation'"
    ]


def test_a_throttled_request_is_retried_after_the_time_asked(client: httpx.Client) -> None:
    with FakeRetailPrices(throttle_first=True) as fake:
        started = time.monotonic()
        items = list(fetch_retail_items(config_for(fake), client))
        elapsed = time.monotonic() - started
    assert [r.status for r in fake.requests[:2]] == [429, 200]
    assert fake.requests[0].query == fake.requests[1].query
    assert elapsed >= 1.0  # Retry-After: 1
    assert len(items) == 30


def test_retries_give_up_with_a_clear_error(client: httpx.Client) -> None:
    fake = FakeRetailPrices(throttle_first=True)
    with fake, pytest.raises(RetailPricesError) as caught:
        list(fetch_retail_items(config_for(fake, max_retries=0), client))
    assert "HTTP 429" in caught.value.message
    assert caught.value.hint


def test_malformed_json_is_an_error_that_says_so(client: httpx.Client) -> None:
    with FakeRetailPrices(malformed=True) as fake, pytest.raises(RetailPricesError) as caught:
        list(fetch_retail_items(config_for(fake), client))
    assert "malformed JSON" in caught.value.message
    assert "nothing was changed" in caught.value.hint


def test_an_unreachable_api_is_an_error_that_says_so(client: httpx.Client) -> None:
    with FakeRetailPrices() as fake:
        url = fake.url
    with pytest.raises(RetailPricesError, match="cannot reach"):
        list(fetch_retail_items(RetailPricesConfig(base_url=url, max_retries=1), client))


def test_meters_become_the_rows_worked_out_by_hand(
    fake: FakeRetailPrices, client: httpx.Client
) -> None:
    parsed = price_rows_from_items(fetch_retail_items(config_for(fake), client), READ_ON)
    assert unlabelled(parsed.rows) == EXPECTED_ROWS
    assert [u.meter for u in parsed.unmapped] == EXPECTED_UNMAPPED
    assert parsed.capacity == EXPECTED_CAPACITY
    # each row names the meters it was read from
    dz = next(
        r for r in parsed.rows if (r.model, r.deployment_type) == ("gpt-4o", "DataZoneStandard")
    )
    assert dz.meters == (
        "gpt 4o 1120 Inp Data Zone Tokens; gpt 4o 1120 cached Inp Data Zone Tokens; "
        "gpt 4o 1120 Out Data Zone Tokens"
    )


def test_diff_against_the_shipped_book_lists_exactly_the_changed_rows(store: Store) -> None:
    version, shipped = read_price_book(store)
    assert version is not None and version.startswith("price_book.csv@")
    proposed, notes = merge_price_books(shipped, EXPECTED_ROWS)
    changes = [c.describe() for c in diff_price_books(shipped, proposed)]
    assert changes == [
        "changed gpt-4.1-nano GlobalStandard (any region) from 2025-01-01: input 0.10 -> 0.08, "
        "cached input 0.025 -> 0.02, output 0.40 -> 0.32",
        "added gpt-35-turbo-16k Standard (eastus) from 2023-06-13: input 3.00, "
        "cached input -, output 4.00",
        "added gpt-4o DataZoneStandard (any region) from 2024-11-20: input 2.75, "
        "cached input 1.375, output 11.00",
        "added gpt-4o-mini GlobalBatch (any region) from 2024-07-18: input 0.075, "
        "cached input -, output 0.30",
        "added gpt-5.4-mini GlobalStandard (any region) from 2026-03-01: input 0.75, "
        "cached input 0.075, output 4.50",
        "added o3 DataZoneStandard (any region) from 2025-06-10: input 2.20, "
        "cached input 0.55, output 8.80",
        "added text-embedding-3-large Standard (swedencentral) from 2025-09-01: input 0.143, "
        "cached input -, output -",
    ]
    # gpt-5-mini's shipped priority row is an estimate: an incomplete API row neither
    # replaces it nor borrows its output price, so the estimate stays whole
    assert sorted(notes) == [
        "gpt-4o-mini GlobalBatch: no cached input price; it bills at the input price",
        "gpt-5-mini GlobalStandard priority: the API lists no output price; row not added",
    ]
    estimate = [r for r in proposed if r.model == "gpt-5-mini" and r.service_tier == "priority"]
    assert [(r.source, r.input_per_1m, r.output_per_1m, r.effective_to) for r in estimate] == [
        ("priority-estimate-2x", Decimal("0.50"), Decimal("4.00"), None)
    ]
    # every shipped model keeps a price: none was removed
    assert {r.model for r in shipped} <= {r.model for r in proposed}


def nano_call() -> CallRow:
    return CallRow(
        call_id="nano", source="test", trace_id=None, span_id=None,
        start_time=datetime(2026, 11, 20, 12, 0, tzinfo=UTC), duration_ms=100.0,
        ttft_ms=None, operation="chat", endpoint=None, region="Sweden Central",
        deployment="d", deployment_source="attribute", model="gpt-4.1-nano-2025-04-14",
        request_model="d", provider="openai", api_version=None,
        deployment_type="GlobalStandard", tenant_id=None, end_user=None, service=None,
        status="ok", http_status=200, error_type=None, input_tokens=1_000_000,
        cached_input_tokens=0, output_tokens=100_000, reasoning_tokens=0,
        finish_reason="stop", filter_action="none", response_id=None,
    )  # fmt: skip


def nano_cost(store: Store) -> Decimal:
    found = (
        store.cursor()
        .execute("SELECT payg_cost_usd FROM call_costs WHERE call_id = 'nano'")
        .fetchall()
    )
    assert len(found) == 1
    return Decimal(found[0][0]).quantize(Decimal("0.000001"))


def versions(store: Store) -> list[str]:
    rows = store.cursor().execute("SELECT version FROM price_book_versions ORDER BY 1").fetchall()
    return [r[0] for r in rows]


def test_applied_refresh_reprices_an_existing_call(
    store: Store, fake: FakeRetailPrices, client: httpx.Client
) -> None:
    store.write_many([rows_batch([nano_call()], [], "test")])
    assert nano_cost(store) == Decimal("0.140000")  # (1M x 0.10 + 100k x 0.40) / 1M
    before = versions(store)
    report = refresh_prices(store, config_for(fake), client, apply=True, read_on=READ_ON)
    assert (report.pages, report.items) == (10, 30)
    assert unlabelled(report.mapped) == EXPECTED_ROWS
    assert [u.meter for u in report.unmapped] == EXPECTED_UNMAPPED
    assert list(report.capacity) == EXPECTED_CAPACITY
    assert len(report.changes) == 7
    assert report.current_version == before[0]
    assert report.applied_version is not None
    assert report.applied_version.startswith("retail_prices_2026-11-23.csv@")
    assert versions(store) == sorted([*before, report.applied_version])
    assert read_price_book(store)[0] == report.applied_version
    assert nano_cost(store) == Decimal("0.112000")  # (1M x 0.08 + 100k x 0.32) / 1M
    # a second refresh finds nothing to change and loads nothing
    again = refresh_prices(store, config_for(fake), client, apply=True, read_on=READ_ON)
    assert again.changes == () and again.applied_version is None
    assert again.current_version == report.applied_version


def test_refresh_without_apply_changes_nothing(
    store: Store, fake: FakeRetailPrices, client: httpx.Client
) -> None:
    store.write_many([rows_batch([nano_call()], [], "test")])
    before = versions(store)
    report = refresh_prices(store, config_for(fake), client, apply=False, read_on=READ_ON)
    assert len(report.changes) == 7
    assert report.applied_version is None
    assert versions(store) == before
    assert nano_cost(store) == Decimal("0.140000")


def test_a_failed_read_changes_nothing(store: Store, client: httpx.Client) -> None:
    before = versions(store)
    with FakeRetailPrices(malformed=True) as fake, pytest.raises(RetailPricesError):
        refresh_prices(store, config_for(fake), client, apply=True, read_on=READ_ON)
    assert versions(store) == before


def test_every_irregular_meter_of_the_research_maps_or_is_listed(
    store: Store, client: httpx.Client
) -> None:
    with FakeRetailPrices(RESEARCH_CATALOGUE) as fake:
        report = refresh_prices(store, config_for(fake), client, apply=True, read_on=READ_ON)
    names = {i["meterName"] for i in RESEARCH_CATALOGUE}
    mapped = {m for r in report.mapped for m in r.meters.split("; ")}
    capacity = {p.meter for p in report.capacity}
    listed = {u.meter for u in report.unmapped}
    assert mapped | capacity | listed == names
    assert not (mapped | capacity) & listed
    unmapped = [("chat-latest 08062026 opt Gl 1M Tokens", "'chat' does not start a model name")]
    assert [(u.meter, u.reason) for u in report.unmapped] == unmapped
    # kept where the Sources page reads it
    kept = queries.run(store.cursor(), "unmapped_meters")
    assert list(zip(kept["meter"], kept["reason"], strict=True)) == unmapped

    def prices(model: str, kind: str, tier: str = "default", context: str | None = None) -> tuple:
        found = [
            r for r in report.mapped
            if (r.model, r.deployment_type, r.service_tier, r.context_tier)
            == (model, kind, tier, context)
        ]  # fmt: skip
        assert len(found) == 1, (model, kind, tier, context)
        r = found[0]
        return tuple(
            None if p is None else f"{p.normalize():f}"
            for p in (r.input_per_1m, r.cached_input_per_1m, r.cache_write_per_1m, r.output_per_1m)
        )

    luna, dz = "gpt-5.6-luna", "DataZoneStandard"
    assert prices(luna, dz, context="short") == ("1.1", "0.11", "1.375", "8.8")
    assert prices(luna, dz, context="long") == ("2.2", None, None, "13.2")
    assert prices("gpt-5.6-terra", "GlobalStandard", "priority", "short") == (
        "2", "0.2", None, None,
    )  # fmt: skip
    assert prices("gpt-5.6-sol", "GlobalStandard", "flex", "short") == ("0.5", None, None, None)
    assert prices("gpt-5.2-chat", "GlobalStandard") == ("1.75", "0.175", None, None)
    assert prices("gpt-5-pro", "GlobalStandard") == ("15", None, None, None)  # 1K x 1000
    assert prices("codex-mini", "GlobalStandard") == ("1.5", "0.375", None, None)
    assert prices("o3-deep-research", "GlobalStandard") == ("10", "2.5", None, None)
    assert prices("gpt-5.4-pro", "DataZoneBatch") == ("16.5", None, None, None)
    assert prices("gpt-5.4-nano", "GlobalBatch") == ("0.1", "0.01", None, None)
    assert prices("gpt-4o-mini", "DataZoneBatch") == ("0.0825", None, None, "0.33")
    assert prices("o1", "DataZoneStandard") == ("16.5", None, None, "66")
    assert prices("o4-mini", "DataZoneBatch") == ("0.605", None, None, None)
    regional = next(r for r in report.mapped if r.model == "gpt-4.1")
    assert (regional.deployment_type, regional.region) == ("Standard", "swedencentral")
    # provisioned throughput, per PTU, by deployment type, region and term
    start = date(2024, 11, 20)
    expected = [
        ("DataZoneProvisionedManaged", "hourly", "1.2"),
        ("DataZoneProvisionedManaged", "monthly", "312"),
        ("GlobalProvisionedManaged", "hourly", "1"),
        ("ProvisionedManaged", "hourly", "2.28"),
        ("ProvisionedManaged", "yearly", "3588"),
    ]  # fmt: skip
    assert [
        (p.deployment_type, p.term, str(p.usd_per_ptu.normalize())) for p in report.capacity
    ] == expected
    assert {(p.region, p.effective_from) for p in report.capacity} == {("swedencentral", start)}
    stored = queries.run(store.cursor(), "capacity_prices_read")
    assert list(stored["term"]) == [term for _, term, _ in expected]
