"""Reconciliation: the lens's cost of a month beside the bill's, per day and resource."""

from __future__ import annotations

from typing import Final

import duckdb
import pandas as pd
import pyarrow as pa

from queries import registered, run, run_arrow
from queries.chargeback import month_bounds

RECONCILE_COLUMNS: Final = (
    "day", "resource", "model", "deployment_type", "token_class", "billed_cost_usd",
    "lens_cost_usd", "difference_usd",
)  # fmt: skip
_BILL_SCHEMA: Final = pa.schema(
    [
        ("day", pa.date32()),
        ("resource", pa.string()),
        ("model", pa.string()),
        ("deployment_type", pa.string()),
        ("token_class", pa.string()),
        ("billed_cost_usd", pa.float64()),
    ]
)


def reconcile(cur: duckdb.DuckDBPyConnection, month: str, bill: pd.DataFrame) -> pd.DataFrame:
    """The bill's lines of ``month`` (``collectors.billing``' shape) against the lens's
    cost: RECONCILE_COLUMNS plus ``matched`` (false for a row only one side has)."""
    start, end = month_bounds(month)
    in_month = bill[(bill["day"] >= start.date()) & (bill["day"] < end.date())]
    table = pa.Table.from_pandas(
        in_month[_BILL_SCHEMA.names], schema=_BILL_SCHEMA, preserve_index=False
    )
    lens = run_arrow(cur, "reconcile_lens_costs", start=start, end=end)
    with registered(cur, "bill", table), registered(cur, "lens", lens):
        return run(cur, "reconcile")
