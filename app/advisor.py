"""The savings advisor: what to change to spend less, each recommendation with what it
compares against, its assumptions, an estimated monthly saving in USD and that saving with
the main assumption off by 25 % either way. Every figure is an estimate.

- PTU right-sizing and break-even per deployment (``collectors.prices.ptu``);
- prompt caching potential (calls sharing a long prompt prefix);
- Batch for traffic that is not interactive;
- what-if re-pricing of a scope on another model or deployment type (``app.what_if``).

Monthly figures scale the window's amounts to 30 days of the traffic seen: a window with
calls for 10 of its 30 days is scaled by 3.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import duckdb
import pandas as pd

from collectors.prices.ptu import (
    HOURS_PER_MONTH,
    PtuFigures,
    base_model,
    break_even_utilisation,
    family_of,
    load_figures,
    load_prices,
    ptu_monthly_usd,
    ptus_needed,
)
from queries.advisor import (
    PREFIX_TOKENS,
    batch_candidates,
    minute_tpm_profile,
    prompt_prefix_reuse,
    repriced_usage,
    spilled_calls,
)

MONTH_DAYS: Final = 30.0
SENSITIVITY: Final = 0.25
THROTTLED_SHARE: Final = 0.01  # from 1 % of calls answered 429, a deployment is short


@dataclass(frozen=True)
class Recommendation:
    kind: str  # ptu | provisioned | caching | batch
    scope: str  # a deployment, or service / tenant
    title: str
    compares_against: str
    assumptions: tuple[str, ...]
    sensitivity: str  # the assumption moved by 25 % for the low and high figures
    monthly_saving_usd: float  # estimate; negative: it costs more (e.g. adding PTUs)
    saving_low_usd: float  # the assumption 25 % against the saving
    saving_high_usd: float  # and 25 % for it
    details: dict[str, Any] = field(default_factory=dict)
    estimate: bool = True


@dataclass
class AdvisorReport:
    since_days: float
    start: str
    end: str
    observed_days: float
    monthly_factor: float
    recommendations: list[Recommendation] = field(default_factory=list)
    ptu_sizing: list[dict[str, Any]] = field(default_factory=list)
    tpm_by_hour: list[dict[str, Any]] = field(default_factory=list)  # per UTC hour of day
    caching: list[dict[str, Any]] = field(default_factory=list)
    batch: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        body = asdict(self)
        body["recommendations"] = [asdict(r) for r in self.recommendations]
        body["total_monthly_saving_usd"] = round(
            sum(max(r.monthly_saving_usd, 0.0) for r in self.recommendations), 2
        )
        plain: dict[str, Any] = finite(body)
        return plain


def observed_days(first_hour: Any, start: datetime, end: datetime) -> float:
    """Days of the window from its first hour with calls (at least one hour)."""
    if first_hour is None or pd.isna(first_hour):
        return (end - start) / timedelta(days=1)
    begin = max(start, pd.Timestamp(first_hour).to_pydatetime())
    return max((end - begin) / timedelta(days=1), 1 / 24)


def advise(
    cur: duckdb.DuckDBPyConnection, since: timedelta, now: datetime | None = None
) -> AdvisorReport:
    """The recommendations for the calls of the last ``since`` up to ``now``."""
    end = (now or datetime.now(UTC)).astimezone(UTC)
    start = end - since
    usage = repriced_usage(cur, start, end)
    days = observed_days(usage["first_hour"].min() if not usage.empty else None, start, end)
    factor = MONTH_DAYS / days
    report = AdvisorReport(
        since_days=since / timedelta(days=1), start=start.isoformat(), end=end.isoformat(),
        observed_days=round(days, 3), monthly_factor=round(factor, 4),
    )  # fmt: skip
    if usage.empty:
        report.notes.append("No calls in the window: nothing to advise yet.")
        return report
    figures = load_figures()
    sized = {
        str(row["deployment"]): figures[base_model(str(row["base_model"]))]
        for row in usage.to_dict("records")
        if row["base_model"] and base_model(str(row["base_model"])) in figures
    }
    ratios = {name: fig.output_ratio for name, fig in sized.items()}
    profile = minute_tpm_profile(cur, start, end, ratios) if ratios else pd.DataFrame()
    overall = (
        {str(r["deployment"]): r for r in profile[profile["hour_of_day"].isna()].to_dict("records")}
        if not profile.empty
        else {}
    )
    spilled = {
        str(r["deployment"]): int(r["spilled"])
        for r in spilled_calls(cur, start, end).to_dict("records")
    }
    for row in usage.to_dict("records"):
        name = str(row["deployment"])
        row["spilled"] = spilled.get(name, 0)
        if name in sized and name in overall:
            _ptu(report, row, sized[name], overall[name], days, factor)
    if not profile.empty:
        hourly = profile[profile["hour_of_day"].notna()]
        report.tpm_by_hour = [
            {"deployment": str(r["deployment"]), "hour_of_day": int(r["hour_of_day"]),
             "peak_tpm": float(r["peak_tpm"]), "p95_tpm": float(r["p95_tpm"]),
             "p50_tpm": float(r["p50_tpm"]), "active_minutes": int(r["active_minutes"])}
            for r in hourly.to_dict("records")
        ]  # fmt: skip
    unsized = sorted(set(usage["deployment"].astype(str)) - set(overall))
    if unsized:
        report.notes.append(
            "No published PTU sizing figures for the model of: " + ", ".join(unsized) + "."
        )
    _caching(report, usage, prompt_prefix_reuse(cur, start, end), factor)
    _batch(report, batch_candidates(cur, start, end), factor)
    report.recommendations.sort(key=lambda r: -r.monthly_saving_usd)
    return report


def _ptu(
    report: AdvisorReport,
    row: dict[Any, Any],
    figures: PtuFigures,
    tpm: dict[Any, Any],
    days: float,
    factor: float,
) -> None:
    name, family = str(row["deployment"]), family_of(str(row["billed_type"]))
    price = load_prices()[family]
    own_hourly = _number(row.get("ptu_hourly_usd"))
    hourly = own_hourly if own_hourly is not None else price.hourly_usd
    deployed = _number(row.get("ptu"))
    own_reserved = _number(row.get("reserved_monthly_usd"))
    reserved_per_ptu = (
        own_reserved / deployed if own_reserved is not None and deployed else
        price.reserved_monthly_usd
    )  # fmt: skip
    needed = ptus_needed(figures, family, float(tpm["p95_tpm"]))
    mean_tpm = float(tpm["converted_tokens"]) / (days * 24 * 60)
    capacity = needed * figures.input_tpm_per_ptu
    utilisation = mean_tpm / capacity
    payg = float(row["repriced_usd"]) * factor
    hourly_cost = ptu_monthly_usd(needed, hourly)
    reserved_cost = needed * reserved_per_ptu
    price_note = (
        f"PTU price: ${hourly:g} per PTU-hour and ${reserved_per_ptu:,.2f} per PTU-month "
        + ("(deployments.toml)" if own_hourly is not None or own_reserved is not None else
           f"(assumed list price for {family.replace('_', ' ')}, {price.source} "
           f"{price.as_of}; set yours in deployments.toml)")
    )  # fmt: skip
    sizing = {
        "deployment": name, "model": figures.model, "deployment_type": row["billed_type"],
        "family": family, "input_tpm_per_ptu": figures.input_tpm_per_ptu,
        "output_ratio": figures.output_ratio, "figures_as_of": figures.as_of,
        "cache_rate": _share(row["cached_input_tokens"], row["input_tokens"]),
        "peak_tpm": float(tpm["peak_tpm"]), "p95_tpm": float(tpm["p95_tpm"]),
        "p50_tpm": float(tpm["p50_tpm"]), "mean_tpm": mean_tpm,
        "ptus_at_peak": ptus_needed(figures, family, float(tpm["peak_tpm"])),
        "ptus_at_p95": needed, "ptus_at_p50": ptus_needed(figures, family, float(tpm["p50_tpm"])),
        "deployed_ptus": deployed, "utilisation_at_p95_size": utilisation,
        "payg_monthly_usd": payg, "ptu_hourly_monthly_usd": hourly_cost,
        "ptu_reserved_monthly_usd": reserved_cost,
        "break_even_utilisation_hourly": break_even_utilisation(hourly_cost, payg, utilisation),
        "break_even_utilisation_reserved": break_even_utilisation(
            reserved_cost, payg, utilisation
        ),
        "throttled_calls": int(row["throttled"]), "calls": int(row["requests"]),
        "spilled_calls": int(row.get("spilled", 0)),
        "reserved_by_registry": own_reserved is not None,
    }  # fmt: skip
    report.ptu_sizing.append(sizing)
    formula = (
        f"PTUs = (input TPM x (1 - cache rate) + {figures.output_ratio:g} x output TPM) / "
        f"{figures.input_tpm_per_ptu:,.0f} input TPM per PTU ({figures.model}, "
        f"{figures.source} {figures.as_of}), rounded up to {figures.increment[family]}, "
        f"at least {figures.minimum[family]}"
    )
    if row["billing"] == "ptu" and deployed:
        _provisioned(report, sizing, figures, family, hourly, reserved_per_ptu, formula,
                     price_note)  # fmt: skip
        return
    best = min(hourly_cost, reserved_cost)
    saving = payg - best
    if saving <= 0:
        return
    report.recommendations.append(
        Recommendation(
            kind="ptu",
            scope=name,
            title=f"Move {name} to {needed} PTUs "
            + ("with a monthly reservation" if reserved_cost <= hourly_cost else "billed hourly"),
            compares_against=f"pay-as-you-go ({row['billed_type']}) price of the same tokens, "
            f"${payg:,.2f} a month, against {needed} PTUs at ${best:,.2f} a month",
            assumptions=(
                f"sized at the 95th-percentile minute ({sizing['p95_tpm']:,.0f} input-equivalent "
                f"TPM; peak {sizing['peak_tpm']:,.0f} would need {sizing['ptus_at_peak']} PTUs: "
                "minutes above the size spill over or get 429s)",
                formula,
                price_note,
                f"next month's traffic equals the last {days:.1f} days' scaled to 30 days",
                f"PTUs win from {sizing['break_even_utilisation_hourly']:.0%} utilisation "
                f"(hourly) and {sizing['break_even_utilisation_reserved']:.0%} (reservation); "
                f"at this size they would run at {utilisation:.0%}",
            ),
            sensitivity="traffic 25 % lower / higher than measured, PTUs unchanged",
            monthly_saving_usd=saving,
            saving_low_usd=payg * (1 - SENSITIVITY) - best,
            saving_high_usd=payg * (1 + SENSITIVITY) - best,
            details=sizing,
        )
    )


def _provisioned(
    report: AdvisorReport,
    sizing: dict[str, Any],
    figures: PtuFigures,
    family: str,
    hourly: float,
    reserved_per_ptu: float,
    formula: str,
    price_note: str,
) -> None:
    """A provisioned deployment: over- or under-provisioned against the p95 minute."""
    name, deployed = str(sizing["deployment"]), int(sizing["deployed_ptus"])
    needed = int(sizing["ptus_at_p95"])
    reserved = sizing["reserved_by_registry"]
    per_ptu = reserved_per_ptu if reserved else hourly * HOURS_PER_MONTH  # what it pays now
    spilled = int(sizing["spilled_calls"])
    throttled = _share(sizing["throttled_calls"] + spilled, sizing["calls"] + spilled)
    evidence = (
        f"{sizing['throttled_calls']:,} of {sizing['calls']:,} calls answered 429 and "
        f"{spilled:,} more spilled over to the standard deployment "
        f"({throttled:.1%} of the calls sent to it)"
    )

    def at(scale: float) -> float:
        return (deployed - ptus_needed(figures, family, sizing["p95_tpm"] * scale)) * per_ptu

    if needed > deployed or throttled >= THROTTLED_SHARE:
        extra = max(needed - deployed, figures.increment[family])
        title = f"{name} is under-provisioned: add {extra} PTUs"
        saving = -extra * per_ptu
        low, high = at(1 + SENSITIVITY), at(1 - SENSITIVITY)
    elif needed < deployed:
        title = f"{name} is over-provisioned: {deployed} PTUs, {needed} needed"
        saving = (deployed - needed) * per_ptu
        low, high = at(1 + SENSITIVITY), at(1 - SENSITIVITY)
    else:
        return
    report.recommendations.append(
        Recommendation(
            kind="provisioned",
            scope=name,
            title=title,
            compares_against=f"the {deployed} PTUs deployed against the PTUs the measured "
            "95th-percentile minute needs",
            assumptions=(
                formula,
                price_note,
                evidence,
                f"peak minute {sizing['peak_tpm']:,.0f} TPM needs {sizing['ptus_at_peak']} PTUs",
            ),
            sensitivity="traffic 25 % higher / lower than measured",
            monthly_saving_usd=saving,
            saving_low_usd=min(low, high),
            saving_high_usd=max(low, high),
            details=sizing,
        )
    )


def _caching(
    report: AdvisorReport, usage: pd.DataFrame, reuse: pd.DataFrame, factor: float
) -> None:
    rates = {str(r["deployment"]): r for r in usage.to_dict("records")}
    for row in reuse.to_dict("records"):
        name = str(row["deployment"])
        rate = rates.get(name)
        entry = {
            "deployment": name, "calls": int(row["calls"]),
            "cached_share": _share(row["cached_input_tokens"], row["input_tokens"]),
            "long_prompt_share": _share(row["long_calls"], row["calls"]),
            "fingerprinted_share": _share(row["hashed_calls"], row["calls"]),
            "shared_prefix_share": _share(row["repeat_calls"], row["calls"]),
            "cacheable_tokens": int(row["cacheable_tokens"]),
        }  # fmt: skip
        report.caching.append(entry)
        if rate is None or rate["billing"] == "ptu" or not row["cacheable_tokens"]:
            continue
        gap = (_number(rate["input_per_1m"]) or 0.0) - (_number(rate["cached_input_per_1m"]) or 0.0)
        saving = float(row["cacheable_tokens"]) * gap / 1e6 * factor
        if saving <= 0:
            continue
        report.recommendations.append(
            Recommendation(
                kind="caching",
                scope=name,
                title=f"Let Azure's prompt cache serve {name}'s repeated prompt prefixes",
                compares_against=f"today's cached share ({entry['cached_share']:.1%} of input "
                f"tokens) against every repeated ~{PREFIX_TOKENS:,}-token prefix cached",
                assumptions=(
                    f"{entry['shared_prefix_share']:.1%} of calls repeat a prompt prefix seen "
                    "before (azure.openai.prompt_prefix_hash from the instrumented client; "
                    f"{entry['fingerprinted_share']:.1%} of calls carry one)",
                    f"the first {PREFIX_TOKENS:,} input tokens of each repeat become cached "
                    f"tokens (${gap:g} per 1M less); prefixes must be identical, static "
                    "content first",
                    "the same traffic next month, scaled to 30 days",
                ),
                sensitivity="cache hits 25 % fewer / more than the repeats found",
                monthly_saving_usd=saving,
                saving_low_usd=saving * (1 - SENSITIVITY),
                saving_high_usd=saving * (1 + SENSITIVITY),
                details=entry,
            )
        )


def _batch(report: AdvisorReport, candidates: pd.DataFrame, factor: float) -> None:
    for row in candidates.to_dict("records"):
        entry = {str(k): plain(v) for k, v in row.items()}
        report.batch.append(entry)
        saving = (float(row["payg_cost_usd"]) - float(row["batch_cost_usd"])) * factor
        if not row["eligible"] or saving <= 0:
            continue
        who = f"{row['service']} / {row['tenant_id']}"
        report.recommendations.append(
            Recommendation(
                kind="batch",
                scope=who,
                title=f"Send {who}'s calls through the Batch API (or Flex)",
                compares_against=f"their pay-as-you-go cost, ${row['payg_cost_usd'] * factor:,.2f}"
                " a month, against the Batch price of the same tokens",
                assumptions=(
                    f"detected as not interactive: {row['reason']} "
                    f"(median duration {row['p50_duration_ms'] or 0:,.0f} ms)",
                    "all of it can wait up to 24 hours (Batch) or tolerate 429s (Flex)",
                    "Batch price = the deployment_types multiplier (GlobalBatch 0.5 of "
                    "GlobalStandard); regional deployments have no Batch and stay as they are",
                    "the same traffic next month, scaled to 30 days",
                ),
                sensitivity="25 % less / more of the traffic can wait",
                monthly_saving_usd=saving,
                saving_low_usd=saving * (1 - SENSITIVITY),
                saving_high_usd=saving * (1 + SENSITIVITY),
                details=entry,
            )
        )


def _share(part: Any, whole: Any) -> float:
    whole_f = float(whole or 0)
    return float(part or 0) / whole_f if whole_f else 0.0


def _number(value: Any) -> float | None:
    if value is None or (isinstance(value, float) and math.isnan(value)) or pd.isna(value):
        return None
    return float(value)


def plain(value: Any) -> Any:
    """A value JSON can carry."""
    if isinstance(value, pd.Timestamp | datetime):
        return value.isoformat()
    if hasattr(value, "item"):
        return value.item()
    if value is not None and not isinstance(value, str | bool) and pd.isna(value):
        return None
    return value


def finite(value: Any) -> Any:
    """Infinities and NaN (a break-even never reached) as None, for JSON."""
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [finite(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return plain(value)
