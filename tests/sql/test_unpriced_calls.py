"""The Calls explorer's unpriced calls (``calls?priced=no``): the hourly summary says where to
look, each call is priced on its own. Expected lists are worked out by hand.

Two days, 2026-11-10 (D) and 11-11, GlobalStandard unless said; the test price book plus
gpt-new, priced from 2026-11-11; ptu-paid is provisioned with a capacity price, ptu-free is
provisioned and not in the registry:
  a1 D 09:00     chat      gpt-4o       contoso   1,000 in, 100 out   priced
  a2 D 09:30     ptu-free  gpt-4o       fabrikam  1,000 in, 100 out   unpriced: no capacity price
                                                  (end user u-big)
  a3 D 10:00     ptu-paid  gpt-4o       contoso   1,000 in, 100 out   priced (its capacity)
  a4 D 10:15     mystery   gpt-mystery  contoso   500 in, 50 out      unpriced: no price
  a5 D 10:20     mystery   gpt-mystery  contoso   failed, no tokens   not unpriced: no tokens
  a6 D 11:00     new       gpt-new      contoso   400 in, 40 out      unpriced: before its price
  a7 D 11:10     embed     embedding    contoso   100 in, 0 out       priced (input price)
  a8 D 11:20     embed     embedding    contoso   100 in, 5 out       unpriced: no output price
  b1 D+1 08:00   new       gpt-new      contoso   400 in, 40 out      priced from this day
  b2 D+1 09:00   ptu-free  gpt-4o       fabrikam  1,000 in, 100 out   unpriced
  b3 D+1 09:30   mystery   gpt-mystery  fabrikam  500 in, 50 out      unpriced (end user u-big)
  b4 D+1 10:00   ptu-free  gpt-4o       contoso   1,000 in, 100 out   unpriced
  b5 D+1 10:30   ptu-free  gpt-4o       contoso   failed, no tokens   not unpriced: no tokens
a7 and a8 share an hour's group of usage, unpriced (it has output tokens): a7 is priced all
the same. The summary counts 4 calls in unpriced usage on D+1 (b2, b3, b4 and b5), of which
3 are unpriced.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from collectors.deployments import Deployment, write_deployments
from collectors.prices.book import DEPLOYMENT_TYPES, load_reference_data
from collectors.rows import CallRow
from collectors.store import Store
from collectors.tenants import Tenant, TenantRule, TenantsConfig, default_tenants, write_tenants
from queries import calls
from queries.calls import CallSearch
from queries.scope import Scope
from tests.normalizing import rows_batch
from tests.seeding import TEST_PRICES
from tests.sql.test_call_merge import call

D = datetime(2026, 11, 10, tzinfo=UTC)
PTU = "ProvisionedManaged"
BIG = {"end_user": "u-big"}
GPT_NEW_PRICE = "gpt-new,GlobalStandard,,1.00,0.50,4.00,2026-11-11,,test\n"
WEEK = Scope(D - timedelta(days=3), D + timedelta(days=4))
UNPRICED = ["b4", "b3", "b2", "a8", "a6", "a4", "a2"]


def on(
    call_id: str, at: timedelta, deployment: str, model: str, tenant: str, **fields: object
) -> CallRow:
    fields.setdefault("deployment_type", "GlobalStandard")
    return call(
        call_id, "otlp", start_time=D + at, deployment=deployment,
        deployment_source="attribute", model=model, tenant_id=tenant, **fields,
    )  # fmt: skip


def hm(hours: int, minutes: int = 0, days: int = 0) -> timedelta:
    return timedelta(days=days, hours=hours, minutes=minutes)


TOKENS = {"input_tokens": 1000, "output_tokens": 100}
MYSTERY = {"input_tokens": 500, "output_tokens": 50}
FAILED = {"status": "error", "http_status": 500}
EMBED = "text-embedding-3-small"
CALLS = [
    on("a1", hm(9), "chat", "gpt-4o", "contoso", **TOKENS),
    on("a2", hm(9, 30), "ptu-free", "gpt-4o", "fabrikam", deployment_type=PTU, **TOKENS, **BIG),
    on("a3", hm(10), "ptu-paid", "gpt-4o", "contoso", deployment_type=PTU, **TOKENS),
    on("a4", hm(10, 15), "mystery", "gpt-mystery", "contoso", **MYSTERY),
    on("a5", hm(10, 20), "mystery", "gpt-mystery", "contoso", **FAILED),
    on("a6", hm(11), "new", "gpt-new", "contoso", input_tokens=400, output_tokens=40),
    on("a7", hm(11, 10), "embed", EMBED, "contoso", input_tokens=100, output_tokens=0),
    on("a8", hm(11, 20), "embed", EMBED, "contoso", input_tokens=100, output_tokens=5),
    on("b1", hm(8, days=1), "new", "gpt-new", "contoso", input_tokens=400, output_tokens=40),
    on("b2", hm(9, days=1), "ptu-free", "gpt-4o", "fabrikam", deployment_type=PTU, **TOKENS),
    on("b3", hm(9, 30, days=1), "mystery", "gpt-mystery", "fabrikam", **MYSTERY, **BIG),
    on("b4", hm(10, days=1), "ptu-free", "gpt-4o", "contoso", deployment_type=PTU, **TOKENS),
    on("b5", hm(10, 30, days=1), "ptu-free", "gpt-4o", "contoso", deployment_type=PTU, **FAILED),
]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    prices = tmp_path / "price_book.csv"
    prices.write_text(TEST_PRICES.read_text(encoding="utf-8") + GPT_NEW_PRICE, encoding="utf-8")
    store = Store(tmp_path / "lens.duckdb")
    load_reference_data(store, prices, DEPLOYMENT_TYPES)
    write_tenants(store, default_tenants())
    paid = Deployment("ptu-paid", None, None, "gpt-4o", PTU, 10, Decimal("2"), None)
    write_deployments(store, (paid,))
    store.write_many([rows_batch(CALLS, [], "otlp")])
    yield store
    store.close()


def unpriced(store: Store, scope: Scope, limit: int = 50, **search: str) -> list[str]:
    found = calls.calls_search(store.cursor(), scope, CallSearch(unpriced=True, **search), limit)
    return list(found["call_id"])


def test_every_unpriced_call_newest_first(store: Store) -> None:
    assert unpriced(store, WEEK) == UNPRICED


def test_the_same_calls_as_pricing_each_call(store: Store) -> None:
    # The cost view priced call by call (ptu-free's calls are priced there: their hours
    # have no price, which only the capacity registry says).
    costed = store.cursor().execute(
        "SELECT call_id FROM call_costs WHERE NOT priced AND input_tokens + output_tokens > 0 "
        "ORDER BY start_time DESC"
    )
    assert [row[0] for row in costed.fetchall()] == ["b3", "a8", "a6", "a4"]


@pytest.mark.parametrize("limit", range(1, 9))
def test_the_limit_keeps_the_newest(store: Store, limit: int) -> None:
    # A limit of 4 reads D+1 first (4 calls counted there, 3 unpriced), then D too.
    assert unpriced(store, WEEK, limit) == UNPRICED[:limit]


def test_with_a_tenant_chosen(store: Store) -> None:
    contoso = Scope(WEEK.start, WEEK.end, tenants=("contoso",))
    assert unpriced(store, contoso) == ["b4", "a8", "a6", "a4"]
    assert unpriced(store, contoso, limit=1) == ["b4"]
    fabrikam = Scope(WEEK.start, WEEK.end, tenants=("fabrikam",))
    assert unpriced(store, fabrikam, limit=2) == ["b3", "b2"]
    assert unpriced(store, fabrikam) == ["b3", "b2", "a2"]


def test_with_a_tenant_resolved_by_end_user(store: Store) -> None:
    # An end-user rule first (the summary keeps no end users: the usage is read from the
    # calls): a2 and b3 are u-big's, of bigco; the attribute rule places the others.
    big = Tenant("bigco", "BigCo", None, None, None)
    rules = (TenantRule("end_user", "u-big", "bigco"), TenantRule("attribute", None, None))
    write_tenants(store, TenantsConfig((big,), rules))
    bigco = Scope(WEEK.start, WEEK.end, tenants=("bigco",))
    assert unpriced(store, bigco) == ["b3", "a2"]
    fabrikam = Scope(WEEK.start, WEEK.end, tenants=("fabrikam",))
    assert unpriced(store, fabrikam) == ["b2"]
    assert unpriced(store, WEEK, limit=4) == UNPRICED[:4]


def test_with_the_other_filters_and_search_fields(store: Store) -> None:
    ptu_free = Scope(WEEK.start, WEEK.end, deployments=("ptu-free",))
    assert unpriced(store, ptu_free) == ["b4", "b2", "a2"]
    provisioned = Scope(WEEK.start, WEEK.end, deployment_types=(PTU,))
    assert unpriced(store, provisioned) == ["b4", "b2", "a2"]  # not ptu-paid's a3
    mystery = Scope(WEEK.start, WEEK.end, models=("gpt-mystery",))
    assert unpriced(store, mystery) == ["b3", "a4"]  # not a5, which has no tokens
    assert unpriced(store, WEEK, id_prefix="A") == ["a8", "a6", "a4", "a2"]
    assert unpriced(store, WEEK, limit=1, id_prefix="a") == ["a8"]
    assert unpriced(store, WEEK, status="error") == []


def test_a_price_that_starts_inside_the_range(store: Store) -> None:
    new = Scope(WEEK.start, WEEK.end, deployments=("new",))
    assert unpriced(store, new) == ["a6"]  # b1, the day after, is priced
    day_after = Scope(D + timedelta(days=1), WEEK.end, deployments=("new",))
    assert unpriced(store, day_after) == []


def test_edges_of_the_range_are_read_call_by_call(store: Store) -> None:
    # From 10:10 on D (a partial hour: a4 is read from the calls) to 09:45 on D+1 (b3 is).
    scope = Scope(D + hm(10, 10), D + hm(9, 45, days=1))
    assert unpriced(store, scope) == ["b3", "b2", "a8", "a6", "a4"]
    assert unpriced(store, scope, limit=2) == ["b3", "b2"]


def test_none_when_every_call_is_priced(store: Store) -> None:
    chat = Scope(WEEK.start, WEEK.end, deployments=("chat", "ptu-paid"))
    found = calls.calls_search(store.cursor(), chat, CallSearch(unpriced=True), 50)
    assert found.empty
    assert list(found.columns) == list(
        calls.calls_search(store.cursor(), chat, CallSearch(), 50).columns
    )
