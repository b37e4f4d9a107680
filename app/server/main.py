"""The lens server: one process owns the DuckDB file and serves app and routes. Its
lifespan is the running lens's ``start()`` and ``stop()`` (``app/lens.py``).

Run with ``streamlit run app/server/main.py`` (``aoai-lens serve`` does this).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import streamlit as st
from starlette.middleware import Middleware

from app.config import load_settings
from app.lens import Lens
from app.local_mode import HostPolicy, LocalOnly
from app.server.access_guard import AccessGuard, GuardState
from app.server.oidc_secrets import auth_secrets
from app.server.routes import build_routes
from app.server.script_errors import report_script_error
from app.server.simulator_route import SimulatorMount, simulator_route
from app.server.stop_signals import on_stop_signal

DASHBOARD = Path(__file__).parents[1] / "dashboard" / "entrypoint.py"  # the entrypoint st.App runs


def configure_logging() -> None:
    """Our loggers (app.*, collectors.*) at INFO on stderr, beside Streamlit's."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    for name in ("app", "collectors"):
        logger = logging.getLogger(name)
        if not logger.handlers:
            logger.addHandler(handler)
            logger.setLevel(logging.INFO)
            logger.propagate = False


# The doors the Starlette app is built with; the lifespan opens them for the running lens.
host_policy = HostPolicy()  # loopback names until the settings add theirs
guard_state = GuardState()  # local mode until the settings name an access file
simulator_mount = SimulatorMount()


@asynccontextmanager
async def lifespan(_: Any) -> AsyncIterator[dict[str, Any]]:
    configure_logging()
    lens = Lens(load_settings(), guard=guard_state)
    host_policy.extra = lens.settings.allowed_hosts
    await lens.start()
    simulator_mount.app = lens.simulator_app
    undo_stop_signal = on_stop_signal(lens.begin_stop)
    try:
        yield {"store": lens.store}
    finally:
        simulator_mount.app = None
        await lens.stop()
        undo_stop_signal()


app = st.App(
    str(DASHBOARD),
    secrets=auth_secrets(),  # [auth] with a Key Vault client_secret read; else the file as is
    lifespan=lifespan,
    routes=[*build_routes(), simulator_route(simulator_mount)],
    middleware=[
        Middleware(LocalOnly, policy=host_policy),
        Middleware(AccessGuard, state=guard_state),
    ],
    on_script_error=report_script_error,
)
