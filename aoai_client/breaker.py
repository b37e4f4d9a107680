"""A per-endpoint circuit breaker that honours Retry-After (pure: no I/O, no OTel).

Closed, an endpoint takes calls; after ``failures`` failures within ``window_s`` seconds it
opens and takes none until the longer of ``trip_s`` and the last Retry-After it sent has
passed; then it half-opens: one call goes through as a probe, and its result closes the
breaker or opens it again. A failure that carries a Retry-After also keeps a closed breaker's
endpoint out of use until then, as API Management's ``acceptRetryAfter`` does. Time comes
from an injectable monotonic ``clock``.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Final

from aoai_client.config import BreakerConfig

CLOSED: Final = "closed"
OPEN: Final = "open"
HALF_OPEN: Final = "half_open"

# Why an endpoint is not tried now (``Breaker.refusal``).
BREAKER_OPEN: Final = "breaker_open"
RETRY_AFTER: Final = "retry_after"

Clock = Callable[[], float]


class Breaker:
    """The breaker of one endpoint; safe to share between threads."""

    def __init__(self, config: BreakerConfig, clock: Clock = time.monotonic) -> None:
        self.config, self.clock = config, clock
        self.state = CLOSED
        self._failures: deque[float] = deque()
        self._open_until = 0.0
        self._not_before = 0.0  # a closed breaker's Retry-After
        self._probing = False
        self._lock = threading.Lock()

    def refusal(self) -> str | None:
        """None when a call may go to the endpoint now (a half-open breaker lets one probe
        through at a time), else why not: ``breaker_open`` or ``retry_after``."""
        with self._lock:
            now = self.clock()
            if self.state == OPEN and now >= self._open_until:
                self.state, self._probing = HALF_OPEN, False
            if self.state == OPEN:
                return BREAKER_OPEN
            if self.state == HALF_OPEN:
                if self._probing:
                    return BREAKER_OPEN
                self._probing = True
                return None
            return RETRY_AFTER if now < self._not_before else None

    def available_at(self) -> float:
        """The clock time from which the endpoint takes calls again (now or past if it does)."""
        with self._lock:
            if self.state == OPEN:
                return self._open_until
            return self._not_before if self.state == CLOSED else self.clock()

    def succeeded(self) -> None:
        with self._lock:
            self.state, self._probing = CLOSED, False
            self._failures.clear()
            self._not_before = 0.0

    def failed(self, retry_after_s: float | None = None) -> None:
        """A 429, 5xx, timeout or connection error, with the Retry-After it came with."""
        with self._lock:
            now = self.clock()
            wait = max(retry_after_s or 0.0, 0.0)
            if self.state == HALF_OPEN:
                self._open(now, wait)
                return
            self._failures.append(now)
            while self._failures and self._failures[0] <= now - self.config.window_s:
                self._failures.popleft()
            if len(self._failures) >= self.config.failures:
                self._open(now, wait)
            elif wait:
                self._not_before = max(self._not_before, now + wait)

    def _open(self, now: float, retry_after_s: float) -> None:
        self.state, self._probing = OPEN, False
        self._open_until = now + max(self.config.trip_s, retry_after_s)
        self._failures.clear()
