"""The built-in simulator's place among the lens server's routes: ``/simulator``, switched
on by the lifespan (DESIGN section 9), a JSON 404 with the fix while it is off."""

from __future__ import annotations

from typing import Any

from starlette.routing import Mount

from app.lens_client import SIMULATOR_PATH
from app.server.http_errors import error_answer
from lens_errors import NotFoundError


class SimulatorMount:
    """The simulator's ASGI app once the lifespan enables it; 404 until then."""

    def __init__(self) -> None:
        self.app: Any = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if self.app is None:
            await _simulator_off(scope, receive, send)
        else:
            await self.app(scope, receive, send)


async def _simulator_off(scope: Any, receive: Any, send: Any) -> None:
    off = NotFoundError(
        "the simulator is off", "unset AZURE_OPENAI_ENDPOINT or set LENS_SIMULATOR=true"
    )
    await error_answer(off)(scope, receive, send)


def simulator_route(mount: SimulatorMount) -> Mount:
    return Mount(SIMULATOR_PATH, mount)
