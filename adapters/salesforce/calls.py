"""The one way LeadSync calls Salesforce: budget, retry, counting and SOQL paging, for the
Lead adapter and its activities alike.

Every call asks the daily budget first, goes through the retry policy and is counted; the
``Sforce-Limit-Info`` usage simple-salesforce reads from each answer feeds the budget back.
Before a call would use the daily reserve kept for the org's other integrations, and when
Salesforce answers that the daily allowance is spent, the call raises ``ReserveReached``: never
retried. Failures are translated by the error table in ``errors``; ``retries`` counts retries.

Several threads may call at once (``connector.deliver`` sends a page's batches in parallel, at
most ``max_parallel``, well under the 25 long-running requests Salesforce lets an org run at
once): the counters take a lock, and the daily budget counts the calls in flight. The client's
``requests.Session`` is shared, as requests allows for sending: its connection pool (10 per
host) is thread-safe, and simple-salesforce keeps no per-call state on the client but the last
``Sforce-Limit-Info`` it read (``api_usage``), which is read here right after each call.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from simple_salesforce import Salesforce

from leadsync.adapters.salesforce.errors import daily_limit_spent, translate
from leadsync.connector.budget import CallBudget, DailyBudget
from leadsync.connector.errors import ReserveReached, Unreachable
from leadsync.connector.retry import RetryPolicy

T = TypeVar("T")


class SalesforceCalls:
    """One org's client behind its daily budget and the retry policy; ``made`` counts calls."""

    def __init__(self, client: Salesforce, retry: RetryPolicy | None = None,
                 daily_budget: CallBudget | None = None, name: str = "",
                 max_parallel: int = 1) -> None:
        self.client, self.name = client, name  # name: the [systems.<name>] table
        self.retry = retry or RetryPolicy()
        self.daily_budget: CallBudget = daily_budget or DailyBudget(share=1.0)
        self.max_parallel = max_parallel  # write calls in flight at once
        self.made = self.retries = 0
        self.reported: tuple[int, int] | None = None  # the last Sforce-Limit-Info: used, max
        self.answered = False  # Salesforce answered a call: an unreachable host is retried long
        self._counting = threading.Lock()

    def __call__(self, what: str, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        return self.retry.run("Salesforce", what, lambda: self.once(what, fn, *args, **kwargs),
                              self.count_retry)

    def once(self, what: str, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """One attempt, budgeted, counted and translated but not retried: for a create whose
        retry must first look for what an attempt with a lost answer made."""
        self.daily_budget.acquire()
        with self._counting:
            self.made += 1
        try:
            answer = fn(*args, **kwargs)
        except Exception as exc:
            if daily_limit_spent(exc):
                raise self._reserve_reached() from exc
            error = translate(exc, what, self.name)
            if isinstance(error, Unreachable):
                error.first = not self.answered
            else:
                self.answered = True  # an error answer comes from the host too
            raise error from exc
        else:
            self.answered = True
            return answer
        finally:
            self._observe_usage()
            self.daily_budget.release()

    def count_retry(self) -> None:
        with self._counting:
            self.retries += 1

    def _reserve_reached(self) -> ReserveReached:
        """Salesforce itself said the allowance is spent: the whole of it, reserve included."""
        if isinstance(self.daily_budget, DailyBudget):
            return self.daily_budget.reached()
        usage = (getattr(self.client, "api_usage", None) or {}).get("api-usage")
        used, allowed = (usage.used, usage.total) if usage is not None else (0, 0)
        return ReserveReached("Salesforce", used, allowed, 0.0)

    def _observe_usage(self) -> None:
        usage = (getattr(self.client, "api_usage", None) or {}).get("api-usage")
        if usage is not None:
            self.reported = (usage.used, usage.total)
            self.daily_budget.observe(usage.used, usage.total)

    def budget(self) -> dict[str, float]:
        """The org's daily API use as its last answer reported it (``System.budget``), and
        the share of it kept for the org's other integrations."""
        if self.reported is None:
            return {}
        used, allowed = self.reported
        found: dict[str, float] = {"daily_limit": allowed, "daily_used": used,
                                   "daily_left": max(allowed - used, 0)}
        if isinstance(self.daily_budget, DailyBudget):
            found["daily_reserve"] = round(self.daily_budget.reserve, 6)
        return found

    def query(self, soql: str, include_deleted: bool = False
              ) -> Iterator[list[dict[str, Any]]]:
        """The rows of a SOQL query, a page at a time, following ``nextRecordsUrl``."""
        page = self("query", self.client.query, soql, include_deleted=include_deleted)
        while True:
            yield page["records"]
            if page.get("done", True) or not page.get("nextRecordsUrl"):
                return
            page = self("query", self.client.query_more, page["nextRecordsUrl"],
                        identifier_is_url=True)
