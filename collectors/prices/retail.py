"""Azure Retail Prices API -> price book rows, and a refresh of the price book from them.

The API (``https://prices.azure.com/api/retail/prices``, unauthenticated) lists one item per
meter, region and price type; Azure OpenAI token meters sit under ``serviceName`` ``Foundry
Models`` (formerly ``Cognitive Services``) with an OpenAI ``productName``. Meter names are
irregular (``gpt-4o-mini-0718-Inp-glbl``, ``GPT 5 Mini cchd Inpt Glbl``, ``5.4 mini Opt Gl``,
``o3 Inpt DZone``): they are read by tokens (model and version, direction, cached, scope,
batch) by ``parse_meter_name``; a meter whose words are not all understood is reported, never
guessed. Prices become USD per 1M tokens whatever the ``unitOfMeasure`` (``1K``/``1M``, with
or without `` Tokens``).

A refresh proposes a whole new price book: the API's rows merged into the book in force
(``merge_price_books``), shown as a diff (``diff_price_books``), and, when applied, loaded as
a new version through ``collectors.prices.book``; the newest version is the one in force.
"""

from __future__ import annotations

import csv
import email.utils
import json
import logging
import re
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Final, Literal

import httpx

import queries
from collectors.prices.book import SHIPPED_PRICE_BOOK, load_price_book
from collectors.store import Store

log = logging.getLogger(__name__)

# Filter values are case-sensitive since api-version 2023-01-01-preview.
RETAIL_FILTERS: Final = (
    "serviceName eq 'Foundry Models' and contains(productName, 'OpenAI') "
    "and priceType eq 'Consumption'",
    "serviceName eq 'Cognitive Services' and contains(productName, 'OpenAI') "
    "and priceType eq 'Consumption'",
)
PRICE_BOOK_COLUMNS: Final = (
    "model", "deployment_type", "region", "input_per_1m", "cached_input_per_1m",
    "output_per_1m", "effective_from", "effective_to", "source",
)  # fmt: skip
_RETRY_STATUSES: Final = frozenset({429, 500, 502, 503, 504})
_MICRO: Final = Decimal("0.000001")  # the price book's DECIMAL(18, 6)
TokenClass = Literal["input", "cached_input", "output"]


class RetailPricesError(RuntimeError):
    """The Retail Prices API could not be read; ``message`` says what, ``hint`` what to do."""

    def __init__(self, message: str, hint: str) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})"


@dataclass(frozen=True)
class RetailPricesConfig:
    base_url: str = "https://prices.azure.com/api/retail/prices"
    api_version: str = "2023-01-01-preview"
    currency: str = "USD"
    timeout_s: float = 30.0
    max_pages: int = 200  # per filter; the API answers 1000 items a page
    max_retries: int = 3  # for 429, 5xx and connection failures
    max_retry_wait_s: float = 60.0

    def __post_init__(self) -> None:
        if self.currency != "USD":
            raise ValueError(
                f"currency {self.currency!r}: the price book and every *_usd column are in "
                "US dollars, so prices are read in USD"
            )


@dataclass(frozen=True)
class PriceRow:
    """One row of the price book (``price_book.csv``); prices in USD per 1M tokens."""

    model: str
    deployment_type: str
    region: str | None  # None: any region
    input_per_1m: Decimal | None
    cached_input_per_1m: Decimal | None
    output_per_1m: Decimal | None
    effective_from: date
    effective_to: date | None  # None: still in force
    source: str

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.model, self.deployment_type, self.region or "")

    def same_terms(self, other: PriceRow) -> bool:
        """Same prices over the same dates (the source label aside)."""
        return _terms(self) == _terms(other)


def _terms(row: PriceRow) -> tuple[object, ...]:
    return (row.input_per_1m, row.cached_input_per_1m, row.output_per_1m,
            row.effective_from, row.effective_to)  # fmt: skip


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
        head = f"{self.kind} {row.model} {row.deployment_type} ({where})"
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
    ("output", "output_per_1m"), ("from", "effective_from"), ("until", "effective_to"),
)  # fmt: skip


