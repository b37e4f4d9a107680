"""Azure Cost Management exports -> the Azure OpenAI lines of the bill, one shape.

Reads, by their columns:

- **FOCUS** 1.0 / 1.2 (CSV or Parquet): ``ChargePeriodStart``, ``ResourceId`` (or
  ``ResourceName``), ``SkuMeter`` (or the older ``x_SkuMeterName``), ``ConsumedQuantity``,
  ``BilledCost``, ``BillingCurrency``, ``x_BillingExchangeRate``, ``ChargeCategory``,
  ``ChargeClass``;
- the older **actual cost** CSV: ``Date``, ``ResourceId``, ``MeterName``, ``Quantity``,
  ``CostInBillingCurrency`` (with ``BillingCurrency`` or ``BillingCurrencyCode``, and
  ``ExchangeRatePricingToBilling`` when the currency is not USD).

For the bill's unit prices (``unit_prices``) each line also keeps its ``EffectiveCost``
(actual cost: ``CostInBillingCurrency``) in USD, the tokens its quantity counts (``units``:
FOCUS ``ConsumedQuantity`` in ``ConsumedUnit``, checked against ``PricingQuantity`` in
``x_PricingUnitDescription``; actual cost ``Quantity`` in ``UnitOfMeasure``) or why they
cannot be known, its region (``RegionId``, ``ResourceLocation``), and its meter's service
and context tier or why the meter names no token price.

Only rows of Azure OpenAI / AI Services accounts (``.../Microsoft.CognitiveServices/
accounts/<name>``) are kept. Each row says what its meter names, as far as the meter
names it (``prices.parse.read_meter_name``): model, deployment type and token class
(``input``, ``cached_input``, ``cache_write``, ``output``, ``provisioned``, else ``other``
with the model and type left empty). Amounts in another currency are converted to USD with
the export's exchange rate (billing currency per USD); without one the file is refused.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Final

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from collectors.billing.units import tokens_per_unit
from collectors.prices.parse import read_meter_name
from lens_errors import BadInputError

BILL_COLUMNS: Final = (
    "day", "resource", "meter", "model", "deployment_type", "token_class", "quantity",
    "billed_cost_usd",
    # what the bill's unit prices are read from (collectors.billing.unit_prices)
    "effective_cost_usd", "tokens", "unit_problem", "region", "service_tier", "context_tier",
    "meter_problem",
)  # fmt: skip
TOKEN_CLASSES: Final = ("input", "cached_input", "cache_write", "output", "provisioned", "other")
_ACCOUNT: Final = re.compile(r"/providers/microsoft\.cognitiveservices/accounts/([^/]+)", re.I)
_PROVISIONED: Final = re.compile(r"\b(provisioned|ptu)\b", re.I)
_CACHE_WRITE: Final = re.compile(r"\b(cached?\s*write|cchd\s*wr|cd\s*wr|wr)\b", re.I)
_FOCUS: Final = {
    "day": "ChargePeriodStart", "cost": "BilledCost", "quantity": "ConsumedQuantity",
    "currency": "BillingCurrency", "rate": "x_BillingExchangeRate", "effective": "EffectiveCost",
    "unit": "ConsumedUnit", "region": "RegionId",
}  # fmt: skip
_ACTUAL: Final = {
    "day": "Date", "cost": "CostInBillingCurrency", "quantity": "Quantity",
    "currency": "BillingCurrency", "rate": "ExchangeRatePricingToBilling",
    "effective": "CostInBillingCurrency", "unit": "UnitOfMeasure", "region": "ResourceLocation",
}  # fmt: skip


class CostExportError(BadInputError, ValueError):
    """A file that is not a Cost Management export this reads, or one it cannot convert."""

    def __init__(self, message: str, hint: str) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


@dataclass
class Bill:
    """The Azure OpenAI lines of one or more exports, and what was left out."""

    lines: pd.DataFrame  # BILL_COLUMNS
    rows_read: int = 0
    other_services: int = 0  # rows of resources that are not Azure OpenAI accounts
    notes: list[str] = field(default_factory=list)


def read_cost_exports(files: list[tuple[str, bytes]]) -> Bill:
    """The bill from export files given as (name, content)."""
    parts: list[pd.DataFrame] = []
    bill = Bill(pd.DataFrame(columns=list(BILL_COLUMNS)))
    for name, content in files:
        frame = _table(name, content)
        bill.rows_read += len(frame)
        lines, others = _lines(name, frame)
        bill.other_services += others
        parts.append(lines)
    if parts:
        bill.lines = pd.concat(parts, ignore_index=True)
    return bill


def read_cost_export_files(paths: list[Path]) -> Bill:
    return read_cost_exports([(str(path), path.read_bytes()) for path in paths])


def _table(name: str, content: bytes) -> pd.DataFrame:
    if content[:4] == b"PAR1":
        try:
            parquet: pd.DataFrame = pq.read_table(io.BytesIO(content)).to_pandas()
        except (pa.ArrowException, OSError, ValueError) as exc:
            raise CostExportError(f"{name} is not a readable Parquet file: {exc}"[:300],
                                  _EXPORT_HINT) from None  # fmt: skip
        return parquet.astype(str)
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CostExportError(
            f"{name} is neither UTF-8 CSV nor Parquet", "export the cost data as CSV or Parquet"
        ) from None
    try:
        return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as exc:
        raise CostExportError(f"{name} is not a CSV file: {exc}"[:300], _EXPORT_HINT) from None


_EXPORT_HINT: Final = (
    "export from Cost Management > Exports as 'Cost and usage details (FOCUS)' or "
    "'Cost and usage details (actual)'"
)


def _lines(name: str, frame: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    columns = set(frame.columns)
    if {"ChargePeriodStart", "BilledCost"} <= columns:
        names = _FOCUS
        meter_column = "SkuMeter" if "SkuMeter" in columns else "x_SkuMeterName"
    elif {"Date", "MeterName", "CostInBillingCurrency"} <= columns:
        names, meter_column = _ACTUAL, "MeterName"
        if "BillingCurrency" not in columns and "BillingCurrencyCode" in columns:
            names = {**_ACTUAL, "currency": "BillingCurrencyCode"}
    else:
        raise CostExportError(
            f"{name} has neither the FOCUS columns (ChargePeriodStart, BilledCost) nor the "
            "actual-cost ones (Date, MeterName, CostInBillingCurrency)",
            _EXPORT_HINT,
        )
    if meter_column not in columns:
        raise CostExportError(
            f"{name} has no meter column (SkuMeter or x_SkuMeterName)", _EXPORT_HINT
        )
    resource_ids = frame.get("ResourceId", pd.Series([""] * len(frame), dtype=str)).astype(str)
    accounts = resource_ids.str.extract(_ACCOUNT, expand=False).str.lower()
    openai = accounts.notna()
    kept = frame[openai]
    cost = pd.to_numeric(kept[names["cost"]], errors="coerce").fillna(0.0)
    effective_column = names["effective"] if names["effective"] in columns else names["cost"]
    effective = cost
    if effective_column != names["cost"]:
        effective = pd.to_numeric(kept[effective_column], errors="coerce").fillna(0.0)
    rate = _usd_rate(name, kept, names)
    quantity = _numbers(kept, names["quantity"])
    tokens, unit_problem = _tokens(kept, names, quantity)
    lines = pd.DataFrame(
        {
            "day": _days(name, kept[names["day"]]),
            "resource": accounts[openai].to_list(),
            "meter": kept[meter_column].astype(str).to_list(),
            "quantity": quantity.to_list(),
            "billed_cost_usd": (cost / rate).to_list(),
            "effective_cost_usd": (effective / rate).to_list(),
            "tokens": tokens.to_list(),
            "unit_problem": unit_problem.to_list(),
            "region": _regions(kept, names).to_list(),
        }
    )
    products = kept.get("ProductName", kept.get("x_SkuDescription", pd.Series([""] * len(kept))))
    pairs = pd.DataFrame({"meter": lines["meter"], "product": products.astype(str).to_list()})
    distinct = pairs.drop_duplicates()  # a month's export repeats a few hundred meters
    read = {
        (m, p): _meter(m, p) for m, p in zip(distinct["meter"], distinct["product"], strict=True)
    }
    keys = list(zip(pairs["meter"], pairs["product"], strict=True))
    for i, column in enumerate(_METER_COLUMNS):
        lines[column] = [read[k][i] for k in keys]
    return lines[list(BILL_COLUMNS)], int((~openai).sum())


_METER_COLUMNS: Final = (
    "model", "deployment_type", "token_class", "service_tier", "context_tier", "meter_problem",
)  # fmt: skip


def _tokens(
    frame: pd.DataFrame, names: dict[str, str], quantity: pd.Series
) -> tuple[pd.Series, pd.Series]:
    """Tokens each row counts, from its quantity and unit columns (``units``), and why
    not where they cannot be known (else ''). A FOCUS row whose ``ConsumedQuantity`` in
    ``ConsumedUnit`` and ``PricingQuantity`` in ``x_PricingUnitDescription`` disagree is
    not known either."""
    unit = _column(frame, names["unit"]).astype(str)
    tokens = quantity * _unit_sizes(unit)
    problem = pd.Series("", index=frame.index, dtype=object)
    if names is _FOCUS:
        blocks = _numbers(frame, "PricingQuantity")
        described = _unit_sizes(_column(frame, "x_PricingUnitDescription").astype(str))
        block_size = _numbers(frame, "x_PricingBlockSize")
        pricing_unit = _unit_sizes(_column(frame, "PricingUnit").astype(str))
        priced = (blocks * described).fillna(blocks * block_size * pricing_unit)
        both = tokens.notna() & priced.notna()
        apart = both & ((tokens - priced).abs() > 0.001 * tokens.abs().clip(lower=1))
        problem = problem.mask(apart, "ConsumedQuantity in ConsumedUnit and PricingQuantity "
                                      "in x_PricingUnitDescription disagree")  # fmt: skip
        tokens = tokens.fillna(priced).mask(apart)
    unknown = tokens.isna() & (problem == "")
    if bool(unknown.any()):
        said = unit[unknown]
        reasons = {u: _unit_reason(names["unit"], u) for u in said.unique()}
        problem[unknown] = said.map(reasons)
    empty = tokens.notna() & (tokens <= 0)
    problem = problem.mask(empty, "no tokens on the line (quantity 0)")
    return tokens.mask(empty), problem


def _unit_reason(column: str, unit: str) -> str:
    text = unit.strip()
    if text in ("", "nan", "None"):
        return f"the line gives no {column}"
    return f"the unit {column!r} does not say how many tokens the quantity counts: {text[:40]}"


def _unit_sizes(units: pd.Series) -> pd.Series:
    """Tokens per unit of each row's unit text (NaN where it counts none): each distinct
    text read once, as an export repeats a handful of units."""
    sizes = {u: tokens_per_unit(u) for u in units.unique()}
    return units.map({u: float("nan") if n is None else float(n) for u, n in sizes.items()})


def _regions(frame: pd.DataFrame, names: dict[str, str]) -> pd.Series:
    """The line's region as the Retail Prices API writes it (``swedencentral``)."""
    region = _column(frame, names["region"]).astype(str)
    if names is _FOCUS and "RegionId" not in frame.columns:
        region = _column(frame, "RegionName").astype(str)
    names_of = {r: r.lower().replace(" ", "") for r in region.unique()}
    read = {r: "" if n in ("nan", "none", "unassigned") else n for r, n in names_of.items()}
    return region.map(read)


