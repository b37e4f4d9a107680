"""The bill's unit prices as price book rows: what "use the bill's unit prices" proposes.

For each meter of a month's bill (``cost_export``'s lines) the effective unit price is its
``EffectiveCost`` (actual cost: ``CostInBillingCurrency``), in USD, over the tokens its
quantity counts (``units``), per 1M tokens. The meter's name is read as the price refresh
reads it (model, deployment type, service tier, context tier, token class); a regional
(``Standard``) meter takes the export's region. Lines of one price key and token class are
summed over the month first, so the price is the month's cost over the month's tokens.

A price is proposed where it differs from what the lens prices the same tokens at on the
month's first day (the row of the key's own, else the GlobalStandard row times the
deployment type's multiplier, as the cost view does). The new row keeps the prices the
bill does not name from that price, starts on the month's first day (``bill-YYYY-MM``) and
runs until the book's next dated change of that key; the key's row in force before ends
there. Lines whose meter, unit or region cannot be read are listed with the reason, never
applied. Pure: no I/O.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from typing import Final

import pandas as pd

from collectors.prices.parse import PriceRow

PRICE_FIELDS: Final = {
    "input": "input_per_1m", "cached_input": "cached_input_per_1m",
    "cache_write": "cache_write_per_1m", "output": "output_per_1m",
}  # fmt: skip
_MICRO: Final = Decimal("0.000001")
Key = tuple[str, str, str, str, str]  # model, deployment type, region, service tier, context


@dataclass(frozen=True)
class BillPrice:
    """One unit price the bill shows, beside the lens's for the same tokens."""

    model: str
    deployment_type: str
    region: str  # '' : any region
    service_tier: str
    context_tier: str  # '' : any prompt length
    token_class: str
    lens_per_1m: Decimal | None  # None: the lens has no price for these tokens
    bill_per_1m: Decimal
    tokens: int
    cost_usd: float
    meters: tuple[str, ...]

    @property
    def difference_per_1m(self) -> Decimal | None:
        return None if self.lens_per_1m is None else self.bill_per_1m - self.lens_per_1m


@dataclass(frozen=True)
class NotApplied:
    """A meter of the bill that gives no usable unit price, and why."""

    meter: str
    resources: str
    cost_usd: float
    reason: str


@dataclass(frozen=True)
class BillPrices:
    month: str
    source: str  # bill-YYYY-MM, the new rows' source
    changes: tuple[BillPrice, ...]  # the bill's prices that differ from the lens's
    unchanged: int  # prices the bill and the lens agree on
    not_applied: tuple[NotApplied, ...]
    rows: tuple[PriceRow, ...]  # the new price rows
    book: tuple[PriceRow, ...]  # the whole book they make (to load as a new version)

    def as_dict(self) -> dict[str, object]:
        """JSON for the route and the CLI."""
        return {
            "month": self.month,
            "source": self.source,
            "changes": [
                {
                    "model": c.model, "deployment_type": c.deployment_type,
                    "region": c.region, "service_tier": c.service_tier,
                    "context_tier": c.context_tier, "token_class": c.token_class,
                    "lens_per_1m": _text(c.lens_per_1m), "bill_per_1m": _text(c.bill_per_1m),
                    "difference_per_1m": _text(c.difference_per_1m), "tokens": c.tokens,
                    "cost_usd": round(c.cost_usd, 6), "meters": list(c.meters),
                }
                for c in self.changes
            ],
            "unchanged": self.unchanged,
            "not_applied": [
                {"meter": n.meter, "resources": n.resources, "cost_usd": round(n.cost_usd, 6),
                 "reason": n.reason}
                for n in self.not_applied
            ],
        }  # fmt: skip


def _text(value: Decimal | None) -> str | None:
    return None if value is None else f"{value:f}"