def _text(value: object) -> str:
    if value is None:
        return "-"
    return format_price(value) if isinstance(value, Decimal) else str(value)


def _price_text(row: PriceRow) -> str:
    until = f" until {row.effective_to}" if row.effective_to else ""
    return (
        f"input {_text(row.input_per_1m)}, cached input {_text(row.cached_input_per_1m)}, "
        f"output {_text(row.output_per_1m)}{until}"
    )


@dataclass(frozen=True)
class RefreshReport:
    pages: int  # pages read, over both filters
    items: int  # items the API listed
    mapped: tuple[PriceRow, ...]  # what the API's meters say, before merging
    unmapped: tuple[str, ...]  # token meter names that could not be read
    notes: tuple[str, ...]  # where the merge kept a book price or refused an API row
    changes: tuple[PriceChange, ...]  # proposed book vs the book in force
    current_version: str | None  # the version in force before (None: the shipped file)
    applied_version: str | None  # the version loaded, None when not applied or no change


# ---------------------------------------------------------------------------- fetching


def fetch_retail_pages(
    config: RetailPricesConfig, client: httpx.Client
) -> Iterator[list[dict[str, Any]]]:
    """The ``Items`` of every page, for each filter of ``RETAIL_FILTERS``, following
    ``NextPageLink`` until it is null. Raises ``RetailPricesError``."""
    base = httpx.URL(config.base_url)
    for odata_filter in RETAIL_FILTERS:
        params = {
            "api-version": config.api_version,
            "currencyCode": f"'{config.currency}'",
            "$filter": odata_filter,
        }
        url: httpx.URL | None = base.copy_merge_params(params)
        seen: set[str] = set()
        while url is not None:
            if len(seen) >= config.max_pages:
                raise RetailPricesError(
                    f"the Retail Prices API had more than {config.max_pages} pages for "
                    f"[{odata_filter}]",
                    "raise max_pages in the retail prices configuration",
                )
            seen.add(str(url))
            body = _get_page(config, client, url)
            yield body["Items"]
            url = _next_page(base, body.get("NextPageLink"), seen)


def fetch_retail_items(
    config: RetailPricesConfig, client: httpx.Client
) -> Iterator[dict[str, Any]]:
    """Every item the API lists for Azure OpenAI pay-as-you-go meters."""
    for page in fetch_retail_pages(config, client):
        yield from page


def _get_page(config: RetailPricesConfig, client: httpx.Client, url: httpx.URL) -> dict[str, Any]:
    attempt = 0
    while True:
        try:
            response = client.get(url, timeout=config.timeout_s)
        except httpx.TransportError as exc:
            if attempt >= config.max_retries:
                raise RetailPricesError(
                    f"cannot reach the Retail Prices API at {url.host}: {exc}",
                    "check the network, proxy and base URL, then run the refresh again",
                ) from exc
            wait = min(2.0**attempt, config.max_retry_wait_s)
        else:
            if response.status_code == 200:
                return _page_body(response)
            if response.status_code not in _RETRY_STATUSES or attempt >= config.max_retries:
                raise RetailPricesError(
                    f"the Retail Prices API answered HTTP {response.status_code}: "
                    f"{response.text[:300]!r}",
                    "run the refresh again later; if it persists, check the base URL and "
                    "api-version in the retail prices configuration",
                )
            wait = _retry_wait(response, attempt, config.max_retry_wait_s)
        attempt += 1
        log.info("Retail Prices API: retry %d in %.1fs", attempt, wait)
        time.sleep(wait)


def _retry_wait(response: httpx.Response, attempt: int, cap: float) -> float:
    header = response.headers.get("retry-after", "").strip()
    wait: float | None = None
    if header.isdigit():
        wait = float(header)
    elif header:
        try:
            wait = (email.utils.parsedate_to_datetime(header) - datetime.now(UTC)).total_seconds()
        except (TypeError, ValueError):
            wait = None
    return min(max(wait if wait is not None else 2.0**attempt, 0.0), cap)


