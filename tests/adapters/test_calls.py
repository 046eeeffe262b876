"""The adapters' call helpers under callers in parallel: one budget each system shares, a 429
that holds every caller, counters that add up. HTTP is faked as HubSpot documents it; no test
sleeps for real."""

from __future__ import annotations

import threading
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest
from hubspot import HubSpot
from simple_salesforce import Salesforce

from leadsync.adapters.hubspot.calls import HubSpotCalls
from leadsync.adapters.salesforce.calls import SalesforceCalls
from leadsync.connector.budget import DailyBudget, RollingWindow
from leadsync.connector.errors import RateLimited, TransientError
from leadsync.connector.retry import RetryPolicy
from tests.adapters.test_hubspot_system import (
    CONTACTS,
    RATE_LIMITED,
    SEARCH,
    FakeHubSpotHttp,
    FakeTime,
)

SEARCH_LIMITED = (429, {**RATE_LIMITED[1], "message": "You have reached your secondly limit.",
                        "policyName": "SECONDLY"}, {})
PAGE = (200, {"results": []}, {})


@pytest.fixture
def time() -> FakeTime:
    return FakeTime()


def hubspot_calls(http: FakeHubSpotHttp, time: FakeTime) -> HubSpotCalls:
    return HubSpotCalls(http.client(), RetryPolicy(attempts=1),
                        window=RollingWindow(180, 10.0, clock=time.clock, sleep=time.sleep),
                        search_window=RollingWindow(4, 1.0, clock=time.clock, sleep=time.sleep))


def list_contacts(calls: HubSpotCalls) -> Any:
    return calls.once("list", calls.client.crm.contacts.basic_api.get_page, limit=10)


def search(calls: HubSpotCalls) -> Any:
    return calls.once("search", calls.client.crm.contacts.search_api.do_search,
                      public_object_search_request={"filterGroups": [], "limit": 10},
                      search=True)


def test_a_429_with_retry_after_holds_every_caller_of_the_portal_for_that_long(
        time: FakeTime) -> None:
    http = FakeHubSpotHttp(time.clock)
    http.on("GET", CONTACTS, (429, RATE_LIMITED[1], {"Retry-After": "3"}), PAGE)
    calls = hubspot_calls(http, time)

    with pytest.raises(RateLimited):
        list_contacts(calls)
    list_contacts(calls)  # another caller, which HubSpot did not refuse, waits too

    assert time.slept == [3.0]
    assert [r.at for r in http.requests] == [0.0, 3.0]
    assert (calls.made, calls.throttled) == (2, 1)


def test_a_429_that_names_no_wait_holds_every_caller_for_a_second(time: FakeTime) -> None:
    http = FakeHubSpotHttp(time.clock)
    http.on("GET", CONTACTS, RATE_LIMITED, PAGE)
    calls = hubspot_calls(http, time)

    with pytest.raises(RateLimited):
        list_contacts(calls)
    list_contacts(calls)

    assert time.slept == [1.0]


def test_a_429_from_the_search_limit_holds_searches_only(time: FakeTime) -> None:
    http = FakeHubSpotHttp(time.clock)
    http.on("POST", SEARCH, SEARCH_LIMITED, (200, {"total": 0, "results": []}, {}))
    http.on("GET", CONTACTS, PAGE)
    calls = hubspot_calls(http, time)

    with pytest.raises(RateLimited):
        search(calls)
    list_contacts(calls)
    assert time.slept == []  # other calls go on
    search(calls)
    assert time.slept == [1.0]


def test_retried_429s_pace_the_retry_and_the_shared_window_alike(time: FakeTime) -> None:
    http = FakeHubSpotHttp(time.clock)
    http.on("GET", CONTACTS, (429, RATE_LIMITED[1], {"Retry-After": "2"}), PAGE)
    calls = hubspot_calls(http, time)
    waits: list[float] = []
    calls.retry = RetryPolicy(attempts=3, sleep=waits.append)

    calls("list", calls.client.crm.contacts.basic_api.get_page, limit=10)

    assert len(waits) == 1 and 2.0 <= waits[0] <= 2.25  # the retry policy: Retry-After
    assert [r.at for r in http.requests] == [0.0, 2.0]  # and the window agrees
    assert (calls.made, calls.retries, calls.throttled) == (2, 1, 1)


def in_threads(work: Callable[[], None], threads: int = 8) -> None:
    started = [threading.Thread(target=work) for _ in range(threads)]
    for thread in started:
        thread.start()
    for thread in started:
        thread.join()


def test_hubspot_counters_add_up_across_threads() -> None:
    calls = HubSpotCalls(HubSpot(access_token="pat-na1-test"), RetryPolicy(attempts=1),
                         window=RollingWindow(10_000, 10.0))
    answer = SimpleNamespace(data=b"{}")

    def work() -> None:
        for _ in range(300):
            calls.once("read", lambda **_: answer)
            calls.count_retry()

    in_threads(work)

    assert (calls.made, calls.retries) == (2400, 2400)


class Usage:
    def __init__(self) -> None:
        self.used, self.total = 0, 1_000_000


def test_salesforce_counters_add_up_and_every_call_leaves_the_daily_budget() -> None:
    usage = Usage()
    client = Salesforce(instance_url="https://acme.my.salesforce.com", session_id="00D-test")
    client.api_usage = {"api-usage": usage}
    budget = DailyBudget(share=0.8)
    calls = SalesforceCalls(client, RetryPolicy(attempts=1), daily_budget=budget)

    def answer() -> str:
        usage.used += 1
        return "ok"

    def fail() -> str:
        raise TransientError("Salesforce update: HTTP 503")

    def work() -> None:
        for n in range(300):
            try:
                calls.once("update", answer if n % 3 else fail)
            except TransientError:
                calls.count_retry()

    in_threads(work)

    assert (calls.made, calls.retries) == (2400, 800)
    assert budget.in_flight == 0
