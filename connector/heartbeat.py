"""A lock's heartbeat: a daemon thread that renews it every third of its expiry.

The run lock (``connector.lock``) and a sharded pass's lease (``connector.lease``) both stay
theirs only while renewed. A renewal that answers False means the lock expired and another run
took it over: logged once as an error, ``lost`` set. One that raises means the store was away
for a moment: logged, and tried again at the next beat. A process killed takes its heartbeat
with it, and the lock expires.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import structlog

log = structlog.get_logger("leadsync.lock")


class Heartbeat:
    """Renews with ``renew`` every third of ``expiry`` (at least every 0.1 s) until stopped;
    ``what`` names the lock in the log, ``context`` (job, connection) goes with it."""

    def __init__(self, renew: Callable[[], bool], expiry: timedelta, what: str,
                 **context: Any) -> None:
        self.renew, self.what, self.context = renew, what, context
        self.interval = max(expiry.total_seconds() / 3, 0.1)
        self.lost = False  # a renewal found the lock taken over
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True,
                                        name=f"{what.split()[0]}-{context.get('job', '')}")

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Stop renewing; returns once the thread has ended."""
        self._stopping.set()
        if self._thread.is_alive():
            self._thread.join()

    def _run(self) -> None:
        while not self._stopping.wait(self.interval):
            try:
                if not self.renew() and not self.lost:
                    self.lost = True
                    log.error(f"{self.what} lost: another run took it over after it expired",
                              **self.context)
            except Exception as exc:  # the store is away for a moment: try at the next beat
                log.warning(f"{self.what} heartbeat failed", error=str(exc), **self.context)
