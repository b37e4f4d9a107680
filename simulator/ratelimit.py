"""Tokens-per-minute and requests-per-minute limits per deployment, over a sliding minute.

Azure counts a request against the deployment's TPM when it arrives, estimating its
tokens from the prompt and ``max_tokens``; past the limit it answers 429 with
``retry-after`` (seconds) until enough of the last minute's usage has aged out.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

WINDOW_S = 60.0


@dataclass(frozen=True)
class Admission:
    admitted: bool
    remaining_tokens: int
    remaining_requests: int
    retry_after_s: int = 0
    limit: str = ""  # "token" or "call" when refused


class MinuteWindow:
    """Usage of one deployment in the last minute."""

    def __init__(self, tpm: int, rpm: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.tpm, self.rpm, self.clock = tpm, rpm, clock
        self._entries: deque[tuple[float, int]] = deque()
        self._tokens = 0
        self._lock = threading.Lock()

    def admit(self, tokens: int) -> Admission:
        """Count a request of ``tokens`` if the minute has room; else say when to retry."""
        with self._lock:
            now = self.clock()
            self._expire(now)
            if len(self._entries) + 1 > self.rpm:
                return self._refused(now, 0, "call")
            if self._tokens + tokens > self.tpm:
                return self._refused(now, self._tokens + tokens - self.tpm, "token")
            self._entries.append((now, tokens))
            self._tokens += tokens
            return Admission(True, self.tpm - self._tokens, self.rpm - len(self._entries))

    def _expire(self, now: float) -> None:
        while self._entries and self._entries[0][0] <= now - WINDOW_S:
            self._tokens -= self._entries.popleft()[1]

    def _refused(self, now: float, excess_tokens: int, limit: str) -> Admission:
        """Retry once enough of the minute has aged out (a whole request for ``call``)."""
        freed, wait = 0, WINDOW_S
        for at, tokens in self._entries:
            freed += tokens
            if (limit == "call" and freed > 0) or (limit == "token" and freed >= excess_tokens):
                wait = at + WINDOW_S - now
                break
        remaining_requests = max(self.rpm - len(self._entries), 0)
        return Admission(
            False,
            max(self.tpm - self._tokens, 0),
            remaining_requests,
            max(1, math.ceil(wait)),
            limit,
        )
