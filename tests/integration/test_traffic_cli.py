"""``aoai-lens traffic`` sends the prompt set through the instrumented client and the spans
reach the lens server; bad input is refused with the reason."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import duckdb

from tests.lens_process import CLI, LensServer


def traffic(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(CLI), "traffic", *args], capture_output=True, text=True, timeout=180, cwd=cwd
    )


def test_traffic_through_the_servers_simulator_lands_in_the_ledger(
    lens_server: LensServer, tmp_path: Path
) -> None:
    done = traffic(
        "--url",
        lens_server.url,
        "--endpoint",
        f"{lens_server.url}/simulator",
        "--api-key",
        "any",
        "--deployment",
        "gpt-4o-mini",
        "--deployment",
        "gpt-41-eu",
        "--tenant",
        "contoso",
        "--tenant",
        "fabrikam",
        "--count",
        "24",
        "--rate",
        "0",
        "--concurrency",
        "4",
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert "24 calls in" in done.stderr
    lens_server.stop()
    with duckdb.connect(str(lens_server.db_path), read_only=True) as con:
        calls, deployments, tenants, blocked = con.execute(
            "SELECT count(*), count(DISTINCT deployment), count(DISTINCT tenant_id), "
            "count(*) FILTER (WHERE filter_action = 'blocked_prompt') FROM calls "
            "WHERE service = 'aoai-lens-traffic'"
        ).fetchall()[0]
    assert (calls, deployments, tenants) == (24, 2, 2)
    summary = re.search(r"24 calls in [\d.]+ s \([\d.]+/s\): (.*)", done.stderr)
    assert summary, done.stderr
    kinds = {kind: int(n) for n, kind in re.findall(r"(\d+) (\w+)", summary.group(1))}
    assert sum(kinds.values()) == 24 and kinds["ok"] > 0
    assert blocked == kinds.get("blocked", 0)  # the summary counts what the ledger stored


def test_bad_input_is_refused_with_the_reason(tmp_path: Path) -> None:
    zero = traffic("--count", "0", "--deployment", "d", cwd=tmp_path)
    assert zero.returncode == 2 and "Invalid value for '--count'" in zero.stderr
    bad = tmp_path / "prompts.jsonl"
    bad.write_text('{"user": "hi"}\n{"id": "x"}\n', encoding="utf-8")
    refused = traffic(
        "--prompts",
        str(bad),
        "--deployment",
        "d",
        "--endpoint",
        "http://127.0.0.1:9",
        "--api-key",
        "k",
        cwd=tmp_path,
    )
    assert refused.returncode == 1
    assert f"{bad}:2: 'user'" in refused.stderr
    no_key = traffic("--endpoint", "https://x.openai.azure.com", "--deployment", "d", cwd=tmp_path)
    assert no_key.returncode == 1 and "AZURE_OPENAI_API_KEY" in no_key.stderr
