"""`aoai-lens prices refresh`: shows changes, applies them only with --apply, and goes
through the running server when one is up (the server owns the database)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import duckdb

from lens_harness.lens_process import LensServer
from tests.fakes.retail_prices import FakeRetailPrices

CLI = Path(sys.executable).with_name("aoai-lens")


def refresh(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(CLI), "prices", "refresh", *args],
        capture_output=True, text=True, timeout=120, check=False,
        env={"PATH": "/usr/bin:/bin", **env},
    )  # fmt: skip


def versions(db: Path) -> list[str]:
    with duckdb.connect(str(db), read_only=True) as con:
        return [r[0] for r in con.execute("SELECT version FROM price_book_versions").fetchall()]


def test_refresh_through_the_server_shows_then_applies(
    make_server: Callable[..., LensServer],
) -> None:
    with FakeRetailPrices() as fake:
        server = make_server(env={"LENS_RETAIL_PRICES_URL": fake.url}).start()
        env = {"LENS_DB": str(server.db_path)}
        shown = refresh("--url", server.url, env=env)
        assert shown.returncode == 0, shown.stderr
        assert "Read " in shown.stderr and "changed gpt-4.1-nano" in shown.stderr
        assert "run with --apply to load these prices" in shown.stderr
        # every meter not mapped is printed with the reason, and the PTU prices read
        assert "3 meters not mapped (kept for the Sources page):" in shown.stderr
        assert "  gpt-4o-rt-txt-1217 Inp glbl Tokens (word 'rt' not understood)" in shown.stderr
        assert "  4.3 Inp Glbl Tokens (version '4.3' without a GPT product of that version)" in (
            shown.stderr
        )
        assert (
            "provisioned: GlobalProvisionedManaged eastus2 monthly: 260.000000 USD per PTU "
            "(Provisioned Managed Global)"
        ) in shown.stderr
        applied = refresh("--url", server.url, "--apply", env=env)
        assert applied.returncode == 0, applied.stderr
        assert "Loaded retail_prices_" in applied.stderr
        again = refresh("--url", server.url, "--apply", env=env)
        assert "No change" in again.stderr
        server.stop()
    loaded = versions(server.db_path)
    assert len(loaded) == 2 and loaded[1].startswith("retail_prices_")


def test_refresh_without_a_server_and_an_unreachable_api(tmp_path: Path) -> None:
    env = {
        "LENS_DB": str(tmp_path / "lens.duckdb"),
        "LENS_RETAIL_PRICES_URL": "http://127.0.0.1:9/x",
    }
    result = refresh("--url", "http://127.0.0.1:9", env=env)
    assert result.returncode == 1
    assert "error:" in result.stderr and "Traceback" not in result.stderr
    assert len(versions(tmp_path / "lens.duckdb")) == 1  # only the shipped book
