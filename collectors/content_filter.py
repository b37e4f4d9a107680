"""Azure OpenAI content-filter JSON -> ``FilterResultRow``s and the call's filter action.

Pure functions over the shapes Azure OpenAI returns (REST spec 2024-10-21, content-filter docs):

- the response's ``prompt_filter_results``: ``[{"prompt_index": 0,
  "content_filter_results": {...}}, ...]`` (one streaming sample names it
  ``prompt_annotations``; pass either array);
- a choice's ``content_filter_results``: ``{"hate": {"filtered": false, "severity": "safe"},
  ...}``;
- the HTTP 400 body of a blocked prompt: ``{"error": {"code": "content_filter",
  "innererror": {"content_filter_result": {...}}}}``. The wire spells it ``innererror`` /
  ``content_filter_result``; the OpenAPI spec spells it ``inner_error`` /
  ``content_filter_results``. Both are read.

Category names are Azure's keys, lower-cased with ``-`` replaced by ``_`` (old samples
send ``self-harm``); a category this module does not know is kept as it is named, never
dropped. The guardrail categories read so (docs/attributes.md maps them to the names
the issues and the dashboard use): ``jailbreak``, ``indirect_attack``, ``protected_material_text``,
``protected_material_code`` (``citation: {"URL", "license"}``), ``ungrounded_material``
(groundedness: ``details: [{"completion_start_offset", "completion_end_offset"}]``, and
a reasoning when sent), personal data (``personally_identifiable_information``, or
``pii`` as some deployments send it: entity types in its ``details``), ``task_adherence``
and ``custom_blocklists``. ``custom_blocklists`` becomes one row per blocklist in its
``details``, named ``custom_blocklists:{id}`` with ``{"id": ...}`` as its details (one
``custom_blocklists`` row when there are no details).

A verdict's ``details`` are its fields other than ``filtered``, ``severity``, ``detected``
and ``intervention_point``, as JSON text with sorted keys (None when there are none).
Its ``intervention_point`` (``user_input``, ``output``, ``tool_call``, ``tool_response``)
is read from the verdict or from its prompt or choice entry when either names one, else
None: the writer fills it from the target (``queries/writes/insert_filter_results.sql``).

An annotation error (``{"error": {...}}`` in place of results) is not a
category and yields no row. Every function accepts the decoded JSON or its text, ignores
unknown keys and values of the wrong type, and never raises but for an index no column can
hold (``VerdictIndexError``: the span is refused). JSON text is parsed once per distinct
string (most calls carry the same all-safe annotations), so callers may pass the span
attribute as it arrived; text longer than ``limits.MAX_PARSE_CHARS`` is not parsed.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Final

from collectors.limits import MAX_INDEX, MAX_PARSE_CHARS
from collectors.rows import FilterResultRow
from lens_errors import BadInputError

PROMPT: Final = "prompt"
COMPLETION: Final = "completion"

NONE: Final = "none"
ANNOTATED: Final = "annotated"
BLOCKED_PROMPT: Final = "blocked_prompt"
FILTERED_COMPLETION: Final = "filtered_completion"

CONTENT_FILTER_FINISH_REASON: Final = "content_filter"
CONTENT_FILTER_ERROR_CODE: Final = "content_filter"
BLOCKLISTS: Final = "custom_blocklists"


class VerdictIndexError(BadInputError, ValueError):
    """A prompt or choice index outside what the ``idx`` column holds (0 .. 2**31 - 1)."""


# (target, idx, category, severity, filtered, detected, details, intervention_point): a row
# without its call id.
_Verdict = tuple[str, int, str, str | None, bool, bool | None, str | None, str | None]

_SEVERITY_RANK: Final = {"safe": 0, "low": 1, "medium": 2, "high": 3}
_NOT_CATEGORIES: Final = frozenset({"error"})
_VERDICT_FIELDS: Final = frozenset({"filtered", "severity", "detected", "intervention_point"})
_POINT: Final = "intervention_point"
_AZURE_BLOCK_WORDS: Final = "triggering Azure OpenAI's content management policy"
_PROMPT_LIST: Final = "prompt_filter_results"
_CHOICE_LIST: Final = "completion_filter_results"
_CHOICE: Final = "choice"
_ERROR: Final = "error"


# The kinds of verdict text the GenAI normaliser hands over (queries/normalize/genai_macros.sql).
STATUS_TEXT: Final = "status"  # a span status message: "Error code: 400 - ..."
PROMPT_TEXT: Final = "prompt"  # a prompt_filter_results array
COMPLETION_TEXT: Final = "completion"  # [{"index": i, "content_filter_results": {...}}]
CHOICE_TEXT: Final = "choice"  # one choice's content_filter_results (its index comes apart)
ERROR_TEXT: Final = "error"  # the error body of a 400 (or its error object)


@dataclass(frozen=True)
class TextVerdicts:
    """What one verdict text says: its verdicts (target, idx, category, severity, filtered,
    detected, details, intervention_point), whether it tells of a prompt blocked with 400
    ``content_filter``, and why it cannot be stored when one of its indexes fits no column."""

    verdicts: tuple[_Verdict, ...]
    blocks: bool = False
    index_error: str | None = None


@lru_cache(maxsize=4096)
def text_verdicts(kind: str, text: str) -> TextVerdicts:
    """The verdicts of one text of ``kind``, parsed once per distinct text (most calls
    carry the same all-safe annotations); a choice's verdicts come with idx 0."""
    try:
        if kind == STATUS_TEXT:
            blocked, body = blocked_prompt_in_status(text)
            verdicts = _parse(_ERROR, 0, body) if body is not None else ()
            return TextVerdicts(verdicts, blocked)
        if kind == ERROR_TEXT:
            return TextVerdicts(_verdicts(_ERROR, 0, text), is_content_filter_error(text))
        shape = {PROMPT_TEXT: _PROMPT_LIST, COMPLETION_TEXT: _CHOICE_LIST}.get(kind, _CHOICE)
        return TextVerdicts(_verdicts(shape, 0, text))
    except VerdictIndexError as exc:
        return TextVerdicts((), index_error=str(exc))


