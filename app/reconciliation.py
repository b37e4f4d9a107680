"""Reconciliation as CSV: the bill against the lens, what the route, the CLI and the page
serve. Columns (DESIGN section 9): day, resource, model, deployment_type, token_class,
billed_cost_usd, lens_cost_usd, difference_usd; amounts in USD with 6 decimals."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pandas as pd

from app.access import Identity
from collectors.billing.cost_export import Bill, read_cost_exports
from collectors.billing.unit_prices import BillPrices, propose_bill_prices
from collectors.prices.apply import apply_bill_prices, deployment_multipliers, read_price_book
from collectors.store import Store
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


BILL_PRICE_COLUMNS = (
    "model", "deployment_type", "region", "service_tier", "token_class", "lens_per_1m",
    "bill_per_1m", "difference_per_1m", "meters",
)  # fmt: skip


@dataclass
class BillPricesUsed:
    """The bill's unit prices proposed and, when applied, the price book version loaded."""

    proposal: BillPrices
    applied_version: str | None = None

    def as_dict(self) -> dict[str, object]:
        return {**self.proposal.as_dict(), "applied_version": self.applied_version}

    def changes_frame(self) -> pd.DataFrame:
        """The proposed prices a person confirms: old, bill's, difference, meters."""
        return pd.DataFrame(
            [
                {
                    "model": c.model, "deployment_type": c.deployment_type,
                    "region": c.region or "any", "service_tier": c.service_tier,
                    "token_class": c.token_class,
                    "lens_per_1m": None if c.lens_per_1m is None else float(c.lens_per_1m),
                    "bill_per_1m": float(c.bill_per_1m),
                    "difference_per_1m": None if c.difference_per_1m is None
                    else float(c.difference_per_1m),
                    "meters": "; ".join(c.meters),
                }
                for c in self.proposal.changes
            ],
            columns=list(BILL_PRICE_COLUMNS),
        )  # fmt: skip

    def not_applied_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            [(n.meter, n.resources, n.cost_usd, n.reason) for n in self.proposal.not_applied],
            columns=["meter", "resources", "cost_usd", "reason"],
        )

    def audit_detail(self) -> dict[str, object]:
        return {
            "source": self.proposal.source,
            "applied_version": self.applied_version,
            "changes": len(self.proposal.changes),
            "not_applied": len(self.proposal.not_applied),
        }


def refuse_bill_prices(who: Identity | None) -> str | None:
    """Why ``who`` may not change the price book from a bill (None: they may). The bill's
    prices are every tenant's, so a role limited to some tenants may not."""
    if who is None or not who.may("prices.bill"):
        role = who.role if who is not None else "anonymous"
        return f"the role {role!r} may not change the price book"
    if who.tenants is not None:
        return "the price book prices every tenant's calls; this identity is limited to some"
    return None


def use_bill_prices(
    store: Store, month: str, files: list[tuple[str, bytes]], *, apply: bool
) -> BillPricesUsed:
    """Propose the bill's unit prices of ``month`` from exports given as (name, content)
    and, with ``apply``, load them as a new price book version when they change anything."""
    bill = read_cost_exports(files)
    _, book = read_price_book(store)
    proposal = propose_bill_prices(bill.lines, month, book, deployment_multipliers(store))
    used = BillPricesUsed(proposal)
    if apply and proposal.rows:
        used.applied_version = apply_bill_prices(store, proposal.book, month)
    return used
