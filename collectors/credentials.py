"""Credentials never enter the ledger: which attribute keys and URL parameters carry secrets.

Producers sometimes record request headers or settings as span attributes: an
``Authorization`` or ``api-key`` header (``http.request.header.api-key``), OpenLLMetry's
``llm.headers``, a cookie, a connection string, a password. The GenAI normaliser
(``queries/normalize/genai_macros.sql``, ``genai_masked``) masks them for every source with
the patterns below, keeping the key with the value ``[redacted]`` so the fact that one was
sent stays visible; a value that says there is nothing (``""``, ``"None"``, ``"{}"``) is
kept. URL attributes lose the values of credential query parameters (``api-key``, ``sig``).

A key is a credential when one of its ``.``-separated parts (or a ``-``/``_`` part that
ends it) names one: ``authorization``, ``api-key``, ``x-api-key``, ``subscription-key``,
``account_key``, ``cookie``, ``set-cookie``, ``token`` (``access_token``, ``sas_token``; not
``tokens``, not ``token_count``), ``secret``, ``client_secret``, ``password``,
``connection_string``; and ``llm.headers`` whole.
"""

from __future__ import annotations

from typing import Final

REDACTED: Final = "[redacted]"

# RE2 syntax (DuckDB's regexp functions) that Python's re reads alike: no look-arounds.
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
# A credential query parameter in a URL: its first group is the name and "=".
SECRET_QUERY_PATTERN: Final = (
    r"(?i)([?&](api-key|api_key|apikey|key|code|sig|signature|token|access_token)=)[^&#]*"
)
