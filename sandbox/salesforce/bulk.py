"""Bulk API 2.0: query jobs and ingest jobs over the org's records, CSV in and out.

Query jobs (``POST jobs/query``, ``operation`` ``query`` or ``queryAll``) run their SOQL through
the same evaluator as the Query resource when created (state ``UploadComplete``; a result of
more than 2,000 rows is formatted in the background, the job answering ``InProgress`` until
it is done); results come
from ``GET jobs/query/<id>/results?maxRecords=&locator=`` as CSV, every value quoted, with
``Sforce-NumberOfRecords`` and ``Sforce-Locator`` (a base64 string, ``null`` after the last set).
``COUNT()``, ``OFFSET`` and ``LIMIT`` are refused, as Bulk API 2.0 does not support them.

Ingest jobs (``POST jobs/ingest``, ``insert``/``update``/``upsert`` with
``externalIdFieldName``) take CSV through ``PUT jobs/ingest/<id>/batches`` while ``Open``; a
``PATCH {"state": "UploadComplete"}`` processes every row (``bulk_ingest``) through the org's
own writes, so the
same validation applies as to REST writes, each row standing alone. An empty value is left
alone, ``#N/A`` sets null. ``successfulResults`` (``sf__Id``, ``sf__Created``),
``failedResults`` (``sf__Id``, ``sf__Error`` as ``CODE:message:fields --``) and
``unprocessedrecords`` echo the uploaded columns. A job's state becomes ``JobComplete`` on the
first status read, or after ``BulkJobs.polls`` reads answered ``InProgress`` (``jobs(org)``), so
that a client's polling is exercised. Every request counts against the daily allowance.
"""

from __future__ import annotations

import base64
import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Request, Response

from leadsync.sandbox.http import json_response
from leadsync.sandbox.salesforce import ids, soql
from leadsync.sandbox.salesforce.bulk_ingest import (
    DELIMITERS,
    LINE_ENDINGS,
    csv_text,
    csv_value,
    process,
    record_results,
    upload,
)
from leadsync.sandbox.salesforce.errors import (
    ApiError,
    method_not_allowed,
    not_found,
)
from leadsync.sandbox.salesforce.payload import read_json
from leadsync.sandbox.salesforce.query import Cursors, more, org_source, run

if TYPE_CHECKING:
    from leadsync.sandbox.salesforce.org import SalesforceOrg

DEFAULT_MAX_RECORDS = 50_000
QUERY_STEP = 2_000  # rows a query job formats at a time, the org's lock held
INGEST_OPERATIONS = ("insert", "update", "upsert")
DONE = ("JobComplete", "Failed", "Aborted")


@dataclass
class Job:
    id: str
    kind: str  # "query" or "ingest"
    operation: str
    sobject: str
    created: str
    created_by: str
    delimiter: str = "COMMA"
    line_ending: str = "LF"
    external_id: str | None = None
    state: str = "Open"
    polls_left: int = 0
    error: str | None = None
    header: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)  # query results, or uploaded data
    done: list[tuple[list[str], str, bool, str]] = field(default_factory=list)
    processed: int = 0
    ready: bool = True  # a query job's result is all formatted

    def info(self, api_version: str) -> dict[str, Any]:
        body: dict[str, Any] = {
            "id": self.id, "operation": self.operation, "object": self.sobject,
            "createdById": self.created_by, "createdDate": self.created,
            "systemModstamp": self.created, "state": self.state,
            "concurrencyMode": "Parallel", "contentType": "CSV",
            "apiVersion": float(api_version), "lineEnding": self.line_ending,
            "columnDelimiter": self.delimiter}
        if self.kind == "query":
            body.update(jobType="V2Query", numberRecordsProcessed=self.processed, retries=0,
                        totalProcessingTime=0)
        else:
            failed = sum(1 for *_, error in self.done if error)
            body.update(jobType="V2Ingest", numberRecordsProcessed=self.processed,
                        numberRecordsFailed=failed, retries=0, totalProcessingTime=0,
                        apiActiveProcessingTime=0, apexProcessingTime=0)
            if self.external_id:
                body["externalIdFieldName"] = self.external_id
            if self.state == "Open":
                body["contentUrl"] = f"services/data/v{api_version}/jobs/ingest/{self.id}/batches"
        if self.error and self.state == "Failed":
            body["errorMessage"] = self.error
        return body


class BulkJobs:
    """One org's Bulk API 2.0 jobs; ``polls`` status reads answer InProgress before completion."""

    def __init__(self) -> None:
        self.jobs: dict[str, Job] = {}
        self.polls = 0
        self._count = 0

    def new_id(self) -> str:
        self._count += 1
        return ids.make_id("750", self._count)


