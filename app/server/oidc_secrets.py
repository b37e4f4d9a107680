"""The sign-in provider's client secret from Azure Key Vault.

Streamlit reads ``[auth]`` from ``.streamlit/secrets.toml`` itself. Where that section (or a
provider's section under it, ``[auth.microsoft]``) gives ``client_secret`` as a Key Vault
reference (``@Microsoft.KeyVault(SecretUri=...)``), the server reads the secret at start and
hands Streamlit the section with the secret in its place, as programmatic secrets
(``st.App(secrets=...)``), which override the file's section.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any, Final

from app import key_vault
from app.errors import ConfigError

SECRETS_FILE: Final = Path(".streamlit") / "secrets.toml"


def auth_secrets(path: Path = SECRETS_FILE) -> dict[str, Any] | None:
    """``{"auth": section}`` with Key Vault references resolved, or None when the file has
    no ``[auth]`` or no reference in it (Streamlit then reads the file as it is)."""
    if not path.is_file():
        return None
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(
            f"cannot read {path}: {exc}", "fix the file (TOML), or remove it"
        ) from None
    auth = data.get("auth")
    if not isinstance(auth, dict):
        return None
    resolved, changed = _resolved(auth, "auth")
    return {"auth": resolved} if changed else None


def _resolved(section: dict[str, Any], where: str) -> tuple[dict[str, Any], bool]:
    out: dict[str, Any] = {}
    changed = False
    for key, value in section.items():
        if isinstance(value, dict):
            out[key], inner = _resolved(value, f"{where}.{key}")
            changed = changed or inner
        elif key == "client_secret" and isinstance(value, str):
            secret = key_vault.read_reference(value, f"[{where}] client_secret")
            out[key] = value if secret is None else secret
            changed = changed or secret is not None
        else:
            out[key] = value
    return out, changed
