"""The contacts basic API of the HubSpot emulator, through the unmodified hubspot client."""

from __future__ import annotations

import json
import re

import pytest
import requests
from hubspot import HubSpot
from hubspot.crm.contacts import PublicMergeInput, SimplePublicObjectInput

from leadsync.sandbox.server import Sandbox
from tests.sandbox.hubspot_support import assert_hubspot_error, new_contact, refusal

ISO_MILLIS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def test_a_created_contact_has_an_id_string_properties_and_maintained_dates(hs: HubSpot) -> None:
    contact = new_contact(hs, email="ada@example.com", firstname="Ada", lastname="Lovelace")

    props = contact.properties
    assert props["hs_object_id"] == contact.id
    assert props["email"] == "ada@example.com"
    assert ISO_MILLIS.match(props["createdate"]) and ISO_MILLIS.match(props["lastmodifieddate"])
    assert contact.archived is False and contact.created_at == contact.updated_at


def test_email_is_trimmed_and_lower_cased_and_unique_among_contacts(hs: HubSpot) -> None:
    first = new_contact(hs, email="  Grace.Hopper@Example.COM ")
    assert first.properties["email"] == "grace.hopper@example.com"

    status, body = refusal(new_contact, hs, email="grace.hopper@example.com")

    assert status == 409
    assert_hubspot_error(body, "CONFLICT")
    assert body["message"] == f"Contact already exists. Existing ID: {first.id}"


def test_an_invalid_email_is_refused_with_invalid_email(hs: HubSpot) -> None:
    status, body = refusal(new_contact, hs, email="not-an-email")

    assert status == 400
    assert_hubspot_error(body, "VALIDATION_ERROR")
    assert body["message"].startswith("Property values were not valid: ")
    problems = json.loads(body["message"].removeprefix("Property values were not valid: "))
    assert problems[0]["error"] == "INVALID_EMAIL" and problems[0]["name"] == "email"


def test_an_unknown_property_is_refused_with_property_doesnt_exist(hs: HubSpot) -> None:
    status, body = refusal(new_contact, hs, email="a@example.com", favourite_colour="blue")

    assert status == 400
    assert_hubspot_error(body, "VALIDATION_ERROR")
    problems = json.loads(body["message"].removeprefix("Property values were not valid: "))
    assert problems == [{"isValid": False, "message": 'Property "favourite_colour" does not exist',
                         "error": "PROPERTY_DOESNT_EXIST", "name": "favourite_colour",
                         "localizedErrorMessage": 'Property "favourite_colour" does not exist',
                         "portalId": problems[0]["portalId"]}]
    assert body["errors"][0]["code"] == "PROPERTY_DOESNT_EXIST"


def test_enumeration_values_must_be_internal_option_values(hs: HubSpot) -> None:
    for name, wrong in (("lifecyclestage", "Marketing Qualified Lead"),
                        ("hs_lead_status", "Open - Not Contacted"),
                        ("hubspot_owner_id", "123")):
        status, body = refusal(new_contact, hs, email=f"{name}@example.com", **{name: wrong})
        assert status == 400, name
        assert f'"name":"{name}"' in body["message"]

    ok = new_contact(hs, email="ok@example.com", lifecyclestage="marketingqualifiedlead",
                     hs_lead_status="ATTEMPTED_TO_CONTACT")
    assert ok.id


def test_read_only_properties_cannot_be_written(hs: HubSpot) -> None:
    status, body = refusal(new_contact, hs, email="ro@example.com", hs_object_id="5")

    assert status == 400 and "READ_ONLY_VALUE" in body["message"]


def test_lifecycle_stage_moves_backwards_only_after_being_cleared(hs: HubSpot) -> None:
    contact = new_contact(hs, email="stage@example.com", lifecyclestage="salesqualifiedlead")
    basic = hs.crm.contacts.basic_api

    def set_stage(value: str) -> str:
        basic.update(contact.id, SimplePublicObjectInput(properties={"lifecyclestage": value}))
        return basic.get_by_id(contact.id, properties=["lifecyclestage"]).properties[
            "lifecyclestage"]

    assert set_stage("lead") == "salesqualifiedlead"
    assert set_stage("opportunity") == "opportunity"
    assert set_stage("") == ""
    assert set_stage("lead") == "lead"


def test_get_by_id_returns_default_or_requested_properties_and_history(hs: HubSpot) -> None:
    contact = new_contact(hs, email="h@example.com", firstname="Old", jobtitle="CTO")
    hs.crm.contacts.basic_api.update(
        contact.id, SimplePublicObjectInput(properties={"firstname": "New"}))

    default = hs.crm.contacts.basic_api.get_by_id(contact.id)
    chosen = hs.crm.contacts.basic_api.get_by_id(
        contact.id, properties=["jobtitle", "company", "no_such"],
        properties_with_history=["firstname"])

    assert set(default.properties) == {"createdate", "email", "firstname", "hs_object_id",
                                       "lastmodifieddate", "lastname"}
    assert chosen.properties["jobtitle"] == "CTO" and chosen.properties["company"] is None
    assert "no_such" not in chosen.properties
    history = chosen.properties_with_history["firstname"]
    assert [h.value for h in history] == ["New", "Old"]
    assert history[0].source_type == "API"


def test_get_by_email_id_property_finds_the_contact_case_insensitively(hs: HubSpot) -> None:
    contact = new_contact(hs, email="find.me@example.com")

    found = hs.crm.contacts.basic_api.get_by_id("Find.Me@example.com", id_property="email")

    assert found.id == contact.id


