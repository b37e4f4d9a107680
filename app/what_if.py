"""What-if re-pricing: a scope's last days of tokens priced on another model or deployment
type (``repriced_usage.sql``), with the latency and data-residency caveats of the target
written next to the number. An estimate, like the advisor's figures."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import duckdb

from app.advisor import MONTH_DAYS, SENSITIVITY, finite, observed_days, plain
from queries.advisor import repriced_usage

CAVEATS: Final[dict[str, str]] = {
    "GlobalStandard": "Global: prompts and answers may be processed in any Azure region "
    "(data at rest stays in the resource's geography); latency depends on the region that "
    "serves the call.",
    "DataZoneStandard": "Data Zone: processing stays within the data zone (EU or US); "
    "usually about 10 % above Global.",
    "Standard": "Regional: processing stays in the resource's region; the highest list price "
    "and a per-region quota.",
    "GlobalBatch": "Batch: answers within 24 hours, never interactive; JSONL files through "
    "the Batch API; processing as Global.",
    "DataZoneBatch": "Batch: answers within 24 hours, never interactive; JSONL files through "
    "the Batch API; processing stays within the data zone.",
    "Flex": "Flex (preview): no latency SLA; a 429 (not billed) when capacity is short, with "
    "no automatic fallback; only some models; on Global Standard deployments (Global "
    "processing).",
}
MODEL_CAVEAT: Final = (
    "Another model answers differently: check quality on your own prompts before moving."
)


@dataclass(frozen=True)
class WhatIf:
    """A scope's tokens priced as they are and on another model or deployment type."""

    days: float
    target_model: str | None
    target_type: str | None
    baseline_usd: float  # the tokens at pay-as-you-go prices, each call's own model and type
    what_if_usd: float
    difference_usd: float  # baseline - what_if: positive is a saving
    monthly_saving_usd: float
    saving_low_usd: float
    saving_high_usd: float
    unpriced_tokens: int
    caveats: tuple[str, ...]
    by_deployment: list[dict[str, Any]]
    estimate: bool = True

    def as_dict(self) -> dict[str, Any]:
        plain: dict[str, Any] = finite(asdict(self))
        return plain


def what_if(
    cur: duckdb.DuckDBPyConnection,
    days: int,
    *,
    tenants: list[str] | None = None,
    deployments: list[str] | None = None,
    target_model: str | None = None,
    target_type: str | None = None,
    now: datetime | None = None,
) -> WhatIf:
    """The last ``days`` days of the scope re-priced on ``target_model`` / ``target_type``.
    Provisioned deployments count at the pay-as-you-go price of their family on both sides."""
    end = (now or datetime.now(UTC)).astimezone(UTC)
    start = end - timedelta(days=days)
    base = repriced_usage(cur, start, end, tenants, deployments)
    moved = repriced_usage(cur, start, end, tenants, deployments, target_model, target_type)
    baseline, priced = float(base["repriced_usd"].sum()), float(moved["repriced_usd"].sum())
    seen = observed_days(base["first_hour"].min() if not base.empty else None, start, end)
    saving = (baseline - priced) * MONTH_DAYS / seen
    caveats = [CAVEATS[target_type]] if target_type in CAVEATS else []
    if target_model:
        caveats.append(MODEL_CAVEAT)
    rows = base[["deployment", "base_model", "billed_type", "repriced_usd"]].merge(
        moved[["deployment", "target_model", "target_type", "repriced_usd", "unpriced_tokens"]],
        on="deployment", suffixes=("_now", "_what_if"),
    )  # fmt: skip
    return WhatIf(
        days=days, target_model=target_model, target_type=target_type,
        baseline_usd=round(baseline, 6), what_if_usd=round(priced, 6),
        difference_usd=round(baseline - priced, 6), monthly_saving_usd=saving,
        saving_low_usd=saving * (1 - SENSITIVITY) if saving > 0 else saving * (1 + SENSITIVITY),
        saving_high_usd=saving * (1 + SENSITIVITY) if saving > 0 else saving * (1 - SENSITIVITY),
        unpriced_tokens=int(moved["unpriced_tokens"].sum()), caveats=tuple(caveats),
        by_deployment=[{str(k): plain(v) for k, v in r.items()} for r in rows.to_dict("records")],
    )  # fmt: skip
