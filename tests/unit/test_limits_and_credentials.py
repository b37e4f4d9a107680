"""The bounds values are held to, and which attribute keys count as credentials."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import duckdb
import pytest

from collectors import limits
from collectors.credentials import CREDENTIAL_KEY_PATTERN
from collectors.otlp.flatten import is_credential
from tests.fixtures.otlp_spans import make_request, make_span
from tests.normalizing import normalize_request

CREDENTIALS = [
    "authorization",
    "http.request.header.authorization",
    "http.request.header.api-key",
    "http.request.header.x-api-key",
    "http.request.header.ocp-apim-subscription-key",
    "OPENAI_API_KEY",
    "llm.headers",
    "http.response.header.set-cookie",
    "azure.token",
    "access_token",
    "sas_token",
    "db.password",
    "client_secret",
    "APPLICATIONINSIGHTS_CONNECTION_STRING",
    "storage.account_key",
]
NOT_CREDENTIALS = [
    "gen_ai.usage.input_tokens",
    "gen_ai.request.max_tokens",
    "llm.token_count.prompt",
    "token_type",
    "tenant.id",
    "gen_ai.prompt.0.content",
    "http.request.header.idempotency-key",
    "prompt_cache_key",
    "llm.headers.count",
    "key",
]


@pytest.mark.parametrize("key", CREDENTIALS)
def test_credential_keys(key: str) -> None:
    assert is_credential(key)


@pytest.mark.parametrize("key", NOT_CREDENTIALS)
def test_keys_that_are_not_credentials(key: str) -> None:
    assert not is_credential(key)


def masked(attributes: dict[str, object], resource: dict[str, object]) -> dict[str, Any]:
    """The attributes a call keeps after the GenAI normaliser has masked credentials."""
    span = make_span({"gen_ai.operation.name": "chat", **attributes})
    (call,) = normalize_request(make_request(span, resource=resource)).calls
    return call.attributes


def test_masking_keeps_the_key_and_empty_values_and_reaches_the_resource() -> None:
    kept = masked(
        {"api_key": "sk-1", "llm.headers": "None", "n": 1},
        {"service.name": "a", "db.password": "p"},
    )
    assert (kept["api_key"], kept["llm.headers"], kept["n"]) == ("[redacted]", "None", 1)
    assert kept["resource"] == {"service.name": "a", "db.password": "[redacted]"}


def test_credential_query_parameters_are_masked_in_urls() -> None:
    url = "https://r.openai.azure.com/openai/x?api-version=2024-10-21&api-key=k&sig=s"
    kept = masked({"url.full": url, "http.url": "https://r/x?api-version=1"}, {})
    assert kept["url.full"] == (
        "https://r.openai.azure.com/openai/x?api-version=2024-10-21&api-key=[redacted]"
        "&sig=[redacted]"
    )
    assert kept["http.url"] == "https://r/x?api-version=1"


def test_the_sql_and_python_read_the_key_pattern_alike() -> None:
    """The flattener flags spans to mask with Python's re; the SQL masks with RE2."""
    con = duckdb.connect()
    for key in [*CREDENTIALS, *NOT_CREDENTIALS]:
        (in_sql,) = con.execute("SELECT regexp_matches($k, $p)",
                                {"k": key, "p": CREDENTIAL_KEY_PATTERN}).fetchone()  # fmt: skip
        assert in_sql == is_credential(key), key


def test_small_attributes_are_the_same_dict() -> None:
    attributes = {"a": "x" * 100, "b": [1, 2], "c": {"d": True}}
    assert limits.bounded_attributes(attributes) is attributes


def test_a_long_value_is_cut_with_a_marker_and_listed() -> None:
    long = "y" * (limits.MAX_VALUE_CHARS + 10)
    out = limits.bounded_attributes({"long": long, "short": "s"})
    assert out["long"] == "y" * limits.MAX_VALUE_CHARS + (
        f"...[truncated: {limits.MAX_VALUE_CHARS + 10} characters]"
    )
    assert out["short"] == "s"
    assert out[limits.TRUNCATED_KEY] == ["long"]


def test_a_map_over_its_cap_loses_its_largest_values_first() -> None:
    third = limits.MAX_VALUE_CHARS - 1
    attributes = {f"k{i}": "z" * (third - i) for i in range(5)}  # about 1.25 MiB in all
    out = limits.bounded_attributes(attributes)
    assert out["k0"] == f"...[truncated: {third} characters]"
    assert out["k1"] == "z" * (third - 1)  # what is left fits
    assert out[limits.TRUNCATED_KEY] == ["k0"]


def test_nested_values_are_counted_too() -> None:
    nested = {"list": ["w" * 1000] * 300}  # 300,000 characters in a list
    out = limits.bounded_attributes(nested)
    assert out["list"].startswith("...[truncated: ")
    assert out[limits.TRUNCATED_KEY] == ["list"]


def test_plausible_start_times() -> None:
    now = datetime(2026, 12, 2, tzinfo=UTC)
    assert limits.plausible_start(datetime(2020, 1, 1, tzinfo=UTC), now)
    assert limits.plausible_start(now + timedelta(hours=23), now)
    assert not limits.plausible_start(datetime(2019, 12, 31, tzinfo=UTC), now)
    assert not limits.plausible_start(now + timedelta(days=2), now)
