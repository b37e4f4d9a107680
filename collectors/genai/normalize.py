"""GenAI span columns -> calls and verdicts: one normaliser for every source.

OTLP spans (``collectors/otlp/flatten.py``) and Application Insights dependency rows
(``queries/normalize/app_insights_spans.sql``) arrive as the same columns, ``SPAN_SCHEMA``.
``GenAINormalizer.normalize`` reads them with the rules of ``queries/normalize/``:

1. ``genai_spans.sql`` reads every row: which spans are model calls, what each attribute
   says, the verdict texts, what a child HTTP span tells of its parent, what is impossible;
2. each distinct verdict text is parsed once (``content_filter.text_verdicts``);
3. ``genai_calls.sql`` joins them into the calls (``CALL_SCHEMA``), each with its strongest
   verdicts as a list, which become rows of ``FILTER_SCHEMA``.

Everything runs as columns on a private in-memory database (``queries.DetachedDatabase``),
a few statements per batch of thousands of spans; no Python runs per span.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any, Final

import pyarrow as pa
import pyarrow.compute as pc

import queries
from collectors import content_filter
from collectors.credentials import CREDENTIAL_KEY_PATTERN, SECRET_QUERY_PATTERN
from collectors.genai import attributes as attr
from collectors.rows import CALL_SCHEMA, FILTER_SCHEMA

MAX_TOKENS_PER_CALL: Final = 100_000_000

# Kinds of span row (genai_spans.sql), other than calls.
NOT_GENAI: Final = "not_genai"
OTHER_OPERATION: Final = "other_operation"
NO_START: Final = "no_start"
IMPLAUSIBLE_START: Final = "implausible"

_SEVERITY_RANK: Final = {"safe": 1, "low": 2, "medium": 3, "high": 4}
# What a child HTTP span says of its model call (collectors/writes.py store_hints).
HINT_SCHEMA: Final = pa.schema(
    [
        ("call_id", pa.string()),
        ("start_time", pa.timestamp("us", tz="UTC")),
        ("deployment", pa.string()),
        ("api_version", pa.string()),
        ("endpoint", pa.string()),
        ("http_status", pa.int32()),
    ]
)
_PARSED_SCHEMA: Final = pa.schema(
    [
        ("kind", pa.string()),
        ("text", pa.string()),
        ("position", pa.int32()),
        ("strength", pa.int32()),  # filtered, then severity, then detected: the larger wins
        ("target", pa.string()),
        ("idx", pa.int32()),
        ("category", pa.string()),
        ("severity", pa.string()),
        ("filtered", pa.bool_()),
        ("detected", pa.bool_()),
    ]
)
_TEXTS_SCHEMA: Final = pa.schema(
    [
        ("kind", pa.string()),
        ("text", pa.string()),
        ("blocks", pa.bool_()),
        ("index_error", pa.string()),
    ]
)
_READ_AS_TEXT: Final = json.dumps(
    {name: "VARCHAR" for name in sorted(attr.MAPPED | set(attr.READ_NOT_MAPPED))}
)
# The JSON merge patch that removes the attributes a column holds (for sources that do not
# split them apart themselves, as OTLP's flatten does).
DROP_MAPPED: Final = json.dumps(dict.fromkeys(sorted(attr.MAPPED)))
_SPAN_PARAMS: Final[dict[str, Any]] = {
    "read_as_text": _READ_AS_TEXT,
    "credential_keys": CREDENTIAL_KEY_PATTERN,
    "secret_query": SECRET_QUERY_PATTERN,
    "operation_names": list(attr.OPERATIONS),
    "operations": list(attr.OPERATIONS.values()),
    "max_tokens": MAX_TOKENS_PER_CALL,
}
_CALL_PARAMS: Final[dict[str, Any]] = {
    "operation_names": sorted(set(attr.OPERATIONS) | set(attr.OPERATIONS.values())),
    "error_names": list(attr.STATUS_OF_ERROR),
    "error_statuses": list(attr.STATUS_OF_ERROR.values()),
}


@dataclass
class Rejected:
    """Spans of one request that are not stored as calls, by reason."""

    counts: Counter[str] = field(default_factory=Counter)
    other_operations: set[str] = field(default_factory=set)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True)
class GenAIBatch:
    """What the normaliser makes of a batch of span rows, by request."""

    calls: pa.Table  # CALL_SCHEMA, and request_no
    verdicts: pa.Table  # FILTER_SCHEMA, and request_no
    problems: dict[int, str]  # request_no -> why one of its spans is impossible
    rejected: dict[int, Rejected]  # request_no -> spans that are not calls
    hints: pa.Table  # HINT_SCHEMA: what child HTTP spans say of calls not in the batch

    def calls_of(self, request_no: int) -> pa.Table:
        return _of(self.calls, request_no).select(CALL_SCHEMA.names).cast(CALL_SCHEMA)

    def verdicts_of(self, request_no: int) -> pa.Table:
        return _of(self.verdicts, request_no).select(FILTER_SCHEMA.names).cast(FILTER_SCHEMA)


class GenAINormalizer:
    """Normalises span rows on a private in-memory database per thread."""

    def __init__(self) -> None:
        self._db = queries.DetachedDatabase(("log_cell_macros", "genai_macros"))

    def normalize(self, spans: pa.Table, *, source: str) -> GenAIBatch:
        """Calls and verdicts of ``spans`` (``SPAN_SCHEMA`` rows, ``request_no`` telling
        the requests of a group apart); nothing here raises for bad input: an impossible
        call is named in ``problems``."""
        rows = self._db.run("genai_spans", {"genai_spans": spans}, source=source, **_SPAN_PARAMS)
        parsed, texts = _parsed_verdicts(rows)
        relations = {"span_rows": rows, "parsed_verdicts": parsed, "verdict_texts": texts}
        calls = self._db.run("genai_calls", relations, **_CALL_PARAMS)
        verdicts = _verdicts(calls)
        return GenAIBatch(calls, verdicts, _problems(calls), _rejected(rows), _hints(rows, calls))


def _of(table: pa.Table, request_no: int) -> pa.Table:
    numbers = table["request_no"]
    if pc.all(pc.equal(numbers, request_no)).as_py() is not False:
        return table
    return table.filter(pc.equal(numbers, request_no))


def _verdicts(calls: pa.Table) -> pa.Table:
    """The verdict lists of ``calls`` as rows: one per verdict, with its call's id, start
    time and request."""
    lists = calls["verdicts"]
    parents = pc.list_parent_indices(lists)
    items = pc.list_flatten(lists)
    columns = {
        "request_no": calls["request_no"].take(parents),
        "call_id": calls["call_id"].take(parents),
        **{name: pc.struct_field(items, name) for name in
           ("target", "idx", "category", "severity", "filtered", "detected")},
        "start_time": calls["start_time"].take(parents),
    }  # fmt: skip
    return pa.table(columns)


def _parsed_verdicts(rows: pa.Table) -> tuple[pa.Table, pa.Table]:
    """Every distinct verdict text of ``rows``, parsed once: its verdicts, and what the text
    says besides (a blocked prompt, an index no column holds)."""
    texts = {pair: content_filter.text_verdicts(*pair) for pair in _distinct_texts(rows)}
    parsed = [
        {
            "kind": kind,
            "text": text,
            "position": position,
            "strength": _strength(severity, filtered, detected),
            "target": target,
            "idx": idx,
            "category": category,
            "severity": severity,
            "filtered": filtered,
            "detected": detected,
        }
        for (kind, text), result in texts.items()
        for position, (target, idx, category, severity, filtered, detected) in enumerate(
            result.verdicts
        )
    ]
    flags = [
        {"kind": kind, "text": text, "blocks": result.blocks, "index_error": result.index_error}
        for (kind, text), result in texts.items()
        if result.blocks or result.index_error is not None
    ]
    return (
        pa.Table.from_pylist(parsed, schema=_PARSED_SCHEMA),
        pa.Table.from_pylist(flags, schema=_TEXTS_SCHEMA),
    )


def _distinct_texts(rows: pa.Table) -> list[tuple[str, str]]:
    """The distinct (kind, text) pairs among the rows' verdict texts."""
    items = pc.list_flatten(rows["verdict_texts"])
    if not len(items):
        return []
    pairs = pa.table(
        {"kind": pc.struct_field(items, "kind"), "text": pc.struct_field(items, "text")}
    )
    distinct = pairs.group_by(["kind", "text"]).aggregate([])
    return list(zip(distinct["kind"].to_pylist(), distinct["text"].to_pylist(), strict=True))


