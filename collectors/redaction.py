"""Personal data out of message content before it is written.

Message content (the prompts, completions and system instructions a producer captured) is
replaced piece by piece with ``[redacted:KIND]``, in this order, each step reading what the
one before left:

- ``secret``: ``AccountKey=``, ``SharedAccessKey=``, ``SharedAccessSignature=``,
  ``Password=``/``Pwd=`` and ``InstrumentationKey=`` values of connection strings (the key
  name stays), ``Bearer`` tokens (16 characters or more), API keys with a known prefix
  (``sk-``, ``sk-proj-``, ``ghp_``, ``github_pat_``, ``xox?-``, ``AKIA``), and 32
  hexadecimal characters with both a letter and a digit (an Azure resource key);
- ``email``: an address with a dotted domain;
- ``iban``: two letters, two check digits and 11 to 30 letters or digits (spaced in fours
  or not) that pass ``stdnum.iban`` (the country's length and the mod-97 check);
- ``card``: 13 to 19 digits (spaces or dashes between them) starting 2 to 6, as card
  numbers do, that pass the Luhn check (``stdnum.luhn``);
- ``ip``: an IPv4 address not written as a version (``v1.2.3.4``, ``version 1.2.3.4``), or
  an IPv6 address, each checked by ``ipaddress``;
- ``phone``: a number that Google's libphonenumber (``phonenumbers``) holds *valid*,
  written internationally (``+44 20 7946 0958``) or grouped as the North American plan
  writes its numbers (``(425) 555-0100``, ``425.555.0100``, ``4255550100``). A national
  number of another country (``030 1234567``) is not caught, nor digits that run on from
  a word or code (``INV-2024-000123``), nor a number run together with other digits.

Not caught: names, postal addresses, dates of birth, national identity numbers, card
numbers without their Luhn check digit, keys without a known shape. Digits that happen to
form a valid phone number (a 10-digit order number with a real area code) are redacted.

A value that is JSON text (the semantic conventions' message lists) is read as JSON and
its strings redacted one by one, so the JSON stays valid; any other string is redacted as
it is. Only message content is read: a call's other attributes are never changed here
(credential attributes are masked by ``collectors/genai/normalize.py``).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any, Final

import orjson
import phonenumbers
from stdnum import iban as stdnum_iban
from stdnum import luhn

from collectors.genai.attributes import CONTENT_KEY_PATTERN

KINDS: Final = ("secret", "email", "iban", "card", "ip", "phone")
PHONE_REGION: Final = "US"  # national numbers are read by this plan; international ones all


def placeholder(kind: str) -> str:
    return f"[redacted:{kind}]"


_CONNECTION_SECRET: Final = re.compile(
    r"(?i)\b(AccountKey|SharedAccessKey|SharedAccessSignature|Password|Pwd|InstrumentationKey)"
    r"(\s*=\s*)([^;\s\"'<>]+)"
)
_BEARER: Final = re.compile(r"(?i)\b(Bearer\s+)[A-Za-z0-9\-._~+/]{16,}=*")
_API_KEY: Final = re.compile(
    r"\b(?:sk-(?:proj-|svcacct-|ant-)?[A-Za-z0-9_\-]{20,}|gh[pousr]_[A-Za-z0-9]{36,}|"
    r"github_pat_[A-Za-z0-9_]{40,}|xox[abprs]-[A-Za-z0-9\-]{10,}|AKIA[0-9A-Z]{16})\b"
)
_HEX_KEY: Final = re.compile(r"\b[0-9a-fA-F]{32}\b")
_API_KEY_STARTS: Final = (
    "sk-", "ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_", "xox", "AKIA",
)  # fmt: skip
_EMAIL: Final = re.compile(
    r"\b[A-Za-z0-9][A-Za-z0-9._%+\-]*@[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,}\b"
)
_IBAN: Final = re.compile(r"\b[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b")
_CARD: Final = re.compile(r"(?<![\d.\-])[2-6]\d(?:[ \-]?\d){11,17}(?![\d\-]|\.\d)")
_IPV4: Final = re.compile(r"\d{1,3}(?:\.\d{1,3}){3}")
_VERSION_BEFORE: Final = re.compile(r"(?i)(?:\bv|\bver\.? ?|\bversion ?)$")
_IPV6: Final = re.compile(r"[0-9A-Fa-f]{0,4}:[0-9A-Fa-f:]{2,37}")
_CONTENT_KEY: Final = re.compile(CONTENT_KEY_PATTERN)
_PHONE_RUN: Final = re.compile(r"\+?\(?\d(?:[ ().\-]{0,2}\d){6,16}")
_NANP: Final = re.compile(r"(?:1[ .\-]?)?(?:\(\d{3}\) ?|\d{3}[ .\-]?)\d{3}[ .\-]?\d{4}")
_JOINED: Final = re.compile(r"[\w\-/#.]")  # a character a number would be part of a code after


def _secrets(text: str) -> str:
    secret = placeholder("secret")
    if "=" in text:
        text = _CONNECTION_SECRET.sub(lambda m: m.group(1) + m.group(2) + secret, text)
    if "earer" in text or "EARER" in text:
        text = _BEARER.sub(lambda m: m.group(1) + secret, text)
    if any(start in text for start in _API_KEY_STARTS):
        text = _API_KEY.sub(secret, text)
    return _HEX_KEY.sub(_hex_key, text)


def _hex_key(match: re.Match[str]) -> str:
    """32 hexadecimal characters are a key when they mix letters and digits."""
    found = match.group(0)
    mixed = not found.isdigit() and any(char.isdigit() for char in found)
    return placeholder("secret") if mixed else found


def _emails(text: str) -> str:
    return _EMAIL.sub(placeholder("email"), text) if "@" in text else text


def _ibans(text: str) -> str:
    def one(match: re.Match[str]) -> str:
        found = match.group(0)
        groups = found.split(" ")
        # A spaced IBAN may run into the next word: try it shorter before giving up.
        for end in range(len(groups), 0, -1):
            candidate = "".join(groups[:end])
            if len(candidate) >= 15 and stdnum_iban.is_valid(candidate):
                return placeholder("iban") + found[len(" ".join(groups[:end])) :]
        return found

    return _IBAN.sub(one, text)


def _cards(text: str) -> str:
    def one(match: re.Match[str]) -> str:
        digits = re.sub(r"[ \-]", "", match.group(0))
        if 13 <= len(digits) <= 19 and luhn.is_valid(digits):
            return placeholder("card")
        return match.group(0)

    return _CARD.sub(one, text)


def _ips(text: str) -> str:
    def one(match: re.Match[str]) -> str:
        try:
            ipaddress.ip_address(match.group(0))
        except ValueError:
            return match.group(0)
        return placeholder("ip")

    def v4(match: re.Match[str]) -> str:
        start, end = match.span()
        before, after = text[max(0, start - 9) : start], text[end : end + 2]
        if (before[-1:].isalnum() or before[-1:] in (".", "_", "-") or after[:1].isalnum()
                or after[:1] == "_" or (after[:1] == "." and after[1:2].isdigit())
                or _VERSION_BEFORE.search(before)):  # fmt: skip
            return match.group(0)
        return one(match)

    def v6(match: re.Match[str]) -> str:
        start, end = match.span()
        before, after = text[start - 1 : start] if start else "", text[end : end + 1]
        if before.isalnum() or before in (".", "_") or after.isalnum() or after == "_":
            return match.group(0)
        return one(match)

    if "." in text:
        text = _IPV4.sub(v4, text)
    return _IPV6.sub(v6, text) if ":" in text else text


def _phones(text: str) -> str:
    # Runs of digits shaped like a phone number (written internationally, 8 to 15 digits;
    # or grouped as the North American plan writes them), then libphonenumber's validity
    # rules for the run as a whole (about 50 us a run: dates, ids and amounts never get
    # that far). Never the tail of a word or code.
    def one(match: re.Match[str]) -> str:
        run, start = match.group(0), match.start()
        if start and _JOINED.match(text, start - 1):
            return run
        if run.startswith("+"):
            shaped = 8 <= sum(char.isdigit() for char in run) <= 15
        else:
            shaped = _NANP.fullmatch(run) is not None
        return placeholder("phone") if shaped and _valid_phone(run) else run

    return _PHONE_RUN.sub(one, text)


def _valid_phone(run: str) -> bool:
    try:
        number = phonenumbers.parse(run, PHONE_REGION)
    except phonenumbers.NumberParseException:
        return False
    return bool(phonenumbers.is_valid_number(number))


_STEPS: Final[tuple[Callable[[str], str], ...]] = (
    _secrets,
    _emails,
    _ibans,
    _cards,
    _ips,
    _phones,
)


def redact_text(text: str) -> str:
    """``text`` with the personal data and secrets above replaced by ``[redacted:KIND]``."""
    return _redacted_short(text) if len(text) <= _CACHED_CHARS else _redacted(text)


_CACHED_CHARS: Final = 8192


@lru_cache(maxsize=1024)  # the same system instructions come with call after call
def _redacted_short(text: str) -> str:
    return _redacted(text)


def _redacted(text: str) -> str:
    for step in _STEPS:
        text = step(text)
    return text


def redact_value(value: Any) -> Any:
    """An attribute value with every string in it redacted; JSON text stays JSON text."""
    if isinstance(value, str):
        if value[:1] in ("[", "{"):
            try:
                parsed = orjson.loads(value)
            except orjson.JSONDecodeError:
                return redact_text(value)
            redacted = redact_value(parsed)
            return value if redacted == parsed else orjson.dumps(redacted).decode()
        return redact_text(value)
    if isinstance(value, list):
        return [redact_value(item) for item in value]
    if isinstance(value, dict):
        return {key: redact_value(item) for key, item in value.items()}
    return value


def is_content_key(key: str) -> bool:
    """True for an attribute that holds message content (``CONTENT_KEY_PATTERN``)."""
    return _CONTENT_KEY.match(key) is not None


def redact_kept(kept: str) -> str:
    """A call's kept attributes (JSON text) with their message content redacted."""
    value = orjson.loads(kept)
    if not isinstance(value, dict):
        return kept
    for key, item in value.items():
        if is_content_key(key):
            value[key] = redact_value(item)
    return orjson.dumps(value).decode()
