"""The dashboard with an access file, as each person sees it (``st.user`` as Streamlit's
OIDC sign-in fills it).

Without ``[auth]`` the pages say only how to configure sign-in; signed out, only the sign-in
button; a person the file does not name, "No access" (audited as denied). A tenant's person
sees only their tenants' rows on every page, also when the URL names another tenant, and a
call of another tenant is "no such call"; message content is the admin's, and safety's for
flagged calls, never finops' or a tenant's; the audit page is the admin's, the alerts page
the admin's and finops'.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from app.dashboard import db
from tests.app.conftest import APP
from tests.seeding import seeded_database

ACCESS = """
[[users]]
email = "ada@contoso.com"
role = "admin"
[[users]]
email = "fin@contoso.com"
role = "finops"
[[users]]
email = "sam@contoso.com"
role = "safety"
[[users]]
email = "cf@contoso.com"
role = "finops"
tenants = ["contoso"]
[[users]]
group = "0c0e0000-0000-0000-0000-00000000c0de"
role = "tenant"
tenants = ["contoso"]
"""
AUTH = {
    "auth": {
        "redirect_uri": "http://localhost:8501/oauth2callback",
        "cookie_secret": "a-long-random-string-for-tests",
        "client_id": "lens",
        "client_secret": "secret",
        "server_metadata_url": "http://127.0.0.1:1/.well-known/openid-configuration",
    }
}
CONTENT = {"gen_ai.input.messages": '[{"role": "user", "content": "the prompt text"}]'}


@pytest.fixture
def lens(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = seeded_database(tmp_path / "lens.duckdb")
    with duckdb.connect(str(path)) as con:  # c01 (unflagged) and c02 (annotated) carry content
        con.execute(
            "UPDATE calls SET attributes = $a WHERE call_id IN ('c01', 'c02')",
            {"a": json.dumps(CONTENT)},
        )
    (tmp_path / "access.toml").write_text(ACCESS)
    monkeypatch.setenv("LENS_DB", str(path))
    monkeypatch.setenv("LENS_ACCESS_FILE", str(tmp_path / "access.toml"))
    return path


def app_as(user: dict[str, Any] | None, page: str | None = None, **params: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=30)
    if user is not None:
        at.secrets = AUTH
        at.user = user
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    if page is not None:
        at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def person(email: str, groups: list[str] | None = None) -> dict[str, Any]:
    return {"is_logged_in": True, "email": email, "groups": groups or []}


def texts(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [t.value for t in at.title]
    parts += (
        [c.value for c in at.caption] + [e.value for e in at.error] + [i.value for i in at.info]
    )
    parts += [w.value for w in at.warning]
    return "\n".join(str(p) for p in parts)


def audit_rows(action: str) -> list[tuple[Any, ...]]:
    rows = db.cursor().execute(
        'SELECT actor, role, target FROM audit_log WHERE action = $a ORDER BY "at"',
        {"a": action},
    )
    return rows.fetchall()


def test_without_auth_settings_the_pages_only_say_how_to_configure(lens: Path) -> None:
    at = app_as(None)
    assert "Sign-in is not configured" in texts(at)
    assert "[auth]" in texts(at) and "server_metadata_url" in texts(at)
    assert not at.metric and not at.dataframe  # no number leaks before sign-in


def test_signed_out_people_see_only_the_sign_in_button(lens: Path) -> None:
    at = app_as({"is_logged_in": False})
    assert [b.label for b in at.button] == ["Sign in"]
    assert not at.metric and not at.dataframe


def test_a_person_the_file_does_not_name_is_refused_and_audited(lens: Path) -> None:
    at = app_as(person("eve@elsewhere.com", ["some-other-group"]))
    assert "No access" in texts(at) and "eve@elsewhere.com" in texts(at)
    assert not at.metric and not at.dataframe
    assert audit_rows("denied") == [("eve@elsewhere.com", None, "sign-in")]


def test_a_tenant_sees_only_its_tenant_everywhere(lens: Path) -> None:
    tenant = person("bo@contoso.com", ["0C0E0000-0000-0000-0000-00000000C0DE"])
    overview = app_as(tenant, range="30d")
    assert audit_rows("sign-in") == [("bo@contoso.com", "tenant", "dashboard")]
    calls = next(m for m in overview.metric if m.label == "Calls")
    assert calls.value == "2"  # c01 and c02 are contoso's; the seed has 6 calls
    tenant_filter = next(m for m in overview.multiselect if m.label == "Tenant")
    assert tenant_filter.options == ["contoso"]  # other tenants' names are not offered
    for page in ("sources", "playground", "audit"):
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            app_as(tenant, f"app_pages/{page}.py")

    # Another tenant by editing the URL: the empty result, not an error.
    other = app_as(tenant, range="30d", tenant="fabrikam")
    assert not other.metric and "No calls" in texts(other)

    chargeback = app_as(tenant, "app_pages/tenants.py")
    for frame in chargeback.dataframe:
        shown = frame.value
        if "tenant_id" in shown:
            assert set(shown["tenant_id"]) <= {"contoso"}

    own_call = app_as(tenant, "app_pages/calls.py", call_id="c02")
    assert "Call `c02`" in texts(own_call) or any("c02" in s.value for s in own_call.subheader)
    assert "may not read message content" in texts(own_call)
    assert "the prompt text" not in json.dumps([j.value for j in own_call.json])
    other_call = app_as(tenant, "app_pages/calls.py", call_id="c04")  # fabrikam's
    assert "No call with id" in texts(other_call)


def test_message_content_is_the_admins_and_safetys_for_flagged_calls(lens: Path) -> None:
    def content_shown(email: str, call_id: str) -> bool:
        at = app_as(person(email), "app_pages/calls.py", call_id=call_id)
        return "the prompt text" in json.dumps([j.value for j in at.json])

    assert content_shown("ada@contoso.com", "c01") and content_shown("ada@contoso.com", "c02")
    assert content_shown("sam@contoso.com", "c02")  # annotated: flagged
    assert not content_shown("sam@contoso.com", "c01")  # not flagged
    assert not content_shown("fin@contoso.com", "c02")
    viewed = audit_rows("content.view")
    assert viewed == [
        ("ada@contoso.com", "admin", "c01"),
        ("ada@contoso.com", "admin", "c02"),
        ("sam@contoso.com", "safety", "c02"),
    ]


def test_the_audit_page_is_the_admins(lens: Path) -> None:
    app_as(person("eve@elsewhere.com"))  # a refusal to find there
    admin = app_as(person("ada@contoso.com"), "app_pages/audit.py")
    log = admin.dataframe[0].value
    assert {"denied", "sign-in"} <= set(log["action"])
    assert "eve@elsewhere.com" in set(log["actor"])
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        app_as(person("fin@contoso.com"), "app_pages/audit.py")


def test_the_alerts_page_is_the_admins_and_finops(lens: Path) -> None:
    finops = app_as(person("fin@contoso.com"), "app_pages/alerts.py")
    assert not finops.exception
    assert "No budget alert" in finops.info[0].value
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        app_as(person("sam@contoso.com"), "app_pages/alerts.py")  # safety


def test_the_savings_advisor_is_the_admins_and_finops(lens: Path) -> None:
    finops = app_as(person("fin@contoso.com"), "app_pages/advisor.py")
    assert not finops.exception
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        app_as(person("sam@contoso.com"), "app_pages/advisor.py")  # safety


def test_the_savings_advisor_refuses_a_finops_person_limited_to_some_tenants(
    lens: Path,
) -> None:
    # The advice reads every tenant's calls: a finops person of one tenant gets no figures.
    limited = app_as(person("cf@contoso.com"), "app_pages/advisor.py")
    assert "reads every tenant's calls" in texts(limited)
    assert not limited.metric  # no saving shown
    everyone = app_as(person("fin@contoso.com"), "app_pages/advisor.py")
    assert [m.label for m in everyone.metric][:1] == ["Estimated saving a month"]
