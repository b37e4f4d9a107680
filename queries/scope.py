"""The dashboard's global filters as bound parameters of the report queries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any


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

    def params(self) -> dict[str, Any]:
        """The ``$start``, ``$end`` and filter lists every scoped report declares."""
        return {
            "start": self.start,
            "end": self.end,
            "tenants": list(self.tenants),
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
        return Scope(
            start,
            start + elapsed,
            self.tenants,
            self.deployments,
            self.models,
            self.deployment_types,
            self.services,
        )
