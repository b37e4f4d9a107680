"""Settings from the environment and a ``.env`` file, validated once at start.

Names follow what Azure users already use (DESIGN section 7); the lens server's own
settings start with ``LENS_``. Secrets are ``SecretStr`` so ``repr`` masks them.
"""

from __future__ import annotations

import difflib
import logging
import os
from pathlib import Path

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from app.errors import ConfigError

log = logging.getLogger(__name__)

_PREFIXES = ("LENS_", "AZURE_OPENAI_", "LOG_ANALYTICS_", "APPLICATIONINSIGHTS_")


class Settings(BaseSettings):
    """What a user can set. Each field is the lower-case name of its variable."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", frozen=True)

    lens_db: Path = Field(
        default=Path("data/lens.duckdb"), description="DuckDB file the lens server owns."
    )
    lens_host: str = Field(default="127.0.0.1", description="Address the server binds to.")
    lens_port: int = Field(default=8501, ge=1, le=65535, description="Port of app and routes.")
    lens_max_body_bytes: int = Field(
        default=16 * 1024 * 1024,
        ge=1024,
        description="Largest OTLP request body accepted, after decompression (413 beyond).",
    )
    lens_tenants: Path = Field(
        default=Path("tenants.toml"),
        description="Tenants and their resolution rules; without it, tenant.id names the tenant.",
    )
    lens_deployments: Path = Field(
        default=Path("deployments.toml"),
        description="Deployments registry: model, type and PTU capacity and price per deployment.",
    )
    lens_retail_prices_url: str = Field(
        default="https://prices.azure.com/api/retail/prices",
        description="Azure Retail Prices API that `aoai-lens prices refresh` reads.",
    )
    lens_demo: bool = Field(
        default=False,
        description="Seed 14 days of synthetic demo calls when the ledger is empty.",
    )
    lens_queue_max_calls: int = Field(
        default=50_000,
        ge=1,
        description="Calls that may wait for the writer before OTLP answers 429.",
    )


def documented_names() -> list[str]:
    """Every environment variable aoai-lens reads, upper case."""
    return [name.upper() for name in Settings.model_fields]


def warn_near_misses(environ: dict[str, str] | None = None) -> list[str]:
    """Warn about variables that look like a documented name but are not one."""
    env = os.environ if environ is None else environ
    known = documented_names()
    warnings: list[str] = []
    for name in env:
        upper = name.upper()
        if upper in known or not upper.startswith(_PREFIXES):
            continue
        close = difflib.get_close_matches(upper, known, n=1, cutoff=0.8)
        if close:
            warnings.append(f"{name} is not a setting aoai-lens reads; did you mean {close[0]}?")
    for warning in warnings:
        log.warning(warning)
    return warnings


def load_settings() -> Settings:
    """Read and validate the settings, naming the variable and the fix on failure."""
    warn_near_misses()
    try:
        return Settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        name = str(first["loc"][0]).upper() if first["loc"] else "?"
        raise ConfigError(
            f"{name} is invalid: {first['msg']}",
            f"fix {name} in the environment or .env; see the README's configuration table",
        ) from None
