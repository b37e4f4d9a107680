"""Chargeback through the running server's route and `aoai-lens export chargeback`."""

from __future__ import annotations

import io
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import httpx
import pandas as pd

from collectors.otlp.synthetic import export_requests
from queries.chargeback import CHARGEBACK_COLUMNS, last_full_month
from tests.lens_process import LensServer

CLI = Path(sys.executable).with_name("aoai-lens")
MONTH = last_full_month(datetime.now(UTC))


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
