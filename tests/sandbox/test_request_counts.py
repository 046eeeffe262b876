"""The sandbox counts the requests it serves, so tests can prove a run wrote nothing."""

from __future__ import annotations

from hubspot import HubSpot

from leadsync.sandbox.server import Sandbox


def test_a_search_is_counted_as_a_read_and_a_create_as_a_write(sandbox: Sandbox,
                                                                hs: HubSpot) -> None:
    hs.crm.contacts.search_api.do_search(public_object_search_request={
        "filterGroups": [], "limit": 10})
    assert sandbox.write_requests() == 0
    assert sandbox.requests["hubspot"] == {"POST": 1}

    hs.crm.contacts.basic_api.create(simple_public_object_input_for_create={
        "properties": {"email": "ada@analytical.example"}})

    assert sandbox.write_requests() == 1
    assert sandbox.requests["hubspot"] == {"POST": 2}