def month_start(month: str) -> tuple[date, date]:
    """The first day of ``month`` (YYYY-MM) and of the month after."""
    year, number = int(month[:4]), int(month[5:7])
    after = date(year + number // 12, number % 12 + 1, 1)
    return date(year, number, 1), after


def propose_bill_prices(
    lines: pd.DataFrame,
    month: str,
    book: Sequence[PriceRow],
    multipliers: Mapping[str, Decimal],
) -> BillPrices:
    """The price rows the bill's ``month`` proposes against ``book`` (the rows in force).
    ``lines`` are ``cost_export.BILL_COLUMNS``; ``multipliers`` each token-billed deployment
    type's factor on the GlobalStandard price."""
    start, end = month_start(month)
    in_month = lines[(lines["day"] >= start) & (lines["day"] < end)]
    refused: dict[tuple[str, str], list[tuple[str, float]]] = defaultdict(list)
    sums: dict[tuple[Key, str], _Sum] = {}
    for line in in_month.to_dict("records"):
        reason = _why_not(line)
        cost = float(line["effective_cost_usd"])
        if reason:
            refused[(str(line["meter"]), reason)].append((str(line["resource"]), cost))
            continue
        region = str(line["region"]) if line["deployment_type"] == "Standard" else ""
        key: Key = (str(line["model"]), str(line["deployment_type"]), region,
                    str(line["service_tier"]) or "default", str(line["context_tier"]))  # fmt: skip
        slot = sums.setdefault((key, str(line["token_class"])), _Sum())
        slot.cost_usd += cost
        slot.tokens += float(line["tokens"])
        slot.meters.add(str(line["meter"]))
    by_key: dict[Key, dict[str, BillPrice]] = defaultdict(dict)
    for (key, token_class), found in sorted(sums.items(), key=lambda item: item[0]):
        count = round(found.tokens)
        bill = (Decimal(repr(found.cost_usd)) * 1_000_000 / count).quantize(_MICRO)
        lens = _lens_price(book, multipliers, key, token_class, start)
        by_key[key][token_class] = BillPrice(
            *key, token_class, lens, bill, count, found.cost_usd, tuple(sorted(found.meters))
        )
    changes: list[BillPrice] = []
    rows: list[PriceRow] = []
    unchanged = 0
    for key, prices in by_key.items():
        differ = [p for p in prices.values() if p.lens_per_1m != p.bill_per_1m]
        unchanged += len(prices) - len(differ)
        if not differ:
            continue
        row = _new_row(book, multipliers, key, prices, start, f"bill-{month}")
        if isinstance(row, str):
            for price in prices.values():
                refused[("; ".join(price.meters), row)].append(("", price.cost_usd))
            continue
        changes += differ
        rows.append(row)
    return BillPrices(
        month=month, source=f"bill-{month}", changes=tuple(changes), unchanged=unchanged,
        not_applied=tuple(
            NotApplied(meter, ", ".join(sorted({r for r, _ in found if r})),
                       sum(c for _, c in found), reason)
            for (meter, reason), found in sorted(refused.items())
        ),
        rows=tuple(rows), book=tuple(merge_bill_rows(book, rows)),
    )  # fmt: skip


@dataclass
class _Sum:
    cost_usd: float = 0.0
    tokens: float = 0.0
    meters: set[str] = field(default_factory=set)


def _why_not(line: Mapping[Hashable, object]) -> str:
    """Why a bill line gives no unit price ('' when it does)."""
    for problem in (line["meter_problem"], line["unit_problem"]):
        if problem:
            return str(problem)
    cost, tokens = float(str(line["effective_cost_usd"])), float(str(line["tokens"]))
    if not math.isfinite(cost) or cost <= 0:
        return "no cost on the line"
    if not math.isfinite(tokens) or tokens < 1:  # a price per token needs a token
        return "the line counts no tokens"
    if line["deployment_type"] == "Standard" and not line["region"]:
        return "a regional (Standard) meter, and the export names no region"
    return ""


def _candidates(book: Sequence[PriceRow], key: Key, day: date) -> list[PriceRow]:
    """The book's rows that could price ``key`` on ``day``, best first (the cost view's
    order: own deployment type, own service tier, own context tier, own region)."""
    model, deployment_type, region, tier, context = key
    found = [
        r for r in book
        if r.model == model and r.deployment_type in (deployment_type, "GlobalStandard")
        and (r.region is None or r.region == region)
        and (r.service_tier == tier or (tier == "flex" and r.service_tier == "default"))
        and (r.context_tier is None or r.context_tier == context)
        and r.effective_from <= day and (r.effective_to is None or day < r.effective_to)
    ]  # fmt: skip
    return sorted(
        found,
        key=lambda r: (r.deployment_type != deployment_type, r.service_tier != tier,
                       r.context_tier is None, r.region is None),
    )  # fmt: skip


def _factor(row: PriceRow, key: Key, multipliers: Mapping[str, Decimal]) -> Decimal | None:
    factor = Decimal(1)
    if row.deployment_type != key[1]:
        if key[1] not in multipliers:
            return None
        factor *= multipliers[key[1]]
    return factor if row.service_tier == key[3] else factor * Decimal("0.5")


def _lens_prices(
    book: Sequence[PriceRow], multipliers: Mapping[str, Decimal], key: Key, day: date
) -> dict[str, Decimal | None] | None:
    """What the lens prices ``key``'s token classes at on ``day``, as the cost view does;
    None when it has no price for it."""
    found = _candidates(book, key, day)
    factor = _factor(found[0], key, multipliers) if found else None
    if not found or factor is None or found[0].input_per_1m is None:
        return None
    row = found[0]
    raw = {name: getattr(row, field) for name, field in PRICE_FIELDS.items()}
    return {name: None if v is None else (v * factor).quantize(_MICRO) for name, v in raw.items()}


def _lens_price(
    book: Sequence[PriceRow], multipliers: Mapping[str, Decimal], key: Key, token_class: str,
    day: date,
) -> Decimal | None:  # fmt: skip
    prices = _lens_prices(book, multipliers, key, day)
    if prices is None:
        return None
    own = prices[token_class]
    return own if own is not None or token_class == "output" else prices["input"]


def _new_row(
    book: Sequence[PriceRow],
    multipliers: Mapping[str, Decimal],
    key: Key,
    prices: Mapping[str, BillPrice],
    start: date,
    source: str,
) -> PriceRow | str:
    """The key's row from ``start`` with the bill's prices, or why there is none."""
    lens = _lens_prices(book, multipliers, key, start) or dict.fromkeys(PRICE_FIELDS)
    own = [r for r in _candidates(book, key, start) if r.key == key]
    values = {PRICE_FIELDS[c]: lens[c] for c in PRICE_FIELDS}
    if own:  # the key's own row: its prices as they are (None stays "as input")
        values = {field: getattr(own[0], field) for field in PRICE_FIELDS.values()}
    values |= {PRICE_FIELDS[c]: p.bill_per_1m for c, p in prices.items()}
    if values["input_per_1m"] is None:
        return "the bill names no input price and the lens has none to complete the row"
    later = [r.effective_from for r in book if r.key == key and r.effective_from > start]
    meters = "; ".join(m for c in PRICE_FIELDS if c in prices for m in prices[c].meters)
    return PriceRow(
        model=key[0], deployment_type=key[1], region=key[2] or None,
        effective_from=start, effective_to=min(later) if later else None, source=source,
        service_tier=key[3], context_tier=key[4] or None, meters=meters, **values,
    )  # fmt: skip


def merge_bill_rows(book: Sequence[PriceRow], rows: Sequence[PriceRow]) -> list[PriceRow]:
    """``book`` with ``rows`` in force over their dates: a row of the same key in force
    when one starts ends there, and one starting on the same day is replaced."""
    starts = {row.key: row for row in rows}
    merged: list[PriceRow] = []
    for row in book:
        new = starts.get(row.key)
        if new is None or row.effective_from > new.effective_from:
            merged.append(row)
        elif row.effective_from < new.effective_from:
            ends = row.effective_to is None or row.effective_to > new.effective_from
            merged.append(replace(row, effective_to=new.effective_from) if ends else row)
    return merged + list(rows)
