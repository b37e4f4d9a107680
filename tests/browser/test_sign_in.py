"""Chromium signs in to a lens with an access file through a real OpenID Connect provider
(npm's certified ``oidc-provider``, started here), as a person of each kind.

What each sees: a tenant's person, only their tenant's calls, also when they edit the URL to
another tenant (the empty result) or open another tenant's call ("no call"), and no Sources
or Audit pages; finops, every tenant and the Sources page, no Audit page; the admin, the
Audit page listing the sign-ins; a person the file does not name, "No access".
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from lens_harness.lens_process import LensServer, free_port
from tests.seeding import seeded_database

pytestmark = pytest.mark.browser

PROVIDER = Path(__file__).resolve().parents[1] / "oidc"
ACCOUNTS = {  # login name at the provider -> the claims it returns
    "bo": {"email": "bo@contoso.com", "groups": ["grp-contoso"]},
    "ana": {"email": "ana@contoso.com", "groups": []},
    "ada": {"email": "ada@contoso.com", "groups": []},
    "eve": {"email": "eve@elsewhere.example", "groups": ["grp-other"]},
}
ACCESS = """
[[users]]
email = "ana@contoso.com"
role = "finops"
[[users]]
email = "ada@contoso.com"
role = "admin"
[[users]]
group = "grp-contoso"
role = "tenant"
tenants = ["contoso"]
"""


@pytest.fixture(scope="module")
def shared_lens(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LensServer]:
    """The provider, then a lens with an access file and ``[auth]`` pointing at it."""
    if not (PROVIDER / "node_modules" / "oidc-provider").is_dir():
        pytest.fail("tests/oidc has no node_modules: run `make oidc` (make test does)")
    folder = tmp_path_factory.mktemp("sign-in")
    provider_port = free_port()
    server = LensServer(
        seeded_database(folder / "lens.duckdb"),
        folder / "server.log",
        env={"LENS_ACCESS_FILE": str(folder / "access.toml")},
        cwd=folder,
    )
    (folder / "access.toml").write_text(ACCESS)
    (folder / ".streamlit").mkdir()
    (folder / ".streamlit" / "secrets.toml").write_text(
        "[auth]\n"
        f'redirect_uri = "{server.url}/oauth2callback"\n'
        'cookie_secret = "a-cookie-secret-for-this-test-only"\n'
        'client_id = "lens"\n'
        'client_secret = "lens-test-secret"\n'
        f'server_metadata_url = "http://127.0.0.1:{provider_port}/.well-known/openid-configuration"\n'
        # oidc-provider knows the standard prompts; Streamlit asks select_account by default
        'client_kwargs = { prompt = "login" }\n'
    )
    log = (folder / "provider.log").open("wb")
    provider = subprocess.Popen(
        ["node", "provider.mjs", str(provider_port), f"{server.url}/oauth2callback"],
        cwd=PROVIDER,
        env={**os.environ, "OIDC_ACCOUNTS": json.dumps(ACCOUNTS)},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        _wait_for(f"http://127.0.0.1:{provider_port}/.well-known/openid-configuration")
        server.start()
        yield server
    finally:
        if server.process is not None:
            server.stop()
        provider.terminate()
        provider.wait(10)
        log.close()


def _wait_for(url: str, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {timeout_s}s")


def signed_in(browser: Browser, lens: LensServer, login: str) -> Page:
    """A fresh browser session signed in at the provider as ``login``."""
    page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
    page.goto(f"{lens.url}/?range=30d")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/interaction/**", timeout=30_000)
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", "any password")
    page.click("button[type=submit]")
    page.wait_for_load_state()
    if "/interaction/" in page.url:  # the provider asks to confirm the consent
        page.click("button[type=submit]")
    page.wait_for_url(f"{lens.url}/**", timeout=30_000)
    expect(page.get_by_text("Signed in as").or_(page.get_by_text("No access"))).to_be_visible(
        timeout=60_000
    )
    return page


def metric(page: Page, label: str) -> str:
    box = page.get_by_test_id("stMetric").filter(has_text=label).first
    expect(box).to_be_visible(timeout=60_000)
    return box.get_by_test_id("stMetricValue").inner_text()


def nav_titles(page: Page) -> set[str]:
    links = page.get_by_test_id("stSidebarNavLink")
    return {links.nth(i).inner_text().strip().split("\n")[-1] for i in range(links.count())}


def no_exception(page: Page) -> None:
    assert page.get_by_test_id("stException").count() == 0


def test_a_tenant_sees_only_its_tenant_even_by_editing_the_url(
    browser: Browser, shared_lens: LensServer
) -> None:
    page = signed_in(browser, shared_lens, "bo")
    expect(
        page.get_by_text("Signed in as bo@contoso.com (tenant, tenants contoso)")
    ).to_be_visible()
    assert metric(page, "Calls") == "2"  # contoso's two of the seed's six
    titles = nav_titles(page)
    assert "Overview" in titles and "Sources" not in titles and "Audit log" not in titles
    no_exception(page)

    page.goto(f"{shared_lens.url}/?range=30d&tenant=fabrikam")  # another tenant, by hand
    expect(page.get_by_text("No calls match the filters")).to_be_visible(timeout=60_000)
    assert page.get_by_test_id("stMetric").count() == 0
    no_exception(page)

    page.goto(f"{shared_lens.url}/calls?call_id=c04")  # fabrikam's call
    expect(page.get_by_text("No call with id")).to_be_visible(timeout=60_000)
    page.goto(f"{shared_lens.url}/calls?call_id=c02")  # contoso's own
    expect(page.get_by_text("may not read message content")).to_be_visible(timeout=60_000)
    no_exception(page)
    page.context.close()


def test_finops_sees_every_tenant_and_the_admin_the_audit_log(
    browser: Browser, shared_lens: LensServer
) -> None:
    finops = signed_in(browser, shared_lens, "ana")
    assert metric(finops, "Calls") == "6"
    titles = nav_titles(finops)
    assert "Sources" in titles and "Audit log" not in titles and "Playground" not in titles
    no_exception(finops)
    finops.context.close()

    admin = signed_in(browser, shared_lens, "ada")
    assert "Audit log" in nav_titles(admin)
    admin.goto(f"{shared_lens.url}/audit")
    table = admin.get_by_test_id("stDataFrame")
    expect(table).to_be_visible(timeout=60_000)
    no_exception(admin)
    admin.context.close()


def test_a_person_the_file_does_not_name_gets_no_access(
    browser: Browser, shared_lens: LensServer
) -> None:
    page = signed_in(browser, shared_lens, "eve")
    expect(page.get_by_text("No access")).to_be_visible()
    expect(page.get_by_text("eve@elsewhere.example is not listed")).to_be_visible()
    assert page.get_by_test_id("stMetric").count() == 0
    assert nav_titles(page) == set()
    page.context.close()
