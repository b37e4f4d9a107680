"""Shared fixtures: a scrubbed environment, free ports, a real lens server."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from lens_harness.lens_process import LensServer, free_port

_PREFIXES = ("LENS_", "AZURE_", "LOG_ANALYTICS_", "APPLICATIONINSIGHTS_", "OTEL_")


@pytest.fixture(autouse=True)
def scrubbed_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No developer settings or .env leak into a test."""
    for name in list(os.environ):
        if name.startswith(_PREFIXES):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def port() -> int:
    return free_port()


@pytest.fixture
def make_server(tmp_path: Path) -> Iterator[Callable[..., LensServer]]:
    """Build lens servers (not started) that are stopped at teardown whatever happens."""
    made: list[LensServer] = []

    def make(name: str = "lens", **kwargs: Any) -> LensServer:
        server = LensServer(tmp_path / f"{name}.duckdb", tmp_path / f"{name}.log", **kwargs)
        made.append(server)
        return server

    yield make
    for server in made:
        if server.process is not None:
            server.kill()


@pytest.fixture
def lens_server(tmp_path: Path) -> Iterator[LensServer]:
    """A running lens server on its own DuckDB file; its log is shown when a test fails."""
    server = LensServer(tmp_path / "lens.duckdb", tmp_path / "server.log").start()
    try:
        yield server
    finally:
        if server.process is not None:
            server.stop()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    server = item.funcargs.get("lens_server") if hasattr(item, "funcargs") else None
    if report.failed and isinstance(server, LensServer):
        report.sections.append(("lens server log", server.output()))
