"""SalesforceSystem's Bulk API 2.0 calls against HTTP faked with ``responses``.

Payloads are shaped as Bulk API 2.0 documents them: job info JSON (``id``, ``state``,
``numberRecordsProcessed``...), query results as quoted CSV with ``Sforce-NumberOfRecords`` and
``Sforce-Locator`` (``null`` after the last set), ingest results with ``sf__Id``/``sf__Created``
and ``sf__Id``/``sf__Error`` before the uploaded columns, in no particular order. No test sleeps.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
import requests
import responses
from simple_salesforce import Salesforce

from leadsync.adapters.salesforce.system import SalesforceSystem
from leadsync.connector.models import WriteOp
from leadsync.connector.retry import RetryPolicy

INSTANCE = "https://acme.my.salesforce.com"
DATA = f"{INSTANCE}/services/data/v59.0"
JOBS = f"{DATA}/jobs"
JOB_ID = "7505e00000Ab1cDAAR"
LIMIT_INFO = {"Sforce-Limit-Info": "api-usage=40/15000"}
UNTIL = datetime(2024, 3, 1, tzinfo=UTC)
DESCRIBE = {"fields": [
    {"name": name, "type": kind, "label": name, "nillable": True}
    for name, kind in [("Id", "id"), ("SystemModstamp", "datetime"), ("IsDeleted", "boolean"),
                       ("IsConverted", "boolean"), ("ConvertedContactId", "reference"),
                       ("MasterRecordId", "reference"), ("LeadSync_Id__c", "string"),
                       ("Email", "email"), ("NumberOfEmployees", "int"),
                       ("HasOptedOutOfEmail", "boolean")]]}


def job_info(state: str, kind: str = "query", **extra: Any) -> dict[str, Any]:
    return {"id": JOB_ID, "operation": "queryAll" if kind == "query" else "upsert",
            "object": "Lead", "createdById": "0055e000001AbCdAAK",
            "createdDate": "2024-03-01T10:00:00.000+0000",
            "systemModstamp": "2024-03-01T10:00:00.000+0000", "state": state,
            "concurrencyMode": "Parallel", "contentType": "CSV", "apiVersion": 59.0,
            "lineEnding": "LF", "columnDelimiter": "COMMA", **extra}


def no_sleep(seconds: float) -> None:
    """Retries and polls never wait."""


@pytest.fixture
def http() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


def make_system(threshold: int = 2) -> SalesforceSystem:
    client = Salesforce(instance_url=INSTANCE, session_id="00Dxx!fake", version="59.0")
    return SalesforceSystem("salesforce", client, retry=RetryPolicy(attempts=4, sleep=no_sleep),
                            bulk_threshold=threshold, sleep=no_sleep)


HEADER = ('"Id","SystemModstamp","IsDeleted","IsConverted","ConvertedContactId",'
          '"MasterRecordId","LeadSync_Id__c","Email","NumberOfEmployees","HasOptedOutOfEmail"')


def test_a_full_read_above_the_threshold_runs_one_query_all_job(
        http: responses.RequestsMock) -> None:
    http.get(f"{DATA}/queryAll/", json={"totalSize": 3, "done": True, "records": []},
             headers=LIMIT_INFO)
    http.get(f"{DATA}/sobjects/Lead/describe/", json=DESCRIBE, headers=LIMIT_INFO)
    http.post(f"{JOBS}/query", json=job_info("UploadComplete"), headers=LIMIT_INFO)
    http.get(f"{JOBS}/query/{JOB_ID}", json=job_info("InProgress"), headers=LIMIT_INFO)
    http.get(f"{JOBS}/query/{JOB_ID}", json=job_info("JobComplete"), headers=LIMIT_INFO)
    first = (f'{HEADER}\n"00Q5e00000AAAAAAA1","2024-01-15T10:30:00.000Z","false","false","",'
             '"","ls-1","a@example.com","12","true"\n'
             '"00Q5e00000AAAAAAA2","2024-01-16T10:30:00.000Z","true","false","",'
             '"00Q5e00000AAAAAAA3","ls-2","","",""\n')
    last = (f'{HEADER}\n"00Q5e00000AAAAAAA3","2024-01-17T08:00:00.000Z","false","false","",'
            '"","ls-3","c@example.com","","false"\n')
    results = f"{JOBS}/query/{JOB_ID}/results"
    http.get(results, body=first, content_type="text/csv",
             headers={**LIMIT_INFO, "Sforce-NumberOfRecords": "2", "Sforce-Locator": "Mg"})
    http.get(results, body=last, content_type="text/csv",
             headers={**LIMIT_INFO, "Sforce-NumberOfRecords": "1", "Sforce-Locator": "null"})
    system = make_system()

    records = [r for page in system.read_changes(None, UNTIL, ["Email", "NumberOfEmployees",
                                                                "HasOptedOutOfEmail"])
               for r in page]

    created = json.loads(http.calls[2].request.body)
    assert created == {"operation": "queryAll", "query": (
        "SELECT Id, SystemModstamp, IsDeleted, IsConverted, ConvertedContactId, MasterRecordId, "
        "LeadSync_Id__c, Email, NumberOfEmployees, HasOptedOutOfEmail FROM Lead WHERE "
        "SystemModstamp <= 2024-03-01T00:00:00.000Z")}
    pages = [parse_qs(urlparse(c.request.url).query) for c in http.calls
             if c.request.url.split("?")[0] == results]
    assert pages == [{"maxRecords": ["50000"]}, {"maxRecords": ["50000"], "locator": ["Mg"]}]
    assert [r.id for r in records] == ["00Q5e00000AAAAAAA1", "00Q5e00000AAAAAAA2",
                                       "00Q5e00000AAAAAAA3"]
    one, gone, three = records
    assert one.fields["NumberOfEmployees"] == 12 and one.fields["HasOptedOutOfEmail"] is True
    assert one.fields["SystemModstamp"] == "2024-01-15T10:30:00.000+0000"
    assert one.modified_at == datetime(2024, 1, 15, 10, 30, tzinfo=UTC)
    assert gone.deleted and gone.became == "00Q5e00000AAAAAAA3" and gone.fields["Email"] is None
    assert three.fields["NumberOfEmployees"] is None
    assert system.calls_made == 7


def ingest_routes(http: responses.RequestsMock, successful: str, failed: str) -> None:
    http.post(f"{JOBS}/ingest", json=job_info("Open", "ingest"), headers=LIMIT_INFO)
    http.put(f"{JOBS}/ingest/{JOB_ID}/batches", status=201, headers=LIMIT_INFO)
    http.get(f"{JOBS}/ingest/{JOB_ID}", headers=LIMIT_INFO, json=job_info(
        "JobComplete", "ingest", numberRecordsProcessed=3, numberRecordsFailed=1))
    http.get(f"{JOBS}/ingest/{JOB_ID}/successfulResults", body=successful,
             content_type="text/csv", headers=LIMIT_INFO)
    http.get(f"{JOBS}/ingest/{JOB_ID}/failedResults", body=failed, content_type="text/csv",
             headers=LIMIT_INFO)


SUCCESSFUL = ('"sf__Id","sf__Created","LeadSync_Id__c","LastName","Company"\n'
              '"00Q5e00000AAAAAAA9","false","ls-3","C","Acme"\n'
              '"00Q5e00000AAAAAAA8","true","ls-1","A","Acme"\n')
FAILED = ('"sf__Id","sf__Error","LeadSync_Id__c","LastName","Company"\n'
          '"","REQUIRED_FIELD_MISSING:Required fields are missing: [Company]:Company --",'
          '"ls-2","B","#N/A"\n')
OPS = [WriteOp("ls-1", {"LastName": "A", "Company": "Acme"}),
       WriteOp("ls-2", {"LastName": "B", "Company": None}),
       WriteOp("ls-3", {"LastName": "C", "Company": "Acme"})]


def test_a_write_above_the_threshold_is_one_upsert_job_mapped_back_in_op_order(
        http: responses.RequestsMock) -> None:
    ingest_routes(http, SUCCESSFUL, FAILED)
    http.patch(f"{JOBS}/ingest/{JOB_ID}", json=job_info("UploadComplete", "ingest"),
               headers=LIMIT_INFO)

    results = make_system().write(OPS)

    created = json.loads(http.calls[0].request.body)
    assert created == {"object": "Lead", "operation": "upsert", "contentType": "CSV",
                       "lineEnding": "LF", "columnDelimiter": "COMMA",
                       "externalIdFieldName": "LeadSync_Id__c"}
    assert http.calls[1].request.body == (b"LeadSync_Id__c,LastName,Company\nls-1,A,Acme\n"
                                          b"ls-2,B,#N/A\nls-3,C,Acme\n")
    assert json.loads(http.calls[2].request.body) == {"state": "UploadComplete"}
    assert [(r.key, r.ok, r.id, r.created) for r in results] == [
        ("ls-1", True, "00Q5e00000AAAAAAA8", True), ("ls-2", False, None, False),
        ("ls-3", True, "00Q5e00000AAAAAAA9", False)]
    assert (results[1].code, results[1].message, results[1].fields) == (
        "REQUIRED_FIELD_MISSING", "Required fields are missing: [Company]", ("Company",))


def test_a_close_whose_answer_is_lost_is_not_sent_again_once_the_job_left_open(
        http: responses.RequestsMock) -> None:
    ingest_routes(http, SUCCESSFUL, FAILED)
    close = http.patch(f"{JOBS}/ingest/{JOB_ID}",
                       body=requests.ConnectionError("answer lost after the close"))

    results = make_system().write(OPS)

    assert close.call_count == 1
    assert [r.ok for r in results] == [True, False, True]


def test_a_write_at_the_threshold_stays_on_sobject_collections(
        http: responses.RequestsMock) -> None:
    http.patch(f"{DATA}/composite/sobjects/Lead/LeadSync_Id__c", headers=LIMIT_INFO, json=[
        {"id": "00Q5e00000AAAAAAA8", "success": True, "errors": [], "created": True},
        {"id": "00Q5e00000AAAAAAA9", "success": True, "errors": [], "created": True}])

    results = make_system(threshold=2).write(OPS[:1] + OPS[2:])

    assert [r.ok for r in results] == [True, True]
    assert not any("/jobs/" in c.request.url for c in http.calls)
