"""Open the lens store with its reference data: price book, tenants and deployments files."""

from __future__ import annotations

import logging

from app.config import Settings
from app.errors import ConfigError
from collectors.deployments import DeploymentsFileError, read_deployments_file, write_deployments
from collectors.prices.book import load_reference_data
from collectors.store import Store
from collectors.tenants import TenantsFileError, default_tenants, read_tenants_file, write_tenants

log = logging.getLogger(__name__)


def open_store(settings: Settings) -> Store:
    """The store at ``LENS_DB``, migrated, with prices and tenants loaded."""
    store = Store(settings.lens_db)
    try:
        load_reference_data(store)
        if settings.lens_tenants.is_file():
            tenants = read_tenants_file(settings.lens_tenants)
        else:
            log.info("no tenants file at %s: tenants come from tenant.id", settings.lens_tenants)
            tenants = default_tenants()
        write_tenants(store, tenants)
        deployments = settings.lens_deployments
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
