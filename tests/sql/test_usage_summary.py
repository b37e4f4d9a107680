"""The hourly usage summary: kept by the store's writes, rebuilt when out of step, and
priced to the same totals as the calls, whole hours or not."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from collectors.otlp.synthetic import export_requests
from collectors.prices.book import load_reference_data
from collectors.rows import calls_table
from collectors.store import Store
from collectors.tenants import default_tenants, write_tenants
from queries import audits
from queries.overview import overview_totals
from queries.scope import Scope
from queries.usage import usage_in_scope
from tests.normalizing import normalized_tables
from tests.sql.test_call_merge import call

END = datetime(2026, 11, 20, 6, 0, tzinfo=UTC)


def filled_store(path: Path) -> Store:
    store = Store(path)
    load_reference_data(store)
    write_tenants(store, default_tenants())
    for request in export_requests(END - timedelta(days=3), END, 600, batch_size=200):
        store.write_many([normalized_tables(request)])
    return store


def per_call_spend(cur: duckdb.DuckDBPyConnection, start: datetime, end: datetime) -> float:
    ((spend,),) = cur.execute(
        "SELECT coalesce(sum(payg_cost_usd), 0) FROM call_costs "
        "WHERE start_time >= $start AND start_time < $end",
        {"start": start, "end": end},
    ).fetchall()
    return float(spend)


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (END - timedelta(days=3), END),  # partial first and last day
        (datetime(2026, 11, 18, tzinfo=UTC), datetime(2026, 11, 20, tzinfo=UTC)),  # whole days
        (datetime(2026, 11, 18, 23, tzinfo=UTC), datetime(2026, 11, 19, 1, tzinfo=UTC)),
        (END - timedelta(days=30), END + timedelta(days=1)),  # more than the data
    ],
)
def test_summary_and_calls_price_the_same(tmp_path: Path, start: datetime, end: datetime) -> None:
    store = filled_store(tmp_path / "lens.duckdb")
    cur = store.cursor()
    shown = overview_totals(cur, usage_in_scope(cur, Scope(start, end))).iloc[0]
    assert float(shown["payg_cost_usd"]) == pytest.approx(per_call_spend(cur, start, end), rel=1e-9)
    assert float(shown["payg_cost_usd"]) > 0
    store.close()


def test_resent_batches_are_summed_once(tmp_path: Path) -> None:
    store = filled_store(tmp_path / "lens.duckdb")
    (request,) = export_requests(END - timedelta(days=1), END, 50, batch_size=50)
    batch = normalized_tables(request)
    store.write_many([batch] * 2)  # twice in one group
    store.write_many([batch])  # and again later
    assert audits.usage_hourly_drift(store.cursor()).empty
    store.close()


def test_a_summary_out_of_step_is_rebuilt_when_the_file_opens(tmp_path: Path) -> None:
    path = tmp_path / "lens.duckdb"
    filled_store(path).close()
    with duckdb.connect(str(path)) as con:  # a call edited, one deleted, behind the store
        con.execute("UPDATE calls SET output_tokens = output_tokens + 7 WHERE rowid = 1")
        con.execute(
            "DELETE FROM filter_results WHERE call_id IN (SELECT call_id FROM calls LIMIT 1)"
        )
        con.execute("DELETE FROM calls WHERE call_id IN (SELECT call_id FROM calls LIMIT 1)")
        assert not audits.usage_hourly_drift(con).empty
    store = Store(path)
    assert audits.usage_hourly_drift(store.cursor()).empty
    store.close()


LEDGER_COUNTS = """
SELECT
    count(*) AS requests,
    count(*) FILTER (WHERE status = 'error') AS errors,
    count(*) FILTER (WHERE http_status = 429) AS throttled,
    count(*) FILTER (WHERE filter_action IN ('blocked_prompt', 'filtered_completion'))
        AS incidents,
    count(*) FILTER (WHERE filter_action = 'annotated') AS annotated,
    count(*) FILTER (WHERE deployment_source = 'unknown') AS unknown_deployment,
    coalesce(sum(input_tokens), 0) AS input_tokens,
    coalesce(sum(output_tokens), 0) AS output_tokens
