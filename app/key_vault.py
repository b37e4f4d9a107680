"""Secret settings kept in Azure Key Vault (``aoai_client.key_vault`` reads them).

Any secret setting (``AZURE_OPENAI_API_KEY``, ``LOG_ANALYTICS_ACCESS_TOKEN``,
``APPLICATIONINSIGHTS_CONNECTION_STRING``, ``LENS_TOKEN``) may hold, instead of the
secret, an App Service style reference (``@Microsoft.KeyVault(SecretUri=...)``). The secret
is read when the settings are loaded, kept for the process, and read again after
``forget_secrets()`` (a call refused for a rotated key). The value is never logged or
shown; errors name the setting, the vault and the secret, and say what to fix.
"""

from __future__ import annotations

from typing import Any, Final

from pydantic import SecretStr

from aoai_client import key_vault as vault
from aoai_client.key_vault import SecretReader, SecretReference, parse_reference
from app.errors import ConfigError

__all__ = ["KeyVaultError", "SecretReader", "SecretReference", "parse_reference"]


class KeyVaultError(ConfigError):
    """A secret setting's Key Vault reference that is malformed or cannot be read."""


SECRET_SETTINGS: Final = (
    "azure_openai_api_key",
    "log_analytics_access_token",
    "lens_metrics_access_token",
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


def read_reference(text: str, where: str) -> str | None:
    """The secret a Key Vault reference names, None when ``text`` is the secret itself;
    errors name ``where`` (the setting or file entry)."""
    try:
        reference = parse_reference(text)
        return None if reference is None else _reader.read(reference)
    except vault.KeyVaultError as exc:
        raise KeyVaultError(f"{where}: {exc.message}", exc.hint) from None


def resolved(values: dict[str, Any]) -> dict[str, str]:
    """For each secret setting in ``values`` whose text is a Key Vault reference, the secret
    read from the vault, by setting name; errors name the setting."""
    found: dict[str, str] = {}
    for name in SECRET_SETTINGS:
        value = values.get(name)
        text = value.get_secret_value() if isinstance(value, SecretStr) else value
        if not isinstance(text, str):
            continue
        secret = read_reference(text, name.upper())
        if secret is not None:
            found[name] = secret
    return found
