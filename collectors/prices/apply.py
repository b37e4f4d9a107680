"""A price refresh: the Retail Prices API's rows merged into the book in force, the
difference shown, and, when applied, a new price book version in the store.

``refresh_prices`` reads the API (``fetch``), maps its meters (``parse``), proposes a whole
new book (``merge_price_books``: the book's rows the API does not list are kept), lists
what changed (``diff_price_books``) and, with ``apply``, loads it through
``collectors.prices.book``; the newest version is the one in force. Every refresh keeps the
list of meters it could not map (``unmapped_meters``, shown on the Sources page); an
applied one also keeps the provisioned throughput prices it read (``capacity_prices``).
"""

from __future__ import annotations

import logging
import tempfile
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Final, Literal

import httpx
import pyarrow as pa

import queries
from collectors.prices.book import (
    SHIPPED_PRICE_BOOK,
    format_price,
    load_price_book,
    price_row,
    read_price_book_csv,
    write_price_book_csv,
)
from collectors.prices.fetch import RetailPricesConfig, fetch_retail_pages
from collectors.prices.parse import (
    CapacityPrice,
    PriceRow,
    UnmappedMeter,
    coalesce_rows,
    price_rows_from_items,
)
from collectors.store import Store
from lens_errors import ConfigError
from queries import registered

log = logging.getLogger(__name__)

Key = tuple[str, str, str, str, str]  # model, deployment type, region, service tier, context


class PriceBookConflictError(ConfigError):
    """A book just loaded equals an earlier version while another is in force: the price
    book's versions, not the API or the bill, need a person (409)."""


@dataclass(frozen=True)
class PriceChange:
    kind: Literal["added", "removed", "changed"]
    old: PriceRow | None
    new: PriceRow | None

    def describe(self) -> str:
        """One line for a person, e.g. ``changed gpt-4o GlobalStandard (any region) from
        2024-10-01: input 2.50 -> 2.40``."""
        row = self.new or self.old
        assert row is not None
        where = row.region or "any region"
        tiers = "".join(
            f" {t}" for t in (row.service_tier if row.service_tier != "default" else "",
                              row.context_tier and f"{row.context_tier} context") if t
        )  # fmt: skip
        head = f"{self.kind} {row.model} {row.deployment_type}{tiers} ({where})"
        if self.old is None or self.new is None:
            return f"{head} from {row.effective_from}: {_price_text(row)}"
        parts = [
            f"{label} {_text(getattr(self.old, name))} -> {_text(getattr(self.new, name))}"
            for label, name in _FIELD_LABELS
            if getattr(self.old, name) != getattr(self.new, name)
        ]
        return f"{head} from {self.old.effective_from}: {', '.join(parts)}"


_FIELD_LABELS: Final = (
    ("input", "input_per_1m"), ("cached input", "cached_input_per_1m"),
    ("cache write", "cache_write_per_1m"), ("output", "output_per_1m"),
    ("from", "effective_from"), ("until", "effective_to"),
)  # fmt: skip


def _text(value: object) -> str:
    if value is None:
        return "-"
    return format_price(value) if isinstance(value, Decimal) else str(value)


def _price_text(row: PriceRow) -> str:
    until = f" until {row.effective_to}" if row.effective_to else ""
    write = f", cache write {_text(row.cache_write_per_1m)}" if row.cache_write_per_1m else ""
    return (
        f"input {_text(row.input_per_1m)}, cached input {_text(row.cached_input_per_1m)}"
        f"{write}, output {_text(row.output_per_1m)}{until}"
    )


@dataclass(frozen=True)
class RefreshReport:
    pages: int  # pages read, over every filter
    items: int  # items the API listed
    mapped: tuple[PriceRow, ...]  # what the API's token meters say, before merging
    capacity: tuple[CapacityPrice, ...]  # provisioned throughput prices per PTU
    unmapped: tuple[UnmappedMeter, ...]  # meters that could not be read, with the reason
    notes: tuple[str, ...]  # where the merge kept a book price or refused an API row
    changes: tuple[PriceChange, ...]  # proposed book vs the book in force
    current_version: str | None  # the version in force before (None: the shipped file)
    applied_version: str | None  # the version loaded, None when not applied or no change


