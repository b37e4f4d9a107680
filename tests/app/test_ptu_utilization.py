"""Azure Monitor's measured PTU utilisation on the Deployments page, beside the lens's
capacity used, and the metrics' request counts against the ledger on the Sources page.
Numbers by hand from tests/fixtures/seed/ (gpt-4o-prod: c01 1,000 + 200 and c02 2,048 +
400 tokens in one hour, c03 without token counts the hour after)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from queries import deployments, run
from queries.scope import Scope
from tests.app.conftest import APP
from tests.seeding import seeded_database

UTILIZATION = "AzureOpenAIProvisionedManagedUtilizationV2"


def seeded_with_metrics(tmp_path: Path) -> tuple[Path, datetime]:
    """The seed with c06 at half past the hour two hours ago: c01 and c02 fall in the hour
    ``first``, c03 in the hour after."""
    base = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=2)
    db = seeded_database(tmp_path / "lens.duckdb", base + timedelta(minutes=30))
    first, second = base - timedelta(hours=2), base - timedelta(hours=1)
    with duckdb.connect(str(db)) as con:
        rows = [
            ("gpt-4o-prod", first, UTILIZATION, None, 40.0, 70.0),
            ("gpt-4o-prod", second, UTILIZATION, None, 60.0, 90.0),
            ("gpt-4o-prod", first, "AzureOpenAIRequests", 5.0, None, None),
            ("gpt-4o-prod", second, "AzureOpenAIRequests", 3.0, None, None),
        ]
        for deployment, hour, metric, total, average, maximum in rows:
            con.execute(
                "INSERT INTO deployment_metrics VALUES ('aoai-prod', ?, ?, ?, ?, ?, ?, ?)",
                [deployment, hour, metric, total, average, maximum, "/subscriptions/s/x"],
            )
    return db, first


def open_page(monkeypatch: pytest.MonkeyPatch, db: Path, page: str) -> AppTest:
    monkeypatch.setenv("LENS_DB", str(db))
    registry = db.parent / "deployments.toml"
    registry.write_text(
        '[[deployment]]\nname = "gpt-4o-prod"\nmodel = "gpt-4o"\n'
        'deployment_type = "ProvisionedManaged"\nptu = 15\nptu_hourly_usd = 1.0\ntpm = 1000\n'
    )
    monkeypatch.setenv("LENS_DEPLOYMENTS", str(registry))
    at = AppTest.from_file(APP, default_timeout=30)
    at.run()
    at.switch_page(f"app_pages/{page}.py").run()
    assert not at.exception
    return at


def test_the_deployments_page_shows_azures_ptu_utilisation_beside_the_lenss(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db, _ = seeded_with_metrics(tmp_path)
    at = open_page(monkeypatch, db, "deployments")
    assert "Provisioned (PTU) utilisation" in [h.value for h in at.subheader]
    shown = next(
        frame.value for frame in at.dataframe if "azure_utilization" in frame.value.columns
    ).set_index("deployment")
    assert list(shown.index) == ["gpt-4o-prod"]
    row = shown.loc["gpt-4o-prod"]
    assert row["hours_measured"] == 2
    assert row["azure_utilization"] == pytest.approx(0.50)  # (40 + 60) / 2 %
    assert row["azure_peak"] == pytest.approx(0.90)
    assert row["lens_tokens"] == 3648  # 1,200 + 2,448; c03 has no counts
    assert row["lens_capacity_used"] == pytest.approx(3648 / 120_000)  # 1,000 tpm x 120 min
    # By PTU figures (15 PTU x 2,500 x 60 = 2,250,000 an hour): 4,424 input-equivalent
    # tokens in the first hour (c01 1,000 + 4 x 200, c02 1,024 uncached + 4 x 400), 0 in
    # the second (c03 has no counts): the mean of the two.
    assert row["lens_utilization"] == pytest.approx((4_424 / 2_250_000 + 0) / 2)


def test_the_deployments_page_shows_each_charged_hours_utilisation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # gpt-4o-prod at 15 PTU x $1: 15 x 2,500 input TPM per PTU x 60 = 2,250,000 tokens an
    # hour (ptu_figures.csv). In the hour `first`: c01 1,000 + 4 x 200 = 1,800 and c02
    # (2,048 - 1,024 cached) + 4 x 400 = 2,624, 4,424 in all; c03 the hour after has none.
    db, first = seeded_with_metrics(tmp_path)
    at = open_page(monkeypatch, db, "deployments")
    shown = next(frame.value for frame in at.dataframe if "idle_cost_usd" in frame.value.columns)
    # Charged from the first call's hour to the last whole hour: first to first + 3 h.
    assert [h.to_pydatetime() for h in shown["hour"]] == [
        first + timedelta(hours=n) for n in (3, 2, 1, 0)
    ]
    assert set(shown["deployment"]) == {"gpt-4o-prod"}
    assert list(shown["utilization"]) == pytest.approx([0, 0, 0, 4_424 / 2_250_000])
    assert list(shown["tokens"]) == [0, 0, 0, 3_648]
    assert list(shown["ptu_cost_usd"]) == pytest.approx([15.0] * 4)
    assert list(shown["idle_cost_usd"]) == pytest.approx(
        [15.0, 15.0, 15.0, 15.0 * (1 - 4_424 / 2_250_000)]  # $14.970507
    )


def test_an_asker_who_sees_only_some_tenants_gets_no_whole_deployment_numbers(
    tmp_path: Path,
) -> None:
    db, first = seeded_with_metrics(tmp_path)
    scope = Scope(first - timedelta(hours=1), first + timedelta(hours=4))
    with duckdb.connect(str(db)) as con:
        assert len(deployments.ptu_utilization(con, scope)) == 1
        narrowed = Scope(scope.start, scope.end, allowed_tenants=("contoso",))
        assert deployments.ptu_utilization(con, narrowed).empty
        con.execute(
            "INSERT INTO deployments (deployment, model, ptu, ptu_hourly_usd) "
            "VALUES ('gpt-4o-prod', 'gpt-4o', 15, 1.0)"
        )
        now = first + timedelta(hours=4)
        assert len(deployments.ptu_hours(con, scope, now)) == 4
        assert deployments.ptu_hours(con, narrowed, now).empty


def test_the_sources_page_compares_azures_request_counts_with_the_ledger(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db, first = seeded_with_metrics(tmp_path)
    with duckdb.connect(str(db)) as con:
        truth = run(
            con, "metrics_coverage", start=first - timedelta(days=1), end=first + timedelta(days=1)
        )
    at = open_page(monkeypatch, db, "sources")
    assert any(h.value.startswith("Telemetry coverage") for h in at.subheader)
    shown = next(d.value for d in at.dataframe if "azure_requests" in d.value.columns)
    assert shown["azure_requests"].sum() == 8  # 5 + 3 requests Azure counted
    assert shown["ledger_calls"].sum() == 3  # c01, c02, c03
    assert list(shown["coverage"]) == list(truth["coverage"])
    if len(shown) == 1:  # both hours on one UTC day
        assert shown["coverage"].iloc[0] == pytest.approx(3 / 8)
