"""The replication resources: sObject Get Updated and sObject Get Deleted.

``GET sobjects/Lead/updated/?start=...&end=...`` answers ``{"ids", "latestDateCovered"}`` and
``.../deleted/`` answers ``{"deletedRecords": [{"id", "deletedDate"}], "earliestDateAvailable",
"latestDateCovered"}``. As getUpdated() and getDeleted() document, the window is read to the
minute (seconds are dropped), its start may be at most 30 days back, and a change counts by the
record's SystemModstamp.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from werkzeug.wrappers import Request, Response

from leadsync.sandbox.http import json_response
from leadsync.sandbox.salesforce.errors import ApiError, method_not_allowed
from leadsync.sandbox.salesforce.sobjects import sobject_or_404
from leadsync.sandbox.salesforce.validation import format_datetime, parse_datetime

if TYPE_CHECKING:
    from leadsync.sandbox.salesforce.org import SalesforceOrg

MAX_AGE = timedelta(days=30)


def _window(request: Request) -> tuple[datetime, datetime]:
    """The [start, end) window of the request: both cut to the minute, the end to now at most.

    Changes of the current minute are answered but not covered (``latestDateCovered`` stays
    at the minute's start), so a client starting its next window there sees them again.
    """
    moments = []
    for name in ("start", "end"):
        text = request.args.get(name)
        moment = parse_datetime(text) if text else None
        if moment is None:
            raise ApiError(400, "INVALID_REPLICATION_DATE",
                           f"{name} must be a dateTime such as 2024-01-15T10:30:00+00:00")
        moments.append(moment.replace(second=0, microsecond=0))
    start, end = moments
    now = datetime.now(UTC)
    if start > end:
        raise ApiError(400, "INVALID_REPLICATION_DATE", "startDate must chronologically "
                       "precede endDate")
    if start < now - MAX_AGE:
        raise ApiError(400, "INVALID_REPLICATION_DATE", "startDate cannot be more than 30 days "
                       "ago")
    return start, min(end, now)


def _changed(org: SalesforceOrg, sobject: str, deleted: bool, start: datetime,
             end: datetime) -> list[tuple[str, str]]:
    found = []
    for record in org.records[sobject].values():
        stamp = parse_datetime(record["SystemModstamp"])
        if bool(record.get("IsDeleted")) == deleted and stamp and start <= stamp < end:
            found.append((record["SystemModstamp"], record["Id"]))
    return sorted(found)


def handle_updated(org: SalesforceOrg, request: Request, sobject: str) -> Response:
    t = sobject_or_404(org, sobject)
    if request.method != "GET":
        raise method_not_allowed(request.method, ("GET", "HEAD"))
    start, end = _window(request)
    ids = [record_id for _, record_id in _changed(org, t.name, False, start, end)]
    return json_response({"ids": ids, "latestDateCovered": _covered(end)})


def handle_deleted(org: SalesforceOrg, request: Request, sobject: str) -> Response:
    t = sobject_or_404(org, sobject)
    if request.method != "GET":
        raise method_not_allowed(request.method, ("GET", "HEAD"))
    start, end = _window(request)
    found = _changed(org, t.name, True, start, end)
    earliest = datetime.now(UTC) - MAX_AGE
    return json_response({
        "deletedRecords": [{"id": record_id, "deletedDate": stamp} for stamp, record_id in found],
        "earliestDateAvailable": format_datetime(earliest.replace(second=0, microsecond=0)),
        "latestDateCovered": _covered(end)})


def _covered(end: datetime) -> str:
    """The minute up to which the answer is complete: the next window should start there."""
    return format_datetime(end.replace(second=0, microsecond=0))
