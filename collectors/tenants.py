"""tenants.toml -> tenant and rule rows in the store.

A tenant is whoever is charged (DESIGN section 5). The file lists tenants and the ordered
rules that resolve a call to one; resolution itself is the ``call_tenants`` view, so a
changed rule re-attributes history with no backfill. Without a file the one rule is
``attribute``: a call's own ``tenant.id`` span attribute names its tenant.

    [[tenant]]
    id = "contoso"                 # what calls carry, e.g. in tenant.id
    name = "Contoso Ltd"
    cost_center = "CC-1001"
    monthly_token_quota = 50_000_000
    monthly_budget_usd = 500

    [[cost_center]]                # a budget over all tenants of a cost center
    id = "CC-1001"
    monthly_budget_usd = 2000

    [[rule]]                       # tried in file order, first match wins
    kind = "attribute"
    [[rule]]
    kind = "deployment"            # or apim_subscription, end_user, service
    match = "gpt-4o-contoso"
    tenant = "contoso"
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Final

import queries
from collectors.store import Store
from lens_errors import ConfigError

RULE_KINDS: Final = ("attribute", "apim_subscription", "end_user", "deployment", "service")
DEFAULT_RULES: Final = (("attribute", None, None),)


class TenantsFileError(ConfigError, ValueError):
    """The tenants file cannot be used; the message names the entry and the problem."""


@dataclass(frozen=True)
class Tenant:
    tenant_id: str
    name: str
    cost_center: str | None
    monthly_token_quota: int | None
    monthly_budget_usd: Decimal | None


@dataclass(frozen=True)
class TenantRule:
    kind: str
    match: str | None
    tenant_id: str | None


@dataclass(frozen=True)
class CostCenter:
    cost_center: str
    monthly_budget_usd: Decimal


@dataclass(frozen=True)
class TenantsConfig:
    tenants: tuple[Tenant, ...]
    rules: tuple[TenantRule, ...]
    cost_centers: tuple[CostCenter, ...] = ()


def default_tenants() -> TenantsConfig:
    return TenantsConfig((), tuple(TenantRule(*rule) for rule in DEFAULT_RULES))


def read_tenants_file(path: Path) -> TenantsConfig:
    """Parse and check a tenants file."""
    try:
        document = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise TenantsFileError(f"{path}: {exc}") from None
    tenants = tuple(
        _tenant(entry, f"{path}: tenant {n}")
        for n, entry in enumerate(document.get("tenant", []), 1)
    )
    known = {t.tenant_id for t in tenants}
    if len(known) != len(tenants):
        raise TenantsFileError(f"{path}: two tenants have the same id")
    rules = tuple(
        _rule(entry, known, f"{path}: rule {n}")
        for n, entry in enumerate(document.get("rule", []), 1)
    )
    cost_centers = tuple(
        _cost_center(entry, f"{path}: cost_center {n}")
        for n, entry in enumerate(document.get("cost_center", []), 1)
    )
    if len({c.cost_center for c in cost_centers}) != len(cost_centers):
        raise TenantsFileError(f"{path}: two cost centers have the same id")
    return TenantsConfig(tenants, rules or default_tenants().rules, cost_centers)


def _budget(entry: dict[str, Any], where: str) -> Decimal | None:
    budget = entry.get("monthly_budget_usd")
    try:
        budget_usd = None if budget is None else Decimal(str(budget))
    except InvalidOperation:
        raise TenantsFileError(f"{where}: monthly_budget_usd must be a number") from None
    if budget_usd is not None and budget_usd < 0:
        raise TenantsFileError(f"{where}: monthly_budget_usd must be >= 0")
    return budget_usd


def _cost_center(entry: Any, where: str) -> CostCenter:
    if not isinstance(entry, dict) or not isinstance(entry.get("id"), str) or not entry["id"]:
        raise TenantsFileError(f"{where}: needs a non-empty string id (the tenants' cost_center)")
    budget_usd = _budget(entry, where)
    if budget_usd is None:
        raise TenantsFileError(f"{where}: needs monthly_budget_usd")
    return CostCenter(entry["id"], budget_usd)


def _tenant(entry: Any, where: str) -> Tenant:
    if not isinstance(entry, dict) or not isinstance(entry.get("id"), str) or not entry["id"]:
        raise TenantsFileError(f"{where}: needs a non-empty string id")
    quota = entry.get("monthly_token_quota")
    if quota is not None and (not isinstance(quota, int) or quota < 0):
        raise TenantsFileError(f"{where}: monthly_token_quota must be a whole number >= 0")
    budget_usd = _budget(entry, where)
    return Tenant(
        tenant_id=entry["id"],
        name=str(entry.get("name", entry["id"])),
        cost_center=None if entry.get("cost_center") is None else str(entry["cost_center"]),
        monthly_token_quota=quota,
        monthly_budget_usd=budget_usd,
    )


def _rule(entry: Any, known: set[str], where: str) -> TenantRule:
    kind = entry.get("kind") if isinstance(entry, dict) else None
    if kind not in RULE_KINDS:
        raise TenantsFileError(f"{where}: kind must be one of {', '.join(RULE_KINDS)}")
    if kind == "attribute":
        return TenantRule("attribute", None, None)
    match, tenant = entry.get("match"), entry.get("tenant")
    if not isinstance(match, str) or not match:
        raise TenantsFileError(f"{where}: a {kind} rule needs a match value")
    if tenant not in known:
        raise TenantsFileError(f"{where}: tenant {tenant!r} is not a [[tenant]] of the file")
    return TenantRule(kind, match, tenant)


def write_tenants(store: Store, config: TenantsConfig) -> None:
    """Replace the store's tenants and rules with ``config``, in one transaction."""
    with store.transaction() as con:
        queries.run(con, "clear_tenant_rules")
        queries.run(con, "clear_tenants")
        queries.run(con, "clear_cost_centers")
        for center in config.cost_centers:
            queries.run(
                con,
                "insert_cost_center",
                cost_center=center.cost_center,
                monthly_budget_usd=center.monthly_budget_usd,
            )
        for t in config.tenants:
            queries.run(
                con,
                "insert_tenant",
                tenant_id=t.tenant_id,
                tenant_name=t.name,
                cost_center=t.cost_center,
                monthly_token_quota=t.monthly_token_quota,
                monthly_budget_usd=t.monthly_budget_usd,
            )
        for position, rule in enumerate(config.rules, 1):
            queries.run(
                con,
                "insert_tenant_rule",
                position=position,
                kind=rule.kind,
                match=rule.match,
                tenant_id=rule.tenant_id,
            )
