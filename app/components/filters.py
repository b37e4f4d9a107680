"""URL query parameters <-> ``Filters``: the only reader of ``st.query_params``.

Filters live in the URL so a view can be shared as a link: ``?range=7d``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final

import streamlit as st

RANGES: Final[dict[str, timedelta]] = {
    "24h": timedelta(hours=24),
    "7d": timedelta(days=7),
    "14d": timedelta(days=14),
    "30d": timedelta(days=30),
    "90d": timedelta(days=90),
}
RANGE_LABELS: Final[dict[str, str]] = {
    "24h": "Last 24 hours",
    "7d": "Last 7 days",
    "14d": "Last 14 days",
    "30d": "Last 30 days",
    "90d": "Last 90 days",
}
DEFAULT_RANGE: Final = "7d"


@dataclass(frozen=True)
class Filters:
    range_key: str
    start: datetime
    end: datetime

    @property
    def bucket(self) -> timedelta:
        """A chart bucket that gives 24-200 points for the range."""
        span = self.end - self.start
        if span <= timedelta(days=2):
            return timedelta(hours=1)
        if span <= timedelta(days=31):
            return timedelta(hours=6)
        return timedelta(days=1)


def filters_from_params(params: dict[str, str], now: datetime) -> Filters:
    """Parse URL parameters; unknown or missing values fall back to the defaults."""
    key = params.get("range", DEFAULT_RANGE)
    if key not in RANGES:
        key = DEFAULT_RANGE
    # Whole minutes keep cache keys stable across reruns within a minute.
    end = now.replace(second=0, microsecond=0) + timedelta(minutes=1)
    return Filters(range_key=key, start=end - RANGES[key], end=end)


def params_from_filters(filters: Filters) -> dict[str, str]:
    return {"range": filters.range_key}


def filter_bar() -> Filters:
    """Draw the sidebar filters and keep them in the URL."""
    current = filters_from_params(st.query_params.to_dict(), datetime.now(UTC))
    keys = list(RANGES)
    chosen = st.sidebar.selectbox(
        "Time range",
        keys,
        index=keys.index(current.range_key),
        format_func=RANGE_LABELS.__getitem__,
    )
    filters = filters_from_params({"range": chosen}, datetime.now(UTC))
    st.query_params.update(params_from_filters(filters))
    return filters
