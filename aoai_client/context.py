"""Who a call is charged to: a context the instrumented transport reads for each request.

    with call_context(tenant_id="contoso", end_user="alice@contoso.com"):
        client.chat.completions.create(...)

The span of every call inside the block gets ``tenant.id`` and ``enduser.id``. Context
variables follow threads' and asyncio tasks' own contexts, so concurrent callers do not mix.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class CallContext:
    tenant_id: str | None = None
    end_user: str | None = None


_NO_CONTEXT = CallContext()
_current: ContextVar[CallContext | None] = ContextVar("aoai_client_call", default=None)


def current_call_context() -> CallContext:
    return _current.get() or _NO_CONTEXT


@contextmanager
def call_context(tenant_id: str | None = None, end_user: str | None = None) -> Iterator[None]:
    token = _current.set(CallContext(tenant_id=tenant_id, end_user=end_user))
    try:
        yield
    finally:
        _current.reset(token)


class SpanCapture:
    """What the transport recorded on the span of the calls made inside ``capture_span()``:
    the span's ids and every attribute it added (the last attempt's value wins)."""

    def __init__(self) -> None:
        self.trace_id: int | None = None
        self.span_id: int | None = None
        self.attributes: dict[str, object] = {}

    @property
    def call_id(self) -> str | None:
        """The lens ledger's ``call_id``: trace id + span id, lower-case hex."""
        if self.trace_id is None or self.span_id is None:
            return None
        return f"{self.trace_id:032x}{self.span_id:016x}"


_capture: ContextVar[SpanCapture | None] = ContextVar("aoai_client_capture", default=None)


def current_capture() -> SpanCapture | None:
    return _capture.get()


@contextmanager
def capture_span() -> Iterator[SpanCapture]:
    capture = SpanCapture()
    token = _capture.set(capture)
    try:
        yield capture
    finally:
        _capture.reset(token)
