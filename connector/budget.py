"""Call budgets: the connector slows itself down before the vendor has to.

A ``RollingWindow`` allows ``limit`` calls in any ``window`` seconds (HubSpot: 190 per 10 s
for private apps, and 5 searches per second, less an optional margin: ``rate_limit``), each
call holding its place until ``window`` after its answer; ``acquire`` waits for a free place,
and ``pause`` (the vendor answered 429) makes every caller wait. A
``DailyBudget`` counts calls against a daily allowance (Salesforce's API request limit) and
refuses (``ReserveReached``, never retried) before a call would use the reserve kept for the
org's other integrations: a spent daily allowance does not come back by waiting.

Adapters hold their budgets as ``CallBudget``s: ``acquire`` before each call (wait, or raise
``RateLimited`` or ``ReserveReached``) and ``release`` once it is answered or failed;
``observe`` what the vendor reports it has counted; ``pause`` when it says to wait. Several
threads may share one budget (``connector.deliver`` sends a page's batches in parallel): both
budgets here take a lock. Both live in one process; a budget shared by several workers (in
Redis, say) implements the same four methods.

Adapters ask a ``Budgets`` factory for theirs, naming the vendor account by ``account_key`` (a
hash of its host and identity: a shared store sees no secret). ``LocalBudgets`` gives the ones
above; workers on Celery pass ``leadsync.jobs.shared_budgets``' instead, which keep the
counts in Redis so that every worker of a connection meets the same limits. The connector
imports no Redis client.
"""

from __future__ import annotations

import hashlib
import math
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

    def release(self) -> None:
        """The call ``acquire`` let out was answered, or failed."""
        ...

    def observe(self, used: int, allowed: int) -> None:
        """The vendor's own count of calls used out of those it allows (when it reports one)."""
        ...

    def pause(self, seconds: float) -> None:
        """The vendor said to wait (429, ``Retry-After``): no call goes out for ``seconds``."""
        ...


IN_FLIGHT_WAIT = 0.01  # seconds between looks while every place is held by a call in flight


def rate_limit(documented: int, margin: float) -> int:
    """A documented limit less a margin (0.05: 5% below it), whole calls, at least one."""
    if not 0 <= margin < 1:
        raise ValueError("a rate margin must be in [0, 1)")
    return max(1, math.floor(documented * (1 - margin) + 1e-9))


