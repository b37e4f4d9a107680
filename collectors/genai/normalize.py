"""GenAI span columns -> calls and verdicts: one normaliser for every source.

OTLP spans (``collectors/otlp/flatten.py``) and Application Insights dependency rows
(``queries/normalize/app_insights_spans.sql``) arrive as the same columns, ``SPAN_SCHEMA``.
``normalize_spans`` reads them with the rules of ``collectors/genai/rules.py`` (Arrow
compute over whole columns), then:

- parses each distinct verdict text once (``content_filter.text_verdicts``) and joins the
  verdicts back to their calls, the strongest per target, index and category;
- decides what follows from the verdicts: blocked prompts, status, HTTP status, the
  filter action;
- does in Python only what few rows need: OpenLLMetry's per-choice attributes, the
  message of an impossible call, masking the credentials a source flagged, and
  redacting personal data in the message content of the calls that carry some
  (``collectors/redaction.py``; a span without content pays nothing for it).

No Python runs per span in the common case, and nothing is planned per batch.
"""

from __future__ import annotations

import itertools
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import orjson
import pyarrow as pa
import pyarrow.compute as pc

from collectors import content_filter, redaction
from collectors.credentials import CREDENTIAL_KEY_PATTERN, REDACTED, SECRET_QUERY_PATTERN
from collectors.genai import attributes as attr
from collectors.genai import rules
from collectors.genai.rules import (
    BEFORE_RETENTION,
    CALL,
    IMPLAUSIBLE_START,
    MAX_TOKENS_PER_CALL,
    NO_START,
    NOT_GENAI,
    OTHER_OPERATION,
)
from collectors.limits import MAX_INDEX
from collectors.rows import FILTER_SCHEMA, conform_calls

__all__ = [
    "BEFORE_RETENTION",
    "CALL",
    "IMPLAUSIBLE_START",
    "MAX_TOKENS_PER_CALL",
    "NOT_GENAI",
    "NO_START",
    "OTHER_OPERATION",
    "GenAIBatch",
    "Rejected",
    "normalize_spans",
]

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
# Each verdict text's kind, and its order: a merge prefers the first on a tie.
_SOURCES: Final = (
    (attr.AZURE_PROMPT_FILTER, content_filter.PROMPT_TEXT, 2),
    (attr.TRACELOOP_PROMPT_FILTER, content_filter.PROMPT_TEXT, 3),
    (attr.AZURE_COMPLETION_FILTER, content_filter.COMPLETION_TEXT, 4),
    (attr.AZURE_FILTER_ERROR, content_filter.ERROR_TEXT, 6),
    (attr.TRACELOOP_PROMPT_ERROR, content_filter.ERROR_TEXT, 7),
)
_STATUS_ORD: Final = 1
_CHOICE_ORD: Final = 5
_OUTPUT_ORD: Final = 8
_SEVERITY_RANK: Final = {"safe": 1, "low": 2, "medium": 3, "high": 4}
_CHOICE_KEY: Final = re.compile(
    r"^gen_ai\.completion\.([0-9]+)\.(finish_reason|content_filter_results)$"
)
_CREDENTIAL_KEY: Final = re.compile(CREDENTIAL_KEY_PATTERN)
_SECRET_QUERY: Final = re.compile(SECRET_QUERY_PATTERN)
_URL_KEYS: Final = frozenset({"url.full", "http.url", "url.query", "gen_ai.openai.api_base"})
_NOTHING: Final = (None, "", "None", "null", "{}", "[]")
_SOURCE_SCHEMA: Final = pa.schema(
    [("row", pa.int64()), ("ord", pa.int32()), ("choice", pa.int32()), ("text_id", pa.int32())]
)


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

    calls: pa.Table  # CALL_SCHEMA: every request's calls, request after request
    verdicts: pa.Table  # FILTER_SCHEMA: their verdicts, request after request
    problems: dict[int, str]  # request_no -> why one of its spans is impossible
    rejected: dict[int, Rejected]  # request_no -> spans that are not calls
    hints: pa.Table  # HINT_SCHEMA: what child HTTP spans say of calls not in the batch
    call_rows: dict[int, tuple[int, int]] = field(default_factory=dict)  # request_no ->
    verdict_rows: dict[int, tuple[int, int]] = field(default_factory=dict)  # (first, count)

    def calls_of(self, request_no: int) -> pa.Table:
        first, count = self.call_rows.get(request_no, (0, 0))
        return self.calls.slice(first, count)

    def verdicts_of(self, request_no: int) -> pa.Table:
        first, count = self.verdict_rows.get(request_no, (0, 0))
        return self.verdicts.slice(first, count)


