"""convertLead() and merge() over the SOAP partner endpoint, with its results and faults."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator

import pytest
from simple_salesforce import Salesforce

from leadsync.sandbox.salesforce import soap
from leadsync.sandbox.server import Sandbox
from tests.sandbox.salesforce_support import (
    SOAP_NS,
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


def convert(lead_id: str, status: str = "Closed - Converted", *, opportunity: bool = False,
            **extra: str) -> str:
    more = "".join(f"<urn:{k}>{v}</urn:{k}>" for k, v in extra.items())
    return (f"<urn:convertLead><urn:leadConverts><urn:convertedStatus>{status}"
            "</urn:convertedStatus><urn:doNotCreateOpportunity>"
            f"{'false' if opportunity else 'true'}</urn:doNotCreateOpportunity>"
            f"<urn:leadId>{lead_id}</urn:leadId>{more}</urn:leadConverts></urn:convertLead>")


def merge(sobject: str, master: str, losers: list[str], fields: str = "") -> str:
    ids = "".join(f"<urn:recordToMergeIds>{i}</urn:recordToMergeIds>" for i in losers)
    return (f"<urn:merge><urn:request><urn:masterRecord><urn1:type>{sobject}</urn1:type>"
            f"<urn1:Id>{master}</urn1:Id>{fields}</urn:masterRecord>{ids}</urn:request>"
            "</urn:merge>")


def test_convert_lead_creates_an_account_and_a_contact_and_closes_the_lead(
        sf: Salesforce, sandbox: Sandbox) -> None:
    company = tag()
    lead_id = new_lead(sf, company, FirstName="Ada", Email="ada@example.com", Title="Countess")
    task_id = sf.Task.create({"Subject": "Call", "WhoId": lead_id, "TaskSubtype": "Call"})["id"]

    status, root = soap_call(sandbox, convert(lead_id))

    assert status == 200
    [result] = soap_results(root)
    assert result["success"] == "true" and result["leadId"] == lead_id
    assert result["accountId"].startswith("001") and result["contactId"].startswith("003")
    assert result["opportunityId"] is None
    lead = sf.Lead.get(lead_id)
    assert lead["IsConverted"] is True and lead["Status"] == "Closed - Converted"
    assert lead["ConvertedContactId"] == result["contactId"]
    assert lead["ConvertedAccountId"] == result["accountId"]
    assert lead["ConvertedDate"] is not None
    contact = sf.Contact.get(result["contactId"])
    assert (contact["FirstName"], contact["LastName"], contact["Email"], contact["Title"]) == (
        "Ada", "Lovelace", "ada@example.com", "Countess")
    assert contact["AccountId"] == result["accountId"]
    assert sf.Account.get(result["accountId"])["Name"] == company
    assert sf.Task.get(task_id)["WhoId"] == result["contactId"]


def test_convert_lead_can_create_an_opportunity(sf: Salesforce, sandbox: Sandbox) -> None:
    lead_id = new_lead(sf, tag())

    _, root = soap_call(sandbox, convert(lead_id, opportunity=True,
                                         opportunityName="Big deal"))

    [result] = soap_results(root)
    assert result["opportunityId"].startswith("006")
    assert sf.Opportunity.get(result["opportunityId"])["Name"] == "Big deal"


def test_convert_lead_into_an_existing_account(sf: Salesforce, sandbox: Sandbox) -> None:
    account_id = sf.Account.create({"Name": "Existing"})["id"]
    lead_id = new_lead(sf, tag())

    _, root = soap_call(sandbox, convert(lead_id, accountId=account_id))

    [result] = soap_results(root)
    assert result["accountId"] == account_id
    assert sf.Contact.get(result["contactId"])["AccountId"] == account_id


def test_converted_lead_can_no_longer_be_updated(sf: Salesforce, sandbox: Sandbox) -> None:
    lead_id = new_lead(sf, tag())
    soap_call(sandbox, convert(lead_id))

    status, body = refusal(sf.Lead.update, lead_id, {"Title": "Too late"})

    assert status == 400
    assert body == [{"message": "cannot reference converted lead",
                     "errorCode": "CANNOT_UPDATE_CONVERTED_LEAD", "fields": []}]


def test_converting_twice_reports_an_error_in_the_result(sf: Salesforce,
                                                          sandbox: Sandbox) -> None:
    lead_id = new_lead(sf, tag())
    soap_call(sandbox, convert(lead_id))

    status, root = soap_call(sandbox, convert(lead_id))

    assert status == 200
    [result] = soap_results(root)
    assert result["success"] == "false"
    assert result["errors"] == [{"message": "cannot reference converted lead",
                                 "statusCode": "CANNOT_UPDATE_CONVERTED_LEAD"}]


def test_converted_status_must_be_a_converted_status(sf: Salesforce, sandbox: Sandbox) -> None:
    lead_id = new_lead(sf, tag())

    _, root = soap_call(sandbox, convert(lead_id, status="Working - Contacted"))

    [result] = soap_results(root)
    assert result["success"] == "false"
    assert result["errors"][0]["statusCode"] == "INVALID_STATUS"
    assert sf.Lead.get(lead_id)["IsConverted"] is False


def test_several_leads_convert_in_one_call_each_with_its_result(sf: Salesforce,
                                                                 sandbox: Sandbox) -> None:
    good = new_lead(sf, tag())
    body = convert(good).replace("</urn:convertLead>", "") + convert("00Qbogus").replace(
        "<urn:convertLead>", "")

    _, root = soap_call(sandbox, body)

    assert [r["success"] for r in soap_results(root)] == ["true", "false"]


def test_wrong_session_is_an_invalid_session_fault(sandbox: Sandbox) -> None:
    status, root = soap_call(sandbox, convert("00Q000000000000AAA"), session_id="00Dnope")

    assert status == 500
    assert root.findtext(".//faultcode") == "sf:INVALID_SESSION_ID"
    assert root.findtext(".//faultstring") == ("INVALID_SESSION_ID: Invalid Session ID found in "
                                               "SessionHeader: Illegal Session")
    assert root.findtext(".//sf:exceptionCode", namespaces=SOAP_NS) == "INVALID_SESSION_ID"


def test_bearer_header_stands_in_for_the_session_header(sf: Salesforce,
                                                         sandbox: Sandbox) -> None:
    lead_id = new_lead(sf, tag())
    token = sandbox.info["salesforce"]["session_id"]

    status, root = soap_call(sandbox, convert(lead_id), session_id=None,
                             headers={"Authorization": f"Bearer {token}"})

    assert status == 200 and soap_results(root)[0]["success"] == "true"


def test_unknown_operation_is_a_client_fault(sandbox: Sandbox) -> None:
    status, root = soap_call(sandbox, "<urn:launchRocket/>")

    assert status == 500
    assert root.findtext(".//faultcode") == "soapenv:Client"


def test_soap_calls_count_against_the_daily_allowance(sf: Salesforce, sandbox: Sandbox) -> None:
    sf.limits()
    before = sf.api_usage["api-usage"].used

    _, root = soap_call(sandbox, convert("00Q000000000000AAA"))

    current = root.findtext(".//p:LimitInfoHeader/p:limitInfo/p:current", namespaces=SOAP_NS)
    assert int(current) == before + 1


def test_merge_keeps_the_master_and_deletes_the_others_pointing_at_it(
        sf: Salesforce, sandbox: Sandbox) -> None:
    company = tag()
    master, first, second = (new_lead(sf, company) for _ in range(3))
    moved = sf.Task.create({"Subject": "Call", "WhoId": first})["id"]

    status, root = soap_call(sandbox, merge("Lead", master, [first, second],
                                            "<Title>Merged title</Title>"))

    assert status == 200
    [result] = soap_results(root)
    assert result["success"] == "true" and result["id"] == master
    assert result["mergedRecordIds"] == [first, second]
    assert result["updatedRelatedIds"] == [moved]
    assert sf.Lead.get(master)["Title"] == "Merged title"
    assert sf.Task.get(moved)["WhoId"] == master
    losers = sf.query_all(f"SELECT Id, IsDeleted, MasterRecordId FROM Lead WHERE Company = "
                          f"'{company}' AND IsDeleted = true ORDER BY Id",
                          include_deleted=True)["records"]
    assert [(r["Id"], r["MasterRecordId"]) for r in losers] == sorted(
        [(first, master), (second, master)])


def test_merge_takes_at_most_two_records_into_the_master(sf: Salesforce,
                                                         sandbox: Sandbox) -> None:
    company = tag()
    master, *others = (new_lead(sf, company) for _ in range(4))

    _, root = soap_call(sandbox, merge("Lead", master, others))

    [result] = soap_results(root)
    assert result["success"] == "false"
    assert result["errors"][0]["statusCode"] == "LIMIT_EXCEEDED"
    assert sf.query(f"SELECT COUNT() FROM Lead WHERE Company = '{company}'")["totalSize"] == 4


def test_merge_refuses_records_of_another_object(sf: Salesforce, sandbox: Sandbox) -> None:
    lead_id = new_lead(sf, tag())
    contact_id = sf.Contact.create({"LastName": "Other"})["id"]

    _, root = soap_call(sandbox, merge("Lead", lead_id, [contact_id]))

    [result] = soap_results(root)
    assert result["success"] == "false"
    assert result["errors"][0]["statusCode"] == "INVALID_CROSS_REFERENCE_KEY"
    assert sf.Contact.get(contact_id)["IsDeleted"] is False


def test_merge_of_contacts_moves_their_activities(sf: Salesforce, sandbox: Sandbox) -> None:
    master = sf.Contact.create({"LastName": "Keep"})["id"]
    loser = sf.Contact.create({"LastName": "Drop"})["id"]
    event = sf.Event.create({"Subject": "Demo", "WhoId": loser, "DurationInMinutes": 30,
                             "StartDateTime": "2024-05-01T09:00:00Z"})["id"]

    _, root = soap_call(sandbox, merge("Contact", master, [loser]))

    assert soap_results(root)[0]["updatedRelatedIds"] == [event]
    assert sf.Event.get(event)["WhoId"] == master


def test_unexpected_failure_is_an_unknown_exception_fault(
        sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(org: object, call: object) -> list[str]:
        raise RuntimeError("boom")

    monkeypatch.setitem(soap.OPERATIONS, "merge", broken)
    status, root = soap_call(sandbox, merge("Lead", "00Q000000000000AAA", []))

    assert status == 500
    assert root.findtext(".//faultcode") == "sf:UNKNOWN_EXCEPTION"
    assert "boom" not in ET.tostring(root, encoding="unicode")
