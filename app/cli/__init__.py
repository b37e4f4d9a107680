"""The ``aoai-lens`` command line. ``main`` is the console script's entry point
(``app.cli:main``); the verbs are the click group ``main`` in ``commands.py``.

``main`` imports the verbs only when it runs: a process that merely imports the console
script (multiprocessing's forkserver workers import their parent's main script) stays
light, and ``aoai-lens serve`` runs the server in its own process (``commands.serve``)."""


def main() -> None:
    from app.cli.commands import main as command_line

    command_line()