def _page_body(response: httpx.Response) -> dict[str, Any]:
    try:
        body = json.loads(response.content, parse_float=Decimal)
    except ValueError as exc:
        raise RetailPricesError(
            f"the Retail Prices API answered with malformed JSON ({exc}) from {response.url}",
            "run the refresh again later; nothing was changed",
        ) from exc
    if not isinstance(body, dict) or not isinstance(body.get("Items"), list):
        raise RetailPricesError(
            f"the Retail Prices API answer from {response.url} has no Items list",
            "check the base URL points at the Retail Prices API; nothing was changed",
        )
    return body


def _next_page(base: httpx.URL, link: object, seen: set[str]) -> httpx.URL | None:
    if link is None or link == "":
        return None
    url = httpx.URL(str(link))
    if (url.scheme, url.host) != (base.scheme, base.host):
        raise RetailPricesError(
            f"NextPageLink {link!r} leaves {base.host}", "check the base URL; nothing was changed"
        )
    if str(url) in seen:
        raise RetailPricesError(
            f"NextPageLink {link!r} repeats a page", "run the refresh again later"
        )
    return url


# ------------------------------------------------------------------- meter names -> rows

_GLOBAL, _DATA_ZONE, _REGIONAL = "global", "data_zone", "regional"
_SCOPES: Final = {
    "glbl": _GLOBAL, "global": _GLOBAL, "gl": _GLOBAL, "gbl": _GLOBAL,
    "dzone": _DATA_ZONE, "dz": _DATA_ZONE, "dzn": _DATA_ZONE, "datazone": _DATA_ZONE,
    "regional": _REGIONAL, "regnl": _REGIONAL, "rgnl": _REGIONAL, "regn": _REGIONAL,
    "rgn": _REGIONAL,
}  # fmt: skip
_DIRECTIONS: Final[dict[str, TokenClass]] = {
    "inp": "input", "inpt": "input", "input": "input", "in": "input",
    "outp": "output", "outpt": "output", "output": "output", "out": "output", "opt": "output",
}  # fmt: skip
_CACHED: Final = frozenset({"cchd", "cached", "cache", "cach", "cd", "ch"})
_NOISE: Final = frozenset({"tokens", "token", "az", "1k", "1m", "4k", "8k", "128k"})
# Words a model name may contain besides numbers; anything else (aud, rt, img, pp, ft, FW...)
# marks a meter the price book does not hold, and the meter is reported.
_MODEL_WORDS: Final = frozenset({
    "gpt", "mini", "nano", "pro", "chat", "turbo", "codex", "oss", "instruct", "preview",
    "text", "embedding", "large", "small", "ada", "16k", "32k", "computer", "use",
})  # fmt: skip
_MODEL_STARTS: Final = frozenset({"gpt", "text", "embedding", "computer", "codex"})
_NUMBER: Final = re.compile(r"^\d+(\.\d+)?[a-z]?$")  # 4o, 4.1, 35, 002, 120b
_O_SERIES: Final = re.compile(r"^o\d$")
_VERSION: Final = re.compile(r"^\d{4}$")  # 0718, 1120 (MMDD)
_PRODUCT_GPT: Final = re.compile(r"gpt\s*-?(\d+)", re.IGNORECASE)  # "Azure OpenAI GPT5"
_ALIASES: Final = {
    "gpt-3.5-turbo": "gpt-35-turbo", "gpt-3.5-turbo-16k": "gpt-35-turbo-16k",
    "gpt-4.5": "gpt-4.5-preview", "computer-use": "computer-use-preview",
    "embedding-ada": "text-embedding-ada-002", "text-embedding-ada": "text-embedding-ada-002",
    "embedding-3-large": "text-embedding-3-large", "embedding-3-small": "text-embedding-3-small",
}  # fmt: skip
_TYPES: Final = {
    (_GLOBAL, False): "GlobalStandard", (_DATA_ZONE, False): "DataZoneStandard",
    (_REGIONAL, False): "Standard", (_GLOBAL, True): "GlobalBatch",
    (_DATA_ZONE, True): "DataZoneBatch",
}  # fmt: skip
_UNIT: Final = re.compile(r"^1\s*([km])(\s*tokens)?$", re.IGNORECASE)


