"""Call budgets shared by every worker, kept in Redis: N workers together stay under one limit.

With ``[scale]``, every process that calls a vendor (Celery workers, and a ``leadsync`` command
run beside them) takes its budgets from here instead of its own memory (``connector.budget``).
Each budget's state lives under a key named by the vendor account (``account_key``: a hash of
the host and identity, never a secret) and changes only inside Lua scripts, which Redis runs
one at a time, so that two workers can never both take the last call of a window. Time is the
Redis server's (``TIME``), one clock for workers on several machines.

- ``SharedWindow``: HubSpot's rolling windows (190 calls per 10 s, 5 searches a second, less
  an optional ``rate_margin``): a sorted set of the calls held, each held (as in
  ``connector.budget.RollingWindow``) from when it went out until a window after its answer,
  so that no window of HubSpot's holds more than the limit, whatever the calls' latency; a
  killed worker's call in flight lapses after ``LEASE_SECONDS`` and a window. A 429 pauses
  every worker (a key holding the moment calls may resume); the vendor's own count
  (``X-HubSpot-RateLimit-Remaining``) adds the calls some other app made.
- ``SharedDaily``: Salesforce's daily allowance. Each answer's ``Sforce-Limit-Info`` already
  gives every worker the org's count, other integrations' calls included; what a worker could
  not see is the calls other workers have in flight, which each worker's own ``DailyBudget``
  would let pass the share together (workers times ``max_parallel`` calls). Here the calls in
  flight are shared too, as leases that lapse (a killed worker's leases go after
  ``LEASE_SECONDS``), and also cap the org's concurrent calls from all workers at
  ``ORG_CONCURRENT_CALLS``: an org runs at most 25 long-running requests at once, shared with
  its other integrations.

Redis away for a moment: ``TransientError``, retried with the call it stands before.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from functools import cache
from typing import Any

import redis
import structlog

from leadsync.connector.budget import Budgets, LocalBudgets
from leadsync.connector.config import Config
from leadsync.connector.errors import ReserveReached, TransientError

log = structlog.get_logger("leadsync.budgets")

PREFIX = "leadsync:budget"
ORG_CONCURRENT_CALLS = 20  # of Salesforce's 25 long-running requests at once per org
LEASE_SECONDS = 300  # a call in flight not released by then was a killed worker's
BUSY_WAIT = 0.05  # seconds between tries while every concurrent call is taken
IN_FLIGHT_MS = 10  # ms between tries while every place of a window is held by calls in flight
DAY_SECONDS = 2 * 86_400  # how long an org's last reported count is kept

# KEYS: calls (sorted set), resume-at (ms). ARGV: limit, window (ms), call id, lease (ms).
# A call in flight is scored by when its lease ends (it is still held then), one answered by
# when its answer came (``RELEASE``): it leaves the window ``window`` ms after either.
# Returns {0, calls held} when the call may go, else {ms to wait, calls held}.
ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local limit, window, lease = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[4])
local resume = tonumber(redis.call('GET', KEYS[2]) or '0')
if now < resume then return {resume - now, 0} end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local held = redis.call('ZCARD', KEYS[1])
if held < limit then
  redis.call('ZADD', KEYS[1], now + lease, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], window + lease)
  return {0, held + 1}
end
local oldest = tonumber(redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')[2])
if oldest > now then return {IN_FLIGHT_MS, held} end
return {math.max(oldest + window - now, 1), held}
""".replace("IN_FLIGHT_MS", str(IN_FLIGHT_MS))

# KEYS: calls. ARGV: call id. The call was answered: it is held from now (the next
# millisecond: Redis's clock has no finer grain) for the window, if its lease has not lapsed.
RELEASE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + 1
return redis.call('ZADD', KEYS[1], 'XX', 'CH', now, ARGV[1])
"""

# KEYS: calls. ARGV: window (ms), the vendor's count, call id prefix.
# Calls the vendor counted beyond those held count as made now.
OBSERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local window = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local missing = tonumber(ARGV[2]) - redis.call('ZCARD', KEYS[1])
for i = 1, missing do redis.call('ZADD', KEYS[1], now, ARGV[3] .. i) end
if missing > 0 then redis.call('PEXPIRE', KEYS[1], window * 2) end
return missing
"""

