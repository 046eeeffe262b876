"""The one way LeadSync calls HubSpot: budgets, retry, counting and paging, for the contacts
adapter, its activities and its lists alike.

Calls are paced by a rolling 10-second budget (and searches by the search budget) before
HubSpot has to answer 429: by default the limits HubSpot documents for private apps on
Professional and Enterprise portals (190 calls per 10 s, 5 searches per second), used whole,
each call holding its place until a window after its answer (``connector.budget``), so that
no latency can put more than the limit in one of HubSpot's windows; ``[systems.<name>]
rate_margin`` stays below them, for other tools on the same private app. Every call goes
through the retry policy and is
counted; failures are translated by the error table in ``errors``; ``retries`` counts retries.

Several threads may call at once (``connector.deliver`` sends a page's batches in parallel, at
most ``max_parallel``), all under the same budgets: the counters take a lock, and a 429 pauses
the budget it ran into for every caller (``Retry-After`` when HubSpot sends one), so callers
in parallel back off together. The vendor client is safe to share: its API objects (built once,
``apis.reusing``) send through one urllib3 ``PoolManager``, which is thread-safe and keeps a
connection for each call in flight (``connection_pool_maxsize``, set by the descriptor); an
``ApiClient`` keeps nothing of a call but ``last_response``, which LeadSync never reads.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import orjson

from leadsync.adapters.hubspot.errors import body_of, translate
from leadsync.connector.budget import CallBudget, RollingWindow, rate_limit
from leadsync.connector.errors import RateLimited, Unreachable
from leadsync.connector.retry import RetryPolicy

if TYPE_CHECKING:  # the SDK is imported where a client is made; settings read the limits here
    from hubspot import HubSpot

BURST_LIMIT = 190  # private apps, Professional and Enterprise portals: calls per rolling 10 s
BURST_SECONDS = 10.0
SEARCH_LIMIT = 5  # CRM search: requests per second
RATE_MARGIN = 0.0  # how far below the documented limits LeadSync stays, by default
PAUSE_WITHOUT_RETRY_AFTER = 1.0  # seconds every caller waits after a 429 that names no wait
SEARCH_POLICY = "SECONDLY"  # the policyName of a 429 from the search limit


class HubSpotCalls:
    """One portal's client behind its budgets and the retry policy; ``made`` counts calls,
    ``throttled`` the 429 answers among them."""

    def __init__(self, client: HubSpot, retry: RetryPolicy | None = None,
                 window: CallBudget | None = None, search_window: CallBudget | None = None,
                 timeout: float | None = None, name: str = "", max_parallel: int = 1) -> None:
        self.client, self.timeout = client, timeout
        self.name = name  # the [systems.<name>] table
        self.retry = retry or RetryPolicy()
        self.window: CallBudget = window or RollingWindow(
            rate_limit(BURST_LIMIT, RATE_MARGIN), BURST_SECONDS)
        self.search_window: CallBudget = search_window or RollingWindow(
            rate_limit(SEARCH_LIMIT, RATE_MARGIN), 1.0)
        self.max_parallel = max_parallel  # write calls in flight at once
        self.made = self.retries = self.throttled = 0
        self.reported: dict[str, float] = {}  # the last rate-limit headers, as ``budget`` says
        self.answered = False  # HubSpot answered a call: an unreachable host is then retried long
        self._counting = threading.Lock()

    def __call__(self, what: str, fn: Callable[..., Any], *args: Any, search: bool = False,
                 **kwargs: Any) -> Any:
        """Call the client through the budgets and the retry policy; the JSON body, parsed.

        The client's own model parsing is skipped (``_preload_content=False``): it costs more
        than the rest of a sync pass, mostly parsing dates LeadSync reads as text anyway.
        """
        return self.retry.run("HubSpot", what,
                              lambda: self.once(what, fn, *args, search=search, **kwargs),
                              self.count_retry)

    def once(self, what: str, fn: Callable[..., Any], *args: Any, search: bool = False,
             **kwargs: Any) -> Any:
        """One attempt, budgeted, counted and translated but not retried: for a create whose
        retry must first look for what an attempt with a lost answer made."""
        kwargs["_preload_content"] = False
        if self.timeout is not None:
            kwargs["_request_timeout"] = self.timeout
        budgets = [self.search_window, self.window] if search else [self.window]
        for taken, budget in enumerate(budgets):
            try:
                budget.acquire()
            except BaseException:
                for held in budgets[:taken]:
                    held.release()
                raise
        with self._counting:
            self.made += 1
        try:
            response = fn(*args, **kwargs)
        except Exception as exc:
            error = translate(exc, what, self.name)
            if isinstance(error, RateLimited):
                self._throttled(exc, error, search)
            if isinstance(error, Unreachable):
                error.first = not self.answered
            else:
                self.answered = True  # an error answer comes from the host too
            raise error from exc
        finally:
            for budget in budgets:
                budget.release()
        self.answered = True
        self._observe(response)
        data = response.data
        return _parsed(data) if data else {}

    def _observe(self, response: Any) -> None:
        """Feed the window what HubSpot says it counted (``X-HubSpot-RateLimit-Max`` and
        ``-Remaining``, on private-app answers): calls another process made count too. The
        daily allowance (``X-HubSpot-RateLimit-Daily`` and ``-Daily-Remaining``, which HubSpot
        sends to private apps but not to OAuth apps, which have none) is kept for ``budget``."""
        headers = getattr(response, "headers", None) or {}
        reported: dict[str, float] = {
            key: number for key, header in _BUDGET_HEADERS.items()
            if (number := _whole(headers.get(header))) is not None}
        if "daily_limit" in reported and "daily_left" in reported:
            reported["daily_used"] = max(reported["daily_limit"] - reported["daily_left"], 0)
        if "window_ms" in reported:
            reported["window_seconds"] = reported.pop("window_ms") / 1000
        if reported:
            with self._counting:
                self.reported = {**self.reported, **reported}
        if "window_limit" in reported and "window_left" in reported:
            most, left = int(reported["window_limit"]), int(reported["window_left"])
            self.window.observe(most - left, most)

    def budget(self) -> dict[str, float]:
        """The portal's allowance as its last answer reported it (``System.budget``)."""
        with self._counting:
            return dict(self.reported)

    def _throttled(self, exc: Exception, error: RateLimited, search: bool) -> None:
        """HubSpot answered 429: the budget it ran into waits, for every caller."""
        with self._counting:
            self.throttled += 1
        wait = error.retry_after if error.retry_after is not None else PAUSE_WITHOUT_RETRY_AFTER
        secondly = search and body_of(exc).get("policyName") == SEARCH_POLICY
        (self.search_window if secondly else self.window).pause(wait)

    def count_retry(self) -> None:
        with self._counting:
            self.retries += 1

    def pages(self, what: str, fn: Callable[..., Any], **kwargs: Any
              ) -> Iterator[dict[str, Any]]:
        """Every page of a GET that pages with ``after`` (``paging.next.after``)."""
        after: str | None = None
        while True:
            paged = {**kwargs, **({"after": after} if after else {})}
            answer = self(what, fn, **paged)
            yield answer
            after = next_after(answer)
            if not after:
                return


_BUDGET_HEADERS = {"daily_limit": "X-HubSpot-RateLimit-Daily",
                   "daily_left": "X-HubSpot-RateLimit-Daily-Remaining",
                   "window_limit": "X-HubSpot-RateLimit-Max",
                   "window_left": "X-HubSpot-RateLimit-Remaining",
                   "window_ms": "X-HubSpot-RateLimit-Interval-Milliseconds"}


def _whole(value: object) -> int | None:
    try:
        return int(str(value))
    except ValueError:
        return None


def next_after(answer: dict[str, Any]) -> str | None:
    after = ((answer.get("paging") or {}).get("next") or {}).get("after")
    return str(after) if after is not None else None


def _parsed(data: bytes) -> Any:
    """An answer's JSON: orjson (a batch's answer holds every record's properties), the
    standard library for what orjson refuses (an integer past 64 bits), which raises as
    before on what is not JSON."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return json.loads(data)