_JOBS: weakref.WeakKeyDictionary[SalesforceOrg, BulkJobs] = weakref.WeakKeyDictionary()


def jobs(org: SalesforceOrg) -> BulkJobs:
    """The org's job store (created on first use; jobs are not kept by dump/restore)."""
    found = _JOBS.get(org)
    if found is None:
        found = _JOBS[org] = BulkJobs()
    return found


def routes(data: str) -> dict[str, Callable[..., Response]]:
    return {f"{data}/jobs/<kind>": handle_jobs,
            f"{data}/jobs/<kind>/<job_id>": handle_job,
            f"{data}/jobs/<kind>/<job_id>/<resource>": handle_resource}


# -- jobs -------------------------------------------------------------------------------------

def handle_jobs(org: SalesforceOrg, request: Request, kind: str) -> Response:
    if kind not in ("query", "ingest"):
        raise not_found()
    store = jobs(org)
    if request.method == "GET":
        records = [j.info(org.api_version) for j in store.jobs.values() if j.kind == kind]
        return json_response({"done": True, "records": records, "nextRecordsUrl": None})
    if request.method != "POST":
        raise method_not_allowed(request.method, ("GET", "POST"))
    body, _ = read_json(request)
    body = body if isinstance(body, dict) else {}
    delimiter = str(body.get("columnDelimiter") or "COMMA")
    line_ending = str(body.get("lineEnding") or "LF")
    if delimiter not in DELIMITERS or line_ending not in LINE_ENDINGS:
        raise _invalid_job(f"Invalid columnDelimiter or lineEnding: {delimiter}, {line_ending}")
    if body.get("contentType", "CSV") != "CSV":
        raise _invalid_job("contentType must be CSV")
    job = (_query_job if kind == "query" else _ingest_job)(org, body)
    job.delimiter, job.line_ending = delimiter, line_ending
    store.jobs[job.id] = job
    return json_response(job.info(org.api_version))


def _query_job(org: SalesforceOrg, body: dict[str, Any]) -> Job:
    operation, text = body.get("operation"), body.get("query")
    if operation not in ("query", "queryAll"):
        raise _invalid_job(f"Invalid operation: {operation}; query jobs take query or queryAll")
    if not isinstance(text, str) or not text.strip():
        raise _invalid_job("A query must be provided")
    try:
        parsed = soql.parse(text)
    except soql.SoqlError as error:
        raise ApiError(400, error.error_code, error.message) from None
    if parsed.is_count or parsed.offset is not None or parsed.limit is not None:
        raise _invalid_job("Bulk API 2.0 does not support COUNT(), LIMIT or OFFSET in a query")
    cursors = Cursors()
    answer = run(org_source(org), cursors, text, operation == "queryAll", QUERY_STEP, "query")
    job = _new_job(org, "query", operation, parsed.sobject)
    sobject = org.sobject(parsed.sobject)
    job.sobject = sobject.name if sobject else parsed.sobject
    job.header = fields = list(parsed.fields)
    job.rows = [[csv_value(_path(r, p)) for p in fields] for r in answer["records"]]
    job.state, job.polls_left = "UploadComplete", jobs(org).polls
    if answer.get("nextRecordsUrl"):
        # the rest of the result is formatted in the background, a step at a time under the
        # org's lock, as Salesforce runs a job: the job answers InProgress until it is done
        job.ready = False
        locator = str(answer["nextRecordsUrl"]).rsplit("/", 1)[1]
        threading.Thread(target=_format_rest, args=(org, job, cursors, locator, fields),
                         name=f"bulk-{job.id}", daemon=True).start()
    return job


def _format_rest(org: SalesforceOrg, job: Job, cursors: Cursors, locator: str,
                 fields: list[str]) -> None:
    while True:
        with org.lock:
            answer = more(cursors, locator, "query", "/services/data/vXX.X/sobjects")
        job.rows += [[csv_value(_path(r, p)) for p in fields] for r in answer["records"]]
        if not answer.get("nextRecordsUrl"):
            job.ready = True
            return
        locator = str(answer["nextRecordsUrl"]).rsplit("/", 1)[1]


def _ingest_job(org: SalesforceOrg, body: dict[str, Any]) -> Job:
    operation, name = body.get("operation"), body.get("object")
    if operation not in INGEST_OPERATIONS:
        raise _invalid_job(f"Invalid operation: {operation}")
    t = org.sobject(str(name or ""))
    if t is None:
        raise _invalid_job(f"sObject type '{name}' is not supported")
    job = _new_job(org, "ingest", str(operation), t.name)
    if operation == "upsert":
        f = t.field(str(body.get("externalIdFieldName") or ""))
        if f is None or not f.external_id:
            raise _invalid_job("externalIdFieldName must name an external ID field of "
                               f"{t.name} for an upsert")
        job.external_id = f.name
    return job


