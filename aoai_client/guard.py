"""The guard that keeps ``opentelemetry-instrumentation-openai-v2``'s own code from changing
what the application sees.

The instrumentation hands a streamed call back inside its own iterator (``ChatStreamWrapper``;
``LegacyChatStreamWrapper`` on its older path). Before returning each chunk the iterator reads
it (``process_chunk``), and at the end, or when the stream raises, it ends the span
(``cleanup``). Both assume OpenAI's shapes: 2.4b0 raises ``TypeError`` on a choice without
``index`` (a gateway that sends it inside ``delta``), and the caller loses the chunk and gets
the exception. ``guard_instrumentation`` wraps those two methods: what they raise is recorded
on the span (``azure.openai.telemetry.error``) and not raised, so the caller gets the chunk,
the end or the exception the bare ``openai`` client gives; a span whose ``cleanup`` failed is
ended all the same.

It also names the error type of a failed call: 2.4b0 hands the exception class to
``opentelemetry-util-genai``'s ``Error(type=...)``, which 1.1b0 takes as a string, so the SDK
logs "Invalid type" twice per failed call (span and metric attribute) and stores the class's
repr. Guarded, ``Error`` gets the qualified name (``openai.RateLimitError``: what util-genai
records for an exception itself, and what the lens ledger stores either way).

Process-wide, like the instrumentation: ``configure_telemetry`` applies it and
``Telemetry.shutdown`` undoes it. Anything of the instrumentation that is not where the guard
expects it is left as it is (logged).
"""

from __future__ import annotations

import dataclasses
import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from opentelemetry import trace
from opentelemetry.instrumentation.openai_v2 import patch as openai_v2

from aoai_client.failures import record_failure

log = logging.getLogger(__name__)

STREAM_WRAPPERS: Final = ("ChatStreamWrapper", "LegacyChatStreamWrapper")
STEPS: Final = ("process_chunk", "cleanup")
_INHERITED: Final = object()


@dataclass(frozen=True)
class _Replaced:
    owner: Any
    name: str
    before: Any  # the owner's own value, or _INHERITED

    def undo(self) -> None:
        if self.before is _INHERITED:
            delattr(self.owner, self.name)
        else:
            setattr(self.owner, self.name, self.before)


def guard_instrumentation() -> Callable[[], None]:
    """Guard the instrumentation's stream wrappers and name its error types; the function
    that undoes it."""
    replaced: list[_Replaced] = []
    for class_name in STREAM_WRAPPERS:
        wrapper_class = getattr(openai_v2, class_name, None)
        for step in STEPS:
            method = getattr(wrapper_class, step, None)
            if not isinstance(wrapper_class, type) or not callable(method):
                log.warning("openai-v2 has no %s.%s: left unguarded", class_name, step)
                continue
            replaced.append(_replace(wrapper_class, step, _contained(method, step)))
    error_class = getattr(openai_v2, "Error", None)
    if isinstance(error_class, type) and _takes_type_name(error_class):
        replaced.append(_replace(openai_v2, "Error", _naming_type(error_class)))

    def undo() -> None:
        for change in reversed(replaced):
            change.undo()

    return undo


def _replace(owner: Any, name: str, value: Any) -> _Replaced:
    change = _Replaced(owner, name, vars(owner).get(name, _INHERITED))
    setattr(owner, name, value)
    return change


def _contained(method: Callable[..., Any], step: str) -> Callable[..., Any]:
    """``method`` of a stream wrapper, recording what it raises instead of raising it."""

    @functools.wraps(method)
    def contained(wrapper: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(wrapper, *args, **kwargs)
        except Exception as error:
            span = _span_of(wrapper)
            record_failure(span, f"instrumentation {step}", error)
            if step == "cleanup":
                _end(wrapper, span, args[0] if args else kwargs.get("error"))
            return None

    return contained


def _span_of(wrapper: Any) -> trace.Span:
    own = _own_attributes(wrapper)
    invocation = own.get("invocation")
    span = own.get("span") or getattr(invocation, "span", None)
    return span if isinstance(span, trace.Span) else trace.INVALID_SPAN


def _end(wrapper: Any, span: trace.Span, stream_error: object) -> None:
    """End the span of a wrapper whose ``cleanup`` failed before it could, failed if the
    stream raised ``stream_error``."""
    invocation = _own_attributes(wrapper).get("invocation")
    try:  # util-genai ends the span and detaches its context, at most once
        if invocation is not None and isinstance(stream_error, BaseException):
            invocation.fail(stream_error)
        elif invocation is not None:
            invocation.stop()
    except Exception as error:
        record_failure(span, "instrumentation finish", error)
    if span.is_recording():
        span.end()


def _own_attributes(wrapper: Any) -> dict[str, Any]:
    """Not ``getattr``: the wrappers hand names they lack on to the ``openai`` stream."""
    own = getattr(wrapper, "__dict__", None)
    return own if isinstance(own, dict) else {}


def _takes_type_name(error_class: type) -> bool:
    """util-genai's ``Error`` takes ``type`` as a string (1.1b0), not a class (1.0b0)."""
    if not dataclasses.is_dataclass(error_class):
        return False
    types = {field.name: field.type for field in dataclasses.fields(error_class)}
    return types.get("type") in ("str", str)


def _naming_type(error_class: type) -> Callable[..., Any]:
    """``Error(type=..., message=...)`` with an exception class given as its name."""

    def error(*args: Any, **fields: Any) -> Any:
        if isinstance(fields.get("type"), type):
            fields["type"] = qualified_name(fields["type"])
        return error_class(*args, **fields)

    return error


def qualified_name(exception_class: type) -> str:
    """``openai.RateLimitError``; a builtin's bare name (``ValueError``)."""
    module = exception_class.__module__
    name = exception_class.__qualname__
    return name if module in ("builtins", "") else f"{module}.{name}"
