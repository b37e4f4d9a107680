"""What the Azure OpenAI wire says of a call's route, as span attributes (pure: no I/O,
no OTel): spillover asked for and used, the deployment that served a spilled call, and the
API Management backend a gateway names (docs/attributes.md, "Routing"). The service tier,
asked for in the request body and returned in the answer's, is read with the bodies
(``azure_wire``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from aoai_client.azure_wire import DEPLOYMENT, DEPLOYMENT_TYPE, Attributes
from azure_openai_wire import headers as wire_headers

SPILLOVER_DEPLOYMENT: Final = "azure.openai.spillover.deployment"  # x-ms-spillover-deployment
SPILLOVER_USED: Final = "azure.openai.spillover.used"  # bool
SPILLOVER_FROM: Final = "azure.openai.spillover.from_deployment"  # the provisioned one
SPILLOVER_ERROR: Final = "azure.openai.spillover.error"  # x-ms-spillover-error
SERVED_BY_DEPLOYMENT: Final = "azure.openai.served_by_deployment"  # x-ms-deployment-name
BACKEND: Final = "azure.openai.backend"  # x-aoai-backend: the API Management backend


def request_header_attributes(headers: Mapping[str, str]) -> Attributes:
    """Spillover asked for in the request's ``x-ms-spillover-deployment`` header: the
    deployment named, and not used until an answer says it was."""
    spillover = headers.get(wire_headers.SPILLOVER_DEPLOYMENT)
    if not spillover:
        return {}
    return {SPILLOVER_DEPLOYMENT: spillover, SPILLOVER_USED: False}


def routing_attributes(headers: Mapping[str, str]) -> Attributes:
    """Spillover used (``x-ms-spillover-from-deployment``: the provisioned deployment the
    call came from; ``x-ms-deployment-name`` the one that served it), why it was not
    possible (``x-ms-spillover-error``), and the API Management backend (``x-aoai-backend``)."""
    attrs: Attributes = {}
    spilled_from = headers.get(wire_headers.SPILLOVER_FROM_DEPLOYMENT)
    if spilled_from:
        attrs[SPILLOVER_USED] = True
        attrs[SPILLOVER_FROM] = spilled_from
        served = headers.get(wire_headers.DEPLOYMENT_NAME)
        if served:
            attrs[SERVED_BY_DEPLOYMENT] = served
    for header, name in (
        (wire_headers.SPILLOVER_ERROR, SPILLOVER_ERROR),
        (wire_headers.BACKEND, BACKEND),
    ):
        if headers.get(header):
            attrs[name] = headers[header]
    return attrs


# The standard deployment type a provisioned one spills over to: Azure requires the same
# data processing level (a global provisioned deployment spills to a global standard one).
SPILLOVER_TYPES: Final = {
    "GlobalProvisionedManaged": "GlobalStandard",
    "DataZoneProvisionedManaged": "DataZoneStandard",
    "ProvisionedManaged": "Standard",
}


def spilled_deployment(attrs: Mapping[str, Any], deployment_types: Mapping[str, str]) -> Attributes:
    """A call that spilled over was served (and is billed) by the standard deployment the
    answer names: that deployment, and its type (configured, else the standard type of the
    provisioned deployment's processing level)."""
    served, spilled_from = attrs.get(SERVED_BY_DEPLOYMENT), attrs.get(SPILLOVER_FROM)
    if not isinstance(served, str) or not isinstance(spilled_from, str):
        return {}
    out: Attributes = {DEPLOYMENT: served}
    kind = deployment_types.get(served) or SPILLOVER_TYPES.get(
        deployment_types.get(spilled_from, "")
    )
    if kind:
        out[DEPLOYMENT_TYPE] = kind
    return out