def _column(frame: pd.DataFrame, name: str) -> pd.Series:
    """A column, or empty text in each row when the export has none."""
    if name in frame.columns:
        return frame[name]
    return pd.Series([""] * len(frame), index=frame.index, dtype=str)


def _numbers(frame: pd.DataFrame, name: str) -> pd.Series:
    """A column as numbers (NaN where it is not one, or in every row when it is missing)."""
    if name not in frame.columns:
        return pd.Series(float("nan"), index=frame.index)
    return pd.to_numeric(frame[name], errors="coerce")


def _usd_rate(name: str, frame: pd.DataFrame, names: dict[str, str]) -> pd.Series:
    """Billing currency units per USD, per row (1 for USD)."""
    currency = frame.get(names["currency"], pd.Series(["USD"] * len(frame), index=frame.index))
    currency = currency.astype(str).str.upper().replace({"": "USD", "NONE": "USD", "NAN": "USD"})
    rate = pd.to_numeric(frame.get(names["rate"], pd.Series(dtype=str)), errors="coerce")
    rate = rate.reindex(frame.index)
    foreign = currency != "USD"
    missing = foreign & (rate.isna() | (rate <= 0))
    if bool(missing.any()):
        codes = ", ".join(sorted(set(currency[missing])))
        raise CostExportError(
            f"{name} is billed in {codes} and gives no exchange rate ({names['rate']})",
            "export the FOCUS dataset (it carries x_BillingExchangeRate), or an export in USD",
        )
    return rate.where(foreign, 1.0)


