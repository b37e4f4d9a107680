"""Secret settings kept in Azure Key Vault, referenced the way App Service references them.

Any secret setting (``AZURE_OPENAI_API_KEY``, ``LOG_ANALYTICS_ACCESS_TOKEN``,
``APPLICATIONINSIGHTS_CONNECTION_STRING``, ``LENS_TOKEN``) may hold, instead of the
secret, a reference::

    @Microsoft.KeyVault(SecretUri=https://myvault.vault.azure.net/secrets/aoai-key/)
    @Microsoft.KeyVault(SecretUri=https://myvault.vault.azure.net/secrets/aoai-key/<version>)
    @Microsoft.KeyVault(VaultName=myvault;SecretName=aoai-key[;SecretVersion=<version>])

The secret is read with ``azure-keyvault-secrets``' ``SecretClient`` and
``DefaultAzureCredential`` (a managed identity in Azure) when the settings are loaded, kept
for the process, and read again after ``forget_secrets()`` (a call refused for a rotated
key). The value is never logged or shown; errors name the setting, the vault and the
secret, and say what to fix.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import urlsplit

from azure.core.exceptions import HttpResponseError, ServiceRequestError
from azure.keyvault.secrets import SecretClient
from pydantic import SecretStr

from app.errors import ConfigError

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


class KeyVaultError(ConfigError):
    """A Key Vault reference that is malformed or cannot be read."""


@dataclass(frozen=True)
class SecretReference:
    vault_url: str  # https://<vault>.vault.azure.net
    name: str
    version: str | None = None

    def describe(self) -> str:
        version = f" (version {self.version})" if self.version else ""
        return f"secret {self.name!r}{version} in {self.vault_url}"


def is_reference(value: str) -> bool:
    return _REFERENCE.match(value) is not None


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


SECRET_SETTINGS: Final = (
    "azure_openai_api_key",
    "log_analytics_access_token",
    "applicationinsights_connection_string",
    "lens_token",
)

_reader = SecretReader()


def use_reader(reader: SecretReader) -> None:
    """The process's reader (tests give one whose clients reach a local vault)."""
    global _reader
    _reader = reader


def forget_secrets() -> bool:
    """Read every referenced secret again on next use (after a key was rotated); True when
    any setting had been read from a vault."""
    return _reader.forget()


def resolved(values: dict[str, Any]) -> dict[str, str]:
    """For each secret setting in ``values`` whose text is a Key Vault reference, the secret
    read from the vault, by setting name; errors name the setting."""
    found: dict[str, str] = {}
    for name in SECRET_SETTINGS:
        value = values.get(name)
        text = value.get_secret_value() if isinstance(value, SecretStr) else value
        if not isinstance(text, str):
            continue
        try:
            reference = parse_reference(text)
            if reference is not None:
                found[name] = _reader.read(reference)
        except KeyVaultError as exc:
            raise KeyVaultError(f"{name.upper()}: {exc.message}", exc.hint) from None
    return found
