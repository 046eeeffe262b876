"""Call budgets: the connector slows itself down before the vendor has to.

A ``RollingWindow`` allows ``limit`` calls in any ``window`` seconds (HubSpot: 190 per 10 s
for private apps, and 5 searches per second); ``acquire`` waits for a free slot. A
``DailyBudget`` counts calls against a daily allowance (Salesforce's API request limit) and
refuses (``ReserveReached``, never retried) before a call would use the reserve kept for the
org's other integrations: a spent daily allowance does not come back by waiting.

Adapters hold their budgets as ``CallBudget``s: ``acquire`` before each call (wait, or raise
``RateLimited`` or ``ReserveReached``), ``observe`` what the vendor reports it has counted. Both
budgets here live in one process; a budget shared by several workers (in Redis, say)
implements the same two methods.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Protocol, runtime_checkable

from leadsync.connector.errors import ReserveReached


@runtime_checkable
class CallBudget(Protocol):
    """What an adapter's call helper asks before each call to its vendor."""

    def acquire(self) -> None:
        """Return when one more call may go out; wait until then, or raise (``RateLimited``,
        ``ReserveReached``) when no wait will do."""
        ...

    def observe(self, used: int, allowed: int) -> None:
        """The vendor's own count of calls used out of those it allows (when it reports one)."""
        ...


class RollingWindow:
    """At most ``limit`` calls in any ``window`` seconds, in this process."""

    def __init__(self, limit: int, window: float, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        if limit < 1 or window <= 0:
            raise ValueError("a rolling window needs limit >= 1 and window > 0")
        self.limit, self.window = limit, window
        self._clock, self._sleep = clock, sleep
        self._calls: deque[float] = deque()
        self._lock = threading.Lock()
        self.waited = 0.0  # seconds spent waiting, for reports

    def acquire(self) -> None:
        while True:
            with self._lock:
                now = self._clock()
                while self._calls and now >= self._calls[0] + self.window:
                    self._calls.popleft()
                if len(self._calls) < self.limit:
                    self._calls.append(now)
                    return
                wait = max(self._calls[0] + self.window - now, 0.001)
            self.waited += wait
            self._sleep(wait)

    def observe(self, used: int, allowed: int) -> None:
        """A rolling window counts its own calls; the vendor's count changes nothing."""


class DailyBudget:
    """At most ``share`` of the vendor's daily allowance, as last reported by the vendor.

    ``1 - share`` is the reserve: ``DailyBudget.keeping(0.2)`` leaves 20% of the allowance to
    the org's other integrations. ``system`` names the system in the error.
    """

    def __init__(self, share: float = 0.5, system: str = "Salesforce") -> None:
        if not 0 < share <= 1:
            raise ValueError("the daily budget share must be in (0, 1]")
        self.share, self.system = share, system
        self.used: int | None = None
        self.allowed: int | None = None

    @classmethod
    def keeping(cls, reserve: float, system: str = "Salesforce") -> DailyBudget:
        """A budget that keeps ``reserve`` (0 to < 1) of the allowance for others."""
        if not 0 <= reserve < 1:
            raise ValueError("the daily API reserve must be in [0, 1)")
        return cls(share=1.0 - reserve, system=system)

    @property
    def reserve(self) -> float:
        return 1.0 - self.share

    def observe(self, used: int, allowed: int) -> None:
        self.used, self.allowed = used, allowed

    def acquire(self) -> None:
        """Refuse (``ReserveReached``) before a call would use the reserve; never wait."""
        self.check()

    def check(self) -> None:
        if self.used is None or self.allowed is None:
            return
        if self.used + 1 > self.allowed * self.share:  # the next call would be the reserve's
            raise self.reached()

    def reached(self) -> ReserveReached:
        """The error for a spent budget, with the vendor's last reported usage."""
        return ReserveReached(self.system, self.used or 0, self.allowed or 0, self.reserve)
