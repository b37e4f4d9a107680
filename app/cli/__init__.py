"""The ``aoai-lens`` command line: ``main`` is the console script's entry point
(``app.cli:main``), the click group in ``commands.py`` with every verb registered."""

from app.cli.commands import main

__all__ = ["main"]