def completion_text_of_messages(messages: Any) -> str | None:
    """The verdicts inside output messages (``gen_ai.output.messages``, where OpenLLMetry
    0.62 puts each choice's ``content_filter_results`` in its message entry) as a
    ``COMPLETION_TEXT``: ``[{"index": i, "content_filter_results": {...}}]``, the index
    being the entry's ``index`` or its position. None when no entry carries verdicts. Only
    the verdicts are kept, so the message content is neither cached nor stored."""
    items = _decoded(messages)
    if isinstance(items, dict):
        items = [items]
    if not isinstance(items, list):
        return None
    choices: list[dict[str, Any]] = []
    for position, item in enumerate(items):
        if not isinstance(item, dict):
            continue
        results = _first_dict(item, "content_filter_results", "content_filter_result")
        if results is None:
            continue
        index = item.get("index")
        entry: dict[str, Any] = {
            "index": index if isinstance(index, int) and not isinstance(index, bool) else position,
            "content_filter_results": results,
        }
        if isinstance(item.get(_POINT), str):
            entry[_POINT] = item[_POINT]
        choices.append(entry)
    return json.dumps(choices) if choices else None


def parse_prompt_filter_results(obj: Any, call_id: str) -> list[FilterResultRow]:
    """Rows for a response's ``prompt_filter_results`` array (target ``prompt``)."""
    return _rows(_verdicts(_PROMPT_LIST, 0, obj), call_id)


def parse_choice_filter_results(index: int, obj: Any, call_id: str) -> list[FilterResultRow]:
    """Rows for choice ``index``'s ``content_filter_results`` dict (target ``completion``)."""
    return _rows(_verdicts(_CHOICE, index, obj), call_id)


def parse_completion_filter_results(obj: Any, call_id: str) -> list[FilterResultRow]:
    """Rows for ``[{"index": i, "content_filter_results": {...}}, ...]`` (every choice)."""
    return _rows(_verdicts(_CHOICE_LIST, 0, obj), call_id)


def parse_error_filter_result(error_body: Any, call_id: str) -> list[FilterResultRow]:
    """Rows for a blocked prompt's 400 body (the whole body or its ``error`` object)."""
    return _rows(_verdicts(_ERROR, 0, error_body), call_id)


def is_content_filter_error(error_body: Any) -> bool:
    """True when an error body (or its ``error`` object) has code ``content_filter``."""
    error = _error_object(_decoded(error_body))
    return error is not None and error.get("code") == CONTENT_FILTER_ERROR_CODE


