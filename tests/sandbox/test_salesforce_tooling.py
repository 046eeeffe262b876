"""Custom fields made through the Tooling API, then described, written, checked and queried."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from simple_salesforce import Salesforce

from leadsync.sandbox.server import Sandbox
from tests.sandbox.salesforce_support import add_field, module_sandbox, new_lead, refusal, tag


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    yield from module_sandbox()


def fresh_name() -> str:
    return f"F{uuid.uuid4().hex[:10]}__c"


def described(sf: Salesforce, name: str, sobject: str = "Lead") -> dict[str, Any]:
    return next(f for f in getattr(sf, sobject).describe()["fields"] if f["name"] == name)


def test_creating_a_custom_field_answers_201_with_its_id(sf: Salesforce) -> None:
    answer = add_field(sf, f"Lead.{fresh_name()}", label="Sync Key", type="Text", length=64,
                       unique=True, externalId=True)

    assert answer["success"] is True and answer["errors"] == []
    assert answer["id"].startswith("00N")


def test_external_id_field_is_described_as_unique_external_id_text(sf: Salesforce) -> None:
    name = fresh_name()
    add_field(sf, f"Lead.{name}", label="LeadSync Id", type="Text", length=64, unique=True,
              externalId=True, inlineHelpText="LeadSync's own key")

    field = described(sf, name)

    assert (field["type"], field["length"], field["label"]) == ("string", 64, "LeadSync Id")
    assert field["custom"] and field["unique"] and field["externalId"] and field["idLookup"]
    assert field["nillable"] and field["createable"] and field["updateable"]
    assert field["inlineHelpText"] == "LeadSync's own key"


@pytest.mark.parametrize(("metadata", "kind", "written", "read"), [
    ({"type": "Text", "length": 20}, "string", "abc", "abc"),
    ({"type": "TextArea"}, "textarea", "line 1\nline 2", "line 1\nline 2"),
    ({"type": "LongTextArea", "length": 32768, "visibleLines": 3}, "textarea", "x" * 300,
     "x" * 300),
    ({"type": "Number", "precision": 5, "scale": 2}, "double", 12.5, 12.5),
    ({"type": "Number", "precision": 3, "scale": 0}, "double", 7, 7.0),
    ({"type": "Currency", "precision": 10, "scale": 2}, "currency", 99.99, 99.99),
    ({"type": "Percent", "precision": 5, "scale": 1}, "percent", 75, 75.0),
    ({"type": "Checkbox", "defaultValue": "false"}, "boolean", True, True),
    ({"type": "Date"}, "date", "2024-02-29", "2024-02-29"),
    ({"type": "DateTime"}, "datetime", "2024-01-15T10:30:00Z", "2024-01-15T10:30:00.000+0000"),
    ({"type": "Email"}, "email", "rep@example.com", "rep@example.com"),
    ({"type": "Phone"}, "phone", "+1 555 0100", "+1 555 0100"),
    ({"type": "Url"}, "url", "https://example.com", "https://example.com"),
    ({"type": "Picklist", "valueSet": {"restricted": True, "valueSetDefinition": {"value": [
        {"fullName": "pending", "label": "Pending", "default": True},
        {"fullName": "breached", "label": "Breached"}]}}}, "picklist", "breached", "breached"),
])
def test_each_field_type_can_be_written_and_queried(sf: Salesforce, metadata: dict[str, Any],
                                                    kind: str, written: Any, read: Any) -> None:
    name, company = fresh_name(), tag()
    add_field(sf, f"Lead.{name}", label="Field", **metadata)

    assert described(sf, name)["type"] == kind
    new_lead(sf, company, **{name: written})
    [record] = sf.query(f"SELECT {name} FROM Lead WHERE Company = '{company}'")["records"]
    assert record[name] == read


def test_checkbox_defaults_on_create(sf: Salesforce) -> None:
    name, company = fresh_name(), tag()
    add_field(sf, f"Lead.{name}", label="Flag", type="Checkbox", defaultValue="true")

    lead = sf.Lead.get(new_lead(sf, company))

    assert lead[name] is True


def test_picklist_default_applies_on_create(sf: Salesforce) -> None:
    name = fresh_name()
    add_field(sf, f"Lead.{name}", label="SLA Status", type="Picklist", valueSet={
        "valueSetDefinition": {"value": [{"fullName": "pending", "label": "Pending",
                                          "default": True}, {"fullName": "met", "label": "Met"}]}})

    assert sf.Lead.get(new_lead(sf, tag()))[name] == "pending"


def test_custom_text_length_is_enforced(sf: Salesforce) -> None:
    name = fresh_name()
    add_field(sf, f"Lead.{name}", label="Reason", type="Text", length=10)

    status, body = refusal(sf.Lead.create, {"LastName": "X", "Company": "Y", name: "x" * 11})

    assert status == 400
    assert body == [{"message": f"Reason: data value too large: {'x' * 11} (max length=10)",
                     "errorCode": "STRING_TOO_LONG", "fields": [name]}]


def test_restricted_custom_picklist_refuses_other_values(sf: Salesforce) -> None:
    name = fresh_name()
    add_field(sf, f"Lead.{name}", label="Stage", type="Picklist", valueSet={
        "restricted": True, "valueSetDefinition": {"value": [{"fullName": "mql",
                                                              "label": "MQL"}]}})

    status, body = refusal(sf.Lead.create, {"LastName": "X", "Company": "Y", name: "sql"})

    assert status == 400
    assert body[0]["errorCode"] == "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"


def test_number_beyond_its_precision_is_refused(sf: Salesforce) -> None:
    name = fresh_name()
    add_field(sf, f"Lead.{name}", label="Touches", type="Number", precision=3, scale=0)

    status, body = refusal(sf.Lead.create, {"LastName": "X", "Company": "Y", name: 1000})

    assert status == 400
    assert body[0]["errorCode"] == "NUMBER_OUTSIDE_VALID_RANGE"


def test_required_custom_field_must_be_given(sf: Salesforce) -> None:
    name = fresh_name()
    add_field(sf, f"Contact.{name}", label="Region", type="Text", length=10, required=True)

    status, body = refusal(sf.Contact.create, {"LastName": "X"})

    assert status == 400
    assert body[0]["errorCode"] == "REQUIRED_FIELD_MISSING"
    assert body[0]["fields"] == [name]


def test_unique_field_refuses_a_duplicate_value_whatever_its_case(sf: Salesforce) -> None:
    name = fresh_name()
    add_field(sf, f"Lead.{name}", label="Key", type="Text", length=20, unique=True)
    first = new_lead(sf, tag(), **{name: "key-1"})

    status, body = refusal(sf.Lead.create, {"LastName": "X", "Company": "Y", name: "KEY-1"})

    assert status == 400
    assert body == [{"message": f"duplicate value found: {name} duplicates value on record "
                                f"with id: {first}", "errorCode": "DUPLICATE_VALUE",
                     "fields": []}]


def test_the_same_field_twice_is_duplicate_developer_name(sf: Salesforce) -> None:
    name = fresh_name()
    add_field(sf, f"Lead.{name}", label="Once", type="Text", length=5)

    status, body = refusal(add_field, sf, f"Lead.{name}", label="Twice", type="Text", length=5)

    assert status == 400
    assert body[0]["errorCode"] == "DUPLICATE_DEVELOPER_NAME"


@pytest.mark.parametrize(("full_name", "metadata"), [
    ("Lead.No_Suffix", {"label": "X", "type": "Text", "length": 5}),
    ("Prospect.Thing__c", {"label": "X", "type": "Text", "length": 5}),
    ("Lead.Too_Long__c", {"label": "X", "type": "Text", "length": 256}),
    ("Lead.No_Label__c", {"type": "Text", "length": 5}),
    ("Lead.Odd_Type__c", {"label": "X", "type": "Hologram"}),
])
def test_invalid_definitions_are_refused(sf: Salesforce, full_name: str,
                                         metadata: dict[str, Any]) -> None:
    status, body = refusal(add_field, sf, full_name, **metadata)

    assert status == 400
    assert body[0]["errorCode"] == "FIELD_INTEGRITY_EXCEPTION"


def test_tooling_query_lists_the_custom_fields_of_an_object(sf: Salesforce) -> None:
    name = fresh_name()
    field_id = add_field(sf, f"Account.{name}", label="Tier", type="Text", length=5)["id"]

    answer = sf.toolingexecute("query/?q=SELECT+Id,DeveloperName+FROM+CustomField+"
                               "WHERE+TableEnumOrId='Account'")

    assert {"attributes": {"type": "CustomField",
                           "url": f"/services/data/v59.0/tooling/sobjects/CustomField/{field_id}"},
            "Id": field_id, "DeveloperName": name[:-3]} in answer["records"]


def test_a_deleted_custom_field_leaves_describe(sf: Salesforce) -> None:
    name = fresh_name()
    field_id = add_field(sf, f"Lead.{name}", label="Temp", type="Text", length=5)["id"]

    sf.toolingexecute(f"sobjects/CustomField/{field_id}", method="DELETE")

    assert name not in [f["name"] for f in sf.Lead.describe()["fields"]]


def test_a_custom_activity_field_is_made_on_activity_and_both_tasks_and_events_have_it(
        sf: Salesforce) -> None:
    name = fresh_name()
    add_field(sf, f"Activity.{name}", label="LeadSync Key", type="Text", length=255)

    assert described(sf, name, "Task")["type"] == "string"
    assert described(sf, name, "Event")["length"] == 255
    lead = new_lead(sf, tag())
    task = sf.Task.create({"WhoId": lead, "Subject": "Call back", name: "k-1"})
    found = sf.query(f"SELECT Id FROM Task WHERE {name} IN ('k-1', 'k-2')")["records"]
    assert [r["Id"] for r in found] == [task["id"]]


def test_a_custom_field_on_task_itself_is_refused_naming_activity(sf: Salesforce) -> None:
    status, body = refusal(add_field, sf, f"Task.{fresh_name()}", label="Key", type="Text",
                           length=20)

    assert status == 400
    assert body[0]["errorCode"] == "FIELD_INTEGRITY_EXCEPTION"
    assert "Activity." in body[0]["message"]


def test_a_custom_activity_field_is_listed_and_deleted_from_tasks_and_events(
        sf: Salesforce) -> None:
    name = fresh_name()
    field_id = add_field(sf, f"Activity.{name}", label="Gone", type="Text", length=20)["id"]
    listed = sf.toolingexecute(f"sobjects/CustomField/{field_id}")
    assert (listed["TableEnumOrId"], listed["FullName"]) == ("Activity", f"Activity.{name}")

    sf.toolingexecute(f"sobjects/CustomField/{field_id}", method="DELETE")

    for sobject in ("Task", "Event"):
        assert name not in {f["name"] for f in getattr(sf, sobject).describe()["fields"]}


def test_a_custom_activity_field_survives_a_restart_from_the_state_file(tmp_path: Path) -> None:
    from tests.conftest import salesforce_client

    state = tmp_path / "org.json"
    with Sandbox(state=state) as first:
        add_field(salesforce_client(first), "Activity.Kept__c", label="Kept", type="Text",
                  length=20)
    with Sandbox(state=state) as again:
        sf = salesforce_client(again)
        assert described(sf, "Kept__c", "Task")["label"] == "Kept"
        assert described(sf, "Kept__c", "Event")["label"] == "Kept"
