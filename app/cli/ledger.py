"""Where a verb's ledger is: a running lens server answering at ``--url``, else a
``Lens`` on the database file (DESIGN section 1); and how the CLI says that neither is."""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import NoReturn

import httpx
from rich.console import Console

from app.access import Identity
from app.cli.errors import exit_with
from app.config import Settings
from app.errors import NotFoundError, ServerError
from app.lens import Lens

console = Console(stderr=True, soft_wrap=True)


def server_url(settings: Settings, url: str | None) -> str:
    """``--url``, else the server the settings describe."""
    return url or f"http://{settings.lens_host}:{settings.lens_port}"


def cli_identity() -> Identity:
    """Who acts when the CLI writes the file itself (no server): this machine's user."""
    return Identity(f"cli:{getpass.getuser()}", "admin")


def server_headers(settings: Settings) -> dict[str, str]:
    """``Authorization: Bearer LENS_TOKEN`` for a lens server with an access file."""
    token = settings.lens_token
    return {"Authorization": f"Bearer {token.get_secret_value()}"} if token else {}


def server_is_up(url: str) -> bool:
    """A lens server answers at ``url`` (healthy, or failing writes: it still owns the file)."""
    try:
        answer = httpx.get(f"{url}/healthz", timeout=2.0)
    except httpx.HTTPError:
        return False
    if answer.status_code not in (200, 503):
        return False
    try:
        return isinstance(answer.json().get("status"), str)
    except ValueError:
        return False


def exit_on_route_error(response: httpx.Response) -> None:
    """A route's ``{"error", "hint"}`` answer, printed as a ``ServerError``; then exit 1. An
    answer that is not that JSON (a proxy's page, say) is named by its status and first
    characters."""
    if response.status_code == 200:
        return
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        body = {"error": f"HTTP {response.status_code}: {response.text[:200]}"}
    exit_with(ServerError(str(body.get("error")), str(body.get("hint", ""))))


def exit_without_a_ledger(base: str, db: Path) -> NoReturn:
    """Neither a server at ``base`` nor a database file at ``db``: say what to do (exit 1)."""
    exit_with(
        NotFoundError(
            f"no lens server answers at {base} and there is no database file at {db}",
            "Start one with `aoai-lens serve`, or pass --url with a running "
            "server's URL or --db with an existing database file (LENS_DB).",
        )
    )


def open_lens_or_exit(settings: Settings) -> Lens:
    """A lens on the database file, when no server holds it; else a ``LensError`` saying
    why not (a ``StoreError``: exit 1; a bad reference file: a ``ConfigError``, exit 2).
    ``close()`` it when done."""
    lens = Lens(settings)
    lens.open()
    return lens
