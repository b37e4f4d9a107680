"""``aoai-lens reconcile --apply-prices``: the bill's unit prices loaded into the price book
before the month is reconciled.

Through the running lens server (``POST /api/reconcile/prices?apply=true``) when one
answers, else on the database file as this machine's user. Prints what changed and the
meters not applied (with the reason) on stderr."""

from __future__ import annotations

from typing import Any

import httpx
from rich.console import Console
from rich.markup import escape

from app import audit
from app.access import Identity
from app.reconciliation import use_bill_prices
from collectors.store import Store

console = Console(stderr=True, soft_wrap=True)


def apply_prices_through_server(
    base: str, headers: dict[str, str], month: str, uploads: list[tuple[str, bytes]]
) -> dict[str, Any] | httpx.Response:
    """The route's JSON report, or its answer when it is not 200."""
    response = httpx.post(
        f"{base}/api/reconcile/prices",
        params={"month": month, "apply": "true"},
        files=[("file", (name, content)) for name, content in uploads],
        headers=headers,
        timeout=600,
    )
    if response.status_code != 200:
        return response
    report: dict[str, Any] = response.json()
    return report


def apply_prices_on_file(
    store: Store, who: Identity, month: str, uploads: list[tuple[str, bytes]]
) -> dict[str, Any]:
    """Apply the bill's prices on the file this process owns (a ``CostExportError`` is bad
    input, exit 2, through the CLI's one translation of errors)."""
    used = use_bill_prices(store, month, uploads, apply=True)
    audit.record(store, who, "prices.apply", used.proposal.source,
                 {"via": "cli", **used.audit_detail()})  # fmt: skip
    return used.as_dict()


def print_bill_prices(report: dict[str, Any]) -> None:
    """What the bill changed in the price book, and what it could not."""
    for change in report.get("changes", []):
        where = f" ({change['region']})" if change.get("region") else ""
        tier = change["service_tier"] if change["service_tier"] != "default" else ""
        console.print(
            escape(
                f"price {change['model']} {change['deployment_type']}{where} {tier} "
                f"{change['token_class']}: {change['lens_per_1m'] or '-'} -> "
                f"{change['bill_per_1m']} USD per 1M tokens"
            ).replace("  ", " ")
        )
    for missed in report.get("not_applied", []):
        console.print(f"not applied: {escape(missed['meter'])} ({escape(missed['reason'])})")
    version = report.get("applied_version")
    source = report.get("source", "the bill")
    if version:
        console.print(f"applied the prices of {source} as price book version {version}")
    else:
        console.print(f"{source}: no price differs from the price book; nothing applied")
