"""Browser benchmark: how long each page takes to settle in headless Chromium, against the
running lens server, on a demo-sized ledger and at 1M calls.

Run with ``make bench`` (or ``python -m bench.pages --calls 1000000``). For each ledger it
starts a real lens server, first checks that the Overview shows the number of calls the
ledger holds for its range, then opens every page in Chromium (``/usr/bin/chromium``) and
times it from navigation until Streamlit is idle (no script running) and the page's content
is drawn: the first open of each page (a new browser context, the server's cache cold) and
the median of three later opens. Beside each it prints the time the page's queries take on
their own (``bench.dashboard.page_queries``, uncached) so the rest (Python, transfer and
drawing) shows. Goals: under 2 s a page on the demo ledger, under 3 s at 1M calls, a first
open under 4 s.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
from playwright.sync_api import Browser, Page, sync_playwright

from bench.dashboard import build, median_ms, page_queries
from collectors.genai.normalize import normalize_spans
from collectors.otlp.flatten import flatten_request
from collectors.otlp.synthetic import export_requests
from collectors.prices.book import load_reference_data
from collectors.store import Batch, Store
from lens_harness.lens_process import LensServer
from queries.scope import Scope

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
# (page, its path with the 7-day range, the element that says its content is drawn)
PAGES = [
    ("overview", "?range=7d", "stPlotlyChart"),
    ("deployments", "deployments?range=7d", "stPlotlyChart"),
    ("content_safety", "content_safety?range=7d", "stMetric"),
    ("calls", "calls?range=7d", "stDataFrame"),
    ("tenants", "tenants", "stDataFrame"),
    ("sources", "sources", "stDataFrame"),
]


def demo_ledger(path: Path, calls: int) -> None:
    """The demo's ledger: ``calls`` synthetic calls over 14 days, stored as ingest stores
    them (flattened, normalised, written in groups)."""
    store = Store(path)
    load_reference_data(store)
    end = datetime.now(UTC)
    for request in export_requests(end - timedelta(days=14), end, calls, batch_size=2048):
        batch = normalize_spans(flatten_request(request).spans, source="otlp")
        store.write_many([Batch(batch.calls_of(0), batch.verdicts_of(0), "otlp")], batch.hints)
    store.close()


def calls_in_range(path: Path, start: datetime, end: datetime) -> int:
    with duckdb.connect(str(path), read_only=True) as con:
        row = con.execute(
            "SELECT count(*) FROM calls WHERE start_time >= $start AND start_time < $end",
            {"start": start, "end": end},
        ).fetchone()
    assert row is not None
    return int(row[0])


def settle_ms(page: Page, url: str, ready: str) -> float:
    """From navigation until the content is drawn and no script runs, in milliseconds."""
    began = time.perf_counter()
    page.goto(url)
    page.get_by_test_id(ready).first.wait_for(timeout=120_000)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=120_000
    )
    return (time.perf_counter() - began) * 1000


def shown_calls(browser: Browser, url: str, first: str, last: str) -> int:
    """The Calls metric the Overview shows for the UTC days ``first`` to ``last``."""
    page = browser.new_page(viewport={"width": 1920, "height": 1080})
    settle_ms(page, f"{url}/?range=custom&from={first}&to={last}", "stMetric")
    metric = page.get_by_test_id("stMetric").filter(has_text="Calls").first
    value = metric.get_by_test_id("stMetricValue").inner_text()
    page.close()
    return int(value.replace(",", ""))


def query_ms(path: Path) -> dict[str, float]:
    """Each page's queries alone, uncached, for the last 7 days (median of 3)."""
    store = Store(path)
    now = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(minutes=1)
    queries: dict[str, Callable[[], Any]] = page_queries(
        store.cursor(), Scope(now - timedelta(days=7), now)
    )
    timed = {name: median_ms(run, 3) for name, run in queries.items()}
    store.close()
    return timed


def measure(label: str, path: Path, browser: Browser, work: Path) -> None:
    queries = query_ms(path)
    # The check reads whole UTC days up to today: bounds that do not move while it runs.
    today = datetime.now(UTC).date()
    first_day = today - timedelta(days=6)
    start = datetime(first_day.year, first_day.month, first_day.day, tzinfo=UTC)
    expected = calls_in_range(path, start, start + timedelta(days=7))
    server = LensServer(path, work / f"{path.stem}.log").start(timeout_s=300)
    try:
        shown = shown_calls(browser, server.url, first_day.isoformat(), today.isoformat())
        if shown != expected:
            raise SystemExit(
                f"{label}: the Overview shows {shown:,} calls, the ledger {expected:,}"
            )
        print(
            f"{label}: checked, the Overview shows the ledger's {expected:,} calls "
            f"of {first_day} to {today}"
        )
        print(f"  {'page':<15} {'first open':>10} {'later':>8} {'queries':>8} {'rest':>8}")
        for name, path_query, ready in PAGES:
            context = browser.new_context(viewport={"width": 1920, "height": 1080})
            page = context.new_page()
            first = settle_ms(page, f"{server.url}/{path_query}", ready)
            later = statistics.median(
                settle_ms(page, f"{server.url}/{path_query}", ready) for _ in range(3)
            )
            context.close()
            alone = queries.get(name)
            rest = f"{later - alone:8.0f}" if alone is not None else f"{'':>8}"
            alone_text = f"{alone:8.0f}" if alone is not None else f"{'n/a':>8}"
            print(f"  {name:<15} {first:10.0f} {later:8.0f} {alone_text} {rest}  ms")
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--demo-calls", type=int, default=20_000)
    parser.add_argument("--calls", type=int, nargs="*", default=[1_000_000])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder, sync_playwright() as playwright:
        work = Path(folder)
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        demo = work / "demo.duckdb"
        demo_ledger(demo, args.demo_calls)
        measure(f"demo ledger ({args.demo_calls:,} calls)", demo, browser, work)
        for n in args.calls:
            ledger = work / f"ledger-{n}.duckdb"
            build(ledger, n)
            measure(f"{n:,} calls", ledger, browser, work)
        browser.close()


if __name__ == "__main__":
    main()
