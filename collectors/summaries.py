"""What a group of calls adds to the hourly usage summary, in Arrow.

The write path sums the calls it inserts here, as Arrow compute over the columns in hand,
instead of planning the summary macro for every group (docs/decisions/0027-...md). The
sums are those of ``hourly_usage_of`` (queries/views/036_hourly_usage_of.sql), which still
sums the ledger when days are summed again or the summary is rebuilt; a test holds the two
to the same rows (tests/sql/test_summaries.py). The latency sketch is not summed per
commit: the store counts an hour's calls into it once the hour is over
(docs/decisions/0042-latency-sketch-sealed-by-hour.md).

No DuckDB here: the one thing the sums read from the ledger, each model's long-context
threshold (``context_tiers``), is passed in.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import pyarrow as pa
import pyarrow.compute as pc

# base_model(): the model without its version date (queries/views/00_call_tiers.sql).
_VERSION_SUFFIX: Final = r"-(\d{4}-\d{2}-\d{2}|\d{4})$"
_DEFAULT_TIERS: Final = pa.array(["", "auto", "default", "standard"])
_INCIDENTS: Final = pa.array(["blocked_prompt", "filtered_completion"])
# How long a write waits for sums being made on another thread before it sums the calls
# itself (that thread is stuck or gone).
SUMS_WAIT_S: Final = 30.0

USAGE_KEYS: Final = (
    "hour", "deployment", "model", "region", "deployment_type", "tenant_id",
    "apim_subscription", "service", "filter_action", "incident_end_user", "service_tier",
    "context_tier",
)  # fmt: skip
# The usage keys read as text ('' for none) besides the hour and the deployment.
_TEXT_KEYS: Final = ("model", "deployment_type", "tenant_id", "apim_subscription", "service")


@dataclass(frozen=True)
class Summaries:
    """What a group's calls add to the usage summary, summed before the commit
    (``summaries_of``). The commit appends them as they are when it inserts every one of
    those calls unchanged (the common case); otherwise it sums the calls it really
    inserted."""

    calls: pa.Table  # the calls summed, exactly as given to store_calls
    usage: pa.Table  # rows of usage_hourly


class ComingSummaries:
    """What ``calls`` add to the summaries, summed once by ``sum`` on one thread while
    another inserts the calls and waits for them (``result``) only when it appends them
    (docs/decisions/0039-sums-beside-the-insert.md)."""

    def __init__(self, calls: pa.Table, long_above: Mapping[str, int]) -> None:
        self.calls = calls
        self._long_above = long_above
        self._done = threading.Event()
        self._summaries: Summaries | None = None
        self._error: Exception | None = None

    def sum(self) -> None:
        """Sum the calls (once; an error is kept for ``result``)."""
        if self._done.is_set():
            return
        try:
            self._summaries = summaries_of(self.calls, self._long_above)
        except Exception as exc:
            self._error = exc
        finally:
            self._done.set()

    def result(self, timeout_s: float = SUMS_WAIT_S) -> Summaries:
        """The summaries, once summed; raises what summing met, or ``TimeoutError``."""
        if not self._done.wait(timeout_s):
            raise TimeoutError(f"the calls were not summed within {timeout_s:g} s")
        if self._error is not None:
            raise self._error
        if self._summaries is None:  # summing was interrupted (not by an Exception)
            raise RuntimeError("the calls' sums were interrupted")
        return self._summaries


def summaries_of(calls: pa.Table, long_above: Mapping[str, int]) -> Summaries:
    """The rows of usage_hourly that ``calls`` (``CALL_SCHEMA``) add when all of them are
    inserted; ``long_above`` is context_tiers (base model -> the prompt size above which
    it bills as long context)."""
    return Summaries(calls, _usage(calls, long_above))


def joined_summaries(calls: pa.Table, parts: Sequence[Summaries]) -> Summaries:
    """What several groups add, as one: ``calls`` is their calls joined (the summary rows
    are appended and folded later, so rows of the same hour from two groups may repeat)."""
    return Summaries(calls, pa.concat_tables([part.usage for part in parts]))


def _text(column: pa.ChunkedArray) -> pa.ChunkedArray:
    return pc.fill_null(column, "")


def _hour(calls: pa.Table) -> pa.ChunkedArray:
    return pc.floor_temporal(calls["start_time"], unit="hour")


def _hour_keys(calls: pa.Table) -> dict[str, pa.ChunkedArray]:
    """The hour, the deployment, and the keys read as text ('' for none)."""
    return {
        "hour": _hour(calls),
        "deployment": calls["deployment"],
        **{name: _text(calls[name]) for name in _TEXT_KEYS},
    }


def _weight(calls: pa.Table) -> pa.ChunkedArray:
    """call_weight(): round(sample_weight or 1), half away from zero, at least 1."""
    weight = pc.round(pc.fill_null(calls["sample_weight"], 1.0), round_mode="half_towards_infinity")
    return pc.max_element_wise(pc.cast(weight, pa.int64()), 1)


def _billed_service_tier(reported: pa.ChunkedArray) -> pa.ChunkedArray:
    lowered = pc.utf8_lower(_text(reported))
    return pc.if_else(pc.is_in(lowered, _DEFAULT_TIERS), "default", lowered)


def _context_tier(calls: pa.Table, long_above: Mapping[str, int]) -> pa.ChunkedArray:
    """'long' when the prompt is above its base model's threshold, else 'short'."""
    if not long_above:
        return pa.chunked_array([pa.repeat("short", calls.num_rows)])
    base = pc.replace_substring_regex(
        pc.utf8_lower(_text(calls["model"])), _VERSION_SUFFIX, "", max_replacements=1
    )
    models = pa.array(list(long_above), pa.string())
    thresholds = pa.array(list(long_above.values()), pa.int64())
    threshold = pc.take(thresholds, pc.index_in(base, value_set=models))
    prompt = pc.fill_null(calls["input_tokens"], 0)
    return pc.if_else(pc.fill_null(pc.greater(prompt, threshold), False), "long", "short")


