"""The one retry policy: exponential backoff with jitter, honouring the vendor's Retry-After.

Only ``TransientError`` is retried. A ``RateLimited`` error that names a wait is waited for
exactly that long (plus a little jitter); others back off exponentially. ``RetryPolicy.run``
logs each retry (vendor, call, attempt, wait) and tells the caller, which counts it for the run
summary.

A host that could not be reached on the first call made to it (``Unreachable`` with
``first``: refused, host name not found, no answer to connect) is retried a few times within a
few seconds only: that is a wrong host name or port, or a service that is down, and an admin
running the command wants to hear so at once, not after the minutes of backoff a vendor in
trouble deserves.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any, TypeVar

import structlog
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    stop_after_delay,
    stop_any,
)
from tenacity.stop import stop_base

from leadsync.connector.errors import TransientError, Unreachable

T = TypeVar("T")

log = structlog.get_logger("leadsync.retry")


class _FirstContactFailed(stop_base):
    """Stop retrying a host never reached after ``attempts``, or ``seconds`` in all."""

    def __init__(self, attempts: int, seconds: float) -> None:
        self.attempts, self.seconds = attempts, seconds

    def __call__(self, state: RetryCallState) -> bool:
        exc = state.outcome.exception() if state.outcome else None
        if not isinstance(exc, Unreachable) or not exc.first:
            return False
        elapsed = state.seconds_since_start or 0.0
        return state.attempt_number >= self.attempts or elapsed >= self.seconds


class RetryPolicy:
    """Retry transient failures up to ``attempts`` times or ``max_seconds`` in all."""

    def __init__(self, attempts: int = 6, initial: float = 0.5, maximum: float = 30.0,
                 max_seconds: float = 300.0, sleep: Callable[[float], None] | None = None,
                 first_contact_attempts: int = 3, first_contact_seconds: float = 10.0) -> None:
        self.attempts, self.max_seconds = attempts, max_seconds
        self.initial, self.maximum = initial, maximum
        # a host never reached: this many attempts at most, none begun after this many seconds
        self.first_contact_attempts = first_contact_attempts
        self.first_contact_seconds = first_contact_seconds
        self._sleep = sleep

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, TransientError) and exc.retry_after is not None:
            return exc.retry_after + random.uniform(0, 0.25)
        backoff = min(self.maximum, self.initial * 2.0 ** (state.attempt_number - 1))
        return backoff + random.uniform(0, self.initial)

    def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        return self._retrying()(fn, *args, **kwargs)

    def _retrying(self, before_sleep: Callable[[RetryCallState], None] | None = None
                  ) -> Retrying:
        options: dict[str, Any] = {}
        if self._sleep is not None:
            options["sleep"] = self._sleep
        if before_sleep is not None:
            options["before_sleep"] = before_sleep
        return Retrying(
            retry=retry_if_exception_type(TransientError),
            wait=self._wait,
            stop=stop_any(stop_after_attempt(self.attempts), stop_after_delay(self.max_seconds),
                          _FirstContactFailed(self.first_contact_attempts,
                                              self.first_contact_seconds)),
            reraise=True,
            **options,
        )

    def run(self, vendor: str, what: str, fn: Callable[[], T],
            on_retry: Callable[[], None] | None = None) -> T:
        """``fn()`` under the policy; each retry is logged and reported to ``on_retry``."""
        def before_sleep(state: RetryCallState) -> None:
            exc = state.outcome.exception() if state.outcome else None
            wait = state.next_action.sleep if state.next_action else 0.0
            log.warning("retrying", vendor=vendor, call=what, attempt=state.attempt_number,
                        wait=round(wait, 2), error=str(exc))
            if on_retry is not None:
                on_retry()

        return self._retrying(before_sleep)(fn)
