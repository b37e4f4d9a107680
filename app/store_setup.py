"""Open the lens store with its reference data: price book, tenants and deployments files."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Final

from app.config import Settings
from app.errors import ConfigError
from collectors.deployments import DeploymentsFileError, read_deployments_file, write_deployments
from collectors.prices.book import load_reference_data
from collectors.store import Store
from collectors.tenants import TenantsFileError, default_tenants, read_tenants_file, write_tenants

log = logging.getLogger(__name__)

# The shipped examples, which name the demo's tenants and deployments.
PROJECT_ROOT: Final = Path(__file__).resolve().parent.parent
TENANTS_EXAMPLE: Final = PROJECT_ROOT / "tenants.example.toml"
DEPLOYMENTS_EXAMPLE: Final = PROJECT_ROOT / "deployments.example.toml"


def open_store(settings: Settings) -> Store:
    """The store at ``LENS_DB``, migrated, with prices and tenants loaded."""
    store = Store(settings.lens_db)
    try:
        load_reference_data(store)
        for example in examples_in_use(settings):
            log.info("demo: %s is read (no file configured in its place)", example)
        tenants_file = reference_file(settings.lens_tenants, TENANTS_EXAMPLE, settings.demo_data)
        if tenants_file.is_file():
            tenants = read_tenants_file(tenants_file)
        else:
            log.info("no tenants file at %s: tenants come from tenant.id", tenants_file)
            tenants = default_tenants()
        write_tenants(store, tenants)
        deployments = reference_file(
            settings.lens_deployments, DEPLOYMENTS_EXAMPLE, settings.demo_data
        )
        write_deployments(
            store, read_deployments_file(deployments) if deployments.is_file() else ()
        )
    except TenantsFileError as exc:
        store.close()
        raise ConfigError(str(exc), "fix the tenants file (LENS_TENANTS); see the README") from None
    except DeploymentsFileError as exc:
        store.close()
        raise ConfigError(
            str(exc), "fix the deployments file (LENS_DEPLOYMENTS); see the README"
        ) from None
    return store


def reference_file(configured: Path, example: Path, demo: bool) -> Path:
    """The configured file; with demo data and no such file, the shipped example, which
    matches the demo's tenants and deployments (cost centers, budgets, PTU capacity)."""
    if demo and not configured.is_file() and example.is_file():
        return example
    return configured


def examples_in_use(settings: Settings) -> list[str]:
    """The shipped example files the store was given in place of missing ones (demo data)."""
    pairs = (
        (settings.lens_tenants, TENANTS_EXAMPLE),
        (settings.lens_deployments, DEPLOYMENTS_EXAMPLE),
    )
    return [
        example.name
        for configured, example in pairs
        if reference_file(configured, example, settings.demo_data) == example
    ]