# KEYS: resume-at. ARGV: ms to pause. Resume at the later of the two moments.
PAUSE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local resume = now + tonumber(ARGV[1])
if resume > tonumber(redis.call('GET', KEYS[1]) or '0') then
  redis.call('SET', KEYS[1], resume, 'PX', tonumber(ARGV[1]) + 1000)
end
return resume
"""

# KEYS: org count (hash: used, allowed), calls in flight (sorted set of leases, scored by their
# end). ARGV: share, concurrent cap, call id, lease (ms).
# Returns {1, used, allowed} when the call may go, {0, ...} when every concurrent call is
# taken, {-1, used, allowed} when the call would use the reserve.
DAILY = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
local flying = redis.call('ZCARD', KEYS[2])
local used = tonumber(redis.call('HGET', KEYS[1], 'used') or '-1')
local allowed = tonumber(redis.call('HGET', KEYS[1], 'allowed') or '-1')
if used >= 0 and allowed >= 0 and used + flying + 1 > allowed * tonumber(ARGV[1]) then
  return {-1, used, allowed}
end
if flying >= tonumber(ARGV[2]) then return {0, used, allowed} end
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[4]), ARGV[3])
redis.call('PEXPIRE', KEYS[2], tonumber(ARGV[4]) * 2)
return {1, used, allowed}
"""


def _redis_errors(where: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Turn Redis being away into ``TransientError`` naming the (redacted) server."""
    def wrap(fn: Callable[..., Any]) -> Callable[..., Any]:
        def guarded(self: _Shared, *args: Any) -> Any:
            try:
                return fn(self, *args)
            except redis.exceptions.RedisError as exc:
                raise TransientError(f"the shared call budget in Redis ({self.shown}) could "
                                     f"not be reached while {where}: {exc}") from exc
        return guarded
    return wrap


class _Shared:
    def __init__(self, client: redis.Redis, shown: str) -> None:
        self.client, self.shown = client, shown  # shown: the server's URL, redacted


class SharedWindow(_Shared):
    """At most ``limit`` calls in any ``window`` seconds, across every worker using ``key``.
    ``waited`` and ``peak`` are this process's, for reports (as ``RollingWindow``'s)."""

    def __init__(self, client: redis.Redis, shown: str, key: str, limit: int, window: float,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        if limit < 1 or window <= 0:
            raise ValueError("a rolling window needs limit >= 1 and window > 0")
        super().__init__(client, shown)
        self.limit, self.window = limit, window
        self.calls_key, self.resume_key = f"{key}:calls", f"{key}:resume"
        self._acquire = client.register_script(ACQUIRE)
        self._release = client.register_script(RELEASE)
        self._observe = client.register_script(OBSERVE)
        self._flying: deque[str] = deque()  # this process's calls in flight, by id
        self._pause = client.register_script(PAUSE)
        self._sleep = sleep
        self._lock = threading.Lock()
        self.waited = 0.0
        self.peak = 0

    def acquire(self) -> None:
        call = uuid.uuid4().hex
        while True:
            wait_ms, held = self._try(call)
            with self._lock:
                self.peak = max(self.peak, int(held))
                if not wait_ms:
                    self._flying.append(call)
                    return
                self.waited += wait_ms / 1000
            self._sleep(wait_ms / 1000)

    @_redis_errors("taking a call")
    def _try(self, call: str) -> tuple[int, int]:
        wait_ms, held = self._acquire(keys=[self.calls_key, self.resume_key],
                                      args=[self.limit, self._window_ms, call,
                                            LEASE_SECONDS * 1000])
        return int(wait_ms), int(held)

    def release(self) -> None:
        """One of this process's calls was answered: held for a window from now. (Which one
        does not matter: each is held alike from its answer.) Redis away: the call's lease
        lapses by itself, and the call's own outcome is not replaced by this error."""
        with self._lock:
            if not self._flying:
                return
            call = self._flying.popleft()
        try:
            self._release(keys=[self.calls_key], args=[call])
        except redis.exceptions.RedisError as exc:
            log.warning("shared_budget_release_failed", redis=self.shown, error=str(exc),
                        lapses_in_seconds=LEASE_SECONDS + self.window)

    @_redis_errors("adding the vendor's count")
    def observe(self, used: int, allowed: int) -> None:
        """The vendor counted ``used`` calls in its window: those beyond what every worker
        made (another app of the portal) count as made now."""
        self._observe(keys=[self.calls_key],
                      args=[self._window_ms, used, f"seen:{uuid.uuid4().hex}:"])

    @_redis_errors("pausing")
    def pause(self, seconds: float) -> None:
        """Hold every worker's callers for ``seconds`` from now."""
        self._pause(keys=[self.resume_key], args=[max(int(seconds * 1000), 0)])

    @property
    def _window_ms(self) -> int:
        return int(self.window * 1000)


