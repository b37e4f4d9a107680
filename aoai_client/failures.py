"""A telemetry step that fails is recorded on the call's span, never raised into the caller.

``azure.openai.telemetry.error`` lists each distinct failure once, in the order they came, as
``"<step>: <exception type>: <message>"``; the call itself goes on.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from opentelemetry import trace

from aoai_client.azure_wire import TELEMETRY_ERROR

log = logging.getLogger(__name__)


def record_failure(span: trace.Span, step: str, error: BaseException) -> None:
    log.debug("telemetry step %s failed", step, exc_info=error)
    if not span.is_recording():
        return
    note = f"{step}: {type(error).__name__}: {_message(error)}"
    notes = _recorded_failures(span)
    if note not in notes:
        span.set_attribute(TELEMETRY_ERROR, [*notes, note])


def _recorded_failures(span: trace.Span) -> list[str]:
    """The failures the span already holds (SDK spans show their attributes)."""
    attributes = getattr(span, "attributes", None)
    recorded = attributes.get(TELEMETRY_ERROR) if isinstance(attributes, Mapping) else None
    return [str(note) for note in recorded] if isinstance(recorded, (tuple, list)) else []


def _message(error: BaseException) -> str:
    try:
        return str(error)
    except Exception:  # an exception whose str() raises too
        return "(no message)"