def normalize_spans(spans: pa.Table, *, source: str, redact: bool = True) -> GenAIBatch:
    """Calls and verdicts of ``spans`` (``SPAN_SCHEMA`` rows, ``request_no`` telling the
    requests of a group apart, never null); nothing here raises for bad input: an impossible
    call is named in ``problems``. With ``redact``, personal data in message content is
    replaced (``collectors/redaction.py``) before anything is written."""
    reading = rules.read_spans(spans)
    calls = reading.calls
    few = _per_row(calls)
    if redact:
        _redact_content(calls, few)
    sources = _verdict_sources(calls, few.choice_texts)
    verdicts, blocked, flags, index_problems = _verdicts(calls, sources)
    problems = {**index_problems, **few.problems}
    finished = _decided(calls, reading.hints, blocked, flags, few, source)
    by_request, call_rows = _in_request_order(finished)
    verdicts, verdict_rows = _in_request_order(verdicts)
    return GenAIBatch(
        calls=conform_calls(by_request),
        verdicts=_conform_verdicts(verdicts),
        problems=_by_request(finished, problems),
        rejected=_rejected(spans, reading),
        hints=_hints(reading.hints, finished),
        call_rows=call_rows,
        verdict_rows=verdict_rows,
    )


def _conform_verdicts(verdicts: pa.Table) -> pa.Table:
    verdicts = verdicts.select(FILTER_SCHEMA.names)
    return verdicts if verdicts.schema.equals(FILTER_SCHEMA) else verdicts.cast(FILTER_SCHEMA)


def _in_request_order(table: pa.Table) -> tuple[pa.Table, dict[int, tuple[int, int]]]:
    """``table`` request after request, and where each request's rows are in it (first
    row, count): each request's calls and verdicts are then a slice, not a filter. The
    queue concatenates a group's requests in order, so only another caller's rows may need
    a (stable) sort."""
    numbers = table["request_no"].combine_chunks()
    runs = pc.run_end_encode(numbers)
    values = runs.values.to_pylist()
    if any(later <= earlier for earlier, later in itertools.pairwise(values)):
        table = table.take(pc.sort_indices(numbers))
        runs = pc.run_end_encode(table["request_no"].combine_chunks())
        values = runs.values.to_pylist()
    ends = runs.run_ends.to_pylist()
    return table, {
        number: (first, end - first)
        for number, first, end in zip(values, [0, *ends][:-1], ends, strict=True)
    }


@dataclass
class _FewRows:
    """What only a few rows need, done in Python: row index -> value."""

    problems: dict[int, str] = field(default_factory=dict)
    finish: dict[int, str] = field(default_factory=dict)
    choice_texts: list[tuple[int, int, str]] = field(default_factory=list)  # row, idx, text
    kept: dict[int, str] = field(default_factory=dict)  # credentials masked


def _per_row(calls: pa.Table) -> _FewRows:
    few = _FewRows()
    suspicious = pc.or_(
        pc.or_(pc.is_valid(calls["choices"]), pc.fill_null(calls["mask"], False)),
        _token_trouble(calls),
    )
    for row in pc.indices_nonzero(suspicious).to_pylist():
        values = {name: calls[name][row].as_py() for name in _FEW_COLUMNS}
        problem = rules.token_problem(values)
        if values["choices"] is not None:
            problem = problem or _read_choices(row, values, few)
        if problem is not None:
            few.problems[row] = problem
        if values["mask"]:
            few.kept[row] = masked(values["kept"])
    return few


def _redact_content(calls: pa.Table, few: _FewRows) -> None:
    """The kept attributes of the calls that carry message content, redacted (after the
    credentials are masked, when they were)."""
    rows = pc.indices_nonzero(pc.fill_null(calls["content"], False))
    if not len(rows):
        return
    for row, kept in zip(rows.to_pylist(), pc.take(calls["kept"], rows).to_pylist(),
                         strict=True):  # fmt: skip
        if kept is not None:
            few.kept[row] = redaction.redact_kept(few.kept.get(row, kept))


