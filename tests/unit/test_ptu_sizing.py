"""PTU sizing against Microsoft's published per-model figures (ptu_figures.csv), worked
out by hand, with and without cache; and the utilisation at which PTUs break even."""

from __future__ import annotations

import math

import pytest

from collectors.prices.ptu import (
    break_even_utilisation,
    converted_tpm,
    family_of,
    load_figures,
    ptu_monthly_usd,
    ptus_needed,
)


@pytest.mark.parametrize(
    ("model", "deployment_type", "input_tpm", "output_tpm", "cache_rate", "ptus"),
    [
        # gpt-4o: 2,500 input TPM per PTU, output x4; Global: minimum 15, increment 5.
        # 100,000 + 4 x 10,000 = 140,000 / 2,500 = 56 -> 60
        ("gpt-4o", "GlobalProvisionedManaged", 100_000, 10_000, 0.0, 60),
        # 100,000 x 0.5 + 40,000 = 90,000 / 2,500 = 36 -> 40
        ("gpt-4o", "GlobalProvisionedManaged", 100_000, 10_000, 0.5, 40),
        # gpt-4.1-mini: 14,900 per PTU, output x4; Regional: minimum 25, increment 25.
        # 600,000 + 200,000 = 800,000 / 14,900 = 53.69 -> 75
        ("gpt-4.1-mini", "ProvisionedManaged", 600_000, 50_000, 0.0, 75),
        # 600,000 x 0.75 + 200,000 = 650,000 / 14,900 = 43.62 -> 50
        ("gpt-4.1-mini", "ProvisionedManaged", 600_000, 50_000, 0.25, 50),
        # gpt-5: 4,750 per PTU, output x8; Data Zone: minimum 15, increment 5.
        # 50,000 + 8 x 5,000 = 90,000 / 4,750 = 18.95 -> 20
        ("gpt-5", "DataZoneProvisionedManaged", 50_000, 5_000, 0.0, 20),
        # 50,000 x 0.2 + 40,000 = 50,000 / 4,750 = 10.53 -> 15 (also the minimum)
        ("gpt-5", "DataZoneProvisionedManaged", 50_000, 5_000, 0.8, 15),
        # a trickle still needs the minimum: 1,000 / 2,500 = 0.4 -> 15
        ("gpt-4o", "GlobalStandard", 1_000, 0, 0.0, 15),
    ],
)
def test_ptus_follow_the_published_figures(
    model: str,
    deployment_type: str,
    input_tpm: float,
    output_tpm: float,
    cache_rate: float,
    ptus: int,
) -> None:
    figures = load_figures()[model]
    converted = converted_tpm(input_tpm, output_tpm, cache_rate, figures.output_ratio)
    assert ptus_needed(figures, family_of(deployment_type), converted) == ptus


def test_an_exact_multiple_is_not_rounded_up() -> None:
    figures = load_figures()["gpt-4o"]  # 50 PTUs x 2,500 = 125,000
    assert ptus_needed(figures, "global", 125_000.0) == 50


def test_deployment_types_fall_in_their_family() -> None:
    assert family_of("GlobalStandard") == "global"
    assert family_of("DataZoneBatch") == "data_zone"
    assert family_of("ProvisionedManaged") == "regional"
    assert family_of("Standard") == "regional"
    assert family_of(None) == "global"


def test_break_even_utilisation() -> None:
    # 60 PTUs x $1 x 730 h = $43,800 a month. The measured tokens cost $20,000 a month on
    # pay-as-you-go at 40 % of the PTUs' capacity: at 100 % they would cost $50,000, so the
    # PTUs win from 43,800 / 50,000 = 87.6 % utilisation.
    monthly = ptu_monthly_usd(60, 1.0)
    assert monthly == pytest.approx(43_800.0)
    assert break_even_utilisation(monthly, 20_000.0, 0.4) == pytest.approx(0.876)
    # a reservation at $260 per PTU-month: 15,600 / 50,000 = 31.2 %
    assert break_even_utilisation(60 * 260.0, 20_000.0, 0.4) == pytest.approx(0.312)
    assert math.isinf(break_even_utilisation(monthly, 0.0, 0.4))