def blocked_prompt_in_status(message: str) -> tuple[bool, dict[str, Any] | None]:
    """(blocked, error body) read from the exception text of a prompt blocked with 400
    ``content_filter``, parsed once.

    The OpenAI instrumentation records the exception text as the span status message.
    ``openai`` 3.x writes ``Error code: 400 - <error.message>``, and Azure's message for a
    blocked prompt says "...triggering Azure OpenAI's content management policy...".
    ``openai`` 1.x writes ``Error code: 400 - {'error': {'code': 'content_filter',
    'innererror': {...}}}`` (a Python literal, not JSON), read with ``ast.literal_eval``
    (never executed) when it is at most ``limits.MAX_PARSE_CHARS`` long.
    """
    if not message.startswith("Error code: 400"):
        return False, None
    body = _error_body_of_status(message)
    return body is not None or _AZURE_BLOCK_WORDS in message, body


def _error_body_of_status(message: str) -> dict[str, Any] | None:
    head, separator, literal = message.partition(" - ")
    if not separator or not head.startswith("Error code: 400"):
        return None
    if len(literal) > MAX_PARSE_CHARS or "content_filter" not in literal:
        return None
    try:
        body = ast.literal_eval(literal.strip())
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return None
    return body if isinstance(body, dict) and is_content_filter_error(body) else None


def merge_filter_rows(*groups: Iterable[FilterResultRow]) -> list[FilterResultRow]:
    """Rows from several sources for one call, one per (target, idx, category): the strongest."""
    kept: dict[tuple[str, int, str], FilterResultRow] = {}
    for group in groups:
        for row in group:
            key = (row.target, row.idx, row.category)
            current = kept.get(key)
            if current is None or _strength(row.severity, row.filtered, row.detected) > _strength(
                current.severity, current.filtered, current.detected
            ):
                kept[key] = row
    return list(kept.values())


def decide_filter_action(
    rows: Iterable[FilterResultRow], finish_reasons: Iterable[str | None], blocked: bool
) -> str:
    """The call's ``filter_action``, strongest first.

    ``blocked_prompt``: the request got a 400 content_filter or a prompt category was
    filtered. ``filtered_completion``: a choice finished with ``content_filter`` or a
    completion category was filtered. ``annotated``: nothing filtered, but some category
    has a severity other than ``safe`` or was detected. ``none``: otherwise.
    """
    prompt_filtered = completion_filtered = annotated = False
    for row in rows:
        if row.filtered:
            if row.target == PROMPT:
                prompt_filtered = True
            else:
                completion_filtered = True
        elif (row.severity is not None and row.severity != "safe") or row.detected is True:
            annotated = True
    if blocked or prompt_filtered:
        return BLOCKED_PROMPT
    if completion_filtered or CONTENT_FILTER_FINISH_REASON in finish_reasons:
        return FILTERED_COMPLETION
    return ANNOTATED if annotated else NONE


def _rows(verdicts: tuple[_Verdict, ...], call_id: str) -> list[FilterResultRow]:
    return [FilterResultRow(call_id, *verdict) for verdict in verdicts]


def _verdicts(shape: str, index: int, obj: Any) -> tuple[_Verdict, ...]:
    if isinstance(obj, str):
        return _verdicts_of_text(shape, index, obj)
    return _parse(shape, index, _decoded(obj))


@lru_cache(maxsize=2048)
def _verdicts_of_text(shape: str, index: int, text: str) -> tuple[_Verdict, ...]:
    """Parsed once per distinct JSON text: most calls repeat the same all-safe annotations."""
    return _parse(shape, index, _decoded(text))


def _parse(shape: str, index: int, value: Any) -> tuple[_Verdict, ...]:
    verdicts: list[_Verdict] = []
    if shape == _PROMPT_LIST:
        verdicts = _list_verdicts(value, PROMPT, "prompt_index")
    elif shape == _CHOICE_LIST:
        verdicts = _list_verdicts(value, COMPLETION, "index")
    elif shape == _CHOICE:
        if isinstance(value, dict):
            verdicts = _category_verdicts(value, COMPLETION, index)
    else:
        results = _error_results(value)
        if results is not None:
            verdicts = _category_verdicts(results, PROMPT, 0)
    return _strongest(verdicts)


def _list_verdicts(items: Any, target: str, index_key: str) -> list[_Verdict]:
    if isinstance(items, dict):
        items = [items]
    if not isinstance(items, list):
        return []
    verdicts: list[_Verdict] = []
    for position, item in enumerate(items):
        if not isinstance(item, dict):
            continue
        results = _first_dict(item, "content_filter_results", "content_filter_result")
        if results is not None:
            index = _index(item.get(index_key), position)
            verdicts.extend(_category_verdicts(results, target, index, _point(item)))
    return verdicts


