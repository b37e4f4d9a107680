"""A local Azure Key Vault speaking the secrets REST wire (``GET /secrets/{name}[/{version}]``,
api-version 7.x) over HTTPS, for the real ``SecretClient``.

As the service does: a request without a bearer token gets ``401`` and the challenge
``WWW-Authenticate: Bearer authorization="https://login.microsoftonline.com/<tenant>",
resource="https://vault.azure.net"``; a known secret gets its bundle (``value``, ``id``,
``attributes``); an unknown one ``404`` ``SecretNotFound``; a name listed in ``forbidden``
``403`` ``Forbidden`` (``AccessDenied``). ``rotate`` adds a new version that becomes the
latest. The certificate is self-signed for 127.0.0.1; ``cert_path`` is what a client trusts.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import uvicorn
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from lens_harness.lens_process import free_port

TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"
CHALLENGE = (
    f'Bearer authorization="https://login.microsoftonline.com/{TENANT}", '
    'resource="https://vault.azure.net"'
)


def self_signed(directory: Path) -> tuple[Path, Path]:
    """A certificate and key for 127.0.0.1, written as PEM files."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "vault-cert.pem", directory / "vault-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


class FakeKeyVault:
    def __init__(self, directory: Path) -> None:
        self.port = free_port()
        self.url = f"https://127.0.0.1:{self.port}"
        self.cert_path, key_path = self_signed(directory)
        self.versions: dict[str, list[tuple[str, str]]] = {}  # name -> [(version, value)]
        self.forbidden: set[str] = set()
        self.reads: list[str] = []  # "name/version" of each authorised GET
        self.tokens_seen: list[str] = []
        app = Starlette(
            routes=[
                Route("/secrets/{name}", self._get, methods=["GET"]),
                Route("/secrets/{name}/", self._get, methods=["GET"]),
                Route("/secrets/{name}/{version}", self._get, methods=["GET"]),
            ]
        )
        config = uvicorn.Config(
            app,
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            ssl_certfile=str(self.cert_path),
            ssl_keyfile=str(key_path),
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="fake-key-vault", daemon=True)

    def set(self, name: str, value: str) -> str:
        """Add a version of ``name`` (the latest from now on); its version id."""
        version = uuid.uuid4().hex
        self.versions.setdefault(name, []).append((version, value))
        return version

    rotate = set

    def start(self) -> FakeKeyVault:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the fake Key Vault did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.server.force_exit = True  # the SDK keeps its connections open: do not wait on them
        self.thread.join(10)

    async def _get(self, request: Request) -> JSONResponse:
        authorization = request.headers.get("authorization", "")
        if not authorization.lower().startswith("bearer "):
            return JSONResponse(
                {"error": {"code": "Unauthorized", "message": "AKV10000: Request is missing a "
                           "Bearer or PoP token."}},
                status_code=401,
                headers={"WWW-Authenticate": CHALLENGE},
            )  # fmt: skip
        self.tokens_seen.append(authorization.split(" ", 1)[1])
        name = request.path_params["name"]
        wanted = request.path_params.get("version") or ""
        if name in self.forbidden:
            return JSONResponse(_forbidden(name), status_code=403)
        versions = self.versions.get(name, [])
        found = [v for v in versions if v[0] == wanted] if wanted else versions[-1:]
        if not found:
            return JSONResponse(_not_found(name), status_code=404)
        version, value = found[0]
        self.reads.append(f"{name}/{version}")
        return JSONResponse(
            {
                "value": value,
                "id": f"{self.url}/secrets/{name}/{version}",
                "attributes": {
                    "enabled": True,
                    "created": 1764547200,
                    "updated": 1764547200,
                    "recoveryLevel": "Recoverable+Purgeable",
                    "recoverableDays": 90,
                },
                "tags": {},
            }
        )


def _forbidden(name: str) -> dict[str, Any]:
    return {
        "error": {
            "code": "Forbidden",
            "message": f"The user, group or application 'appid=...' does not have secrets get "
            f"permission on key vault 'lens-vault'. (secret {name})",
            "innererror": {"code": "AccessDenied"},
        }
    }


def _not_found(name: str) -> dict[str, Any]:
    return {
        "error": {
            "code": "SecretNotFound",
            "message": f"A secret with (name/id) {name} was not found in this key vault.",
        }
    }
