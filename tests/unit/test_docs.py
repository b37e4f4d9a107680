"""The README and DESIGN's interface names stay true to the code."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
from click.testing import CliRunner

from app.cli.commands import main
from app.config import documented_names
from app.server.routes import build_routes
from collectors.store import Store

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()


def test_readme_configuration_table_lists_exactly_the_settings() -> None:
    section = README.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    in_table = re.findall(r"^\| `([A-Z_]+)` \|", section, flags=re.MULTILINE)
    assert sorted(in_table) == sorted(documented_names())


def test_readme_shows_the_two_commands() -> None:
    assert "make run" in README and "make test" in README


def test_cli_verbs_in_the_readme_exist() -> None:
    verbs = set(re.findall(r"^\| `aoai-lens (\w+)", README, flags=re.MULTILINE))
    assert verbs >= {"serve", "import"}
    for verb in verbs:
        result = CliRunner().invoke(main, [verb, "--help"])
        assert result.exit_code == 0, (verb, result.output)
    serve_help = CliRunner().invoke(main, ["serve", "--help"]).output
    for flag in ("--host", "--port", "--db", "--demo / --no-demo"):
        assert flag in serve_help


def test_design_routes_exist() -> None:
    paths = {route.path for route in build_routes()}
    assert {"/v1/traces", "/healthz"} <= paths


def test_design_table_columns_exist(tmp_path: Path) -> None:
    Store(tmp_path / "lens.duckdb").close()
    with duckdb.connect(str(tmp_path / "lens.duckdb"), read_only=True) as con:
        calls = {row[0] for row in con.execute("DESCRIBE calls").fetchall()}
        filters = {row[0] for row in con.execute("DESCRIBE filter_results").fetchall()}
    # DESIGN section 9, "Tables".
    assert calls >= set(
        [
            "call_id",
            "source",
            "trace_id",
            "span_id",
            "start_time",
            "duration_ms",
            "ttft_ms",
            "operation",
            "endpoint",
            "region",
            "deployment",
            "model",
            "api_version",
            "deployment_type",
            "tenant_id",
            "end_user",
            "service",
            "status",
            "http_status",
            "error_type",
            "input_tokens",
            "cached_input_tokens",
            "output_tokens",
            "reasoning_tokens",
            "finish_reason",
            "filter_action",
            "attributes",
        ]
    )
    assert filters >= {"call_id", "target", "idx", "category", "severity", "filtered", "detected"}
