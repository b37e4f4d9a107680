"""The GenAI rules, defined once: span columns in, call columns out, as Arrow compute.

Every source gives ``SPAN_SCHEMA`` rows (``collectors/otlp/flatten.py``; Application
Insights rows by ``queries/normalize/app_insights_spans.sql``). ``read_spans`` applies the
rules of ``docs/attributes.md`` to whole columns at once (no Python per span, no query to
plan): which spans are model calls (the GenAI semantic conventions old and new, openai-v2,
OpenLLMetry, OpenInference, our ``azure.openai.*``), which attribute fills which column,
token checks, finish reasons, what a child HTTP span tells of its parent. What it leaves
to ``collectors/genai/normalize.py``: verdicts, which need the parsed verdict texts, and
the columns that follow from them (status, HTTP status, filter action).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import unquote

import orjson
import pyarrow as pa
import pyarrow.compute as pc

from collectors import limits
from collectors.genai import attributes as attr

MAX_TOKENS_PER_CALL: Final = 100_000_000

# The kind of each span row.
CALL: Final = "call"
NO_START: Final = "no_start"
IMPLAUSIBLE_START: Final = "implausible"
OTHER_OPERATION: Final = "other_operation"
NOT_GENAI: Final = "not_genai"
BEFORE_RETENTION: Final = "before_retention"  # a call the store did not keep (its age)

_OPERATION_NAMES: Final = pa.array(list(attr.OPERATIONS))
_OPERATIONS: Final = pa.array(list(attr.OPERATIONS.values()))
_NOT_DEPLOYMENTS: Final = pa.array(sorted(set(attr.OPERATIONS) | set(attr.OPERATIONS.values())))
_DIGITS: Final = r"^[0-9]{1,18}$"
_NUMBER: Final = r"^-?[0-9]+(\.[0-9]*)?([eE][-+]?[0-9]+)?$"
_FIRST_QUOTED: Final = r"""^[\(\[]\s*(?:'(?P<a>[^']*)'|"(?P<b>[^"]*)")"""
_CONTENT_FILTER: Final = r"""(^|[\s\[\(,'"])content_filter([\s\]\),'"]|$)"""
_NULL_TEXT: Final = pa.scalar(None, pa.string())


@dataclass(frozen=True)
class Reading:
    """What the rules read from a batch of span rows."""

    kinds: pa.Array  # per row: CALL, NO_START, IMPLAUSIBLE_START, OTHER_OPERATION, NOT_GENAI
    other_operations: pa.Array  # per row: the operation named, for OTHER_OPERATION
    calls: pa.Table  # the call rows' columns (below), one per request and call id
    hints: pa.Table  # per parent call id: what its child HTTP span says


def read_spans(spans: pa.Table) -> Reading:
    """The rules applied to ``spans`` (``SPAN_SCHEMA``)."""
    c = _Columns(spans)
    operation_name = c.given("gen_ai.operation.name")
    openinference = _lower(c.given(attr.OPENINFERENCE_KIND))
    operation = _operation(c, operation_name, openinference)
    start_state = c.column("start_state")
    if (
        operation.null_count == 0
        and start_state.null_count == 0
        and (pc.max(start_state).as_py() == 0)
    ):  # every span a model call that started when it could (the common group)
        kinds = pa.repeat(pa.scalar(CALL), len(operation))
        other = pa.nulls(len(operation), pa.string())
    else:
        kinds = pc.case_when(
            conditions(
                pc.and_(pc.is_valid(operation), pc.equal(start_state, 0)),
                pc.and_(pc.is_valid(operation), pc.equal(start_state, 1)),
                pc.is_valid(operation),
                pc.or_(pc.is_valid(operation_name), pc.is_valid(openinference)),
            ),
            pa.scalar(CALL), pa.scalar(NO_START), pa.scalar(IMPLAUSIBLE_START),
            pa.scalar(OTHER_OPERATION), pa.scalar(NOT_GENAI),
        )  # fmt: skip
        other = pc.if_else(
            pc.equal(kinds, OTHER_OPERATION),
            pc.utf8_slice_codeunits(_coalesce(operation_name, openinference), 0, 40),
            pa.scalar(None, pa.string()),
        )
    url = _coalesce(*(c.given(name) for name in attr.URLS))
    url_deployment = _url_part(url, r"/openai/deployments/(?P<v>[^/?#]+)")
    url_api_version = _url_part(url, r"[?&]api-version=(?P<v>[^&#]+)")
    url_host = _host(url)
    explicit_status = _coalesce(*(_status(c.given(name)) for name in attr.HTTP_STATUS))
    hints = _hints(c, kinds, url_deployment, url_api_version, url_host, explicit_status)
    is_call = pc.equal(kinds, CALL)
    invoked = _invoked_model(c)
    columns: dict[str, Any] = {
        "request_no": c.column("request_no"),
        "r": c.column("r"),
        "s": c.column("s"),
        "i": c.column("i"),
        "call_id": pc.binary_join_element_wise(c.column("trace_id"), c.column("span_id"), ""),
        "trace_id": c.column("trace_id"),
        "span_id": c.column("span_id"),
        "start_time": c.column("start_time"),
        "duration_ms": c.column("duration_ms"),
        "ttft_ms": _ttft_ms(c.given(attr.TIME_TO_FIRST_CHUNK)),
        "operation": operation,
        "endpoint": _coalesce(c.text(attr.SERVER_ADDRESS), url_host, c.column("endpoint_hint")),
        "region": c.text(attr.AZURE_REGION),
        "named_deployment": c.text(attr.AZURE_DEPLOYMENT),
        "url_deployment": url_deployment,
        "request_model": _cut(_coalesce(c.given(attr.REQUEST_MODEL), invoked)),
        "model": _cut(_coalesce(*(c.given(name) for name in
                                    (attr.RESPONSE_MODEL, *attr.OPENINFERENCE_MODEL)))),
        "provider": _cut(_coalesce(c.given(attr.PROVIDER_NAME), c.given(attr.SYSTEM),
                                   *(c.given(name) for name in attr.OPENINFERENCE_PROVIDER))),
        "api_version": _coalesce(c.text(attr.AZURE_API_VERSION),
                                   c.text(attr.TRACELOOP_API_VERSION), url_api_version),
        "deployment_type": c.text(attr.AZURE_DEPLOYMENT_TYPE),
        "tenant_id": _coalesce(c.text(attr.TENANT_ID), c.text(f"resource.{attr.TENANT_ID}")),
        "apim_subscription": _coalesce(c.text(attr.APIM_SUBSCRIPTION),
                                         c.text(f"resource.{attr.APIM_SUBSCRIPTION}")),
        "end_user": _coalesce(*(c.text(name) for name in attr.END_USER)),
        "service": c.text(f"resource.{attr.SERVICE_NAME}"),
        "error_type": _error_type(c.given(attr.ERROR_TYPE)),
        "explicit_status": _coalesce(explicit_status, c.column("http_status_hint")),
        "status_error": c.column("status_error"),
        "response_id": c.text(attr.RESPONSE_ID),
        "request_id": c.text(attr.AZURE_REQUEST_ID),
        **_routing(c),
        "blocked_attribute": pc.equal(pc.utf8_lower(c.given(attr.AZURE_FILTER_BLOCKED)), "true"),
        "status_message": c.column("status_message"),
        "kept": c.column("kept"),
        "mask": c.column("mask"),
        "content": c.column("content"),
        "choices": c.column("choices"),
        **_tokens(c),
        **_finish(c),
        **{f"verdicts:{name}": c.given(name) for name in _VERDICT_ATTRIBUTES},
    }  # fmt: skip
    calls = pa.table(columns)
    if not pc.all(is_call).as_py():  # spans that are not calls are rare: no copy without
        calls = calls.filter(is_call)
    calls = _first_per_request(calls)
    return Reading(kinds, other, calls, hints)


def _operation(c: _Columns, operation_name: pa.Array, openinference: pa.Array) -> pa.Array:
    """The ``operation`` column's value of each span; null: not a model call."""
    named = _lookup(operation_name)
    if named.null_count != operation_name.null_count:  # a name not as listed (in lower case)
        named = _lookup(_lower(operation_name))
    if operation_name.null_count == 0:  # every span names it (the GenAI conventions)
        return named
    genai_provider = _coalesce(c.given(attr.PROVIDER_NAME), c.given(attr.SYSTEM))
    request_model = c.given(attr.REQUEST_MODEL)
    first_word = pc.utf8_lower(last_part(_first_word(c.column("name"))))
    request_type = _lower(c.given(attr.TRACELOOP_REQUEST_TYPE))
    by_name = _lookup(first_word)
    return pc.case_when(
        conditions(
            pc.is_valid(operation_name),
            pc.equal(openinference, "embedding"),
            pc.equal(openinference, "llm"),
            pc.and_(pc.is_valid(genai_provider), pc.is_valid(request_model)),
            pc.and_(pc.fill_null(c.column("genai_hint"), False), pc.is_null(openinference)),
        ),
        named,
        pa.scalar("embeddings"),
        pc.if_else(pc.equal(c.column("name"), "Completion"), "text_completion", "chat"),
        _coalesce(_lookup(request_type), request_type, by_name, pa.scalar("unknown")),
        _coalesce(by_name, pa.scalar("unknown")),
    )


# The attributes that carry verdict texts (collectors/genai/normalize.py reads them).
_VERDICT_ATTRIBUTES: Final = (
    attr.AZURE_PROMPT_FILTER,
    attr.TRACELOOP_PROMPT_FILTER,
    attr.AZURE_COMPLETION_FILTER,
    attr.AZURE_FILTER_ERROR,
    attr.TRACELOOP_PROMPT_ERROR,
    attr.OUTPUT_MESSAGES,
)


class _Columns:
    """The span rows' columns, read as the rules need them (each once)."""

    def __init__(self, spans: pa.Table) -> None:
        self._spans = spans
        self._read: dict[str, pa.Array] = {}
        self._given: dict[str, pa.Array] = {}
        self._short: set[str] = set()  # given attributes no longer than a text column keeps

    def column(self, name: str) -> pa.Array:
        values = self._read.get(name)
        if values is None:
            chunked = self._spans[name]
            values = chunked.chunk(0) if chunked.num_chunks == 1 else chunked.combine_chunks()
            self._read[name] = values
        return values

    def given(self, name: str) -> pa.Array:
        """An attribute's text, null when absent or empty."""
        values = self._given.get(name)
        if values is None:
            values = self.column(name)
            if not _absent(values):
                # Its lengths in bytes tell both whether one is empty and whether one is
                # longer than a text column keeps (a character is one byte or more).
                lengths = pc.binary_length(values)
                shortest, longest = pc.min_max(lengths).values()
                if shortest.as_py() == 0:
                    values = pc.if_else(pc.equal(lengths, 0), _NULL_TEXT, values)
                if longest.as_py() <= limits.MAX_TEXT_CHARS:
                    self._short.add(name)
            self._given[name] = values
        return values

    def text(self, name: str) -> pa.Array:
        """An attribute's text for a text column: null when empty, at most 512 characters."""
        values = self.given(name)
        return values if name in self._short else _cut(values)


def _absent(values: pa.Array) -> bool:
    """Null in every row: most attributes are absent from a whole batch, and the rules
    skip them without a compute call."""
    return bool(values.null_count == len(values))


def _coalesce(*values: pa.Array | pa.Scalar) -> pa.Array:
    """``pc.coalesce`` of the arrays not absent from the batch (and the scalars)."""
    present = [v for v in values if isinstance(v, pa.Scalar) or not _absent(v)]
    if not present:
        return values[0]
    if len(present) == 1 and not isinstance(present[0], pa.Scalar):
        return present[0]
    return pc.coalesce(*present)


def _nonempty(values: pa.Array) -> pa.Array:
    if _absent(values):
        return values
    return pc.if_else(pc.equal(values, ""), pa.scalar(None, pa.string()), values)


def _lower(values: pa.Array) -> pa.Array:
    return values if _absent(values) else pc.utf8_lower(values)


def _cut(values: pa.Array) -> pa.Array:
    if _absent(values) or _short(values):
        return values
    return pc.utf8_slice_codeunits(values, 0, limits.MAX_TEXT_CHARS)


def _short(values: pa.Array) -> bool:
    """No value is longer than a text column keeps: all of them together are not (a few
    rows), or the longest in bytes is not."""
    if isinstance(values, pa.StringArray):
        data = values.buffers()[2]
        if data is None or data.size <= limits.MAX_TEXT_CHARS:
            return True
    return bool(pc.max(pc.binary_length(values)).as_py() <= limits.MAX_TEXT_CHARS)


def conditions(*conditions: pa.Array) -> pa.Array:
    """``pc.case_when``'s conditions, null as false."""
    return pc.make_struct(*(pc.fill_null(c, False) if c.null_count else c for c in conditions),
                          field_names=[str(n) for n in range(len(conditions))])  # fmt: skip


def _lookup(names: pa.Array) -> pa.Array:
    """An operation name -> the ``operation`` column's value (null for other names)."""
    if _absent(names):
        return names
    return pc.take(_OPERATIONS, pc.index_in(names, value_set=_OPERATION_NAMES))


def _first_word(names: pa.Array) -> pa.Array:
    return pc.list_element(pc.split_pattern(pc.fill_null(names, ""), " ", max_splits=1), 0)


def last_part(words: pa.Array) -> pa.Array:
    """The last ``.``-separated part: ``openai.chat`` -> ``chat``."""
    return pc.struct_field(pc.extract_regex(words, r"(?P<v>[^.]*)$"), "v")


def _url_part(url: pa.Array, pattern: str) -> pa.Array:
    """A part of a URL (decoded, cut), null when absent."""
    if _absent(url):
        return url
    found = pc.struct_field(pc.extract_regex(url, pattern), "v")
    found = pc.if_else(pc.equal(found, ""), pa.scalar(None, pa.string()), found)
    encoded = pc.match_substring(pc.fill_null(found, ""), "%")
    if pc.any(encoded).as_py():  # percent-encoded names are rare: decoded one by one
        found = pa.array([unquote(v) if v is not None and "%" in v else v
                          for v in found.to_pylist()], pa.string())  # fmt: skip
    return _cut(found)


def _host(url: pa.Array) -> pa.Array:
    """The host of an absolute URL, lower case, without user info, port or brackets."""
    if _absent(url):
        return url
    found = pc.extract_regex(
        url, r"^[A-Za-z][A-Za-z0-9+.\-]*://(?:[^@/?#]*@)?(?P<v>\[[^\]/?#]*\]|[^:/?#]*)"
    )
    host = pc.utf8_lower(pc.utf8_trim(pc.struct_field(found, "v"), "[]"))
    return _cut(pc.if_else(pc.equal(host, ""), pa.scalar(None, pa.string()), host))


def _status(values: pa.Array) -> pa.Array:
    """An HTTP status: exactly three ASCII digits from 100 to 599."""
    if _absent(values):
        return pa.nulls(len(values), pa.int32())
    digits = pc.match_substring_regex(values, r"^[0-9]{3}$")
    numbers = pc.cast(pc.if_else(digits, values, pa.scalar(None, pa.string())), pa.int32())
    return pc.if_else(pc.and_(pc.greater_equal(numbers, 100), pc.less_equal(numbers, 599)),
                      numbers, pa.scalar(None, pa.int32()))  # fmt: skip


def _number(values: pa.Array) -> pa.Array:
    """Numeric text as a double (null for anything else)."""
    if _absent(values):
        return pa.nulls(len(values), pa.float64())
    numeric = pc.match_substring_regex(values, _NUMBER)
    return pc.cast(pc.if_else(numeric, values, pa.scalar(None, pa.string())), pa.float64())


def _ttft_ms(seconds: pa.Array) -> pa.Array:
    value = _number(seconds)
    ok = pc.and_(pc.greater_equal(value, 0), pc.less_equal(value, 86_400))
    return pc.if_else(ok, pc.multiply(value, 1000.0), pa.scalar(None, pa.float64()))


def _error_type(values: pa.Array) -> pa.Array:
    """``error.type``; a Python class repr ``<class 'openai.RateLimitError'>`` as its name."""
    if _absent(values):
        return values
    wrapped = pc.struct_field(pc.extract_regex(values, r"^<class '(?P<v>.*)'>$"), "v")
    name = _coalesce(wrapped, values)
    return _cut(pc.if_else(pc.equal(name, ""), pa.scalar(None, pa.string()), name))


def _invoked_model(c: _Columns) -> pa.Array:
    """OpenInference: the ``model`` of the request's parameters (the deployment asked for)."""
    parameters = _coalesce(*(c.given(name) for name in attr.OPENINFERENCE_PARAMETERS))
    if _absent(parameters):
        return parameters
    found = pc.struct_field(pc.extract_regex(parameters, r'"model"\s*:\s*"(?P<v>[^"\\]*)"'), "v")
    return pc.if_else(pc.equal(found, ""), pa.scalar(None, pa.string()), found)


def _routing(c: _Columns) -> dict[str, pa.Array]:
    """Where the call went: tiers (every spelling), backend, failover, spillover."""
    attempts = c.given(attr.AZURE_ATTEMPTS)
    counted = pc.cast(pc.if_else(pc.match_substring_regex(attempts, r"^[0-9]{1,4}$"), attempts,
                                 pa.scalar(None, pa.string())), pa.int32())  # fmt: skip
    used = pc.utf8_lower(c.given(attr.AZURE_SPILLOVER_USED))
    said = pc.is_in(used, pa.array(["true", "false"]))
    spillover = pc.if_else(said, pc.equal(used, "true"), pa.scalar(None, pa.bool_()))
    return {
        "service_tier": pc.utf8_lower(
            _coalesce(*(c.text(name) for name in attr.RESPONSE_SERVICE_TIER))
        ),
        "service_tier_requested": pc.utf8_lower(
            _coalesce(*(c.text(name) for name in attr.REQUEST_SERVICE_TIER))
        ),
        "backend": c.text(attr.AZURE_BACKEND),
        "failover_from": c.text(attr.AZURE_FAILOVER_FROM),
        "attempts": counted,
        "spillover": spillover,
        "spillover_from": c.text(attr.AZURE_SPILLOVER_FROM),
    }


def _tokens(c: _Columns) -> dict[str, pa.Array]:
    """Each token count: the first spelling present, as a count from 0 to 100,000,000;
    a present value that is not one names itself in ``<column>:problem``."""
    out: dict[str, pa.Array] = {}
    for column, names in attr.TOKEN_GROUPS.items():
        spelt = [(name, c.column(name)) for name in names]
        spelt = [(name, values) for name, values in spelt if not _absent(values)]
        if not spelt:  # no spelling in the whole batch
            rows = len(c.column("name"))
            out[column] = pa.nulls(rows, pa.int64())
            out[f"{column}:text"] = pa.nulls(rows, pa.string())
            out[f"{column}:name"] = pa.nulls(rows, pa.string())
            out[f"{column}:integral"] = pa.repeat(False, rows)
            continue
        present = [values for _, values in spelt]
        text = _coalesce(*present)
        if len(spelt) == 1:
            which = pc.if_else(pc.is_valid(text), pa.scalar(spelt[0][0]), _NULL_TEXT)
        else:
            which = pc.case_when(conditions(*(pc.is_valid(p) for p in present)),
                                 *(pa.scalar(name) for name, _ in spelt))  # fmt: skip
        digits = pc.match_substring_regex(text, _DIGITS)
        if digits.false_count == 0:  # every count as digits (the common group): no other case
            count = pc.cast(text, pa.int64())
            if pc.max(count).as_py() <= MAX_TOKENS_PER_CALL:
                out[column] = count
            else:
                out[column] = pc.if_else(pc.less_equal(count, MAX_TOKENS_PER_CALL), count,
                                         pa.scalar(None, pa.int64()))  # fmt: skip
            out[f"{column}:text"] = text
            out[f"{column}:name"] = which
            out[f"{column}:integral"] = pc.is_valid(text)
            continue
        whole = pc.cast(pc.if_else(digits, text, pa.scalar(None, pa.string())), pa.int64())
        number = _number(text)
        integral = pc.and_(pc.is_valid(number), pc.equal(number, pc.floor(number)))
        count = _coalesce(whole, pc.cast(pc.if_else(
            pc.and_(integral, pc.less_equal(pc.abs(number), 9e18)), number,
            pa.scalar(None, pa.float64())), pa.int64()))  # fmt: skip
        plausible = pc.and_(pc.greater_equal(count, 0), pc.less_equal(count, MAX_TOKENS_PER_CALL))
        out[column] = pc.if_else(plausible, count, pa.scalar(None, pa.int64()))
        out[f"{column}:text"] = text
        out[f"{column}:name"] = which
        out[f"{column}:integral"] = pc.or_(
            pc.fill_null(digits, False), pc.fill_null(integral, False)
        )
    return out


def _finish(c: _Columns) -> dict[str, pa.Array]:
    """The first finish reason (a JSON array, a Python tuple's repr, or one string; then
    OpenLLMetry's per choice; then the single ones), and whether any is content_filter."""
    reasons = _first_reason(c.given(attr.FINISH_REASONS))
    single = _first_reason(_coalesce(*(c.given(n) for n in attr.SINGLE_FINISH_REASON)))
    texts = [c.given(attr.FINISH_REASONS), *(c.given(n) for n in attr.SINGLE_FINISH_REASON)]
    texts = [t for t in texts if not _absent(t)]
    if not texts:
        said = pa.repeat(False, len(c.column("name")))
    else:  # null, where no text is, counts as false
        joined = texts[0] if len(texts) == 1 else pc.binary_join_element_wise(
            *(pc.fill_null(t, "") for t in texts), " ")  # fmt: skip
        said = pc.match_substring_regex(joined, _CONTENT_FILTER)
    return {
        "finish_reason": _cut(reasons),
        "finish_single": _cut(single),
        "finish_content_filter": said,
    }


def _first_reason(texts: pa.Array) -> pa.Array:
    if _absent(texts):
        return texts
    empty = pc.match_substring_regex(texts, r"^[\(\[]\s*[\)\]]$")
    quoted = pc.extract_regex(texts, _FIRST_QUOTED)
    first = _coalesce(*(_nonempty(pc.struct_field(quoted, part)) for part in ("a", "b")))
    return pc.if_else(pc.fill_null(empty, False), pa.scalar(None, pa.string()),
                      _coalesce(first, texts))  # fmt: skip


def _hints(
    c: _Columns,
    kinds: pa.Array,
    deployment: pa.Array,
    api_version: pa.Array,
    host: pa.Array,
    status: pa.Array,
) -> pa.Table:
    """What each child HTTP span naming a deployment says of its parent model call: the
    child that started last, per parent."""
    parent = c.column("parent_span_id")
    telling = not _absent(deployment) and not _absent(parent)
    table = pa.table(
        {
            "call_id": (pc.binary_join_element_wise(c.column("trace_id"), parent, "")
                        if telling else parent),
            "start_time": c.column("start_time"),
            "deployment": deployment,
            "api_version": api_version,
            "endpoint": _coalesce(c.text(attr.SERVER_ADDRESS), host),
            "http_status": status,
        }
    )  # fmt: skip
    if not telling:  # no span with a parent names a deployment in its URL
        return table.slice(0, 0)
    table = table.filter(pc.and_(pc.and_(pc.equal(kinds, NOT_GENAI), pc.is_valid(parent)),
                                 pc.is_valid(deployment)))  # fmt: skip
    if table.num_rows < 2:
        return table
    table = table.sort_by([("call_id", "ascending"), ("start_time", "descending")])
    ids = table["call_id"].combine_chunks()
    first = pc.not_equal(ids.slice(1), ids.slice(0, len(ids) - 1))
    return table.filter(pa.concat_arrays([pa.array([True]), pc.fill_null(first, True)]))


def _first_per_request(calls: pa.Table) -> pa.Table:
    """One row per request and call id: the first sent (a span twice in one request is one
    call)."""
    if len(pc.unique(calls["call_id"])) == calls.num_rows:
        return calls  # no call id twice in the whole group
    keys = pc.binary_join_element_wise(
        pc.cast(calls["request_no"], pa.string()), calls["call_id"], ":"
    ).combine_chunks()
    if len(pc.unique(keys)) == calls.num_rows:
        return calls
    order = pc.sort_indices(keys)  # a stable sort: among equal keys, the first sent first
    sorted_keys = pc.take(keys, order)
    first = pc.not_equal(sorted_keys.slice(1), sorted_keys.slice(0, len(sorted_keys) - 1))
    keep = pc.take(order, pc.indices_nonzero(pa.concat_arrays([pa.array([True]), first])))
    return calls.take(pc.take(keep, pc.sort_indices(keep)))


def token_problem(row: dict[str, Any]) -> str | None:
    """Why a call's token counts cannot be true (the row of ``Reading.calls``), if so."""
    for column in attr.TOKEN_GROUPS:
        text = row[f"{column}:text"]
        if text is not None and row[column] is None:
            what = ("is not a plausible token count" if row[f"{column}:integral"]
                    else "is not an integer count")  # fmt: skip
            return f"{row[f'{column}:name']} = {text[:60]} {what}"
    pairs = (("cached_input_tokens", "input_tokens"), ("cache_write_tokens", "input_tokens"),
             ("reasoning_tokens", "output_tokens"))  # fmt: skip
    for part, whole in pairs:
        if row[part] is not None and row[whole] is not None and row[part] > row[whole]:
            return (f"{row[f'{part}:name']} = {row[part]} exceeds "
                    f"{row[f'{whole}:name']} = {row[whole]}")  # fmt: skip
    return None


def choices_of(text: str) -> dict[str, Any]:
    """OpenLLMetry's per-choice attributes of a call (the ``choices`` column)."""
    value = orjson.loads(text)
    return value if isinstance(value, dict) else {}


def not_a_deployment(request_model: pa.Array) -> pa.Array:
    """True where the request model is an operation name (``chat``), not a deployment."""
    return pc.fill_null(pc.is_in(pc.utf8_lower(request_model), value_set=_NOT_DEPLOYMENTS), False)