class SharedDaily(_Shared):
    """The org's daily allowance less ``reserve``, and at most ``concurrent`` calls in flight,
    across every worker using ``key``; refuses with ``ReserveReached`` like ``DailyBudget``."""

    def __init__(self, client: redis.Redis, shown: str, key: str, reserve: float, system: str,
                 concurrent: int = ORG_CONCURRENT_CALLS,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        if not 0 <= reserve < 1:
            raise ValueError("the daily API reserve must be in [0, 1)")
        super().__init__(client, shown)
        self.reserve, self.system, self.concurrent = reserve, system, concurrent
        self.count_key, self.flight_key = f"{key}:count", f"{key}:flight"
        self._daily = client.register_script(DAILY)
        self._sleep = sleep
        self._mine = threading.local()  # this thread's leases, newest last

    def acquire(self) -> None:
        lease = uuid.uuid4().hex
        while True:
            verdict, used, allowed = self._try(lease)
            if verdict == 1:
                self._leases().append(lease)
                return
            if verdict == -1:
                raise ReserveReached(self.system, used, allowed, self.reserve)
            self._sleep(BUSY_WAIT)

    @_redis_errors("taking a call")
    def _try(self, lease: str) -> tuple[int, int, int]:
        verdict, used, allowed = self._daily(
            keys=[self.count_key, self.flight_key],
            args=[1.0 - self.reserve, self.concurrent, lease, LEASE_SECONDS * 1000])
        return int(verdict), max(int(used), 0), max(int(allowed), 0)

    def release(self) -> None:
        """The call was answered; Redis away: its lease lapses by itself (as the window's)."""
        leases = self._leases()
        if not leases:
            return
        try:
            self.client.zrem(self.flight_key, leases.pop())
        except redis.exceptions.RedisError as exc:
            log.warning("shared_budget_release_failed", redis=self.shown, error=str(exc),
                        lapses_in_seconds=LEASE_SECONDS)

    @_redis_errors("recording the org's count")
    def observe(self, used: int, allowed: int) -> None:
        """The org's count as Salesforce reports it (``Sforce-Limit-Info``), for every
        worker: the latest answer's is the freshest."""
        with self.client.pipeline() as pipe:
            pipe.hset(self.count_key, mapping={"used": used, "allowed": allowed})
            pipe.expire(self.count_key, DAY_SECONDS)
            pipe.execute()

    def pause(self, seconds: float) -> None:
        """A spent daily allowance does not come back by waiting: nothing to hold."""

    def _leases(self) -> list[str]:
        if not hasattr(self._mine, "leases"):
            self._mine.leases = []
        leases: list[str] = self._mine.leases
        return leases


class RedisBudgets:
    """``connector.budget.Budgets`` kept in the Redis server at ``url``."""

    def __init__(self, url: str, shown: str) -> None:
        self.client = redis.Redis.from_url(url, socket_timeout=10, socket_connect_timeout=5,
                                           health_check_interval=30)
        self.shown = shown

    def window(self, account: str, name: str, limit: int, seconds: float) -> SharedWindow:
        return SharedWindow(self.client, self.shown, f"{PREFIX}:{account}:{name}", limit,
                            seconds)

    def daily(self, account: str, reserve: float, system: str) -> SharedDaily:
        return SharedDaily(self.client, self.shown, f"{PREFIX}:{account}:daily", reserve,
                           system)


@cache
def _redis_budgets(url: str, shown: str) -> RedisBudgets:
    return RedisBudgets(url, shown)  # one connection pool per server and process


def budgets_for(config: Config) -> Budgets:
    """Shared budgets when the config has ``[scale]``, else this process's own."""
    if config.scale is None:
        return LocalBudgets()
    return _redis_budgets(config.scale.redis_url, config.scale.redacted_url)
