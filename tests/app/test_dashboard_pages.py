"""Deployments, Content safety and Calls explorer pages on the seeded DuckDB file.

Numbers shown are checked against the SQL truth (queries on the same file) or against
values computed by hand from tests/fixtures/seed/ (see its README).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from app.dashboard import db
from queries import deployments, safety
from queries.scope import Scope
from queries.usage import usage_in_scope
from tests.app.conftest import APP
from tests.seeding import seeded_database


def open_page(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    page: str,
    params: dict[str, str] | None = None,
    seed: bool = True,
) -> AppTest:
    path = tmp_path / "lens.duckdb"
    monkeypatch.setenv("LENS_DB", str(seeded_database(path) if seed else path))
    at = AppTest.from_file(APP, default_timeout=30)
    at.run()  # switch_page needs the pages st.navigation registers on a first run
    at.switch_page(f"app_pages/{page}.py")
    for key, value in (params or {}).items():
        at.query_params[key] = value
    at.run()
    assert not at.exception
    return at


def metric(at: AppTest, label: str) -> str:
    return next(str(m.value) for m in at.metric if m.label == label)


def page_scope(at: AppTest) -> Scope:
    """The scope the page used: its range as written in the URL, all dimensions."""
    from datetime import UTC, datetime

    from app.dashboard.components.filters import filters_from_params

    return filters_from_params(at.query_params, datetime.now(UTC)).scope


def test_deployments_page_shows_the_sql_truth(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = open_page(tmp_path, monkeypatch, "deployments")
    shown = at.dataframe[0].value.set_index("deployment")
    truth = deployments.deployment_stats(db.cursor(), page_scope(at)).set_index("deployment")
    assert list(shown.index) == ["gpt-4o-prod", "embed-small", "gpt-4o-mini", "o4-mini"]
    for column in ("calls", "p50_ms", "p95_ms", "p99_ms", "throttled_rate", "peak_tpm"):
        assert list(shown[column]) == list(truth[column]), column
    assert shown.loc["gpt-4o-prod", "p50_ms"] == pytest.approx(812.5)  # by hand
    assert metric(at, "Global deployments") == "2"  # gpt-4o-prod, gpt-4o-mini (assumed)
    assert metric(at, "Data zone deployments") == "1"
    assert len(at.get("plotly_chart")) == 2  # histogram, p95 over time
    assert any("tpm =" in c.value for c in at.caption)  # no quota known: say how


@pytest.mark.parametrize("days", ["30d", "90d"])
def test_deployments_page_over_long_ranges_reads_the_sketches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, days: str
) -> None:
    at = open_page(tmp_path, monkeypatch, "deployments", {"range": days})
    assert deployments.reads_sketches(page_scope(at))
    shown = at.dataframe[0].value.set_index("deployment")
    assert list(shown.index) == ["gpt-4o-prod", "embed-small", "gpt-4o-mini", "o4-mini"]
    assert list(shown["calls"]) == [3, 1, 1, 1]
    assert shown.loc["gpt-4o-prod", "p50_ms"] == pytest.approx(812.5, rel=0.01)  # by hand
    assert shown.loc["o4-mini", "p99_ms"] == pytest.approx(3000.0, rel=0.01)
    assert len(at.get("plotly_chart")) == 2  # histogram, p95 over time


def test_deployments_page_filtered_by_the_url(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = open_page(tmp_path, monkeypatch, "deployments", {"tenant": "fabrikam"})
    shown = at.dataframe[0].value
    assert sorted(shown["deployment"]) == ["gpt-4o-prod", "o4-mini"]  # c03, c04
    assert list(shown["calls"]) == [1, 1]


def test_content_safety_page_shows_incidents(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = open_page(tmp_path, monkeypatch, "content_safety")
    truth = safety.safety_totals(db.cursor(), usage_in_scope(db.cursor(), page_scope(at))).iloc[0]
    assert metric(at, "Incidents") == f"{int(truth['incidents']):,}" == "1"
    assert metric(at, "Blocked prompts") == "1"
    assert metric(at, "Filtered completions") == "0"
    assert metric(at, "Annotated only") == "1"
    assert metric(at, "Incident rate") == "16.7%"
    assert metric(at, "Cost of incidents") == "$0.000023"  # c06: 150 x $0.15 / 1M
    # Over time, prompt heat map and completion heat map.
    assert len(at.get("plotly_chart")) == 3
    # The prompt heat map is coloured by severity (c02's low hate note pale, c06's medium
    # hate block and detected jailbreak darker) and labelled with counts.
    import json

    heat = json.loads(at.get("plotly_chart")[1].proto.spec)["data"][0]
    cells = {
        (category, severity): (z, text)
        for category, zs, texts in zip(heat["y"], heat["z"], heat["text"], strict=True)
        for severity, z, text in zip(heat["x"], zs, texts, strict=True)
        if z is not None
    }
    assert cells == {
        ("hate", "low"): (1, "1"),
        ("hate", "medium"): (2, "1"),
        ("jailbreak", "detected"): (3, "1"),
    }
    by_category = at.dataframe[0].value  # every category, none picked
    assert list(zip(by_category["category"], by_category["intervention_point"], strict=True)) == [
        ("hate", "user_input"), ("jailbreak", "user_input"), ("violence", "output")
    ]  # fmt: skip
    by_tenant = at.dataframe[1].value
    assert list(by_tenant["tenant_id"]) == ["unassigned", "contoso"]  # c06 blocked; c02 noted
    incidents = at.dataframe[2].value
    assert list(incidents["call_id"]) == ["c06"]
    assert list(incidents["open"]) == ["calls?call_id=c06"]  # opens the call
    assert list(incidents["categories"]) == ["prompt:hate, prompt:jailbreak"]


def test_content_safety_by_end_user(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = open_page(tmp_path, monkeypatch, "content_safety")
    at.get("button_group")[0].set_value("end_user").run()
    assert not at.exception
    assert list(at.dataframe[1].value["end_user"]) == ["(none)", "u2"]


def test_content_safety_picks_categories_the_lens_does_not_know_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import duckdb

    path = seeded_database(tmp_path / "lens.duckdb")
    with duckdb.connect(str(path)) as con:  # c02's answer: personal data and a new guardrail
        con.execute(
            "INSERT INTO filter_results SELECT 'c02', 'completion', 0, v.category, NULL, false, "
            "true, start_time, NULL, 'output' FROM calls, (VALUES "
            "('personally_identifiable_information'), ('future_guardrail')) AS v(category) "
            "WHERE call_id = 'c02'"
        )
    monkeypatch.setenv("LENS_DB", str(path))
    at = AppTest.from_file(APP, default_timeout=30)
    at.run()
    at.switch_page("app_pages/content_safety.py")
    at.run()
    picker = next(m for m in at.multiselect if m.label == "Categories")
    assert {"personally_identifiable_information", "future_guardrail"} <= set(picker.options)
    picker.set_value(["future_guardrail", "personally_identifiable_information"]).run()
    assert not at.exception
    shown = at.dataframe[0].value
    assert sorted(shown["category"]) == ["future_guardrail", "personally_identifiable_information"]
    assert list(shown["calls"]) == [1, 1]


def test_content_safety_without_verdicts_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = open_page(tmp_path, monkeypatch, "content_safety", {"tenant": "fabrikam"})
    assert any("No content-filter verdicts" in s.value for s in at.success)
    assert not at.get("plotly_chart")


def test_calls_explorer_lists_and_searches(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = open_page(tmp_path, monkeypatch, "calls")
    listed = at.dataframe[0].value
    assert list(listed["call_id"]) == ["c06", "c05", "c04", "c03", "c02", "c01"]
    at.text_input[1].set_value("u3")  # End user
    at.button[0].click().run()  # the form's Search button
    assert not at.exception
    assert list(at.dataframe[0].value["call_id"]) == ["c04", "c03"]
    assert at.query_params["user"] == "u3"  # the search is in the link
    at.text_input[1].set_value("nobody")
    at.button[0].click().run()
    assert any("No calls match" in i.value for i in at.info)  # not "no data at all"


def test_calls_explorer_search_comes_from_the_link(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    params = {"user": "u3", "status": "error", "finish": "", "q": "c0"}
    at = open_page(tmp_path, monkeypatch, "calls", params)
    assert at.text_input[1].value == "u3"
    assert at.selectbox[0].value == "error"
    assert list(at.dataframe[0].value["call_id"]) == ["c03"]  # u3's failed call
    assert "finish" not in at.query_params  # empty fields stay out of the link
    # A status no search offers is "any", not an error page.
    at = open_page(tmp_path, monkeypatch, "calls", {"status": "'; DROP TABLE calls"})
    assert at.selectbox[0].value == ""
    assert len(at.dataframe[0].value) == 6


def test_calls_explorer_opens_one_call(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = open_page(tmp_path, monkeypatch, "calls", {"call_id": "c06"})
    assert any(s.value == "Call `c06`" for s in at.subheader)
    # A blocked call leads with what blocked it; the HTTP answer is in the help.
    blocked = next(m for m in at.metric if m.label == "Prompt blocked")
    assert blocked.value == "hate (medium), jailbreak"
    assert "error (400)" in blocked.proto.help
    assert metric(at, "Deployment") == "gpt-4o-mini"
    assert metric(at, "Tenant") == "unassigned"
    verdicts = at.dataframe[3].value  # cost breakdown first (pricing, tokens, cost), then verdicts
    assert list(verdicts["category"]) == ["hate", "jailbreak", "violence"]
    assert any("content capture was off" in c.value for c in at.caption)
    fields = at.dataframe[4].value.set_index("field")["value"]
    assert fields["filter_action"] == "blocked_prompt"
    assert fields["input_tokens"] == "150"


def test_a_sampled_call_says_how_many_calls_it_represents(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import duckdb

    path = seeded_database(tmp_path / "lens.duckdb")
    with duckdb.connect(str(path)) as con:  # c05 kept by a source that sampled 1 in 10
        con.execute("UPDATE calls SET sample_weight = 10 WHERE call_id = 'c05'")
    monkeypatch.setenv("LENS_DB", str(path))
    for call_id, says in (("c05", True), ("c04", False)):
        at = AppTest.from_file(APP, default_timeout=30)
        at.run()
        at.switch_page("app_pages/calls.py")
        at.query_params["call_id"] = call_id
        at.run()
        assert not at.exception
        shown = [i.value for i in at.info if "represents" in i.value]
        assert shown == (["This call represents 10 calls: its source sampled them and kept "
                          "this one, so totals and costs count it that many times."]
                         if says else [])  # fmt: skip


def test_calls_explorer_unknown_call(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = open_page(tmp_path, monkeypatch, "calls", {"call_id": "feedface"})
    assert any("No call with id" in w.value for w in at.warning)


@pytest.mark.parametrize("page", ["deployments", "content_safety", "calls"])
def test_pages_on_an_empty_ledger_say_how_to_send_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, page: str
) -> None:
    at = open_page(tmp_path, monkeypatch, page, seed=False)
    assert any("No Azure OpenAI calls recorded" in i.value for i in at.info)
    assert any("/v1/traces" in m.value for m in at.markdown)
    # Every page says, discreetly, that nobody signed in: the lens answers this machine only.
    assert [c.value for c in at.sidebar.caption] == [
        "Local mode, no sign-in: this lens answers this machine only."
    ]


def test_a_filtered_call_without_a_filtering_verdict_says_its_category_is_not_reported() -> None:
    import pandas as pd

    from app.dashboard.components.call_view import filtered_by

    columns = ["target", "idx", "category", "severity", "filtered", "detected"]
    assert filtered_by(pd.DataFrame(columns=columns)) == "category not reported"
    safe = pd.DataFrame([["completion", 0, "violence", "safe", False, None]], columns=columns)
    assert filtered_by(safe) == "category not reported"
    both = pd.DataFrame(
        [
            ["completion", 0, "violence", "high", True, None],
            ["completion", 1, "violence", "high", True, None],  # a second choice, same verdict
            ["completion", 0, "protected_material_text", None, True, True],
        ],
        columns=columns,
    )
    assert filtered_by(both) == "protected_material_text, violence (high)"


def test_the_heat_map_keeps_a_severity_it_does_not_rank() -> None:
    import pandas as pd

    from app.dashboard.components.charts import severity_heatmap

    frame = pd.DataFrame(
        {"category": ["hate", "hate"], "severity": ["high", "critical"], "calls": [2, 1]}
    )
    heat = severity_heatmap(frame, "Prompts").data[0]
    assert list(heat.x) == ["low", "medium", "high", "detected", "critical"]
    assert list(heat.text[0]) == ["", "", "2", "", "1"]


def test_a_call_shows_its_guardrail_verdicts_with_their_details(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import duckdb

    path = seeded_database(tmp_path / "lens.duckdb")
    with duckdb.connect(str(path)) as con:  # c02's answer, annotated by three guardrails
        con.execute(
            "INSERT INTO filter_results (call_id, target, idx, category, severity, filtered, "
            "detected, start_time, details, intervention_point) "
            "SELECT 'c02', 'completion', 0, category, NULL, false, true, start_time, details, "
            "point FROM calls, (VALUES "
            "('protected_material_code', "
            """'{"citation": {"URL": "https://github.com/octo/lib", "license": "MIT"}}', NULL), """
            "('personally_identifiable_information', "
            """'{"details": [{"category": "Email"}, {"category": "PhoneNumber"}]}', NULL), """
            """('future_guardrail', '{"score": 0.4}', 'tool_response')"""
            ") AS v(category, details, point) WHERE call_id = 'c02'"
        )
    monkeypatch.setenv("LENS_DB", str(path))
    at = AppTest.from_file(APP, default_timeout=30)
    at.run()
    at.switch_page("app_pages/calls.py")
    at.query_params["call_id"] = "c02"
    at.run()
    assert not at.exception
    verdicts = next(d.value for d in at.dataframe if "category" in d.value.columns)
    shown = verdicts.set_index("category")
    code = shown.loc["protected_material_code"]
    assert (code["citation_url"], code["licence"]) == ("https://github.com/octo/lib", "MIT")
    pii = shown.loc["personally_identifiable_information"]
    assert pii["entity_types"] == "Email, PhoneNumber"
    unknown = shown.loc["future_guardrail"]  # a category the lens does not know is shown
    assert unknown["details"] == '{"score": 0.4}'
    assert unknown["intervention_point"] == "tool_response"
