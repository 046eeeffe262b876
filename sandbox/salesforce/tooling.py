"""The Tooling API's CustomField: add a field to an object, read it back, query or delete it.

``POST tooling/sobjects/CustomField`` with ``{"FullName": "Lead.LeadSync_Id__c", "Metadata":
{"label", "type", "length", "unique", "externalId", ...}}`` adds the field; from then on it is in
describe, SOQL and every write. Types: Text, TextArea, LongTextArea, Email, Phone, Url, Number,
Currency, Percent, Checkbox, Date, DateTime, Picklist (``valueSet``), MultiselectPicklist.

Custom activity fields are made as Salesforce makes them: on ``Activity`` (``Activity.X__c``),
after which both Task and Event have the field; ``Task.X__c`` or ``Event.X__c`` is refused.
"""

from __future__ import annotations

import copy
import re
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Request, Response

from leadsync.sandbox.http import json_response
from leadsync.sandbox.salesforce import permissions, query
from leadsync.sandbox.salesforce.errors import ApiError, method_not_allowed, not_found
from leadsync.sandbox.salesforce.payload import read_json
from leadsync.sandbox.salesforce.schema import Field, SObjectType

if TYPE_CHECKING:
    from leadsync.sandbox.salesforce.org import SalesforceOrg

CUSTOM_FIELD = "CustomField"
ACTIVITY, ACTIVITY_OBJECTS = "Activity", ("Task", "Event")
_NAME = re.compile(r"[A-Za-z](?:[A-Za-z0-9]|_(?!_))*(?<!_)")
_TEXT_TYPES = {"Text": "string", "Email": "email", "Phone": "phone", "Url": "url",
               "TextArea": "textarea", "LongTextArea": "textarea"}
_NUMBER_TYPES = {"Number": "double", "Currency": "currency", "Percent": "percent"}
_FIXED_LENGTH = {"Email": 80, "Phone": 40, "Url": 255, "TextArea": 255}
_OTHER_TYPES = {"Checkbox": "boolean", "Date": "date", "DateTime": "datetime",
                "Picklist": "picklist", "MultiselectPicklist": "multipicklist"}


def custom_field_type() -> SObjectType:
    """CustomField as the Tooling API's query sees it."""
    ro: dict[str, Any] = {"createable": False, "updateable": False}
    return SObjectType(CUSTOM_FIELD, "Custom Field", "Custom Fields", "00N", {
        f.name: f for f in (
            Field("Id", "Custom Field ID", "id", length=18, nillable=False, **ro),
            Field("DeveloperName", "Field Name", "string", length=40, **ro),
            Field("TableEnumOrId", "Table Enum or ID", "string", length=40, **ro),
            Field("NamespacePrefix", "Namespace Prefix", "string", length=15, **ro),
            Field("FullName", "Full Name", "string", length=255, **ro),
            Field("CreatedDate", "Created Date", "datetime", **ro),
            Field("LastModifiedDate", "Last Modified Date", "datetime", **ro),
        )}, createable=True, updateable=False)


def _integrity(message: str, field: str) -> ApiError:
    return ApiError(400, "FIELD_INTEGRITY_EXCEPTION", message, [field])


def field_from_definition(definition: dict[str, Any]) -> Field:
    """The describe view of a CustomField definition; raises ApiError when it is invalid."""
    meta = definition.get("Metadata") or {}
    name = definition["FullName"].split(".", 1)[1]
    kind = meta.get("type")
    label = meta.get("label")
    if not label:
        raise _integrity("Field Label: You must enter a value", "label")
    common: dict[str, Any] = {"custom": True, "help_text": meta.get("inlineHelpText"),
                              "nillable": not meta.get("required", False)}
    if kind in _TEXT_TYPES:
        length = _FIXED_LENGTH.get(kind) or meta.get("length")
        limit = 255 if kind == "Text" else 131072
        if not isinstance(length, int) or not 1 <= length <= limit:
            raise _integrity(f"Length: must be between 1 and {limit}", "length")
        unique = bool(meta.get("unique")) and kind in ("Text", "Email")
        return Field(name, label, _TEXT_TYPES[kind], length=length, unique=unique,
                     case_sensitive=bool(meta.get("caseSensitive")) and unique,
                     external_id=bool(meta.get("externalId")) and kind in ("Text", "Email"),
                     id_lookup=bool(meta.get("externalId") or unique), **common)
    if kind in _NUMBER_TYPES:
        precision, scale = meta.get("precision", 18), meta.get("scale", 0)
        if not (isinstance(precision, int) and isinstance(scale, int)
                and 1 <= precision <= 18 and 0 <= scale <= precision):
            raise _integrity("Length and decimal places: the sum may not exceed 18", "precision")
        return Field(name, label, _NUMBER_TYPES[kind], precision=precision, scale=scale,
                     unique=bool(meta.get("unique")), external_id=bool(meta.get("externalId")),
                     id_lookup=bool(meta.get("externalId")), **common)
    if kind in _OTHER_TYPES:
        return _other(name, label, kind, meta, common)
    raise _integrity(f"Invalid field type: {kind}", "type")


