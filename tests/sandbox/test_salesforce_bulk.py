"""Bulk API 2.0 in the sandbox, through simple-salesforce's ``bulk2`` and plain HTTP.

Query jobs answer CSV pages behind ``Sforce-Locator``; ingest jobs write every row through the
org's own validation, reporting refusals in ``failedResults`` with Salesforce's error text.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from simple_salesforce import Salesforce

from leadsync.sandbox.salesforce import bulk
from leadsync.sandbox.server import Sandbox
from tests.conftest import salesforce_client
from tests.sandbox.salesforce_support import add_field, base_url, module_sandbox, new_lead, tag

KEY = "Bulk_Key__c"


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    yield from module_sandbox()


@pytest.fixture(scope="module", autouse=True)
def external_id_field(sandbox: Sandbox) -> None:
    add_field(salesforce_client(sandbox), f"Lead.{KEY}", label="Bulk Key", type="Text",
              length=64, unique=True, externalId=True)


@pytest.fixture(autouse=True)
def immediate_jobs(sandbox: Sandbox) -> Iterator[None]:
    bulk.jobs(sandbox.salesforce).polls = 0
    yield
    bulk.jobs(sandbox.salesforce).polls = 0


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def create_job(http: requests.Session, url: str, body: dict[str, Any]) -> dict[str, Any]:
    response = http.post(url, json=body, timeout=10)
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_query_job_answers_csv_in_sets_behind_the_locator(
        sandbox: Sandbox, sf_http: requests.Session) -> None:
    company = tag()
    made = {new_lead(salesforce_client(sandbox), company, Email=f"p{i}@example.com")
            for i in range(5)}
    jobs_url = f"{base_url(sandbox)}/jobs/query"
    job = create_job(sf_http, jobs_url, {"operation": "query", "query":
                     f"SELECT Id, Email, IsDeleted FROM Lead WHERE Company = '{company}'"})
    assert job["state"] == "UploadComplete" and job["id"].startswith("750")
    assert sf_http.get(f"{jobs_url}/{job['id']}", timeout=10).json()["state"] == "JobComplete"

    seen: list[dict[str, str]] = []
    locator, counts = "", []
    while locator != "null":
        params = {"maxRecords": 2, **({"locator": locator} if locator else {})}
        answer = sf_http.get(f"{jobs_url}/{job['id']}/results", params=params, timeout=10)
        assert answer.headers["Content-Type"].startswith("text/csv")
        assert answer.text.splitlines()[0] == '"Id","Email","IsDeleted"'
        counts.append(int(answer.headers["Sforce-NumberOfRecords"]))
        locator = answer.headers["Sforce-Locator"]
        seen.extend(rows(answer.text))

    assert counts == [2, 2, 1]
    assert {r["Id"] for r in seen} == made
    assert {r["IsDeleted"] for r in seen} == {"false"}


def test_query_all_job_includes_deleted_leads_and_writes_blank_for_null(
        sandbox: Sandbox, sf: Salesforce) -> None:
    company = tag()
    kept, gone = new_lead(sf, company), new_lead(sf, company, Title="Gone")
    sf.Lead.delete(gone)
    soql = f"SELECT Id, Title, IsDeleted, SystemModstamp FROM Lead WHERE Company = '{company}'"

    live = [r for page in sf.bulk2.Lead.query(soql, wait=0) for r in rows(str(page))]
    every = [r for page in sf.bulk2.Lead.query_all(soql, wait=0) for r in rows(str(page))]

    assert [r["Id"] for r in live] == [kept]
    by_id = {r["Id"]: r for r in every}
    assert by_id[gone]["IsDeleted"] == "true" and by_id[gone]["Title"] == "Gone"
    assert by_id[kept]["Title"] == "" and by_id[kept]["IsDeleted"] == "false"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", by_id[kept]["SystemModstamp"])


def test_query_job_refuses_count_and_reports_bad_soql(
        sandbox: Sandbox, sf_http: requests.Session) -> None:
    url = f"{base_url(sandbox)}/jobs/query"

    count = sf_http.post(url, json={"operation": "query", "query": "SELECT COUNT() FROM Lead"},
                         timeout=10)
    bad = sf_http.post(url, json={"operation": "query", "query": "SELECT Nope FROM Lead"},
                       timeout=10)

    assert count.status_code == 400 and count.json()[0]["errorCode"] == "INVALIDJOB"
    assert bad.status_code == 400 and bad.json()[0]["errorCode"] == "INVALID_FIELD"


def test_results_before_the_job_completes_are_refused(
        sandbox: Sandbox, sf_http: requests.Session) -> None:
    bulk.jobs(sandbox.salesforce).polls = 1
    url = f"{base_url(sandbox)}/jobs/query"
    job = create_job(sf_http, url, {"operation": "query", "query": "SELECT Id FROM Lead"})

    first = sf_http.get(f"{url}/{job['id']}", timeout=10).json()["state"]
    early = sf_http.get(f"{url}/{job['id']}/results", timeout=10)
    second = sf_http.get(f"{url}/{job['id']}", timeout=10).json()["state"]

    assert (first, second) == ("InProgress", "JobComplete")
    assert early.status_code == 412 and early.json()[0]["errorCode"] == "JOB_NOT_COMPLETE"


def ingest(http: requests.Session, sandbox: Sandbox, csv_text: str, operation: str = "upsert",
           external_id: str | None = KEY) -> tuple[str, dict[str, Any]]:
    url = f"{base_url(sandbox)}/jobs/ingest"
    body: dict[str, Any] = {"object": "Lead", "operation": operation, "contentType": "CSV"}
    if external_id:
        body["externalIdFieldName"] = external_id
    job = create_job(http, url, body)
    assert job["state"] == "Open" and job["contentUrl"].endswith(f"{job['id']}/batches")
    upload = http.put(f"{url}/{job['id']}/batches", data=csv_text.encode(), timeout=10,
                      headers={"Content-Type": "text/csv"})
    assert upload.status_code == 201
    closed = http.patch(f"{url}/{job['id']}", json={"state": "UploadComplete"}, timeout=10)
    assert closed.json()["state"] == "UploadComplete"
    info = http.get(f"{url}/{job['id']}", timeout=10).json()
    return f"{url}/{job['id']}", info


def test_upsert_job_creates_and_updates_by_external_id(
        sandbox: Sandbox, sf: Salesforce, sf_http: requests.Session) -> None:
    company, old, new = tag(), tag(), tag()
    existing = sf.Lead.create({"LastName": "Old", "Company": company, KEY: old})["id"]

    url, info = ingest(sf_http, sandbox, f"{KEY},LastName,Company\n{old},Renamed,\n"
                                         f"{new},Fresh,{company}\n")

    assert info["state"] == "JobComplete"
    assert (info["numberRecordsProcessed"], info["numberRecordsFailed"]) == (2, 0)
    done = {r[KEY]: r for r in rows(sf_http.get(f"{url}/successfulResults", timeout=10).text)}
    assert done[old]["sf__Id"] == existing and done[old]["sf__Created"] == "false"
    assert done[new]["sf__Created"] == "true"
    assert sf.Lead.get(existing)["LastName"] == "Renamed"
    assert sf.Lead.get(existing)["Company"] == company  # a blank value is left alone
    assert sf.Lead.get(done[new]["sf__Id"])["Company"] == company


def test_refused_rows_are_in_failed_results_with_salesforce_error_text(
        sandbox: Sandbox, sf: Salesforce, sf_http: requests.Session) -> None:
    good, no_company, bad_email = tag(), tag(), tag()

    url, info = ingest(sf_http, sandbox, f"{KEY},LastName,Company,Email\n"
                                         f"{good},Fine,Acme,\n"
                                         f"{no_company},Alone,,\n"
                                         f"{bad_email},Bad,Acme,not-an-email\n")

    assert (info["numberRecordsProcessed"], info["numberRecordsFailed"]) == (3, 2)
    failed = {r[KEY]: r for r in rows(sf_http.get(f"{url}/failedResults", timeout=10).text)}
    assert failed[no_company]["sf__Error"] == \
        "REQUIRED_FIELD_MISSING:Required fields are missing: [Company]:Company --"
    assert failed[bad_email]["sf__Error"].startswith("INVALID_EMAIL_ADDRESS:")
    assert failed[no_company]["sf__Id"] == ""
    assert not sf.query(f"SELECT Id FROM Lead WHERE {KEY} = '{no_company}'")["records"]
    unprocessed = sf_http.get(f"{url}/unprocessedrecords", timeout=10)
    assert rows(unprocessed.text) == []


def test_na_sets_a_field_to_null_on_update(
        sandbox: Sandbox, sf: Salesforce, sf_http: requests.Session) -> None:
    record_id = new_lead(sf, tag(), Title="Chief")

    _, info = ingest(sf_http, sandbox, f"Id,Title\n{record_id},#N/A\n", operation="update",
                     external_id=None)

    assert info["numberRecordsFailed"] == 0
    assert sf.Lead.get(record_id)["Title"] is None


def test_unknown_column_fails_the_job(sandbox: Sandbox, sf_http: requests.Session) -> None:
    _, info = ingest(sf_http, sandbox, f"{KEY},Nope__c\n{tag()},x\n")

    assert info["state"] == "Failed"
    assert info["errorMessage"] == "InvalidBatch : Field name not found : Nope__c"


def test_client_upsert_through_bulk2_reports_counts(sandbox: Sandbox, sf: Salesforce) -> None:
    company = tag()
    records = [{KEY: tag(), "LastName": f"N{i}", "Company": company} for i in range(3)]

    answer = sf.bulk2.Lead.upsert(records=records, external_id_field=KEY, wait=0)

    assert answer[0]["numberRecordsProcessed"] == 3 and answer[0]["numberRecordsFailed"] == 0
    found = sf.query(f"SELECT Id FROM Lead WHERE Company = '{company}'")["records"]
    assert len(found) == 3


def test_each_bulk_call_counts_against_the_daily_allowance(
        sandbox: Sandbox, sf_http: requests.Session) -> None:
    before = sandbox.salesforce.usage.used

    ingest(sf_http, sandbox, f"{KEY},LastName,Company\n{tag()},A,B\n")

    assert sandbox.salesforce.usage.used - before == 4  # create, upload, close, status
