"""SalesforceSystem's Bulk API 2.0 path against the sandbox org, over HTTPS.

Reads through a queryAll job must equal the REST path's on the same org (deleted rows, booleans,
numbers, blanks); writes through ingest jobs create and update by LeadSync's key, refuse rows
with the vendor's message, and write each row once when an answer is lost on the way back.
Jobs answer InProgress once before completing, so the adapter's polling is exercised.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
from requests.adapters import HTTPAdapter
from simple_salesforce import Salesforce

from leadsync.adapters.salesforce.system import SalesforceSystem
from leadsync.connector.models import Cursor, Record, WriteOp
from leadsync.connector.retry import RetryPolicy
from leadsync.sandbox.salesforce import bulk
from leadsync.sandbox.server import Sandbox
from tests.conftest import salesforce_client
from tests.sandbox.salesforce_support import add_field, module_sandbox, tag

KEY = "LeadSync_Id__c"
FIELDS = ["LastName", "Company", "Email", "Title", "HasOptedOutOfEmail", "NumberOfEmployees",
          "AnnualRevenue", "CreatedDate"]


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    yield from module_sandbox()


@pytest.fixture(scope="module", autouse=True)
def key_field(sandbox: Sandbox) -> None:
    add_field(salesforce_client(sandbox), f"Lead.{KEY}", label="LeadSync Id", type="Text",
              length=64, unique=True, externalId=True)


@pytest.fixture(autouse=True)
def one_poll(sandbox: Sandbox) -> Iterator[None]:
    bulk.jobs(sandbox.salesforce).polls = 1
    yield
    bulk.jobs(sandbox.salesforce).polls = 0


def no_sleep(seconds: float) -> None:
    """Neither retries nor job polls wait in tests."""


def system(client: Salesforce, threshold: int) -> SalesforceSystem:
    return SalesforceSystem("salesforce", client, retry=RetryPolicy(attempts=4, sleep=no_sleep),
                            bulk_threshold=threshold, sleep=no_sleep)


def later() -> datetime:
    return datetime.now(UTC) + timedelta(minutes=1)


def as_tuple(record: Record) -> tuple[Any, ...]:
    return (record.id, dict(record.fields), record.modified_at, record.deleted,
            record.read_only, record.became)


def ingest_jobs(sandbox: Sandbox) -> list[bulk.Job]:
    return [job for job in bulk.jobs(sandbox.salesforce).jobs.values() if job.kind == "ingest"]


def test_a_bulk_full_read_equals_the_rest_read(sandbox: Sandbox, sf: Salesforce) -> None:
    company = tag()
    made = [sf.Lead.create({"LastName": f"P{i}", "Company": company, "Email": f"p{i}@x.example",
                            "HasOptedOutOfEmail": i % 2 == 0, "NumberOfEmployees": i * 10,
                            "AnnualRevenue": 1500.5 * i, **({"Title": "T"} if i else {})})["id"]
            for i in range(4)]
    sf.Lead.delete(made[1])
    with sandbox.salesforce.lock:  # enough rows for more than one page of 2,000
        for n in range(2100):
            sandbox.salesforce.insert_raw("Lead", {"LastName": f"Bulk {n}", "Company": company})
    until = later()
    rest, via_bulk = system(sf, threshold=10**9), system(sf, threshold=100)

    rest_pages = list(rest.read_changes(None, until, FIELDS))
    jobs_before = len(bulk.jobs(sandbox.salesforce).jobs)
    bulk_pages = list(via_bulk.read_changes(None, until, FIELDS))

    assert len(bulk.jobs(sandbox.salesforce).jobs) == jobs_before + 1
    assert max(len(page) for page in bulk_pages) == 2000
    rest_rows = sorted(as_tuple(r) for page in rest_pages for r in page)
    bulk_rows = sorted(as_tuple(r) for page in bulk_pages for r in page)
    assert bulk_rows == rest_rows
    by_id = {r.id: r for page in bulk_pages for r in page}
    assert by_id[made[1]].deleted is True
    assert by_id[made[0]].fields["HasOptedOutOfEmail"] is True
    assert by_id[made[0]].fields["Title"] is None
    assert by_id[made[2]].fields["NumberOfEmployees"] == 20
    assert by_id[made[2]].fields["AnnualRevenue"] == 3001.0


def test_a_bulk_read_since_a_cursor_equals_the_rest_read(sandbox: Sandbox,
                                                         sf: Salesforce) -> None:
    """Many changes since the cursor (a pass after a big first sync) are one job too, and the
    boundary records the cursor has seen stay out as on REST."""
    rest, via_bulk = system(sf, threshold=10**9), system(sf, threshold=50)
    first = list(rest.read_changes(None, later(), ["Email"]))
    cursor = Cursor(first[-1][-1].modified_at).advanced(first[-1])
    company = tag()
    with sandbox.salesforce.lock:
        for n in range(120):
            sandbox.salesforce.insert_raw("Lead", {"LastName": f"Since {n}", "Company": company})
    until = later()
    jobs_before = len(bulk.jobs(sandbox.salesforce).jobs)

    bulk_pages = list(via_bulk.read_changes(cursor, until, FIELDS))

    assert len(bulk.jobs(sandbox.salesforce).jobs) == jobs_before + 1
    rest_rows = sorted(as_tuple(r) for page in rest.read_changes(cursor, until, FIELDS)
                       for r in page)
    assert sorted(as_tuple(r) for page in bulk_pages for r in page) == rest_rows
    assert len(rest_rows) == 120 and all(cursor.admits(r) for page in bulk_pages
                                          for r in page)


def test_a_read_below_the_threshold_stays_on_rest(sandbox: Sandbox, sf: Salesforce) -> None:
    jobs_before = len(bulk.jobs(sandbox.salesforce).jobs)

    pages = list(system(sf, threshold=10**9).read_changes(None, later(), ["Email"]))

    assert pages and len(bulk.jobs(sandbox.salesforce).jobs) == jobs_before


def test_a_bulk_upsert_creates_then_updates_and_twice_changes_nothing(
        sandbox: Sandbox, sf: Salesforce) -> None:
    company = tag()
    ops = [WriteOp(tag(), {"LastName": f"N{i}", "Company": company, "Title": None})
           for i in range(3)]
    adapter = system(sf, threshold=2)
    calls_before = adapter.calls_made

    first = adapter.write(ops)

    # create, upload, close, status (InProgress), status (JobComplete), successful, failed
    assert adapter.calls_made - calls_before == 7
    assert [r.key for r in first] == [op.key for op in ops]
    assert all(r.ok and r.created and r.id for r in first)
    again = adapter.write([WriteOp(op.key, {**op.fields, "Title": "Again"}) for op in ops])
    assert [r.id for r in again] == [r.id for r in first]
    assert not any(r.created for r in again)
    found = sf.query(f"SELECT Id, Title FROM Lead WHERE Company = '{company}'")["records"]
    assert len(found) == 3 and {row["Title"] for row in found} == {"Again"}


def test_ops_with_an_id_update_that_lead_and_give_it_the_key(
        sandbox: Sandbox, sf: Salesforce) -> None:
    company = tag()
    linked = sf.Lead.create({"LastName": "Linked", "Company": company})["id"]
    key = tag()
    ops = [WriteOp(key, {"Title": "Updated"}, target_id=linked),
           WriteOp(tag(), {"LastName": "New", "Company": company}),
           WriteOp(tag(), {"LastName": "New 2", "Company": company})]

    results = system(sf, threshold=2).write(ops)

    assert results[0].ok and results[0].id == linked and not results[0].created
    lead = sf.Lead.get(linked)
    assert lead["Title"] == "Updated" and lead[KEY] == key
    assert sf.query(f"SELECT COUNT() FROM Lead WHERE Company = '{company}'")["totalSize"] == 3


def test_a_refused_row_is_reported_with_the_vendor_message_as_rest_reports_it(
        sandbox: Sandbox, sf: Salesforce) -> None:
    refused = {"LastName": "No company"}
    ops = [WriteOp(tag(), {"LastName": "Fine", "Company": tag()}), WriteOp(tag(), refused),
           WriteOp(tag(), {"LastName": "Fine 2", "Company": tag()})]

    via_bulk = system(sf, threshold=2).write(ops)
    via_rest = system(sf, threshold=10**9).write([WriteOp(tag(), refused)])

    assert via_bulk[0].ok and via_bulk[2].ok and not via_bulk[1].ok
    assert (via_bulk[1].code, via_bulk[1].message, via_bulk[1].fields) == \
        (via_rest[0].code, via_rest[0].message, via_rest[0].fields)
    assert via_bulk[1].code == "REQUIRED_FIELD_MISSING" and via_bulk[1].fields == ("Company",)


class LoseAnswer(HTTPAdapter):
    """Sends the first request matching ``method`` and ``path_end``, then loses its answer."""

    def __init__(self, method: str, path_end: str) -> None:
        super().__init__()
        self.method, self.path_end, self.lost = method, path_end, 0

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any
             ) -> requests.Response:
        response = super().send(request, *args, **kwargs)
        path = (request.path_url or "").split("?")[0]
        if not self.lost and request.method == self.method and path.endswith(self.path_end) \
                and "/jobs/ingest/" in path:
            self.lost += 1
            raise requests.ConnectionError("connection dropped after the request was applied")
        return response


@pytest.mark.parametrize(("method", "path_end"), [("PATCH", ""), ("PUT", "/batches")])
def test_an_ingest_answer_lost_writes_each_row_once(
        sandbox: Sandbox, method: str, path_end: str) -> None:
    client = salesforce_client(sandbox)
    losing = LoseAnswer(method, path_end)
    client.session.mount("https://", losing)
    company = tag()
    ops = [WriteOp(tag(), {"LastName": f"L{i}", "Company": company}) for i in range(3)]
    before = len(ingest_jobs(sandbox))

    results = system(client, threshold=2).write(ops)

    assert losing.lost == 1
    assert all(r.ok and r.created for r in results)
    found = client.query(f"SELECT Id FROM Lead WHERE Company = '{company}'")["records"]
    assert sorted(row["Id"] for row in found) == sorted(str(r.id) for r in results)
    made = ingest_jobs(sandbox)[before:]
    assert sum(job.processed for job in made) == 3  # one job wrote the rows, once
    if method == "PUT":  # the job whose upload answer was lost was aborted unprocessed
        assert [job.state for job in made] == ["Aborted", "JobComplete"]