def _synthetic(attributes: pa.ChunkedArray) -> pa.Array:
    """synthetic_call() (queries/views/00_call_flags.sql): the attributes say lens.demo (of
    the resource) or azure.openai.simulated is true (a JSON true or the text 'true'). Only
    the attributes that mention either are parsed; a group whose text mentions neither is
    told by one search of its bytes (pc.match_substring costs about ten times more)."""
    flags = [False] * len(attributes)
    if not _mentions_synthetic(attributes):
        return pa.array(flags, pa.bool_())
    demo = pc.fill_null(pc.match_substring(attributes, "lens.demo"), False)
    simulated = pc.fill_null(pc.match_substring(attributes, "azure.openai.simulated"), False)
    mentioned = pc.or_(demo, simulated)
    texts = attributes.to_pylist()
    for i in pc.indices_nonzero(mentioned).to_pylist():
        flags[i] = _says_synthetic(texts[i])
    return pa.array(flags, pa.bool_())


def _mentions_synthetic(attributes: pa.ChunkedArray) -> bool:
    """Whether the text bytes under ``attributes`` (those of other rows too: a slice shares
    its parent's buffer) mention lens.demo or azure.openai.simulated. Each buffer is read
    once: the chunks of a group's requests are slices of one table's column."""
    seen: set[tuple[int, int]] = set()
    for chunk in attributes.chunks:
        data = chunk.buffers()[2]
        if data is None or (data.address, data.size) in seen:
            continue
        seen.add((data.address, data.size))
        text = data.to_pybytes()
        if b"lens.demo" in text or b"azure.openai.simulated" in text:
            return True
    return False


def _says_synthetic(text: str) -> bool:
    try:
        attributes = json.loads(text)
    except ValueError:
        return False
    if not isinstance(attributes, dict):
        return False
    resource = attributes.get("resource")
    demo = resource.get("lens.demo") if isinstance(resource, dict) else None
    return _is_true(demo) or _is_true(attributes.get("azure.openai.simulated"))


def _is_true(value: Any) -> bool:
    return value is True or value == "true"


def _weighted(weight: pa.ChunkedArray, condition: pa.ChunkedArray | pa.Array) -> pa.Array:
    """``weight`` where ``condition`` holds, else null (a FILTER that sums nothing)."""
    return pc.if_else(pc.fill_null(condition, False), weight, pa.scalar(None, pa.int64()))


def _usage(calls: pa.Table, long_above: Mapping[str, int]) -> pa.Table:
    """hourly_usage_of(calls)."""
    weight = _weight(calls)
    filter_action = calls["filter_action"]
    status = calls["status"]
    incident = pc.fill_null(pc.is_in(filter_action, _INCIDENTS), False)
    unknown_tokens = pc.and_(
        pc.not_equal(status, "error"),
        pc.and_(pc.is_null(calls["input_tokens"]), pc.is_null(calls["output_tokens"])),
    )
    columns: dict[str, Any] = {
        **_hour_keys(calls),
        "region": _text(calls["region"]),
        "filter_action": filter_action,
        "incident_end_user": pc.if_else(incident, _text(calls["end_user"]), ""),
        "service_tier": _billed_service_tier(calls["service_tier"]),
        "context_tier": _context_tier(calls, long_above),
        "requests": weight,
        "errors": _weighted(weight, pc.equal(status, "error")),
        "throttled": _weighted(weight, pc.equal(calls["http_status"], 429)),
        "unknown_deployment": _weighted(weight, pc.equal(calls["deployment_source"], "unknown")),
        "synthetic": _weighted(weight, _synthetic(calls["attributes"])),
        "unknown_tokens": _weighted(weight, unknown_tokens),
        "input_tokens": pc.multiply(calls["input_tokens"], weight),
        "cached_input_tokens": pc.multiply(calls["cached_input_tokens"], weight),
        "output_tokens": pc.multiply(calls["output_tokens"], weight),
        "reasoning_tokens": pc.multiply(calls["reasoning_tokens"], weight),
        "cache_write_tokens": pc.multiply(pc.fill_null(calls["cache_write_tokens"], 0), weight),
    }
    table = pa.table(columns)
    sums = [name for name in table.column_names if name not in USAGE_KEYS]
    grouped = table.group_by(list(USAGE_KEYS), use_threads=False).aggregate(
        [(name, "sum") for name in sums]
    )
    # weighted(): a sum over no call (all null) is 0.
    return pa.table(
        {
            **{key: grouped[key] for key in USAGE_KEYS},
            **{name: pc.fill_null(grouped[f"{name}_sum"], 0) for name in sums},
        }
    )
