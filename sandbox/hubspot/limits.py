"""HubSpot's request limits: a rolling ten-second burst window, the search endpoints' per-second
limit and a daily allowance, all per portal.

The clock is a plain callable returning seconds, so tests can move time by hand instead of
sleeping: ``portal.limits.clock = lambda: t``.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable

from werkzeug.wrappers import Response

from leadsync.sandbox.http import json_response
from leadsync.sandbox.hubspot.errors import correlation_id

Clock = Callable[[], float]

BURST_WINDOW_SECONDS = 10.0
SEARCH_PER_SECOND = 5
DAILY_LIMIT = 650_000  # a Professional portal's private-app allowance


class RollingWindow:
    """At most ``limit`` requests in any ``seconds``-long stretch of time."""

    def __init__(self, limit: int, seconds: float) -> None:
        self.limit, self.seconds = limit, seconds
        self._hits: deque[float] = deque()

    def remaining(self, now: float) -> int:
        while self._hits and self._hits[0] <= now - self.seconds:
            self._hits.popleft()
        return max(self.limit - len(self._hits), 0)

    def take(self, now: float) -> bool:
        if not self.remaining(now):
            return False
        self._hits.append(now)
        return True


class RateLimits:
    """Every request takes from the burst window and the day; searches also from the second."""

    def __init__(self, burst_limit: int, daily_limit: int = DAILY_LIMIT,
                 clock: Clock = time.time, group_name: str = "publicapi:private-app",
                 search_limit: int = SEARCH_PER_SECOND) -> None:
        self.clock, self.group_name = clock, group_name
        self.burst = RollingWindow(burst_limit, BURST_WINDOW_SECONDS)
        self.search = RollingWindow(search_limit, 1.0)
        self.daily_limit = daily_limit
        self._day, self._used_today = -1, 0

    def admit(self, is_search: bool) -> Response | None:
        """Count the request, or answer it with the 429 of the limit it ran into."""
        now = self.clock()
        self._roll_day(now)
        if self._used_today >= self.daily_limit:
            return self.refusal("DAILY", "You have reached your daily limit.")
        if not self.burst.remaining(now):
            return self.refusal("TEN_SECONDLY_ROLLING",
                                "You have reached your ten_secondly_rolling limit.")
        if is_search and not self.search.take(now):
            return self.refusal("SECONDLY", "You have reached your secondly limit.")
        self.burst.take(now)
        self._used_today += 1
        return None

    def headers(self) -> dict[str, str]:
        """The rate-limit headers HubSpot puts on responses to private-app requests."""
        now = self.clock()
        self._roll_day(now)
        return {
            "X-HubSpot-RateLimit-Daily": str(self.daily_limit),
            "X-HubSpot-RateLimit-Daily-Remaining": str(self.daily_limit - self._used_today),
            "X-HubSpot-RateLimit-Interval-Milliseconds": str(int(BURST_WINDOW_SECONDS * 1000)),
            "X-HubSpot-RateLimit-Max": str(self.burst.limit),
            "X-HubSpot-RateLimit-Remaining": str(self.burst.remaining(now)),
        }

    def refusal(self, policy: str, message: str) -> Response:
        body = {"status": "error", "message": message, "errorType": "RATE_LIMIT",
                "correlationId": correlation_id(), "policyName": policy,
                "groupName": self.group_name}
        return json_response(body, status=429, headers=self.headers())

    def _roll_day(self, now: float) -> None:
        day = int(now // 86_400)
        if day != self._day:
            self._day, self._used_today = day, 0
