"""Who may do what: the access file, the people and machine tokens it lists, their roles.

Without an access file the lens runs in local mode: one person on this machine, no
sign-in (``app.local_mode``). With one (``LENS_ACCESS_FILE``, default ``access.toml``)
every page and route needs an identity: people sign in (Streamlit's OIDC, ``st.user``)
and are matched by e-mail or Entra group object id; machines send
``Authorization: Bearer <token>``, kept in the file only as a SHA-256 hex digest.

```toml
[[users]]
email = "ana@contoso.com"
role = "finops"
[[users]]
group = "5d1f0c1e-0000-0000-0000-000000000000"
role = "tenant"
tenants = ["contoso"]
[[tokens]]
name = "collector-weu"
sha256 = "<hex digest of the token>"
role = "ingest"
```
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import threading
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Final

from app.errors import ConfigError

ROLES: Final = ("admin", "finops", "safety", "tenant", "ingest")

# What each action needs. Reading costs covers every page's numbers, the chargeback CSV and
# the call list; message content is the admin's and, for flagged calls, safety's.
PERMISSIONS: Final[Mapping[str, frozenset[str]]] = {
    "ingest": frozenset({"admin", "ingest"}),
    "read": frozenset({"admin", "finops", "safety", "tenant"}),
    "content": frozenset({"admin", "safety"}),
    "prices.refresh": frozenset({"admin", "finops"}),
    "prices.apply": frozenset({"admin"}),
    "backfill": frozenset({"admin"}),
    "reconcile": frozenset({"admin", "finops"}),
    "prices.bill": frozenset({"admin", "finops"}),
    "sources": frozenset({"admin", "finops"}),
    "playground": frozenset({"admin", "safety"}),
    "audit": frozenset({"admin"}),
    "alerts": frozenset({"admin", "finops"}),
    "advise": frozenset({"admin", "finops"}),
}
_USER_KEYS: Final = frozenset({"email", "group", "role", "tenants"})
_TOKEN_KEYS: Final = frozenset({"name", "sha256", "role", "tenants"})
_HEX_DIGEST: Final = re.compile(r"^[0-9a-fA-F]{64}$")


@dataclass(frozen=True)
class Identity:
    """Who is asking: the signed-in e-mail or the token's name, the role, and the tenants
    whose rows they may see (None: every tenant)."""

    actor: str
    role: str
    tenants: tuple[str, ...] | None = None

    def may(self, action: str) -> bool:
        return self.role in PERMISSIONS[action]


LOCAL: Final = Identity("local", "admin")  # local mode: the one person at this machine


@dataclass(frozen=True)
class UserEntry:
    email: str | None
    group: str | None
    role: str
    tenants: tuple[str, ...] | None


@dataclass(frozen=True)
class TokenEntry:
    name: str
    digest: bytes
    role: str
    tenants: tuple[str, ...] | None


class AccessFileError(ConfigError):
    """The access file cannot be used; the message names the entry at fault."""


@dataclass(frozen=True)
class AccessPolicy:
    """The parsed access file."""

    path: Path
    users: tuple[UserEntry, ...] = ()
    tokens: tuple[TokenEntry, ...] = ()

    def identity_for_token(self, token: str) -> Identity | None:
        """The identity of a bearer token, or None. Every digest is compared, in constant
        time, so the answer's timing says nothing about which entry came close."""
        digest = hashlib.sha256(token.encode("utf-8")).digest()
        found: TokenEntry | None = None
        for entry in self.tokens:
            if hmac.compare_digest(digest, entry.digest):
                found = entry
        if found is None:
            return None
        return Identity(found.name, found.role, found.tenants)

    def identity_for_user(self, email: str | None, groups: Iterable[str] = ()) -> Identity | None:
        """The identity of a signed-in person: an entry for their e-mail first (case does
        not matter), else the first entry for one of their groups, else None."""
        address = (email or "").strip().lower()
        member_of = {group.strip().lower() for group in groups}
        by_email = [u for u in self.users if u.email is not None and u.email.lower() == address]
        by_group = [u for u in self.users if u.group is not None and u.group.lower() in member_of]
        for entry in (*by_email, *by_group):
            return Identity(address or entry.group or "?", entry.role, entry.tenants)
        return None

    def with_token(self, name: str, token: str, role: str) -> AccessPolicy:
        """This policy plus one token (the server's own, for its demo and playground
        traffic through its own routes)."""
        entry = TokenEntry(name, hashlib.sha256(token.encode()).digest(), role, None)
        return replace(self, tokens=(*self.tokens, entry))


