"""Stopping within a bound: what the server does the moment SIGTERM or SIGINT arrives.

uvicorn stops accepting connections on the signal, then waits, without a deadline, for the
requests in progress to finish before it runs the lifespan's shutdown. An OTLP request
waiting for its write would hold it there. So the signal itself starts the stop: the
receiver answers what is waiting with 503 + Retry-After, the ingest queue commits what it
can within a few seconds and fails the rest (their senders retry), and a watchdog ends the
process if anything still holds it after ``STOP_DEADLINE_S``: every acknowledged write is
committed by then, so an exit is as safe as a kill.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections.abc import Callable
from types import FrameType
from typing import Final

log = logging.getLogger(__name__)

STOP_DEADLINE_S: Final = 9.0
_SIGNALS: Final = (signal.SIGTERM, signal.SIGINT)


def on_stop_signal(begin_stop: Callable[[], None]) -> Callable[[], None]:
    """Call ``begin_stop`` in a thread of its own at the first SIGTERM/SIGINT, then hand the
    signal on to the handler that was there (uvicorn's). Returns the undo; does nothing
    outside the main thread (signals reach only it)."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    started = threading.Event()
    previous = {sig: signal.getsignal(sig) for sig in _SIGNALS}

    def handler(signum: int, frame: FrameType | None) -> None:
        if not started.is_set():
            started.set()
            log.info("stop signal %d: finishing writes, then stopping", signum)
            threading.Thread(target=begin_stop, name="lens-stop", daemon=True).start()
            threading.Thread(target=_watchdog, name="lens-stop-watchdog", daemon=True).start()
        handed = previous[signal.Signals(signum)]
        if callable(handed):
            handed(signum, frame)

    for sig in _SIGNALS:
        signal.signal(sig, handler)

    def undo() -> None:
        if threading.current_thread() is threading.main_thread():
            for sig, handed in previous.items():
                if signal.getsignal(sig) is handler:
                    signal.signal(sig, handed)

    return undo


def _watchdog() -> None:
    time.sleep(STOP_DEADLINE_S)
    log.error("the server did not stop within %.0f s of the signal; exiting now", STOP_DEADLINE_S)
    logging.shutdown()
    os._exit(1)
