"""Salesforce Bulk API 2.0 jobs, made on the client's own session through ``SalesforceCalls``.

simple-salesforce's ``bulk2`` speaks the same protocol, but its job helpers sleep between polls
on the wall clock, drop the ``Sforce-Limit-Info`` of each answer (the daily budget would not
see them) and retry nothing; so each request is made here with ``simple_salesforce.util.
call_salesforce`` on ``client.session`` (its CA bundle and timeout), one ``SalesforceCalls``
call each: budgeted, counted, translated by the error table and, where that is safe, retried.

Query job: ``POST jobs/query`` → poll ``GET jobs/query/<id>`` until ``JobComplete`` → ``GET
.../results?maxRecords=`` following ``Sforce-Locator`` until ``null``; a lost answer at any
step is retried (reads).

Ingest job: ``POST jobs/ingest`` → ``PUT .../batches`` (CSV) → ``PATCH {"state":
"UploadComplete"}`` → poll → ``successfulResults`` and ``failedResults``. The upload and the
close are never blindly retried: an upload whose answer was lost leaves a job that was never
closed, so it is aborted and the rows go in a new job (nothing was written); a close whose
answer was lost is followed by a status read, and the job is only closed again if it is still
``Open``, so one job's rows are written once.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import requests
from simple_salesforce import Salesforce
from simple_salesforce.util import call_salesforce

from leadsync.adapters.salesforce.calls import SalesforceCalls
from leadsync.connector.errors import LeadSyncError, TransientError

MAX_RECORDS = 50_000  # rows a results call may bring; pages handed on are smaller
JSON, CSV = "application/json", "text/csv"
UPLOAD_ATTEMPTS = 3
FIRST_POLL, LONGEST_POLL, MAX_WAIT = 0.5, 10.0, 3600.0  # seconds
FINISHED = ("JobComplete", "Failed", "Aborted")


class Bulk2:
    """Bulk API 2.0 for one org; ``sleep`` waits between status polls."""

    def __init__(self, calls: SalesforceCalls,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.calls, self.sleep = calls, sleep

    # -- requests -------------------------------------------------------------------------------

    def _send(self, method: str, path: str, body: Any = None, content: str = JSON,
              accept: str = JSON, params: dict[str, Any] | None = None) -> requests.Response:
        """One HTTP request; the usage Salesforce reports feeds the daily budget."""
        client: Salesforce = self.calls.client
        headers = {"Authorization": f"Bearer {client.session_id}", "Content-Type": content,
                   "Accept": accept}
        data = json.dumps(body) if content == JSON and body is not None else body
        if isinstance(data, str):
            data = data.encode("utf-8")
        response = call_salesforce(f"{client.bulk2_url}{path}", method, client.session, headers,
                                   data=data, params=params)
        usage = response.headers.get("Sforce-Limit-Info")
        if usage:
            client.api_usage = Salesforce.parse_api_usage(usage)
        return response

    def _call(self, what: str, method: str, path: str, **kwargs: Any) -> requests.Response:
        return self.calls(f"bulk {what}", self._send, method, path, **kwargs)

    def _job(self, kind: str, job_id: str) -> dict[str, Any]:
        return dict(self._call("job status", "GET", f"{kind}/{job_id}").json())

    def _wait(self, kind: str, job_id: str) -> dict[str, Any]:
        """Poll the job until it is finished; backs off from FIRST_POLL to LONGEST_POLL."""
        delay, waited = FIRST_POLL, 0.0
        while True:
            info = self._job(kind, job_id)
            if info.get("state") in FINISHED:
                return info
            if waited >= MAX_WAIT:
                raise TransientError(f"Salesforce bulk {kind} job {job_id} still "
                                     f"{info.get('state')} after {waited:.0f} s")
            self.sleep(delay)
            waited += delay
            delay = min(delay * 2, LONGEST_POLL)

    # -- query ----------------------------------------------------------------------------------

    def query(self, soql: str, include_deleted: bool = False) -> Iterator[dict[str, str]]:
        """The rows of a query job, as CSV text by column name, one results call at a time."""
        operation = "queryAll" if include_deleted else "query"
        job = self._call("query job", "POST", "query",
                         body={"operation": operation, "query": soql}).json()
        info = self._wait("query", job["id"])
        if info["state"] != "JobComplete":
            raise TransientError(f"Salesforce bulk query job {job['id']} {info['state']}: "
                                 f"{info.get('errorMessage', '')}")
        locator = ""
        while locator != "null":
            params: dict[str, Any] = {"maxRecords": MAX_RECORDS}
            if locator:
                params["locator"] = locator
            answer = self._call("query results", "GET", f"query/{job['id']}/results",
                                accept=CSV, params=params)
            locator = answer.headers.get("Sforce-Locator") or "null"
            yield from csv.DictReader(io.StringIO(answer.content.decode("utf-8"), newline=""))

    # -- ingest ---------------------------------------------------------------------------------

    def ingest(self, sobject: str, operation: str, header: Sequence[str],
               rows: Sequence[Sequence[str]], external_id: str | None = None
               ) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
        """Write ``rows`` in one ingest job; its successful and failed result rows."""
        data = _csv_text(header, rows)
        for attempt in range(1, UPLOAD_ATTEMPTS + 1):
            job_id = self._open(sobject, operation, external_id)
            try:
                self.calls.once("bulk upload", self._send, "PUT",
                                f"ingest/{job_id}/batches", body=data, content=CSV)
                break
            except TransientError:
                self._abort(job_id)  # never closed: none of its rows was written
                if attempt == UPLOAD_ATTEMPTS:
                    raise
        self._close(job_id)
        info = self._wait("ingest", job_id)
        if info["state"] != "JobComplete":
            raise TransientError(f"Salesforce bulk {operation} job {job_id} {info['state']}: "
                                 f"{info.get('errorMessage', '')}")
        return self._results(job_id, "successfulResults"), self._results(job_id, "failedResults")

    def _open(self, sobject: str, operation: str, external_id: str | None) -> str:
        body = {"object": sobject, "operation": operation, "contentType": "CSV",
                "lineEnding": "LF", "columnDelimiter": "COMMA"}
        if external_id:
            body["externalIdFieldName"] = external_id
        return str(self._call("ingest job", "POST", "ingest", body=body).json()["id"])

    def _close(self, job_id: str) -> None:
        """Mark the upload complete once, even when an answer is lost on the way back."""
        for _ in range(UPLOAD_ATTEMPTS):
            try:
                self.calls.once("bulk close", self._send, "PATCH", f"ingest/{job_id}",
                                body={"state": "UploadComplete"})
                return
            except TransientError:
                if self._job("ingest", job_id).get("state") != "Open":
                    return  # the close went through; its answer was lost
        raise TransientError(f"Salesforce bulk ingest job {job_id} could not be closed")

    def _abort(self, job_id: str) -> None:
        # an Open job nobody closes is never processed (Salesforce removes it): best effort
        with contextlib.suppress(LeadSyncError):
            self._call("abort", "PATCH", f"ingest/{job_id}", body={"state": "Aborted"})

    def _results(self, job_id: str, kind: str) -> list[dict[str, str]]:
        answer = self._call(kind, "GET", f"ingest/{job_id}/{kind}", accept=CSV)
        return list(csv.DictReader(io.StringIO(answer.content.decode("utf-8"), newline="")))


def _csv_text(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()
