"""Empty, loading and error states that say what to do next."""

from __future__ import annotations

import streamlit as st

OTLP_HINT = (
    "Point any OpenTelemetry exporter at this server: set "
    "`OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=http://{host}/v1/traces` (OTLP/HTTP, protobuf or "
    "JSON), or import Collector file-exporter output with `aoai-lens import FILE`."
)


def empty_ledger(period: str, host: str = "127.0.0.1:8501") -> None:
    """No calls in the period: say how to get some."""
    st.info(f"No Azure OpenAI calls recorded for {period.lower()}.")
    st.markdown(OTLP_HINT.format(host=host))


def no_tenants() -> None:
    """No spend and no tenants this month: say how tenants come to exist."""
    st.info("No tenant has spend or a budget this month yet.")
    st.markdown(
        "Calls are charged to the tenant in their `tenant.id` span attribute. Add budgets, "
        "quotas, cost centers and other rules in `tenants.toml` (see `tenants.example.toml`)."
    )
