"""SQL kept as files, loaded by name and run with DuckDB bound parameters.

Every ``.sql`` file under this package starts with a header the loader checks::

    -- name: calls_over_time
    -- returns: bucket, deployment, calls, ... (one row per bucket x deployment)
    -- params: $start TIMESTAMPTZ, $end TIMESTAMPTZ
    -- choices: group_by = deployment|tenant_id      (optional)

Declared ``$params`` must equal the ``$names`` used in the body. A varying identifier
is written ``{group_by}`` in the body and substituted only from its declared choices.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa

from lens_errors import BadInputError, LensError

QUERY_ROOT = Path(__file__).parent
_PARAM_DECL = re.compile(r"\$([a-z_][a-z0-9_]*)\s+[A-Z]+", re.IGNORECASE)
_PARAM_USE = re.compile(r"\$([a-z_][a-z0-9_]*)", re.IGNORECASE)
_CHOICE_USE = re.compile(r"\{([a-z_]+)\}")
_CHOICE_DECL = re.compile(r"([a-z_]+)\s*=\s*([a-z0-9_|]+)")
_LINE_COMMENT = re.compile(r"--[^\n]*")


class QueryFileError(LensError, ValueError):
    """A query file whose header does not match its body."""


class QueryChoiceError(BadInputError, ValueError):
    """A value for a ``{choice}`` that the query file does not declare."""


@dataclass(frozen=True)
class Query:
    name: str
    path: Path
    returns: str
    params: frozenset[str]
    choices: dict[str, tuple[str, ...]]
    body: str

    def render(self, choices: dict[str, str] | None = None) -> str:
        """The SQL text with each ``{choice}`` replaced by an allowed identifier."""
        given = choices or {}
        if set(given) != set(self.choices):
            raise QueryChoiceError(
                f"query {self.name} takes choices {sorted(self.choices)}, got {sorted(given)}"
            )
        text = self.body
        for key, value in given.items():
            if value not in self.choices[key]:
                raise QueryChoiceError(
                    f"{value!r} is not an allowed {key} for {self.name}: {self.choices[key]}"
                )
            text = text.replace("{" + key + "}", value)
        return text


def read_header(path: Path, comment: str) -> tuple[str, dict[str, str]]:
    """A query file's text and its header (``<comment> name:``, ``returns:``, ``params:``,
    ``choices:``), checked: the three first keys present, the name equal to the file's."""
    text = path.read_text(encoding="utf-8")
    pattern = re.compile(rf"^{re.escape(comment)}\s*(name|returns|params|choices):\s*(.*)$")
    header: dict[str, str] = {}
    for line in text.splitlines():
        match = pattern.match(line.strip())
        if not match:
            if line.strip().startswith(comment):
                continue
            break
        header[match.group(1)] = match.group(2).strip()
    for key in ("name", "returns", "params"):
        if key not in header:
            raise QueryFileError(f"{path}: header lacks '{comment} {key}:'")
    if header["name"] != path.stem:
        raise QueryFileError(f"{path}: header name {header['name']!r} != file name {path.stem!r}")
    return text, header


def parse_query(path: Path) -> Query:
    """Read one query file and check its header against its body."""
    text, header = read_header(path, "--")
    body_only = _LINE_COMMENT.sub("", text)
    declared = frozenset(_PARAM_DECL.findall(header["params"]))
    used = frozenset(_PARAM_USE.findall(body_only))
    if declared != used:
        raise QueryFileError(
            f"{path}: declared params {sorted(declared)} != used params {sorted(used)}"
        )
    choices = {
        key: tuple(values.split("|"))
        for key, values in _CHOICE_DECL.findall(header.get("choices", ""))
    }
    if set(_CHOICE_USE.findall(body_only)) != set(choices):
        raise QueryFileError(f"{path}: {{choice}} placeholders do not match '-- choices:'")
    return Query(
        name=header["name"],
        path=path,
        returns=header["returns"],
        params=declared,
        choices=choices,
        body=text,
    )


@cache
def _index() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for path in sorted(QUERY_ROOT.rglob("*.sql")):
        if path.stem in found:
            raise QueryFileError(f"two query files named {path.stem}: {found[path.stem]}, {path}")
        found[path.stem] = path
    return found


@cache
def load(name: str) -> Query:
    """The query file called ``name`` (its stem), parsed and checked."""
    try:
        path = _index()[name]
    except KeyError:
        raise QueryFileError(f"no query file named {name!r} under {QUERY_ROOT}") from None
    return parse_query(path)


def all_queries() -> list[Query]:
    """Every query file, parsed (used at start-up and by the tests)."""
    return [load(name) for name in sorted(_index())]