# Shipped rows that stand in for a price Azure has not been read for (SOURCES.md): an API
# row replaces them whole, from its first date, and never borrows a price from them.
ESTIMATE_SOURCES: Final = frozenset({"priority-estimate-2x"})


def merge_price_books(
    current: Sequence[PriceRow], retail: Sequence[PriceRow]
) -> tuple[list[PriceRow], list[str]]:
    """The book a refresh proposes, and notes on what it kept or refused.

    Rows for a model, deployment type and region the API does not list are kept as they
    are, so a refresh never makes a model unpriced. Where the API lists one, its rows apply
    from their first ``effective_from``; book rows before that stay (ending there), later
    ones are replaced. A price the API does not list (cached input, output) is kept from
    the book row in force at that date (or the latest, for a date before the book's). A
    new row for a deployment type without an output price, where the model's
    GlobalStandard row has one, is refused: those calls stay priced as GlobalStandard
    times the type's multiplier. Adjacent rows with equal prices are joined, so an
    unchanged price keeps its book row.
    """
    old = _by_key(current)
    new = _by_key(retail)
    notes: list[str] = []
    merged: list[PriceRow] = []
    for key in _ordered_keys(current, retail):
        api = new.get(key, [])
        book = [r for r in old.get(key, []) if r.source not in ESTIMATE_SOURCES]
        estimates = [r for r in old.get(key, []) if r.source in ESTIMATE_SOURCES]
        if not api:
            merged += book + estimates
            continue
        if not book:
            standard = (key[0], "GlobalStandard", "", "default", key[4])
            reference = old.get(standard) or new.get(standard) or []
            if _priced(reference, "output_per_1m") and not _priced(
                api, "output_per_1m", every=True
            ):
                notes.append(f"{_label(key)}: the API lists no output price; row not added")
                merged += estimates
                continue
            if _priced(reference, "cached_input_per_1m") and not _priced(
                api, "cached_input_per_1m"
            ):
                notes.append(f"{_label(key)}: no cached input price; it bills at the input price")
            merged += _ended(estimates, api[0].effective_from) + api
            continue
        merged += coalesce_rows(
            _ended(book, api[0].effective_from) + [_fill(r, book, notes) for r in api]
        )
    return merged, list(dict.fromkeys(notes))


def _ended(rows: Sequence[PriceRow], start: date) -> list[PriceRow]:
    """The rows in force before ``start``, ending there at the latest."""
    return [
        replace(r, effective_to=start if r.effective_to is None else min(r.effective_to, start))
        for r in rows
        if r.effective_from < start
    ]


def _priced(rows: Sequence[PriceRow], name: str, *, every: bool = False) -> bool:
    has = [getattr(r, name) is not None for r in rows]
    return bool(has) and (all(has) if every else any(has))


def _fill(row: PriceRow, book: Sequence[PriceRow], notes: list[str]) -> PriceRow:
    covering = [r for r in book if r.effective_from <= row.effective_from] or list(book)
    base = max(covering, key=lambda r: r.effective_from)
    filled = row
    for name, label in (("cached_input_per_1m", "cached input"), ("output_per_1m", "output")):
        if getattr(row, name) is None and getattr(base, name) is not None:
            filled = replace(filled, **{name: getattr(base, name)})
            notes.append(f"{_label(row.key)}: {label} price kept from the book (not in the API)")
    return filled


