"""What the Sources page reads: cached queries and the live state of this server's
collectors (OTLP receiver counters, the Log Analytics configuration)."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
import streamlit as st

from app.config import load_settings
from app.dashboard import db
from app.lens import running_lens
from collectors.loganalytics.client import LogAnalyticsConfig
from collectors.loganalytics.sources import SOURCES
from collectors.monitor_metrics.client import SOURCE_NAME, MetricsConfig
from queries import sources

METRICS_SOURCE = SOURCE_NAME  # the Azure Monitor metrics source, beside Log Analytics
METRICS_NEEDS = (
    "the Azure OpenAI resources' ids in LENS_METRICS_RESOURCE_IDS and the Monitoring Reader "
    "role on them (the Azure Monitor Metrics REST API; no diagnostic setting needed)"
)


def receiver_counts() -> dict[str, int] | None:
    """OTLP receiver totals since the server started (None outside a running server)."""
    lens = running_lens()
    return lens.otlp_counts() if lens is not None else None


def _configs() -> tuple[LogAnalyticsConfig | None, MetricsConfig | None]:
    """The running lens's pollers' configurations, else what the settings say."""
    lens = running_lens()
    if lens is not None:
        return lens.log_analytics, lens.metrics
    settings = load_settings()
    return settings.log_analytics_config(), settings.metrics_config()


def log_analytics_sources() -> list[dict[str, object]]:
    """Each Log Analytics source: whether it is polled, its mode, and what Azure needs."""
    config, metrics = _configs()
    polled = set(config.sources) if isinstance(config, LogAnalyticsConfig) else set()
    mode = config.mode if isinstance(config, LogAnalyticsConfig) else "calls"
    return [
        {"source": name, "polled": name in polled, "mode": mode, "needs": source.needs}
        for name, source in SOURCES.items()
    ] + [
        {
            "source": METRICS_SOURCE,
            "polled": isinstance(metrics, MetricsConfig),
            "mode": mode,
            "needs": METRICS_NEEDS,
        }
    ]


def workspace_id() -> str:
    config, _ = _configs()
    return config.workspace_id if isinstance(config, LogAnalyticsConfig) else ""


# ``version`` (``app.dashboard.cache.data_version()``) keys each cache by the store and its
# calls, as the other pages' caches are: another store or new calls are never answered from
# the cache.
@st.cache_data(ttl=10, max_entries=8, show_spinner=False)
def source_health(polled: tuple[str, ...], now: datetime, version: str) -> pd.DataFrame:
    return sources.source_health(db.cursor(), list(polled), now)


@st.cache_data(ttl=10, max_entries=8, show_spinner=False)
def source_pull_log(now: datetime, version: str) -> pd.DataFrame:
    return sources.source_pull_log(db.cursor(), 50)


@st.cache_data(ttl=60, max_entries=16, show_spinner=False)
def source_coverage(start: datetime, end: datetime, version: str) -> pd.DataFrame:
    return sources.source_coverage(db.cursor(), start, end)


@st.cache_data(ttl=60, max_entries=16, show_spinner=False)
def metrics_coverage(start: datetime, end: datetime, version: str) -> pd.DataFrame:
    return sources.metrics_coverage(db.cursor(), start, end)


@st.cache_data(ttl=10, max_entries=8, show_spinner=False)
def unmapped_meters(version: str) -> pd.DataFrame:
    return sources.unmapped_meters(db.cursor())
