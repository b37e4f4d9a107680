"""A built-in Azure OpenAI simulator: the data-plane wire format without an Azure subscription.

``build_simulator_app(SimulatorConfig())`` is a Starlette app answering
``POST /openai/deployments/{deployment}/chat/completions`` and ``.../embeddings`` as Azure
OpenAI does (bodies, streaming, content-filter verdicts, 400 ``content_filter``, 429 with
``retry-after``, response headers), the same under ``/<region>/openai/...`` for each
simulated regional resource, and faults (outage, throttle storm, slow answers) switched from
its config or ``/admin/faults``. The lens server mounts it under ``/simulator``;
``aoai-lens simulator --port N`` serves it on its own port.
"""

from simulator.app import build_simulator_app
from simulator.config import (
    DEFAULT_DEPLOYMENTS,
    DEFAULT_REGIONS,
    DEFAULT_RESOURCE,
    Fault,
    SimulatedDeployment,
    SimulatedRegion,
    SimulatorConfig,
)

__all__ = [
    "DEFAULT_DEPLOYMENTS",
    "DEFAULT_REGIONS",
    "DEFAULT_RESOURCE",
    "Fault",
    "SimulatedDeployment",
    "SimulatedRegion",
    "SimulatorConfig",
    "build_simulator_app",
]
