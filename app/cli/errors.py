"""The CLI's one translation of errors into an exit: a ``LensError`` raised by any verb
becomes ``error: <message>`` and its hint on stderr, then the error's exit code (1 for a
failure, 2 for bad input or settings); anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

from typing import Any, NoReturn

import click
from rich.console import Console
from rich.markup import escape

from lens_errors import LensError

stderr = Console(stderr=True, soft_wrap=True)


def exit_with(error: LensError) -> NoReturn:
    """Say what went wrong and what to do on stderr, then exit with the error's code."""
    stderr.print(f"[red]error:[/red] {escape(error.message)}")
    if error.hint:
        stderr.print(escape(error.hint))
    raise SystemExit(error.exit_code)


class LensGroup(click.Group):
    """The ``aoai-lens`` group: every verb and sub-group under it exits through
    ``exit_with`` when it raises a ``LensError``."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except LensError as error:
            exit_with(error)