def _error_results(body: Any) -> dict[str, Any] | None:
    error = _error_object(body)
    if error is None:
        return None
    inner = _first_dict(error, "innererror", "inner_error")
    if inner is not None:
        results = _first_dict(inner, "content_filter_result", "content_filter_results")
        if results is not None:
            return results
    return _first_dict(error, "content_filter_result", "content_filter_results")


def _decoded(obj: Any) -> Any:
    """JSON text -> value; anything else unchanged; undecodable or too long text -> None."""
    if isinstance(obj, str | bytes):
        if len(obj) > MAX_PARSE_CHARS:
            return None
        try:
            return json.loads(obj)
        except (ValueError, RecursionError):
            return None
    return obj


def _error_object(body: Any) -> dict[str, Any] | None:
    if not isinstance(body, dict):
        return None
    error = body.get("error")
    return error if isinstance(error, dict) else body


def _first_dict(container: dict[str, Any], *keys: str) -> dict[str, Any] | None:
    for key in keys:
        value = container.get(key)
        if isinstance(value, dict):
            return value
    return None


def _index(value: Any, default: int) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        if value > MAX_INDEX:
            raise VerdictIndexError(f"index {value} is outside 0..{MAX_INDEX}")
        return value
    return default


def _category_verdicts(
    results: dict[str, Any], target: str, index: int, point: str | None = None
) -> list[_Verdict]:
    verdicts: list[_Verdict] = []
    for name, verdict in results.items():
        if not isinstance(name, str) or not isinstance(verdict, dict):
            continue
        category = name.strip().lower().replace("-", "_")
        if not category or category in _NOT_CATEGORIES:
            continue
        where = _point(verdict) or point
        if category == BLOCKLISTS:
            verdicts.extend(_blocklist_verdicts(verdict, target, index, where))
            continue
        filtered = verdict.get("filtered")
        raw_severity = verdict.get("severity")
        raw_detected = verdict.get("detected")
        severity = raw_severity.lower() if isinstance(raw_severity, str) and raw_severity else None
        detected = raw_detected if isinstance(raw_detected, bool) else None
        if not isinstance(filtered, bool) and severity is None and detected is None:
            continue  # an annotation error or an unknown shape: not a verdict
        verdicts.append(
            (target, index, category, severity, filtered is True, detected, _details(verdict),
             where)
        )  # fmt: skip
    return verdicts


def _details(verdict: dict[str, Any]) -> str | None:
    """The verdict's fields beyond its outcome, as JSON text with sorted keys."""
    rest = {k: v for k, v in verdict.items() if isinstance(k, str) and k not in _VERDICT_FIELDS}
    if not rest:
        return None
    try:
        return json.dumps(rest, sort_keys=True, ensure_ascii=False, default=str)
    except (ValueError, TypeError, RecursionError):
        return None


def _point(container: dict[str, Any]) -> str | None:
    """The intervention point a verdict or its entry names (``tool_call``, ...), or None."""
    value = container.get(_POINT)
    if not isinstance(value, str):
        return None
    point = value.strip().lower().replace("-", "_").replace(" ", "_")
    return point[:64] or None


def _blocklist_verdicts(
    verdict: dict[str, Any], target: str, index: int, point: str | None
) -> list[_Verdict]:
    verdicts: list[_Verdict] = []
    details = verdict.get("details")
    if isinstance(details, list):
        for detail in details:
            if not isinstance(detail, dict):
                continue
            blocklist = detail.get("id")
            if isinstance(blocklist, str) and blocklist:
                category = f"{BLOCKLISTS}:{blocklist}"
                verdicts.append(
                    (target, index, category, None, detail.get("filtered") is True, None,
                     _details(detail), _point(detail) or point)
                )  # fmt: skip
    if verdicts:
        return verdicts
    filtered = verdict.get("filtered")
    if not isinstance(filtered, bool):
        return []
    return [(target, index, BLOCKLISTS, None, filtered, None, None, point)]


def _strongest(verdicts: list[_Verdict]) -> tuple[_Verdict, ...]:
    """One verdict per (target, idx, category), the strongest, in first-seen order."""
    kept: dict[tuple[str, int, str], _Verdict] = {}
    for verdict in verdicts:
        key = verdict[:3]
        current = kept.get(key)
        if current is None or _strength(*verdict[3:6]) > _strength(*current[3:6]):
            kept[key] = verdict
    return tuple(kept.values())


def _strength(
    severity: str | None, filtered: bool, detected: bool | None
) -> tuple[bool, int, bool]:
    return (filtered, _SEVERITY_RANK.get(severity or "", -1), detected is True)
