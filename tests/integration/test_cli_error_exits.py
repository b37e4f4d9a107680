"""The CLI's one translation of errors (``app/cli/errors.py``): a ``LensError`` raised by
any verb is ``error: <message>`` and its hint on stderr, then its exit code (2 for bad input
or settings, 1 for a failure), never a traceback. The real ``aoai-lens`` group, in process;
no lens server answers at the URL given (port 9)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from app.cli.commands import main

NO_SERVER = ("--url", "http://127.0.0.1:9")


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, " ".join(result.stderr.split())


@pytest.mark.parametrize("more", [(), ("--apply-prices",)], ids=["reconcile", "apply-prices"])
def test_a_file_that_is_not_an_export_is_bad_input_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, more: tuple[str, ...]
) -> None:
    monkeypatch.setenv("LENS_DB", str(tmp_path / "lens.duckdb"))
    notes = tmp_path / "notes.csv"
    notes.write_text("a,b\n1,2\n", encoding="utf-8")
    code, stderr = run("reconcile", "--month", "2026-10", str(notes), *more, *NO_SERVER)
    assert code == 2
    assert stderr.startswith("error: ")
    assert "neither the FOCUS columns" in stderr
    assert "Cost and usage details (FOCUS)" in stderr  # the hint: what to export instead
    assert "Traceback" not in stderr


def test_a_bad_setting_is_a_config_error_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LENS_DB", str(tmp_path / "lens.duckdb"))
    monkeypatch.setenv("LENS_ALERT_WEBHOOKS", "ftp://hooks.example.com/x")
    code, stderr = run("alerts", "check", *NO_SERVER)
    assert code == 2
    assert stderr.startswith("error: LENS_ALERT_WEBHOOKS is invalid:")
    assert "give http(s) URLs, comma-separated" in stderr


def test_no_server_and_no_file_is_a_failure_exit_1(tmp_path: Path) -> None:
    missing = tmp_path / "missing.duckdb"
    code, stderr = run(
        "export", "chargeback", "--month", "2026-10", *NO_SERVER, "--db", str(missing)
    )
    assert code == 1
    assert stderr.startswith(
        "error: no lens server answers at http://127.0.0.1:9 and there is no database "
        f"file at {missing}"
    )
    assert "Start one with `aoai-lens serve`" in stderr
    assert not missing.exists()


def test_a_value_with_markup_is_printed_as_it_is() -> None:
    code, stderr = run("advise", "--since", "[bold]soon[/bold]", *NO_SERVER)
    assert code == 2
    assert "[bold]soon[/bold]" in stderr  # Rich markup in a value is shown, not applied
    assert "Pass --since 30d, 12h or 90m." in stderr