_FEW_COLUMNS: Final = (
    "choices", "mask", "kept", "finish_reason",
    *(f"{c}{part}" for c in attr.TOKEN_GROUPS for part in ("", ":text", ":name", ":integral")),
)  # fmt: skip


def _token_trouble(calls: pa.Table) -> pa.Array:
    trouble = pa.repeat(False, calls.num_rows)
    for column in attr.TOKEN_GROUPS:
        text, count = calls[f"{column}:text"], calls[column]
        if text.null_count == count.null_count:  # a count wherever a text (read from it)
            continue
        missing = pc.and_(pc.is_valid(text), pc.is_null(count))
        trouble = pc.or_(trouble, missing)
    for part, whole in (("cached_input_tokens", "input_tokens"),
                        ("cache_write_tokens", "input_tokens"),
                        ("reasoning_tokens", "output_tokens")):  # fmt: skip
        if calls[part].null_count == calls.num_rows:
            continue
        trouble = pc.or_(trouble, pc.fill_null(pc.greater(calls[part], calls[whole]), False))
    return trouble


def _read_choices(row: int, values: dict[str, Any], few: _FewRows) -> str | None:
    """OpenLLMetry's gen_ai.completion.{i}.*: verdict texts by choice, finish reasons in
    choice order (read only when choice 0 has one, as it always does)."""
    choices = rules.choices_of(values["choices"])
    zero = (f"{attr.COMPLETION_PREFIX}0.{attr.COMPLETION_FINISH_FIELD}",
            f"{attr.COMPLETION_PREFIX}0.{attr.COMPLETION_FILTER_FIELD}")  # fmt: skip
    if not any(key in choices for key in zero):
        return None
    finishes: dict[int, str] = {}
    for key, value in choices.items():
        match = _CHOICE_KEY.match(key)
        if match is None:
            continue
        digits, name = match.groups()
        if len(digits) > 10 or int(digits) > MAX_INDEX:
            return f"{key[:80]} has a choice index outside 0..{MAX_INDEX}"
        if name == attr.COMPLETION_FILTER_FIELD and value is not None:
            text = value if isinstance(value, str) else orjson.dumps(value).decode()
            few.choice_texts.append((row, int(digits), text))
        elif name == attr.COMPLETION_FINISH_FIELD and isinstance(value, str) and value:
            finishes[int(digits)] = value
    if finishes and values["finish_reason"] is None:
        few.finish[row] = finishes[min(finishes)]
    return None


def masked(kept: str) -> str:
    """A call's kept attributes (JSON) with credentials masked, its resource's too."""
    value = orjson.loads(kept)
    if isinstance(value, dict):
        value = _masked(value)
        if isinstance(value.get("resource"), dict):
            value["resource"] = _masked(value["resource"])
    return orjson.dumps(value).decode()


def _masked(attributes: dict[str, Any]) -> dict[str, Any]:
    out = dict(attributes)
    for key, value in attributes.items():
        if _CREDENTIAL_KEY.search(key) and value not in _NOTHING:
            out[key] = REDACTED
        elif key in _URL_KEYS and isinstance(value, str):
            out[key] = _SECRET_QUERY.sub(lambda m: m.group(1) + REDACTED, value)
    return out


@dataclass(frozen=True)
class _Sources:
    """The verdict texts of the calls: one row per text of a call (``_SOURCE_SCHEMA``), and
    each distinct text by its ``text_id`` with its kind (``content_filter`` reads both)."""

    table: pa.Table
    texts: list[tuple[str, str]]