def _strength(severity: str | None, filtered: bool, detected: bool | None) -> int:
    return (filtered << 4) | (_SEVERITY_RANK.get(severity or "", 0) << 1) | (detected is True)


def _problems(calls: pa.Table) -> dict[int, str]:
    """The first impossible call of each request, named by its place in the request."""
    with_problem = calls.filter(pc.is_valid(calls["problem"]))
    problems: dict[int, str] = {}
    if not with_problem.num_rows:
        return problems
    ordered = with_problem.sort_by([("request_no", "ascending"), ("r", "ascending"),
                                    ("s", "ascending"), ("i", "ascending")])  # fmt: skip
    for row in ordered.select(["request_no", "r", "s", "i", "problem"]).to_pylist():
        where = (
            f"resourceSpans[{row['r']}].scopeSpans[{row['s']}].spans[{row['i']}]: "
            if row["r"] is not None
            else ""
        )
        problems.setdefault(row["request_no"], where + row["problem"])
    return problems


def _rejected(rows: pa.Table) -> dict[int, Rejected]:
    """Per request, the spans that are not calls and the other operations named."""
    rejected: defaultdict[int, Rejected] = defaultdict(Rejected)
    others = rows.filter(pc.not_equal(rows["kind"], "call"))
    if not others.num_rows:
        return {}
    for row in others.select(["request_no", "kind", "other_operation"]).to_pylist():
        entry = rejected[row["request_no"]]
        entry.counts[row["kind"]] += 1
        if row["other_operation"] is not None:
            entry.other_operations.add(row["other_operation"])
    return dict(rejected)


def _hints(rows: pa.Table, calls: pa.Table) -> pa.Table:
    """The child-span hints of ``rows`` whose model call is not among ``calls``."""
    hints = rows.filter(pc.is_valid(rows["hint_call_id"]))
    if hints.num_rows:
        hints = hints.filter(pc.invert(pc.is_in(hints["hint_call_id"], calls["call_id"])))
    columns = ["hint_call_id", "hint_start_time", "hint_deployment", "hint_api_version",
               "hint_endpoint", "hint_http_status"]  # fmt: skip
    return hints.select(columns).rename_columns(HINT_SCHEMA.names).cast(HINT_SCHEMA)
