"""Describe Global, sObject Basic Information and sObject Describe, as the REST API documents."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from simple_salesforce import Salesforce

from leadsync.sandbox.server import Sandbox
from tests.sandbox.salesforce_support import module_sandbox, new_lead, refusal, tag


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    yield from module_sandbox()


def fields_of(sf: Salesforce, sobject: str) -> dict[str, dict[str, Any]]:
    return {f["name"]: f for f in getattr(sf, sobject).describe()["fields"]}


def test_describe_global_lists_the_standard_objects_with_their_key_prefixes(
        sf: Salesforce) -> None:
    answer = sf.describe()

    assert answer["encoding"] == "UTF-8" and answer["maxBatchSize"] == 200
    prefixes = {o["name"]: o["keyPrefix"] for o in answer["sobjects"]}
    assert prefixes == {"Lead": "00Q", "Contact": "003", "Account": "001",
                        "Opportunity": "006", "Task": "00T", "Event": "00U", "User": "005",
                        "Group": "00G", "GroupMember": "011", "PermissionSet": "0PS",
                        "FieldPermissions": "01k", "PermissionSetAssignment": "0Pa"}
    lead = next(o for o in answer["sobjects"] if o["name"] == "Lead")
    assert lead["urls"]["describe"] == "/services/data/v59.0/sobjects/Lead/describe"
    assert lead["queryable"] and lead["createable"] and lead["mergeable"]


def test_basic_information_has_the_object_and_its_recent_items(sf: Salesforce) -> None:
    lead_id = new_lead(sf, tag())

    answer = sf.Lead.metadata()

    assert answer["objectDescribe"]["name"] == "Lead"
    assert answer["recentItems"][0]["Id"] == lead_id


def test_describe_has_the_object_properties(sf: Salesforce) -> None:
    answer = sf.Lead.describe()

    assert (answer["name"], answer["label"], answer["labelPlural"], answer["keyPrefix"]) == (
        "Lead", "Lead", "Leads", "00Q")
    assert answer["custom"] is False and answer["recordTypeInfos"] == []
    tasks = next(c for c in answer["childRelationships"] if c["childSObject"] == "Task")
    assert (tasks["field"], tasks["relationshipName"]) == ("WhoId", "Tasks")


@pytest.mark.parametrize(("name", "kind", "length"), [
    ("LastName", "string", 80), ("FirstName", "string", 40), ("Company", "string", 255),
    ("Email", "email", 80), ("Title", "string", 128), ("Phone", "phone", 40),
    ("Country", "string", 80), ("State", "string", 80), ("Status", "picklist", 255),
    ("Id", "id", 18), ("OwnerId", "reference", 18),
])
def test_lead_fields_have_their_documented_types_and_lengths(sf: Salesforce, name: str,
                                                             kind: str, length: int) -> None:
    field = fields_of(sf, "Lead")[name]

    assert (field["type"], field["length"]) == (kind, length)


def test_lead_required_fields_are_not_nillable_and_not_defaulted(sf: Salesforce) -> None:
    fields = fields_of(sf, "Lead")
    required = [name for name, f in fields.items()
                if f["createable"] and not f["nillable"] and not f["defaultedOnCreate"]
                and f["type"] != "boolean"]

    assert required == ["LastName", "Company"]


def test_lead_status_is_restricted_with_the_org_values_and_a_default(sf: Salesforce) -> None:
    status = fields_of(sf, "Lead")["Status"]

    assert status["restrictedPicklist"] is True
    assert [v["value"] for v in status["picklistValues"]] == [
        "Open - Not Contacted", "Working - Contacted", "Closed - Converted",
        "Closed - Not Converted", "Recycled - Nurture"]
    assert [v["value"] for v in status["picklistValues"] if v["defaultValue"]] == [
        "Open - Not Contacted"]
    assert status["defaultValue"] == "Open - Not Contacted"


def test_lead_source_picklist_is_not_restricted(sf: Salesforce) -> None:
    assert fields_of(sf, "Lead")["LeadSource"]["restrictedPicklist"] is False


def test_computed_and_system_fields_are_read_only(sf: Salesforce) -> None:
    fields = fields_of(sf, "Lead")

    for name in ("Id", "Name", "SystemModstamp", "CreatedDate", "IsDeleted", "ConvertedDate",
                 "ConvertedContactId"):
        assert not fields[name]["createable"] and not fields[name]["updateable"], name
    assert fields["Name"]["calculated"] and fields["Name"]["nameField"]
    assert fields["IsConverted"]["createable"] and not fields["IsConverted"]["updateable"]


def test_owner_and_who_are_polymorphic_references(sf: Salesforce) -> None:
    owner = fields_of(sf, "Lead")["OwnerId"]
    who = fields_of(sf, "Task")["WhoId"]

    assert (owner["referenceTo"], owner["relationshipName"]) == (["Group", "User"], "Owner")
    assert (who["referenceTo"], who["relationshipName"]) == (["Contact", "Lead"], "Who")
    assert who["polymorphicForeignKey"] is True


def test_task_subtype_and_closed_flag(sf: Salesforce) -> None:
    fields = fields_of(sf, "Task")

    subtypes = [v["value"] for v in fields["TaskSubtype"]["picklistValues"]]
    assert {"Call", "Email", "Task"} <= set(subtypes)
    assert fields["TaskSubtype"]["createable"] and not fields["TaskSubtype"]["updateable"]
    assert not fields["IsClosed"]["createable"] and fields["CompletedDateTime"]["type"] == (
        "datetime")


def test_event_and_user_fields(sf: Salesforce) -> None:
    event = fields_of(sf, "Event")
    user = fields_of(sf, "User")

    assert {"StartDateTime", "EndDateTime", "ActivityDateTime", "EventSubtype", "WhoId",
            "OwnerId", "Subject"} <= set(event)
    assert {"Name", "FirstName", "LastName", "Email", "Username", "TimeZoneSidKey",
            "IsActive", "ManagerId"} <= set(user)
    assert user["Username"]["unique"] is True


def test_describe_of_an_unknown_object_answers_404(sf: Salesforce) -> None:
    status, body = refusal(sf.Prospect__c.describe)

    assert status == 404
    assert body[0]["errorCode"] == "NOT_FOUND"
