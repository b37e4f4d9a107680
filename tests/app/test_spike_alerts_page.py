"""A fired spike on the Alerts page links to the calls of its day and scope."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from app.alerts import AlertsConfig, check_alerts
from tests.app.test_alerts_page import open_alerts
from tests.sql.test_daily_spikes import seed_weeks


def test_a_spike_alert_links_to_the_calls_that_drove_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = seed_weeks(tmp_path / "lens.duckdb")
    config = AlertsConfig(forecast=False)
    check_alerts(store, config, datetime(2026, 11, 25, 18, tzinfo=UTC), sleep=lambda _: None)
    store.close()
    at = open_alerts(tmp_path / "lens.duckdb", monkeypatch)
    next(box for box in at.selectbox if box.label == "Last").select(90)
    at.run()
    table = at.dataframe[-1].value
    spikes = table[table["scope_kind"].str.endswith("_spike")]
    assert sorted(zip(spikes["scope_kind"], spikes["calls"], strict=True)) == [
        ("deployment_spike", "calls?range=custom&from=2026-11-25&to=2026-11-25&deployment=mini"),
        ("tenant_spike", "calls?range=custom&from=2026-11-25&to=2026-11-25&tenant=acme"),
    ]
    assert table.loc[~table["scope_kind"].str.endswith("_spike"), "calls"].isna().all()
