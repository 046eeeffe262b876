"""Public groups and queues: Group and GroupMember through the REST sObject API and SOQL, and
leads owned by a queue."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from simple_salesforce import Salesforce

from leadsync.sandbox.server import Sandbox
from tests.sandbox.salesforce_support import (
    module_sandbox,
    new_lead,
    refusal,
    soap_call,
    soap_results,
    tag,
)


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    yield from module_sandbox()


def api_name() -> str:
    """A DeveloperName no other test uses."""
    return f"Queue_{uuid.uuid4().hex[:10]}"


def new_queue(sf: Salesforce, developer_name: str, name: str = "Inbound SDRs",
              **fields: str) -> str:
    return sf.Group.create({"Name": name, "DeveloperName": developer_name, "Type": "Queue",
                            **fields})["id"]


def new_user(sf: Salesforce, last_name: str) -> str:
    login = f"{last_name.lower()}-{uuid.uuid4().hex[:8]}@sales.example.com"
    return sf.User.create({"LastName": last_name, "Email": login, "Username": login,
                           "TimeZoneSidKey": "America/New_York"})["id"]


def test_a_queue_is_created_and_found_by_type_and_developer_name(sf: Salesforce) -> None:
    developer_name = api_name()

    queue_id = new_queue(sf, developer_name, Email="sdrs@sales.example.com")

    found = sf.query("SELECT Id, Name, DeveloperName FROM Group WHERE Type = 'Queue' AND "
                     f"DeveloperName = '{developer_name}'")["records"]
    assert [(r["Id"], r["Name"], r["DeveloperName"]) for r in found] == [
        (queue_id, "Inbound SDRs", developer_name)]
    assert queue_id.startswith("00G") and len(queue_id) == 18
    queue = sf.Group.get(queue_id)
    assert (queue["Type"], queue["Email"]) == ("Queue", "sdrs@sales.example.com")
    assert queue["OwnerId"] == queue["CreatedById"] == queue["LastModifiedById"]
    assert queue["CreatedDate"] == queue["LastModifiedDate"] == queue["SystemModstamp"]
    assert queue["DoesSendEmailToMembers"] is False


def test_queue_members_are_added_and_listed_by_group(sf: Salesforce) -> None:
    queue_id = new_queue(sf, api_name())
    ada, bob = new_user(sf, "Ada"), new_user(sf, "Bob")
    team_id = sf.Group.create({"Name": "SDR leads", "DeveloperName": api_name(),
                               "Type": "Regular"})["id"]

    members = [sf.GroupMember.create({"GroupId": queue_id, "UserOrGroupId": who})["id"]
               for who in (ada, bob, team_id)]

    rows = sf.query(f"SELECT UserOrGroupId FROM GroupMember WHERE GroupId = '{queue_id}'")
    assert sorted(r["UserOrGroupId"] for r in rows["records"]) == sorted([ada, bob, team_id])
    assert all(m.startswith("011") and len(m) == 18 for m in members)
    member = sf.GroupMember.get(members[0])
    assert (member["GroupId"], member["UserOrGroupId"]) == (queue_id, ada)
    assert set(member) == {"attributes", "Id", "GroupId", "UserOrGroupId", "SystemModstamp"}


def test_members_are_read_with_their_group_and_user_through_relationships(
        sf: Salesforce) -> None:
    developer_name = api_name()
    queue_id = new_queue(sf, developer_name)
    ada = new_user(sf, "Ada")
    sf.GroupMember.create({"GroupId": queue_id, "UserOrGroupId": ada})

    [row] = sf.query("SELECT Group.DeveloperName, UserOrGroup.Name, UserOrGroup.Type "
                     f"FROM GroupMember WHERE Group.DeveloperName = '{developer_name}'")[
        "records"]

    assert row["Group"]["DeveloperName"] == developer_name
    assert (row["UserOrGroup"]["Name"], row["UserOrGroup"]["Type"]) == ("Ada", "User")


def test_adding_an_existing_member_again_returns_the_existing_record(sf: Salesforce) -> None:
    queue_id = new_queue(sf, api_name())
    ada = new_user(sf, "Ada")

    first = sf.GroupMember.create({"GroupId": queue_id, "UserOrGroupId": ada})["id"]
    again = sf.GroupMember.create({"GroupId": queue_id, "UserOrGroupId": ada})["id"]

    assert again == first
    assert sf.query(f"SELECT COUNT() FROM GroupMember WHERE GroupId = '{queue_id}'")[
        "totalSize"] == 1


def test_a_lead_is_created_and_updated_into_a_queue(sf: Salesforce) -> None:
    queue_id = new_queue(sf, api_name())
    company = tag()
    rep = new_user(sf, "Rep")

    lead_id = new_lead(sf, company, OwnerId=queue_id)
    owned_by_queue = sf.query("SELECT OwnerId, Owner.Name, Owner.Type FROM Lead "
                              f"WHERE Company = '{company}'")["records"]
    sf.Lead.update(lead_id, {"OwnerId": rep})
    owned_by_rep = sf.Lead.get(lead_id)["OwnerId"]
    sf.Lead.update(lead_id, {"OwnerId": queue_id[:15]})

    assert [(r["OwnerId"], r["Owner"]["Name"], r["Owner"]["Type"]) for r in owned_by_queue] == [
        (queue_id, "Inbound SDRs", "Queue")]
    assert owned_by_rep == rep
    assert sf.Lead.get(lead_id)["OwnerId"] == queue_id
    in_queue = sf.query(f"SELECT Id FROM Lead WHERE Owner.Type = 'Queue' AND "
                        f"Company = '{company}'")["records"]
    assert [r["Id"] for r in in_queue] == [lead_id]


def test_only_a_queue_may_own_a_lead_and_never_a_contact(sf: Salesforce) -> None:
    queue_id = new_queue(sf, api_name())
    public_group = sf.Group.create({"Name": "Everyone in sales", "DeveloperName": api_name(),
                                    "Type": "Regular"})["id"]

    lead_status, lead_body = refusal(sf.Lead.create, {"LastName": "X", "Company": tag(),
                                                      "OwnerId": public_group})
    contact_status, contact_body = refusal(sf.Contact.create, {"LastName": "X",
                                                               "OwnerId": queue_id})

    for status, body in ((lead_status, lead_body), (contact_status, contact_body)):
        assert status == 400
        assert body[0]["errorCode"] == "FIELD_INTEGRITY_EXCEPTION"
        assert body[0]["fields"] == ["OwnerId"]


def test_a_group_needs_a_name_and_a_type_from_the_picklist(sf: Salesforce) -> None:
    no_name = refusal(sf.Group.create, {"DeveloperName": api_name(), "Type": "Queue"})
    bad_type = refusal(sf.Group.create, {"Name": "X", "DeveloperName": api_name(),
                                         "Type": "Team"})
    long_name = refusal(sf.Group.create, {"Name": "N" * 41, "DeveloperName": api_name(),
                                          "Type": "Queue"})

    assert [(s, b[0]["errorCode"]) for s, b in (no_name, bad_type, long_name)] == [
        (400, "REQUIRED_FIELD_MISSING"), (400, "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"),
        (400, "STRING_TOO_LONG")]
    assert no_name[1][0]["fields"] == ["Name"]


def test_a_group_without_type_or_developer_name_gets_them(sf: Salesforce) -> None:
    label = f"West {uuid.uuid4().hex[:8]} & Central"

    group_id = sf.Group.create({"Name": label})["id"]

    group = sf.Group.get(group_id)
    assert group["Type"] == "Regular"
    assert group["DeveloperName"] == label.replace(" & ", "_").replace(" ", "_")
    assert group["DoesIncludeBosses"] is True


def test_developer_names_are_unique_within_a_group_type(sf: Salesforce) -> None:
    developer_name = api_name()
    new_queue(sf, developer_name)

    status, body = refusal(sf.Group.create, {"Name": "Again", "DeveloperName": developer_name,
                                             "Type": "Queue"})
    regular = sf.Group.create({"Name": "Again", "DeveloperName": developer_name,
                               "Type": "Regular"})

    assert status == 400 and body[0]["errorCode"] == "DUPLICATE_DEVELOPER_NAME"
    assert body[0]["fields"] == ["DeveloperName"]
    assert regular["success"] is True


def test_a_group_type_is_set_on_create_only(sf: Salesforce) -> None:
    group_id = new_queue(sf, api_name())

    status, body = refusal(sf.Group.update, group_id, {"Type": "Regular"})
    sf.Group.update(group_id, {"Name": "Inbound SDRs (US)"})

    assert status == 400 and body[0]["errorCode"] == "INVALID_FIELD_FOR_INSERT_UPDATE"
    assert sf.Group.get(group_id)["Name"] == "Inbound SDRs (US)"


def test_a_member_needs_a_group_and_a_user_or_group_and_cannot_change(sf: Salesforce) -> None:
    queue_id = new_queue(sf, api_name())
    ada = new_user(sf, "Ada")
    member_id = sf.GroupMember.create({"GroupId": queue_id, "UserOrGroupId": ada})["id"]

    missing = refusal(sf.GroupMember.create, {"GroupId": queue_id})
    user_as_group = refusal(sf.GroupMember.create, {"GroupId": ada, "UserOrGroupId": ada})
    lead_as_member = refusal(sf.GroupMember.create, {"GroupId": queue_id,
                                                     "UserOrGroupId": new_lead(sf, tag())})
    moved = refusal(sf.GroupMember.update, member_id, {"UserOrGroupId": new_user(sf, "Bob")})

    assert missing[1][0]["errorCode"] == "REQUIRED_FIELD_MISSING"
    assert missing[1][0]["fields"] == ["UserOrGroupId"]
    assert user_as_group[1][0]["errorCode"] == "FIELD_INTEGRITY_EXCEPTION"
    assert lead_as_member[1][0]["errorCode"] == "FIELD_INTEGRITY_EXCEPTION"
    assert moved[1][0]["errorCode"] == "INVALID_FIELD_FOR_INSERT_UPDATE"


def test_a_deleted_group_is_gone_with_its_members(sf: Salesforce) -> None:
    developer_name = api_name()
    queue_id = new_queue(sf, developer_name)
    member_id = sf.GroupMember.create({"GroupId": queue_id,
                                       "UserOrGroupId": new_user(sf, "Ada")})["id"]

    sf.Group.delete(queue_id)

    for query in (sf.query, sf.query_all):
        assert query(f"SELECT Id FROM Group WHERE DeveloperName = '{developer_name}'")[
            "records"] == []
        assert query(f"SELECT Id FROM GroupMember WHERE Id = '{member_id}'")["records"] == []
    assert refusal(sf.GroupMember.get, member_id)[0] == 404
    again = new_queue(sf, developer_name)
    assert again != queue_id


def test_converting_a_queue_owned_lead_needs_an_owner(sf: Salesforce, sandbox: Sandbox) -> None:
    queue_id = new_queue(sf, api_name())
    rep = new_user(sf, "Rep")
    lead_id = new_lead(sf, tag(), OwnerId=queue_id)
    body = ("<urn:convertLead><urn:leadConverts><urn:convertedStatus>Closed - Converted"
            "</urn:convertedStatus><urn:doNotCreateOpportunity>true"
            f"</urn:doNotCreateOpportunity><urn:leadId>{lead_id}</urn:leadId>{{owner}}"
            "</urn:leadConverts></urn:convertLead>")

    [without] = soap_results(soap_call(sandbox, body.format(owner=""))[1])
    [with_owner] = soap_results(soap_call(
        sandbox, body.format(owner=f"<urn:ownerId>{rep}</urn:ownerId>"))[1])

    assert without["success"] == "false"
    assert without["errors"][0]["statusCode"] == "FIELD_INTEGRITY_EXCEPTION"
    assert with_owner["success"] == "true"
    assert sf.Contact.get(with_owner["contactId"])["OwnerId"] == rep


def test_queues_and_members_put_straight_into_the_org_are_queried(
        sf: Salesforce, sandbox: Sandbox) -> None:
    org = sandbox.salesforce
    label = f"Partner {uuid.uuid4().hex[:8]} Leads"
    with org.lock:
        queue_id = org.insert_raw("Group", {"Name": label, "Type": "Queue"})
        member_id = org.insert_raw("GroupMember", {"GroupId": queue_id,
                                                   "UserOrGroupId": org.api_user_id})

    [queue] = sf.query(f"SELECT Id, DeveloperName FROM Group WHERE Name = '{label}'")["records"]
    [member] = sf.query(f"SELECT Id, UserOrGroupId FROM GroupMember WHERE GroupId = "
                        f"'{queue_id}'")["records"]

    assert (queue["Id"], queue["DeveloperName"]) == (queue_id, label.replace(" ", "_"))
    assert (member["Id"], member["UserOrGroupId"]) == (member_id, org.api_user_id)


def test_group_and_group_member_are_described_with_their_prefixes_and_references(
        sf: Salesforce) -> None:
    group = sf.Group.describe()
    member = sf.GroupMember.describe()
    group_fields = {f["name"]: f for f in group["fields"]}
    member_fields = {f["name"]: f for f in member["fields"]}

    assert (group["keyPrefix"], member["keyPrefix"]) == ("00G", "011")
    assert {"Queue", "Regular"} <= {v["value"] for v in group_fields["Type"]["picklistValues"]}
    assert group_fields["Type"]["restrictedPicklist"] is True
    assert (group_fields["Name"]["length"], group_fields["DeveloperName"]["length"]) == (40, 80)
    assert {"Id", "Name", "DeveloperName", "Type", "Email", "OwnerId", "CreatedDate",
            "CreatedById", "LastModifiedDate", "LastModifiedById",
            "SystemModstamp"} <= set(group_fields)
    assert set(member_fields) == {"Id", "GroupId", "UserOrGroupId", "SystemModstamp"}
    assert member_fields["UserOrGroupId"]["referenceTo"] == ["Group", "User"]
    assert member_fields["GroupId"]["referenceTo"] == ["Group"]
    assert member["updateable"] is False
    children = {(c["childSObject"], c["relationshipName"]) for c in group["childRelationships"]}
    assert ("GroupMember", "GroupMembers") in children
