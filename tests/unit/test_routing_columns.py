"""Where a call went, read into its columns from every source: OTLP spans in each spelling
(the OpenAI conventions' service tier names and the GenAI conventions' older ones, our
failover and spillover attributes), Application Insights rows (the same attributes as
text) and API Management rows (the backend that answered)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from collectors.rows import CallRow
from lens_harness.log_analytics_rows import apim_row, app_insights_row
from tests.fixtures import otlp_spans as f
from tests.fixtures.otlp_spans import make_request, make_span
from tests.normalizing import normalize_request
from tests.unit.test_log_analytics_rows import normalized

AT = datetime(2025, 9, 1, 10, 0, 2, 435000, tzinfo=UTC)
ROUTED: dict[str, Any] = {
    "azure.openai.failover_from": "https://aoai-swc.openai.azure.com",
    "azure.openai.attempts": 2,
    "azure.openai.backend": "aoai-weu-paygo",
    "azure.openai.spillover.used": True,
    "azure.openai.spillover.from_deployment": "gpt-4o-ptu",
}


def otlp_call(attributes: dict[str, Any], base: dict[str, Any] = f.SEMCONV_AZURE_CHAT) -> CallRow:
    batch = normalize_request(make_request(make_span({**base, **attributes})))
    (call,) = batch.calls
    return call


@pytest.mark.parametrize(
    ("requested", "returned"),
    [
        ("openai.request.service_tier", "openai.response.service_tier"),
        ("gen_ai.openai.request.service_tier", "gen_ai.openai.response.service_tier"),
    ],
)
def test_each_spelling_of_the_service_tiers_fills_the_columns(
    requested: str, returned: str
) -> None:
    base = {k: v for k, v in f.SEMCONV_AZURE_CHAT.items() if "service_tier" not in k}
    batch = normalize_request(
        make_request(make_span({**base, requested: "priority", returned: "default"}))
    )
    (call,) = batch.calls
    assert (call.service_tier_requested, call.service_tier) == ("priority", "default")
    assert requested not in call.attributes and returned not in call.attributes


def test_failover_backend_and_spillover_attributes_fill_their_columns() -> None:
    call = otlp_call(ROUTED)
    assert call.failover_from == "https://aoai-swc.openai.azure.com"
    assert (call.attempts, call.backend) == (2, "aoai-weu-paygo")
    assert (call.spillover, call.spillover_from) == (True, "gpt-4o-ptu")
    moved = {"azure.openai.backend", "azure.openai.spillover.used",
             "azure.openai.spillover.from_deployment"}  # fmt: skip
    assert not moved & set(call.attributes)  # in columns, not kept twice
    # Failover stays beside the attempt lists too (docs/attributes.md, "Failover").
    assert call.attributes["azure.openai.failover_from"] == "https://aoai-swc.openai.azure.com"


def test_a_call_that_says_nothing_of_its_route_has_empty_routing_columns() -> None:
    base = {k: v for k, v in f.SEMCONV_AZURE_CHAT.items() if "service_tier" not in k}
    call = otlp_call({}, base)
    assert (call.service_tier, call.service_tier_requested, call.backend) == (None, None, None)
    assert (call.failover_from, call.attempts, call.spillover) == (None, None, None)


def test_spillover_asked_for_and_not_needed_is_false_not_missing() -> None:
    call = otlp_call({"azure.openai.spillover.used": False})
    assert call.spillover is False


def test_app_insights_rows_fill_the_routing_columns_from_their_text_properties() -> None:
    row = app_insights_row(AT, "a" * 32, "b" * 16)
    row["Properties"].update({
        "gen_ai.openai.request.service_tier": "priority",
        "openai.response.service_tier": "Default",
        "azure.openai.failover_from": "https://aoai-swc.openai.azure.com",
        "azure.openai.attempts": "3",
        "azure.openai.spillover.used": "True",  # the exporter writes Python's text
        "azure.openai.backend": "aoai-weu-paygo",
    })  # fmt: skip
    call = normalized("app_insights", row)
    assert (call.service_tier_requested, call.service_tier) == ("priority", "default")
    assert (call.failover_from, call.attempts) == ("https://aoai-swc.openai.azure.com", 3)
    assert (call.spillover, call.backend) == (True, "aoai-weu-paygo")


def test_the_apim_backend_id_is_the_calls_backend() -> None:
    call = normalized("apim", apim_row(AT, "corr-1"))
    assert call.backend == "aoai-prod-backend"
    assert call.attributes["apim.backend_id"] == "aoai-prod-backend"  # kept as before
