"""Headless Chromium opens every page of the real server; no page shows an exception."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TypedDict

import pytest
from playwright.sync_api import Browser

from lens_harness.lens_process import LensServer
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
    ("reconciliation", "reconciliation", "stFileUploader", "Cost Management exports", ""),
    ("audit", "audit", "stSelectbox", "Last", ""),
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
    # The page draws in parts: its expected text may follow the first chart by a moment.
    page.get_by_text(expected, exact=True).first.wait_for(timeout=60_000)
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

    def metric(label: str) -> str:
        return page.locator('[data-testid="stMetric"]', has_text=label).inner_text()

    assert "50.0%" in metric("Failover rate")  # failed over: c02 of c01, c02
    assert "100.0%" in metric("Priority downgrades")  # downgraded: c01 of c01
    page.get_by_text("Spend by route and the extra cost of failover").click()
    page.get_by_text("Extra cost of failover", exact=True).wait_for(timeout=60_000)
    assert page.get_by_test_id("stException").count() == 0
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "deployments-routing.png"), full_page=True)
    page.close()


# Each grid on the page: its scroll width against its visible width, its right edge against
# its container's, and the text of the cells it shows. st.dataframe draws its cells on a
# canvas; glide-data-grid mirrors the visible ones in an accessible table inside it
# (td role=gridcell, id glide-cell-COL-ROW) holding each cell's text, which is read here.
# A missing value is drawn on the canvas, not mirrored: tests/app/test_table_cells.py
# checks that every table draws it as an empty cell.
GRIDS_JS = """() => [...document.querySelectorAll('[data-testid="stDataFrame"]')].map(grid => {
    const scroller = grid.querySelector('.dvn-scroller');
    return {
        scroll: scroller ? scroller.scrollWidth : 0,
        visible: scroller ? scroller.clientWidth : 0,
        right: grid.getBoundingClientRect().right,
        room: grid.parentElement.getBoundingClientRect().right,
        headers: [...grid.querySelectorAll('th[role="columnheader"]')].map(h => h.textContent),
        cells: [...grid.querySelectorAll('td[role="gridcell"]')].map(c => c.textContent.trim()),
    };
})"""
# The height of the page's content: that of Streamlit's main area, which scrolls.
TALLEST_JS = """() => {
    const main = document.querySelector('[data-testid="stMain"]');
    return main ? main.scrollHeight : document.body.scrollHeight;
}"""
# As Python and pandas print nothing (the ledger's own lowercase "none" is a value).
NOTHING = {"None", "nan", "NaN", "NaT", "<NA>"}


class Grid(TypedDict):
    scroll: int
    visible: int
    right: float
    room: float
    headers: list[str]
    cells: list[str]


def table_problems(name: str, grids: list[Grid]) -> list[str]:
    """What is wrong with the tables of one page: wider than their place, or a cell that
    reads None or nan."""
    problems: list[str] = []
    for number, grid in enumerate(grids):
        where = f"{name}, table {number} ({', '.join(grid['headers'])})"
        if grid["scroll"] > grid["visible"] + 1:
            problems.append(f"{where}: {grid['scroll']} px of columns in {grid['visible']} px")
        if grid["right"] > grid["room"] + 1:
            problems.append(f"{where}: ends at {grid['right']} px, its place at {grid['room']}")
        if not grid["cells"]:
            problems.append(f"{where}: no cell text to read (the grid did not draw)")
        shown = set(grid["cells"]) & NOTHING
        if shown:
            problems.append(f"{where}: cells read {sorted(shown)}")
    return problems


@pytest.mark.parametrize("width", [1366, 1920])
def test_pages_at_common_screen_widths(
    browser: Browser, seeded_server: LensServer, width: int
) -> None:
    """Full-page screenshots of every page at laptop and desktop widths; at both, every
    table fits its place (no column cut off or scrolled out of sight) and no cell reads
    None or nan."""
    problems: list[str] = []
    for name, path, ready, _, _ in PAGES:
        page = browser.new_page(viewport={"width": width, "height": 1000})
        page.goto(f"{seeded_server.url}/{path}")
        page.get_by_test_id(ready).first.wait_for(timeout=60_000)
        page.wait_for_timeout(1_000)  # the grids size their columns after they appear
        assert page.get_by_test_id("stException").count() == 0, name
        problems += table_problems(name, page.evaluate(GRIDS_JS))
        # Streamlit scrolls inside its own container, so a full-page screenshot of the
        # window stops at the fold: the window is made as tall as the page first.
        height = page.evaluate(TALLEST_JS)
        page.set_viewport_size({"width": width, "height": min(max(height, 1000), 16_000)})
        page.wait_for_timeout(500)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{name}-{width}.png"), full_page=True)
        page.close()
    assert not problems, problems


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
