"""Writing the audit log: one entry per sign-in, export, content view, price apply,
backfill, playground call and refusal (``denied``), through the store that owns the file."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import duckdb

from app.access import Identity
from collectors.store import Store
from queries.audit_log import insert_audit_entry

log = logging.getLogger(__name__)

ANONYMOUS = "anonymous"


def record(
    store: Store,
    who: Identity | None,
    action: str,
    target: str,
    detail: dict[str, object] | None = None,
) -> None:
    """Append an entry; a failed write is logged, never raised to the person acting."""
    actor = who.actor if who is not None else ANONYMOUS
    role = (who.role or None) if who is not None else None
    try:
        with store.transaction() as cur:
            insert_audit_entry(cur, datetime.now(UTC), actor, role, action, target, detail or {})
    except duckdb.Error:
        log.warning("could not write the audit entry %s %s by %s", action, target, actor,
                    exc_info=True)  # fmt: skip
