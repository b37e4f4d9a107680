"""Headless Chromium opens every page of the real server; no page shows an exception."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from tests.lens_process import LensServer
from tests.seeding import route_seed_calls, seeded_database

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "build" / "screenshots"
# (screenshot name, URL path and query, element to wait for, text the page must show, a
# URL parameter that must still be there once the page has drawn its filters)
PAGES = [
    ("overview", "?range=30d", "stPlotlyChart", "Calls", "range=30d"),
    (
        "overview-fabrikam",
        "?range=30d&tenant=fabrikam",
        "stPlotlyChart",
        "Calls",
        "tenant=fabrikam",
    ),
    ("deployments", "deployments?range=30d", "stPlotlyChart", "Global deployments", "range=30d"),
    ("tenants", "tenants", "stDownloadButton", "Chargeback", ""),
    ("content-safety", "content_safety?range=14d", "stPlotlyChart", "Blocked prompts", "range=14d"),
    ("calls", "calls?range=30d&deployment=gpt-4o-prod", "stDataFrame", "Search", "deployment="),
    ("call", "calls?call_id=c06", "stMetric", "Time to first token", "call_id=c06"),
    ("sources", "sources", "stDataFrame", "Collectors", ""),
    ("alerts", "alerts", "stAlert", "No budget alert in the last 30 days.", ""),
    ("advisor", "advisor", "stMetric", "Estimated saving a month", ""),
]


@pytest.fixture(scope="module")
def seeded_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LensServer]:
    """One server for every page: the pages only read."""
    folder = tmp_path_factory.mktemp("browser")
    path = seeded_database(folder / "lens.duckdb")
    route_seed_calls(path)  # the Deployments page draws its routing section
    server = LensServer(path, folder / "server.log")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.mark.parametrize(("name", "path", "ready", "expected", "kept"), PAGES)
def test_page_renders_without_exception(
    browser: Browser,
    seeded_server: LensServer,
    name: str,
    path: str,
    ready: str,
    expected: str,
    kept: str,
) -> None:
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{seeded_server.url}/{path}")
    page.get_by_test_id(ready).first.wait_for(timeout=60_000)
    assert page.get_by_text(expected, exact=True).count() >= 1
    assert page.get_by_test_id("stException").count() == 0
    assert kept in page.url  # the filter came from the URL and stayed there
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
    page.close()


def test_the_deployments_page_draws_its_routing_section(
    browser: Browser, seeded_server: LensServer
) -> None:
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{seeded_server.url}/deployments?range=30d")
    page.get_by_text("Failover rate", exact=True).wait_for(timeout=60_000)
    assert page.get_by_text("Routing", exact=True).count() == 1
    assert page.get_by_text("50.0%", exact=True).count() == 1  # failed over: c02 of c01, c02
    assert page.get_by_text("100.0%", exact=True).count() == 1  # downgraded: c01 of c01
    page.get_by_text("Spend by route and the extra cost of failover").click()
    page.get_by_text("Extra cost of failover", exact=True).wait_for(timeout=60_000)
    assert page.get_by_test_id("stException").count() == 0
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "deployments-routing.png"), full_page=True)
    page.close()


@pytest.mark.parametrize("width", [1366, 1920])
def test_pages_at_common_screen_widths(
    browser: Browser, seeded_server: LensServer, width: int
) -> None:
    """Full-page screenshots of every page at laptop and desktop widths; at 1920 px no
    table is wider than its place (at 1366 px wide tables scroll, their first column
    pinned)."""
    too_wide: list[str] = []
    for name, path, ready, _, _ in PAGES:
        page = browser.new_page(viewport={"width": width, "height": 1000})
        page.goto(f"{seeded_server.url}/{path}")
        page.get_by_test_id(ready).first.wait_for(timeout=60_000)
        page.wait_for_timeout(1_000)  # the grids size their columns after they appear
        assert page.get_by_test_id("stException").count() == 0, name
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{name}-{width}.png"), full_page=True)
        widths = page.evaluate(
            """() => [...document.querySelectorAll('[data-testid="stDataFrame"] .dvn-scroller')]
                .map(grid => [grid.scrollWidth, grid.clientWidth])"""
        )
        too_wide += [
            f"{name}: {inner} px in {outer} px" for inner, outer in widths if inner > outer + 1
        ]
        page.close()
    if width >= 1920:
        assert not too_wide, too_wide


def test_chargeback_csv_downloads(browser: Browser, seeded_server: LensServer) -> None:
    page = browser.new_page(accept_downloads=True)
    page.goto(f"{seeded_server.url}/tenants")
    button = page.get_by_test_id("stDownloadButton").first
    button.wait_for(timeout=60_000)
    with page.expect_download(timeout=30_000) as download_info:
        button.click()
    download = download_info.value
    assert download.suggested_filename.startswith("chargeback-")
    target = SCREENSHOTS.parent / download.suggested_filename
    download.save_as(str(target))
    assert target.read_text().splitlines()[0].startswith("month,tenant_id,tenant_name,")
    page.close()
