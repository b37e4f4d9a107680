"""A real lens server in a subprocess on free 127.0.0.1 ports (the dashboard's and
OTLP/gRPC's, so servers run side by side), for tests and benches."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

CLI = Path(sys.executable).with_name("aoai-lens")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LensServer:
    """``aoai-lens serve`` started for real; readiness polled at /healthz."""

    def __init__(
        self,
        db_path: Path,
        log_path: Path,
        env: dict[str, str] | None = None,
        *,
        demo: bool = False,
        cwd: Path | None = None,
    ) -> None:
        self.demo = demo
        self.cwd = cwd  # where Streamlit looks for .streamlit/ (secrets.toml)
        self.db_path = db_path
        self.log_path = log_path
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.extra_env = env or {}
        self.grpc_port = int(self.extra_env.get("LENS_OTLP_GRPC_PORT") or free_port())
        while self.grpc_port == self.port:
            self.grpc_port = free_port()
        self.grpc_endpoint = f"127.0.0.1:{self.grpc_port}"  # an OTLP/gRPC exporter's target
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout_s: float = 90.0) -> LensServer:
        env = {
            **os.environ,
            "LENS_OTLP_GRPC_PORT": str(self.grpc_port),
            # fixtures carry fixed dates (2025 and later): keep them; retention's own tests
            # set their days
            "LENS_RETENTION_DAYS": "3650",
            **self.extra_env,
            "LENS_DB": str(self.db_path),
            "PYTHONUNBUFFERED": "1",
        }
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [
                    str(CLI),
                    "serve",
                    "--port",
                    str(self.port),
                    "--db",
                    str(self.db_path),
                    "--demo" if self.demo else "--no-demo",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=self.cwd,
            )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"lens server exited early:\n{self.output()}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1.0).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"lens server not ready after {timeout_s}s:\n{self.output()}")

    def health(self) -> dict[str, object]:
        response = httpx.get(f"{self.url}/healthz", timeout=5.0)
        response.raise_for_status()
        data: dict[str, object] = response.json()
        return data

    def stop(self, timeout_s: float = 30.0) -> int:
        """SIGTERM and wait: the lifespan commits what is queued and closes the file."""
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout_s)
        self.process = None
        return code

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs."""
        assert self.process is not None
        self.process.kill()
        self.process.wait(30)
        self.process = None

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")[-8000:]
