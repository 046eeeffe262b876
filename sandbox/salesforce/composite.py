"""sObject Collections: create, update, upsert and delete up to 200 records in one request.

A well-formed request answers 200 with one result per record, in order. Without ``allOrNone``
each record stands alone: ``{"id", "success": true, "errors": []}`` or ``{"success": false,
"errors": [{"statusCode", "message", "fields"}]}``. With ``allOrNone`` a single failure rolls
everything back: the failing records keep their errors and every other record reports
``ALL_OR_NONE_OPERATION_ROLLED_BACK``. More than 200 records is a 400 ``EXCEEDED_ID_LIMIT``;
a body the deserializer refuses (unknown field, wrong JSON type) fails the whole request.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Request, Response

from leadsync.sandbox.http import json_response
from leadsync.sandbox.salesforce import ids
from leadsync.sandbox.salesforce.errors import (
    ROLLED_BACK,
    ApiError,
    RecordError,
    RecordRefused,
    json_parser_error,
    method_not_allowed,
    not_found,
)
from leadsync.sandbox.salesforce.payload import read_json
from leadsync.sandbox.salesforce.schema import SObjectType
from leadsync.sandbox.salesforce.sobjects import record_body, sobject_or_404
from leadsync.sandbox.salesforce.validation import read_body

if TYPE_CHECKING:
    from leadsync.sandbox.salesforce.org import SalesforceOrg

MAX_RECORDS = 200
TOO_MANY = "record limit reached. cannot submit more than 200 records into this call"

# One record's write: returns (id, created) or raises RecordRefused.
Write = Callable[[], tuple[str, bool | None]]


def _records(request: Request) -> tuple[list[Any], bool, str]:
    body, raw = read_json(request)
    if not isinstance(body, dict) or not isinstance(body.get("records"), list):
        raise json_parser_error("Cannot deserialize instance of SObjectCollectionRequest: the "
                                "request needs a records array at [line:1, column:1]")
    records = body["records"]
    if len(records) > MAX_RECORDS:
        raise ApiError(400, "EXCEEDED_ID_LIMIT", TOO_MANY)
    return records, bool(body.get("allOrNone", False)), raw


def _type_of(org: SalesforceOrg, record: Any, expected: SObjectType | None = None) -> SObjectType:
    attributes = record.get("attributes") if isinstance(record, dict) else None
    name = attributes.get("type") if isinstance(attributes, dict) else None
    if not isinstance(name, str):
        if expected is not None:
            return expected
        raise ApiError(400, "INVALID_TYPE", "Must send a concrete entity type.")
    t = org.sobject(name)
    if t is None:
        raise ApiError(400, "INVALID_TYPE", f"sObject type '{name}' is not supported. If you "
                       "are attempting to use a custom object, be sure to append the '__c' "
                       "after the entity name. Please reference your WSDL or the describe call "
                       "for the appropriate names.")
    if expected is not None and t.name != expected.name:
        raise ApiError(400, "INVALID_TYPE", f"sObject type '{t.name}' does not match the "
                       f"resource type '{expected.name}'")
    return t


def _run(org: SalesforceOrg, writes: list[Write | RecordError], all_or_none: bool) -> Response:
    """Perform the writes in order and answer with one result per record."""
    results: list[dict[str, Any]] = []
    with org.savepoint() as rollback:
        for write in writes:
            if isinstance(write, RecordError):
                results.append({"success": False, "errors": [write.item()]})
                continue
            try:
                record_id, created = write()
            except RecordRefused as refused:
                results.append({"success": False, "errors": [e.item() for e in refused.errors]})
                continue
            item: dict[str, Any] = {"id": record_id, "success": True, "errors": []}
            if created is not None:
                item["created"] = created
            results.append(item)
        if all_or_none and any(not r["success"] for r in results):
            rollback[0] = True
            results = [r if not r["success"] else {"success": False,
                                                   "errors": [ROLLED_BACK.item()]}
                       for r in results]
    return json_response(results)


def handle_collection(org: SalesforceOrg, request: Request) -> Response:
    if request.method == "POST":
        return _create(org, request)
    if request.method == "PATCH":
        return _update(org, request)
    if request.method == "DELETE":
        return _delete(org, request)
    raise method_not_allowed(request.method, ("PATCH", "POST", "DELETE"))


def _create(org: SalesforceOrg, request: Request) -> Response:
    records, all_or_none, raw = _records(request)
    writes: list[Write | RecordError] = []
    for record in records:
        t = _type_of(org, record)
        values, refused = read_body(t, record, raw, insert=True)
        if "Id" in values:
            writes.append(RecordError("INVALID_FIELD", "cannot specify Id in an insert call",
                                      ["Id"]))
            continue
        writes.append(_creator(org, t.name, values, refused))
    return _run(org, writes, all_or_none)


def _update(org: SalesforceOrg, request: Request) -> Response:
    records, all_or_none, raw = _records(request)
    writes: list[Write | RecordError] = []
    for record in records:
        t = _type_of(org, record)
        values, refused = read_body(t, record, raw, insert=False)
        record_id = values.pop("Id", None)
        if record_id is None:
            writes.append(RecordError("MISSING_ARGUMENT", "Id not specified in an update call"))
        elif ids.to_18(record_id) is None:
            writes.append(RecordError("MALFORMED_ID", f"malformed id {record_id}"))
        else:
            writes.append(_updater(org, t.name, ids.to_18(record_id) or "", values, refused))
    return _run(org, writes, all_or_none)


def _creator(org: SalesforceOrg, sobject: str, values: dict[str, Any],
             refused: list[RecordError]) -> Write:
    return lambda: (org.create(sobject, values, refused), None)


def _updater(org: SalesforceOrg, sobject: str, record_id: str, values: dict[str, Any],
             refused: list[RecordError]) -> Write:
    def write() -> tuple[str, bool | None]:
        org.update(sobject, record_id, values, refused)
        return record_id, None
    return write


def _upserter(org: SalesforceOrg, sobject: str, field: str, value: Any, values: dict[str, Any],
              refused: list[RecordError]) -> Write:
    def write() -> tuple[str, bool | None]:
        record_id, created = org.upsert(sobject, field, value, values, refused)
        return record_id, created
    return write


def _deleter(org: SalesforceOrg, sobject: str, record_id: str) -> Write:
    def write() -> tuple[str, bool | None]:
        org.delete(sobject, record_id)
        return record_id, None
    return write


def handle_upsert(org: SalesforceOrg, request: Request, sobject: str, field: str) -> Response:
    """``PATCH composite/sobjects/Lead/<ExtIdField>``: upsert each record by its external id."""
    t = sobject_or_404(org, sobject)
    if request.method != "PATCH":
        raise method_not_allowed(request.method, ("PATCH",))
    f = t.field(field)
    if f is None or not f.external_id:
        raise not_found(f"Provided external ID field does not exist or is not accessible: "
                        f"{field}")
    records, all_or_none, raw = _records(request)
    parsed = []
    for record in records:
        _type_of(org, record, t)
        values, _ = read_body(t, record, raw, insert=True)
        parsed.append((record, values))
    seen: dict[str, int] = {}
    for _, values in parsed:
        key = _key(f.case_sensitive, values.get(f.name))
        if key is not None:
            seen[key] = seen.get(key, 0) + 1
    writes: list[Write | RecordError] = []
    for record, values in parsed:
        value = values.pop(f.name, None)
        if value is None:
            writes.append(RecordError("MISSING_ARGUMENT", f"{f.name} not specified"))
        elif seen[_key(f.case_sensitive, value) or ""] > 1:
            writes.append(RecordError("DUPLICATE_EXTERNAL_ID",
                                      f"Duplicate external id specified: {value}", [f.name]))
        elif "Id" in values:
            writes.append(RecordError("INVALID_FIELD", "The Id field should not be specified "
                                      "in the sobject data.", ["Id"]))
        else:
            exists = bool(org.find_by(t.name, f.name, value))
            refused = read_body(t, record, raw, insert=not exists)[1]
            writes.append(_upserter(org, t.name, f.name, value, values, refused))
    return _run(org, writes, all_or_none)


def _key(case_sensitive: bool, value: Any) -> str | None:
    if value is None:
        return None
    text = str(value)
    return text if case_sensitive else text.lower()


def _delete(org: SalesforceOrg, request: Request) -> Response:
    raw_ids = [i for i in request.args.get("ids", "").split(",") if i]
    if not raw_ids:
        raise ApiError(400, "MISSING_ARGUMENT", "ids parameter is required")
    if len(raw_ids) > MAX_RECORDS:
        raise ApiError(400, "EXCEEDED_ID_LIMIT", TOO_MANY)
    all_or_none = request.args.get("allOrNone", "false").lower() == "true"
    writes: list[Write | RecordError] = []
    for raw_id in raw_ids:
        found = org.locate(raw_id)
        if ids.to_18(raw_id) is None:
            writes.append(RecordError("MALFORMED_ID", f"malformed id {raw_id}"))
        elif found is None:
            writes.append(RecordError("INVALID_CROSS_REFERENCE_KEY",
                                      "invalid cross reference id"))
        elif not org.objects[found[0]].deletable:
            writes.append(RecordError("INVALID_TYPE", f"entity type {found[0]} does not support "
                                      "delete"))
        else:
            writes.append(_deleter(org, found[0], found[1]["Id"]))
    return _run(org, writes, all_or_none)


MAX_RETRIEVE = 2000  # records a POST retrieve may ask for


def handle_retrieve(org: SalesforceOrg, request: Request, sobject: str) -> Response:
    """``GET composite/sobjects/Lead?ids=...&fields=...``, or ``POST`` with ``{"ids": [...],
    "fields": [...]}`` for up to 2,000 records: records by id, null where missing."""
    t = sobject_or_404(org, sobject)
    if request.method == "GET":
        wanted = [n.strip() for n in request.args.get("fields", "").split(",") if n.strip()]
        raw_ids = [i for i in request.args.get("ids", "").split(",") if i]
    elif request.method == "POST":
        body, _ = read_json(request)
        body = body if isinstance(body, dict) else {}
        wanted = [str(n).strip() for n in body.get("fields") or [] if str(n).strip()]
        raw_ids = [str(i) for i in body.get("ids") or [] if i]
        if len(raw_ids) > MAX_RETRIEVE:  # wording not confirmed in the docs (FIDELITY.md)
            raise ApiError(400, "EXCEEDED_ID_LIMIT",
                           f"Maximum number of ids allowed is {MAX_RETRIEVE}.")
    else:
        raise method_not_allowed(request.method, ("GET", "POST"))
    if not wanted or not raw_ids:
        raise ApiError(400, "MISSING_ARGUMENT", "ids and fields parameters are required")
    names = []
    for name in wanted:
        f = t.field(name)
        if f is None:
            raise ApiError(400, "INVALID_FIELD", f"No such column '{name}' on entity "
                           f"'{t.name}'.")
        names.append(f.name)
    out: list[Any] = []
    for raw_id in raw_ids:
        found = org.locate(raw_id)
        if found is None or found[0] != t.name or found[1].get("IsDeleted"):
            out.append(None)
        else:
            out.append(record_body(org, t, found[1], names))
    return json_response(out)
