"""Headless Chromium opens every page of the real server; no page shows an exception."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright

from tests.lens_process import LensServer
from tests.seeding import seeded_database

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "build" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# (screenshot name, URL path, element to wait for, text the page must show)
PAGES = [
    ("overview", "", "stMetric", "Calls"),
    ("tenants", "tenants", "stDownloadButton", "Chargeback"),
    ("sources", "sources", "stDataFrame", "Collectors"),
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture
def seeded_server(tmp_path: Path) -> Iterator[LensServer]:
    server = LensServer(seeded_database(tmp_path / "lens.duckdb"), tmp_path / "server.log")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.mark.parametrize(("name", "path", "ready", "expected"), PAGES)
def test_page_renders_without_exception(
    browser: Browser, seeded_server: LensServer, name: str, path: str, ready: str, expected: str
) -> None:
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{seeded_server.url}/{path}?range=30d")
    page.get_by_test_id(ready).first.wait_for(timeout=60_000)
    assert page.get_by_text(expected, exact=True).count() >= 1
    assert page.get_by_test_id("stException").count() == 0
    assert "range=30d" in page.url  # the filter came from the URL and stayed there
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
    page.close()


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
