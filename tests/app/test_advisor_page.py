"""The Savings advisor page on a real DuckDB file: a busy deployment shows its PTU sizing,
a service that never streams a Batch recommendation with its range; the what-if form
prices the window again; an empty ledger says what the advisor needs."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from collectors.prices.book import load_reference_data
from collectors.store import Store
from tests.app.conftest import APP
from tests.normalizing import rows_batch
from tests.sql.test_chargeback import call


def open_advisor(path: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("LENS_DB", str(path))
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.switch_page("app_pages/advisor.py")
    at.run()
    assert not at.exception
    return at


def test_a_busy_deployment_gets_ptu_advice_and_a_what_if(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    start = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(hours=2)
    store = Store(tmp_path / "lens.duckdb")
    load_reference_data(store)
    # one call a minute for an hour, 37,500 input tokens each: 15 PTUs of gpt-4o, full
    # by a service that never streams nor names an end user: a Batch candidate
    calls = [
        replace(call(f"b{i}", "acme", "bulk", "gpt-4o", "GlobalStandard",
                     start + timedelta(minutes=i), 37_500, 0), service="nightly")
        for i in range(60)
    ]  # fmt: skip
    store.write_many([rows_batch(calls)])
    store.close()
    at = open_advisor(tmp_path / "lens.duckdb", monkeypatch)
    assert at.metric[0].label == "Estimated saving a month"
    sizing = at.dataframe[0].value
    assert list(sizing["deployment"]) == ["bulk"]
    assert list(sizing["ptus_at_p95"]) == [15]
    assert list(sizing["p95_tpm"]) == [37_500]
    at.toggle[0].set_value(True)
    at.run()
    hours = at.dataframe[1].value  # the hour of calls, over one or two hours of the clock
    assert sum(hours["active_minutes"]) == 60
    assert set(hours["p95_tpm"]) == {37_500}
    labels = [expander.label for expander in at.expander]
    assert any(label.startswith("Send nightly / acme's calls through") for label in labels)
    texts = " ".join(t.value for t in at.text)
    assert "with 25 % less / more of the traffic can wait" in texts
    next(box for box in at.selectbox if box.label == "Model").select("gpt-4o-mini")
    at.button[0].click()
    at.run()
    assert not at.exception
    shown = {m.label: m.value for m in at.metric}
    # 60 x 37,500 = 2,250,000 input tokens: $5.625 on gpt-4o, $0.3375 on gpt-4o-mini
    assert shown["Priced again"] == "$0.34"
    assert any("quality" in w.value for w in at.warning)


def test_an_empty_ledger_says_what_the_advisor_needs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    Store(tmp_path / "lens.duckdb").close()
    at = open_advisor(tmp_path / "lens.duckdb", monkeypatch)
    assert "nothing to advise yet" in at.info[0].value
    assert "deployments.toml" in at.markdown[0].value
