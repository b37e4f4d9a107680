"""Credentials never enter the ledger: attribute keys that carry secrets are masked.

Producers sometimes record request headers or settings as span attributes: an
``Authorization`` or ``api-key`` header (``http.request.header.api-key``), OpenLLMetry's
``llm.headers``, a cookie, a connection string, a password. Every source masks them at
normalisation with the one pattern below (the App Insights SQL receives it as a parameter),
keeping the key with the value ``[redacted]`` so the fact that one was sent stays visible.
URL attributes lose the values of credential query parameters (``api-key``, ``sig``, ...).

A key is a credential when one of its ``.``-separated segments (or a ``-``/``_`` part that
ends it) names one: ``authorization``, ``api-key``, ``x-api-key``, ``subscription-key``,
``account_key``, ``cookie``, ``set-cookie``, ``token`` (``access_token``, ``sas_token``; not
``tokens``, not ``token_count``), ``secret``, ``client_secret``, ``password``,
``connection_string``; and ``llm.headers`` whole.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, Final
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

REDACTED: Final = "[redacted]"

# RE2-compatible (DuckDB's regexp_matches uses it too): no look-arounds, flags at the start.
CREDENTIAL_KEY_PATTERN: Final = (
    r"(?i)(^|[._-])("
    r"authorization|proxy[-_]authorization|"
    r"(x[-_])?api[-_]?key|(ocp[-_]apim[-_])?subscription[-_]key|x[-_]functions[-_]key|"
    r"(account|shared[-_]?access)[-_]?key|"
    r"(set[-_])?cookie|"
    r"((access|refresh|id|auth|bearer|session|sas|security|api)[-_]?)?token|"
    r"(client[-_])?secret|password|passwd|"
    r"connection[-_]?string|conn[-_]?str"
    r")$|^llm\.headers$"
)
_KEY: Final = re.compile(CREDENTIAL_KEY_PATTERN)
# Values that hold no secret (OpenLLMetry writes llm.headers = "None" when there are none).
_NOTHING: Final = (None, "", "None", "null", "{}", "[]")
_URL_KEYS: Final = frozenset({"url.full", "http.url", "url.query", "gen_ai.openai.api_base"})
_SECRET_QUERY: Final = frozenset(
    {"api-key", "api_key", "apikey", "key", "code", "sig", "signature", "token", "access_token"}
)


@lru_cache(maxsize=4096)
def is_credential_key(key: str) -> bool:
    """True for an attribute key that carries a secret (the pattern above)."""
    return _KEY.search(key) is not None


def mask_credentials(attributes: dict[str, Any]) -> dict[str, Any]:
    """``attributes`` with credential values replaced by ``[redacted]`` (a new dict only
    when something was masked; nested ``resource`` dicts included)."""
    masked: dict[str, Any] | None = None
    for key, value in attributes.items():
        new = value
        if is_credential_key(key):
            new = value if value in _NOTHING else REDACTED
        elif key in _URL_KEYS and isinstance(value, str) and "=" in value:
            new = mask_url(value)
        elif isinstance(value, dict) and value:
            new = mask_credentials(value)
        if new is not value:
            if masked is None:
                masked = dict(attributes)
            masked[key] = new
    return attributes if masked is None else masked


def mask_url(url: str) -> str:
    """``url`` with the values of credential query parameters replaced."""
    try:
        parts = urlsplit(url)
        pairs = parse_qsl(parts.query, keep_blank_values=True)
    except ValueError:
        return url
    if not any(name.lower() in _SECRET_QUERY for name, _ in pairs):
        return url
    query = urlencode(
        [(name, REDACTED if name.lower() in _SECRET_QUERY else value) for name, value in pairs],
        safe="[]",
    )
    return urlunsplit(parts._replace(query=query))
