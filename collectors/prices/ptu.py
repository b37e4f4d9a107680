"""Provisioned throughput (PTU) figures and arithmetic: Microsoft's per-model sizing figures
and the PTU prices assumed when a deployment has none (``ptu_figures.csv``,
``ptu_prices.csv``, dated, sources in ``SOURCES.md``), the sizing formula, and break-even.

Sizing (Microsoft's PTU onboarding article)::

    converted TPM = input TPM x (1 - cache rate) + output ratio x output TPM
    PTU           = converted TPM / input TPM per PTU, rounded up to the scale increment,
                    and at least the deployment type's minimum
"""

from __future__ import annotations

import csv
import math
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Final

PRICES_DIR: Final = Path(__file__).parent
PTU_FIGURES: Final = PRICES_DIR / "ptu_figures.csv"
PTU_PRICES: Final = PRICES_DIR / "ptu_prices.csv"
HOURS_PER_MONTH: Final = 730.0  # Azure's monthly hours (8,760 / 12)
FAMILIES: Final = ("global", "data_zone", "regional")
_VERSION_SUFFIX: Final = re.compile(r"-(\d{4}-\d{2}-\d{2}|\d{4})$")


@dataclass(frozen=True)
class PtuFigures:
    """One model's published sizing figures."""

    model: str
    input_tpm_per_ptu: float
    output_ratio: float
    minimum: dict[str, int]  # family -> minimum PTUs of a deployment
    increment: dict[str, int]  # family -> scale increment
    as_of: str
    source: str


@dataclass(frozen=True)
class PtuPrice:
    """The PTU prices assumed for a deployment type family."""

    family: str
    hourly_usd: float
    reserved_monthly_usd: float
    as_of: str
    source: str


def base_model(model: str) -> str:
    """The model's base name: ``gpt-4o-2024-08-06`` -> ``gpt-4o`` (as the price book)."""
    return _VERSION_SUFFIX.sub("", model.lower())


def family_of(deployment_type: str | None) -> str:
    """``global``, ``data_zone`` or ``regional``: the family whose minimums and prices a
    deployment type has (no type: Global Standard, Azure's default)."""
    kind = (deployment_type or "GlobalStandard").lower()
    if kind.startswith("global"):
        return "global"
    if kind.startswith("datazone"):
        return "data_zone"
    return "regional"


@cache
def load_figures(path: Path = PTU_FIGURES) -> dict[str, PtuFigures]:
    """The per-model figures, keyed by base model name."""
    found: dict[str, PtuFigures] = {}
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            found[row["model"]] = PtuFigures(
                model=row["model"],
                input_tpm_per_ptu=float(row["input_tpm_per_ptu"]),
                output_ratio=float(row["output_ratio"]),
                minimum={f: int(row[f"{f}_min_ptu"]) for f in FAMILIES},
                increment={f: int(row[f"{f}_increment"]) for f in FAMILIES},
                as_of=row["as_of"],
                source=row["source"],
            )
    return found


@cache
def load_prices(path: Path = PTU_PRICES) -> dict[str, PtuPrice]:
    """The assumed PTU prices, keyed by family."""
    with path.open(encoding="utf-8", newline="") as handle:
        return {
            row["family"]: PtuPrice(
                row["family"],
                float(row["hourly_usd"]),
                float(row["reserved_monthly_usd"]),
                row["as_of"],
                row["source"],
            )
            for row in csv.DictReader(handle)
        }


def converted_tpm(
    input_tpm: float, output_tpm: float, cache_rate: float, output_ratio: float
) -> float:
    """Input-equivalent tokens per minute: uncached input plus weighted output."""
    return input_tpm * (1.0 - cache_rate) + output_ratio * output_tpm


def ptus_needed(figures: PtuFigures, family: str, converted: float) -> int:
    """PTUs for ``converted`` TPM: rounded up to the increment, at least the minimum."""
    step = figures.increment[family]
    raw = converted / figures.input_tpm_per_ptu
    return max(figures.minimum[family], math.ceil(raw / step - 1e-9) * step)


def ptu_monthly_usd(ptus: int, hourly_usd: float) -> float:
    """A month of ``ptus`` billed by the hour."""
    return ptus * hourly_usd * HOURS_PER_MONTH


def break_even_utilisation(ptu_monthly: float, payg_monthly: float, utilisation: float) -> float:
    """The utilisation of the PTUs from which they cost less than pay-as-you-go.

    Pay-as-you-go cost grows with the tokens: at full utilisation the same mix of tokens
    would cost ``payg_monthly / utilisation``; the PTUs cost ``ptu_monthly`` whatever the
    traffic. They break even where ``ptu_monthly = u x payg_monthly / utilisation``."""
    if payg_monthly <= 0 or utilisation <= 0:
        return math.inf
    return ptu_monthly * utilisation / payg_monthly