def _verdict_sources(calls: pa.Table, choice_texts: list[tuple[int, int, str]]) -> _Sources:
    """Each text found once per attribute by a dictionary, not copied per call."""
    parts: list[pa.Table] = []
    texts: list[tuple[str, str]] = []

    def add(values: pa.Array | pa.ChunkedArray, order: int, kind: str) -> None:
        if values.null_count == len(values):
            return
        if isinstance(values, pa.ChunkedArray):
            values = values.combine_chunks()
        rows = pc.indices_nonzero(pc.is_valid(values))
        encoded = pc.dictionary_encode(values)
        ids = pc.add(encoded.indices.drop_null(), pa.scalar(len(texts), pa.int32()))
        texts.extend((kind, text) for text in encoded.dictionary.to_pylist())
        parts.append(pa.table({
            "row": pc.cast(rows, pa.int64()),
            "ord": pa.repeat(pa.scalar(order, pa.int32()), len(rows)),
            "choice": pa.nulls(len(rows), pa.int32()),
            "text_id": ids,
        }, schema=_SOURCE_SCHEMA))  # fmt: skip

    for name, kind, order in _SOURCES:
        add(calls[f"verdicts:{name}"], order, kind)
    add(_output_verdicts(calls[f"verdicts:{attr.OUTPUT_MESSAGES}"]), _OUTPUT_ORD,
        content_filter.COMPLETION_TEXT)  # fmt: skip
    status = calls["status_message"].combine_chunks()
    blocked_text = pc.fill_null(pc.starts_with(status, "Error code: 400"), False)
    add(pc.if_else(blocked_text, status, pa.scalar(None, pa.string())), _STATUS_ORD,
        content_filter.STATUS_TEXT)  # fmt: skip
    if choice_texts:
        rows, indexes, choices = zip(*choice_texts, strict=True)
        first = len(texts)
        ids = {text: first + n for n, text in enumerate(dict.fromkeys(choices))}
        texts.extend((content_filter.CHOICE_TEXT, text) for text in ids)
        parts.append(pa.table({
            "row": pa.array(rows, pa.int64()),
            "ord": pa.repeat(pa.scalar(_CHOICE_ORD, pa.int32()), len(rows)),
            "choice": pa.array(indexes, pa.int32()),
            "text_id": pa.array([ids[text] for text in choices], pa.int32()),
        }, schema=_SOURCE_SCHEMA))  # fmt: skip
    table = pa.concat_tables(parts) if parts else _SOURCE_SCHEMA.empty_table()
    return _Sources(table, texts)


def _output_verdicts(messages: pa.Array | pa.ChunkedArray) -> pa.Array:
    """The verdicts inside output messages as completion verdict texts (null elsewhere);
    only the few messages that carry some are parsed."""
    if messages.null_count == len(messages):
        return pa.nulls(len(messages), pa.string())
    carrying = pc.fill_null(pc.match_substring(messages, "content_filter_result"), False)
    rows = pc.indices_nonzero(carrying).to_pylist()
    if not rows:
        return pa.nulls(len(messages), pa.string())
    texts: list[str | None] = [None] * len(messages)
    for row in rows:
        texts[row] = content_filter.completion_text_of_messages(messages[row].as_py())
    return pa.array(texts, pa.string())


def _strength(severity: str | None, filtered: bool, detected: bool | None) -> int:
    return (filtered << 4) | (_SEVERITY_RANK.get(severity or "", 0) << 1) | (detected is True)


