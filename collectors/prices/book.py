"""Load the shipped price book and deployment-type rules into the store.

The price book is versioned by the SHA-256 of the file: a changed file becomes a new
version on the next start, and the newest loaded version is the one in force (the
``call_costs`` view). Older versions stay, so "what did we price this at" stays answerable.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path
from typing import Final

import duckdb

import queries
from collectors.store import Store

log = logging.getLogger(__name__)

PRICES_DIR: Final = Path(__file__).parent
SHIPPED_PRICE_BOOK: Final = PRICES_DIR / "price_book.csv"
DEPLOYMENT_TYPES: Final = PRICES_DIR / "deployment_types.csv"


def price_book_version(path: Path) -> str:
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
    return f"{path.name}@{digest}"


def load_reference_data(
    store: Store,
    price_book: Path = SHIPPED_PRICE_BOOK,
    deployment_types: Path = DEPLOYMENT_TYPES,
) -> str:
    """Make ``price_book``'s version loaded and the deployment-type rules current.

    Returns the version of ``price_book``. Loading is idempotent: an unchanged file is not
    loaded twice.
    """
    version = price_book_version(price_book)
    with store.transaction() as con:
        queries.run(con, "clear_deployment_types")
        queries.run(con, "replace_deployment_types", path=str(deployment_types))
        _load_version(con, price_book, version, str(price_book))
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
        queries.run(con, "load_price_book", version=version, path=str(price_book))
        queries.run(con, "record_price_book_version", version=version, source=source)
        log.info("loaded price book %s", version)
