"""What the simulator pretends to be: a set of deployments, how fast they answer, the
regional resources that serve them, and the faults those resources are switched to."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final, Literal

# One token per this many characters: the usual rule of thumb for English with OpenAI
# tokenizers; good enough for realistic counts without shipping a tokenizer.
CHARS_PER_TOKEN = 4


@dataclass(frozen=True)
class SimulatedDeployment:
    """One deployment of the simulated resource."""

    name: str
    model: str  # the model and version Azure answers with, e.g. gpt-4o-2024-11-20
    deployment_type: str  # GlobalStandard, DataZoneStandard, Standard, ProvisionedManaged, ...
    region: str  # the x-ms-region header, e.g. "Sweden Central"
    tpm: int  # tokens per minute; requests per minute are 6 per 1,000 TPM, as in Azure
    ttft_ms: float = 300.0  # time to first token
    ms_per_token: float = 12.0  # delay between output tokens

    @property
    def embeddings(self) -> bool:
        return "embedding" in self.model

    @property
    def reasoning(self) -> bool:
        """o-series models think before they answer (reasoning tokens)."""
        return self.model.startswith(("o1", "o3", "o4"))

    @property
    def provisioned(self) -> bool:
        """A provisioned (PTU) deployment: the one that spills over to a standard one."""
        return "Provisioned" in self.deployment_type

    @property
    def rpm(self) -> int:
        return max(1, self.tpm * 6 // 1000)


DEFAULT_DEPLOYMENTS: tuple[SimulatedDeployment, ...] = (
    SimulatedDeployment("gpt-4o-prod", "gpt-4o-2024-11-20", "GlobalStandard", "Sweden Central",
                        tpm=450_000, ttft_ms=350, ms_per_token=14),
    SimulatedDeployment("gpt-4o-mini", "gpt-4o-mini-2024-07-18", "GlobalStandard",
                        "Sweden Central", tpm=1_000_000, ttft_ms=220, ms_per_token=6),
    SimulatedDeployment("gpt-41-eu", "gpt-4.1-2025-04-14", "DataZoneStandard", "West Europe",
                        tpm=150_000, ttft_ms=420, ms_per_token=16),
    SimulatedDeployment("o4-mini-reasoning", "o4-mini-2025-04-16", "GlobalStandard",
                        "East US 2", tpm=200_000, ttft_ms=1200, ms_per_token=9),
    SimulatedDeployment("embed-small", "text-embedding-3-small", "Standard", "East US 2",
                        tpm=350_000, ttft_ms=60, ms_per_token=0),
    SimulatedDeployment("gpt-4o-ptu", "gpt-4o-2024-08-06", "ProvisionedManaged",
                        "Sweden Central", tpm=300_000, ttft_ms=250, ms_per_token=10),
)  # fmt: skip


DEFAULT_RESOURCE: Final = "default"
"""The resource at the simulator's root (``/openai/...``): each deployment answers from its
own region."""


@dataclass(frozen=True)
class SimulatedRegion:
    """A regional resource with the same deployments, at ``/<name>/openai/...``: its own
    rate limits and prompt cache, every answer from ``display_name`` (``x-ms-region``)."""

    name: str  # the path segment, e.g. "swedencentral"
    display_name: str  # e.g. "Sweden Central"


DEFAULT_REGIONS: tuple[SimulatedRegion, ...] = (
    SimulatedRegion("swedencentral", "Sweden Central"),
    SimulatedRegion("westeurope", "West Europe"),
    SimulatedRegion("eastus2", "East US 2"),
)

FaultKind = Literal["outage", "throttle", "slow", "saturated", "downgrade"]
FAULT_KINDS: Final = ("outage", "throttle", "slow", "saturated", "downgrade")


@dataclass(frozen=True)
class Fault:
    """What a resource does instead of answering normally.

    ``outage``: every request gets 503 (with ``retry-after`` when ``retry_after_s`` is set);
    ``throttle``: every request gets 429 with ``retry-after`` = ``retry_after_s`` (10 when
    unset), a 429 storm; ``slow``: answers as usual after ``delay_ms`` more (not scaled by
    ``latency_scale``); ``saturated``: every provisioned deployment is at its capacity
    (429, or spillover to the deployment the request's ``x-ms-spillover-deployment`` names);
    ``downgrade``: Priority capacity is used up, so a call that asks for
    ``service_tier: "priority"`` is served at ``default``.
    """

    kind: FaultKind
    retry_after_s: int | None = None
    delay_ms: float = 0.0

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"fault kind must be one of {', '.join(FAULT_KINDS)}")
        if self.retry_after_s is not None and not 0 <= self.retry_after_s <= 86_400:
            raise ValueError("retry_after_s must be 0 to 86400")
        if not 0 <= self.delay_ms <= 600_000:
            raise ValueError("delay_ms must be 0 to 600000")


@dataclass(frozen=True)
class SimulatorConfig:
    """The simulated resources: their deployments, a scale on every delay, the regions and
    the faults they start with.

    ``latency_scale`` multiplies time to first token and per-token delays: 1.0 is realistic,
    0.0 answers at once (tests, benchmarks). ``rate_limits`` off never answers 429.
    ``faults`` maps a resource (``default`` or a region's name) to the fault it starts with;
    the admin route switches them while the simulator runs (docs/simulator.md).
    """

    deployments: tuple[SimulatedDeployment, ...] = DEFAULT_DEPLOYMENTS
    latency_scale: float = 1.0
    rate_limits: bool = True
    regions: tuple[SimulatedRegion, ...] = DEFAULT_REGIONS
    faults: Mapping[str, Fault] = field(default_factory=dict)

    def __post_init__(self) -> None:
        names = [region.name for region in self.regions]
        reserved = {DEFAULT_RESOURCE, "openai", "admin"}
        if len(set(names)) != len(names) or reserved & set(names):
            raise ValueError(f"region names must be unique and none of {sorted(reserved)}")
        unknown = set(self.faults) - {DEFAULT_RESOURCE, *names}
        if unknown:
            raise ValueError(f"faults name unknown resources: {', '.join(sorted(unknown))}")

    @property
    def resources(self) -> tuple[str, ...]:
        """``default`` and every region's name."""
        return (DEFAULT_RESOURCE, *(region.name for region in self.regions))

    def deployment(self, name: str) -> SimulatedDeployment | None:
        for deployment in self.deployments:
            if deployment.name == name:
                return deployment
        return None
