"""The dashboard's global filters as bound parameters of the report queries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
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

    def previous(self) -> Scope:
        """The same filters over the period of equal length just before this one."""
        length = self.end - self.start
        return Scope(
            self.start - length,
            self.start,
            self.tenants,
            self.deployments,
            self.models,
            self.deployment_types,
            self.services,
        )
