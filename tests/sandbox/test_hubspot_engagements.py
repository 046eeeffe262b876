"""Calls and emails associated with contacts, association reads (v3 and v4), and owners."""

from __future__ import annotations

from collections.abc import Callable

from hubspot import HubSpot
from hubspot.crm.associations.v4 import (
    BatchInputPublicFetchAssociationsBatchRequest,
    PublicFetchAssociationsBatchRequest,
)
from hubspot.crm.objects.calls import ApiException as CallsApiException
from hubspot.crm.objects.calls import PublicObjectSearchRequest as CallSearch
from hubspot.crm.objects.calls import SimplePublicObjectInputForCreate as CallInput
from hubspot.crm.objects.emails import PublicObjectSearchRequest as EmailSearch
from hubspot.crm.objects.emails import SimplePublicObjectInputForCreate as EmailInput
from hubspot.crm.owners import ApiException as OwnersApiException

from leadsync.sandbox.hubspot.portal import ANALYTICS_SOURCE_OF
from leadsync.sandbox.people import make_owners, make_people
from leadsync.sandbox.server import Sandbox
from tests.conftest import hubspot_client
from tests.sandbox.hubspot_support import new_contact, refusal


def to_contact(contact_id: str, type_id: int) -> list[dict[str, object]]:
    return [{"to": {"id": contact_id}, "types": [{"associationCategory": "HUBSPOT_DEFINED",
                                                  "associationTypeId": type_id}]}]


def log_call(hs: HubSpot, contact_id: str, title: str = "Intro call") -> str:
    call = hs.crm.objects.calls.basic_api.create(CallInput(
        properties={"hs_timestamp": "2024-01-15T10:30:00Z", "hs_call_title": title,
                    "hs_call_status": "COMPLETED", "hs_call_direction": "OUTBOUND"},
        associations=to_contact(contact_id, 194)))
    return str(call.id)


def test_a_call_is_created_with_its_documented_properties_and_contact(hs: HubSpot) -> None:
    contact = new_contact(hs, email="c@example.com")

    call_id = log_call(hs, contact.id)

    call = hs.crm.objects.calls.basic_api.get_by_id(
        call_id, properties=["hs_timestamp", "hs_call_status", "hs_call_title"])
    assert call.properties["hs_timestamp"] == "2024-01-15T10:30:00.000Z"
    assert call.properties["hs_call_status"] == "COMPLETED"
    with_calls = hs.crm.contacts.basic_api.get_by_id(contact.id, associations=["calls"])
    assert [(a.id, a.type) for a in with_calls.associations["calls"].results] == [
        (call_id, "contact_to_call")]


def test_an_email_is_associated_with_type_198(hs: HubSpot) -> None:
    contact = new_contact(hs, email="c@example.com")

    email = hs.crm.objects.emails.basic_api.create(EmailInput(
        properties={"hs_timestamp": "1705314600000", "hs_email_direction": "EMAIL",
                    "hs_email_subject": "Following up", "hs_email_status": "SENT"},
        associations=to_contact(contact.id, 198)))

    page = hs.crm.associations.v4.basic_api.get_page("contacts", contact.id, "emails")
    found = hs.crm.objects.emails.search_api.do_search(EmailSearch(filter_groups=[
        {"filters": [{"propertyName": "hs_email_subject", "operator": "CONTAINS_TOKEN",
                      "value": "following"}]}], properties=["hs_email_status"]))
    assert [(r.id, r.properties["hs_email_status"]) for r in found.results] == [
        (email.id, "SENT")]
    assert [(r.to_object_id, r.association_types[0].type_id) for r in page.results] == [
        (email.id, 197)]
    assert page.results[0].association_types[0].category == "HUBSPOT_DEFINED"


def test_engagements_refuse_bad_associations_and_missing_timestamps(hs: HubSpot) -> None:
    contact = new_contact(hs, email="c@example.com")
    create = hs.crm.objects.calls.basic_api.create

    wrong_type = refusal(create, CallInput(properties={"hs_timestamp": "1705314600000"},
                                           associations=to_contact(contact.id, 198)),
                         error=CallsApiException)
    no_contact = refusal(create, CallInput(properties={"hs_timestamp": "1705314600000"},
                                           associations=to_contact("999999", 194)),
                         error=CallsApiException)
    no_time = refusal(create, CallInput(properties={"hs_call_title": "x"}),
                      error=CallsApiException)
    bad_status = refusal(create, CallInput(properties={"hs_timestamp": "1705314600000",
                                                       "hs_call_status": "DONE"}),
                         error=CallsApiException)

    assert [r[0] for r in (wrong_type, no_contact, no_time, bad_status)] == [400] * 4