def _verdicts(
    calls: pa.Table,
    found: _Sources,
) -> tuple[pa.Table, pa.Array, dict[str, pa.Array], dict[int, str]]:
    """The calls' verdicts (the strongest per target, idx and category, in the order first
    reported), which calls a text says were blocked, what the verdicts flag of each call
    (``_verdict_flags``), and the impossible indexes by row."""
    results = [content_filter.text_verdicts(kind, text) for kind, text in found.texts]
    sources = found.table
    ids = sources["text_id"]
    blocked = _rows_with(sources["row"], ids, [r.blocks for r in results], calls.num_rows)
    index_problems: dict[int, str] = {}
    troubled = [n for n, r in enumerate(results) if r.index_error is not None]
    if troubled:
        hit = sources.filter(pc.is_in(ids, value_set=pa.array(troubled, pa.int32())))
        for row, order, n in zip(hit["row"].to_pylist(), hit["ord"].to_pylist(),
                                 hit["text_id"].to_pylist(), strict=True):  # fmt: skip
            name = _ORD_NAMES.get(order, attr.AZURE_PROMPT_FILTER)
            index_problems.setdefault(row, f"{name}: {results[n].index_error}")
    # Each text's verdicts as one list, taken for every source of it: no join per call.
    lists = pa.array(
        [[{"target": v[0], "idx": v[1], "category": v[2], "severity": v[3],
           "filtered": v[4], "detected": v[5], "details": v[6],
           "intervention_point": v[7], "position": p,
           "strength": _strength(v[3], v[4], v[5])} for p, v in enumerate(r.verdicts)]
         for r in results],
        pa.list_(_VERDICT_ITEM),
    )  # fmt: skip
    # Each call's texts in the order a merge prefers them: its verdicts then come out in the
    # order first reported (row, then seen), with no sort of their own.
    by_call = pc.sort_indices(sources, [("row", "ascending"), ("ord", "ascending")])
    sources, ids = sources.take(by_call), pc.take(ids, by_call)
    taken = pc.take(lists, ids)
    items = pc.list_flatten(taken)
    if not len(items):
        none = pa.repeat(False, calls.num_rows)
        return _empty_verdicts(), blocked, dict.fromkeys(_FLAGS, none), index_problems
    parents = pc.list_parent_indices(taken)
    rows = pc.take(sources["row"], parents)
    order = pc.cast(pc.take(sources["ord"], parents), pa.int64())
    position = pc.cast(pc.struct_field(items, "position"), pa.int64())
    exploded = pa.table({
        "row": rows,
        "target": pc.struct_field(items, "target"),
        "idx": pc.coalesce(pc.take(sources["choice"], parents), pc.struct_field(items, "idx")),
        "category": pc.struct_field(items, "category"),
        "severity": pc.struct_field(items, "severity"),
        "filtered": pc.struct_field(items, "filtered"),
        "detected": pc.struct_field(items, "detected"),
        "details": pc.struct_field(items, "details"),
        "intervention_point": pc.struct_field(items, "intervention_point"),
        "seen": pc.add(pc.multiply(order, _PER_TEXT), position),
        "score": pc.subtract(
            pc.multiply(pc.cast(pc.struct_field(items, "strength"), pa.int64()), 1 << 24),
            pc.add(pc.multiply(order, _PER_TEXT), position)),
    })  # fmt: skip
    if max(len(r.verdicts) for r in results) > _PER_TEXT:  # seen no longer tells texts apart
        exploded = exploded.sort_by([("row", "ascending"), ("seen", "ascending")])
    merged = _strongest(exploded, sources, results)
    if merged is exploded:  # each verdict as its text says it: a text's flags are its calls'
        flags = {name: _rows_with(sources["row"], ids, [flag(r.verdicts) for r in results],
                                  calls.num_rows) for name, flag in _FLAGS.items()}  # fmt: skip
    else:
        flags = _verdict_flags(merged, calls.num_rows)
    rows = merged["row"]
    table = pa.table(
        {
            "request_no": pc.take(calls["request_no"], rows),
            "call_id": pc.take(calls["call_id"], rows),
            "target": merged["target"],
            "idx": merged["idx"],
            "category": merged["category"],
            "severity": merged["severity"],
            "filtered": merged["filtered"],
            "detected": merged["detected"],
            "start_time": pc.take(calls["start_time"], rows),
            "details": merged["details"],
            "intervention_point": merged["intervention_point"],
            "row": rows,
        }
    )
    return table, blocked, flags, index_problems


_VERDICT_ITEM: Final = pa.struct(
    [("target", pa.string()), ("idx", pa.int32()), ("category", pa.string()),
     ("severity", pa.string()), ("filtered", pa.bool_()), ("detected", pa.bool_()),
     ("details", pa.string()), ("intervention_point", pa.string()),
     ("position", pa.int32()), ("strength", pa.int32())]
)  # fmt: skip


