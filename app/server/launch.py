"""Start the lens server in the calling process: Streamlit's own command line runs
``main.py`` (``aoai-lens serve`` calls this once its checks pass).

In the same process, not a second interpreter: the server imports what the command line
has imported already instead of importing it all again."""

from __future__ import annotations

from pathlib import Path

SERVER_SCRIPT = Path(__file__).parent / "main.py"


def run_server(address: str, port: str) -> None:
    """Serve until stopped; the settings come from the environment (``LENS_*``)."""
    from streamlit.web import cli as streamlit_cli

    streamlit_cli.main.main(
        [
            "run", str(SERVER_SCRIPT),
            "--server.address", address,
            "--server.port", port,
            "--server.headless", "true",
            "--server.fileWatcherType", "none",  # nothing to reload: no polling thread
            "--browser.gatherUsageStats", "false",
            "--client.toolbarMode", "viewer",
        ],
        prog_name="streamlit",
    )  # fmt: skip
