"""URL query parameters <-> ``Filters``: the only reader of ``st.query_params``.

Filters live in the URL so a view can be shared as a link, e.g.
``?range=30d&tenant=contoso&deployment=gpt-4o-prod`` or
``?range=custom&from=2026-11-01&to=2026-11-15``. A dimension may repeat
(``&tenant=a&tenant=b``); an absent dimension means "all". Opening another page keeps
the filters of this session when its URL names none.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Final

import streamlit as st

from app.dashboard import cache
from app.dashboard.components.sign_in import current_identity
from queries.scope import Scope

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
    "custom": "Custom dates",
}
DEFAULT_RANGE: Final = "7d"
CUSTOM: Final = "custom"


@dataclass(frozen=True)
class Dimension:
    url_key: str  # in the URL: ?tenant=contoso
    field: str  # in Scope
    column: str  # in the queries (filter_options, group-by choices)
    label: str  # in the sidebar


DIMENSIONS: Final = (
    Dimension("tenant", "tenants", "tenant_id", "Tenant"),
    Dimension("deployment", "deployments", "deployment", "Deployment"),
    Dimension("model", "models", "model", "Model"),
    Dimension("type", "deployment_types", "deployment_type", "Deployment type"),
    Dimension("service", "services", "service", "Service"),
)
URL_KEY_OF_COLUMN: Final = {d.column: d.url_key for d in DIMENSIONS}
URL_KEYS: Final = ("range", "from", "to", *(d.url_key for d in DIMENSIONS))
_SESSION_KEY: Final = "lens_filters"

Params = Mapping[str, str | Sequence[str]]


@dataclass(frozen=True)
class Filters:
    """The range as chosen (a preset key or 'custom') and the scope the queries get."""

    range_key: str
    scope: Scope
    as_of: datetime  # now, to the next whole minute (cache keys stay stable within it)
    note: str | None = None  # why the range in the link was not used, when it was not

    @property
    def start(self) -> datetime:
        return self.scope.start

    @property
    def end(self) -> datetime:
        return self.scope.end

    @property
    def bucket(self) -> timedelta:
        """A chart bucket that gives 24-200 points for the range (the scope's usage is
        summed per such bucket: ``Scope.bucket``)."""
        return self.scope.bucket

    @property
    def period(self) -> str:
        """The range in words: 'Last 7 days' or '1 Nov 2026 – 15 Nov 2026'."""
        if self.range_key != CUSTOM:
            return RANGE_LABELS[self.range_key]
        last_day = (self.end - timedelta(days=1)).date()
        return f"{self.start:%-d %b %Y} – {last_day:%-d %b %Y}"

    @property
    def before(self) -> Scope:
        """The period the changes are measured against: just before this one, and as long
        as this one has lasted so far."""
        return self.scope.previous(self.as_of)

    @property
    def comparison(self) -> str:
        """What the changes are measured against, in words."""
        before = self.before
        if self.range_key != CUSTOM:
            return f"the {RANGE_LABELS[self.range_key].lower().removeprefix('last ')} before"
        if before.end - before.start == self.end - self.start:
            last_day = (before.end - timedelta(days=1)).date()
            return f"{before.start:%-d %b %Y} – {last_day:%-d %b %Y}"
        return (
            f"{before.start:%-d %b %Y %H:%M} – {before.end:%-d %b %Y %H:%M} UTC, as long as "
            "this period has lasted so far"
        )

    @property
    def narrowed(self) -> bool:
        """Whether any dimension is filtered."""
        return any(getattr(self.scope, d.field) for d in DIMENSIONS)


def _values(params: Params, key: str) -> tuple[str, ...]:
    value = params.get(key)
    if value is None:
        return ()
    items = [value] if isinstance(value, str) else list(value)
    return tuple(dict.fromkeys(item for item in items if item != ""))


def _day(params: Params, key: str) -> date | None:
    values = _values(params, key)
    try:
        return date.fromisoformat(values[0]) if values else None
    except ValueError:
        return None


def filters_from_params(params: Params, now: datetime) -> Filters:
    """Parse URL parameters; unknown or malformed values fall back to the defaults."""
    key = (_values(params, "range") or (DEFAULT_RANGE,))[0]
    first, last = _day(params, "from"), _day(params, "to")
    # Whole minutes keep cache keys stable across reruns within a minute.
    as_of = now.replace(second=0, microsecond=0) + timedelta(minutes=1)
    note = None
    if key == CUSTOM and first is not None and last is not None and first <= last:
        start = datetime.combine(first, time(), tzinfo=UTC)
        end = datetime.combine(last + timedelta(days=1), time(), tzinfo=UTC)
    else:
        if key == CUSTOM:
            note = _custom_range_problem(params, first, last)
        if key not in RANGES:
            key = DEFAULT_RANGE
        end = as_of
        start = end - RANGES[key]
    chosen = {d.field: _values(params, d.url_key) for d in DIMENSIONS}
    return Filters(range_key=key, scope=Scope(start, end, **chosen), as_of=as_of, note=note)


def _custom_range_problem(params: Params, first: date | None, last: date | None) -> str:
    """Why the custom range of a link cannot be used (it falls back to the default)."""
    default = RANGE_LABELS[DEFAULT_RANGE].lower()
    if first is None or last is None:
        given = ", ".join(
            f"{key}={(_values(params, key) or ('',))[0][:20]!r}" for key in ("from", "to")
        )
        return f"The custom range needs dates as YYYY-MM-DD ({given}); showing the {default}."
    return (
        f"The custom range starts after it ends (from {first.isoformat()} to "
        f"{last.isoformat()}); showing the {default}."
    )


def params_from_filters(filters: Filters) -> dict[str, str | list[str]]:
    """The URL parameters that reproduce ``filters`` (absent dimension = all)."""
    params: dict[str, str | list[str]] = {"range": filters.range_key}
    if filters.range_key == CUSTOM:
        params["from"] = filters.start.date().isoformat()
        params["to"] = (filters.end - timedelta(days=1)).date().isoformat()
    for d in DIMENSIONS:
        values = getattr(filters.scope, d.field)
        if values:
            params[d.url_key] = list(values)
    return params


def _url_params() -> dict[str, str | list[str]]:
    """This page's filter parameters, or the session's last ones when the URL has none."""
    present = {key: st.query_params.get_all(key) for key in URL_KEYS if key in st.query_params}
    if present:
        return {key: values for key, values in present.items() if values}
    remembered: dict[str, str | list[str]] = st.session_state.get(_SESSION_KEY, {})
    return remembered


def _write_url(params: dict[str, str | list[str]]) -> None:
    for key in URL_KEYS:
        if key in params:
            st.query_params[key] = params[key]
        elif key in st.query_params:
            del st.query_params[key]
    st.session_state[_SESSION_KEY] = params


def filter_bar(version: str) -> Filters:
    """Draw the sidebar filters, keep them in the URL, and return them; ``version`` is the
    page's ``cache.data_version()``."""
    current = filters_from_params(_url_params(), datetime.now(UTC))
    sidebar = st.sidebar
    keys = [*RANGES, CUSTOM]
    range_key = (
        sidebar.selectbox(
            "Time range",
            keys,
            index=keys.index(current.range_key),
            format_func=lambda key: RANGE_LABELS[key],
        )
        or DEFAULT_RANGE
    )
    params: dict[str, str | list[str]] = {"range": range_key}
    if range_key == CUSTOM:
        default_first = current.start.date()
        default_last = (current.end - timedelta(days=1)).date()
        picked = sidebar.date_input(
            "Dates (UTC)", value=(default_first, default_last), max_value=datetime.now(UTC).date()
        )
        days = [d for d in (picked if isinstance(picked, tuple) else (picked,)) if d is not None]
        first, last = (days[0], days[-1]) if days else (default_first, default_last)
        params["from"], params["to"] = first.isoformat(), last.isoformat()
    in_range = filters_from_params(params, datetime.now(UTC))
    available = cache.filter_options(in_range.start, in_range.end, version)
    allowed = current_identity().tenants  # None: every tenant
    for d in DIMENSIONS:
        chosen = list(getattr(current.scope, d.field))
        offered = available.get(d.column, [])
        if d.field == "tenants" and allowed is not None:
            offered = [tenant for tenant in offered if tenant in allowed]
        choices = sorted(set(offered) | set(chosen))
        picked_values = sidebar.multiselect(
            d.label,
            choices,
            default=chosen,
            placeholder="All",
            format_func=lambda value: value or "(none)",
        )
        if picked_values:
            params[d.url_key] = list(picked_values)
    if current.note is not None:
        sidebar.warning(current.note)
    filters = filters_from_params(params, datetime.now(UTC))
    _write_url(params_from_filters(filters))
    if allowed is not None:  # the scope every query binds: only the tenants they may see
        filters = replace(filters, scope=replace(filters.scope, allowed_tenants=allowed))
    if filters.narrowed:
        sidebar.caption("Filtered: numbers cover only the selected values.")
    return filters
