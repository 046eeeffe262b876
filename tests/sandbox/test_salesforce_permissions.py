"""Permission sets in the sandbox org: PermissionSet, FieldPermissions and
PermissionSetAssignment through simple-salesforce, as the Object Reference describes them."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from simple_salesforce import Salesforce

from leadsync.sandbox.server import Sandbox
from tests.sandbox.salesforce_support import add_field, module_sandbox, refusal


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    yield from module_sandbox()


def new_set(sf: Salesforce, name: str | None = None) -> str:
    name = name or f"Perms_{uuid.uuid4().hex[:10]}"
    return str(sf.PermissionSet.create({"Name": name, "Label": "LeadSync fields"})["id"])


def custom_field(sf: Salesforce) -> str:
    name = f"F{uuid.uuid4().hex[:8]}__c"
    add_field(sf, f"Lead.{name}", label="A field", type="Text", length=20)
    return f"Lead.{name}"


def test_a_permission_set_is_created_and_found_by_its_api_name(sf: Salesforce) -> None:
    name = f"LeadSync_{uuid.uuid4().hex[:8]}"
    set_id = sf.PermissionSet.create({"Name": name, "Label": "LeadSync fields",
                                      "Description": "Read LeadSync's fields"})["id"]

    [row] = sf.query(f"SELECT Id, Name, Label, IsOwnedByProfile, IsCustom FROM PermissionSet "
                     f"WHERE Name = '{name}'")["records"]
    assert (row["Id"], row["Label"]) == (set_id, "LeadSync fields")
    assert set_id.startswith("0PS") and len(set_id) == 18
    assert (row["IsOwnedByProfile"], row["IsCustom"]) == (False, True)


@pytest.mark.parametrize("name", ["Has Space", "Two__Underscores", "Ends_", "1Digit"])
def test_a_permission_set_api_name_must_be_letters_digits_and_single_underscores(
        sf: Salesforce, name: str) -> None:
    status, body = refusal(sf.PermissionSet.create, {"Name": name, "Label": "x"})
    assert status == 400 and body[0]["errorCode"] == "INVALID_NAME"


def test_a_second_permission_set_of_one_api_name_is_refused(sf: Salesforce) -> None:
    name = f"Dup_{uuid.uuid4().hex[:8]}"
    first = new_set(sf, name)
    status, body = refusal(sf.PermissionSet.create, {"Name": name.upper(), "Label": "y"})
    assert status == 400 and body[0]["errorCode"] == "DUPLICATE_DEVELOPER_NAME"
    assert first in body[0]["message"] and body[0]["fields"] == ["Name"]


def test_field_permissions_grant_read_on_a_custom_field_once_per_set(sf: Salesforce) -> None:
    set_id, field = new_set(sf), custom_field(sf)

    made = sf.FieldPermissions.create({"ParentId": set_id, "SobjectType": "Lead",
                                       "Field": field, "PermissionsRead": True})
    status, body = refusal(sf.FieldPermissions.create, {
        "ParentId": set_id, "SobjectType": "Lead", "Field": field, "PermissionsRead": True})

    assert made["id"].startswith("01k")
    assert status == 400 and body[0]["errorCode"] == "DUPLICATE_VALUE"
    assert body[0]["message"].endswith(made["id"])
    [row] = sf.query(f"SELECT Field, SobjectType, PermissionsRead, PermissionsEdit, Parent.Name "
                     f"FROM FieldPermissions WHERE ParentId = '{set_id}'")["records"]
    assert (row["Field"], row["SobjectType"]) == (field, "Lead")
    assert (row["PermissionsRead"], row["PermissionsEdit"]) == (True, False)
    assert row["Parent"]["Name"].startswith("Perms_")


@pytest.mark.parametrize(("values", "code", "where"), [
    ({"Field": "Lead.No_Such__c"}, "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST", "Field"),
    ({"SobjectType": "Nothing"}, "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST", "SobjectType"),
    ({"Field": "Contact.Email"}, "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST", "Field"),
    ({"Field": "Lead.LastName"}, "FIELD_INTEGRITY_EXCEPTION", "Field"),  # required
    ({"Field": "Lead.Id"}, "FIELD_INTEGRITY_EXCEPTION", "Field"),
    ({"PermissionsRead": False, "PermissionsEdit": True}, "FIELD_INTEGRITY_EXCEPTION",
     "PermissionsEdit"),
    ({"Field": "Lead.CreatedDate", "PermissionsEdit": True}, "FIELD_INTEGRITY_EXCEPTION",
     "Field"),
])
def test_field_permissions_the_org_refuses(sf: Salesforce, values: dict[str, object],
                                           code: str, where: str) -> None:
    record = {"ParentId": new_set(sf), "SobjectType": "Lead", "Field": "Lead.Title",
              "PermissionsRead": True, **values}
    status, body = refusal(sf.FieldPermissions.create, record)
    assert status == 400 and body[0]["errorCode"] == code and body[0]["fields"] == [where]


def test_deleting_a_set_or_a_field_deletes_its_field_permissions(sf: Salesforce) -> None:
    set_id, field = new_set(sf), custom_field(sf)
    sf.FieldPermissions.create({"ParentId": set_id, "SobjectType": "Lead", "Field": field,
                                "PermissionsRead": True})
    sf.FieldPermissions.create({"ParentId": set_id, "SobjectType": "Lead",
                                "Field": "Lead.Title", "PermissionsRead": True,
                                "PermissionsEdit": True})
    developer_name = field.removeprefix("Lead.").removesuffix("__c")
    [row] = sf.toolingexecute("query/?q=SELECT+Id+FROM+CustomField+WHERE+DeveloperName+%3D+"
                              f"%27{developer_name}%27")["records"]

    sf.toolingexecute(f"sobjects/CustomField/{row['Id']}", method="DELETE")
    left = sf.query(f"SELECT Field FROM FieldPermissions WHERE ParentId = '{set_id}'")
    assert [r["Field"] for r in left["records"]] == ["Lead.Title"]

    sf.PermissionSet.delete(set_id)
    gone = sf.query(f"SELECT Id FROM FieldPermissions WHERE ParentId = '{set_id}'")
    assert gone["totalSize"] == 0


def test_a_set_is_assigned_to_a_user_once(sf: Salesforce) -> None:
    set_id = new_set(sf)
    [user] = sf.query("SELECT Id FROM User LIMIT 1")["records"]

    assigned = sf.PermissionSetAssignment.create({"AssigneeId": user["Id"],
                                                  "PermissionSetId": set_id})["id"]
    status, body = refusal(sf.PermissionSetAssignment.create, {
        "AssigneeId": user["Id"], "PermissionSetId": set_id})

    assert assigned.startswith("0Pa")
    assert status == 400 and body[0]["errorCode"] == "DUPLICATE_VALUE"
    [row] = sf.query(f"SELECT AssigneeId FROM PermissionSetAssignment "
                     f"WHERE PermissionSetId = '{set_id}'")["records"]
    assert row["AssigneeId"] == user["Id"]
