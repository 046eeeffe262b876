"""SOQL over the query and queryAll resources: result shape, paging, deleted records, errors."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import requests
from simple_salesforce import Salesforce

from leadsync.sandbox.server import Sandbox
from tests.sandbox.salesforce_support import (
    API,
    base_url,
    bulk_leads,
    module_sandbox,
    new_lead,
    refusal,
    tag,
)

LOCATOR_URL = re.compile(rf"{API}/query/01g[A-Za-z0-9]{{15}}-(\d+)")


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    yield from module_sandbox()


def test_result_carries_attributes_and_the_selected_fields_only(sf: Salesforce) -> None:
    company = tag()
    lead_id = new_lead(sf, company, Email="ada@example.com")

    result = sf.query(f"SELECT Id, Email FROM Lead WHERE Company = '{company}'")

    assert result["totalSize"] == 1 and result["done"] is True
    assert "nextRecordsUrl" not in result
    assert result["records"] == [{"attributes": {"type": "Lead",
                                                 "url": f"{API}/sobjects/Lead/{lead_id}"},
                                  "Id": lead_id, "Email": "ada@example.com"}]


def test_field_names_in_select_are_case_insensitive_but_answered_canonically(
        sf: Salesforce) -> None:
    company = tag()
    new_lead(sf, company)

    [record] = sf.query(f"select id, lastname, COMPANY from lead "
                        f"where company = '{company}'")["records"]

    assert list(record) == ["attributes", "Id", "LastName", "Company"]


def test_more_than_2000_records_are_paged_with_next_records_url(sf: Salesforce,
                                                                  sandbox: Sandbox) -> None:
    company = tag()
    made = bulk_leads(sandbox, 2_345, company)
    text = f"SELECT Id FROM Lead WHERE Company = '{company}'"

    first = sf.query(text)
    everything = sf.query_all(text)

    assert first["totalSize"] == 2_345 and first["done"] is False
    assert len(first["records"]) == 2_000
    assert LOCATOR_URL.fullmatch(first["nextRecordsUrl"]).group(1) == "2000"
    rest = sf.query_more(first["nextRecordsUrl"], identifier_is_url=True)
    assert len(rest["records"]) == 345 and rest["done"] is True
    assert "nextRecordsUrl" not in rest
    assert sorted(r["Id"] for r in everything["records"]) == sorted(made)


def test_batch_size_header_sets_the_page_size(sf: Salesforce, sandbox: Sandbox) -> None:
    company = tag()
    bulk_leads(sandbox, 1_100, company)
    text = f"SELECT Id FROM Lead WHERE Company = '{company}'"
    header = {"Sforce-Query-Options": "batchSize=500"}

    first = sf.query(text, headers=header)
    pages = [len(first["records"])]
    url = first.get("nextRecordsUrl")
    while url:
        page = sf.query_more(url, identifier_is_url=True)
        pages.append(len(page["records"]))
        url = page.get("nextRecordsUrl")

    assert pages == [500, 500, 100]


def test_batch_size_below_200_is_raised_to_200(sf: Salesforce, sandbox: Sandbox) -> None:
    company = tag()
    bulk_leads(sandbox, 250, company)

    first = sf.query(f"SELECT Id FROM Lead WHERE Company = '{company}'",
                     headers={"Sforce-Query-Options": "batchSize=10"})

    assert len(first["records"]) == 200


def test_unknown_query_locator_is_invalid_query_locator(sf: Salesforce) -> None:
    status, body = refusal(sf.query_more, "01g8d0000000zzzAAA-2000")

    assert status == 400
    assert body == [{"message": "invalid query locator", "errorCode": "INVALID_QUERY_LOCATOR"}]


def test_deleted_records_appear_only_in_query_all(sf: Salesforce) -> None:
    company = tag()
    kept, gone = new_lead(sf, company), new_lead(sf, company)
    sf.Lead.delete(gone)
    text = f"SELECT Id, IsDeleted FROM Lead WHERE Company = '{company}' ORDER BY IsDeleted"

    live = sf.query(text)["records"]
    every = sf.query_all(text, include_deleted=True)["records"]

    assert [r["Id"] for r in live] == [kept]
    assert [(r["Id"], r["IsDeleted"]) for r in every] == [(kept, False), (gone, True)]


def test_count_answers_total_size_and_no_records(sf: Salesforce) -> None:
    company = tag()
    for _ in range(3):
        new_lead(sf, company)

    result = sf.query(f"SELECT COUNT() FROM Lead WHERE Company = '{company}'")

    assert result == {"totalSize": 3, "done": True, "records": []}


def test_owner_email_resolves_through_the_owner_relationship(sf: Salesforce) -> None:
    company = tag()
    new_lead(sf, company)

    [record] = sf.query(f"SELECT Owner.Email, Owner.Name FROM Lead "
                        f"WHERE Company = '{company}'")["records"]

    owner = record["Owner"]
    assert owner["attributes"]["type"] == "User"
    assert owner["Email"] == "integration@leadsync-sandbox.example.com"
    assert owner["Name"] == "LeadSync Integration"


def test_who_resolves_to_the_lead_a_task_is_about(sf: Salesforce) -> None:
    company = tag()
    lead_id = new_lead(sf, company, Email="who@example.com")
    sf.Task.create({"Subject": "Call", "WhoId": lead_id, "TaskSubtype": "Call"})
    sf.Task.create({"Subject": "Note"})

    records = sf.query(f"SELECT Subject, Who.Email, Who.Type FROM Task WHERE "
                       f"WhoId = '{lead_id}' OR Subject = 'Note' ORDER BY Subject")["records"]

    call = records[0]
    assert call["Who"]["Email"] == "who@example.com" and call["Who"]["Type"] == "Lead"
    assert call["Who"]["attributes"]["url"] == f"{API}/sobjects/Lead/{lead_id}"
    assert all(r["Who"] is None for r in records[1:])


def test_relationship_fields_can_filter(sf: Salesforce) -> None:
    company = tag()
    new_lead(sf, company)

    found = sf.query(f"SELECT Id FROM Lead WHERE Company = '{company}' "
                     "AND Owner.Username = 'integration@leadsync-sandbox.example.com'")

    assert found["totalSize"] == 1


def test_system_modstamp_cursor_finds_the_records_changed_since(sf: Salesforce) -> None:
    company = tag()
    first = new_lead(sf, company)
    mark = sf.Lead.get(first)["SystemModstamp"].replace("+0000", "Z")
    later = new_lead(sf, company)
    sf.Lead.update(first, {"Title": "Changed"})
    newest = sf.Lead.get(first)["SystemModstamp"].replace("+0000", "Z")
    text = f"SELECT Id FROM Lead WHERE Company = '{company}' AND SystemModstamp "

    since_mark = {r["Id"] for r in sf.query(text + f">= {mark}")["records"]}
    after_newest = sf.query(text + f"> {newest}")["records"]

    assert since_mark == {first, later}
    assert after_newest == []


def test_order_by_limit_and_offset(sf: Salesforce) -> None:
    company = tag()
    for name in ("Cee", "Ay", "Bee", "Dee"):
        sf.Lead.create({"LastName": name, "Company": company})

    found = sf.query(f"SELECT LastName FROM Lead WHERE Company = '{company}' "
                     "ORDER BY LastName DESC LIMIT 2 OFFSET 1")["records"]

    assert [r["LastName"] for r in found] == ["Cee", "Bee"]


def test_malformed_soql_is_malformed_query(sf: Salesforce) -> None:
    status, body = refusal(sf.query, "SELECT Id FROM")

    assert status == 400
    assert body[0]["errorCode"] == "MALFORMED_QUERY"


def test_unknown_field_in_soql_is_invalid_field(sf: Salesforce) -> None:
    status, body = refusal(sf.query, "SELECT Id, Shoe_Size FROM Lead")

    assert status == 400
    assert body[0]["errorCode"] == "INVALID_FIELD"
    assert "No such column 'Shoe_Size' on entity 'Lead'" in body[0]["message"]
    assert "ERROR at Row:1:Column:12" in body[0]["message"]


def test_unknown_relationship_in_soql_is_invalid_field(sf: Salesforce) -> None:
    status, body = refusal(sf.query, "SELECT Boss.Email FROM Lead")

    assert status == 400
    assert body[0]["errorCode"] == "INVALID_FIELD"
    assert "Didn't understand relationship 'Boss'" in body[0]["message"]


def test_unknown_object_in_soql_is_invalid_type(sf: Salesforce) -> None:
    status, body = refusal(sf.query, "SELECT Id FROM Prospect")

    assert status == 400
    assert body[0]["errorCode"] == "INVALID_TYPE"
    assert "sObject type 'Prospect' is not supported" in body[0]["message"]


def test_query_without_q_is_refused(sf_http: requests.Session, sandbox: Sandbox) -> None:
    response = sf_http.get(base_url(sandbox) + "/query/", timeout=10)

    assert response.status_code == 400
    assert response.json()[0]["errorCode"] == "MALFORMED_QUERY"
