"""Azure Monitor metrics pull benchmark: a first poll (7 days, hourly) of several Azure
OpenAI resources with many deployments, read with the real MonitorManagementClient from a
local fake of the Metrics REST API and stored in a real DuckDB file.

It first checks what it stored: one row per resource, deployment, hour and metric, whose
totals add up to the sum of the values put into the fake. Then it prints the poll's time
and its parts: the client's request, answer parsing and model building (the SDK's
deserialiser), our decode (models -> rows) and the DuckDB upsert. The same-run baseline is
the floor of the wire part: the same answers fetched with httpx and parsed with
json.loads. A re-poll of the same hours (every value already stored: the replace path) is
timed too. The fake server runs in this process and competes for the same CPU.

Run with ``make bench`` or ``python -m bench.monitor_metrics [--resources N]
[--deployments N] [--days N]``.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

import httpx

from collectors.monitor_metrics import poller as poller_module
from collectors.monitor_metrics.client import COUNTED, PTU_UTILIZATION, READS, MetricsConfig
from collectors.monitor_metrics.poller import MetricsPoller
from collectors.store import Store
from lens_harness.log_analytics import TokenCredential
from lens_harness.monitor_metrics import TOKEN, FakeMonitorMetrics, resource_id


class Timed:
    """Adds up the seconds spent in a module-level function while it is patched."""

    def __init__(self, module: object, name: str) -> None:
        self.module, self.name, self.seconds = module, name, 0.0
        self.original = getattr(module, name)

    def __enter__(self) -> Timed:
        def timed(*args: object, **kwargs: object) -> object:
            began = time.perf_counter()
            try:
                return self.original(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - began

        setattr(self.module, self.name, timed)
        return self

    def __exit__(self, *exc: object) -> None:
        setattr(self.module, self.name, self.original)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--resources", type=int, default=4)
    parser.add_argument("--deployments", type=int, default=25)
    parser.add_argument("--days", type=int, default=7)
    args = parser.parse_args()
    now = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    hours = [now - timedelta(hours=h) for h in range(1, 24 * args.days)]
    resources = [resource_id(f"aoai-{n:02d}") for n in range(args.resources)]
    fake = FakeMonitorMetrics().start()
    expected_total = 0.0
    expected_rows = 0
    for r, resource in enumerate(resources):
        for d in range(args.deployments):
            deployment = f"deployment-{d:02d}"
            for h, hour in enumerate(hours):
                for m, metric in enumerate(COUNTED):
                    value = float((r + d + h + m) % 997 + 1)
                    fake.add(resource, metric, deployment, hour, total=value)
                    expected_total += value
                    expected_rows += 1
                if d % 5 == 0:  # every fifth deployment is provisioned
                    fake.add(
                        resource, PTU_UTILIZATION, deployment, hour, average=50.0, maximum=90.0
                    )
                    expected_rows += 1
    config = MetricsConfig(
        resource_ids=tuple(resources),
        endpoint=fake.endpoint,
        retry_total=0,
        first_pull=timedelta(days=args.days),
    )
    print(f"{args.resources} resources x {args.deployments} deployments x {len(hours)} hours: "
          f"{expected_rows:,} values", flush=True)  # fmt: skip
    with tempfile.TemporaryDirectory() as folder:
        store = Store(Path(folder) / "lens.duckdb")
        poller = MetricsPoller(store, config, credential=TokenCredential(TOKEN), now=lambda: now)
        load = os.getloadavg()[0]
        with (  # the poller looks these names up in its own module: time them there
            Timed(poller_module, "read_metrics") as wire,
            Timed(poller_module, "metric_rows") as decode,
            Timed(poller_module, "store_deployment_metrics") as write,
        ):
            began = time.perf_counter()
            report = poller.poll()
            total = time.perf_counter() - began
        began = time.perf_counter()
        again = poller.pull(report.start, report.end)
        reread = time.perf_counter() - began
        stored_rows, stored_total = store.cursor().execute(
            "SELECT count(*), coalesce(sum(total), 0) FROM deployment_metrics"
        ).fetchone() or (0, 0.0)
        store.close()
    assert report.errors == [] and again.errors == []
    assert stored_rows == expected_rows, (stored_rows, expected_rows)
    assert stored_total == expected_total, (stored_total, expected_total)
    began = time.perf_counter()
    for resource in resources:
        for names, aggregation in READS:
            query = {
                "api-version": "2024-02-01",
                "timespan": f"{report.start:%Y-%m-%dT%H:%M:%SZ}/{report.end:%Y-%m-%dT%H:%M:%SZ}",
                "interval": "PT1H",
                "metricnames": ",".join(names),
                "aggregation": aggregation,
                "$filter": "ModelDeploymentName eq '*'",
                "top": "1000",
            }
            answer = httpx.get(
                f"{fake.endpoint}{resource}/providers/Microsoft.Insights/metrics?{urlencode(query)}",
                headers={"Authorization": f"Bearer {TOKEN}"},
                timeout=120,
            )
            json.loads(answer.content)
    floor = time.perf_counter() - began
    fake.stop()
    print(f"first poll: {expected_rows:,} values stored in {total:.2f} s "
          f"({expected_rows / total:,.0f} values/s); load average {load:.1f} on "
          f"{os.cpu_count()} cores at the start")  # fmt: skip
    for phase, seconds in (
        ("request + SDK deserialising (the fake server included)", wire.seconds),
        ("decode (SDK models -> rows)", decode.seconds),
        ("DuckDB upsert", write.seconds),
    ):
        print(f"  {phase:<55} {seconds:6.2f} s")
    print(f"re-poll of the same hours (every value replaced): {reread:.2f} s")
    print(f"baseline, httpx + json.loads of the same answers: {floor:.2f} s")


if __name__ == "__main__":
    main()