class RollingWindow:
    """At most ``limit`` calls in any ``window`` seconds, in this process, across threads.

    A call holds its place from when it goes out (``acquire``) until ``window`` seconds after
    its answer (``release``). The vendor counts a call at some moment between the two (on
    arrival, or later), so however long the network or the vendor takes, and however unevenly,
    no ``window`` of the vendor's own ever holds more than ``limit`` of these calls: the
    documented limit can be used whole without meeting a 429. (Counting a call from when it went
    out, as a window of send times does, lets a call that travelled slowly land in the same
    vendor window as one sent ``window`` later: a 429 at the full limit.)

    ``waited`` sums the seconds callers spent waiting (with callers in parallel, more than the
    wall time); ``peak`` is the most calls the window ever held, for reports.
    """

    def __init__(self, limit: int, window: float, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        if limit < 1 or window <= 0:
            raise ValueError("a rolling window needs limit >= 1 and window > 0")
        self.limit, self.window = limit, window
        self._clock, self._sleep = clock, sleep
        self._answered: deque[float] = deque()  # when each call still held was answered
        self._in_flight = 0
        self._lock = threading.Lock()
        self._resume_at = -math.inf  # no call before this instant (the vendor said wait)
        self.waited = 0.0
        self.peak = 0

    def acquire(self) -> None:
        while True:
            with self._lock:
                now = self._clock()
                if now < self._resume_at:
                    wait = self._resume_at - now
                else:
                    held = self._held(now)
                    if held < self.limit:
                        self._in_flight += 1
                        self.peak = max(self.peak, held + 1)
                        return
                    wait = (max(self._answered[0] + self.window - now, 0.001)
                            if self._answered else IN_FLIGHT_WAIT)
                self.waited += wait
            self._sleep(wait)

    def release(self) -> None:
        """The call went out and was answered (or failed): its place is free ``window``
        seconds from now."""
        with self._lock:
            if self._in_flight:
                self._in_flight -= 1
                self._answered.append(self._clock())

    def observe(self, used: int, allowed: int) -> None:
        """The vendor counted ``used`` calls in its window: when that is more than this
        window holds (another process on the same app, a pass that just ended), the
        difference counts as calls answered now, so the next ones wait instead of meeting
        429s. ``allowed`` is the vendor's own limit, this window's being that less a margin."""
        with self._lock:
            now = self._clock()
            self._answered.extend([now] * max(used - self._held(now), 0))
            self.peak = max(self.peak, self._held(now))

    def pause(self, seconds: float) -> None:
        """Hold every caller, those already waiting included, for ``seconds`` from now."""
        with self._lock:
            self._resume_at = max(self._resume_at, self._clock() + max(seconds, 0.0))

    def _held(self, now: float) -> int:
        """The calls in flight and those answered less than ``window`` ago (lock held)."""
        while self._answered and now >= self._answered[0] + self.window:
            self._answered.popleft()
        return self._in_flight + len(self._answered)


class DailyBudget:
    """At most ``share`` of the vendor's daily allowance, as last reported by the vendor.

    ``1 - share`` is the reserve: ``DailyBudget.keeping(0.2)`` leaves 20% of the allowance to
    the org's other integrations. ``system`` names the system in the error. Calls in flight
    (acquired, not yet released) count as used, so callers in parallel never pass the share
    together; a call the vendor already counted but whose answer is still on its way counts
    twice until then, which can only stop a pass a call or two early.
    """

    def __init__(self, share: float = 0.5, system: str = "Salesforce") -> None:
        if not 0 < share <= 1:
            raise ValueError("the daily budget share must be in (0, 1]")
        self.share, self.system = share, system
        self.used: int | None = None
        self.allowed: int | None = None
        self.in_flight = 0
        self._lock = threading.Lock()

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
        with self._lock:
            self.used, self.allowed = used, allowed

    def acquire(self) -> None:
        """Refuse (``ReserveReached``) before a call would use the reserve; never wait."""
        with self._lock:
            self._check()
            self.in_flight += 1

    def release(self) -> None:
        with self._lock:
            self.in_flight = max(self.in_flight - 1, 0)

    def pause(self, seconds: float) -> None:
        """A spent daily allowance does not come back by waiting: nothing to hold."""

    def check(self) -> None:
        """Raise ``ReserveReached`` if the next call would be the reserve's."""
        with self._lock:
            self._check()

    def _check(self) -> None:
        if self.used is None or self.allowed is None:
            return
        if self.used + self.in_flight + 1 > self.allowed * self.share:
            raise self._reached()

    def reached(self) -> ReserveReached:
        """The error for a spent budget, with the vendor's last reported usage."""
        with self._lock:
            return self._reached()

    def _reached(self) -> ReserveReached:
        return ReserveReached(self.system, self.used or 0, self.allowed or 0, self.reserve)


class Budgets(Protocol):
    """Where an adapter gets its budgets, one per vendor ``account`` (an ``account_key``)."""

    def window(self, account: str, name: str, limit: int, seconds: float) -> CallBudget:
        """At most ``limit`` calls in any ``seconds``; ``name`` tells an account's windows
        apart (``"burst"``, ``"search"``)."""
        ...

    def daily(self, account: str, reserve: float, system: str) -> CallBudget:
        """The vendor's daily allowance less ``reserve`` (0 to < 1), as ``DailyBudget``."""
        ...


class LocalBudgets:
    """Budgets of this process alone: one machine, one run at a time."""

    def window(self, account: str, name: str, limit: int, seconds: float) -> CallBudget:
        return RollingWindow(limit, seconds)

    def daily(self, account: str, reserve: float, system: str) -> CallBudget:
        return DailyBudget.keeping(reserve, system)


def account_key(*parts: str | None) -> str:
    """A vendor account's name where budgets are shared: a hash of its host and identity
    (which may be a token), so that the name carries no secret."""
    text = "\x00".join(part or "" for part in parts)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]