@dataclass(frozen=True)
class Meter:
    """What a meter name says."""

    model: str  # base model name as calls report it, without the version
    deployment_type: str
    token_class: TokenClass
    version: str | None  # the MMDD version word, when the name has one


def parse_meter_name(meter_name: str, product_name: str = "") -> Meter | None:
    """Read a token meter's name; None when a word is not understood.

    A name without a scope word (``Az-Text-Embedding-3-Small``) is a regional (Standard)
    meter; an embedding meter without a direction is input. A name starting with a version
    number (``5.4 mini Inp Gl``) is a GPT model only when the product says so (``Azure OpenAI
    GPT5``) with the same major version.
    """
    text = re.sub(r"([a-z])([A-Z])", r"\1 \2", meter_name.strip()).lower()
    text = re.sub(r"\bdata\s*zone\b", "datazone", text)
    text = re.sub(r"\bgpt(?=\d)", "gpt ", text)
    text = re.sub(r"\b20\d\d-(\d\d)-(\d\d)\b", r"\1\2", text)  # a dated version, as MMDD
    text = re.sub(r"([a-z])(\d{4}\b|\d+k\b)", r"\1 \2", text)
    scope: str | None = None
    direction: TokenClass | None = None
    cached = batch = False
    version: str | None = None
    words: list[str] = []
    for word in re.split(r"[\s\-_]+", text):
        if not word or word in _NOISE:
            continue
        if _VERSION.match(word):
            version = word
        elif word in _CACHED:
            cached = True
        elif word == "batch":
            batch = True
        elif word in _DIRECTIONS:
            if direction not in (None, _DIRECTIONS[word]):
                return None
            direction = _DIRECTIONS[word]
        elif word in _SCOPES:
            if scope not in (None, _SCOPES[word]):
                return None
            scope = _SCOPES[word]
        else:
            words.append("embedding" if word == "embeddings" else word)
    model = _model_name(words, product_name)
    deployment_type = _TYPES.get((scope or _REGIONAL, batch))
    if model is None or deployment_type is None:
        return None
    token_class: TokenClass | None = direction
    if cached:
        token_class = None if direction == "output" else "cached_input"
    elif direction is None and "embedding" in words:
        token_class = "input"
    if token_class is None:
        return None
    return Meter(model, deployment_type, token_class, version)


def _model_name(words: list[str], product_name: str) -> str | None:
    if not words:
        return None
    if _NUMBER.match(words[0]):
        product = _PRODUCT_GPT.search(product_name)
        if product is None or words[0].split(".")[0] != product.group(1):
            return None
        words = ["gpt", *words]
    elif words[0] not in _MODEL_STARTS and not _O_SERIES.match(words[0]):
        return None
    if words[0] == "gpt" and (len(words) < 2 or not (_NUMBER.match(words[1]) or words[1] == "oss")):
        return None
    if not all(word in _MODEL_WORDS or _NUMBER.match(word) for word in words[1:]):
        return None
    name = "-".join(words)
    return _ALIASES.get(name, name)