def _strongest(
    exploded: pa.Table, sources: pa.Table, results: list[content_filter.TextVerdicts]
) -> pa.Table:
    """One verdict per (call, target, idx, category): the strongest, among equals the first
    reported; in the order first reported, which ``exploded`` comes in. Only a call with
    several verdict texts can hold two verdicts of one key: only those calls are merged, and
    only when two of their verdicts share a key."""
    rows = sources["row"].combine_chunks()
    if len(rows) < 2:
        return exploded
    again = pc.equal(rows.slice(1), rows.slice(0, len(rows) - 1))  # sources are by call
    if not pc.any(again).as_py():
        return exploded
    several_rows = pc.filter(rows.slice(1), again)
    if not _share_a_key(sources.filter(pc.is_in(rows, value_set=several_rows)), results):
        return exploded
    several = pc.is_in(exploded["row"], value_set=several_rows)
    merging = exploded.filter(several)
    keys = ["row", "target", "idx", "category"]
    best = merging.group_by(keys).aggregate([("score", "max"), ("seen", "min")])
    merged = merging.join(
        best.rename_columns([*keys, "score", "first_seen"]), keys=[*keys, "score"]
    )
    rest = exploded.filter(pc.invert(several))
    rest = rest.append_column("first_seen", rest["seen"])
    return pa.concat_tables([rest, merged.select(rest.column_names)]).sort_by(
        [("row", "ascending"), ("first_seen", "ascending")]
    )


def _share_a_key(sources: pa.Table, results: list[content_filter.TextVerdicts]) -> bool:
    """Whether a call's verdicts, from its several texts (``sources``, by call), hold two of
    one (target, idx, category); read from each distinct set of texts once."""
    keys: dict[tuple[int, int | None], set[tuple[str, int, str]]] = {}
    seen: dict[tuple[tuple[int, int | None], ...], bool] = {}
    calls = itertools.groupby(
        zip(sources["row"].to_pylist(), sources["text_id"].to_pylist(),
            sources["choice"].to_pylist(), strict=True),
        key=lambda source: source[0],
    )  # fmt: skip
    for _, texts in calls:
        found = tuple((text, choice) for _, text, choice in texts)
        if found not in seen:
            count, together = 0, set()
            for text, choice in found:
                if (text, choice) not in keys:
                    keys[text, choice] = {(v[0], v[1] if choice is None else choice, v[2])
                                          for v in results[text].verdicts}  # fmt: skip
                count += len(results[text].verdicts)
                together |= keys[text, choice]
            seen[found] = len(together) < count
        if seen[found]:
            return True
    return False


# A text's verdicts are numbered below this, after its order (``seen``).
_PER_TEXT: Final = 4096
_ORD_NAMES: Final = {
    **{order: name for name, _, order in _SOURCES},
    _OUTPUT_ORD: attr.OUTPUT_MESSAGES,
}


def _rows_with(rows: pa.ChunkedArray, ids: pa.Array, flags: list[bool], count: int) -> pa.Array:
    """True for each call row with a source text whose flag is set."""
    flagged = [n for n, flag in enumerate(flags) if flag]
    if not flagged:
        return pa.repeat(False, count)
    hits = pc.filter(rows, pc.is_in(ids, value_set=pa.array(flagged, pa.int32())))
    return pc.is_in(pa.array(range(count), pa.int64()), value_set=pc.unique(hits))


def _empty_verdicts() -> pa.Table:
    return pa.table(
        {"request_no": pa.array([], pa.int32()), **{f.name: pa.array([], f.type)
                                                     for f in FILTER_SCHEMA},
         "row": pa.array([], pa.int64())}
    )  # fmt: skip


