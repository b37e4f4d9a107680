"""deployments.toml -> the deployments registry in the store.

What calls cannot say about a deployment: its model and type when spans omit them, and for
provisioned (PTU) deployments the capacity and its price, which the cost views allocate to
tenants hour by hour.

    [[deployment]]
    name = "gpt-4o-ptu"
    resource = "aoai-prod-swc"
    region = "Sweden Central"
    model = "gpt-4o"
    deployment_type = "ProvisionedManaged"
    ptu = 50
    ptu_hourly_usd = 2.0            # hourly billing: PTUs x price per PTU-hour
    # reserved_monthly_usd = 13000  # or a monthly reservation, spread over the month's hours
    tpm = 450000                    # tokens-per-minute quota, when known
    monthly_budget_usd = 20000      # alerts fire at LENS_ALERT_THRESHOLDS_PCT of it
    since = 2026-11-01              # provisioned from (a date, UTC, or an offset date-time)

Hours before ``since``, and before the deployment's first call in the ledger, are not
charged.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import queries
from collectors.store import Store
from lens_errors import ConfigError


class DeploymentsFileError(ConfigError, ValueError):
    """The deployments file cannot be used; the message names the entry and the problem."""


@dataclass(frozen=True)
class Deployment:
    deployment: str
    resource: str | None
    region: str | None
    model: str | None
    deployment_type: str | None
    ptu: int | None
    ptu_hourly_usd: Decimal | None
    reserved_monthly_usd: Decimal | None
    tpm_quota: int | None = None
    monthly_budget_usd: Decimal | None = None
    since: datetime | None = None  # provisioned from (UTC)


def read_deployments_file(path: Path) -> tuple[Deployment, ...]:
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise DeploymentsFileError(f"{path}: {exc}") from None
    entries = document.get("deployment", [])
    found = tuple(_deployment(e, f"{path}: deployment {n}") for n, e in enumerate(entries, 1))
    if len({d.deployment for d in found}) != len(found):
        raise DeploymentsFileError(f"{path}: two deployments have the same name")
    return found


def _text(entry: dict[str, Any], key: str) -> str | None:
    value = entry.get(key)
    return None if value is None else str(value)


def _money(entry: dict[str, Any], key: str, where: str) -> Decimal | None:
    value = entry.get(key)
    if value is None:
        return None
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise DeploymentsFileError(f"{where}: {key} must be a number") from None
    if amount < 0:
        raise DeploymentsFileError(f"{where}: {key} must be >= 0")
    return amount


def _since(entry: dict[str, Any], where: str) -> datetime | None:
    """A TOML date (midnight UTC) or a date-time with its offset, as UTC."""
    value = entry.get("since")
    if value is None:
        return None
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise DeploymentsFileError(
                f"{where}: since needs a UTC offset (e.g. 2026-11-01T08:00:00Z) or a plain date"
            )
        return value.astimezone(UTC)
    if isinstance(value, date):
        return datetime.combine(value, time(), UTC)
    raise DeploymentsFileError(f"{where}: since must be a date, e.g. since = 2026-11-01")


def _deployment(entry: Any, where: str) -> Deployment:
    if not isinstance(entry, dict) or not isinstance(entry.get("name"), str) or not entry["name"]:
        raise DeploymentsFileError(f"{where}: needs a non-empty string name")
    ptu = entry.get("ptu")
    if ptu is not None and (not isinstance(ptu, int) or ptu <= 0):
        raise DeploymentsFileError(f"{where}: ptu must be a whole number > 0")
    hourly = _money(entry, "ptu_hourly_usd", where)
    reserved = _money(entry, "reserved_monthly_usd", where)
    if hourly is not None and reserved is not None:
        raise DeploymentsFileError(
            f"{where}: give ptu_hourly_usd or reserved_monthly_usd, not both"
        )
    if hourly is not None and ptu is None:
        raise DeploymentsFileError(f"{where}: ptu_hourly_usd needs ptu")
    tpm = entry.get("tpm")
    if tpm is not None and (not isinstance(tpm, int) or isinstance(tpm, bool) or tpm <= 0):
        raise DeploymentsFileError(f"{where}: tpm (tokens per minute) must be a whole number > 0")
    return Deployment(
        deployment=entry["name"],
        resource=_text(entry, "resource"),
        region=_text(entry, "region"),
        model=_text(entry, "model"),
        deployment_type=_text(entry, "deployment_type"),
        ptu=ptu,
        ptu_hourly_usd=hourly,
        reserved_monthly_usd=reserved,
        tpm_quota=tpm,
        monthly_budget_usd=_money(entry, "monthly_budget_usd", where),
        since=_since(entry, where),
    )


def write_deployments(store: Store, deployments: tuple[Deployment, ...]) -> None:
    """Replace the registry with ``deployments``, in one transaction."""
    with store.transaction() as con:
        queries.run(con, "clear_deployments")
        for d in deployments:
            queries.run(
                con,
                "insert_deployment",
                deployment=d.deployment,
                resource=d.resource,
                region=d.region,
                model=d.model,
                deployment_type=d.deployment_type,
                ptu=d.ptu,
                ptu_hourly_usd=d.ptu_hourly_usd,
                reserved_monthly_usd=d.reserved_monthly_usd,
                tpm_quota=d.tpm_quota,
                monthly_budget_usd=d.monthly_budget_usd,
                since=d.since,
            )