def price_rows_from_items(
    items: Iterable[Mapping[str, Any]], read_on: date
) -> tuple[list[PriceRow], list[str]]:
    """Price book rows from Retail Prices API items, and the token meters not understood.

    Only ``type == 'Consumption'`` items in the first tier (``tierMinimumUnits == 0``) with
    a token unit count; others (reservations, hourly PTU, images) are left out silently.
    For each model, deployment type, region and token class the primary-region meter wins
    over a non-primary one. Global and Data Zone rows apply in any region; Standard rows
    keep the item's ``armRegionName``. Each ``effectiveStartDate`` starts a dated row; a
    row starts once its input (and output, if listed) price is known. Rows need an input
    price: meters of a model without one are reported. Pure: no I/O.
    """
    source = f"azure-retail-prices@{read_on.isoformat()}"
    chosen: dict[tuple[str, str, str, TokenClass, date], tuple[tuple[bool, str, str], Decimal]]
    chosen = {}
    names: dict[tuple[str, str, str], set[str]] = defaultdict(set)
    unmapped: set[str] = set()
    for item in items:
        factor = _per_1m(item.get("unitOfMeasure"))
        tier = _decimal(item.get("tierMinimumUnits", 0))
        if item.get("type") != "Consumption" or factor is None or tier not in (None, 0):
            continue
        name = str(item.get("meterName") or item.get("skuName") or "")
        meter = parse_meter_name(name, str(item.get("productName") or ""))
        price = _decimal(item.get("retailPrice", item.get("unitPrice")))
        region = str(item.get("armRegionName") or "")
        if meter is None or price is None or (meter.deployment_type == "Standard" and not region):
            unmapped.add(name)
            continue
        region = region if meter.deployment_type == "Standard" else ""
        start = _start_date(item.get("effectiveStartDate")) or read_on
        slot = (meter.model, meter.deployment_type, region, meter.token_class, start)
        rank = (item.get("isPrimaryMeterRegion") is True, meter.version or "", name)
        if slot not in chosen or rank > chosen[slot][0]:
            chosen[slot] = (rank, (price * factor).quantize(_MICRO))
        names[slot[:3]].add(name)
    timelines: dict[tuple[str, str, str], dict[TokenClass, dict[date, Decimal]]]
    timelines = defaultdict(lambda: defaultdict(dict))
    for (model, deployment_type, region, token_class, start), (_, price) in chosen.items():
        timelines[(model, deployment_type, region)][token_class][start] = price
    rows: list[PriceRow] = []
    for key in sorted(timelines):
        classes = timelines[key]
        if "input" not in classes:
            unmapped.update(names[key])
            continue
        rows += _dated_rows(key, classes, source)
    return rows, sorted(unmapped)


def _dated_rows(
    key: tuple[str, str, str], classes: Mapping[TokenClass, Mapping[date, Decimal]], source: str
) -> list[PriceRow]:
    first = max(min(classes[c]) for c in ("input", "output") if c in classes)
    starts = sorted({first} | {d for points in classes.values() for d in points if d > first})
    rows = []
    for i, start in enumerate(starts):
        price = {c: _price_at(points, start) for c, points in classes.items()}
        rows.append(
            PriceRow(
                model=key[0], deployment_type=key[1], region=key[2] or None,
                input_per_1m=price.get("input"), cached_input_per_1m=price.get("cached_input"),
                output_per_1m=price.get("output"), effective_from=start,
                effective_to=starts[i + 1] if i + 1 < len(starts) else None, source=source,
            )
        )  # fmt: skip
    return _coalesce(rows)


def _price_at(points: Mapping[date, Decimal], day: date) -> Decimal | None:
    known = [d for d in points if d <= day]
    return points[max(known)] if known else None


def _per_1m(unit: object) -> Decimal | None:
    match = _UNIT.match(str(unit or "").strip())
    if match is None:
        return None
    return Decimal(1000) if match.group(1).lower() == "k" else Decimal(1)


def _decimal(value: object) -> Decimal | None:
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _start_date(value: object) -> date | None:
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")).date()
    except ValueError:
        return None


# ------------------------------------------------------------------------ merge and diff


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
        book, api = old.get(key, []), new.get(key, [])
        if not api:
            merged += book
            continue
        if not book:
            standard = (key[0], "GlobalStandard", "")
            reference = old.get(standard) or new.get(standard) or []
            if _priced(reference, "output_per_1m") and not _priced(
                api, "output_per_1m", every=True
            ):
                notes.append(f"{_label(key)}: the API lists no output price; row not added")
                continue
            if _priced(reference, "cached_input_per_1m") and not _priced(
                api, "cached_input_per_1m"
            ):
                notes.append(f"{_label(key)}: no cached input price; it bills at the input price")
            merged += api
            continue
        start = api[0].effective_from
        kept = [
            replace(r, effective_to=start if r.effective_to is None else min(r.effective_to, start))
            for r in book
            if r.effective_from < start
        ]
        merged += _coalesce(kept + [_fill(r, book, notes) for r in api])
    return merged, list(dict.fromkeys(notes))


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


