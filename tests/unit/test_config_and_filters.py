"""Settings from the environment, and the URL <-> Filters mapping."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from app.config import Settings, load_settings, warn_near_misses
from app.dashboard.components.filters import DEFAULT_RANGE, filters_from_params, params_from_filters
from app.errors import ConfigError


def test_defaults_bind_to_loopback() -> None:
    settings = load_settings()
    assert settings.lens_host == "127.0.0.1"
    assert settings.lens_port == 8501
    assert settings.lens_db == Path("data/lens.duckdb")
    assert settings.lens_demo is False


def test_dotenv_file_is_read(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("LENS_PORT=9123\nLENS_DB=/srv/lens.duckdb\n")
    settings = load_settings()  # the autouse fixture made tmp_path the working directory
    assert (settings.lens_port, settings.lens_db) == (9123, Path("/srv/lens.duckdb"))


def test_invalid_value_names_the_variable_and_the_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LENS_PORT", "eighty")
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert caught.value.message.startswith("LENS_PORT is invalid")
    assert "README" in caught.value.hint


@pytest.mark.parametrize("value", ["-1", "33", "100000"])
def test_ingest_workers_are_bounded(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("LENS_INGEST_WORKERS", value)  # a typo must not fork 100,000 processes
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert caught.value.message.startswith("LENS_INGEST_WORKERS is invalid")


def test_otlp_grpc_listens_on_4317_of_the_server_host_by_default() -> None:
    config = load_settings().otlp_grpc_config()
    assert config is not None
    assert (config.address, config.max_message_bytes) == ("127.0.0.1:4317", 16 * 1024 * 1024)


def test_otlp_grpc_port_zero_turns_it_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LENS_OTLP_GRPC_PORT", "0")
    assert load_settings().otlp_grpc_config() is None


def test_otlp_grpc_on_an_ipv6_host_is_bracketed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LENS_HOST", "::1")
    monkeypatch.setenv("LENS_OTLP_GRPC_PORT", "4400")
    config = load_settings().otlp_grpc_config()
    assert config is not None and config.address == "[::1]:4400"


def test_otlp_grpc_on_the_dashboard_port_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LENS_OTLP_GRPC_PORT", "8501")
    with pytest.raises(ConfigError) as caught:
        load_settings().otlp_grpc_config()
    assert caught.value.message.startswith("LENS_OTLP_GRPC_PORT is 8501")
    assert "0 for none" in caught.value.hint


def test_near_miss_of_a_documented_name_is_warned() -> None:
    warnings = warn_near_misses({"LENS_QUEUE_MAX_CALL": "5", "LENS_PORT": "1", "HOME": "/"})
    assert warnings == [
        "LENS_QUEUE_MAX_CALL is not a setting aoai-lens reads; did you mean LENS_QUEUE_MAX_CALLS?"
    ]


def test_settings_have_a_description_each() -> None:
    for name, field in Settings.model_fields.items():
        assert field.description, name


NOW = datetime(2026, 11, 23, 9, 41, 27, tzinfo=UTC)


@pytest.mark.parametrize(
    ("params", "key", "days"),
    [
        ({}, DEFAULT_RANGE, 7),
        ({"range": "24h"}, "24h", 1),
        ({"range": "90d"}, "90d", 90),
        ({"range": "1y; DROP TABLE calls"}, DEFAULT_RANGE, 7),  # unknown -> default
    ],
)
def test_filters_from_url(params: dict[str, str], key: str, days: int) -> None:
    filters = filters_from_params(params, NOW)
    assert filters.range_key == key
    assert filters.end == datetime(2026, 11, 23, 9, 42, tzinfo=UTC)  # next whole minute
    assert filters.end - filters.start == timedelta(days=days)
    assert params_from_filters(filters) == {"range": key}


def test_chart_bucket_follows_the_range() -> None:
    assert filters_from_params({"range": "24h"}, NOW).bucket == timedelta(hours=1)
    assert filters_from_params({"range": "30d"}, NOW).bucket == timedelta(hours=6)
    assert filters_from_params({"range": "90d"}, NOW).bucket == timedelta(days=1)


def test_custom_dates_cover_whole_utc_days() -> None:
    params = {"range": "custom", "from": "2026-11-01", "to": "2026-11-15"}
    filters = filters_from_params(params, NOW)
    assert (filters.start, filters.end) == (
        datetime(2026, 11, 1, tzinfo=UTC),
        datetime(2026, 11, 16, tzinfo=UTC),  # the last day is included
    )
    assert filters.period == "1 Nov 2026 – 15 Nov 2026"
    assert params_from_filters(filters) == params


@pytest.mark.parametrize(
    ("params", "note"),
    [
        ({"range": "custom"}, "needs dates as YYYY-MM-DD (from='', to='')"),
        (
            {"range": "custom", "from": "2026-11-15", "to": "2026-11-01"},
            "starts after it ends (from 2026-11-15 to 2026-11-01)",
        ),
        (
            {"range": "custom", "from": "yesterday", "to": "2026-11-01"},
            "needs dates as YYYY-MM-DD (from='yesterday', to='2026-11-01')",
        ),
    ],
)
def test_unusable_custom_dates_fall_back_to_the_default_and_say_why(
    params: dict[str, str], note: str
) -> None:
    filters = filters_from_params(params, NOW)
    assert filters.range_key == DEFAULT_RANGE
    assert filters.end - filters.start == timedelta(days=7)
    assert filters.note is not None
    assert note in filters.note and filters.note.endswith("showing the last 7 days.")
    assert filters_from_params({"range": "7d"}, NOW).note is None


def test_changes_are_measured_against_the_period_before_as_long_as_this_one() -> None:
    preset = filters_from_params({"range": "7d"}, NOW)
    assert preset.comparison == "the 7 days before"
    assert (preset.before.start, preset.before.end) == (
        preset.start - timedelta(days=7),
        preset.start,
    )
    assert filters_from_params({"range": "24h"}, NOW).comparison == "the 24 hours before"

    # A month that is over: the 30 days before it, named by their dates.
    november = filters_from_params(
        {"range": "custom", "from": "2026-11-01", "to": "2026-11-30"},
        datetime(2026, 12, 6, tzinfo=UTC),
    )
    assert november.comparison == "2 Oct 2026 – 31 Oct 2026"

    # Days up to today (23 November, 09:41): the current period has lasted 2 days 9 h 42 min,
    # so it is compared with the same span before it, not with 3 whole days.
    so_far = filters_from_params({"range": "custom", "from": "2026-11-21", "to": "2026-11-23"}, NOW)
    assert (so_far.before.start, so_far.before.end) == (
        datetime(2026, 11, 18, tzinfo=UTC),
        datetime(2026, 11, 20, 9, 42, tzinfo=UTC),
    )
    assert so_far.comparison == (
        "18 Nov 2026 00:00 – 20 Nov 2026 09:42 UTC, as long as this period has lasted so far"
    )


def test_dimensions_round_trip_through_the_url() -> None:
    params = {
        "range": "30d",
        "tenant": ["contoso", "fabrikam", "contoso", ""],  # repeated, duplicate, empty
        "deployment": "gpt-4o-prod",
        "type": ["GlobalStandard"],
        "service": [],
    }
    filters = filters_from_params(params, NOW)
    assert filters.scope.tenants == ("contoso", "fabrikam")
    assert filters.scope.deployments == ("gpt-4o-prod",)
    assert filters.scope.deployment_types == ("GlobalStandard",)
    assert filters.scope.services == () and filters.scope.models == ()
    assert filters.narrowed
    assert params_from_filters(filters) == {
        "range": "30d",
        "tenant": ["contoso", "fabrikam"],
        "deployment": ["gpt-4o-prod"],
        "type": ["GlobalStandard"],
    }
    scope = filters.scope
    assert scope.params()["tenants"] == ["contoso", "fabrikam"]
    assert scope.params()["types"] == ["GlobalStandard"]
    assert not filters_from_params({}, NOW).narrowed
