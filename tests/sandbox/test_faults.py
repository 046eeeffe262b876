"""Fault injection: a fraction of requests is answered as each vendor does under trouble."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable

import requests

from leadsync.adapters.transport import ca_session
from leadsync.sandbox.server import Sandbox


def outcome(session: requests.Session, url: str) -> str:
    try:
        response = session.get(url, timeout=10)
    except requests.ConnectionError:
        return "dropped"
    return str(response.status_code)


def test_full_fault_rate_answers_every_request_with_vendor_trouble(
        make_sandbox: Callable[..., Sandbox]) -> None:
    sandbox = make_sandbox(faults=1.0, random_seed=7)
    info = sandbox.info
    sf = ca_session(info["ca_bundle"])
    sf.headers["Authorization"] = f"Bearer {info['salesforce']['session_id']}"
    hs = ca_session(info["ca_bundle"])
    hs.headers["Authorization"] = f"Bearer {info['hubspot']['access_token']}"
    sf_url = f"{info['salesforce']['instance_url']}/services/data/v59.0/limits/"
    hs_url = f"{info['hubspot']['host']}/crm/v3/objects/contacts"

    sf_seen = Counter(outcome(sf, sf_url) for _ in range(40))
    hs_seen = Counter(outcome(hs, hs_url) for _ in range(40))

    assert set(sf_seen) == {"403", "503", "dropped"}
    assert set(hs_seen) == {"429", "503", "dropped"}


def test_salesforce_throttle_fault_has_the_documented_limit_body(
        make_sandbox: Callable[..., Sandbox]) -> None:
    sandbox = make_sandbox(faults=1.0, random_seed=3)
    info = sandbox.info
    session = ca_session(info["ca_bundle"])
    url = f"{info['salesforce']['instance_url']}/services/data/v59.0/limits/"
    for _ in range(30):
        try:
            response = session.get(url, timeout=10)
        except requests.ConnectionError:
            continue
        if response.status_code == 403:
            assert response.json()[0]["errorCode"] == "REQUEST_LIMIT_EXCEEDED"
            return
    raise AssertionError("no throttle fault in 30 requests")


def test_hubspot_throttle_fault_has_the_documented_rate_limit_body(
        make_sandbox: Callable[..., Sandbox]) -> None:
    sandbox = make_sandbox(faults=1.0, random_seed=3)
    info = sandbox.info
    session = ca_session(info["ca_bundle"])
    url = f"{info['hubspot']['host']}/crm/v3/objects/contacts"
    for _ in range(30):
        try:
            response = session.get(url, timeout=10)
        except requests.ConnectionError:
            continue
        if response.status_code == 429:
            body = response.json()
            assert body["errorType"] == "RATE_LIMIT"
            assert body["policyName"] == "TEN_SECONDLY_ROLLING"
            return
    raise AssertionError("no throttle fault in 30 requests")


def test_no_faults_by_default(sf_http: requests.Session, sandbox: Sandbox) -> None:
    url = f"{sandbox.info['salesforce']['instance_url']}/services/data/v59.0/limits/"
    assert all(sf_http.get(url, timeout=10).status_code == 200 for _ in range(20))


def test_latency_delays_each_request(make_sandbox: Callable[..., Sandbox]) -> None:
    sandbox = make_sandbox(latency_ms=150)
    info = sandbox.info
    session = ca_session(info["ca_bundle"])
    session.headers["Authorization"] = f"Bearer {info['salesforce']['session_id']}"
    url = f"{info['salesforce']['instance_url']}/services/data/v59.0/limits/"
    session.get(url, timeout=10)  # connection set up outside the measured call
    started = time.perf_counter()
    session.get(url, timeout=10)
    # A lower bound only: the machine may be slower, never faster than the injected delay.
    assert time.perf_counter() - started >= 0.15
