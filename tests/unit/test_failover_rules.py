"""Failover's pure parts: endpoints from the environment, the order a call tries them in,
and each endpoint's circuit breaker on a clock moved by hand."""

from __future__ import annotations

import random

import pytest

from aoai_client import BreakerConfig, ClientConfig, ClientConfigError, Endpoint
from aoai_client.breaker import BREAKER_OPEN, RETRY_AFTER, Breaker
from aoai_client.config import parse_endpoints
from aoai_client.failover import build_targets, call_order


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_endpoints_from_the_environment_keep_their_order_keys_and_weights() -> None:
    config = ClientConfig.from_env(
        {
            "AZURE_OPENAI_ENDPOINTS": "https://a.openai.azure.com, https://b.openai.azure.com;"
            "weight=3;priority=1,https://c.openai.azure.com",
            "AZURE_OPENAI_API_KEYS": "ka,,kc",
            "AZURE_OPENAI_API_KEY": "shared",
        }
    )
    assert config.endpoint == "https://a.openai.azure.com"
    assert [(e.url, e.api_key, e.priority, e.weight) for e in config.endpoints] == [
        ("https://a.openai.azure.com", "ka", None, 1),
        ("https://b.openai.azure.com", None, 1, 3),
        ("https://c.openai.azure.com", "kc", None, 1),
    ]
    assert config.api_key == "shared" and config.failover
    assert "ka" not in repr(config) and "kc" not in repr(config)


def test_one_endpoint_is_the_one_endpoint_form() -> None:
    config = ClientConfig.from_env({"AZURE_OPENAI_ENDPOINT": "https://a.openai.azure.com"})
    assert config.endpoints == (Endpoint("https://a.openai.azure.com"),)
    assert not config.failover
    same = ClientConfig.from_env(
        {
            "AZURE_OPENAI_ENDPOINT": "https://a.openai.azure.com/",
            "AZURE_OPENAI_ENDPOINTS": "https://a.openai.azure.com,https://b.openai.azure.com",
        }
    )
    assert len(same.endpoints) == 2


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "AZURE_OPENAI_ENDPOINT is not set"),
        (
            {"AZURE_OPENAI_ENDPOINT": "https://x.openai.azure.com",
             "AZURE_OPENAI_ENDPOINTS": "https://a.openai.azure.com"},
            "name different first endpoints",
        ),
        ({"AZURE_OPENAI_ENDPOINTS": "https://a.openai.azure.com;weight=two"}, "weight=N"),
        ({"AZURE_OPENAI_ENDPOINTS": "a.openai.azure.com"}, "must be a URL"),
        (
            {"AZURE_OPENAI_ENDPOINTS": "https://a.openai.azure.com",
             "AZURE_OPENAI_API_KEYS": "k1,k2"},
            "2 keys for 1 endpoints",
        ),
    ],
)  # fmt: skip
def test_bad_endpoint_settings_name_the_fix(env: dict[str, str], message: str) -> None:
    with pytest.raises(ClientConfigError, match=message):
        ClientConfig.from_env(env)


def test_a_call_tries_priorities_in_order_and_equal_ones_by_weight() -> None:
    endpoints = parse_endpoints(
        "https://a.example;priority=1;weight=3,https://b.example;priority=1,"
        "https://c.example;priority=2"
    )
    targets = build_targets(endpoints, [dict] * 3, BreakerConfig())
    rng = random.Random(1)
    firsts = [call_order(targets, rng)[0].name for _ in range(400)]
    assert {call_order(targets, rng)[2].name for _ in range(50)} == {"https://c.example"}
    assert 250 <= firsts.count("https://a.example") <= 350  # 3 of 4


def test_the_breaker_opens_after_failures_within_its_window() -> None:
    clock = Clock()
    breaker = Breaker(BreakerConfig(failures=3, window_s=10, trip_s=30), clock)
    breaker.failed()
    clock.now = 6
    breaker.failed()
    clock.now = 11  # the first failure has left the window
    breaker.failed()
    assert breaker.refusal() is None
    breaker.failed()
    assert (breaker.state, breaker.refusal()) == ("open", BREAKER_OPEN)
    clock.now = 40.9
    assert breaker.refusal() == BREAKER_OPEN
    clock.now = 41
    assert breaker.refusal() is None  # half-open: one probe
    assert breaker.refusal() == BREAKER_OPEN  # and only one
    breaker.succeeded()
    assert (breaker.state, breaker.refusal()) == ("closed", None)


def test_a_half_open_breaker_reopens_for_the_longer_of_trip_and_retry_after() -> None:
    clock = Clock()
    breaker = Breaker(BreakerConfig(failures=1, window_s=10, trip_s=30), clock)
    breaker.failed(retry_after_s=5)
    assert breaker.available_at() == 30
    clock.now = 30
    assert breaker.refusal() is None
    breaker.failed(retry_after_s=90)
    clock.now = 119
    assert breaker.refusal() == BREAKER_OPEN
    clock.now = 120
    assert breaker.refusal() is None


def test_a_retry_after_keeps_a_closed_breakers_endpoint_out_until_then() -> None:
    clock = Clock()
    breaker = Breaker(BreakerConfig(failures=3), clock)
    breaker.failed(retry_after_s=2.5)
    assert (breaker.state, breaker.refusal()) == ("closed", RETRY_AFTER)
    clock.now = 2.5
    assert breaker.refusal() is None