FROM calls
WHERE start_time >= $start AND start_time < $end
"""

SCOPE_COUNTS = """
SELECT
    coalesce(sum(requests), 0),
    coalesce(sum(errors), 0),
    coalesce(sum(throttled), 0),
    coalesce(sum(requests) FILTER (
        WHERE filter_action IN ('blocked_prompt', 'filtered_completion')), 0),
    coalesce(sum(requests) FILTER (WHERE filter_action = 'annotated'), 0),
    coalesce(sum(unknown_deployment), 0),
    coalesce(sum(input_tokens), 0),
    coalesce(sum(output_tokens), 0)
FROM scoped_usage
"""


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (END - timedelta(days=3, minutes=17), END - timedelta(minutes=43)),  # partial hours
        (datetime(2026, 11, 19, 4, 10, tzinfo=UTC), datetime(2026, 11, 19, 4, 50, tzinfo=UTC)),
        (datetime(2026, 11, 19, 4, 10, tzinfo=UTC), datetime(2026, 11, 19, 5, 50, tzinfo=UTC)),
        (datetime(2026, 11, 18, tzinfo=UTC), datetime(2026, 11, 19, 6, tzinfo=UTC)),  # whole
    ],
)
def test_summary_and_calls_count_the_same(tmp_path: Path, start: datetime, end: datetime) -> None:
    """Whole hours are read from the summary and the partial hours at either edge from the
    calls: every count equals the ledger's, within one hour or across many (the three-day
    range has errors, throttles and incidents to count)."""
    store = filled_store(tmp_path / "lens.duckdb")
    cur = store.cursor()
    (truth,) = cur.execute(LEDGER_COUNTS, {"start": start, "end": end}).fetchall()
    usage = usage_in_scope(cur, Scope(start, end))
    cur.register("scoped_usage", usage)
    (shown,) = cur.execute(SCOPE_COUNTS).fetchall()
    cur.unregister("scoped_usage")
    assert shown == truth
    assert truth[0] > 0  # calls to count
    store.close()


def test_demo_calls_written_by_the_store_are_counted_as_synthetic(tmp_path: Path) -> None:
    store = filled_store(tmp_path / "lens.duckdb")
    (request,) = export_requests(END - timedelta(hours=5), END, 40, batch_size=40, seed=11)
    request.resource_spans[0].resource.attributes.add(key="lens.demo").value.bool_value = True
    assert store.write_many([normalized_tables(request)])[0].calls_inserted == 40
    cur = store.cursor()
    usage = usage_in_scope(cur, Scope(END - timedelta(days=1), END))
    cur.register("scoped_usage", usage)
    ((synthetic,),) = cur.execute("SELECT sum(synthetic) FROM scoped_usage").fetchall()
    cur.unregister("scoped_usage")
    demo_calls = sum(1 for span in request.resource_spans[0].scope_spans[0].spans)
    assert synthetic == demo_calls
    assert audits.usage_hourly_drift(cur).empty
    store.close()


def _summary_rows(store: Store) -> list[tuple[object, ...]]:
    return (
        store.cursor()
        .execute(
            "SELECT hour, deployment, requests, input_tokens, output_tokens FROM usage_hourly "
            "ORDER BY ALL"
        )
        .fetchall()
    )


def test_commits_append_to_the_summary_and_closing_folds_them_into_one_row(
    tmp_path: Path,
) -> None:
    at = datetime(2026, 11, 20, 12, 5, tzinfo=UTC)
    one = call("c1", "otlp", start_time=at, deployment="gpt-4o", deployment_source="attribute",
               input_tokens=100, output_tokens=10)  # fmt: skip
    path = tmp_path / "lens.duckdb"
    store = Store(path)
    store.write(calls_table([one]), source="otlp")
    store.write(calls_table([replace(one, call_id="c2", input_tokens=30)]), source="otlp")
    store.write(calls_table([one]), source="otlp")  # sent again: not counted again
    hour = datetime(2026, 11, 20, 12, tzinfo=UTC)
    # Two commits inserted a call of the same hour and keys: two rows, summed by readers.
    assert _summary_rows(store) == [(hour, "gpt-4o", 1, 30, 10), (hour, "gpt-4o", 1, 100, 10)]
    assert audits.usage_hourly_drift(store.cursor()).empty
    store.close()
    store = Store(path)
    assert _summary_rows(store) == [(hour, "gpt-4o", 2, 130, 20)]  # folded at close
    store.close()
