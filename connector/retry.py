"""The one retry policy: exponential backoff with jitter, honouring the vendor's Retry-After.

Only ``TransientError`` is retried. A ``RateLimited`` error that names a wait is waited for
exactly that long (plus a little jitter); others back off exponentially.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any, TypeVar

from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    stop_after_delay,
)

from leadsync.connector.errors import TransientError

T = TypeVar("T")


class RetryPolicy:
    """Retry transient failures up to ``attempts`` times or ``max_seconds`` in all."""

    def __init__(self, attempts: int = 6, initial: float = 0.5, maximum: float = 30.0,
                 max_seconds: float = 300.0, sleep: Callable[[float], None] | None = None) -> None:
        self.attempts, self.max_seconds = attempts, max_seconds
        self.initial, self.maximum = initial, maximum
        self._sleep = sleep

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, TransientError) and exc.retry_after is not None:
            return exc.retry_after + random.uniform(0, 0.25)
        backoff = min(self.maximum, self.initial * 2.0 ** (state.attempt_number - 1))
        return backoff + random.uniform(0, self.initial)

    def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        options: dict[str, Any] = {}
        if self._sleep is not None:
            options["sleep"] = self._sleep
        retrying = Retrying(
            retry=retry_if_exception_type(TransientError),
            wait=self._wait,
            stop=stop_after_attempt(self.attempts) | stop_after_delay(self.max_seconds),
            reraise=True,
            **options,
        )
        return retrying(fn, *args, **kwargs)