def diff_price_books(
    current: Sequence[PriceRow], proposed: Sequence[PriceRow]
) -> list[PriceChange]:
    """What ``proposed`` changes in ``current``. Rows are matched by model, deployment type,
    region and ``effective_from``; when one row of a key is replaced by one row with another
    start date, that is one change too."""
    old, new = _by_key(current), _by_key(proposed)
    changes: list[PriceChange] = []
    for key in _ordered_keys(current, proposed):
        before = {r.effective_from: r for r in old.get(key, [])}
        after = {r.effective_from: r for r in new.get(key, [])}
        for start in sorted(before.keys() & after.keys()):
            if not before[start].same_terms(after[start]):
                changes.append(PriceChange("changed", before[start], after[start]))
        gone = [before[d] for d in sorted(before.keys() - after.keys())]
        came = [after[d] for d in sorted(after.keys() - before.keys())]
        if len(gone) == 1 and len(came) == 1:
            changes.append(PriceChange("changed", gone[0], came[0]))
            continue
        changes += [PriceChange("removed", r, None) for r in gone]
        changes += [PriceChange("added", None, r) for r in came]
    return changes


def _by_key(rows: Iterable[PriceRow]) -> dict[Key, list[PriceRow]]:
    grouped: dict[Key, list[PriceRow]] = defaultdict(list)
    for row in rows:
        grouped[row.key].append(row)
    return {key: sorted(rows, key=lambda r: r.effective_from) for key, rows in grouped.items()}


def _ordered_keys(first: Iterable[PriceRow], second: Iterable[PriceRow]) -> list[Key]:
    """Keys of ``first`` in its order, then keys only in ``second``, sorted."""
    keys = list(dict.fromkeys(r.key for r in first))
    known = set(keys)
    return keys + sorted({r.key for r in second} - known)


def _label(key: Key) -> str:
    tiers = "".join(f" {t}" for t in (key[3] if key[3] != "default" else "", key[4]) if t)
    return f"{key[0]} {key[1]}{tiers}" + (f" ({key[2]})" if key[2] else "")


# ------------------------------------------------------------------------- the store


def read_price_book(store: Store) -> tuple[str | None, list[PriceRow]]:
    """The version in force and its rows; (None, the shipped file's rows) when no price
    book is loaded."""
    frame = queries.run(store.cursor(), "price_book_in_force")
    if frame.empty:
        return None, read_price_book_csv(SHIPPED_PRICE_BOOK)
    rows = [price_row(*values[1:]) for values in frame.itertuples(index=False, name=None)]
    return str(frame["version"].iloc[0]), rows


def apply_refresh(store: Store, rows: Sequence[PriceRow], read_on: date) -> str:
    """Load ``rows`` as a new price book version (newest, so in force); its version name.

    ``rows`` is the whole book: pass ``merge_price_books``'s result, which keeps the rows
    of models the API does not list, so applying never makes a model unpriced.
    """
    with tempfile.TemporaryDirectory(prefix="aoai-lens-prices-") as folder:
        path = Path(folder) / f"retail_prices_{read_on.isoformat()}.csv"
        write_price_book_csv(rows, path)
        version = load_price_book(
            store, path, source=f"Azure Retail Prices API, read {read_on.isoformat()}"
        )
    in_force, _ = read_price_book(store)
    if in_force != version:
        raise PriceBookConflictError(
            f"the refreshed book equals {version}, loaded earlier, but {in_force} is in force",
            "run the refresh again tomorrow, or edit the price book file by hand",
        )
    return version


def record_unmapped(store: Store, unmapped: Sequence[UnmappedMeter], read_at: datetime) -> None:
    """Keep the meters a refresh could not map, in place of the last refresh's list."""
    table = pa.table(
        {name: pa.array([getattr(u, name) for u in unmapped], pa.string())
         for name in ("meter", "product", "unit", "reason")}
    )  # fmt: skip
    with store.transaction() as con, registered(con, "incoming_unmapped", table):
        queries.run(con, "clear_unmapped_meters")
        queries.run(con, "record_unmapped_meters", read_at=read_at)