def test_an_unknown_contact_is_404(hs: HubSpot) -> None:
    status, body = refusal(hs.crm.contacts.basic_api.get_by_id, "99999999")

    assert status == 404
    assert_hubspot_error(body, "OBJECT_NOT_FOUND")


def test_update_changes_values_and_lastmodifieddate(sandbox: Sandbox, hs: HubSpot) -> None:
    contact = new_contact(hs, email="u@example.com")
    sandbox.hubspot.now = lambda: contact.updated_at.replace(year=2030)

    updated = hs.crm.contacts.basic_api.update(
        contact.id, SimplePublicObjectInput(properties={"company": "Acme"}))

    assert updated.properties["company"] == "Acme"
    assert updated.properties["lastmodifieddate"].startswith("2030-")
    assert updated.updated_at.year == 2030


def test_list_pages_with_limit_and_after_until_the_end(hs: HubSpot) -> None:
    made = {new_contact(hs, email=f"p{i}@example.com").id for i in range(7)}

    seen, after = [], None
    while True:
        page = hs.crm.contacts.basic_api.get_page(limit=3, after=after)
        seen += [c.id for c in page.results]
        if page.paging is None:
            break
        after = page.paging.next.after
    assert set(seen) == made and len(seen) == 7


def test_archived_contacts_leave_the_list_and_show_with_archived_true(hs: HubSpot) -> None:
    kept, gone = new_contact(hs, email="kept@example.com"), new_contact(hs, email="x@example.com")

    hs.crm.contacts.basic_api.archive(gone.id)

    live = [c.id for c in hs.crm.contacts.basic_api.get_page().results]
    archived = hs.crm.contacts.basic_api.get_page(archived=True).results
    assert live == [kept.id]
    assert [c.id for c in archived] == [gone.id] and archived[0].archived is True
    assert archived[0].archived_at is not None
    assert refusal(hs.crm.contacts.basic_api.get_by_id, gone.id)[0] == 404
    assert hs.crm.contacts.basic_api.get_by_id(gone.id, archived=True).id == gone.id
    assert new_contact(hs, email="x@example.com").id != gone.id  # its email is free again


def test_merge_keeps_the_primary_fills_its_gaps_and_archives_the_other(hs: HubSpot) -> None:
    primary = new_contact(hs, email="main@example.com", firstname="Main")
    other = new_contact(hs, email="dup@example.com", firstname="Dup", jobtitle="CFO")

    merged = hs.crm.contacts.basic_api.merge(
        PublicMergeInput(primary_object_id=primary.id, object_id_to_merge=other.id))

    assert merged.id == primary.id
    full = hs.crm.contacts.basic_api.get_by_id(
        primary.id, properties=["firstname", "jobtitle", "hs_merged_object_ids",
                                "hs_additional_emails"])
    assert full.properties["firstname"] == "Main" and full.properties["jobtitle"] == "CFO"
    assert full.properties["hs_merged_object_ids"] == other.id
    assert full.properties["hs_additional_emails"] == "dup@example.com"
    assert hs.crm.contacts.basic_api.get_by_id(other.id).id == primary.id
    assert [c.id for c in hs.crm.contacts.basic_api.get_page().results] == [primary.id]
    assert refusal(new_contact, hs, email="dup@example.com")[0] == 409


def test_requests_without_the_right_bearer_token_are_401(sandbox: Sandbox) -> None:
    info = sandbox.info
    wrong = HubSpot(access_token="pat-wrong", host=info["hubspot"]["host"],
                    ssl_ca_cert=info["ca_bundle"])

    status, body = refusal(wrong.crm.contacts.basic_api.get_page)
    bare = requests.get(info["hubspot"]["host"] + "/crm/v3/objects/contacts",
                        verify=info["ca_bundle"], timeout=5)

    assert status == 401 and bare.status_code == 401
    assert_hubspot_error(body, "INVALID_AUTHENTICATION")
    assert body["message"].startswith("Authentication credentials not found.")


def test_malformed_json_is_a_400_invalid_input_json(sandbox: Sandbox,
                                                    hs_http: requests.Session) -> None:
    host = sandbox.info["hubspot"]["host"]

    answer = hs_http.post(host + "/crm/v3/objects/contacts", data="{not json",
                          headers={"Content-Type": "application/json"}, timeout=5)

    assert answer.status_code == 400
    assert_hubspot_error(answer.json(), "VALIDATION_ERROR")
    assert answer.json()["message"].startswith("Invalid input JSON on line 1")


def test_unknown_paths_and_object_types_get_hubspot_shaped_errors(
        sandbox: Sandbox, hs_http: requests.Session) -> None:
    host = sandbox.info["hubspot"]["host"]

    unknown_path = hs_http.get(host + "/crm/v3/nothing/here", timeout=5)
    unknown_type = hs_http.get(host + "/crm/v3/objects/widgets", timeout=5)

    assert unknown_path.status_code == 404
    assert_hubspot_error(unknown_path.json(), "OBJECT_NOT_FOUND")
    assert unknown_type.status_code == 400
    assert unknown_type.json()["message"] == "Unable to infer object type from: widgets"


def test_an_unexpected_failure_is_a_hubspot_shaped_500(sandbox: Sandbox, hs: HubSpot,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(sandbox.hubspot.store, "by_ids", broken)

    status, body = refusal(hs.crm.contacts.basic_api.get_page)

    assert status == 500
    assert_hubspot_error(body, "INTERNAL_ERROR")
