"""Questions the Calls explorer asks: find calls, and everything about one call."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

import duckdb
import pandas as pd

from queries import run
from queries.scope import Scope

# Span attributes that hold message content, recorded only when the producer's content
# capture was on: the GenAI semantic conventions (opentelemetry-instrumentation-openai-v2
# with OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=SPAN_ONLY|SPAN_AND_EVENT) and
# OpenLLMetry's indexed gen_ai.prompt.{i}.* / gen_ai.completion.{i}.* attributes.
CONTENT_ATTRIBUTES: Final = (
    "gen_ai.system_instructions",
    "gen_ai.input.messages",
    "gen_ai.output.messages",
    "gen_ai.prompt",
    "gen_ai.completion",
)
_INDEXED_CONTENT: Final = re.compile(r"^gen_ai\.(prompt|completion)\.\d+\.(role|content)$")


@dataclass(frozen=True)
class CallSearch:
    """What the user typed into the explorer's search fields ('' = any)."""

    id_prefix: str = ""
    end_user: str = ""
    status: str = ""
    finish_reason: str = ""
    unpriced: bool = False  # only calls with tokens and no price


# How much further back each look for the unpriced calls reaches at least: WIDEN times
# as many calls in unpriced usage as the look before.
WIDEN: Final = 8


def calls_search(
    cur: duckdb.DuckDBPyConnection, scope: Scope, search: CallSearch, limit: int
) -> pd.DataFrame:
    """Calls in the scope that match the search, newest first.

    The unpriced calls are looked for from the latest hour after which the summary counts
    ``limit`` calls in unpriced usage (``unpriced_hours``), each call from there priced on
    its own. When fewer than ``limit`` match from there, the next look reaches back as far
    as the share of matches found says ``limit`` needs, twice over, and at least ``WIDEN``
    times as far in counted calls. A look that finds ``limit`` calls has the newest of the
    whole range (every call it did not read is older), and one from the oldest hour the
    summary names has every unpriced call of the range."""
    if not search.unpriced:
        return _search(cur, scope, search, limit, scope.start)
    hours = unpriced_hours(cur, scope)
    wanted = limit
    while True:
        since, counted = _unpriced_from(hours, scope, wanted)
        found = _search(cur, scope, search, limit, since)
        if len(found) >= limit or counted < wanted:
            return found
        wanted = max(wanted * WIDEN, 2 * counted * limit // max(len(found), 1))


def unpriced_hours(cur: duckdb.DuckDBPyConnection, scope: Scope) -> pd.DataFrame:
    """Per hour that starts a row of unpriced usage in the scope, the calls of those rows,
    newest first (where unpriced calls can be; not all of those calls are unpriced)."""
    return run(cur, "unpriced_hours", **scope.params())


def _unpriced_from(hours: pd.DataFrame, scope: Scope, wanted: int) -> tuple[datetime, int]:
    """The latest hour from which ``hours`` counts ``wanted`` calls (never before the
    range's start), and the calls it counts from there. When it counts fewer, its oldest
    hour, before which no unpriced call is; the range's end when it names none."""
    since = scope.end
    counted = 0
    for hour, calls in zip(hours["hour"], hours["calls"], strict=True):
        since = max(hour.to_pydatetime(), scope.start)
        counted += int(calls)
        if counted >= wanted:
            break
    return since, counted


def _search(
    cur: duckdb.DuckDBPyConnection,
    scope: Scope,
    search: CallSearch,
    limit: int,
    unpriced_from: datetime,
) -> pd.DataFrame:
    return run(
        cur,
        "calls_search",
        id_prefix=search.id_prefix.strip(),
        end_user=search.end_user.strip(),
        status=search.status,
        finish_reason=search.finish_reason.strip(),
        unpriced=search.unpriced,
        unpriced_from=unpriced_from,
        limit=limit,
        **scope.params(),
    )


def _start_time(cur: duckdb.DuckDBPyConnection, call_id: str) -> datetime | None:
    frame = run(cur, "call_start_time", call_id=call_id)
    if frame.empty:
        return None
    start: datetime = frame["start_time"].iloc[0].to_pydatetime()
    return start


def call_detail(
    cur: duckdb.DuckDBPyConnection, call_id: str, tenants: tuple[str, ...] | None = None
) -> dict[str, Any] | None:
    """Every field of one call, with its resolved tenant; None when no call has that id,
    or when ``tenants`` (the tenants the asker may see; None: all) does not hold its tenant."""
    call_id = call_id.strip().lower()
    start = _start_time(cur, call_id)
    if start is None:
        return None
    frame = run(cur, "call_detail", call_id=call_id, start=start)
    detail = {str(key): value for key, value in frame.iloc[0].items()}
    if tenants is not None and detail.get("resolved_tenant_id") not in tenants:
        return None
    return detail


def call_filter_results(
    cur: duckdb.DuckDBPyConnection, call_id: str, start: datetime
) -> pd.DataFrame:
    """The call's content-filter verdicts, prompt first; ``start`` is the call's start_time
    (from ``call_detail``)."""
    return run(cur, "call_filter_results", call_id=call_id.strip().lower(), start=start)


def call_cost(cur: duckdb.DuckDBPyConnection, call_id: str, start: datetime) -> pd.DataFrame:
    """The call's price breakdown (one row, or none); ``start`` is the call's start_time
    (from ``call_detail``)."""
    return run(cur, "call_cost", call_id=call_id.strip().lower(), start=start)


def message_content(attributes: str | dict[str, Any] | None) -> dict[str, Any]:
    """The message content a call's span carried, by attribute name; {} when capture was off.

    Values that are JSON text (the semantic conventions' message lists) are parsed.
    """
    if attributes is None:
        return {}
    values = json.loads(attributes) if isinstance(attributes, str) else attributes
    found: dict[str, Any] = {}
    for key, value in values.items():
        if key in CONTENT_ATTRIBUTES or _INDEXED_CONTENT.match(key):
            found[key] = _parsed(value)
    return dict(sorted(found.items()))


def content_purged(attributes: str | dict[str, Any] | None) -> bool:
    """Whether retention removed the call's message content (``lens.content_purged``)."""
    if attributes is None:
        return False
    values = json.loads(attributes) if isinstance(attributes, str) else attributes
    return values.get("lens.content_purged") is True


def _parsed(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in ("[", "{"):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value
