"""Migration 052 on a ledger written before it: the hourly summary gains its tier keys
without losing the hours whose calls retention has purged, and the hours whose calls are
kept are summed again from them (a long prompt lands in the long context tier)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import duckdb

import queries
from collectors.prices.book import DEPLOYMENT_TYPES, load_reference_data
from collectors.store import Store

FIXTURES = Path(__file__).parents[1] / "fixtures" / "prices"
PURGED_BEFORE = datetime(2026, 11, 10, tzinfo=UTC)


def ledger_before_052(path: Path) -> None:
    """A ledger at migration 047: a summary hour of purged calls, two kept calls."""
    with duckdb.connect(str(path)) as con:
        for step in queries.migrations():
            if step.name >= "052":
                break
            con.execute(step.body)
            if step.name != "000_schema_migrations":
                queries.run(con, "record_migration", version=step.name)
        con.execute("UPDATE retention_state SET calls_purged_before = ?", [PURGED_BEFORE])
        con.execute(
            "INSERT INTO usage_hourly BY NAME SELECT TIMESTAMPTZ '2026-11-01 09:00:00+00' AS hour, "
            "'d' AS deployment, 'gpt-5.6-luna' AS model, '' AS region, 'GlobalStandard' AS "
            "deployment_type, '' AS tenant_id, '' AS apim_subscription, '' AS service, "
            "'none' AS filter_action, '' AS incident_end_user, 7 AS requests, 0 AS errors, "
            "0 AS throttled, 0 AS unknown_deployment, 0 AS synthetic, 0 AS unknown_tokens, "
            "7000 AS input_tokens, 0 AS cached_input_tokens, 700 AS output_tokens, "
            "0 AS reasoning_tokens"
        )
        for call_id, prompt in (("short", 1_000), ("long", 250_000)):
            con.execute(
                "INSERT INTO calls BY NAME SELECT ? AS call_id, md5_number_lower(?) AS call_key, "
                "'test' AS source, TIMESTAMPTZ '2026-11-20 12:00:00+00' AS start_time, "
                "'chat' AS operation, 'd' AS deployment, 'attribute' AS deployment_source, "
                "'gpt-5.6-luna' AS model, 'GlobalStandard' AS deployment_type, 'ok' AS status, "
                "200 AS http_status, ? AS input_tokens, 0 AS cached_input_tokens, "
                "100 AS output_tokens, 0 AS reasoning_tokens, 'none' AS filter_action, "
                "'{}' AS attributes",
                [call_id, call_id, prompt],
            )
        # the summary of the kept calls, as the store kept it before 052
        con.execute(
            "INSERT INTO usage_hourly BY NAME SELECT TIMESTAMPTZ '2026-11-20 12:00:00+00' AS "
            "hour, 'd' AS deployment, 'gpt-5.6-luna' AS model, '' AS region, "
            "'GlobalStandard' AS deployment_type, '' AS tenant_id, '' AS apim_subscription, "
            "'' AS service, 'none' AS filter_action, '' AS incident_end_user, 2 AS requests, "
            "0 AS errors, 0 AS throttled, 0 AS unknown_deployment, 0 AS synthetic, "
            "0 AS unknown_tokens, 251000 AS input_tokens, 0 AS cached_input_tokens, "
            "200 AS output_tokens, 0 AS reasoning_tokens"
        )


def summary(store: Store) -> list[tuple[object, ...]]:
    return (
        store.cursor()
        .execute(
            "SELECT strftime(hour, '%d %H'), service_tier, context_tier, requests, input_tokens, "
            "cache_write_tokens FROM usage_hourly ORDER BY ALL"
        )
        .fetchall()
    )


def test_052_keeps_purged_hours_and_sums_kept_ones_again_by_tier(tmp_path: Path) -> None:
    path = tmp_path / "lens.duckdb"
    ledger_before_052(path)
    store = Store(path)  # applies 052, finds the summary out of step, sums it again
    try:
        assert summary(store) == [
            ("01 09", "default", "short", 7, 7000, 0),  # purged calls: the row stays
            ("20 12", "default", "short", 2, 251_000, 0),  # no threshold known yet
        ]
        load_reference_data(
            store, FIXTURES / "billing_modes.csv", DEPLOYMENT_TYPES, FIXTURES / "context_tiers.csv"
        )
        assert summary(store) == [
            ("01 09", "default", "short", 7, 7000, 0),
            ("20 12", "default", "long", 1, 250_000, 0),  # 250,000 > 200,000
            ("20 12", "default", "short", 1, 1_000, 0),
        ]
    finally:
        store.close()
