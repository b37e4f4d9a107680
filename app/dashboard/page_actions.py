"""What pages do besides reading cached reports: record an audit entry, read the audit log,
reconcile uploaded exports. Pages call these instead of reaching the store themselves."""

from __future__ import annotations

from datetime import datetime

import pandas as pd

from app import audit
from app.access import Identity
from app.dashboard import db
from app.errors import LensError
from app.reconciliation import Reconciliation, reconcile_exports
from collectors.billing.cost_export import CostExportError
from queries import audit_log


class NotAnExportError(LensError):
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
