"""Every query file has a valid header, and no code builds SQL from strings."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import queries
from queries import QueryChoiceError, QueryFileError, parse_query

ROOT = Path(__file__).resolve().parents[2]


def test_every_query_file_header_matches_its_body() -> None:
    loaded = queries.all_queries()
    assert {q.name for q in loaded} >= {"001_calls", "usage_over_time", "insert_calls"}
    for query in loaded:
        assert query.returns, query.name


def test_migrations_apply_in_file_order() -> None:
    names = [m.name for m in queries.migrations()]
    assert names == sorted(names)
    assert names[0] == "000_schema_migrations"


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / f"{name}.sql"
    path.write_text(text)
    return path


def test_undeclared_parameter_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "q", "-- name: q\n-- returns: x\n-- params: $a INT\nSELECT $a, $b;\n")
    with pytest.raises(QueryFileError, match="declared params"):
        parse_query(path)


def test_header_name_must_equal_file_name(tmp_path: Path) -> None:
    path = write(tmp_path, "q", "-- name: other\n-- returns: x\n-- params:\nSELECT 1;\n")
    with pytest.raises(QueryFileError, match="file name"):
        parse_query(path)


def test_choice_substitutes_only_declared_identifiers(tmp_path: Path) -> None:
    text = (
        "-- name: q\n-- returns: x\n-- params:\n-- choices: group_by = deployment|tenant_id\n"
        "SELECT {group_by} FROM calls;\n"
    )
    query = parse_query(write(tmp_path, "q", text))
    assert query.render({"group_by": "tenant_id"}).endswith("SELECT tenant_id FROM calls;\n")
    with pytest.raises(QueryChoiceError):
        query.render({"group_by": "1; DROP TABLE calls"})


_FORMATTED_SQL = re.compile(
    r"""(f["'].*\b(SELECT|INSERT|UPDATE|DELETE|CREATE)\b)|(\b(SELECT|INSERT|UPDATE|DELETE)\b.*["']\s*(%|\.format\())""",
    re.IGNORECASE,
)


def test_no_sql_is_built_by_string_formatting() -> None:
    offenders = []
    for folder in ("app", "collectors", "queries"):
        for path in (ROOT / folder).rglob("*.py"):
            for number, line in enumerate(path.read_text().splitlines(), start=1):
                if _FORMATTED_SQL.search(line):
                    offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert offenders == []


def test_pages_contain_no_sql() -> None:
    sql = re.compile(r"\b(SELECT|INSERT INTO|GROUP BY)\b")
    for path in (ROOT / "app" / "dashboard" / "app_pages").glob("*.py"):
        assert not sql.search(path.read_text()), path
