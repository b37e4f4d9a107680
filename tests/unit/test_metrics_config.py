"""LENS_METRICS_* settings -> the metrics poller's config, checked once."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.config import Settings
from app.errors import ConfigError

PROD = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.CognitiveServices/accounts/aoai-prod"
EU = "/subscriptions/s/resourceGroups/rg/providers/microsoft.cognitiveservices/accounts/aoai-eu"


def test_resource_ids_build_the_metrics_config_and_the_token_stays_hidden() -> None:
    assert Settings().metrics_config() is None  # no resource: no poller
    config = Settings(
        lens_metrics_resource_ids=f" {PROD} ,{EU},",
        lens_metrics_access_token="secret",  # type: ignore[arg-type]
        lens_metrics_poll_interval_s=60,
    ).metrics_config()
    assert config is not None
    assert (config.resource_ids, config.poll_interval, config.access_token) == (
        (PROD, EU),
        timedelta(seconds=60),
        "secret",
    )
    assert config.endpoint == "https://management.azure.com"
    assert "secret" not in repr(config)


@pytest.mark.parametrize(
    ("settings", "named", "hint"),
    [
        (
            {"lens_metrics_resource_ids": "aoai-prod"},
            "LENS_METRICS_RESOURCE_IDS",
            "accounts/<name>",
        ),
        (
            {
                "lens_metrics_resource_ids": PROD,
                "lens_metrics_endpoint": "http://management.example",
            },
            "LENS_METRICS_ENDPOINT",
            "https://management.azure.com",
        ),
    ],
)
def test_a_bad_metrics_setting_is_refused_with_what_to_do(
    settings: dict[str, str], named: str, hint: str
) -> None:
    with pytest.raises(ConfigError) as refused:
        Settings(**settings).metrics_config()  # type: ignore[arg-type]
    assert named in refused.value.message and hint in refused.value.hint
