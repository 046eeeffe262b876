"""Identity through a lead's life, end to end: conversion, merges, deletes, archives, email
changes and shared emails, through the real vendor clients against the sandbox orgs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from hubspot import HubSpot
from simple_salesforce import Salesforce

from leadsync.adapters.transport import ca_session
from leadsync.connector.config import Config
from leadsync.jobs.sync import prepare
from leadsync.sandbox.server import Sandbox
from tests.conftest import hubspot_client, salesforce_client
from tests.jobs.test_sync_e2e import write_config
from tests.sandbox.salesforce_support import soap_call, soap_results
from tests.sandbox.test_salesforce_soap import convert, merge

Orgs = tuple[Sandbox, Config, Salesforce, HubSpot]


@pytest.fixture
def orgs(make_sandbox: Callable[..., Sandbox], tmp_path: Path) -> Orgs:
    sandbox = make_sandbox()
    return sandbox, write_config(sandbox, tmp_path), salesforce_client(sandbox), \
        hubspot_client(sandbox)


def leads(sf: Salesforce, email: str) -> list[dict]:
    return sf.query(f"SELECT Id, Email, Title, IsConverted, LeadSync_Note__c FROM Lead "
                    f"WHERE Email = '{email}'")["records"]


def contact(hs: HubSpot, contact_id: str) -> dict:
    return hs.crm.contacts.basic_api.get_by_id(contact_id, properties=[
        "email", "jobtitle", "hs_lead_status", "leadsync_note", "leadsync_id"]).properties


def contacts(hs: HubSpot, email: str) -> list[str]:
    found = hs.crm.contacts.search_api.do_search(public_object_search_request={
        "filterGroups": [{"filters": [{"propertyName": "email", "operator": "EQ",
                                       "value": email}]}], "limit": 10})
    return [c.id for c in found.results]


def new_contact(hs: HubSpot, email: str, **properties: str) -> str:
    return hs.crm.contacts.basic_api.create(simple_public_object_input_for_create={
        "properties": {"email": email, "lastname": "Lovelace", "company": "Analytical",
                       "lifecyclestage": "lead", **properties}}).id


def edit_contact(hs: HubSpot, contact_id: str, **properties: str) -> None:
    hs.crm.contacts.basic_api.update(contact_id, simple_public_object_input={
        "properties": properties})


def test_a_converted_lead_is_never_written_again_nor_recreated_and_marketing_is_told(
        orgs: Orgs) -> None:
    sandbox, config, sf, hs = orgs
    contact_id = new_contact(hs, "ada@analytical.example")
    engine = prepare(config)
    engine.run()
    [lead] = leads(sf, "ada@analytical.example")
    _, root = soap_call(sandbox, convert(lead["Id"]))
    [converted] = soap_results(root)

    engine.run()
    edit_contact(hs, contact_id, jobtitle="Countess")
    before = sandbox.salesforce.mutations
    result = engine.run()

    shown = contact(hs, contact_id)
    assert shown["leadsync_note"].startswith(
        f"converted in salesforce to {converted['contactId']} on ")
    assert shown["hs_lead_status"] == "OPEN_DEAL"  # the lead's status still goes across
    [after] = leads(sf, "ada@analytical.example")  # no second lead
    assert after["IsConverted"] is True and after["Title"] is None
    assert sandbox.salesforce.mutations == before  # nothing written to the converted lead
    assert result.sides["salesforce"].failed == 0


def test_a_deleted_lead_is_flagged_in_hubspot_and_never_recreated(
        orgs: Orgs) -> None:
    _, config, sf, hs = orgs
    contact_id = new_contact(hs, "ada@analytical.example")
    engine = prepare(config)
    engine.run()
    [lead] = leads(sf, "ada@analytical.example")
    sf.Lead.delete(lead["Id"])

    engine.run()
    edit_contact(hs, contact_id, jobtitle="Countess")
    engine.run()

    assert contact(hs, contact_id)["leadsync_note"].startswith("deleted in salesforce on ")
    assert leads(sf, "ada@analytical.example") == []  # not resurrected
    assert len(contacts(hs, "ada@analytical.example")) == 1


def test_an_archived_contact_is_flagged_in_salesforce_and_never_recreated(orgs: Orgs) -> None:
    _, config, sf, hs = orgs
    contact_id = new_contact(hs, "ada@analytical.example")
    engine = prepare(config)
    engine.run()
    [lead] = leads(sf, "ada@analytical.example")
    hs.crm.contacts.basic_api.archive(contact_id)

    engine.run()
    sf.Lead.update(lead["Id"], {"Title": "Countess"})
    engine.run()

    [after] = leads(sf, "ada@analytical.example")
    assert after["LeadSync_Note__c"].startswith("deleted in hubspot on ")
    assert contacts(hs, "ada@analytical.example") == []  # not resurrected


def test_with_on_delete_ignore_nothing_is_flagged_and_nothing_recreated(
        make_sandbox: Callable[..., Sandbox], tmp_path: Path) -> None:
    sandbox = make_sandbox()
    config = write_config(sandbox, tmp_path, extra_sync='on_delete = "ignore"\n')
    sf, hs = salesforce_client(sandbox), hubspot_client(sandbox)
    contact_id = new_contact(hs, "ada@analytical.example")
    engine = prepare(config)
    engine.run()
    [lead] = leads(sf, "ada@analytical.example")
    sf.Lead.delete(lead["Id"])
    edit_contact(hs, contact_id, jobtitle="Countess")

    engine.run()

    assert not contact(hs, contact_id).get("leadsync_note")
    assert leads(sf, "ada@analytical.example") == []


def test_an_email_change_on_either_side_keeps_the_link_and_goes_across(orgs: Orgs) -> None:
    _, config, sf, hs = orgs
    contact_id = new_contact(hs, "ada@analytical.example")
    engine = prepare(config)
    engine.run()
    [lead] = leads(sf, "ada@analytical.example")

    edit_contact(hs, contact_id, email="ada@engines.example")
    engine.run()
    assert [r["Id"] for r in leads(sf, "ada@engines.example")] == [lead["Id"]]
    sf.Lead.update(lead["Id"], {"Email": "countess@engines.example"})
    engine.run()

    assert contact(hs, contact_id)["email"] == "countess@engines.example"
    assert contacts(hs, "countess@engines.example") == [contact_id]
    assert leads(sf, "ada@analytical.example") == leads(sf, "ada@engines.example") == []


def test_a_salesforce_merge_moves_the_link_to_the_survivor_and_recreates_no_loser(
        orgs: Orgs) -> None:
    sandbox, config, sf, hs = orgs
    contact_id = new_contact(hs, "ada@analytical.example")
    engine = prepare(config)
    engine.run()
    [loser] = leads(sf, "ada@analytical.example")
    survivor = sf.Lead.create({"LastName": "Lovelace", "Company": "Analytical",
                               "Email": "ada.lovelace@analytical.example"})["id"]
    engine.run()  # the survivor, a lead of its own so far, gets a contact of its own
    survivor_contact = hs.crm.contacts.basic_api.get_by_id(
        "ada.lovelace@analytical.example", id_property="email").id

    _, root = soap_call(sandbox, merge("Lead", survivor, [loser["Id"]]))
    assert soap_results(root)[0]["success"] == "true"
    engine.run()
    edit_contact(hs, contact_id, jobtitle="Countess")
    engine.run()

    # the survivor keeps its own link; the loser's contact is kept, flagged, not synced
    assert contact(hs, contact_id)["leadsync_note"] == (
        f"merged in salesforce into {survivor} on "
        + contact(hs, contact_id)["leadsync_note"].rsplit(" on ", 1)[1])
    assert leads(sf, "ada@analytical.example") == []  # the loser is not recreated
    assert hs.crm.contacts.basic_api.get_by_id(
        "ada.lovelace@analytical.example", id_property="email").id == survivor_contact


def test_a_merge_into_an_unlinked_survivor_moves_the_link_to_it(orgs: Orgs) -> None:
    sandbox, config, sf, hs = orgs
    contact_id = new_contact(hs, "ada@analytical.example")
    engine = prepare(config)
    engine.run()
    [loser] = leads(sf, "ada@analytical.example")
    survivor = sf.Lead.create({"LastName": "Lovelace", "Company": "Analytical",
                               "Email": "ada@analytical.example"})["id"]

    _, root = soap_call(sandbox, merge("Lead", survivor, [loser["Id"]]))
    assert soap_results(root)[0]["success"] == "true"
    engine.run()
    edit_contact(hs, contact_id, jobtitle="Countess")
    engine.run()

    assert [(r["Id"], r["Title"]) for r in leads(sf, "ada@analytical.example")] == [
        (survivor, "Countess")]
    assert contacts(hs, "ada@analytical.example") == [contact_id]
    assert not contact(hs, contact_id).get("leadsync_note")


def test_a_hubspot_merge_moves_the_link_to_the_survivor(orgs: Orgs) -> None:
    sandbox, config, sf, hs = orgs
    loser = new_contact(hs, "ada@analytical.example")
    engine = prepare(config)
    engine.run()
    [lead] = leads(sf, "ada@analytical.example")
    survivor = new_contact(hs, "ada@engines.example", lastname="Lovelace")
    hs_http = ca_session(sandbox.info["ca_bundle"])
    hs_http.headers["Authorization"] = f"Bearer {sandbox.info['hubspot']['access_token']}"
    answer = hs_http.post(f"{sandbox.info['hubspot']['host']}/crm/v3/objects/contacts/merge",
                          json={"primaryObjectId": survivor, "objectIdToMerge": loser},
                          timeout=10)
    assert answer.status_code == 200, answer.text

    engine.run()
    edit_contact(hs, survivor, jobtitle="Countess")
    engine.run()

    assert [r["Id"] for r in leads(sf, "ada@engines.example")] == [lead["Id"]]
    assert leads(sf, "ada@analytical.example") == []
    assert leads(sf, "ada@engines.example")[0]["Title"] == "Countess"


def test_several_salesforce_leads_with_one_email_link_the_oldest_and_are_reported(
        orgs: Orgs) -> None:
    _, config, sf, hs = orgs
    first = sf.Lead.create({"LastName": "Lovelace", "Company": "A",
                            "Email": "ada@analytical.example"})["id"]
    second = sf.Lead.create({"LastName": "Lovelace", "Company": "B",
                             "Email": "ada@analytical.example"})["id"]
    engine = prepare(config)

    result = engine.run()
    sf.Lead.update(second, {"Title": "Countess"})
    again = engine.run()

    [contact_id] = contacts(hs, "ada@analytical.example")
    assert hs.crm.contacts.basic_api.get_by_id(
        contact_id, properties=["company"]).properties["company"] == "A"  # the oldest
    assert any("ada@analytical.example" in w and first in w and second in w
               for w in result.warnings)
    assert any(second in w for w in again.warnings)
    assert again.sides["hubspot"].created == 0