def _decided(
    calls: pa.Table,
    hints: pa.Table,
    blocked_by_text: pa.Array,
    flags: dict[str, pa.Array],
    few: _FewRows,
    source: str,
) -> pa.Table:
    """The call columns that follow from children, verdicts and the few-row pass."""
    count = calls.num_rows
    told = ("deployment", "api_version", "endpoint", "http_status")
    if hints.num_rows:
        at = pc.index_in(calls["call_id"], value_set=hints["call_id"])
        child = {name: pc.take(hints[name], at) for name in told}
    else:  # no child span told anything
        child = {name: pa.nulls(count, hints.schema.field(name).type) for name in told}
    known_status = pc.coalesce(calls["explicit_status"], child["http_status"])
    blocked = pc.or_(pc.fill_null(calls["blocked_attribute"], False), blocked_by_text)
    error_type = calls["error_type"]
    failed = pc.or_(
        pc.or_(pc.is_valid(error_type), pc.fill_null(calls["status_error"], False)),
        pc.or_(blocked, pc.fill_null(pc.greater_equal(known_status, 400), False)),
    )
    error_name = rules.last_part(error_type)  # null without an error type
    request_model = calls["request_model"]
    names_deployment = pc.and_(
        pc.is_valid(request_model), pc.invert(rules.not_a_deployment(request_model))
    )
    finish = _replaced(calls["finish_reason"], few.finish)
    finish = pc.coalesce(finish, calls["finish_single"])
    columns = {
        "request_no": calls["request_no"], "r": calls["r"], "s": calls["s"], "i": calls["i"],
        "call_id": calls["call_id"],
        "source": pa.repeat(pa.scalar(source), count),
        "trace_id": calls["trace_id"], "span_id": calls["span_id"],
        "start_time": calls["start_time"], "duration_ms": calls["duration_ms"],
        "ttft_ms": calls["ttft_ms"], "operation": calls["operation"],
        "endpoint": pc.coalesce(calls["endpoint"], child["endpoint"]),
        "region": calls["region"],
        "deployment": pc.coalesce(
            calls["named_deployment"], calls["url_deployment"], child["deployment"],
            pc.if_else(names_deployment, request_model, pa.scalar(None, pa.string())),
            pa.scalar("unknown")),
        "deployment_source": pc.case_when(
            rules.conditions(
                pc.is_valid(calls["named_deployment"]),
                pc.or_(pc.is_valid(calls["url_deployment"]), pc.is_valid(child["deployment"])),
                names_deployment),
            pa.scalar("attribute"), pa.scalar("url_path"), pa.scalar("request_model"),
            pa.scalar("unknown")),
        "model": calls["model"], "request_model": request_model, "provider": calls["provider"],
        "api_version": pc.coalesce(calls["api_version"], child["api_version"]),
        "deployment_type": calls["deployment_type"], "tenant_id": calls["tenant_id"],
        "end_user": calls["end_user"], "service": calls["service"],
        "status": pc.if_else(failed, "error", "ok"),
        "http_status": _http_status(known_status, error_name, blocked, failed),
        "error_type": error_type,
        "input_tokens": calls["input_tokens"],
        "cached_input_tokens": calls["cached_input_tokens"],
        "output_tokens": calls["output_tokens"],
        "reasoning_tokens": calls["reasoning_tokens"],
        "cache_write_tokens": calls["cache_write_tokens"],
        "finish_reason": finish,
        "filter_action": pc.case_when(
            rules.conditions(
                pc.or_(blocked, flags["prompt_filtered"]),
                pc.or_(flags["completion_filtered"],
                       pc.fill_null(calls["finish_content_filter"], False)),
                flags["annotated"]),
            pa.scalar("blocked_prompt"), pa.scalar("filtered_completion"),
            pa.scalar("annotated"), pa.scalar("none")),
        "response_id": calls["response_id"],
        "attributes": _replaced(calls["kept"], few.kept),
        "apim_subscription": calls["apim_subscription"],
        "request_id": calls["request_id"],
        # A span carries no weight the rules read: one span, one call (App Insights rows
        # take ItemCount in collectors/loganalytics/normalize.py).
        "sample_weight": pa.repeat(pa.scalar(1.0), count),
        **{name: calls[name] for name in _ROUTING},
    }  # fmt: skip
    return pa.table(columns)


# Where the call went, as the rules read it (collectors/genai/rules.py _routing).
_ROUTING: Final = ("service_tier", "service_tier_requested", "backend", "failover_from",
                   "attempts", "spillover", "spillover_from")  # fmt: skip


def _verdict_flags(verdicts: pa.Table, count: int) -> dict[str, pa.Array]:
    """Per call row: a prompt verdict filtered, a completion one, a non-safe annotation
    (``_FLAGS``, read from the merged verdicts themselves)."""
    rows = verdicts["row"]
    filtered = pc.fill_null(verdicts["filtered"], False)

    def rows_where(mask: pa.Array) -> pa.Array:
        if not pc.any(mask).as_py():
            return pa.repeat(False, count)
        hits = pc.unique(pc.filter(rows, mask))
        return pc.is_in(pa.array(range(count), pa.int64()), value_set=hits)

    annotated = pc.and_(pc.invert(filtered), pc.or_(
        pc.not_equal(pc.fill_null(verdicts["severity"], "safe"), "safe"),
        pc.fill_null(verdicts["detected"], False)))  # fmt: skip
    return {
        "prompt_filtered": rows_where(pc.and_(filtered, pc.equal(verdicts["target"], "prompt"))),
        "completion_filtered": rows_where(
            pc.and_(filtered, pc.equal(verdicts["target"], "completion"))
        ),
        "annotated": rows_where(annotated),
    }


