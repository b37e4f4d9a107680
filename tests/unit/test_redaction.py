"""Redaction of message content: each kind caught, look-alikes left alone, JSON kept valid,
and every source's content redacted by the one normaliser before it is written."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import duckdb
import pytest

from collectors.genai.attributes import CONTENT_KEY_PATTERN
from collectors.loganalytics.decode import table_columns
from collectors.loganalytics.normalize import normalize_calls
from collectors.otlp.flatten import flatten_request
from collectors.redaction import is_content_key, redact_kept, redact_text, redact_value
from collectors.rows import call_rows
from lens_harness.log_analytics import result_table
from lens_harness.log_analytics_rows import app_insights_row
from tests.fixtures.otlp_spans import make_request, make_span
from tests.normalizing import normalize_request

CAUGHT = [
    # e-mail
    ("write to bob.smith+aoai@example.co.uk today", "write to [redacted:email] today"),
    ("<ana@contoso.com>", "<[redacted:email]>"),
    # phone: international anywhere, national in the North American plan
    ("call +44 20 7946 0958 now", "call [redacted:phone] now"),
    ("ring (425) 555-0100.", "ring [redacted:phone]."),
    ("tel: +49 30 901820", "tel: [redacted:phone]"),
    # payment card, Luhn-checked
    ("card 4111 1111 1111 1111 exp", "card [redacted:card] exp"),
    ("5500-0000-0000-0004", "[redacted:card]"),
    ("amex 378282246310005", "amex [redacted:card]"),
    # IBAN, mod-97 checked, spaced or not
    ("IBAN GB82 WEST 1234 5698 7654 32 please", "IBAN [redacted:iban] please"),
    ("to DE89370400440532013000.", "to [redacted:iban]."),
    ("FR14 2004 1010 0505 0001 3M02 606 OK", "[redacted:iban] OK"),
    # IP addresses
    ("from 10.0.0.12, then 203.0.113.7.", "from [redacted:ip], then [redacted:ip]."),
    ("host 2001:db8::8a2e:370:7334 up", "host [redacted:ip] up"),
    ("fe80::1 and ::1, http://[2001:db8::1]:8080/", "[redacted:ip] and [redacted:ip], "
     "http://[[redacted:ip]]:8080/"),
    # secrets
    ("key sk-proj-abcdefghijklmnopqrstuvwxyz0123", "key [redacted:secret]"),
    ("api-key: 0123456789abcdef0123456789ABCDEF", "api-key: [redacted:secret]"),
    ("Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2ln",
     "Authorization: Bearer [redacted:secret]"),
    ("DefaultEndpointsProtocol=https;AccountName=st;AccountKey=a1b2+c3/d4==;"
     "EndpointSuffix=core.windows.net",
     "DefaultEndpointsProtocol=https;AccountName=st;AccountKey=[redacted:secret];"
     "EndpointSuffix=core.windows.net"),
    ("Server=tcp:db;User ID=app;Password=hunter2;", "Server=tcp:db;User ID=app;"
     "Password=[redacted:secret];"),
    ("InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=https://x",
     "InstrumentationKey=[redacted:secret];IngestionEndpoint=https://x"),
]  # fmt: skip

LEFT_ALONE = [
    "order 1234567890123456 shipped",  # 16 digits, not a card prefix
    "ref 4111111111111112",  # a card's shape failing Luhn
    "invoice INV-2024-000123, PO 98765",
    "on 2024-08-06 at 12:30:00, or 06/08/2024",
    "at 2024-08-06T12:30:00.123Z (epoch 1722945600, ms 1722945600123)",
    "model gpt-4o-2024-08-06 and o4-mini-2025-04-16",
    "api-version 2024-10-21, version 1.2.3.4, v1.2.3.4, release 10.0.19045",
    "id 123e4567-e89b-12d3-a456-426614174000",
    "price 12.50 EUR, pi 3.14159, 1,234,567 tokens",
    "the bearer of good news; the sk-learn package",
    "GB82 is a code, DE89 too",
    "MAC 00:1a:2b:3c:4d:5e, at 10:30:00, ratio 3:2",
    "commit 2fd4e1c67a2d28fced849ee1bb76e7391b93eb12",  # 40 hex: not a 32-hex key
    "number 12345678901234567890123456789012",  # 32 digits, no letter
    "Next step: check the logs.",
]


@pytest.mark.parametrize(("text", "expected"), CAUGHT)
def test_each_kind_is_replaced_by_its_placeholder(text: str, expected: str) -> None:
    assert redact_text(text) == expected


@pytest.mark.parametrize("text", LEFT_ALONE)
def test_look_alikes_are_left_alone(text: str) -> None:
    assert redact_text(text) == text


def test_json_text_stays_valid_json_with_its_strings_redacted() -> None:
    text = "I am\nann@x.org, 4111111111111111"
    messages = [{"role": "user", "parts": [{"type": "text", "content": text}]}]
    text = json.dumps(messages)
    out = json.loads(redact_value(text))
    assert out[0]["parts"][0]["content"] == "I am\n[redacted:email], [redacted:card]"
    assert out[0]["role"] == "user"
    clean = json.dumps([{"role": "user", "content": "hello"}])
    assert redact_value(clean) is clean  # nothing found: the text as it came


def test_only_content_attributes_are_redacted() -> None:
    kept = json.dumps({
        "gen_ai.input.messages": '[{"role":"user","content":"mail me: a@b.io"}]',
        "gen_ai.prompt.0.content": "call +1 425 555 0100",
        "gen_ai.prompt.0.role": "user",
        "enduser.email": "a@b.io",  # not content: left as the producer sent it
        "resource": {"host.ip": "10.0.0.1"},
    })  # fmt: skip
    out = json.loads(redact_kept(kept))
    assert out["gen_ai.input.messages"] == '[{"role":"user","content":"mail me: [redacted:email]"}]'
    assert out["gen_ai.prompt.0.content"] == "call [redacted:phone]"
    assert out["gen_ai.prompt.0.role"] == "user"
    assert out["enduser.email"] == "a@b.io"
    assert out["resource"] == {"host.ip": "10.0.0.1"}


CONTENT_KEYS = [
    "gen_ai.input.messages",
    "gen_ai.output.messages",
    "gen_ai.system_instructions",
    "gen_ai.prompt",
    "gen_ai.completion",
    "gen_ai.tool.call.arguments",
    "gen_ai.prompt.0.content",
    "gen_ai.completion.2.content",
    "gen_ai.completion.0.tool_calls.0.arguments",
    "llm.input_messages.0.message.content",
    "input.value",
]
NOT_CONTENT_KEYS = [
    "gen_ai.prompt.0.role",
    "gen_ai.completion.0.finish_reason",
    "gen_ai.completion.0.content_filter_results",
    "gen_ai.prompt.prompt_filter_results",
    "gen_ai.request.model",
    "enduser.id",
]


def test_content_keys_are_read_alike_by_python_and_duckdb() -> None:
    con = duckdb.connect()
    for key in [*CONTENT_KEYS, *NOT_CONTENT_KEYS]:
        (in_sql,) = con.execute(
            "SELECT regexp_matches($k, $p)", {"k": key, "p": CONTENT_KEY_PATTERN}
        ).fetchone()  # type: ignore[misc]
        assert in_sql == is_content_key(key) == (key in CONTENT_KEYS), key


PROMPT = "My card is 4111 1111 1111 1111 and my mail ann@contoso.com"
REDACTED = "My card is [redacted:card] and my mail [redacted:email]"


def otlp_call(attributes: dict[str, Any], *, redact: bool = True) -> dict[str, Any]:
    request = make_request(make_span({"gen_ai.operation.name": "chat", **attributes}))
    if redact:
        (call,) = normalize_request(request).calls
        return call.attributes
    from collectors.genai.normalize import normalize_spans

    batch = normalize_spans(flatten_request(request).spans, source="otlp", redact=False)
    (call,) = call_rows(batch.calls_of(0))
    return call.attributes


def test_otlp_content_of_every_convention_is_redacted_by_the_normaliser() -> None:
    messages = json.dumps([{"role": "user", "parts": [{"type": "text", "content": PROMPT}]}])
    kept = otlp_call({
        "gen_ai.input.messages": messages,
        "gen_ai.system_instructions": json.dumps([{"type": "text", "content": PROMPT}]),
        "gen_ai.prompt.0.content": PROMPT,
        "gen_ai.completion.0.content": "Noted: ann@contoso.com",
        "gen_ai.completion.0.finish_reason": "stop",
        "db.password": "hunter2",  # a credential: masked as before
    })  # fmt: skip
    assert json.loads(kept["gen_ai.input.messages"])[0]["parts"][0]["content"] == REDACTED
    assert json.loads(kept["gen_ai.system_instructions"])[0]["content"] == REDACTED
    assert kept["gen_ai.prompt.0.content"] == REDACTED
    assert kept["gen_ai.completion.0.content"] == "Noted: [redacted:email]"
    assert kept["gen_ai.completion.0.finish_reason"] == "stop"
    assert kept["db.password"] == "[redacted]"


def test_redaction_can_be_turned_off() -> None:
    kept = otlp_call({"gen_ai.prompt.0.content": PROMPT}, redact=False)
    assert kept["gen_ai.prompt.0.content"] == PROMPT


def test_a_span_without_content_is_not_flagged() -> None:
    request = make_request(make_span({"gen_ai.operation.name": "chat", "note": "a@b.io"}))
    assert flatten_request(request).spans["content"].to_pylist() == [False]


def test_app_insights_content_is_redacted_as_on_otlp() -> None:
    at = datetime(2025, 9, 1, 10, 0, 2, tzinfo=UTC)
    row = app_insights_row(at, "a" * 32, "b" * 16)
    row["Properties"]["gen_ai.prompt.0.content"] = PROMPT
    row["Properties"]["gen_ai.prompt.0.role"] = "user"
    table = table_columns([result_table("AppDependencies", [row])])
    for redact, expected in ((True, REDACTED), (False, PROMPT)):
        (call,) = call_rows(normalize_calls("app_insights", table, "s", redact=redact).calls)
        assert call.attributes["gen_ai.prompt.0.content"] == expected
        assert call.attributes["gen_ai.prompt.0.role"] == "user"