def test_v4_batch_read_lists_associations_and_reports_ids_without_any(hs: HubSpot) -> None:
    busy, idle = new_contact(hs, email="b@example.com"), new_contact(hs, email="i@example.com")
    calls = [log_call(hs, busy.id, f"Call {i}") for i in range(2)]

    answer = hs.crm.associations.v4.batch_api.get_page(
        "contacts", "calls", BatchInputPublicFetchAssociationsBatchRequest(inputs=[
            PublicFetchAssociationsBatchRequest(id=busy.id),
            PublicFetchAssociationsBatchRequest(id=idle.id)]))

    assert [r._from.id for r in answer.results] == [busy.id]
    assert [t.to_object_id for t in answer.results[0].to] == calls
    assert answer.errors[0].context == {"fromObjectId": [idle.id]}
    assert answer.errors[0].sub_category == "crm.associations.NO_ASSOCIATIONS_FOUND"


def test_calls_are_searched_by_property_and_by_associated_contact(sandbox: Sandbox,
                                                                  hs: HubSpot) -> None:
    mine, other = new_contact(hs, email="m@example.com"), new_contact(hs, email="o@example.com")
    wanted = log_call(hs, mine.id)
    log_call(hs, other.id)

    by_contact = hs.crm.objects.calls.search_api.do_search(CallSearch(filter_groups=[
        {"filters": [{"propertyName": "associations.contact", "operator": "EQ",
                      "value": mine.id}]}], properties=["hs_call_title"]))
    by_time = hs.crm.objects.calls.search_api.do_search(CallSearch(filter_groups=[
        {"filters": [{"propertyName": "hs_timestamp", "operator": "GTE",
                      "value": "1705314600000"}]}]))

    assert [r.id for r in by_contact.results] == [wanted]
    assert by_time.total == 2


def test_merging_contacts_moves_their_calls_to_the_primary(hs: HubSpot) -> None:
    primary, other = new_contact(hs, email="p@example.com"), new_contact(hs, email="o@example.com")
    call = log_call(hs, other.id)

    hs.crm.contacts.basic_api.merge({"primaryObjectId": primary.id, "objectIdToMerge": other.id})

    page = hs.crm.associations.v4.basic_api.get_page("contacts", primary.id, "calls")
    assert [r.to_object_id for r in page.results] == [call]


def test_owners_are_paged_filtered_by_email_and_read_by_id(
        make_sandbox: Callable[..., Sandbox]) -> None:
    sandbox = make_sandbox(seed=120)
    hs = hubspot_client(sandbox)
    expected = make_owners(3)

    first = hs.crm.owners.owners_api.get_page(limit=2)
    rest = hs.crm.owners.owners_api.get_page(limit=2, after=first.paging.next.after)
    by_email = hs.crm.owners.owners_api.get_page(email=expected[1].email)

    owners = first.results + rest.results
    assert [o.email for o in owners] == [o.email for o in expected]
    assert owners[0].first_name == expected[0].first_name and owners[0].type == "PERSON"
    assert owners[0].teams[0].primary is True and isinstance(owners[0].user_id, int)
    assert [o.id for o in by_email.results] == [owners[1].id]
    assert hs.crm.owners.owners_api.get_by_id(owners[2].id).email == expected[2].email
    status, _ = refusal(hs.crm.owners.owners_api.get_by_id, "1", error=OwnersApiException)
    assert status == 404


def test_seeded_contacts_carry_their_person_and_activities(
        make_sandbox: Callable[..., Sandbox]) -> None:
    sandbox = make_sandbox(seed=60)
    hs = hubspot_client(sandbox)
    person = next(p for p in make_people(60, 3) if p.in_hubspot and p.activities)

    contact = hs.crm.contacts.basic_api.get_by_id(
        person.email, id_property="email", associations=["calls", "emails"],
        properties=["lifecyclestage", "hs_lead_status", "hubspot_owner_id",
                    "hs_analytics_source", "company", "jobtitle"])

    assert contact.properties["lifecyclestage"] == person.lifecycle_stage
    assert contact.properties["hs_analytics_source"] == ANALYTICS_SOURCE_OF[person.lead_source]
    assert contact.properties["hs_lead_status"] in ("OPEN", "IN_PROGRESS")
    assert contact.properties["hubspot_owner_id"]
    # people are drawn relative to "now", here and in the sandbox: allow for the time between
    assert abs((contact.created_at - person.created_at).total_seconds()) < 600
    activities = sum(len(a.results) for a in (contact.associations or {}).values())
    assert activities == len(person.activities)
    assert sum(1 for p in make_people(60, 3) if p.in_hubspot) == len(
        sandbox.hubspot.store.live("contacts"))