def load_access_file(path: Path) -> AccessPolicy:
    """Read and check the access file; an error names the file and the entry at fault."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise AccessFileError(
            f"cannot read the access file {path}: {exc.strerror}", _HINT
        ) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise AccessFileError(f"the access file {path} is not valid TOML: {exc}", _HINT) from None
    unknown = sorted(set(data) - {"users", "tokens"})
    if unknown:
        raise AccessFileError(f"{path}: unknown section {unknown[0]!r}", _HINT)
    users = tuple(_user(path, n, entry) for n, entry in _entries(path, data, "users"))
    tokens = tuple(_token(path, n, entry) for n, entry in _entries(path, data, "tokens"))
    names = [token.name for token in tokens]
    for name in names:
        if names.count(name) > 1:
            raise AccessFileError(f"{path}: two tokens are named {name!r}", _HINT)
    seen: set[bytes] = set()
    for number, token in enumerate(tokens, start=1):
        if token.digest in seen:
            raise AccessFileError(
                f"{path}: tokens[{number}] ({token.name}) has the digest of another token", _HINT
            )
        seen.add(token.digest)
    return AccessPolicy(path, users, tokens)


_HINT: Final = (
    "fix the access file (see access.example.toml and the README's 'Sign-in and roles'), "
    "or remove it to run in local mode"
)


def _entries(path: Path, data: dict[str, Any], section: str) -> list[tuple[int, dict[str, Any]]]:
    entries = data.get(section, [])
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise AccessFileError(f"{path}: {section} must be a list of [[{section}]] tables", _HINT)
    return list(enumerate(entries, start=1))


def _common(
    where: str, entry: dict[str, Any], keys: frozenset[str]
) -> tuple[str, tuple[str, ...] | None]:
    unknown = sorted(set(entry) - keys)
    if unknown:
        raise AccessFileError(f"{where}: unknown key {unknown[0]!r}", _HINT)
    role = entry.get("role")
    if role not in ROLES:
        raise AccessFileError(
            f"{where}: unknown role {role!r}", f"use one of {', '.join(ROLES)}; {_HINT}"
        )
    tenants = entry.get("tenants")
    if tenants is not None and (
        not isinstance(tenants, list)
        or not tenants
        or not all(isinstance(t, str) and t for t in tenants)
    ):
        raise AccessFileError(f"{where}: tenants must be a non-empty list of tenant ids", _HINT)
    if role == "tenant" and tenants is None:
        raise AccessFileError(f"{where}: the tenant role needs tenants = [...]", _HINT)
    return role, tuple(tenants) if tenants is not None else None


def _user(path: Path, number: int, entry: dict[str, Any]) -> UserEntry:
    where = f"{path}: users[{number}]"
    role, tenants = _common(where, entry, _USER_KEYS)
    email, group = entry.get("email"), entry.get("group")
    if (email is None) == (group is None):
        raise AccessFileError(f"{where}: give either email or group", _HINT)
    for key, value in (("email", email), ("group", group)):
        if value is not None and (not isinstance(value, str) or not value.strip()):
            raise AccessFileError(f"{where}: {key} must be a non-empty string", _HINT)
    if email is not None and "@" not in email:
        raise AccessFileError(f"{where}: email {email!r} is not an e-mail address", _HINT)
    return UserEntry(email, group, role, tenants)


def _token(path: Path, number: int, entry: dict[str, Any]) -> TokenEntry:
    name = entry.get("name")
    where = f"{path}: tokens[{number}]" + (f" ({name})" if isinstance(name, str) else "")
    role, tenants = _common(where, entry, _TOKEN_KEYS)
    if not isinstance(name, str) or not name.strip():
        raise AccessFileError(f"{where}: name must be a non-empty string", _HINT)
    digest = entry.get("sha256")
    if not isinstance(digest, str) or not _HEX_DIGEST.match(digest):
        raise AccessFileError(
            f"{where}: sha256 must be the 64 hex digits of the token's SHA-256 digest",
            "write the digest, never the token: printf %s TOKEN | sha256sum",
        )
    return TokenEntry(name, bytes.fromhex(digest), role, tenants)


_lock = threading.Lock()
_policy: AccessPolicy | None = None
_loaded = False
SERVER_ACTOR: Final = "lens-server"
# What this server's own clients (the playground, the demo traffic) send to its routes when
# an access file is in force: one per process, as the process's telemetry is configured once.
SERVER_TOKEN: Final = secrets.token_urlsafe(32)


def use_access(policy: AccessPolicy | None) -> None:
    """Register the policy of this process (the lifespan does, from the settings)."""
    global _policy, _loaded
    with _lock:
        _policy, _loaded = policy, True


def forget_access() -> None:
    """Forget the registered policy; the next ``current_access`` reads the settings."""
    global _policy, _loaded
    with _lock:
        _policy, _loaded = None, False


def current_access() -> AccessPolicy | None:
    """The policy of this process (None: local mode), read from the settings on first use."""
    global _policy, _loaded
    with _lock:
        if not _loaded:
            from app.config import load_settings  # the settings import this module

            _policy, _loaded = load_settings().access_policy(), True
        return _policy
