"""``aoai-lens advise`` through a running server (``GET /api/advise``) and, with no server,
on the database file; both size the same deployment. A bad --since is a clear error."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import httpx

from lens_harness.lens_process import LensServer, free_port
from tests.otlp_bodies import JSON, body, span

CLI = Path(sys.executable).with_name("aoai-lens")


def advise(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(CLI), "advise", *args], capture_output=True, text=True, timeout=120,
        check=False, cwd=cwd, env={"PATH": "/usr/bin:/bin", **env},
    )  # fmt: skip


def test_advise_via_the_server_and_on_the_file(
    make_server: Callable[..., LensServer], tmp_path: Path
) -> None:
    server = make_server().start()
    call = span(
        "00000000000000c1", **{"gen_ai.request.model": "gpt-4o-mini",
                               "gen_ai.response.model": "gpt-4o-mini",
                               "gen_ai.usage.input_tokens": 74_000,
                               "gen_ai.usage.output_tokens": 0},
    )  # fmt: skip
    answer = httpx.post(f"{server.url}/v1/traces", content=body(call), headers=JSON)
    assert answer.status_code == 200, answer.text
    bad = httpx.get(f"{server.url}/api/advise", params={"since": "soon"})
    assert bad.status_code == 400 and "30d" in bad.json()["hint"]

    through = advise("--json", cwd=tmp_path, env={"LENS_PORT": str(server.port)})
    assert through.returncode == 0, through.stderr
    report = json.loads(through.stdout)
    (sizing,) = report["ptu_sizing"]
    # 74,000 input tokens in one minute: / 37,000 per PTU of gpt-4o-mini = 2 -> 15 (minimum)
    assert (sizing["deployment"], sizing["p95_tpm"], sizing["ptus_at_p95"]) == (
        "gpt-4o-mini", 74_000, 15,
    )  # fmt: skip
    text = advise("--since", "7d", cwd=tmp_path, env={"LENS_PORT": str(server.port)})
    assert text.returncode == 0, text.stderr
    assert "All figures are estimates." in text.stdout
    server.stop()

    offline = {"LENS_PORT": str(free_port()), "LENS_DB": str(server.db_path)}
    on_file = advise("--json", cwd=tmp_path, env=offline)
    assert on_file.returncode == 0, on_file.stderr
    (again,) = json.loads(on_file.stdout)["ptu_sizing"]
    assert (again["deployment"], again["p95_tpm"], again["ptus_at_p95"]) == (
        "gpt-4o-mini", 74_000, 15,
    )  # fmt: skip

    nothing = {"LENS_PORT": str(free_port()), "LENS_DB": str(tmp_path / "none.duckdb")}
    missing = advise(cwd=tmp_path, env=nothing)
    assert missing.returncode == 1 and "no lens server answers" in missing.stderr
    assert not (tmp_path / "none.duckdb").exists()
    wrong = advise("--since", "soon", cwd=tmp_path, env=nothing)
    assert wrong.returncode == 2 and "30d" in wrong.stderr
