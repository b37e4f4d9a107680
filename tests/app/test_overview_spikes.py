"""The Overview's "Daily spikes" panel, behind its toggle, on the seeded weekly series of
tests/sql/test_daily_spikes.py: the one known spike is listed, no Monday; each row links
to the Calls explorer on its day and tenant or deployment."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.app.conftest import APP
from tests.sql.test_daily_spikes import SPIKE, seed_weeks


def test_the_spike_panel_lists_the_known_spike(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed_weeks(tmp_path / "lens.duckdb").close()
    monkeypatch.setenv("LENS_DB", str(tmp_path / "lens.duckdb"))
    at = AppTest.from_file(APP, default_timeout=30)
    at.query_params.update({"range": "custom", "from": "2026-11-02", "to": "2026-11-29"})
    at.run()
    assert not at.exception
    assert not at.dataframe or "metric" not in at.dataframe[0].value.columns  # off by default
    toggle = next(t for t in at.toggle if t.label == "Daily spikes")
    toggle.set_value(True).run()
    assert not at.exception
    spikes = next(d.value for d in at.dataframe if "metric" in d.value.columns)
    assert set(spikes["day"]) == {SPIKE}
    assert sorted(zip(spikes["scope"], spikes["metric"], strict=True)) == [
        ("acme", "spend_usd"), ("acme", "tokens"), ("mini", "spend_usd"), ("mini", "tokens"),
    ]  # fmt: skip
    assert set(spikes["calls"]) == {
        "calls?range=custom&from=2026-11-25&to=2026-11-25&tenant=acme",
        "calls?range=custom&from=2026-11-25&to=2026-11-25&deployment=mini",
    }


def test_the_spike_link_opens_the_calls_that_drove_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed_weeks(tmp_path / "lens.duckdb").close()
    monkeypatch.setenv("LENS_DB", str(tmp_path / "lens.duckdb"))
    at = AppTest.from_file(APP, default_timeout=30)
    at.run()
    at.switch_page("app_pages/calls.py")
    params = {"range": "custom", "from": "2026-11-25", "to": "2026-11-25", "tenant": "acme"}
    at.query_params.update(params)
    at.run()
    assert not at.exception
    listed = next(d.value for d in at.dataframe if "call_id" in d.value.columns)
    assert list(listed["call_id"]) == ["c2026-11-25"]
