"""Secrets kept in Azure Key Vault, referenced the way App Service references them:

    @Microsoft.KeyVault(SecretUri=https://myvault.vault.azure.net/secrets/aoai-key/)
    @Microsoft.KeyVault(SecretUri=https://myvault.vault.azure.net/secrets/aoai-key/<version>)
    @Microsoft.KeyVault(VaultName=myvault;SecretName=aoai-key[;SecretVersion=<version>])

Read with ``azure-keyvault-secrets``' ``SecretClient`` and ``DefaultAzureCredential`` (a
managed identity in Azure). ``KeyVaultKey`` is an Azure OpenAI key kept there: the client
asks it for the key before each request, and it reads the vault again when its value is
older than ``max_age_s`` or after ``forget()`` (a key rotated in the vault is picked up).
Values are never logged; errors name the vault and the secret and say what to fix.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final
from urllib.parse import urlsplit

from azure.core.exceptions import HttpResponseError, ServiceRequestError
from azure.keyvault.secrets import SecretClient

_REFERENCE: Final = re.compile(r"^\s*@Microsoft\.KeyVault\((?P<body>[^()]*)\)\s*$", re.IGNORECASE)
_SECRET_PATH: Final = re.compile(
    r"^/secrets/(?P<name>[0-9A-Za-z-]+)(?:/(?P<version>[0-9A-Za-z]+))?/?$"
)
_VAULT_NAME: Final = re.compile(r"^[0-9A-Za-z-]{3,24}$")
ROLE_HINT: Final = (
    "give the lens's identity (its managed identity, or the account DefaultAzureCredential "
    "finds) the 'Key Vault Secrets User' role on the vault, or an access policy with 'get' "
    "on secrets"
)


class KeyVaultError(ValueError):
    """A Key Vault reference that is malformed or cannot be read: what, and what to do."""

    def __init__(self, message: str, hint: str) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})"


@dataclass(frozen=True)
class SecretReference:
    vault_url: str  # https://<vault>.vault.azure.net
    name: str
    version: str | None = None

    def describe(self) -> str:
        version = f" (version {self.version})" if self.version else ""
        return f"secret {self.name!r}{version} in {self.vault_url}"


def parse_reference(value: str) -> SecretReference | None:
    """The secret a setting refers to, None when the value is the secret itself; a reference
    that does not parse is a ``KeyVaultError`` (never used as the secret)."""
    match = _REFERENCE.match(value)
    if match is None:
        return None
    fields: dict[str, str] = {}
    for part in match.group("body").split(";"):
        key, sep, text = part.partition("=")
        if not part.strip():
            continue
        if not sep:
            raise KeyVaultError(
                f"a Key Vault reference has {part.strip()!r}, not Key=Value", _FORMS
            )
        fields[key.strip().lower()] = text.strip()
    if "secreturi" in fields:
        url = urlsplit(fields["secreturi"])
        path = _SECRET_PATH.match(url.path)
        if url.scheme != "https" or not url.hostname or path is None:
            raise KeyVaultError(
                "a Key Vault reference's SecretUri must be https://<vault>/secrets/<name>[/<version>]",
                _FORMS,
            )
        return SecretReference(f"https://{url.netloc}", path.group("name"), path.group("version"))
    vault, name = fields.get("vaultname", ""), fields.get("secretname", "")
    if not _VAULT_NAME.match(vault) or not name:
        raise KeyVaultError(
            "a Key Vault reference needs SecretUri, or VaultName and SecretName", _FORMS
        )
    return SecretReference(
        f"https://{vault}.vault.azure.net", name, fields.get("secretversion") or None
    )


_FORMS: Final = (
    "write @Microsoft.KeyVault(SecretUri=https://<vault>.vault.azure.net/secrets/<name>/) or "
    "@Microsoft.KeyVault(VaultName=<vault>;SecretName=<name>)"
)

# Builds the client of a vault URL; tests point one at a local server speaking the wire.
ClientFactory = Callable[[str], SecretClient]


def default_client(vault_url: str) -> SecretClient:
    from azure.identity import DefaultAzureCredential

    return SecretClient(vault_url, DefaultAzureCredential())


class SecretReader:
    """Reads referenced secrets once per process (until ``forget``), one client per vault."""

    def __init__(self, client_factory: ClientFactory = default_client) -> None:
        self._factory = client_factory
        self._clients: dict[str, SecretClient] = {}
        self._values: dict[SecretReference, str] = {}
        self._lock = threading.Lock()

    def read(self, reference: SecretReference) -> str:
        with self._lock:
            if reference in self._values:
                return self._values[reference]
            client = self._clients.get(reference.vault_url)
            if client is None:
                client = self._clients[reference.vault_url] = self._factory(reference.vault_url)
        value = _get(client, reference)
        with self._lock:
            self._values[reference] = value
        return value

    def forget(self) -> bool:
        """Drop the values read, so the next read fetches the current version; True when
        there was any (a setting came from a vault)."""
        with self._lock:
            held = bool(self._values)
            self._values.clear()
            return held


def _get(client: SecretClient, reference: SecretReference) -> str:
    what = reference.describe()
    try:
        secret = client.get_secret(reference.name, reference.version)
    except HttpResponseError as exc:
        status = exc.status_code
        if status in (401, 403):
            raise KeyVaultError(f"reading the {what} was refused ({status})", ROLE_HINT) from None
        if status == 404:
            raise KeyVaultError(
                f"the {what} does not exist",
                "check the vault and the secret's name (and version) in the reference",
            ) from None
        raise KeyVaultError(
            f"reading the {what} failed ({status})", "retry; check the vault"
        ) from None
    except ServiceRequestError as exc:
        raise KeyVaultError(
            f"the vault of the {what} cannot be reached: {type(exc).__name__}",
            "check the vault URL and this machine's network access to it",
        ) from None
    if not secret.value:
        raise KeyVaultError(f"the {what} is empty", "give the secret a value") from None
    return secret.value


class KeyVaultKey:
    """An API key read from Key Vault when needed: callable, as the ``openai`` client's
    ``api_key`` may be."""

    def __init__(
        self,
        reference: SecretReference,
        reader: SecretReader | None = None,
        max_age_s: float = 600.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.reference = reference
        self._reader = reader or SecretReader()
        self._max_age_s = max_age_s
        self._clock = clock
        self._read_at: float | None = None

    def __call__(self) -> str:
        now = self._clock()
        if self._read_at is None or now - self._read_at > self._max_age_s:
            self._reader.forget()
            self._read_at = now
        return self._reader.read(self.reference)

    def forget(self) -> None:
        """Read the vault again on next use."""
        self._read_at = None

    def __repr__(self) -> str:
        return f"KeyVaultKey({self.reference.describe()})"
