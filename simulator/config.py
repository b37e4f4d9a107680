"""What the simulator pretends to be: a set of deployments and how fast they answer."""

from __future__ import annotations

from dataclasses import dataclass

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


@dataclass(frozen=True)
class SimulatorConfig:
    """The simulated resource: its deployments and a scale on every delay.

    ``latency_scale`` multiplies time to first token and per-token delays: 1.0 is realistic,
    0.0 answers at once (tests, benchmarks). ``rate_limits`` off never answers 429.
    """

    deployments: tuple[SimulatedDeployment, ...] = DEFAULT_DEPLOYMENTS
    latency_scale: float = 1.0
    rate_limits: bool = True

    def deployment(self, name: str) -> SimulatedDeployment | None:
        for deployment in self.deployments:
            if deployment.name == name:
                return deployment
        return None
