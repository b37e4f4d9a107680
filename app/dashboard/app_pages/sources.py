"""Sources: is each collector delivering, and do the sources agree on the tokens?"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import streamlit as st

from app.dashboard import cache, sources_cache
from app.dashboard.components import tables
from app.dashboard.components.verbatim import code

COVERAGE_DAYS = 14
now = datetime.now(UTC).replace(second=0, microsecond=0)
catalog = sources_cache.log_analytics_sources()
polled = tuple(str(entry["source"]) for entry in catalog if entry["polled"])
version = cache.data_version()
health = sources_cache.source_health(polled, now, version)
counts = sources_cache.receiver_counts()

if not polled and int(health["calls"].sum()) == 0:
    st.info("No collector has delivered a call yet.")
    st.markdown(
        "**OpenTelemetry**: point any OTLP exporter at this server "
        "(`OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=http://127.0.0.1:8501/v1/traces`), or import "
        "Collector file-exporter output with `aoai-lens import FILE`.\n\n"
        "**Azure Monitor**: set `LOG_ANALYTICS_WORKSPACE_ID` (the workspace ID, a GUID) and "
        "sign in with `az login` (DefaultAzureCredential), or set `LOG_ANALYTICS_ACCESS_TOKEN`; "
        "`LOG_ANALYTICS_ENDPOINT` for Azure Government or China. Then restart the server. "
        "Each source reads a table that a diagnostic setting must send to the workspace:"
    )
    for entry in catalog:
        st.markdown(f"- `{entry['source']}`: {entry['needs']}")
    st.stop()

st.subheader("Collectors")
workspace = sources_cache.workspace_id()
st.caption(
    f"Log Analytics workspace {code(workspace)}, mode {code(catalog[0]['mode'])}."
    if workspace
    else "No Log Analytics workspace configured (set LOG_ANALYTICS_WORKSPACE_ID)."
)
st.dataframe(
    health[list(tables.SOURCE_HEALTH_COLUMNS)],
    hide_index=True,
    column_config=tables.SOURCE_HEALTH_COLUMNS,
    placeholder=tables.EMPTY,
)
if counts is not None:
    st.caption(
        f"OTLP receiver since start: {counts['requests']:,} requests, "
        f"{counts['spans_stored']:,} calls stored, {counts['spans_duplicate']:,} already stored, "
        f"{counts['spans_rejected']:,} spans not model calls, {counts['bad_requests']:,} bad "
        f"requests, {counts['throttled']:,} throttled."
    )
for sampled in health[["source", "kept_calls", "represented_calls"]].to_dict("records"):
    kept, represented = int(sampled["kept_calls"]), int(sampled["represented_calls"])
    if represented > kept > 0:
        st.info(
            f"{code(sampled['source'])} samples: its {kept:,} stored calls stand for "
            f"{represented:,} (about 1 in {represented / kept:.1f} kept); totals and costs "
            "count each kept call that many times."
        )
for gateway in health[health["source"] == "apim"].to_dict("records"):
    missing_ids, kept = int(gateway["without_request_id"]), int(gateway["kept_calls"])
    if missing_ids:
        st.warning(
            f"`apim`: {missing_ids:,} of {kept:,} stored calls carry no backend "
            "`apim-request-id`, so a call your application also traced is stored twice. "
            "List `apim-request-id` under the API's logged backend response headers "
            "(README, Log Analytics, step 2)."
        )
for named in health[health["without_deployment"] > 0].to_dict("records"):
    st.warning(
        f"{code(named['source'])}: {int(named['without_deployment']):,} of "
        f"{int(named['kept_calls']):,} stored calls name no deployment, so every page shows them "
        "under `unknown`. Send the deployment with each call (the `azure.openai.deployment` "
        "span attribute; in API Management and resource logs, the rows that name it: README, "
        "Log Analytics)."
    )
for row in health.itertuples():
    if isinstance(row.last_error, str) and row.last_error:
        st.error(f"{code(row.source)}: the last pull failed.")
        st.text(row.last_error)  # the source's own words, shown as they are
        if isinstance(row.last_error_hint, str) and row.last_error_hint:
            st.text(f"What to do: {row.last_error_hint}")
    if isinstance(row.warning, str) and row.warning:
        incomplete = (
            "read only some of its metrics"
            if row.source == sources_cache.METRICS_SOURCE
            else "stored calls with fields missing"
        )
        st.warning(f"{code(row.source)}: the last pull {incomplete}.")
        st.text(row.warning)  # how many, and what the workspace lacks
unpolled = [entry for entry in catalog if not entry["polled"]]
if unpolled:
    with st.expander("Sources not polled, and what each needs"):
        for entry in unpolled:
            st.markdown(f"- `{entry['source']}`: {entry['needs']}")

st.subheader(f"Coverage, last {COVERAGE_DAYS} days")
st.caption(
    "Tokens (input + output) per Azure resource and day as each source saw them. A call seen "
    "by several sources is one call in the ledger and counts in each column here; AzureMetrics "
    "totals have no deployment dimension and serve only to reconcile."
)
coverage = sources_cache.source_coverage(now - timedelta(days=COVERAGE_DAYS), now, version)
if coverage.empty:
    st.info("No calls or metric totals in this period yet.")
else:
    st.dataframe(
        coverage, column_config=tables.COVERAGE_COLUMNS, hide_index=True, placeholder=tables.EMPTY
    )

metrics_coverage = sources_cache.metrics_coverage(now - timedelta(days=COVERAGE_DAYS), now, version)
if not metrics_coverage.empty:
    st.subheader(f"Telemetry coverage, last {COVERAGE_DAYS} days")
    st.caption(
        "Requests Azure Monitor counted per deployment and day (metric AzureOpenAIRequests) "
        "against the calls in the ledger: below 100 %, calls reach Azure that no source reports."
    )
    st.dataframe(
        metrics_coverage,
        column_config=tables.METRICS_COVERAGE_COLUMNS,
        hide_index=True,
        placeholder=tables.EMPTY,
    )

if st.toggle("Show the Log Analytics pull log"):
    st.dataframe(
        sources_cache.source_pull_log(now, version),
        column_config=tables.PULL_LOG_COLUMNS,
        hide_index=True,
        placeholder=tables.EMPTY,
    )

if st.toggle("Show the Azure price meters the last price refresh could not map"):
    unmapped = sources_cache.unmapped_meters(version)
    if unmapped.empty:
        st.info(
            "None: every meter of the last `aoai-lens prices refresh` was mapped, or no "
            "refresh has run yet."
        )
    else:
        st.caption(
            "Meters of the Azure Retail Prices API that the price book does not hold (a "
            "model or billing mode it cannot read): calls they bill are unpriced or priced "
            "from another row until the price book has them."
        )
        st.dataframe(
            unmapped,
            column_config=tables.UNMAPPED_METER_COLUMNS,
            hide_index=True,
            placeholder=tables.EMPTY,
        )
