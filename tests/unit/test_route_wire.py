"""aoai_client.route: what the wire says of a call's route, exact values."""

from __future__ import annotations

import pytest

from aoai_client import route


def test_a_spilled_answer_names_where_it_came_from_and_what_served_it() -> None:
    headers = {
        "x-ms-spillover-from-deployment": "gpt-4o-ptu",
        "x-ms-deployment-name": "gpt-4o-paygo",
        "x-aoai-backend": "aoai-swc",
    }
    assert route.routing_attributes(headers) == {
        "azure.openai.spillover.used": True,
        "azure.openai.spillover.from_deployment": "gpt-4o-ptu",
        "azure.openai.served_by_deployment": "gpt-4o-paygo",
        "azure.openai.backend": "aoai-swc",
    }


def test_an_answer_that_did_not_spill_says_nothing_but_a_spillover_error() -> None:
    assert route.routing_attributes({"x-ms-deployment-name": "gpt-4o-ptu"}) == {}
    assert route.routing_attributes({"x-ms-spillover-error": "no capacity"}) == {
        "azure.openai.spillover.error": "no capacity"
    }


def test_spillover_asked_for_is_not_used_until_an_answer_says_so() -> None:
    assert route.request_header_attributes({"x-ms-spillover-deployment": "gpt-4o-paygo"}) == {
        "azure.openai.spillover.deployment": "gpt-4o-paygo",
        "azure.openai.spillover.used": False,
    }
    assert route.request_header_attributes({}) == {}


@pytest.mark.parametrize(
    ("types", "expected"),
    [
        ({"gpt-4o-paygo": "GlobalStandard"}, "GlobalStandard"),  # configured wins
        ({"gpt-4o-ptu": "GlobalProvisionedManaged"}, "GlobalStandard"),
        ({"gpt-4o-ptu": "DataZoneProvisionedManaged"}, "DataZoneStandard"),
        ({"gpt-4o-ptu": "ProvisionedManaged"}, "Standard"),
        ({}, None),  # nothing known: the type is left as it was
    ],
)
def test_a_spilled_call_is_the_serving_deployments(
    types: dict[str, str], expected: str | None
) -> None:
    said = {
        "azure.openai.spillover.from_deployment": "gpt-4o-ptu",
        "azure.openai.served_by_deployment": "gpt-4o-paygo",
    }
    got = route.spilled_deployment(said, types)
    assert got["azure.openai.deployment"] == "gpt-4o-paygo"
    assert got.get("azure.openai.deployment_type") == expected
    assert route.spilled_deployment({}, types) == {}
