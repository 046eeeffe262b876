"""Fault injection: a fraction of requests is answered as each vendor does under trouble."""

from __future__ import annotations

import contextlib
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
import requests
from hubspot.crm.contacts import ApiException, SimplePublicObjectInputForCreate

from leadsync.adapters.transport import ca_session
from leadsync.sandbox.server import Sandbox
from tests.conftest import hubspot_client, salesforce_client


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



def lost_answers_only(make_sandbox: Callable[..., Sandbox]) -> Sandbox:
    """Every write applied and its answer lost; reads, which have nothing to lose, answered."""
    return make_sandbox(faults=1.0, fault_kinds=["lost"], random_seed=5)


def test_a_lost_salesforce_answer_applies_the_create_and_drops_the_connection(
        make_sandbox: Callable[..., Sandbox]) -> None:
    sf = salesforce_client(lost_answers_only(make_sandbox))
    with pytest.raises(requests.ConnectionError):
        sf.Lead.create({"LastName": "Lovelace", "Company": "Lost Answers Ltd"})

    found = sf.query("SELECT Id, LastName FROM Lead WHERE Company = 'Lost Answers Ltd'")
    assert [r["LastName"] for r in found["records"]] == ["Lovelace"]


def test_a_lost_salesforce_answer_to_an_update_still_applies_it(
        make_sandbox: Callable[..., Sandbox]) -> None:
    sf = salesforce_client(lost_answers_only(make_sandbox))
    with pytest.raises(requests.ConnectionError):
        sf.Lead.create({"LastName": "Hopper", "Company": "Navy"})
    lead_id = sf.query("SELECT Id FROM Lead WHERE Company = 'Navy'")["records"][0]["Id"]

    with pytest.raises(requests.ConnectionError):
        sf.Lead.update(lead_id, {"Title": "Rear Admiral"})

    assert sf.Lead.get(lead_id)["Title"] == "Rear Admiral"


def test_a_lost_hubspot_answer_applies_the_create_and_drops_the_connection(
        make_sandbox: Callable[..., Sandbox]) -> None:
    hs = hubspot_client(lost_answers_only(make_sandbox))
    with pytest.raises(Exception) as caught:
        hs.crm.contacts.basic_api.create(SimplePublicObjectInputForCreate(
            properties={"email": "lost@example.com", "firstname": "Lost"}))
    assert not isinstance(caught.value, ApiException)  # no answer at all, not an error answer

    found = hs.crm.contacts.basic_api.get_by_id("lost@example.com", id_property="email")
    assert found.properties["firstname"] == "Lost"


def test_without_lost_answers_no_faulted_write_is_applied(tmp_path: Path) -> None:
    state = tmp_path / "org.json"
    with Sandbox(faults=1.0, random_seed=11, state=state) as faulty:
        assert "lost" not in faulty.fault_kinds
        sf = salesforce_client(faulty)
        for n in range(20):
            with contextlib.suppress(Exception):  # throttled, 503 or dropped unapplied
                sf.Lead.create({"LastName": f"Try {n}", "Company": "Never Applied"})
    with Sandbox(state=state) as reliable:
        found = salesforce_client(reliable).query(
            "SELECT Id FROM Lead WHERE Company = 'Never Applied'")
    assert found["totalSize"] == 0


def test_an_unknown_fault_kind_is_refused_naming_the_kinds() -> None:
    with pytest.raises(ValueError, match="throttle, unavailable, drop, lost"):
        Sandbox(faults=0.1, fault_kinds=["late"])
