"""`aoai-lens serve` on a database another server already owns says so and exits."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.lens_process import LensServer

CLI = Path(sys.executable).with_name("aoai-lens")


def test_second_server_on_the_same_file_gets_a_plain_error(lens_server: LensServer) -> None:
    result = subprocess.run(
        [str(CLI), "serve", "--port", "9", "--db", str(lens_server.db_path), "--no-demo"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert f"cannot open {lens_server.db_path}" in result.stderr
    assert "Stop the process holding the file, or pass another --db" in result.stderr
    assert "Traceback" not in result.stderr
    assert lens_server.health()["status"] == "ok"  # the owner is undisturbed