# What the verdicts of one text flag (a text's verdicts: target, idx, category, severity,
# filtered, detected, ...), as _verdict_flags reads them from verdict rows.
def _annotates(verdict: tuple[Any, ...]) -> bool:
    severity = verdict[3] if verdict[3] is not None else "safe"
    return not verdict[4] and (severity != "safe" or verdict[5] is True)


_FLAGS: Final[dict[str, Callable[[Sequence[tuple[Any, ...]]], bool]]] = {
    "prompt_filtered": lambda verdicts: any(v[4] and v[0] == "prompt" for v in verdicts),
    "completion_filtered": lambda verdicts: any(v[4] and v[0] == "completion" for v in verdicts),
    "annotated": lambda verdicts: any(_annotates(v) for v in verdicts),
}


def _http_status(
    known: pa.Array, error_name: pa.Array, blocked: pa.Array, failed: pa.Array
) -> pa.Array:
    """The span's or its child's status; else what the error type names (a 3-digit code, an
    openai exception); else 400 for a blocked prompt; else 200 for a call without error."""
    digits = pc.match_substring_regex(error_name, r"^[0-9]{3}$")
    coded = pc.cast(pc.if_else(digits, error_name, pa.scalar(None, pa.string())), pa.int32())
    names = pa.array(list(attr.STATUS_OF_ERROR))
    statuses = pa.array(list(attr.STATUS_OF_ERROR.values()), pa.int32())
    at = pc.index_in(error_name, value_set=names)
    return pc.case_when(
        rules.conditions(pc.is_valid(known), digits, pc.is_valid(at), blocked,
                          pc.invert(failed)),
        known, coded, pc.take(statuses, at), pa.scalar(400, pa.int32()),
        pa.scalar(200, pa.int32()),
    )  # fmt: skip


def _replaced(values: pa.ChunkedArray | pa.Array, by_row: dict[int, str]) -> pa.Array:
    array = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
    if not by_row:
        return array
    items = array.to_pylist()
    for row, value in by_row.items():
        items[row] = value
    return pa.array(items, array.type)


def _by_request(calls: pa.Table, problems: dict[int, str]) -> dict[int, str]:
    """The first impossible call of each request, named by its place in the request."""
    by_request: dict[int, tuple[tuple[int, int, int], str]] = {}
    for row, problem in problems.items():
        number = calls["request_no"][row].as_py()
        place = tuple(calls[name][row].as_py() for name in ("r", "s", "i"))
        where = (f"resourceSpans[{place[0]}].scopeSpans[{place[1]}].spans[{place[2]}]: "
                 if place[0] is not None else "")  # fmt: skip
        key = tuple(p if p is not None else -1 for p in place)
        if number not in by_request or key < by_request[number][0]:
            by_request[number] = (key, where + problem)  # type: ignore[assignment]
    return {number: text for number, (_, text) in by_request.items()}


def _rejected(spans: pa.Table, reading: rules.Reading) -> dict[int, Rejected]:
    """Per request, the spans that are not calls and the other operations named."""
    others = pc.not_equal(reading.kinds, CALL)
    if not pc.any(others).as_py():
        return {}
    rejected: defaultdict[int, Rejected] = defaultdict(Rejected)
    table = pa.table({"request_no": spans["request_no"], "kind": reading.kinds,
                      "other": reading.other_operations}).filter(others)  # fmt: skip
    for number, kind, other in zip(*(table[c].to_pylist() for c in table.column_names),
                                   strict=True):  # fmt: skip
        entry = rejected[number]
        entry.counts[kind] += 1
        if other is not None:
            entry.other_operations.add(other)
    return dict(rejected)


def _hints(hints: pa.Table, calls: pa.Table) -> pa.Table:
    """The child-span hints whose model call is not among ``calls``."""
    if not hints.num_rows:
        return HINT_SCHEMA.empty_table()
    waiting = hints.filter(pc.invert(pc.is_in(hints["call_id"], value_set=calls["call_id"])))
    return waiting.select(HINT_SCHEMA.names).cast(HINT_SCHEMA)