def _coalesce(rows: Sequence[PriceRow]) -> list[PriceRow]:
    out: list[PriceRow] = []
    for row in sorted(rows, key=lambda r: r.effective_from):
        last = out[-1] if out else None
        if (
            last is not None
            and last.effective_to == row.effective_from
            and _terms(last)[:3] == _terms(row)[:3]
        ):
            out[-1] = replace(last, effective_to=row.effective_to)
        else:
            out.append(row)
    return out


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


def _by_key(rows: Iterable[PriceRow]) -> dict[tuple[str, str, str], list[PriceRow]]:
    grouped: dict[tuple[str, str, str], list[PriceRow]] = defaultdict(list)
    for row in rows:
        grouped[row.key].append(row)
    return {key: sorted(rows, key=lambda r: r.effective_from) for key, rows in grouped.items()}


def _ordered_keys(
    first: Iterable[PriceRow], second: Iterable[PriceRow]
) -> list[tuple[str, str, str]]:
    """Keys of ``first`` in its order, then keys only in ``second``, sorted."""
    keys = list(dict.fromkeys(r.key for r in first))
    known = set(keys)
    return keys + sorted({r.key for r in second} - known)


def _label(key: tuple[str, str, str]) -> str:
    return f"{key[0]} {key[1]}" + (f" ({key[2]})" if key[2] else "")


# ------------------------------------------------------------------- files and the store


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
                 r.effective_to or "", r.source]
            )  # fmt: skip


def _cell(value: Decimal | None) -> str:
    return "" if value is None else format_price(value)


def read_price_book_csv(path: Path) -> list[PriceRow]:
    """The rows of a price book CSV (the shipped format)."""
    with path.open(newline="", encoding="utf-8") as handle:
        return [
            _row(r["model"], r["deployment_type"], r["region"], r["input_per_1m"],
                 r["cached_input_per_1m"], r["output_per_1m"], r["effective_from"],
                 r["effective_to"], r["source"])
            for r in csv.DictReader(handle)
        ]  # fmt: skip


def read_price_book(store: Store) -> tuple[str | None, list[PriceRow]]:
    """The version in force and its rows; (None, the shipped file's rows) when no price
    book is loaded."""
    frame = queries.run(store.cursor(), "price_book_in_force")
    if frame.empty:
        return None, read_price_book_csv(SHIPPED_PRICE_BOOK)
    rows = [_row(*values[1:]) for values in frame.itertuples(index=False, name=None)]
    return str(frame["version"].iloc[0]), rows


def _row(*values: object) -> PriceRow:
    model, deployment_type, region, inp, cached, out, start, end, source = values
    first = _date(start)
    if first is None:
        raise ValueError(f"price row for {model} has no effective_from")
    return PriceRow(
        model=str(model), deployment_type=str(deployment_type), region=_text_or_none(region),
        input_per_1m=_decimal(inp), cached_input_per_1m=_decimal(cached),
        output_per_1m=_decimal(out), effective_from=first, effective_to=_date(end),
        source=_text_or_none(source) or "",
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
        raise RetailPricesError(
            f"the refreshed book equals {version}, loaded earlier, but {in_force} is in force",
            "run the refresh again tomorrow, or edit the price book file by hand",
        )
    return version


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
    read_on = read_on or datetime.now(UTC).date()
    current_version, current = read_price_book(store)
    pages = 0
    items: list[dict[str, Any]] = []
    for page in fetch_retail_pages(config, client):
        pages += 1
        items += page
    mapped, unmapped = price_rows_from_items(items, read_on)
    proposed, notes = merge_price_books(current, mapped)
    changes = diff_price_books(current, proposed)
    applied = apply_refresh(store, proposed, read_on) if apply and changes else None
    log.info(
        "retail prices: %d pages, %d items, %d rows, %d unmapped meters, %d changes, applied %s",
        pages, len(items), len(mapped), len(unmapped), len(changes), applied,
    )  # fmt: skip
    return RefreshReport(
        pages=pages, items=len(items), mapped=tuple(mapped), unmapped=tuple(unmapped),
        notes=tuple(notes), changes=tuple(changes), current_version=current_version,
        applied_version=applied,
    )  # fmt: skip
