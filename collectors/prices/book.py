"""The price book file format, and loading it and the reference files into the store.

The price book is versioned by the SHA-256 of the file: a changed file becomes a new
version on the next start, and the newest loaded version is the one in force (the
``call_costs`` view). Older versions stay, so "what did we price this at" stays answerable.
A price book file written before the billing-mode columns (``service_tier``,
``context_tier``, ``cache_write_per_1m``, ``meters``) loads with their defaults.
``context_tiers.csv`` names the prompt size above which a model bills at long-context rates;
``ptu_figures.csv`` (``collectors.prices.ptu``) what one PTU of each model serves.
"""

from __future__ import annotations

import csv
import hashlib
import logging
import tempfile
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Final

import duckdb

import queries
from collectors.prices.parse import PriceRow, decimal_or_none
from collectors.prices.ptu import PTU_FIGURES
from collectors.store import Store

log = logging.getLogger(__name__)

PRICES_DIR: Final = Path(__file__).parent
SHIPPED_PRICE_BOOK: Final = PRICES_DIR / "price_book.csv"
DEPLOYMENT_TYPES: Final = PRICES_DIR / "deployment_types.csv"
CONTEXT_TIERS: Final = PRICES_DIR / "context_tiers.csv"
PRICE_BOOK_COLUMNS: Final = (
    "model", "deployment_type", "region", "input_per_1m", "cached_input_per_1m",
    "output_per_1m", "effective_from", "effective_to", "source", "service_tier",
    "context_tier", "cache_write_per_1m", "meters",
)  # fmt: skip


def price_book_version(path: Path) -> str:
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
    return f"{path.name}@{digest}"


def load_reference_data(
    store: Store,
    price_book: Path = SHIPPED_PRICE_BOOK,
    deployment_types: Path = DEPLOYMENT_TYPES,
    context_tiers: Path = CONTEXT_TIERS,
    ptu_figures: Path = PTU_FIGURES,
) -> str:
    """Make ``price_book``'s version loaded and the deployment-type and context-tier rules
    and the PTU sizing figures current.

    Returns the version of ``price_book``. Loading is idempotent: an unchanged file is not
    loaded twice. When the context-tier thresholds change, the hourly usage summary (keyed
    by context tier) is summed again from the calls.
    """
    version = price_book_version(price_book)
    with store.transaction() as con:
        queries.run(con, "clear_deployment_types")
        queries.run(con, "replace_deployment_types", path=str(deployment_types))
        before = queries.run(con, "context_tier_rules")
        queries.run(con, "clear_context_tiers")
        queries.run(con, "replace_context_tiers", path=str(context_tiers))
        changed = not before.equals(queries.run(con, "context_tier_rules"))
        queries.run(con, "clear_ptu_figures")
        queries.run(con, "replace_ptu_figures", path=str(ptu_figures))
        _load_version(con, price_book, version, str(price_book))
    if changed:
        store.rebuild_usage_summary()
    return version


def load_price_book(store: Store, price_book: Path, source: str) -> str:
    """Load ``price_book`` as a version recorded with ``source`` (where its prices came
    from, e.g. the Retail Prices API), leaving the deployment-type rules alone.

    Returns the version. Idempotent like ``load_reference_data``: a file already loaded
    is not loaded again (and does not become newest again).
    """
    version = price_book_version(price_book)
    with store.transaction() as con:
        _load_version(con, price_book, version, source)
    return version


def _load_version(
    con: duckdb.DuckDBPyConnection, price_book: Path, version: str, source: str
) -> None:
    found = queries.run(con, "price_book_version_exists", version=version)
    if not bool(found["found"].iloc[0]):
        with tempfile.TemporaryDirectory(prefix="aoai-lens-book-") as folder:
            # Written again in the current format, so an older file's missing columns
            # get their defaults.
            path = Path(folder) / price_book.name
            write_price_book_csv(read_price_book_csv(price_book), path)
            queries.run(con, "load_price_book", version=version, path=str(path))
        queries.run(con, "record_price_book_version", version=version, source=source)
        log.info("loaded price book %s", version)


def format_price(value: Decimal) -> str:
    """``2.5`` -> ``2.50``, ``0.125`` -> ``0.125``: at least two decimals, no trailing zeros."""
    text = f"{value.normalize():f}"
    whole, _, fraction = text.partition(".")
    return f"{whole}.{fraction.ljust(2, '0')}"


def write_price_book_csv(rows: Iterable[PriceRow], path: Path) -> None:
    """Write ``rows`` in the shipped ``price_book.csv`` format."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(PRICE_BOOK_COLUMNS)
        for r in rows:
            writer.writerow(
                [r.model, r.deployment_type, r.region or "", _cell(r.input_per_1m),
                 _cell(r.cached_input_per_1m), _cell(r.output_per_1m), r.effective_from,
                 r.effective_to or "", r.source, r.service_tier, r.context_tier or "",
                 _cell(r.cache_write_per_1m), r.meters]
            )  # fmt: skip


def _cell(value: Decimal | None) -> str:
    return "" if value is None else format_price(value)


def read_price_book_csv(path: Path) -> list[PriceRow]:
    """The rows of a price book CSV (the shipped format, or the one before billing modes)."""
    with path.open(newline="", encoding="utf-8") as handle:
        return [price_row(*(r.get(name) for name in PRICE_BOOK_COLUMNS))
                for r in csv.DictReader(handle)]  # fmt: skip


def price_row(*values: object) -> PriceRow:
    """A PriceRow from the price book's columns in order (CSV text or database values)."""
    model, deployment_type, region, inp, cached, out, start, end, source = values[:9]
    tier, context, write, meters = (*values[9:], None, None, None, None)[:4]
    first = _date(start)
    if first is None:
        raise ValueError(f"price row for {model} has no effective_from")
    return PriceRow(
        model=str(model), deployment_type=str(deployment_type), region=_text_or_none(region),
        input_per_1m=decimal_or_none(inp), cached_input_per_1m=decimal_or_none(cached),
        output_per_1m=decimal_or_none(out), effective_from=first, effective_to=_date(end),
        source=_text_or_none(source) or "", service_tier=_text_or_none(tier) or "default",
        context_tier=_text_or_none(context), cache_write_per_1m=decimal_or_none(write),
        meters=_text_or_none(meters) or "",
    )  # fmt: skip


def _text_or_none(value: object) -> str | None:
    return None if value is None or value != value or value == "" else str(value)


def _date(value: object) -> date | None:
    if value is None or value != value or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])
