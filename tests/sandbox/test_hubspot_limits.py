"""HubSpot's request limits: the rolling ten-second window, the search per-second limit, the
rate-limit headers, and the emulator's throttle and outage answers."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from hubspot import HubSpot
from hubspot.crm.contacts import ApiException, PublicObjectSearchRequest

from leadsync.sandbox.server import Sandbox
from tests.conftest import hubspot_client


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def slow_portal(make_sandbox: Callable[..., Sandbox]) -> tuple[Sandbox, FakeClock]:
    sandbox = make_sandbox(rate_limit=5)
    clock = FakeClock()
    sandbox.hubspot.limits.clock = clock
    return sandbox, clock


def throttled(hs: HubSpot) -> ApiException:
    with pytest.raises(ApiException) as caught:
        hs.crm.contacts.basic_api.get_page()
    return caught.value


def test_the_request_past_the_ten_second_limit_is_429_ten_secondly_rolling(
        slow_portal: tuple[Sandbox, FakeClock]) -> None:
    sandbox, _ = slow_portal
    hs = hubspot_client(sandbox)
    for _ in range(5):
        hs.crm.contacts.basic_api.get_page()

    refused = throttled(hs)

    body = json.loads(refused.body)
    assert refused.status == 429
    assert body["status"] == "error" and body["errorType"] == "RATE_LIMIT"
    assert body["message"] == "You have reached your ten_secondly_rolling limit."
    assert body["policyName"] == "TEN_SECONDLY_ROLLING" and body["groupName"]
    assert len(body["correlationId"]) == 36
    assert refused.headers["X-HubSpot-RateLimit-Remaining"] == "0"
    assert refused.headers["X-HubSpot-RateLimit-Max"] == "5"


def test_the_window_rolls_requests_older_than_ten_seconds_free_again(
        slow_portal: tuple[Sandbox, FakeClock]) -> None:
    sandbox, clock = slow_portal
    hs = hubspot_client(sandbox)
    for step in range(5):
        clock.now += 2.0 if step else 0.0
        hs.crm.contacts.basic_api.get_page()
    assert throttled(hs).status == 429

    clock.now += 2.001  # the first request is now more than ten seconds old
    hs.crm.contacts.basic_api.get_page()
    assert throttled(hs).status == 429
    clock.now += 10.0
    hs.crm.contacts.basic_api.get_page()


def test_every_answer_carries_the_rate_limit_headers(
        slow_portal: tuple[Sandbox, FakeClock], ) -> None:
    sandbox, _ = slow_portal
    hs = hubspot_client(sandbox)

    _, status, headers = hs.crm.contacts.basic_api.get_page_with_http_info()

    assert status == 200
    assert headers["X-HubSpot-RateLimit-Interval-Milliseconds"] == "10000"
    assert headers["X-HubSpot-RateLimit-Max"] == "5"
    assert headers["X-HubSpot-RateLimit-Remaining"] == "4"
    assert int(headers["X-HubSpot-RateLimit-Daily"]) > 0
    assert int(headers["X-HubSpot-RateLimit-Daily-Remaining"]) == int(
        headers["X-HubSpot-RateLimit-Daily"]) - 1


def test_the_sixth_search_in_a_second_is_429_secondly(make_sandbox: Callable[..., Sandbox],
                                                      ) -> None:
    sandbox = make_sandbox()
    clock = FakeClock()
    sandbox.hubspot.limits.clock = clock
    hs = hubspot_client(sandbox)
    search = hs.crm.contacts.search_api.do_search
    for _ in range(5):
        search(PublicObjectSearchRequest())
    hs.crm.contacts.basic_api.get_page()  # other endpoints are not held to it

    with pytest.raises(ApiException) as caught:
        search(PublicObjectSearchRequest())
    clock.now += 1.0
    search(PublicObjectSearchRequest())

    body = json.loads(caught.value.body)
    assert caught.value.status == 429
    assert body["policyName"] == "SECONDLY" and body["errorType"] == "RATE_LIMIT"


def test_the_search_limit_is_a_setting_and_holds_searches_only(
        make_sandbox: Callable[..., Sandbox]) -> None:
    sandbox = make_sandbox(search_rate=2)
    clock = FakeClock()
    sandbox.hubspot.limits.clock = clock
    hs = hubspot_client(sandbox)
    search = hs.crm.contacts.search_api.do_search
    search(PublicObjectSearchRequest())
    clock.now += 0.5
    search(PublicObjectSearchRequest())

    with pytest.raises(ApiException) as caught:
        search(PublicObjectSearchRequest())
    clock.now += 0.6  # the first search is now more than a second old
    search(PublicObjectSearchRequest())

    body = json.loads(caught.value.body)
    assert caught.value.status == 429
    assert body["message"] == "You have reached your secondly limit."
    assert body["policyName"] == "SECONDLY" and len(body["correlationId"]) == 36
    assert caught.value.headers["X-HubSpot-RateLimit-Max"] == "190"
    assert int(caught.value.headers["X-HubSpot-RateLimit-Remaining"]) == 190 - 2


def test_throttle_and_unavailable_answers_are_hubspot_shaped(sandbox: Sandbox) -> None:
    throttle = sandbox.hubspot.throttle_response()
    down = sandbox.hubspot.unavailable_response()

    assert throttle.status_code == 429
    assert json.loads(throttle.get_data())["policyName"] == "TEN_SECONDLY_ROLLING"
    assert "X-HubSpot-RateLimit-Max" in throttle.headers
    assert down.status_code == 503 and json.loads(down.get_data())["status"] == "error"
