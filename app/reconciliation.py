"""Reconciliation as CSV: the bill against the lens, what the route, the CLI and the page
serve. Columns (DESIGN section 9): day, resource, model, deployment_type, token_class,
billed_cost_usd, lens_cost_usd, difference_usd; amounts in USD with 6 decimals."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pandas as pd

from collectors.billing.cost_export import Bill, read_cost_exports
from queries.reconcile import RECONCILE_COLUMNS, reconcile


@dataclass
class Reconciliation:
    rows: pd.DataFrame  # RECONCILE_COLUMNS and matched
    bill: Bill

    @property
    def billed_usd(self) -> float:
        return float(self.rows["billed_cost_usd"].sum())

    @property
    def lens_usd(self) -> float:
        return float(self.rows["lens_cost_usd"].sum())

    def csv(self) -> str:
        out = self.rows[list(RECONCILE_COLUMNS)].copy()
        out["day"] = out["day"].map(lambda d: d.isoformat())
        for column in ("billed_cost_usd", "lens_cost_usd", "difference_usd"):
            out[column] = out[column].map(lambda v: f"{float(v):.6f}")
        text: str = out.to_csv(index=False, lineterminator="\n")
        return text

    @property
    def only_on_the_bill(self) -> list[str]:
        """Resources the bill charges that have no calls in the lens."""
        return self._resources_without("lens_cost_usd")

    @property
    def only_in_the_lens(self) -> list[str]:
        """Resources with calls in the lens that the bill does not list."""
        return self._resources_without("billed_cost_usd")

    def _resources_without(self, side: str) -> list[str]:
        by_resource = self.rows.groupby("resource")[side].sum()
        return sorted(str(name) for name, total in by_resource.items() if total == 0)

    def summary(self) -> dict[str, object]:
        return {
            "rows": len(self.rows),
            "billed_usd": round(self.billed_usd, 6),
            "lens_usd": round(self.lens_usd, 6),
            "difference_usd": round(self.billed_usd - self.lens_usd, 6),
            "bill_rows_read": self.bill.rows_read,
            "other_services_rows": self.bill.other_services,
            "resources_only_on_the_bill": self.only_on_the_bill,
            "resources_only_in_the_lens": self.only_in_the_lens,
        }


def reconcile_exports(
    cur: duckdb.DuckDBPyConnection, month: str, files: list[tuple[str, bytes]]
) -> Reconciliation:
    """Read Cost Management exports given as (name, content) and reconcile ``month``."""
    bill = read_cost_exports(files)
    return Reconciliation(reconcile(cur, month, bill.lines), bill)
