"""`aoai-lens serve` on a database another server already owns says so and exits."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from lens_harness.lens_process import LensServer

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


def test_a_non_loopback_address_is_refused_without_sign_in(tmp_path: Path) -> None:
    db = tmp_path / "lens.duckdb"
    for args, env in (
        (["--host", "0.0.0.0"], {}),
        ([], {"LENS_HOST": "192.168.1.5"}),
    ):
        result = subprocess.run(
            [str(CLI), "serve", "--db", str(db), "--no-demo", *args],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
            env={**os.environ, **env},
        )
        assert result.returncode == 2, result.stderr
        message = " ".join(result.stderr.split())
        assert "has no sign-in, so it binds a loopback address only" in message
        assert "access file (LENS_ACCESS_FILE" in message
        assert "ssh -L 8501:127.0.0.1:8501" in message
        assert "Traceback" not in result.stderr
    assert not db.exists()  # refused before anything was opened