def _days(name: str, values: pd.Series) -> list[date]:
    """UTC dates of ISO times (FOCUS) or of US-style dates (actual cost: 11/20/2026)."""
    parsed = pd.to_datetime(values, utc=True, errors="coerce", format="mixed")
    if bool(parsed.isna().any()):
        bad = str(values[parsed.isna()].iloc[0])[:40]
        raise CostExportError(f"{name} has a date that does not parse: {bad!r}", _EXPORT_HINT)
    return list(parsed.dt.date)


def _meter(meter: str, product: str) -> tuple[str, str, str, str, str, str]:
    """(model, deployment type, token class, service tier, context tier, why the meter
    names no token price or '') as far as the meter names them."""
    if _PROVISIONED.search(meter):
        return "", "", "provisioned", "", "", "provisioned throughput bills per PTU hour"
    write = _CACHE_WRITE.search(meter) is not None
    parsed = read_meter_name(_CACHE_WRITE.sub(" ", meter) if write else meter, product)
    if isinstance(parsed, str):
        return "", "", "other", "", "", f"meter name not understood: {parsed}"
    token_class = "cache_write" if write else str(parsed.token_class)
    return (parsed.model, parsed.deployment_type, token_class, parsed.service_tier,
            parsed.context_tier or "", "")  # fmt: skip
