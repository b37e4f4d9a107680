"""KQL values become typed, escaped literals only through render_let_prelude; .kql files
carry checked headers and no placeholders."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from queries.kql import (
    KqlFileError,
    KqlValueError,
    all_kql,
    kql_literal,
    load_kql,
    parse_kql,
    render_let_prelude,
)


@pytest.mark.parametrize(
    ("value", "literal"),
    [
        ("gpt-4o", '"gpt-4o"'),
        ('a"b\\c', '"a\\"b\\\\c"'),
        ("line\nbreak\ttab", '"line\\nbreak\\ttab"'),
        ('x"; AzureDiagnostics | take 1 //', '"x\\"; AzureDiagnostics | take 1 //"'),
        ("\x00", '"\\u0000"'),
        (True, "true"),
        (False, "false"),
        (500000, "long(500000)"),
        (-3, "long(-3)"),
        (0.5, "real(0.5)"),
        (None, "dynamic(null)"),
        (datetime(2025, 9, 1, 10, 0, tzinfo=UTC), "datetime(2025-09-01T10:00:00.000000Z)"),
        (
            datetime(2025, 9, 1, 12, 0, 0, 5, tzinfo=timezone(timedelta(hours=2))),
            "datetime(2025-09-01T10:00:00.000005Z)",
        ),
        (timedelta(hours=1), "totimespan(36000000000tick)"),
        (timedelta(microseconds=1), "totimespan(10tick)"),
        (["ProcessedPromptTokens", 'a"b'], 'dynamic(["ProcessedPromptTokens", "a\\"b"])'),
        ([1, 2.5], "dynamic([1, 2.5])"),
    ],
)
def test_each_value_gets_its_typed_literal(value: object, literal: str) -> None:
    assert kql_literal(value) == literal  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "refused_because"),
    [
        (datetime(2025, 9, 1), "naive"),
        (float("nan"), "no KQL literal"),
        ({"a": 1}, "no KQL literal"),
        ([True], "strings and numbers"),
        ([["nested"]], "strings and numbers"),
        (b"bytes", "no KQL literal"),
    ],
)
def test_values_without_a_safe_literal_are_refused(value: object, refused_because: str) -> None:
    with pytest.raises(KqlValueError, match=refused_because):
        kql_literal(value)  # type: ignore[arg-type]


def test_prelude_binds_each_name_in_order() -> None:
    assert render_let_prelude({"row_limit": 10, "category": "RequestResponse"}) == (
        'let category = "RequestResponse";\nlet row_limit = long(10);\n'
    )


@pytest.mark.parametrize("name", ["1st", "a b", "x;drop", "", "let-x"])
def test_prelude_refuses_names_that_are_not_identifiers(name: str) -> None:
    with pytest.raises(KqlValueError, match="identifier"):
        render_let_prelude({name: 1})


def test_every_kql_file_has_a_header_and_reads_its_params() -> None:
    loaded = {q.name: q for q in all_kql()}
    assert {"app_insights", "apim", "azure_diagnostics", "azure_metrics"} <= set(loaded)
    for query in loaded.values():
        assert query.returns and "row_limit" in query.params
        assert "{" not in query.body and "}" not in query.body


def test_a_query_takes_exactly_its_declared_params() -> None:
    query = load_kql("azure_diagnostics")
    text = query.with_prelude(
        {
            "row_limit": 5,
            "resource_provider": "MICROSOFT.COGNITIVESERVICES",
            "category": "x",
            "usage_category": "y",
        }
    )
    assert text.startswith('let category = "x";\n')
    with pytest.raises(KqlValueError, match="takes"):
        query.with_prelude({"row_limit": 5})


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / f"{name}.kql"
    path.write_text(text)
    return path


def test_a_file_with_a_placeholder_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "q", "// name: q\n// returns: x\n// params:\nT | where a == {a}\n")
    with pytest.raises(KqlFileError, match="braces"):
        parse_kql(path)


def test_a_declared_param_the_body_never_reads_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "q", "// name: q\n// returns: x\n// params: limit long\nT | take 1\n")
    with pytest.raises(KqlFileError, match="never reads"):
        parse_kql(path)


def test_header_name_must_equal_the_file_name(tmp_path: Path) -> None:
    path = write(tmp_path, "q", "// name: other\n// returns: x\n// params:\nT\n")
    with pytest.raises(KqlFileError, match="file name"):
        parse_kql(path)
