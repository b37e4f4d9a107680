"""Budget alerts from the real server: its own check thread fires each threshold once to a
local webhook receiver, the route and ``aoai-lens alerts check`` find nothing more to fire,
and neither does a restarted server or the CLI on the file.

Spend by hand: gpt-4o-mini input at $0.15 per 1M tokens (the shipped price book); acme's
budget is $2. 10M tokens = $1.50 = 75 % (50 % fires); 6M more = $2.40 = 120 % (100 %
fires, 80 % is superseded). The forecast alert is off: it depends on the day of the month.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from lens_harness.lens_process import LensServer, free_port
from tests.otlp_bodies import JSON, body, span
from tests.webhook_receiver import WebhookReceiver

CLI = Path(sys.executable).with_name("aoai-lens")
TENANTS = """
[[tenant]]
id = "acme"
name = "Acme"
cost_center = "CC-1"
monthly_budget_usd = 2
"""


def send(server: LensServer, span_id: str, input_tokens: int) -> None:
    call = span(
        span_id, **{"tenant.id": "acme", "gen_ai.request.model": "gpt-4o-mini",
                    "gen_ai.response.model": "gpt-4o-mini",
                    "gen_ai.usage.input_tokens": input_tokens, "gen_ai.usage.output_tokens": 0},
    )  # fmt: skip
    response = httpx.post(f"{server.url}/v1/traces", content=body(call), headers=JSON)
    assert response.status_code == 200, response.text


def wait_for(receiver: WebhookReceiver, count: int, server: LensServer) -> None:
    deadline = time.monotonic() + 60
    while len(receiver.bodies) < count:
        assert time.monotonic() < deadline, (receiver.bodies, server.output())
        time.sleep(0.1)


def check(url: str, dry_run: bool = False) -> dict[str, Any]:
    answer = httpx.post(f"{url}/api/alerts/check", params={"dry_run": dry_run}, timeout=60)
    assert answer.status_code == 200, answer.text
    report: dict[str, Any] = answer.json()
    return report


def cli(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(CLI), "alerts", "check", *args], capture_output=True, text=True, timeout=120,
        check=False, cwd=cwd, env={"PATH": "/usr/bin:/bin", **env},
    )  # fmt: skip


def test_the_server_fires_each_threshold_once_across_checks_and_restarts(
    make_server: Callable[..., LensServer], tmp_path: Path
) -> None:
    (tmp_path / "tenants.toml").write_text(TENANTS)
    with WebhookReceiver() as receiver:
        env = {
            "LENS_TENANTS": str(tmp_path / "tenants.toml"),
            "LENS_ALERT_WEBHOOKS": f"json:{receiver.url}/json,slack:{receiver.url}/slack",
            "LENS_ALERT_INTERVAL_S": "1",
            "LENS_ALERT_FORECAST": "false",
        }
        server = make_server(env=env).start()
        send(server, "00000000000000a1", 10_000_000)
        wait_for(receiver, 2, server)
        assert sorted(receiver.paths) == ["/json", "/slack"]
        generic = receiver.bodies[receiver.paths.index("/json")]
        assert {k: generic[k] for k in ("scope_kind", "scope", "threshold_pct", "spend_usd")} == {
            "scope_kind": "tenant", "scope": "acme", "threshold_pct": 50.0, "spend_usd": 1.5,
        }  # fmt: skip
        assert check(server.url)["fired"] == []  # the thread fired it; the route finds it

        send(server, "00000000000000a2", 6_000_000)
        wait_for(receiver, 4, server)
        newest = receiver.bodies[2:]
        assert {b.get("threshold_pct") for b in newest} >= {100.0}
        assert check(server.url)["fired"] == []
        cli_env = {"LENS_PORT": str(server.port), "LENS_TENANTS": env["LENS_TENANTS"]}
        through = cli("--dry-run", cwd=tmp_path, env=cli_env)
        assert through.returncode == 0, through.stderr
        assert "0 alerts would fire" in through.stdout
        server.stop()

        again = make_server(env=env).start()  # the same name: the same file, restarted
        assert again.db_path == server.db_path
        assert check(again.url)["fired"] == []
        again.stop()

        offline = {**cli_env, "LENS_PORT": str(free_port()), "LENS_DB": str(server.db_path)}
        on_file = cli(cwd=tmp_path, env={**offline, "LENS_ALERT_FORECAST": "false"})
        assert on_file.returncode == 0, on_file.stderr
        assert "1 budgets checked, 0 alerts fired" in on_file.stdout
        assert len(receiver.bodies) == 4


def test_on_the_file_a_dry_run_sends_nothing_and_a_failed_delivery_exits_3(
    tmp_path: Path,
) -> None:
    (tmp_path / "tenants.toml").write_text(TENANTS)
    with WebhookReceiver() as receiver:
        env = {"LENS_TENANTS": str(tmp_path / "tenants.toml"), "LENS_ALERT_INTERVAL_S": "0"}
        server = LensServer(tmp_path / "lens.duckdb", tmp_path / "lens.log", env=env).start()
        try:
            send(server, "00000000000000b1", 16_000_000)  # $2.40 of $2
        finally:
            server.stop()
        offline = {
            **env, "LENS_PORT": str(free_port()), "LENS_DB": str(tmp_path / "lens.duckdb"),
            "LENS_ALERT_WEBHOOKS": receiver.url,
        }  # fmt: skip
        dry = cli("--dry-run", cwd=tmp_path, env=offline)
        assert dry.returncode == 0, dry.stderr
        assert "1 alerts would fire" in dry.stdout
        assert "tenant acme: spend >= 100 % (spend $2.40" in dry.stdout
        assert receiver.bodies == []
        shutil.copy(tmp_path / "lens.duckdb", tmp_path / "copy.duckdb")  # nothing fired yet
        real = cli(cwd=tmp_path, env=offline)
        assert "1 alerts fired" in real.stdout and "delivered after 1 attempts" in real.stdout
        assert len(receiver.bodies) == 1
        assert real.returncode == 0, real.stderr
    down = {
        **offline, "LENS_DB": str(tmp_path / "copy.duckdb"),
        "LENS_ALERT_WEBHOOKS": f"http://127.0.0.1:{free_port()}/gone",
    }  # fmt: skip
    with_server_gone = cli(cwd=tmp_path, env=down)  # 4 attempts, 1 + 2 + 4 s apart
    assert with_server_gone.returncode == 3, with_server_gone.stderr
    assert "failed after 4 attempts: ConnectError" in with_server_gone.stdout
    missing = cli(cwd=tmp_path, env={**offline, "LENS_DB": str(tmp_path / "none.duckdb")})
    assert missing.returncode == 1 and "no lens server answers" in missing.stderr
    assert not (tmp_path / "none.duckdb").exists()
