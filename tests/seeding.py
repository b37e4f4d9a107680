"""Real DuckDB files built from the schema and the CSV seed in tests/fixtures/seed/."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb

import queries
from collectors.prices.book import DEPLOYMENT_TYPES, load_reference_data
from collectors.rows import CallRow, FilterResultRow
from collectors.store import Store
from collectors.tenants import default_tenants, write_tenants
from collectors.writes import count_latency_days
from tests.normalizing import rows_batch

SEED = Path(__file__).parent / "fixtures" / "seed"
TEST_PRICES = Path(__file__).parent / "fixtures" / "prices" / "price_book.csv"


def ledger_holding(
    path: Path,
    calls: list[CallRow],
    verdicts: list[FilterResultRow] | None = None,
    *,
    reference_data: bool = False,
) -> Store:
    """A store at ``path`` holding ``calls`` (and ``verdicts``) as one OTLP write, tenants
    by the default rule (the tenant.id attribute names the tenant); with ``reference_data``,
    the shipped price book and deployment types too."""
    store = Store(path)
    if reference_data:
        load_reference_data(store)
    write_tenants(store, default_tenants())
    store.write_many([rows_batch(calls, verdicts or [], "otlp")])
    return store


def seeded_database(path: Path, latest: datetime | None = None, tenants: bool = False) -> Path:
    """Create ``path`` with the schema, the test price book and the seed rows, the latest
    call at ``latest``; with ``tenants``, the default tenant rule (the server's without a
    tenants file) too."""
    store = Store(path)
    load_reference_data(store, TEST_PRICES, DEPLOYMENT_TYPES)
    if tenants:
        write_tenants(store, default_tenants())
    store.close()
    latest = latest or datetime.now(UTC) - timedelta(hours=1)
    con = duckdb.connect(str(path))
    try:
        con.execute(
            "INSERT INTO calls BY NAME SELECT *, md5_number_lower(call_id) AS call_key "
            "FROM read_csv($csv, header = true, "
            "types = {'start_time': 'TIMESTAMPTZ', 'attributes': 'JSON'})",
            {"csv": str(SEED / "calls.csv")},
        )
        con.execute(
            "UPDATE calls "
            "SET start_time = start_time + ($latest - (SELECT max(start_time) FROM calls))",
            {"latest": latest},
        )
        con.execute(
            "INSERT INTO filter_results BY NAME SELECT * FROM read_csv($csv, header = true)",
            {"csv": str(SEED / "filter_results.csv")},
        )
        con.execute(  # as the store writes them: with their call's start
            "UPDATE filter_results AS r SET start_time = c.start_time "
            "FROM calls AS c WHERE c.call_id = r.call_id"
        )
        con.execute("INSERT INTO ingest_log VALUES ($at, 'seed', 6, 0)", {"at": latest})
        resum_usage_summary(con)
    finally:
        con.close()
    return path


def resum_usage_summary(con: duckdb.DuckDBPyConnection) -> None:
    """Sum the hourly usage summary and the latency sketch again after calls were written or
    edited by SQL, as the store does when it opens a file whose summary is out of step."""
    queries.run(con, "clear_usage_hourly")
    queries.run(con, "fill_usage_days", days=None)
    count_latency_days(con, None)


def route_seed_calls(path: Path) -> None:
    """Give two seed calls a route (docs/attributes.md, "Routing"): c01 asked for Priority
    and was served at default, on its first endpoint; c02 failed over to aoai-prod from the
    endpoint first in priority order."""
    con = duckdb.connect(str(path))
    try:
        con.execute(
            "UPDATE calls SET attempts = 1, service_tier_requested = 'priority', "
            "service_tier = 'default' WHERE call_id = 'c01'"
        )
        con.execute(
            "UPDATE calls SET attempts = 2, "
            "failover_from = 'https://aoai-backup.openai.azure.com' WHERE call_id = 'c02'"
        )
    finally:
        con.close()


def add_throttled_call(path: Path, call_id: str, deployment: str, when: datetime) -> None:
    """A copy of seed call c03 (fabrikam, answered 429, no tokens) sent to ``deployment`` at
    ``when``: a first call that starts a provisioned deployment's charged hours and uses
    none of its capacity."""
    con = duckdb.connect(str(path))
    try:
        con.execute(
            "INSERT INTO calls SELECT * REPLACE ("
            "$call_id AS call_id, md5_number_lower($call_id) AS call_key, "
            "$deployment AS deployment, $when AS start_time) "
            "FROM calls WHERE call_id = 'c03'",
            {"call_id": call_id, "deployment": deployment, "when": when},
        )
        resum_usage_summary(con)
    finally:
        con.close()
