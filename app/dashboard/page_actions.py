"""What pages do besides reading cached reports: record an audit entry, read the audit log,
reconcile uploaded exports, propose and apply the bill's unit prices. Pages call these
instead of reaching the store themselves."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import streamlit as st

from app import audit
from app.access import Identity
from app.dashboard import db
from app.reconciliation import (
    BillPricesUsed,
    Reconciliation,
    reconcile_exports,
    refuse_bill_prices,
    use_bill_prices,
)
from collectors.billing.cost_export import CostExportError
from lens_errors import BadInputError, ForbiddenError
from queries import audit_log


class NotAnExportError(BadInputError):
    """An uploaded file is not a Cost Management export the lens reads."""


def record(who: Identity, action: str, target: str, detail: dict[str, object]) -> None:
    """An audit entry by the person at the page."""
    audit.record(db.get_store(), who, action, target, detail)


def audit_entries(start: datetime, end: datetime, actions: list[str]) -> pd.DataFrame:
    return audit_log.audit_entries(db.cursor(), start, end, actions)


def reconcile_uploads(month: str, files: list[tuple[str, bytes]]) -> Reconciliation:
    """Reconcile ``month`` against uploaded exports; ``NotAnExportError`` for a bad file."""
    try:
        return reconcile_exports(db.cursor(), month, files)
    except CostExportError as exc:
        raise NotAnExportError(exc.message, exc.hint) from None


def bill_prices(month: str, files: list[tuple[str, bytes]]) -> BillPricesUsed:
    """The bill's unit prices of ``month`` beside the price book; nothing changes."""
    try:
        return use_bill_prices(db.get_store(), month, files, apply=False)
    except CostExportError as exc:
        raise NotAnExportError(exc.message, exc.hint) from None


def bill_prices_refusal(who: Identity) -> str | None:
    """Why ``who`` may not apply the bill's prices (None: they may)."""
    return refuse_bill_prices(who)


def apply_bill_prices(who: Identity, month: str, files: list[tuple[str, bytes]]) -> BillPricesUsed:
    """Load the bill's unit prices of ``month`` as a new price book version, audited;
    ``LensError`` for an identity that may not, refused and audited too."""
    store = db.get_store()
    refused = refuse_bill_prices(who)
    if refused is not None:
        audit.record(store, who, "denied", "prices.bill", {"via": "ui", "month": month})
        raise ForbiddenError(refused, "ask an admin, or a finops person for every tenant")
    try:
        used = use_bill_prices(store, month, files, apply=True)
    except CostExportError as exc:
        raise NotAnExportError(exc.message, exc.hint) from None
    audit.record(store, who, "prices.apply", used.proposal.source,
                 {"via": "ui", **used.audit_detail()})  # fmt: skip
    st.cache_data.clear()  # every cost read before reads the new prices
    return used
