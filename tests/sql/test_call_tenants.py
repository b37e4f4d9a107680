"""call_tenants: first matching rule wins; changing a rule re-attributes history."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from collectors.store import Store
from collectors.tenants import (
    TenantsFileError,
    default_tenants,
    read_tenants_file,
    write_tenants,
)
from queries.overview import spend_by_group
from queries.scope import Scope
from queries.usage import usage_in_scope
from tests.seeding import resum_usage_summary, seeded_database

ROOT = Path(__file__).resolve().parents[2]

# Seed calls (tests/fixtures/seed/calls.csv): tenant.id, end user, deployment, service
#   c01 contoso  u1  gpt-4o-prod  chat-api      c04 fabrikam u3 o4-mini     search
#   c02 contoso  u2  gpt-4o-prod  chat-api      c05 -        -  embed-small indexer
#   c03 fabrikam u3  gpt-4o-prod  search        c06 -        -  gpt-4o-mini chat-api
RULES = """
[[tenant]]
id = "contoso"
name = "Contoso"
[[tenant]]
id = "fabrikam"
name = "Fabrikam"
[[tenant]]
id = "platform"
name = "Platform team"
cost_center = "CC-9"
[[rule]]
kind = "{first}"
{first_match}
[[rule]]
kind = "deployment"
match = "embed-small"
tenant = "platform"
[[rule]]
kind = "end_user"
match = "u3"
tenant = "contoso"
"""


def resolved(store: Store) -> dict[str, tuple[str, str]]:
    rows = (
        store.cursor()
        .execute("SELECT call_id, tenant_id, resolved_by FROM call_tenants")
        .fetchall()
    )
    return {call_id: (tenant, rule) for call_id, tenant, rule in rows}


def tenants_file(tmp_path: Path, first: str, first_match: str = "") -> Path:
    path = tmp_path / "tenants.toml"
    path.write_text(RULES.format(first=first, first_match=first_match))
    return path


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(seeded_database(tmp_path / "lens.duckdb"))


def test_default_rule_is_the_tenant_attribute(store: Store) -> None:
    write_tenants(store, default_tenants())
    assert resolved(store) == {
        "c01": ("contoso", "attribute"),
        "c02": ("contoso", "attribute"),
        "c03": ("fabrikam", "attribute"),
        "c04": ("fabrikam", "attribute"),
        "c05": ("unassigned", "none"),  # no tenant.id and no other rule: shown, not dropped
        "c06": ("unassigned", "none"),
    }


def test_first_matching_rule_wins(store: Store, tmp_path: Path) -> None:
    write_tenants(store, read_tenants_file(tenants_file(tmp_path, "attribute")))
    got = resolved(store)
    assert got["c03"] == ("fabrikam", "attribute")  # attribute comes before end_user u3
    assert got["c05"] == ("platform", "deployment")
    assert got["c06"] == ("unassigned", "none")


def test_changing_a_rule_re_attributes_history(store: Store, tmp_path: Path) -> None:
    write_tenants(store, read_tenants_file(tenants_file(tmp_path, "attribute")))
    assert resolved(store)["c04"] == ("fabrikam", "attribute")
    # Put the service rule first: every call of "search" now goes to platform.
    first_match = 'match = "search"\ntenant = "platform"'
    write_tenants(store, read_tenants_file(tenants_file(tmp_path, "service", first_match)))
    got = resolved(store)
    assert got["c03"] == ("platform", "service")
    assert got["c04"] == ("platform", "service")
    assert got["c01"] == ("unassigned", "none")  # the attribute rule is gone
    assert got["c05"] == ("platform", "deployment")


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("[[tenant]]\nname = 'x'", "tenant 1: needs a non-empty string id"),
        ("[[tenant]]\nid = 'a'\n[[tenant]]\nid = 'a'", "same id"),
        ("[[rule]]\nkind = 'ip'", "rule 1: kind must be one of"),
        ("[[rule]]\nkind = 'service'\ntenant = 'a'", "needs a match value"),
        ("[[rule]]\nkind = 'service'\nmatch = 's'\ntenant = 'ghost'", "'ghost' is not"),
        ("[[tenant]]\nid = 'a'\nmonthly_budget_usd = 'lots'", "must be a number"),
        ("[[tenant]\nid = 'a'", "tenants.toml"),  # TOML syntax error names the file
    ],
)
def test_bad_tenants_file_names_the_entry(tmp_path: Path, text: str, words: str) -> None:
    path = tmp_path / "tenants.toml"
    path.write_text(text)
    with pytest.raises(TenantsFileError, match=words):
        read_tenants_file(path)


def test_shipped_example_file_is_valid() -> None:
    config = read_tenants_file(ROOT / "tenants.example.toml")
    assert [t.tenant_id for t in config.tenants] == [
        "contoso-support", "fabrikam-search", "northwind-hr", "adatum-legal"
    ]  # fmt: skip
    assert [r.kind for r in config.rules] == [
        "attribute", "apim_subscription", "deployment", "service", "end_user"
    ]  # fmt: skip


def test_apim_subscription_rule(store: Store, tmp_path: Path) -> None:
    with store.transaction() as con:  # c06 came through API Management subscription sub-9
        con.execute("UPDATE calls SET apim_subscription = 'sub-9' WHERE call_id = 'c06'")
        resum_usage_summary(con)
    path = tmp_path / "tenants.toml"
    path.write_text(
        '[[tenant]]\nid = "platform"\n[[rule]]\nkind = "attribute"\n'
        '[[rule]]\nkind = "apim_subscription"\nmatch = "sub-9"\ntenant = "platform"\n'
    )
    write_tenants(store, read_tenants_file(path))
    got = resolved(store)
    assert got["c06"] == ("platform", "apim_subscription")
    assert got["c01"] == ("contoso", "attribute")
    assert got["c05"] == ("unassigned", "none")


def test_spend_by_tenant_under_an_end_user_rule_equals_the_calls(
    store: Store, tmp_path: Path
) -> None:
    """An end-user rule is resolved from the calls (the hourly summary keeps no end users):
    the Overview's spend per tenant still equals pricing and resolving each call."""
    first_match = 'match = "u3"\ntenant = "platform"'
    write_tenants(store, read_tenants_file(tenants_file(tmp_path, "end_user", first_match)))
    cur = store.cursor()
    truth = dict(
        cur.execute(
            "SELECT t.tenant_id, sum(c.payg_cost_usd) FROM call_costs AS c "
            "JOIN call_tenants AS t USING (call_id) GROUP BY ALL"
        ).fetchall()
    )
    ((first, last),) = cur.execute("SELECT min(start_time), max(start_time) FROM calls").fetchall()
    scope = Scope(first - timedelta(minutes=30), last + timedelta(minutes=30))
    shown = spend_by_group(cur, usage_in_scope(cur, scope), "tenant_id")
    assert {row.tenant_id: float(row.payg_cost_usd) for row in shown.itertuples()} == (
        pytest.approx({tenant: float(cost) for tenant, cost in truth.items()}, abs=1e-12)
    )
    assert resolved(store)["c03"] == ("platform", "end_user")
