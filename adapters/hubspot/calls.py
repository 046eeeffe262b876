"""The one way LeadSync calls HubSpot: budgets, retry, counting and paging, for the contacts
adapter, its activities and its lists alike.

Calls are paced by a rolling 10-second budget (and searches by the search budget) before
HubSpot has to answer 429; every call goes through the retry policy and is counted; failures
are translated by the error table in ``errors``; ``retries`` counts retries.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

from hubspot import HubSpot

from leadsync.adapters.hubspot.errors import translate
from leadsync.connector.budget import CallBudget, RollingWindow
from leadsync.connector.retry import RetryPolicy


class HubSpotCalls:
    """One portal's client behind its budgets and the retry policy; ``made`` counts calls."""

    def __init__(self, client: HubSpot, retry: RetryPolicy | None = None,
                 window: CallBudget | None = None, search_window: CallBudget | None = None,
                 timeout: float | None = None, name: str = "") -> None:
        self.client, self.timeout = client, timeout
        self.name = name  # the [systems.<name>] table
        self.retry = retry or RetryPolicy()
        self.window: CallBudget = window or RollingWindow(150, 10.0)
        self.search_window: CallBudget = search_window or RollingWindow(4, 1.0)
        self.made = self.retries = 0

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
        if search:
            self.search_window.acquire()
        self.window.acquire()
        self.made += 1
        try:
            response = fn(*args, **kwargs)
        except Exception as exc:
            raise translate(exc, what, self.name) from exc
        data = response.data
        return json.loads(data) if data else {}

    def count_retry(self) -> None:
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


def next_after(answer: dict[str, Any]) -> str | None:
    after = ((answer.get("paging") or {}).get("next") or {}).get("after")
    return str(after) if after is not None else None
