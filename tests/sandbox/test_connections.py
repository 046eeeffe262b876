"""Both orgs keep connections open across calls (HTTP/1.1 keep-alive), as the vendors do; a
fault that drops a connection still drops it; a stopped sandbox answers nobody."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import requests
from hubspot.crm.contacts import SimplePublicObjectInputForCreate

from leadsync.sandbox.server import Sandbox
from tests.conftest import hubspot_client, salesforce_client


def test_a_client_makes_many_salesforce_calls_over_one_connection(sandbox: Sandbox) -> None:
    sf = salesforce_client(sandbox)

    created = sf.Lead.create({"LastName": "Kept", "Company": "Alive Co"})
    for _ in range(5):
        sf.query("SELECT Id FROM Lead WHERE Company = 'Alive Co'")
    sf.Lead.update(created["id"], {"Title": "CTO"})

    assert sf.Lead.get(created["id"])["Title"] == "CTO"
    assert sandbox.requests["salesforce"]["GET"] >= 6
    assert sandbox.connections["salesforce"] == 1


def test_a_client_makes_many_hubspot_calls_over_one_connection(sandbox: Sandbox) -> None:
    # The HubSpot client makes a new API object, with a pool of its own, per attribute access.
    basic = hubspot_client(sandbox).crm.contacts.basic_api

    made = basic.create(SimplePublicObjectInputForCreate(properties={"email": "k@example.com"}))
    for _ in range(5):
        basic.get_page(limit=10)

    assert basic.get_by_id(made.id).properties["email"] == "k@example.com"
    assert sandbox.connections["hubspot"] == 1


@pytest.mark.parametrize("kind", ["drop", "lost"])
def test_a_dropped_or_lost_answer_still_closes_its_connection(
        make_sandbox: Callable[..., Sandbox], kind: str) -> None:
    sandbox = make_sandbox(faults=1.0, fault_kinds=[kind])
    sf = salesforce_client(sandbox)

    for n in range(3):
        with pytest.raises(requests.ConnectionError):
            sf.Lead.create({"LastName": f"Dropped {n}", "Company": "Faulty"})

    assert sandbox.faults_drawn()[kind] == 3
    assert sandbox.connections["salesforce"] == 3  # each drop ended its connection
    sandbox.set_fault_rate(0.0)
    found = sf.query("SELECT Id FROM Lead WHERE Company = 'Faulty'")["totalSize"]
    assert found == (3 if kind == "lost" else 0)


def test_a_stopped_sandbox_closes_the_connections_it_kept_open(
        make_sandbox: Callable[..., Sandbox]) -> None:
    sandbox = make_sandbox()
    sf = salesforce_client(sandbox)
    sf.query("SELECT Id FROM Lead LIMIT 1")

    sandbox.stop()

    with pytest.raises(requests.ConnectionError):
        sf.query("SELECT Id FROM Lead LIMIT 1")
