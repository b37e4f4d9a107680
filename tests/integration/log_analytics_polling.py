"""One poll of a Log Analytics source from the fake workspace, at a fixed clock."""

from __future__ import annotations

from datetime import UTC, datetime

from collectors.loganalytics.client import LogAnalyticsConfig
from collectors.loganalytics.poller import Poller
from collectors.store import Store
from lens_harness.log_analytics import WORKSPACE, FakeLogAnalytics, TokenCredential

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def poll(store: Store, fake: FakeLogAnalytics, source: str) -> None:
    """Poll ``source`` once at ``NOW``, with no retries; it must not fail."""
    config = LogAnalyticsConfig(workspace_id=WORKSPACE, endpoint=fake.endpoint, retry_total=0)
    report = Poller(store, config, credential=TokenCredential(), now=lambda: NOW).poll(source)
    assert report.error is None
