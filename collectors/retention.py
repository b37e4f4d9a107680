"""Retention: how long calls, verdicts and message content are kept, and the daily purge.

Calls and their content-filter verdicts are deleted ``calls_days`` after the UTC day they
started; message content (the attributes ``collectors.redaction.is_content_key`` names) is
removed from calls ``content_days`` after it, the call's row staying. The hourly usage
summary is never purged, so chargeback of a month whose calls are gone is unchanged
(``queries/views/00_calls_kept_from.sql``). The purge runs in the store that owns the
DuckDB file (``Store.purge``), at start and every day after, on this module's timer.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final, Protocol

log = logging.getLogger(__name__)

PURGE_EVERY: Final = timedelta(days=1)
_INTERRUPT_EVERY_S: Final = 0.05  # a stopping purge's interrupts, until it has rolled back


@dataclass(frozen=True)
class RetentionConfig:
    """What a user sets (built by app/config.py): days kept after a call's UTC day."""

    calls_days: int = 400
    content_days: int = 30


@dataclass(frozen=True)
class PurgeResult:
    """What one purge did: the horizons (UTC midnights) and the rows it changed."""

    calls_before: datetime
    content_before: datetime
    calls_deleted: int
    verdicts_deleted: int
    contents_removed: int


def horizons(config: RetentionConfig, now: datetime) -> tuple[datetime, datetime]:
    """The UTC midnights before which calls, and message content, are purged at ``now``."""
    today = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return today - timedelta(days=config.calls_days), today - timedelta(days=config.content_days)


class Purging(Protocol):
    def purge(self, config: RetentionConfig, now: datetime | None = None) -> PurgeResult: ...

    def interrupt_purge(self) -> None: ...


class PurgeTimer:
    """Purges at start, then every ``every``, on a daemon thread; ``stop()`` ends it, and
    interrupts a purge still running (it rolls back and is done again at the next start),
    so the server stops in time whatever the size of the purge."""

    def __init__(
        self,
        store: Purging,
        config: RetentionConfig,
        *,
        every: timedelta = PURGE_EVERY,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._store = store
        self._config = config
        self._every = every
        self._clock = clock
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="lens-retention", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, grace_s: float = 1.0, timeout_s: float = 5.0) -> None:
        """End the timer: a purge still running after ``grace_s`` is interrupted, again
        and again (a statement that had not begun at one interrupt meets the next) until
        it has rolled back, for ``timeout_s`` at most."""
        self._stop.set()
        if not self._thread.is_alive():
            return
        self._thread.join(grace_s)
        deadline = time.monotonic() + timeout_s
        while self._thread.is_alive() and time.monotonic() < deadline:
            self._store.interrupt_purge()
            self._thread.join(_INTERRUPT_EVERY_S)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                result = self._store.purge(self._config, self._clock())
            except Exception:  # a failed purge is tried again tomorrow; ingest goes on
                if self._stop.is_set():
                    log.info("retention purge stopped before it finished: rolled back")
                else:
                    log.exception("retention purge failed")
            else:
                log.info(
                    "retention: %d calls and %d verdicts before %s deleted, content of %d "
                    "calls before %s removed",
                    result.calls_deleted,
                    result.verdicts_deleted,
                    result.calls_before.date(),
                    result.contents_removed,
                    result.content_before.date(),
                )
            self._stop.wait(self._every.total_seconds())
