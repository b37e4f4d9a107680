"""Chargeback through the running server's route and `aoai-lens export chargeback`; without
a server or a database file the command refuses rather than create an empty one."""

from __future__ import annotations

import io
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb
import httpx
import pandas as pd

from app.exports import chargeback_file
from collectors.otlp.synthetic import export_requests
from collectors.store import Store
from lens_harness.lens_process import LensServer, free_port
from queries.chargeback import CHARGEBACK_COLUMNS, last_full_month

CLI = Path(sys.executable).with_name("aoai-lens")
MONTH = last_full_month(datetime.now(UTC))


def export(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(CLI), "export", "chargeback", *args],
        capture_output=True, text=True, timeout=120, check=False, cwd=cwd,
        env={"PATH": "/usr/bin:/bin", "LENS_PORT": str(free_port()), **env},
    )  # fmt: skip


def send_last_month(server: LensServer, calls: int = 1024) -> None:
    first = datetime.strptime(MONTH + "-01", "%Y-%m-%d").replace(tzinfo=UTC)
    for request in export_requests(first, first + timedelta(days=28), calls):
        response = httpx.post(
            f"{server.url}/v1/traces",
            content=request.SerializeToString(),
            headers={"Content-Type": "application/x-protobuf"},
            timeout=30,
        )
        assert response.status_code == 200


def test_route_serves_the_csv_and_refuses_bad_months(lens_server: LensServer) -> None:
    send_last_month(lens_server)
    response = httpx.get(f"{lens_server.url}/api/chargeback.csv", timeout=60)  # default month
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert f"chargeback-{MONTH}.csv" in response.headers["content-disposition"]
    frame = pd.read_csv(io.StringIO(response.text), dtype=str, keep_default_na=False)
    assert tuple(frame.columns) == CHARGEBACK_COLUMNS
    assert set(frame["month"]) == {MONTH}
    assert sum(int(v) for v in frame["requests"]) == 1024
    assert {"contoso-support", "fabrikam-search"} <= set(frame["tenant_id"])

    focus = httpx.get(
        f"{lens_server.url}/api/chargeback.csv",
        params={"month": MONTH, "format": "focus"},
        timeout=60,
    )
    assert focus.status_code == 200 and "EffectiveCost" in focus.text.splitlines()[0]

    bad = httpx.get(f"{lens_server.url}/api/chargeback.csv", params={"month": "2026-13"})
    assert bad.status_code == 400
    assert bad.json() == {
        "error": "month must be YYYY-MM, got '2026-13'",
        "hint": "pass month=YYYY-MM, e.g. month=2026-10",
    }
    assert (
        httpx.get(f"{lens_server.url}/api/chargeback.csv", params={"format": "xlsx"}).status_code
        == 400
    )


def test_cli_export_through_the_server_and_without_one(
    make_server: Callable[..., LensServer], tmp_path: Path
) -> None:
    server = make_server().start()
    send_last_month(server)
    via_server = tmp_path / "via-server.csv"
    result = subprocess.run(
        [str(CLI), "export", "chargeback", "--month", MONTH, "--url", server.url,
         "--out", str(via_server)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    server.stop()

    direct = subprocess.run(  # no server: the command opens the file itself
        [str(CLI), "export", "chargeback", "--month", MONTH, "--url", "http://127.0.0.1:9"],
        capture_output=True, text=True, timeout=120, check=False,
        env={"PATH": "/usr/bin:/bin", "LENS_DB": str(server.db_path)},
    )  # fmt: skip
    assert direct.returncode == 0, direct.stderr
    assert direct.stdout == via_server.read_text()  # the same file either way
    total = sum(
        Decimal(v) for v in pd.read_csv(io.StringIO(direct.stdout), dtype=str)["total_cost_usd"]
    )
    assert total > 0
    with duckdb.connect(str(server.db_path), read_only=True) as con:  # both exports audited
        exports = con.execute(
            "SELECT actor, detail->>'via' FROM audit_log WHERE action = 'export.chargeback' "
            'ORDER BY "at"'
        ).fetchall()
    assert [via for _, via in exports] == ["api", "cli"]
    assert exports[0][0] == "local" and exports[1][0].startswith("cli:")


def test_cli_export_without_a_server_or_a_database_refuses_and_creates_nothing(
    tmp_path: Path,
) -> None:
    default = export("--month", MONTH, cwd=tmp_path, env={})  # LENS_DB: data/lens.duckdb
    assert default.returncode == 1
    assert "no database file at data/lens.duckdb" in default.stderr
    assert "--url" in default.stderr and "--db" in default.stderr
    assert default.stdout == ""

    named = export("--month", MONTH, "--db", "elsewhere/ledger.duckdb", cwd=tmp_path, env={})
    assert named.returncode == 1
    assert "no database file at elsewhere/ledger.duckdb" in named.stderr
    assert list(tmp_path.iterdir()) == []  # no database, no folder for one


def test_cli_export_of_a_month_without_calls_says_so(tmp_path: Path) -> None:
    ledger = tmp_path / "ledger.duckdb"
    Store(ledger).close()  # a real, migrated ledger with no calls
    empty = export("--month", "2020-01", "--db", str(ledger), cwd=tmp_path, env={})
    assert empty.returncode == 0, empty.stderr
    assert empty.stdout.splitlines() == [",".join(CHARGEBACK_COLUMNS)]
    assert "note: no calls in 2020-01: the CSV has only its header row" in empty.stderr

    out = tmp_path / "empty.csv"
    written = export("--month", "2020-01", "--out", str(out), cwd=tmp_path,
                     env={"LENS_DB": str(ledger)})  # fmt: skip
    assert written.returncode == 0, written.stderr
    assert "note: no calls in 2020-01" in written.stderr and "(0 rows, 2020-01)" in written.stderr


def test_focus_file_is_the_same_bytes_from_the_api_the_cli_and_the_page(
    make_server: Callable[..., LensServer],
) -> None:
    server = make_server().start()
    send_last_month(server, calls=256)
    api = httpx.get(
        f"{server.url}/api/chargeback.csv", params={"month": MONTH, "format": "focus"}, timeout=60
    )
    assert api.status_code == 200
    cli = subprocess.run(
        [str(CLI), "export", "chargeback", "--month", MONTH, "--format", "focus",
         "--url", server.url],
        capture_output=True, timeout=120, check=False,
    )  # fmt: skip
    assert cli.returncode == 0, cli.stderr
    server.stop()
    store = Store(server.db_path)
    try:
        page = chargeback_file(store.cursor(), MONTH, "focus")  # what the page's button serves
    finally:
        store.close()
    assert api.content == cli.stdout == page.encode()
    header = api.text.splitlines()[0].split(",")
    assert header[:3] == ["BilledCost", "BillingAccountId", "BillingAccountName"]
    frame = pd.read_csv(io.StringIO(api.text), dtype=str, keep_default_na=False)
    assert sum(int(v) for v in frame["x_Requests"]) == 256