def _other(name: str, label: str, kind: str, meta: dict[str, Any],
           common: dict[str, Any]) -> Field:
    if kind == "Checkbox":
        checked = str(meta.get("defaultValue", "false")).lower() == "true"
        return Field(name, label, "boolean", nillable=False, default=checked,
                     defaulted_on_create=True, custom=True, help_text=common["help_text"])
    if kind in ("Picklist", "MultiselectPicklist"):
        value_set = meta.get("valueSet") or {}
        values = (value_set.get("valueSetDefinition") or {}).get("value") or []
        names = tuple(str(v.get("fullName")) for v in values if v.get("fullName"))
        if not names:
            raise _integrity("Values: You must enter at least one value", "valueSet")
        default = next((str(v["fullName"]) for v in values if v.get("default")), None)
        return Field(name, label, _OTHER_TYPES[kind], length=255 if kind == "Picklist" else 4099,
                     picklist=names, default=default, defaulted_on_create=default is not None,
                     restricted=bool(value_set.get("restricted")), **common)
    return Field(name, label, _OTHER_TYPES[kind], **common)


def field_tables(table: str) -> tuple[str, ...]:
    """The objects a custom field defined on ``table`` (its ``TableEnumOrId``) belongs to."""
    return ACTIVITY_OBJECTS if table == ACTIVITY else (table,)


def _definition_body(org: SalesforceOrg, definition: dict[str, Any]) -> dict[str, Any]:
    url = f"/services/data/v{org.api_version}/tooling/sobjects/{CUSTOM_FIELD}/{definition['Id']}"
    return {"attributes": {"type": CUSTOM_FIELD, "url": url}, **copy.deepcopy(definition)}


def handle_sobject(org: SalesforceOrg, request: Request, sobject: str) -> Response:
    if sobject != CUSTOM_FIELD:
        raise not_found()
    if request.method != "POST":
        raise method_not_allowed(request.method, ("GET", "HEAD", "POST"))
    body, _ = read_json(request)
    if not isinstance(body, dict) or not isinstance(body.get("FullName"), str):
        raise ApiError(400, "REQUIRED_FIELD_MISSING", "Required fields are missing: [FullName]",
                       ["FullName"])
    full_name = body["FullName"]
    table, _, api_name = full_name.partition(".")
    if table.lower() == ACTIVITY.lower():
        table = ACTIVITY_OBJECTS[0]  # checked on Task, added to both
    elif table in ACTIVITY_OBJECTS:
        raise _integrity(f"Invalid entity name: {table}. Custom fields of tasks and events are "
                         f"created on Activity: {ACTIVITY}.{api_name}", "FullName")
    t = org.sobject(table)
    if t is None or t.name == CUSTOM_FIELD:
        raise _integrity(f"Invalid entity name: {table}", "FullName")
    owner = ACTIVITY if full_name.lower().startswith(ACTIVITY.lower() + ".") else t.name
    developer = api_name[:-3] if api_name.endswith("__c") else ""
    if not _NAME.fullmatch(developer) or len(developer) > 40:
        raise _integrity(f"Invalid custom field name: {api_name}. The name must end in __c, "
                         "begin with a letter, use only letters, numbers and single "
                         "underscores, and have at most 40 characters.", "FullName")
    if t.field(api_name) is not None:
        raise ApiError(400, "DUPLICATE_DEVELOPER_NAME",
                       f"There is already a field named {developer} on {t.name}.", ["FullName"])
    stamp = org.clock.stamp()
    definition = {"Id": org.new_id("00N"), "DeveloperName": developer, "TableEnumOrId": owner,
                  "NamespacePrefix": None, "FullName": f"{owner}.{api_name}",
                  "Metadata": copy.deepcopy(body.get("Metadata") or {}),
                  "CreatedDate": stamp, "LastModifiedDate": stamp}
    made = field_from_definition(definition)
    for name in field_tables(owner):
        org.objects[name].add_field(copy.deepcopy(made))
        org.reindex_field(name)
    org.custom_fields.append(definition)
    org.mutations += 1
    return json_response({"id": definition["Id"], "success": True, "errors": [],
                          "warnings": [], "infos": []}, 201)


def handle_record(org: SalesforceOrg, request: Request, sobject: str, record_id: str) -> Response:
    if sobject != CUSTOM_FIELD:
        raise not_found()
    definition = next((d for d in org.custom_fields if d["Id"][:15] == record_id[:15]), None)
    if definition is None:
        raise not_found()
    if request.method == "GET":
        return json_response(_definition_body(org, definition))
    if request.method == "DELETE":
        api_name = definition["FullName"].split(".", 1)[1]
        org.custom_fields.remove(definition)
        for name in field_tables(definition["TableEnumOrId"]):
            org.objects[name].remove_field(api_name)
            table = org.records[name]
            for record_id, record in list(table.items()):
                if api_name in record:
                    table[record_id] = {k: v for k, v in record.items() if k != api_name}
            org.reindex_field(name)
        for gone in permissions.for_field(org, definition["FullName"]):  # they go with it
            org.delete(permissions.FIELD_PERMISSIONS, gone["Id"])
        org.mutations += 1
        return Response(status=204)
    raise method_not_allowed(request.method, ("GET", "PATCH", "HEAD", "DELETE"))


def handle_query(org: SalesforceOrg, request: Request) -> Response:
    text = request.args.get("q")
    if not text:
        raise ApiError(400, "MALFORMED_QUERY", "A query string must be provided.")
    field_type = custom_field_type()
    source = query.Source(
        sobject=lambda name: field_type if name.lower() == CUSTOM_FIELD.lower() else None,
        target=lambda f: field_type,
        rows=lambda name, deleted: [dict(d) for d in org.custom_fields],
        locate=lambda record_id: None,
        url_base=f"/services/data/v{org.api_version}/tooling/sobjects")
    return json_response(query.run(source, org.cursors, text, False, query.batch_size(request),
                                   "query"))


def handle_more(org: SalesforceOrg, request: Request, locator: str) -> Response:
    url_base = f"/services/data/v{org.api_version}/tooling/sobjects"
    return json_response(query.more(org.cursors, locator, "query", url_base))
