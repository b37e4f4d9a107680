"""Empty, loading and error states that say what to do next."""

from __future__ import annotations

import streamlit as st

from app.config import load_settings
from app.dashboard.components.verbatim import code
from app.store_setup import examples_in_use
from lens_errors import LensError

PAGE_ERROR_TITLE = "This page cannot be shown."

OTLP_HINT = (
    "Point any OpenTelemetry exporter at this server: set "
    "`OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=http://{host}/v1/traces` (OTLP/HTTP, protobuf or "
    "JSON), or import Collector file-exporter output with `aoai-lens import FILE`."
)


def empty_ledger(period: str, host: str = "127.0.0.1:8501", narrowed: bool = False) -> None:
    """No calls in the period: say how to get some, or that the filters hide them."""
    if narrowed:
        st.info(f"No calls match the filters for {period.lower()}.")
        st.markdown("Widen the time range or clear a filter in the sidebar.")
        return
    st.info(f"No Azure OpenAI calls recorded for {period.lower()}.")
    st.markdown(OTLP_HINT.format(host=host))
    st.markdown(
        "To see the dashboard with synthetic data first, start the server with "
        "`aoai-lens serve --demo` (what `make run` does)."
    )


def no_tenants() -> None:
    """No spend and no tenants this month: say how tenants come to exist."""
    st.info("No tenant has spend or a budget this month yet.")
    st.markdown(
        "Calls are charged to the tenant in their `tenant.id` span attribute. Add budgets, "
        "quotas, cost centers and other rules in `tenants.toml` (see `tenants.example.toml`)."
    )


def no_incidents(period: str) -> None:
    """Calls, but no content-filter verdict: say what would show here."""
    st.success(f"No content-filter verdicts for {period.lower()}.")
    st.markdown(
        "Blocked prompts (HTTP 400 `content_filter`), filtered completions "
        "(`finish_reason: content_filter`) and annotations appear here when spans carry "
        "Azure's `prompt_filter_results` / `content_filter_results` (see `docs/attributes.md`)."
    )


def no_call(call_id: str) -> None:
    st.warning(f"No call with id {code(call_id)}.")
    st.markdown(
        "A call id is the span's trace id followed by its span id (48 hex characters). "
        "Search below by its beginning, or by trace id."
    )


def demo_reference_files() -> None:
    """Say when the shipped example tenants and deployments stand in for missing files."""
    examples = examples_in_use(load_settings())
    if examples:
        st.caption(
            ":material/science: Demo data: tenants, cost centers, budgets and provisioned "
            f"capacity come from {' and '.join(f'`{name}`' for name in examples)}, as no file "
            "of your own is configured (LENS_TENANTS, LENS_DEPLOYMENTS)."
        )


def show_error(error: LensError, title: str = PAGE_ERROR_TITLE) -> None:
    """The pages' one way to show a ``LensError``: ``title`` as the error, then what went
    wrong and the next step as plain text (they may quote a setting, a file name or a value
    from the ledger, so they are never read as Markdown)."""
    st.error(title)
    st.text(error.message)
    if error.hint:
        st.text(error.hint)