def _new_job(org: SalesforceOrg, kind: str, operation: str, sobject: str) -> Job:
    return Job(jobs(org).new_id(), kind, operation, sobject, org.clock.stamp(), org.api_user_id)


def handle_job(org: SalesforceOrg, request: Request, kind: str, job_id: str) -> Response:
    job = _job(org, kind, job_id)
    if request.method == "GET":
        if job.state in ("UploadComplete", "InProgress"):
            if not job.ready:
                job.state = "InProgress"
            elif job.polls_left > 0:
                job.polls_left -= 1
                job.state = "InProgress"
            else:
                job.state = "Failed" if job.error else "JobComplete"
        return json_response(job.info(org.api_version))
    if request.method == "DELETE":
        if job.state not in (*DONE, "UploadComplete"):
            raise ApiError(400, "INVALIDJOBSTATE", "Job must be closed, aborted or complete "
                           "before it can be deleted")
        del jobs(org).jobs[job.id]
        return Response(status=204)
    if request.method != "PATCH":
        raise method_not_allowed(request.method, ("GET", "PATCH", "DELETE"))
    body, _ = read_json(request)
    state = body.get("state") if isinstance(body, dict) else None
    if state == "Aborted" and job.state not in DONE:
        job.state = "Aborted"
    elif state == "UploadComplete" and job.kind == "ingest" and job.state == "Open":
        job.state, job.polls_left = "UploadComplete", jobs(org).polls
        process(org, job)
    else:
        raise ApiError(400, "INVALIDJOBSTATE", f"Invalid state transition from {job.state} "
                       f"to {state}")
    return json_response(job.info(org.api_version))


def handle_resource(org: SalesforceOrg, request: Request, kind: str, job_id: str,
                    resource: str) -> Response:
    job = _job(org, kind, job_id)
    if kind == "ingest" and resource == "batches":
        if request.method != "PUT":
            raise method_not_allowed(request.method, ("PUT",))
        if job.state != "Open":
            raise ApiError(409, "INVALIDJOBSTATE", "Data can only be uploaded to an Open job")
        upload(job, request.get_data(as_text=True))
        return Response(status=201)
    if request.method != "GET":
        raise method_not_allowed(request.method, ("GET",))
    if kind == "query" and resource == "results":
        return _results(job, request)
    if kind == "ingest" and resource.lower() in ("successfulresults", "failedresults",
                                                 "unprocessedrecords"):
        return record_results(job, resource.lower())
    raise not_found()


def _job(org: SalesforceOrg, kind: str, job_id: str) -> Job:
    job = jobs(org).jobs.get(ids.to_18(job_id) or job_id)
    if job is None or job.kind != kind:
        raise not_found()
    return job


def _invalid_job(message: str) -> ApiError:
    return ApiError(400, "INVALIDJOB", message)


# -- query results ------------------------------------------------------------------------------

def _results(job: Job, request: Request) -> Response:
    if job.state != "JobComplete":
        raise ApiError(412, "JOB_NOT_COMPLETE", "can only download query results of "
                       "successfully completed bulk job with status: JOB_COMPLETE. Current "
                       f"status: {job.state}")
    try:
        size = int(request.args.get("maxRecords") or DEFAULT_MAX_RECORDS)
        start = _offset(request.args.get("locator"))
    except ValueError:
        raise ApiError(400, "INVALID_LOCATOR", "Invalid locator or maxRecords") from None
    if size < 1 or start > len(job.rows):
        raise ApiError(400, "INVALID_LOCATOR", "Invalid locator or maxRecords")
    rows = job.rows[start:start + size]
    job.processed = len(job.rows)
    end = start + len(rows)
    locator = _locator(end) if end < len(job.rows) else "null"
    text = csv_text(job, job.header, rows)
    return Response(text, status=200, content_type="text/csv",
                    headers={"Sforce-NumberOfRecords": str(len(rows)), "Sforce-Locator": locator})


def _locator(offset: int) -> str:
    return base64.b64encode(str(offset).encode()).decode().rstrip("=")


def _offset(locator: str | None) -> int:
    if not locator:
        return 0
    padded = locator + "=" * (-len(locator) % 4)
    return int(base64.b64decode(padded.encode(), validate=True).decode())


def _path(record: dict[str, Any], path: str) -> Any:
    value: Any = record
    for part in path.split("."):
        if not isinstance(value, dict):
            return None
        value = next((v for k, v in value.items() if k.lower() == part.lower()), None)
    return value
