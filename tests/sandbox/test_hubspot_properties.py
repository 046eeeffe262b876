"""Property definitions and groups, and custom properties in writes, reads, search and upsert."""

from __future__ import annotations

import json

from hubspot import HubSpot
from hubspot.crm.contacts import (
    BatchInputSimplePublicObjectBatchInputUpsert,
    PublicObjectSearchRequest,
    SimplePublicObjectBatchInputUpsert,
)
from hubspot.crm.properties import ApiException as PropertiesApiException
from hubspot.crm.properties import OptionInput, PropertyCreate, PropertyGroupCreate

from tests.sandbox.hubspot_support import assert_hubspot_error, new_contact, refusal


def leadsync_key() -> PropertyCreate:
    return PropertyCreate(name="leadsync_key", label="LeadSync key", type="string",
                          field_type="text", group_name="contactinformation",
                          has_unique_value=True)


def test_contact_properties_list_the_documented_model_fields(hs: HubSpot) -> None:
    everything = {p.name: p for p in hs.crm.properties.core_api.get_all("contacts").results}

    stage = everything["lifecyclestage"]
    assert stage.type == "enumeration" and stage.group_name == "contactinformation"
    assert [o.value for o in stage.options] == [
        "subscriber", "lead", "marketingqualifiedlead", "salesqualifiedlead", "opportunity",
        "customer", "evangelist", "other"]
    assert stage.modification_metadata.read_only_definition is True
    assert everything["hs_object_id"].modification_metadata.read_only_value is True
    assert "NEW" in [o.value for o in everything["hs_lead_status"].options]
    assert everything["hubspot_owner_id"].referenced_object_type == "OWNER"
    for name in ("email", "firstname", "lastname", "company", "jobtitle", "phone", "country",
                 "state", "createdate", "lastmodifieddate"):
        assert name in everything


def test_a_property_is_read_by_name_and_an_unknown_one_is_404(hs: HubSpot) -> None:
    assert hs.crm.properties.core_api.get_by_name("contacts", "email").label == "Email"

    status, body = refusal(hs.crm.properties.core_api.get_by_name, "contacts", "nope",
                           error=PropertiesApiException)
    assert status == 404
    assert_hubspot_error(body, "OBJECT_NOT_FOUND")


def test_a_created_property_is_custom_and_a_second_one_of_that_name_is_409(hs: HubSpot) -> None:
    created = hs.crm.properties.core_api.create("contacts", leadsync_key())

    assert created.name == "leadsync_key" and created.has_unique_value is True
    assert not created.hubspot_defined
    assert created.modification_metadata.archivable is True
    status, body = refusal(hs.crm.properties.core_api.create, "contacts", leadsync_key(),
                           error=PropertiesApiException)
    assert status == 409
    assert_hubspot_error(body, "OBJECT_ALREADY_EXISTS")


def test_property_creation_refuses_unknown_groups_and_bad_types(hs: HubSpot) -> None:
    wrong_group = PropertyCreate(name="a_b", label="A", type="string", field_type="text",
                                 group_name="no_such_group")
    wrong_pair = PropertyCreate(name="a_b", label="A", type="bool", field_type="text",
                                group_name="contactinformation")

    for payload in (wrong_group, wrong_pair):
        status, _ = refusal(hs.crm.properties.core_api.create, "contacts", payload,
                            error=PropertiesApiException)
        assert status == 400


def test_groups_are_listed_and_created_once(hs: HubSpot) -> None:
    groups = hs.crm.properties.groups_api
    assert "contactinformation" in [g.name for g in groups.get_all("contacts").results]

    made = groups.create("contacts", PropertyGroupCreate(name="leadsync", label="LeadSync"))

    assert made.name == "leadsync" and made.archived is False
    assert groups.get_by_name("contacts", "leadsync").label == "LeadSync"
    status, _ = refusal(groups.create, "contacts",
                        PropertyGroupCreate(name="leadsync", label="Again"),
                        error=PropertiesApiException)
    assert status == 409


def test_custom_properties_are_written_read_searched_and_validated(hs: HubSpot) -> None:
    hs.crm.properties.groups_api.create("contacts",
                                        PropertyGroupCreate(name="leadsync", label="LeadSync"))
    hs.crm.properties.core_api.create("contacts", PropertyCreate(
        name="sla_status", label="SLA status", type="enumeration", field_type="select",
        group_name="leadsync", options=[OptionInput(label=v.title(), value=v, hidden=False)
                                        for v in ("pending", "met", "breached")]))
    contact = new_contact(hs, email="sla@example.com", sla_status="pending")

    read = hs.crm.contacts.basic_api.get_by_id(contact.id, properties=["sla_status"])
    searched = hs.crm.contacts.search_api.do_search(PublicObjectSearchRequest(
        filter_groups=[{"filters": [{"propertyName": "sla_status", "operator": "EQ",
                                     "value": "pending"}]}]))
    status, body = refusal(new_contact, hs, email="x@example.com", sla_status="late")

    assert read.properties["sla_status"] == "pending"
    assert [r.id for r in searched.results] == [contact.id]
    assert status == 400 and "INVALID_OPTION" in json.dumps(body)


def test_a_unique_custom_property_serves_as_upsert_id_property(hs: HubSpot) -> None:
    hs.crm.properties.core_api.create("contacts", leadsync_key())
    payload = BatchInputSimplePublicObjectBatchInputUpsert(inputs=[
        SimplePublicObjectBatchInputUpsert(id="ls-1", id_property="leadsync_key",
                                           properties={"email": "u@example.com"})])

    first = hs.crm.contacts.batch_api.upsert(payload).results[0]
    again = hs.crm.contacts.batch_api.upsert(payload).results[0]

    assert first.new is True and again.new is False and again.id == first.id
    assert hs.crm.contacts.basic_api.get_by_id(
        "ls-1", id_property="leadsync_key").id == first.id
    status, _ = refusal(new_contact, hs, email="v@example.com", leadsync_key="ls-1")
    assert status == 409
