"""``Sandbox(people=N, where=...)`` (``sandbox serve --people N --where ...``) puts many plain
people straight into the orgs; the clients see them as leads and contacts like any others."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hubspot.crm.contacts import PublicObjectSearchRequest

from leadsync.sandbox.population import population
from leadsync.sandbox.server import Sandbox
from tests.conftest import hubspot_client, salesforce_client


def leads(sandbox: Sandbox) -> list[dict[str, str]]:
    rows = salesforce_client(sandbox).query_all(
        "SELECT Email, Title, Phone, Company FROM Lead ORDER BY Email")["records"]
    return [{k: v for k, v in row.items() if k != "attributes"} for row in rows]


def contacts(sandbox: Sandbox) -> dict[str, dict[str, str | None]]:
    found, after = {}, None
    search = hubspot_client(sandbox).crm.contacts.search_api
    while True:
        page = search.do_search(PublicObjectSearchRequest(
            limit=200, after=after, properties=["email", "jobtitle", "phone", "company"],
            sorts=[{"propertyName": "lastmodifieddate", "direction": "ASCENDING"}]))
        found.update({r.properties["email"]: r.properties for r in page.results})
        if page.paging is None:
            return found
        after = page.paging.next.after


def test_people_in_both_systems_are_a_lead_and_a_contact_some_values_apart(
        make_sandbox: Callable[..., Sandbox]) -> None:
    sandbox = make_sandbox(people=400, where="both", search_rate=1000)

    sf, hs = leads(sandbox), contacts(sandbox)

    assert len(sf) == 400 and len(hs) == 400
    assert {lead["Email"].lower() for lead in sf} == set(hs)
    assert any(lead["Email"] != lead["Email"].lower() for lead in sf)  # case differs
    differing = [lead for lead in sf if (lead["Title"], lead["Phone"], lead["Company"]) != (
        hs[lead["Email"].lower()]["jobtitle"], hs[lead["Email"].lower()]["phone"],
        hs[lead["Email"].lower()]["company"])]
    assert 40 <= len(differing) <= 200
    assert any(lead["Phone"] is None for lead in sf)
    assert any(c["phone"] is None for c in hs.values())


@pytest.mark.parametrize("where", ["hubspot", "salesforce"])
def test_people_in_one_system_only(make_sandbox: Callable[..., Sandbox], where: str) -> None:
    sandbox = make_sandbox(people=50, where=where, search_rate=1000)

    assert len(leads(sandbox)) == (50 if where == "salesforce" else 0)
    assert len(contacts(sandbox)) == (50 if where == "hubspot" else 0)


def test_loaded_contacts_have_an_import_history_and_change_like_others(
        make_sandbox: Callable[..., Sandbox]) -> None:
    sandbox = make_sandbox(people=3, where="hubspot")
    basic = hubspot_client(sandbox).crm.contacts.basic_api
    contact = basic.get_page(limit=1).results[0]

    before = basic.get_by_id(contact.id, properties_with_history=["firstname"])
    basic.update(contact.id, {"properties": {"firstname": "Changed"}})
    after = basic.get_by_id(contact.id, properties_with_history=["firstname"])

    imported = before.properties_with_history["firstname"]
    assert [(h.value, h.source_type) for h in imported] == [(contact.properties["firstname"],
                                                             "IMPORT")]
    assert [h.value for h in after.properties_with_history["firstname"]] == [
        "Changed", contact.properties["firstname"]]


def test_the_same_seed_draws_the_same_people_and_emails_are_unique() -> None:
    first = [p.values["email"] for p in population(2000, "both", 3, rng_seed=7)]
    again = [p.values["email"] for p in population(2000, "both", 3, rng_seed=7)]

    assert first == again and len(set(first)) == 2000
    with pytest.raises(ValueError, match="hubspot, salesforce, both"):
        next(population(1, "marketo"))
