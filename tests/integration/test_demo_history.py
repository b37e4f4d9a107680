"""`serve --demo` on an empty ledger fills it through the real OTLP path, once."""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import duckdb
import httpx

from lens_harness.lens_process import LensServer


def test_demo_history_arrives_through_otlp_and_is_marked(
    make_server: Callable[..., LensServer],
) -> None:
    # No live traffic here: the count of calls must be the history's alone.
    server = make_server(demo=True, env={"LENS_LIVE_TRAFFIC_PER_MINUTE": "0"}).start()
    deadline = time.monotonic() + 180
    while server.health()["calls"] != 20_000 and time.monotonic() < deadline:
        time.sleep(0.5)
    health = server.health()
    assert health["calls"] == 20_000, server.output()
    assert health["otlp"]["spans_stored"] == 20_000  # type: ignore[index]  # sent over HTTP

    # No tenants or deployments file here: the demo reads the shipped examples, so the
    # provisioned deployment is priced by its PTUs and tenants have cost centers.
    month = (datetime.now(UTC) - timedelta(days=1)).strftime("%Y-%m")  # within the history
    response = httpx.get(f"{server.url}/api/chargeback.csv", params={"month": month}, timeout=60)
    assert response.status_code == 200, response.text
    rows = list(csv.DictReader(io.StringIO(response.text)))
    ptu = [row for row in rows if row["deployment"] == "gpt-4o-ptu"]
    assert ptu and sum(float(row["ptu_cost_usd"]) for row in ptu) > 0
    assert {row["cost_center"] for row in rows} >= {"CC-1001", "CC-2001"}
    assert "demo: tenants.example.toml is read (no file configured in its place)" in server.output()

    server.stop()
    server.start()  # the ledger is no longer empty: nothing is seeded again
    time.sleep(2)  # a seeder, had one started, would have sent its first batches by now
    # Re-sent demo spans would be deduplicated (same ids), so count requests, not calls.
    assert server.health()["otlp"]["requests"] == 0  # type: ignore[index]
    assert server.health()["calls"] == 20_000
    server.stop()

    with duckdb.connect(str(server.db_path), read_only=True) as con:
        days, demo_rows, deployments, tenants = con.execute(
            "SELECT epoch(max(start_time) - min(start_time)) / 86400, "
            "count(*) FILTER "
            "(WHERE json_extract_string(attributes, '$.resource.\"lens.demo\"') = 'true'), "
            "count(DISTINCT deployment), count(DISTINCT tenant_id) FROM calls"
        ).fetchone()
    assert 13.9 < days <= 14  # 14 days of history
    assert demo_rows == 20_000
    assert deployments >= 5 and tenants >= 4
