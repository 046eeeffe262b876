"""Bulk API 2.0 ingest for the sandbox org: CSV uploads applied row by row through the org's
own writes and validation, and the CSV result sets (``successfulResults``, ``failedResults``,
``unprocessedrecords``) a finished job answers with; the CSV dialect query results share.
"""

from __future__ import annotations

import csv
import io
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Response

from leadsync.sandbox.salesforce import ids
from leadsync.sandbox.salesforce.errors import (
    ApiError,
    MultipleChoices,
    RecordError,
    RecordRefused,
)
from leadsync.sandbox.salesforce.schema import Field, SObjectType
from leadsync.sandbox.salesforce.validation import BadValue, coerce, format_datetime, parse_datetime

if TYPE_CHECKING:
    from leadsync.sandbox.salesforce.bulk import Job
    from leadsync.sandbox.salesforce.org import SalesforceOrg

NULL = "#N/A"
DELIMITERS = {"COMMA": ",", "TAB": "\t", "PIPE": "|", "SEMICOLON": ";", "CARET": "^",
              "BACKQUOTE": "`"}
LINE_ENDINGS = {"LF": "\n", "CRLF": "\r\n"}


def csv_value(value: Any) -> str:
    """A value as a Bulk CSV result holds it: blank for null, true/false, dateTimes in Z."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str) and len(value) == 28 and value.endswith("+0000"):
        moment = parse_datetime(value)
        if moment is not None:
            return format_datetime(moment).replace("+0000", "Z")
    return str(value)


def csv_text(job: Job, header: list[str], rows: list[list[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=DELIMITERS[job.delimiter], quoting=csv.QUOTE_ALL,
                        lineterminator=LINE_ENDINGS[job.line_ending])
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def upload(job: Job, text: str) -> None:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=DELIMITERS[job.delimiter])
    lines = list(reader)
    if not lines:
        raise ApiError(400, "INVALIDJOB", "The uploaded CSV is empty")
    if job.header and lines[0] != job.header:
        raise ApiError(400, "INVALIDJOB", "Every upload to a job must have the same header")
    job.header = lines[0]
    job.rows.extend(row for row in lines[1:] if row)


def process(org: SalesforceOrg, job: Job) -> None:
    """Apply every uploaded row in order; each row stands alone."""
    t = org.objects[job.sobject]
    fields: list[Field] = []
    for name in job.header:
        f = t.field(name)
        if f is None:
            job.error = f"InvalidBatch : Field name not found : {name}"
            return
        fields.append(f)
    for row in job.rows:
        job.done.append(_apply(org, job, t, fields, row))
        job.processed += 1
    job.rows = []


def _apply(org: SalesforceOrg, job: Job, t: SObjectType, fields: list[Field],
           row: list[str]) -> tuple[list[str], str, bool, str]:
    """One row written: (row, id, created, "" or the sf__Error text)."""
    values: dict[str, Any] = {}
    record_id = ""
    try:
        for f, text in zip(fields, row, strict=False):
            if text == "":
                continue
            try:
                values[f.name] = coerce(f, None if text == NULL else text)
            except BadValue:
                raise RecordRefused([RecordError(
                    "INVALID_FIELD", f"'{text}' is not a valid value for the type "
                    f"{f.type} of field {f.name}", [f.name])]) from None
        if job.operation == "insert":
            if "Id" in values:
                raise RecordRefused([RecordError("INVALID_FIELD",
                                                 "cannot specify Id in an insert call", ["Id"])])
            return row, org.create(t.name, values, _not_writable(t, values, True)), True, ""
        if job.operation == "update":
            record_id = ids.to_18(str(values.pop("Id", "") or "")) or ""
            if not record_id:
                raise RecordRefused([RecordError("MISSING_ARGUMENT",
                                                 "Id not specified in an update call")])
            org.update(t.name, record_id, values, _not_writable(t, values, False))
            return row, record_id, False, ""
        key_field = str(job.external_id)
        key = values.pop(key_field, None)
        if key is None:
            raise RecordRefused([RecordError("MISSING_ARGUMENT", f"{key_field} not specified")])
        exists = bool(org.find_by(t.name, key_field, key))
        record_id, created = org.upsert(t.name, key_field, key, values,
                                        _not_writable(t, values, not exists))
        return row, record_id, created, ""
    except RecordRefused as refused:
        first = refused.errors[0]
        return row, record_id, False, (f"{first.status_code}:{first.message}:"
                                       f"{','.join(first.fields)} --")
    except MultipleChoices:
        return row, "", False, (f"DUPLICATE_EXTERNAL_ID:more than one record found for external "
                                f"id field {job.external_id}:{job.external_id} --")


def _not_writable(t: SObjectType, values: dict[str, Any], insert: bool) -> list[RecordError]:
    refused = [name for name in values if name != "Id" and not (
        t.fields[name].createable if insert else t.fields[name].updateable)]
    if not refused:
        return []
    return [RecordError("INVALID_FIELD_FOR_INSERT_UPDATE",
                        f"Unable to create/update fields: {', '.join(refused)}. Please check the "
                        "security settings of this field and verify that it is read/write for "
                        "your profile or permission set.", refused)]


def record_results(job: Job, resource: str) -> Response:
    if resource == "unprocessedrecords":
        rows = job.rows if job.state in ("Aborted", "Failed") else []
        return Response(csv_text(job, job.header, rows), content_type="text/csv")
    if job.state != "JobComplete" and not (job.state == "Failed" and job.done):
        raise ApiError(400, "INVALIDJOBSTATE", f"Job is not complete: {job.state}")
    if resource == "successfulresults":
        header = ["sf__Id", "sf__Created", *job.header]
        rows = [[i, "true" if created else "false", *row]
                for row, i, created, error in job.done if not error]
    else:
        header = ["sf__Id", "sf__Error", *job.header]
        rows = [[i, error, *row] for row, i, _, error in job.done if error]
    return Response(csv_text(job, header, rows), content_type="text/csv")
