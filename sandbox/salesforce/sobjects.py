"""The sObject resources: describe, and one record at a time by id or by external id.

``POST sobjects/Lead`` answers 201 ``{"id", "success", "errors"}``; ``PATCH`` and ``DELETE`` of
``sobjects/Lead/<id>`` answer 204. ``PATCH sobjects/Lead/<ExtIdField>/<value>`` upserts: 201
with ``created: true`` for a new record, and for an update 200 with ``created: false`` (API 46.0
and later; 204 before). A refused record is a 400 listing every error.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Request, Response

from leadsync.sandbox.http import json_response
from leadsync.sandbox.salesforce import describe, ids
from leadsync.sandbox.salesforce.errors import (
    ApiError,
    MultipleChoices,
    RecordRefused,
    method_not_allowed,
    not_found,
)
from leadsync.sandbox.salesforce.payload import read_json
from leadsync.sandbox.salesforce.schema import SObjectType
from leadsync.sandbox.salesforce.validation import read_body

if TYPE_CHECKING:
    from leadsync.sandbox.salesforce.org import SalesforceOrg

CREATED_FLAG_SINCE = 46.0


def sobject_or_404(org: SalesforceOrg, name: str) -> SObjectType:
    t = org.sobject(name)
    if t is None:
        raise not_found()
    return t


def record_url(org: SalesforceOrg, sobject: str, record_id: str) -> str:
    return f"/services/data/v{org.api_version}/sobjects/{sobject}/{record_id}"


def record_body(org: SalesforceOrg, t: SObjectType, record: dict[str, Any],
                fields: list[str] | None = None) -> dict[str, Any]:
    """A record as the sObject Rows resource returns it: attributes, then its fields."""
    names = fields if fields is not None else list(t.fields)
    out: dict[str, Any] = {"attributes": {"type": t.name,
                                          "url": record_url(org, t.name, record["Id"])}}
    out.update({name: record.get(name) for name in names})
    return out


def refused_response(error: RecordRefused) -> Response:
    status = 400
    if any(e.status_code == "ENTITY_IS_DELETED" and not e.fields for e in error.errors):
        status = 404
    body = [{"message": e.message, "errorCode": e.status_code, "fields": e.fields}
            for e in error.errors]
    return json_response(body, status)


def handle_global(org: SalesforceOrg, request: Request) -> Response:
    if request.method != "GET":
        raise method_not_allowed(request.method, ("GET", "HEAD"))
    return json_response(describe.describe_global(org.objects.values(), org.api_version))


def handle_describe(org: SalesforceOrg, request: Request, sobject: str) -> Response:
    t = sobject_or_404(org, sobject)
    if request.method != "GET":
        raise method_not_allowed(request.method, ("GET", "HEAD"))
    return json_response(describe.describe_object(t, org.objects.values(), org.api_version))


def handle_sobject(org: SalesforceOrg, request: Request, sobject: str) -> Response:
    t = sobject_or_404(org, sobject)
    if request.method == "GET":
        recent = sorted((r for r in org.records[t.name].values() if not r.get("IsDeleted")),
                        key=lambda r: r["LastModifiedDate"], reverse=True)[:5]
        items = [record_body(org, t, r, ["Id", "Name"] if "Name" in t.fields else ["Id"])
                 for r in recent]
        return json_response({"objectDescribe": describe.global_entry(t, org.api_version),
                              "recentItems": items})
    if request.method == "POST":
        return create(org, request, t)
    raise method_not_allowed(request.method, ("GET", "HEAD", "POST"))


def create(org: SalesforceOrg, request: Request, t: SObjectType) -> Response:
    body, raw = read_json(request)
    values, refused = read_body(t, body, raw, insert=True)
    if not t.createable:
        raise ApiError(400, "CANNOT_INSERT_UPDATE_ACTIVATE_ENTITY",
                       f"entity type {t.name} does not support insert")
    if "Id" in values:
        raise ApiError(400, "INVALID_FIELD", "cannot specify Id in an insert call", ["Id"])
    try:
        record_id = org.create(t.name, values, refused)
    except RecordRefused as error:
        return refused_response(error)
    return json_response({"id": record_id, "success": True, "errors": []}, 201)


def _live_record(org: SalesforceOrg, t: SObjectType, record_id: str) -> dict[str, Any]:
    if not ids.is_id(record_id):
        raise not_found("Provided external ID field does not exist or is not accessible: "
                        f"{record_id}")
    found = org.locate(record_id)
    if found is None or found[0] != t.name:
        raise not_found()
    return found[1]


def handle_record(org: SalesforceOrg, request: Request, sobject: str, record_id: str) -> Response:
    t = sobject_or_404(org, sobject)
    if request.method == "POST" and record_id == "Id":
        return create(org, request, t)
    if request.method not in ("GET", "PATCH", "DELETE"):
        raise method_not_allowed(request.method, ("GET", "PATCH", "HEAD", "DELETE"))
    record = _live_record(org, t, record_id)
    if request.method == "GET":
        if record.get("IsDeleted"):
            raise not_found()
        return json_response(record_body(org, t, record, _wanted_fields(t, request)))
    if request.method == "PATCH":
        return _update(org, request, t, record["Id"])
    return _delete(org, request, t, record["Id"])


def _wanted_fields(t: SObjectType, request: Request) -> list[str] | None:
    wanted = request.args.get("fields")
    if not wanted:
        return None
    names = []
    for name in (n.strip() for n in wanted.split(",") if n.strip()):
        f = t.field(name)
        if f is None:
            raise ApiError(400, "INVALID_FIELD", f"No such column '{name}' on entity "
                           f"'{t.name}'. If you are attempting to use a custom field, be sure "
                           "to append the '__c' after the custom field name. Please reference "
                           "your WSDL or the describe call for the appropriate names.")
        names.append(f.name)
    return names


def _update(org: SalesforceOrg, request: Request, t: SObjectType, record_id: str) -> Response:
    body, raw = read_json(request)
    values, refused = read_body(t, body, raw, insert=False)
    if values.get("Id") not in (None, record_id) and ids.to_18(values["Id"]) != record_id:
        raise ApiError(400, "INVALID_FIELD", "The Id field should not be specified in the "
                       "sobject data.")
    try:
        org.update(t.name, record_id, values, refused)
    except RecordRefused as error:
        return refused_response(error)
    return Response(status=204)


def _delete(org: SalesforceOrg, request: Request, t: SObjectType, record_id: str) -> Response:
    if not t.deletable:
        raise method_not_allowed(request.method, ("GET", "PATCH", "HEAD"))
    try:
        org.delete(t.name, record_id)
    except RecordRefused as error:
        return refused_response(error)
    return Response(status=204)


def handle_external(org: SalesforceOrg, request: Request, sobject: str, field: str,
                    value: str) -> Response:
    """``sobjects/Lead/<ExtIdField>/<value>``: read, upsert or delete by external id."""
    t = sobject_or_404(org, sobject)
    f = t.field(field)
    if f is None or not (f.external_id or f.name == "Id"):
        raise not_found(f"Provided external ID field does not exist or is not accessible: "
                        f"{field}")
    if f.name == "Id":
        if request.method == "PATCH" and ids.is_id(value):
            return handle_record(org, request, sobject, value)
        raise not_found()
    if request.method == "PATCH":
        return _upsert(org, request, t, f.name, value)
    if request.method not in ("GET", "DELETE"):
        raise method_not_allowed(request.method, ("GET", "PATCH", "HEAD", "DELETE"))
    matches = org.find_by(t.name, f.name, value)
    if len(matches) > 1:
        raise MultipleChoices([record_url(org, t.name, m) for m in matches])
    if not matches:
        raise not_found()
    if request.method == "GET":
        return json_response(record_body(org, t, org.records[t.name][matches[0]],
                                         _wanted_fields(t, request)))
    return _delete(org, request, t, matches[0])


def _upsert(org: SalesforceOrg, request: Request, t: SObjectType, field: str,
            value: str) -> Response:
    body, raw = read_json(request)
    ext_value = read_body(t, {field: value}, "", insert=True)[0][field]
    exists = bool(org.find_by(t.name, field, ext_value))
    values, refused = read_body(t, body, raw, insert=not exists)
    if "Id" in values:
        raise ApiError(400, "INVALID_FIELD", "The Id field should not be specified in the "
                       "sobject data.")
    values.pop(field, None)
    try:
        record_id, created = org.upsert(t.name, field, ext_value, values, refused)
    except RecordRefused as error:
        return refused_response(error)
    if created:
        return json_response({"id": record_id, "success": True, "errors": [], "created": True},
                             201)
    if float(org.api_version) < CREATED_FLAG_SINCE:
        return Response(status=204)
    return json_response({"id": record_id, "success": True, "errors": [], "created": False})
