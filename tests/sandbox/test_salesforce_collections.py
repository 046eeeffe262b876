"""sObject Collections: up to 200 records per call, partial success or all-or-none."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceMalformedRequest

from leadsync.sandbox.server import Sandbox
from tests.conftest import salesforce_client
from tests.sandbox.salesforce_support import (
    add_field,
    base_url,
    module_sandbox,
    new_lead,
    refusal,
    tag,
)

ROLLED_BACK = {"statusCode": "ALL_OR_NONE_OPERATION_ROLLED_BACK",
               "message": "Record rolled back because not all records were valid and the "
                          "request was using AllOrNone header",
               "fields": []}
TOO_MANY = [{"message": "record limit reached. cannot submit more than 200 records into this "
                        "call", "errorCode": "EXCEEDED_ID_LIMIT"}]
EXTERNAL_ID = "Sync_Key__c"


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    yield from module_sandbox()


@pytest.fixture(scope="module", autouse=True)
def external_id_field(sandbox: Sandbox) -> None:
    add_field(salesforce_client(sandbox), f"Lead.{EXTERNAL_ID}", label="Sync Key", type="Text",
              length=64, unique=True, externalId=True)


def lead(company: str, **fields: Any) -> dict[str, Any]:
    return {"attributes": {"type": "Lead"}, "LastName": "Turing", "Company": company, **fields}


def leads_of(sf: Salesforce, company: str) -> list[dict[str, Any]]:
    return sf.query_all(f"SELECT Id, LastName, Title FROM Lead WHERE Company = '{company}' "
                        "ORDER BY LastName")["records"]


def test_create_answers_one_result_per_record_in_order(sf: Salesforce) -> None:
    company = tag()

    results = sf.restful("composite/sobjects", method="POST", json={
        "allOrNone": False, "records": [lead(company, LastName="A"), lead(company, LastName="B")]})

    assert [r["success"] for r in results] == [True, True]
    assert all(r["errors"] == [] and r["id"].startswith("00Q") for r in results)
    assert [r["Id"] for r in leads_of(sf, company)] == [r["id"] for r in results]


def test_create_may_mix_objects(sf: Salesforce) -> None:
    results = sf.restful("composite/sobjects", method="POST", json={"records": [
        lead(tag()), {"attributes": {"type": "Contact"}, "LastName": "Babbage"}]})

    assert [r["id"][:3] for r in results] == ["00Q", "003"]


def test_partial_failure_answers_200_with_the_refused_record_s_errors(sf: Salesforce) -> None:
    company = tag()

    results = sf.restful("composite/sobjects", method="POST", json={"records": [
        lead(company, LastName="Kept"), {"attributes": {"type": "Lead"}, "Company": company}]})

    assert results[0]["success"] is True
    assert results[1] == {"success": False, "errors": [{
        "statusCode": "REQUIRED_FIELD_MISSING", "message": "Required fields are missing: "
        "[LastName]", "fields": ["LastName"]}]}
    assert [r["LastName"] for r in leads_of(sf, company)] == ["Kept"]


def test_all_or_none_writes_nothing_when_one_record_fails(sf: Salesforce) -> None:
    company = tag()

    results = sf.restful("composite/sobjects", method="POST", json={"allOrNone": True,
                         "records": [lead(company), lead(company, Email="broken"), lead(company)]})

    assert results[0] == {"success": False, "errors": [ROLLED_BACK]}
    assert results[1]["success"] is False
    assert results[1]["errors"][0]["statusCode"] == "INVALID_EMAIL_ADDRESS"
    assert results[2] == {"success": False, "errors": [ROLLED_BACK]}
    assert leads_of(sf, company) == []


def test_create_of_201_records_is_refused_with_400_exceeded_id_limit(sf: Salesforce) -> None:
    company = tag()

    status, body = refusal(sf.restful, "composite/sobjects", method="POST",
                           json={"records": [lead(company) for _ in range(201)]})

    assert (status, body) == (400, TOO_MANY)
    assert leads_of(sf, company) == []


def test_create_of_exactly_200_records_is_accepted(sf: Salesforce) -> None:
    company = tag()

    results = sf.restful("composite/sobjects", method="POST",
                         json={"records": [lead(company) for _ in range(200)]})

    assert len(results) == 200 and all(r["success"] for r in results)


def test_unknown_field_refuses_the_whole_request(sf: Salesforce) -> None:
    company = tag()

    status, body = refusal(sf.restful, "composite/sobjects", method="POST", json={
        "records": [lead(company), lead(company, Shoe_Size=9)]})

    assert status == 400
    assert body == [{"message": "No such column 'Shoe_Size' on sobject of type Lead",
                     "errorCode": "INVALID_FIELD"}]
    assert leads_of(sf, company) == []


def test_record_without_a_type_is_refused(sf_http: requests.Session, sandbox: Sandbox) -> None:
    response = sf_http.post(base_url(sandbox) + "/composite/sobjects",
                            json={"records": [{"LastName": "X", "Company": "Y"}]}, timeout=10)

    assert response.status_code == 400
    assert response.json()[0]["errorCode"] == "INVALID_TYPE"


def test_update_by_id_reports_missing_and_unknown_ids_per_record(sf: Salesforce) -> None:
    company = tag()
    lead_id = new_lead(sf, company)
    unknown = lead_id[:10] + "zzzzzAAA"

    results = sf.restful("composite/sobjects", method="PATCH", json={"records": [
        {"attributes": {"type": "Lead"}, "id": lead_id, "Title": "Updated"},
        {"attributes": {"type": "Lead"}, "Title": "No id"},
        {"attributes": {"type": "Lead"}, "id": unknown, "Title": "Unknown"},
    ]})

    assert results[0] == {"id": lead_id, "success": True, "errors": []}
    assert results[1]["errors"][0]["statusCode"] == "MISSING_ARGUMENT"
    assert results[1]["errors"][0]["message"] == "Id not specified in an update call"
    assert results[2]["errors"][0]["statusCode"] == "INVALID_CROSS_REFERENCE_KEY"
    assert sf.Lead.get(lead_id)["Title"] == "Updated"


def test_upsert_by_external_id_reports_created_per_record(sf: Salesforce) -> None:
    company = tag()
    existing = sf.Lead.create({"LastName": "Old", "Company": company,
                               EXTERNAL_ID: f"{company}-1"})["id"]

    results = sf.restful(f"composite/sobjects/Lead/{EXTERNAL_ID}", method="PATCH", json={
        "allOrNone": False, "records": [
            lead(company, LastName="Updated", **{EXTERNAL_ID: f"{company}-1"}),
            lead(company, LastName="New", **{EXTERNAL_ID: f"{company}-2"})]})

    assert results[0] == {"id": existing, "success": True, "errors": [], "created": False}
    assert results[1]["success"] is True and results[1]["created"] is True
    assert [r["LastName"] for r in leads_of(sf, company)] == ["New", "Updated"]


def test_upsert_twice_changes_nothing_the_second_time(sf: Salesforce) -> None:
    company = tag()
    body = {"records": [lead(company, **{EXTERNAL_ID: f"{company}-{i}"}) for i in range(3)]}

    first = sf.restful(f"composite/sobjects/Lead/{EXTERNAL_ID}", method="PATCH", json=body)
    second = sf.restful(f"composite/sobjects/Lead/{EXTERNAL_ID}", method="PATCH", json=body)

    assert [r["created"] for r in first] == [True] * 3
    assert [r["created"] for r in second] == [False] * 3
    assert [r["id"] for r in first] == [r["id"] for r in second]
    assert len(leads_of(sf, company)) == 3


def test_upsert_of_201_records_is_refused_with_400(sf: Salesforce) -> None:
    company = tag()
    records = [lead(company, **{EXTERNAL_ID: f"{company}-{i}"}) for i in range(201)]

    status, body = refusal(sf.restful, f"composite/sobjects/Lead/{EXTERNAL_ID}",
                           method="PATCH", json={"records": records})

    assert (status, body) == (400, TOO_MANY)
    assert leads_of(sf, company) == []


def test_upsert_refuses_a_record_without_its_external_id(sf: Salesforce) -> None:
    results = sf.restful(f"composite/sobjects/Lead/{EXTERNAL_ID}", method="PATCH",
                         json={"records": [lead(tag())]})

    assert results[0]["success"] is False
    assert results[0]["errors"][0]["statusCode"] == "MISSING_ARGUMENT"


def test_upsert_refuses_one_external_id_twice_in_a_call(sf: Salesforce) -> None:
    company = tag()
    key = f"{company}-dup"

    results = sf.restful(f"composite/sobjects/Lead/{EXTERNAL_ID}", method="PATCH", json={
        "records": [lead(company, **{EXTERNAL_ID: key}),
                    lead(company, **{EXTERNAL_ID: key.upper()}),
                    lead(company, **{EXTERNAL_ID: f"{company}-other"})]})

    assert [r["success"] for r in results] == [False, False, True]
    assert results[0]["errors"][0]["statusCode"] == "DUPLICATE_EXTERNAL_ID"


def test_upsert_on_a_field_that_is_no_external_id_answers_404(sf: Salesforce) -> None:
    status, body = refusal(sf.restful, "composite/sobjects/Lead/LastName", method="PATCH",
                           json={"records": [lead(tag())]})

    assert status == 404
    assert body[0]["message"] == ("Provided external ID field does not exist or is not "
                                  "accessible: LastName")


def test_delete_by_ids_moves_the_records_to_the_recycle_bin(sf: Salesforce) -> None:
    company = tag()
    ids = [new_lead(sf, company), new_lead(sf, company)]

    results = sf.restful("composite/sobjects", method="DELETE",
                         params={"ids": ",".join(ids), "allOrNone": "false"})

    assert results == [{"id": i, "success": True, "errors": []} for i in ids]
    assert leads_of(sf, company) == []
    gone = sf.query_all(f"SELECT Id FROM Lead WHERE Company = '{company}' AND IsDeleted = true",
                        include_deleted=True)
    assert gone["totalSize"] == 2


def test_retrieve_returns_the_records_asked_for_and_null_for_the_missing(
        sf: Salesforce) -> None:
    lead_id = new_lead(sf, tag(), Title="Cryptanalyst")
    missing = lead_id[:10] + "zzzzzAAA"

    answer = sf.restful("composite/sobjects/Lead", params={"ids": f"{lead_id},{missing}",
                                                           "fields": "Id,Title"})

    assert answer[0]["Title"] == "Cryptanalyst" and answer[1] is None


def test_retrieve_by_post_takes_ids_and_fields_in_the_body_and_answers_in_order(
        sf: Salesforce) -> None:
    first = new_lead(sf, tag(), Title="Cryptanalyst")
    second = new_lead(sf, tag(), Title="Engineer")
    deleted = new_lead(sf, tag())
    sf.Lead.delete(deleted)

    answer = sf.restful("composite/sobjects/Lead", method="POST",
                        json={"ids": [second, deleted, first], "fields": ["Id", "Title"]})

    assert [row and row["Title"] for row in answer] == ["Engineer", None, "Cryptanalyst"]
    assert answer[0]["attributes"]["type"] == "Lead"


def test_retrieve_by_post_of_more_than_2000_ids_is_refused(sf: Salesforce) -> None:
    ids = [f"00Q5e00000{n:05d}AAA" for n in range(2001)]
    with pytest.raises(SalesforceMalformedRequest) as refused:
        sf.restful("composite/sobjects/Lead", method="POST", json={"ids": ids, "fields": ["Id"]})
    assert refused.value.content[0]["errorCode"] == "EXCEEDED_ID_LIMIT"
