"""The dashboard's global filters as bound parameters of the report queries."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Final

NO_TENANT: Final = "\x00none"  # a tenant id no call resolves to


def chart_bucket(start: datetime, end: datetime) -> timedelta:
    """The charts' time bucket for [start, end): 24 to 200 points. A whole number of hours
    from UTC midnight, so a scope's usage is summed per bucket before it is priced
    (``queries.usage.usage_in_scope``)."""
    span = end - start
    if span <= timedelta(days=2):
        return timedelta(hours=1)
    if span <= timedelta(days=31):
        return timedelta(hours=6)
    return timedelta(days=1)


@dataclass(frozen=True)
class Scope:
    """A time range [start, end) and, per dimension, the values to keep (empty = all)."""

    start: datetime
    end: datetime
    tenants: tuple[str, ...] = ()
    deployments: tuple[str, ...] = ()
    models: tuple[str, ...] = ()
    deployment_types: tuple[str, ...] = ()
    services: tuple[str, ...] = ()
    # The tenants the asker may see (None: every tenant). Applied here, to the one tenant
    # list every scoped report binds, so no page, export or route can forget it.
    allowed_tenants: tuple[str, ...] | None = None

    @property
    def bucket(self) -> timedelta:
        """The charts' time bucket for the scope's range (``chart_bucket``)."""
        return chart_bucket(self.start, self.end)

    def tenant_list(self) -> list[str]:
        """The ``$tenants`` bound: the chosen tenants the asker may see; when they may see
        only some, the chosen among those (all of those when none is chosen), and a tenant
        no call can have when none of the chosen is theirs, so the answer is empty."""
        if self.allowed_tenants is None:
            return list(self.tenants)
        if not self.tenants:
            return list(self.allowed_tenants)
        kept = [tenant for tenant in self.tenants if tenant in self.allowed_tenants]
        return kept or [NO_TENANT]

    def params(self) -> dict[str, Any]:
        """The ``$start``, ``$end`` and filter lists every scoped report declares."""
        return {
            "start": self.start,
            "end": self.end,
            "tenants": self.tenant_list(),
            "deployments": list(self.deployments),
            "models": list(self.models),
            "types": list(self.deployment_types),
            "services": list(self.services),
        }

    def previous(self, now: datetime | None = None) -> Scope:
        """The same filters over the period just before this one, as long as this one has
        lasted by ``now`` (a period not over is compared with as much time before it)."""
        length = self.end - self.start
        elapsed = length if now is None else max(timedelta(0), min(length, now - self.start))
        start = self.start - length
        return replace(self, start=start, end=start + elapsed)
