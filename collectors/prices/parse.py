"""Retail Prices API items -> price rows: meter names read word by word. Pure: no I/O.

Meter names are irregular (``gpt-4o-mini-0718-Inp-glbl``, ``GPT 5 Mini cchd Inpt Glbl``,
``5.4 mini Opt Gl``, ``o3 Inpt DZone``, ``gpt 4o mini0718 BatchOutp DataZone``,
``5.6 luna ShortCo Cd Inp Std DZ 1M Tokens``). ``read_meter_name`` reads the model and its
version word, the token class (input, cached input, cache write, output), the scope (Global,
Data Zone, Regional), the billing mode (Batch; the service tiers Standard, Flex and Priority
Processing) and the context tier (``ShortCo``/``LongCo``). A meter with a word it does not
understand is listed with the reason, never guessed. Prices become USD per 1M tokens from
``unitOfMeasure`` (``1K``/``1M``, with or without `` Tokens``), never from the name.

Provisioned throughput meters (``Provisioned Managed Global Unit``, ``1 Hour``) and their
reservations (``type`` ``Reservation``, ``reservationTerm`` ``1 Month`` / ``1 Year``) become
capacity prices per PTU, kept per deployment type and region.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Final, Literal

TokenClass = Literal["input", "cached_input", "cache_write", "output"]
ServiceTier = Literal["default", "priority", "flex"]
TOKEN_CLASSES: Final[tuple[TokenClass, ...]] = ("input", "cached_input", "cache_write", "output")
_MICRO: Final = Decimal("0.000001")  # the price book's DECIMAL(18, 6)


@dataclass(frozen=True)
class PriceRow:
    """One row of the price book (``price_book.csv``); prices in USD per 1M tokens.

    ``service_tier`` is the tier a response reports (``default``, ``priority``, ``flex``);
    ``context_tier`` is ``short`` or ``long`` for models whose long prompts bill at other
    rates (``context_tiers.csv`` holds each model's threshold), None for any prompt length.
    ``cache_write_per_1m`` is None where the model bills cache writes as input. ``meters``
    names the Azure meters the prices were read from (``; ``-separated), '' for a book row.
    """

    model: str
    deployment_type: str
    region: str | None  # None: any region
    input_per_1m: Decimal | None
    cached_input_per_1m: Decimal | None
    output_per_1m: Decimal | None
    effective_from: date
    effective_to: date | None  # None: still in force
    source: str
    service_tier: str = "default"
    context_tier: str | None = None
    cache_write_per_1m: Decimal | None = None
    meters: str = ""

    @property
    def key(self) -> tuple[str, str, str, str, str]:
        return (self.model, self.deployment_type, self.region or "", self.service_tier,
                self.context_tier or "")  # fmt: skip

    def same_terms(self, other: PriceRow) -> bool:
        """Same prices over the same dates (the source and meter labels aside)."""
        return terms(self) == terms(other)


def terms(row: PriceRow) -> tuple[object, ...]:
    """The prices first, then the dates: what a price change compares."""
    return (row.input_per_1m, row.cached_input_per_1m, row.output_per_1m,
            row.cache_write_per_1m, row.effective_from, row.effective_to)  # fmt: skip


@dataclass(frozen=True)
class CapacityPrice:
    """A provisioned throughput price: USD per PTU for one hour, month or year."""

    deployment_type: str  # GlobalProvisionedManaged | DataZoneProvisionedManaged | ...
    region: str
    term: Literal["hourly", "monthly", "yearly"]
    usd_per_ptu: Decimal
    effective_from: date
    meter: str


@dataclass(frozen=True)
class UnmappedMeter:
    """A meter the refresh could not turn into a price, and why."""

    meter: str
    product: str
    unit: str
    reason: str


@dataclass(frozen=True)
class ParsedPrices:
    rows: list[PriceRow]
    capacity: list[CapacityPrice]
    unmapped: list[UnmappedMeter]


@dataclass(frozen=True)
class Meter:
    """What a token meter name says."""

    model: str  # base model name as calls report it, without the version
    deployment_type: str
    token_class: TokenClass
    version: str | None  # the MMDD version word, when the name has one
    service_tier: str = "default"
    context_tier: str | None = None


_GLOBAL, _DATA_ZONE, _REGIONAL = "global", "data_zone", "regional"
_SCOPES: Final = {
    "glbl": _GLOBAL, "global": _GLOBAL, "gl": _GLOBAL, "gbl": _GLOBAL, "glb": _GLOBAL,
    "dzone": _DATA_ZONE, "dz": _DATA_ZONE, "dzn": _DATA_ZONE, "datazone": _DATA_ZONE,
    "regional": _REGIONAL, "regnl": _REGIONAL, "rgnl": _REGIONAL, "regn": _REGIONAL,
    "rgn": _REGIONAL,
}  # fmt: skip
_DIRECTIONS: Final = {
    "inp": "input", "inpt": "input", "input": "input", "in": "input",
    "outp": "output", "outpt": "output", "output": "output", "out": "output", "opt": "output",
}  # fmt: skip
_CACHED: Final = frozenset({"cchd", "cched", "ccchd", "cached", "cache", "cach", "cd", "ch"})
_WRITE: Final = frozenset({"wr", "write", "wrt"})
# Billing-mode words: Batch is a deployment type; Std, Flex and PP (Priority Processing: a
# token meter cannot be provisioned) are the service tiers a response reports.
_TIERS: Final = {"std": "default", "standard": "default", "flex": "flex", "pp": "priority",
                 "priority": "priority"}  # fmt: skip
_CONTEXT: Final = {"shortco": "short", "longco": "long"}
_NOISE: Final = frozenset({"tokens", "token", "az", "1k", "1m", "4k", "8k", "128k"})
# Words a model name may contain besides numbers; anything else (aud, rt, img, ft, FW...)
# marks a meter the price book does not hold, and the meter is listed.
_MODEL_WORDS: Final = frozenset({
    "gpt", "mini", "nano", "pro", "chat", "turbo", "codex", "oss", "instruct", "preview",
    "text", "embedding", "large", "small", "ada", "16k", "32k", "computer", "use", "deep",
    "research", "luna", "terra", "sol",
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
_PTU_TYPES: Final = {
    _GLOBAL: "GlobalProvisionedManaged", _DATA_ZONE: "DataZoneProvisionedManaged",
    _REGIONAL: "ProvisionedManaged",
}  # fmt: skip
_TOKEN_UNIT: Final = re.compile(r"^1\s*([km])(\s*tokens)?$", re.IGNORECASE)
_HOUR_UNIT: Final = re.compile(r"^1\s*/?\s*hours?$", re.IGNORECASE)
_TERMS: Final = {"1 month": "monthly", "1 year": "yearly"}


def _words(meter_name: str) -> list[str]:
    text = re.sub(r"(?i)short\s*co\b", " shortco ", meter_name.strip())
    text = re.sub(r"(?i)long\s*co\b", " longco ", text)
    text = re.sub(r"([a-z])([A-Z])", r"\1 \2", text).lower()
    text = re.sub(r"\bdata\s*zone\b", "datazone", text)
    text = re.sub(r"\bgpt(?=\d)", "gpt ", text)
    text = re.sub(r"\b20\d\d-(\d\d)-(\d\d)\b", r"\1\2", text)  # a dated version, as MMDD
    text = re.sub(r"([a-z])(\d{4}\b|\d+k\b)", r"\1 \2", text)
    return [w for w in re.split(r"[\s\-_]+", text) if w and w not in _NOISE]


def read_meter_name(meter_name: str, product_name: str = "") -> Meter | str:
    """Read a token meter's name: a ``Meter``, or why it could not be read.

    A name without a scope word (``Az-Text-Embedding-3-Small``) is a regional (Standard)
    meter; an embedding meter without a direction is input. A name starting with a version
    number (``5.4 mini Inp Gl``) is a GPT model only when the product says so (``Azure OpenAI
    GPT5``) with the same major version. ``Cd Wr`` / ``Cached Write`` is a cache write.
    """
    scope: str | None = None
    direction: str | None = None
    tier: str | None = None
    context: str | None = None
    cached = write = batch = False
    version: str | None = None
    words: list[str] = []
    for word in _words(meter_name):
        if _VERSION.match(word):
            version = word
        elif word in _CACHED:
            cached = True
        elif word in _WRITE:
            write = True
        elif word == "batch":
            batch = True
        elif word in _CONTEXT:
            context = _CONTEXT[word]
        elif word in _TIERS:
            if tier not in (None, _TIERS[word]):
                return "two service tiers"
            tier = _TIERS[word]
        elif word in _DIRECTIONS:
            if direction not in (None, _DIRECTIONS[word]):
                return "two directions (input and output)"
            direction = _DIRECTIONS[word]
        elif word in _SCOPES:
            if scope not in (None, _SCOPES[word]):
                return "two scopes"
            scope = _SCOPES[word]
        else:
            words.append("embedding" if word == "embeddings" else word)
    model = _model_name(words, product_name)
    if isinstance(model, tuple):
        return model[0]
    if batch and tier not in (None, "default"):
        return "a batch meter with a service tier"
    deployment_type = _TYPES.get((scope or _REGIONAL, batch))
    if deployment_type is None:
        return "no regional batch deployment type"
    token_class = _token_class(direction, cached, write, "embedding" in words)
    if token_class is None:
        return "no token class (input, cached input, cache write or output)"
    return Meter(model, deployment_type, token_class, version, tier or "default", context)


def parse_meter_name(meter_name: str, product_name: str = "") -> Meter | None:
    """``read_meter_name`` without the reason: None when the name is not understood."""
    meter = read_meter_name(meter_name, product_name)
    return meter if isinstance(meter, Meter) else None


def _token_class(
    direction: str | None, cached: bool, write: bool, embedding: bool
) -> TokenClass | None:
    if direction == "output":
        return None if cached or write else "output"
    if write:
        return "cache_write"
    if cached:
        return "cached_input"
    if direction == "input" or embedding:
        return "input"
    return None


def _model_name(words: list[str], product_name: str) -> str | tuple[str]:
    """The model name, or (the reason it is not one,)."""
    if not words:
        return ("no model name",)
    if _NUMBER.match(words[0]):
        product = _PRODUCT_GPT.search(product_name)
        if product is None or words[0].split(".")[0] != product.group(1):
            return (f"version {words[0]!r} without a GPT product of that version",)
        words = ["gpt", *words]
    elif words[0] not in _MODEL_STARTS and not _O_SERIES.match(words[0]):
        return (f"{words[0]!r} does not start a model name",)
    if words[0] == "gpt" and (len(words) < 2 or not (_NUMBER.match(words[1]) or words[1] == "oss")):
        return ("'gpt' without a version",)
    unknown = [w for w in words[1:] if w not in _MODEL_WORDS and not _NUMBER.match(w)]
    if unknown:
        return (f"word {unknown[0]!r} not understood",)
    name = "-".join(words)
    return _ALIASES.get(name, name)


def read_capacity_meter(item: Mapping[str, Any]) -> CapacityPrice | str | None:
    """A provisioned throughput price from an item; None when the item is not one; a
    reason when it names provisioned throughput in a way not understood."""
    name = str(item.get("meterName") or "")
    words = _words(name)
    if "provisioned" not in words:
        return None
    scopes = {_SCOPES[w] for w in words if w in _SCOPES}
    other = [w for w in words if w not in _SCOPES and w not in ("provisioned", "managed", "unit")]
    if len(scopes) > 1 or other:
        return f"provisioned meter with words not understood: {' '.join(other) or 'scopes'}"
    deployment_type = _PTU_TYPES[scopes.pop() if scopes else _REGIONAL]
    price = _decimal(item.get("retailPrice", item.get("unitPrice")))
    region = str(item.get("armRegionName") or "")
    if price is None or not region:
        return "provisioned meter without a price or region"
    if item.get("type") == "Reservation":
        term = _TERMS.get(str(item.get("reservationTerm") or "").strip().lower())
        if term is None:
            return f"reservation term {item.get('reservationTerm')!r} not understood"
    elif _HOUR_UNIT.match(str(item.get("unitOfMeasure") or "").strip()):
        term = "hourly"
    else:
        return f"provisioned unit {item.get('unitOfMeasure')!r} is not an hour"
    start = _start_date(item.get("effectiveStartDate"))
    if start is None:
        return "provisioned meter without an effectiveStartDate"
    return CapacityPrice(deployment_type, region, term, price.quantize(_MICRO), start, name)  # type: ignore[arg-type]


def price_rows_from_items(items: Iterable[Mapping[str, Any]], read_on: date) -> ParsedPrices:
    """Price book rows, capacity prices and the meters not understood, from API items.

    Token prices: ``type == 'Consumption'`` items in the first tier (``tierMinimumUnits ==
    0``) with a token unit. Dev/test prices and higher tiers are left out silently; every
    other Azure OpenAI meter maps or is listed. For each model, deployment type, region,
    service tier, context tier and token class the primary-region meter wins over a
    non-primary one. Global and Data Zone rows apply in any region; Standard rows keep the
    item's ``armRegionName``. Each ``effectiveStartDate`` starts a dated row; a row starts
    once its input (and output, if listed) price is known; rows need an input price.
    """
    source = f"azure-retail-prices@{read_on.isoformat()}"
    chosen: dict[tuple[Any, ...], tuple[tuple[bool, str, str], Decimal, str]] = {}  # by slot
    unmapped: dict[str, UnmappedMeter] = {}
    capacity: dict[tuple[str, str, str, date], tuple[bool, CapacityPrice]] = {}
    names: dict[tuple[str, str, str, str, str], list[UnmappedMeter]] = defaultdict(list)
    for item in items:
        name = str(item.get("meterName") or item.get("skuName") or "")
        unit = str(item.get("unitOfMeasure") or "")
        product = str(item.get("productName") or "")
        tier = _decimal(item.get("tierMinimumUnits", 0))
        if item.get("type") not in ("Consumption", "Reservation") or tier not in (None, 0):
            continue
        ptu = read_capacity_meter(item)
        if isinstance(ptu, CapacityPrice):
            slot = (ptu.deployment_type, ptu.region, ptu.term, ptu.effective_from)
            primary = item.get("isPrimaryMeterRegion") is True
            if slot not in capacity or primary > capacity[slot][0]:
                capacity[slot] = (primary, ptu)
            continue
        if isinstance(ptu, str):
            unmapped.setdefault(name, UnmappedMeter(name, product, unit, ptu))
            continue
        if item.get("type") != "Consumption":
            unmapped.setdefault(name, UnmappedMeter(name, product, unit, "a reservation of tokens"))
            continue
        factor = _per_1m(unit)
        if factor is None:
            unmapped.setdefault(name, UnmappedMeter(name, product, unit, "unit is not tokens"))
            continue
        meter = read_meter_name(name, product)
        price = _decimal(item.get("retailPrice", item.get("unitPrice")))
        region = str(item.get("armRegionName") or "")
        reason = meter if isinstance(meter, str) else None
        if isinstance(meter, Meter) and price is None:
            reason = "no price"
        if isinstance(meter, Meter) and meter.deployment_type == "Standard" and not region:
            reason = "a regional meter without a region"
        if reason is not None or not isinstance(meter, Meter) or price is None:
            unmapped.setdefault(name, UnmappedMeter(name, product, unit, reason or "?"))
            continue
        region = region if meter.deployment_type == "Standard" else ""
        start = _start_date(item.get("effectiveStartDate")) or read_on
        key = (meter.model, meter.deployment_type, region, meter.service_tier,
               meter.context_tier or "")  # fmt: skip
        slot5 = (*key, meter.token_class, start)
        rank = (item.get("isPrimaryMeterRegion") is True, meter.version or "", name)
        if slot5 not in chosen or rank > chosen[slot5][0]:
            chosen[slot5] = (rank, (price * factor).quantize(_MICRO), name)
        names[key].append(UnmappedMeter(name, product, unit, "no input price for this model"))
    timelines: dict[tuple[str, str, str, str, str], dict[str, dict[date, tuple[Decimal, str]]]]
    timelines = defaultdict(lambda: defaultdict(dict))
    for chosen_slot, (_, price, name) in chosen.items():
        line_key, token_class, start = chosen_slot[:5], chosen_slot[5], chosen_slot[6]
        timelines[line_key][token_class][start] = (price, name)
    rows: list[PriceRow] = []
    for line in sorted(timelines):
        classes = timelines[line]
        if "input" not in classes:
            for meter_listed in names[line]:
                unmapped.setdefault(meter_listed.meter, meter_listed)
            continue
        rows += _dated_rows(line, classes, source)
    ptus = sorted((p for _, p in capacity.values()), key=_capacity_order)
    return ParsedPrices(rows, ptus, sorted(unmapped.values(), key=lambda u: u.meter))


def _capacity_order(price: CapacityPrice) -> tuple[str, str, str, date]:
    return (price.deployment_type, price.region, price.term, price.effective_from)


def _dated_rows(
    key: tuple[str, str, str, str, str],
    classes: Mapping[str, Mapping[date, tuple[Decimal, str]]],
    source: str,
) -> list[PriceRow]:
    first = max(min(classes[c]) for c in ("input", "output") if c in classes)
    starts = sorted({first} | {d for points in classes.values() for d in points if d > first})
    rows = []
    for i, start in enumerate(starts):
        found = {c: _price_at(points, start) for c, points in classes.items()}
        price = {c: p[0] for c, p in found.items() if p is not None}
        meters = "; ".join(found[c][1] for c in TOKEN_CLASSES if found.get(c) is not None)  # type: ignore[index]
        rows.append(
            PriceRow(
                model=key[0], deployment_type=key[1], region=key[2] or None,
                input_per_1m=price.get("input"), cached_input_per_1m=price.get("cached_input"),
                output_per_1m=price.get("output"), effective_from=start,
                effective_to=starts[i + 1] if i + 1 < len(starts) else None, source=source,
                service_tier=key[3], context_tier=key[4] or None,
                cache_write_per_1m=price.get("cache_write"), meters=meters,
            )
        )  # fmt: skip
    return coalesce_rows(rows)


def coalesce_rows(rows: Iterable[PriceRow]) -> list[PriceRow]:
    """Adjacent rows of one key with equal prices joined into one."""
    out: list[PriceRow] = []
    for row in sorted(rows, key=lambda r: r.effective_from):
        last = out[-1] if out else None
        if (
            last is not None
            and last.effective_to == row.effective_from
            and terms(last)[:4] == terms(row)[:4]
        ):
            out[-1] = replace(last, effective_to=row.effective_to)
        else:
            out.append(row)
    return out


def _price_at(points: Mapping[date, tuple[Decimal, str]], day: date) -> tuple[Decimal, str] | None:
    known = [d for d in points if d <= day]
    return points[max(known)] if known else None


def _per_1m(unit: object) -> Decimal | None:
    match = _TOKEN_UNIT.match(str(unit or "").strip())
    if match is None:
        return None
    return Decimal(1000) if match.group(1).lower() == "k" else Decimal(1)


def decimal_or_none(value: object) -> Decimal | None:
    """A finite Decimal from a number or text; None for anything else."""
    return _decimal(value)


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