def record_capacity_prices(store: Store, prices: Sequence[CapacityPrice], read_on: date) -> None:
    """Keep the provisioned throughput prices an applied refresh read, in place of the last."""
    table = pa.table(
        {
            "deployment_type": pa.array([p.deployment_type for p in prices], pa.string()),
            "region": pa.array([p.region for p in prices], pa.string()),
            "term": pa.array([p.term for p in prices], pa.string()),
            "usd_per_ptu": pa.array([p.usd_per_ptu for p in prices], pa.decimal128(18, 6)),
            "effective_from": pa.array([p.effective_from for p in prices], pa.date32()),
            "meter": pa.array([p.meter for p in prices], pa.string()),
            "read_on": pa.array([read_on] * len(prices), pa.date32()),
        }
    )
    with store.transaction() as con, registered(con, "incoming_capacity_prices", table):
        queries.run(con, "clear_capacity_prices")
        queries.run(con, "insert_capacity_prices")


def refresh_prices(
    store: Store,
    config: RetailPricesConfig,
    client: httpx.Client,
    *,
    apply: bool,
    read_on: date | None = None,
) -> RefreshReport:
    """Read the API, propose a new book from it and the book in force, and with ``apply``
    load it as a new version when it changes anything. Raises ``RetailPricesError`` before
    changing anything when the API cannot be read."""
    read_at = datetime.now(UTC)
    read_on = read_on or read_at.date()
    current_version, current = read_price_book(store)
    pages = 0
    items: list[dict[str, Any]] = []
    for page in fetch_retail_pages(config, client):
        pages += 1
        items += page
    parsed = price_rows_from_items(items, read_on)
    proposed, notes = merge_price_books(current, parsed.rows)
    changes = diff_price_books(current, proposed)
    record_unmapped(store, parsed.unmapped, read_at)
    applied = apply_refresh(store, proposed, read_on) if apply and changes else None
    if apply:
        record_capacity_prices(store, parsed.capacity, read_on)
    log.info(
        "retail prices: %d pages, %d items, %d rows, %d capacity prices, %d unmapped meters, "
        "%d changes, applied %s",
        pages, len(items), len(parsed.rows), len(parsed.capacity), len(parsed.unmapped),
        len(changes), applied,
    )  # fmt: skip
    return RefreshReport(
        pages=pages, items=len(items), mapped=tuple(parsed.rows),
        capacity=tuple(parsed.capacity), unmapped=tuple(parsed.unmapped), notes=tuple(notes),
        changes=tuple(changes), current_version=current_version, applied_version=applied,
    )  # fmt: skip


# ------------------------------------------------------------------ the bill's prices


def deployment_multipliers(store: Store) -> dict[str, Decimal]:
    """Each token-billed deployment type's factor on the GlobalStandard price."""
    frame = queries.run(store.cursor(), "deployment_type_multipliers")
    return {
        str(t): Decimal(str(m))
        for t, b, m in frame.itertuples(index=False, name=None)
        if b == "tokens"
    }


def apply_bill_prices(store: Store, book: Sequence[PriceRow], month: str) -> str:
    """Load ``book`` (``unit_prices.propose_bill_prices``'s whole book) as a new price book
    version, in force from now: the costs of every call re-price from it. Its version."""
    with tempfile.TemporaryDirectory(prefix="aoai-lens-prices-") as folder:
        path = Path(folder) / f"bill_prices_{month}.csv"
        write_price_book_csv(book, path)
        version = load_price_book(store, path, source=f"Cost Management bill of {month}")
    in_force, _ = read_price_book(store)
    if in_force != version:
        raise PriceBookConflictError(
            f"the book with the bill's prices equals {version}, loaded earlier, but {in_force} "
            "is in force",
            "edit the price book file by hand, or refresh the prices and apply the bill again",
        )
    log.info("applied the bill's unit prices of %s as %s", month, version)
    return version
