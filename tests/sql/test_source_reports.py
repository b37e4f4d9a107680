"""Sources page reports: the Azure resource each call's endpoint names, and a lag that is
never negative."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from collectors.store import Store
from queries.sources import source_coverage, source_health
from tests.normalizing import rows_batch
from tests.sql.test_chargeback import call

DAY = datetime(2026, 11, 3, 9, 15, tzinfo=UTC)


def test_coverage_names_azure_resources_by_their_first_label_and_other_hosts_whole(
    tmp_path: Path,
) -> None:
    store = Store(tmp_path / "lens.duckdb")
    endpoints = {
        "azure": "aoai-prod.openai.azure.com",
        "ai-services": "AOAI-WEU.cognitiveservices.azure.com",
        "apim": "contoso-gw.azure-api.net",
        "simulator": "127.0.0.1",
        "local": "localhost",
        "gateway": "llm-gateway.contoso.internal",
        "none": None,
    }
    calls = [
        replace(call(name, "acme", "d", "gpt-4o", "GlobalStandard", DAY, 10, 1), endpoint=host)
        for name, host in endpoints.items()
    ]
    store.write_many([rows_batch(calls)])
    coverage = source_coverage(store.cursor(), DAY - timedelta(days=1), DAY + timedelta(days=1))
    assert sorted(coverage["resource"]) == [
        "127.0.0.1",
        "aoai-prod",
        "aoai-weu",
        "contoso-gw",
        "llm-gateway.contoso.internal",
        "localhost",
        "unknown",
    ]


def test_a_watermark_ahead_of_the_clock_is_no_lag(tmp_path: Path) -> None:
    store = Store(tmp_path / "lens.duckdb")
    store.write_many(
        [rows_batch([call("c1", "acme", "d", "gpt-4o", "GlobalStandard", DAY, 10, 1)])]
    )
    ingested = store.health().last_ingest
    assert ingested is not None
    # The page's clock a minute behind the ingest (as a cached "now" or a skewed host is).
    health = source_health(store.cursor(), [], ingested - timedelta(minutes=1))
    otlp = health[health["source"] == "otlp"].iloc[0]
    assert otlp["lag_minutes"] == 0