def migrations() -> list[Query]:
    """Schema migrations in the order they apply."""
    return [parse_query(path) for path in sorted((QUERY_ROOT / "schema").glob("*.sql"))]


def views() -> list[Query]:
    """View definitions in file-name order (numbered: each after the views it reads),
    re-created on every start so they follow the files."""
    return [parse_query(path) for path in sorted((QUERY_ROOT / "views").glob("*.sql"))]


def _relation(
    cur: duckdb.DuckDBPyConnection,
    name: str,
    choices: dict[str, str] | None,
    params: dict[str, Any],
) -> duckdb.DuckDBPyRelation | None:
    query = _checked(name, params)
    return cur.sql(query.render(choices), params=params)


def run(
    cur: duckdb.DuckDBPyConnection,
    name: str,
    choices: dict[str, str] | None = None,
    **params: Any,
) -> pd.DataFrame:
    """Run query ``name`` with bound ``params`` and return its rows as a DataFrame."""
    relation = _relation(cur, name, choices, params)
    if relation is None:  # a statement with no result rows
        return pd.DataFrame()
    frame: pd.DataFrame = relation.to_arrow_table().to_pandas()
    return frame


def _checked(name: str, params: dict[str, Any]) -> Query:
    """Query ``name``, once the given ``params`` are those its header declares."""
    query = load(name)
    if set(params) != query.params:
        raise QueryFileError(
            f"query {name} takes params {sorted(query.params)}, got {sorted(params)}"
        )
    return query


def execute(cur: duckdb.DuckDBPyConnection, name: str, **params: Any) -> None:
    """Run statement ``name`` (an insert, an update, ...) with bound ``params``; nothing is
    read back, so nothing is converted."""
    query = _checked(name, params)
    cur.execute(query.body, params or None)


def execute_over(
    cur: duckdb.DuckDBPyConnection, name: str, rows_in_hand: pa.Table, **params: Any
) -> None:
    """Run statement ``name`` over ``rows_in_hand``, an Arrow table the statement reads
    under that name (its header says so). DuckDB finds the table as this function's own
    variable (a replacement scan), which costs about half a millisecond less than
    registering it and dropping it again (``registered``): the write path runs several
    such statements in every commit."""
    query = _checked(name, params)
    # Here, not in a helper: DuckDB looks for rows_in_hand in the frame that executes.
    cur.execute(query.body, params or None)


def run_rows(cur: duckdb.DuckDBPyConnection, name: str, **params: Any) -> list[tuple[Any, ...]]:
    """Run query ``name`` with bound ``params`` and return its rows as tuples: a few rows
    read in Python, without the relation and the Arrow result of ``run_arrow`` (about half
    a millisecond less a query)."""
    query = _checked(name, params)
    rows: list[tuple[Any, ...]] = cur.execute(query.body, params or None).fetchall()
    return rows


def run_arrow(
    cur: duckdb.DuckDBPyConnection,
    name: str,
    choices: dict[str, str] | None = None,
    **params: Any,
) -> pa.Table:
    """Run query ``name`` with bound ``params`` and return its rows as an Arrow table, to be
    read again by other queries (``run_over``)."""
    relation = _relation(cur, name, choices, params)
    if relation is None:
        raise QueryFileError(f"query {name} returns no rows to keep")
    return relation.to_arrow_table()


def run_detached(
    name: str,
    relations: dict[str, pa.Table],
    *,
    setup: tuple[str, ...] = (),
    **params: Any,
) -> pa.Table:
    """Run query ``name`` on a private in-memory database that holds only ``relations`` and
    what the ``setup`` files define (macros): SQL as a column engine over tables in hand,
    with no ledger to read or write and nothing shared between threads."""
    with duckdb.connect() as con:
        # No progress bar: a long normalisation must not draw on the server's or CLI's output.
        con.execute("SET enable_progress_bar = false")
        for file in setup:
            con.execute(load(file).body)
        for relation, table in relations.items():
            con.register(relation, table)
        return run_arrow(con, name, **params)


@contextmanager
def registered(cur: duckdb.DuckDBPyConnection, name: str, table: pa.Table) -> Iterator[None]:
    """``table`` visible to SQL on ``cur`` as ``name`` for the block."""
    cur.register(name, table)
    try:
        yield
    finally:
        cur.unregister(name)


def run_over(
    cur: duckdb.DuckDBPyConnection,
    name: str,
    relation: tuple[str, pa.Table],
    choices: dict[str, str] | None = None,
    **params: Any,
) -> pd.DataFrame:
    """Run query ``name`` over an Arrow table it reads under the given name (its header
    says so), e.g. the usage of a scope read once and summed several ways."""
    with registered(cur, *relation):
        return run(cur, name, choices, **params)
