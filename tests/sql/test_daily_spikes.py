"""Spikes on a seeded series, worked out by hand: 8 weeks of one tenant on one deployment
(gpt-4o-mini, $0.15 per 1M input tokens) with a weekly pattern, Mondays 100M tokens
($15.00) and every other day 10M ($1.50), and one spike: Wednesday 2026-11-25, 60M ($9.00).

Against the same weekday of the 4 weeks before: median $1.50, MAD 0, so the scale is 20 %
of the median ($0.30) and the score (9.00 - 1.50) / 0.30 = 25. A Monday scores 0 against
Mondays; against all the days before it would be a spike every week.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from collectors.store import Store
from queries.anomalies import daily_spikes
from queries.scope import Scope
from tests.normalizing import rows_batch
from tests.sql.test_budget_alerts import build_store
from tests.sql.test_chargeback import call

FIRST = date(2026, 10, 5)  # a Monday
SPIKE = date(2026, 11, 25)  # a Wednesday


def tokens_on(day: date) -> int:
    if day == SPIKE:
        return 60_000_000
    return 100_000_000 if day.weekday() == 0 else 10_000_000


def seed_weeks(path: Path) -> Store:
    """The 8 weeks of calls on a new file."""
    store = build_store(path)
    days = [FIRST + timedelta(days=n) for n in range(56)]
    calls = [
        call(f"c{day}", "acme", "mini", "gpt-4o-mini", "GlobalStandard",
             datetime(day.year, day.month, day.day, 12, tzinfo=UTC), tokens_on(day), 0)
        for day in days
    ]  # fmt: skip
    store.write_many([rows_batch(calls)])
    return store


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return seed_weeks(tmp_path / "lens.duckdb")


def last_four_weeks() -> Scope:
    return Scope(datetime(2026, 11, 2, tzinfo=UTC), datetime(2026, 11, 30, tzinfo=UTC))


def test_the_known_spike_is_found_and_no_monday_is_flagged(store: Store) -> None:
    spikes = daily_spikes(store.cursor(), last_four_weeks())
    got = [(r.scope_kind, r.scope, r.day, r.metric, r.value, r.score)
           for r in spikes.itertuples(index=False)]  # fmt: skip
    assert got == [
        ("tenant", "acme", SPIKE, "spend_usd", 9.0, 25.0),
        ("tenant", "acme", SPIKE, "tokens", 60_000_000.0, 25.0),
        ("deployment", "mini", SPIKE, "spend_usd", 9.0, 25.0),
        ("deployment", "mini", SPIKE, "tokens", 60_000_000.0, 25.0),
    ]


def test_every_day_is_scored_against_its_own_weekday(store: Store) -> None:
    days = daily_spikes(store.cursor(), last_four_weeks(), only_spikes=False)
    spend = days[(days["scope_kind"] == "tenant") & (days["metric"] == "spend_usd")]
    assert len(spend) == 28 and set(spend["baseline_days"]) == {4}
    mondays = spend[[d.weekday() == 0 for d in spend["day"]]]
    assert list(mondays["baseline_median"]) == [15.0] * 4 and set(mondays["score"]) == {0.0}
    assert int(spend["spike"].sum()) == 1


def test_a_new_scope_is_not_a_spike_against_the_days_before_it(store: Store) -> None:
    late = call("new", "bee", "mini", "gpt-4o-mini", "GlobalStandard",
                datetime(2026, 11, 20, 9, tzinfo=UTC), 50_000_000, 0)  # fmt: skip
    store.write_many([rows_batch([late])])
    spikes = daily_spikes(store.cursor(), last_four_weeks())
    assert "bee" not in set(spikes["scope"])


def test_a_tenant_filter_counts_only_its_calls(store: Store) -> None:
    scope = Scope(datetime(2026, 11, 2, tzinfo=UTC), datetime(2026, 11, 30, tzinfo=UTC),
                  allowed_tenants=("bee",))  # fmt: skip
    assert daily_spikes(store.cursor(), scope).empty
