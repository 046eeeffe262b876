"""A first contact erases nothing: people already in both systems, and a lost state store.

End to end: the real vendor clients over HTTPS against the sandbox orgs.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hubspot import HubSpot
from simple_salesforce import Salesforce

from leadsync.adapters.salesforce.system import SalesforceSystem
from leadsync.connector.errors import LeadSyncError
from leadsync.connector.retry import RetryPolicy
from leadsync.jobs.sync import prepare
from leadsync.sandbox.server import Sandbox
from tests.conftest import hubspot_client, salesforce_client
from tests.jobs.test_sync_e2e import mutations, write_config

LEAD_FIELDS = ["Email", "FirstName", "LastName", "Company", "Title", "Phone", "Country",
               "State", "LeadSource", "Industry", "NumberOfEmployees", "OwnerId", "Status",
               "LeadSync_Id__c"]
CONTACT_FIELDS = ["email", "firstname", "lastname", "company", "jobtitle", "phone", "country",
                  "state", "lead_source", "industry", "numemployees", "hubspot_owner_id",
                  "hs_lead_status", "leadsync_id"]


def leads(sf: Salesforce) -> dict[str, dict[str, Any]]:
    rows = sf.query_all(f"SELECT {', '.join(LEAD_FIELDS)} FROM Lead")["records"]
    found: dict[str, dict[str, Any]] = {}
    for row in rows:
        email = str(row["Email"]).lower()
        assert email not in found, f"two leads for {email}"
        found[email] = {name: row[name] for name in LEAD_FIELDS}
    return found


def contacts(hs: HubSpot) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for contact in hs.crm.contacts.get_all(properties=CONTACT_FIELDS):
        email = str(contact.properties["email"]).lower()
        assert email not in found, f"two contacts for {email}"
        found[email] = {name: contact.properties.get(name) for name in CONTACT_FIELDS}
    return found


def blanks(records: dict[str, dict[str, Any]]) -> int:
    return sum(value in (None, "") for record in records.values() for value in record.values())


def test_a_lost_state_store_erases_nothing_duplicates_nothing_and_relinks_everyone(
        make_sandbox: Callable[..., Sandbox], tmp_path: Path) -> None:
    sandbox = make_sandbox(seed=60)
    sf, hs = salesforce_client(sandbox), hubspot_client(sandbox)
    config = write_config(sandbox, tmp_path)
    engine = prepare(config)
    engine.run()
    engine.run()
    linked = engine.store.count_links("default")
    before = (leads(sf), contacts(hs))
    engine.store.close()
    (tmp_path / "state.db").unlink()  # the state store is lost

    engine = prepare(config)
    writes = mutations(sandbox)
    result = engine.run()
    assert (leads(sf), contacts(hs)) == before  # nothing erased, nothing changed, no duplicate
    assert mutations(sandbox) == writes
    assert all(side.created == 0 for side in result.sides.values())
    assert engine.store.count_links("default") == linked > 0


def test_a_first_sync_of_people_in_both_systems_fills_blanks_and_erases_nothing(
        sandbox: Sandbox, sf: Salesforce, hs: HubSpot, tmp_path: Path) -> None:
    people = [("ada@example.com", {"jobtitle": "Countess", "phone": "", "company": "Analytical"},
               {"Title": None, "Phone": "+44 20 7946 0001", "Company": "Analytical"}),
              ("grace@example.com", {"jobtitle": "", "phone": "+1 555 0100", "company": ""},
               {"Title": "Rear Admiral", "Phone": None, "Company": "Navy"})]
    for email, contact, _ in people:  # Salesforce's records are the later-edited ones
        hs.crm.contacts.basic_api.create(simple_public_object_input_for_create={
            "properties": {"email": email, "lastname": "X", **contact}})
    for email, _, lead in people:
        sf.Lead.create({"Email": email, "LastName": "X", "Status": "Open - Not Contacted",
                        **lead})
    differing_hs = hs.crm.contacts.basic_api.create(simple_public_object_input_for_create={
        "properties": {"email": "linus@example.com", "lastname": "Torvalds", "jobtitle": "Dev"}})
    sf.Lead.create({"Email": "linus@example.com", "LastName": "Torvalds", "Company": "Linux",
                    "Title": "Maintainer", "Status": "Open - Not Contacted"})

    prepare(write_config(sandbox, tmp_path)).run()

    lead, contact = leads(sf), contacts(hs)
    assert (lead["ada@example.com"]["Title"], lead["ada@example.com"]["Phone"]) == (
        "Countess", "+44 20 7946 0001")
    assert (contact["ada@example.com"]["jobtitle"], contact["ada@example.com"]["phone"]) == (
        "Countess", "+44 20 7946 0001")
    assert (lead["grace@example.com"]["Title"], lead["grace@example.com"]["Phone"],
            lead["grace@example.com"]["Company"]) == ("Rear Admiral", "+1 555 0100", "Navy")
    assert (contact["grace@example.com"]["jobtitle"], contact["grace@example.com"]["company"]) \
        == ("Rear Admiral", "Navy")
    # differing values: two_way, the later modification (Salesforce's) wins
    assert contact["linus@example.com"]["jobtitle"] == lead["linus@example.com"]["Title"] == \
        "Maintainer"
    assert differing_hs.id and len(lead) == len(contact) == 3


def test_a_pass_stopped_by_the_salesforce_daily_limit_delivers_every_edit_on_the_next(
        make_sandbox: Callable[..., Sandbox], tmp_path: Path) -> None:
    sandbox = make_sandbox(seed=40)
    sf, hs = salesforce_client(sandbox), hubspot_client(sandbox)
    config = write_config(sandbox, tmp_path)
    engine = prepare(config)
    engine.run()
    engine.run()
    both = sorted(set(leads(sf)) & set(contacts(hs)))[0]
    contact = hs.crm.contacts.basic_api.get_by_id(both, id_property="email")
    lead = sf.query(f"SELECT Id FROM Lead WHERE Email = '{both}'")["records"][0]
    hs.crm.contacts.basic_api.update(contact.id, simple_public_object_input={
        "properties": {"jobtitle": "Chief Analyst"}})
    sf.Lead.update(lead["Id"], {"Phone": "+1 555 0199"})
    crm = engine.systems["crm"]
    assert isinstance(crm, SalesforceSystem)
    crm.calls.retry = RetryPolicy(sleep=lambda _: None)  # a spent limit: no real waiting
    usage = sandbox.salesforce.usage
    before = usage.used
    engine.run(dry_run=True)  # the Salesforce calls a pass makes before its writes
    # Spent right before Salesforce's writes: the reads fit in the share LeadSync may use (the
    # default daily_api_reserve keeps 20% for the org's other integrations), the writes do not.
    usage.maximum = math.ceil((usage.used + (usage.used - before)) / 0.8)
    with pytest.raises(LeadSyncError):  # the daily limit, however it is reported
        engine.run()
    usage.maximum = 100_000  # a new day
    assert contacts(hs)[both]["phone"] == "+1 555 0199"  # HubSpot's writes went through
    assert leads(sf)[both]["Title"] != "Chief Analyst"

    prepare(config).run()  # the next run, the next day
    assert leads(sf)[both]["Title"] == "Chief Analyst"
    assert contacts(hs)[both]["phone"] == "+1 555 0199"
