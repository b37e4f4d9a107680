"""The savings advisor's questions: tokens priced again, the tokens-per-minute profile PTU
sizing reads, prompt prefixes shared, traffic that need not be interactive."""

from __future__ import annotations

from datetime import datetime

import duckdb
import pandas as pd
import pyarrow as pa

from queries import run, run_over

PREFIX_TOKENS = 1024  # Azure caches a prompt from 1,024 identical prefix tokens on


def repriced_usage(
    cur: duckdb.DuckDBPyConnection,
    start: datetime,
    end: datetime,
    tenants: list[str] | None = None,
    deployments: list[str] | None = None,
    target_model: str | None = None,
    target_type: str | None = None,
) -> pd.DataFrame:
    """Per deployment, the tokens of [start, end) as billed and as priced on
    ``target_model`` / ``target_type`` (None: the call's own; provisioned types priced as
    the pay-as-you-go type of their family)."""
    return run(
        cur, "repriced_usage", start=start, end=end, tenants=list(tenants or []),
        deployments=list(deployments or []), target_model=target_model,
        target_type=target_type,
    )  # fmt: skip


def minute_tpm_profile(
    cur: duckdb.DuckDBPyConnection, start: datetime, end: datetime, ratios: dict[str, float]
) -> pd.DataFrame:
    """Per deployment of ``ratios`` (deployment -> output-token ratio), the peak, p95 and
    p50 input-equivalent tokens per minute, overall (hour_of_day NULL) and per UTC hour."""
    table = pa.table(
        {
            "deployment": pa.array(list(ratios), pa.string()),
            "output_ratio": pa.array(list(ratios.values()), pa.float64()),
        }
    )
    return run_over(cur, "minute_tpm_profile", ("ptu_ratios", table), start=start, end=end)


def prompt_prefix_reuse(
    cur: duckdb.DuckDBPyConnection, start: datetime, end: datetime
) -> pd.DataFrame:
    """Per deployment, calls sharing a long prompt prefix and the input tokens cacheable."""
    return run(cur, "prompt_prefix_reuse", start=start, end=end, prefix_tokens=PREFIX_TOKENS)


def batch_candidates(
    cur: duckdb.DuckDBPyConnection, start: datetime, end: datetime
) -> pd.DataFrame:
    """Per calling service and tenant, the pay-as-you-go spend, whether the traffic looks
    interactive, and its cost on Batch."""
    return run(cur, "batch_candidates", start=start, end=end)


def spilled_calls(cur: duckdb.DuckDBPyConnection, start: datetime, end: datetime) -> pd.DataFrame:
    """Per provisioned deployment, the calls its standard deployment served for it."""
    return run(cur, "spilled_calls", start=start, end=end)


def repricing_targets(cur: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The models and deployment types a scope can be priced again on."""
    return run(cur, "repricing_targets")
