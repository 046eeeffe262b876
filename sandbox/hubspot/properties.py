"""Property definitions and groups: the catalog, the checking of written values, and the
``/crm/v3/properties/{objectType}`` endpoints.

Written values are checked as HubSpot checks them: an unknown name is ``PROPERTY_DOESNT_EXIST``,
an enumeration value outside the options ``INVALID_OPTION``, a malformed email ``INVALID_EMAIL``;
all problems of one input are reported together in a 400 "Property values were not valid".
Emails are trimmed and lower-cased, datetimes stored as ISO-8601 UTC with milliseconds.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from typing import Any

from leadsync.sandbox.hubspot import schema, timestamps
from leadsync.sandbox.hubspot.errors import HubSpotError, not_found, validation_error

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
NAME = re.compile(r"^[a-z][a-z0-9_]*$")
FIELD_TYPES = {
    "string": {"text", "textarea", "file", "html", "phonenumber"},
    "number": {"number", "calculation_equation"},
    "date": {"date"}, "datetime": {"date"},
    "enumeration": {"select", "radio", "checkbox", "booleancheckbox"},
    "bool": {"booleancheckbox"},
}
Problem = dict[str, Any]


class PropertyCatalog:
    """Every object type's properties and groups, built-in and custom."""

    def __init__(self, portal_id: int, now: Callable[[], str]) -> None:
        self.portal_id, self.now = portal_id, now
        at = now()
        self.properties = {t: schema.built_in_properties(t, at) for t in schema.OBJECT_TYPES}
        self.groups = {t: schema.built_in_groups(t) for t in schema.OBJECT_TYPES}

    def get(self, object_type: str, name: str) -> dict[str, Any] | None:
        prop = self.properties[object_type].get(name)
        return None if prop is None or prop["archived"] else prop

    def unique_names(self, object_type: str) -> set[str]:
        """Properties whose values identify a record: email for contacts, and unique ones."""
        names = {n for n, p in self.properties[object_type].items()
                 if p["hasUniqueValue"] and not p["archived"]}
        return names | ({"email"} if object_type == "contacts" else set())

    def check(self, object_type: str, values: dict[str, Any], owner_ids: Collection[str],
              ) -> tuple[dict[str, str], list[Problem]]:
        """Written values normalised as HubSpot stores them, and the problems found."""
        clean: dict[str, str] = {}
        problems: list[Problem] = []
        for name, raw in values.items():
            prop = self.get(object_type, name)
            if prop is None:
                problems.append(self.problem(name, "PROPERTY_DOESNT_EXIST",
                                             f'Property "{name}" does not exist'))
                continue
            if prop["modificationMetadata"]["readOnlyValue"]:
                problems.append(self.problem(name, "READ_ONLY_VALUE",
                                             f'"{name}" is a read only property; its value cannot '
                                             "be set."))
                continue
            value, error = _normalise(prop, raw, owner_ids)
            if error:
                problems.append(self.problem(name, *error))
            else:
                clean[name] = value
        return clean, problems

    def problem(self, name: str, code: str, message: str) -> Problem:
        return {"isValid": False, "message": message, "error": code, "name": name,
                "localizedErrorMessage": message, "portalId": self.portal_id}

    def dump(self) -> dict[str, Any]:
        return {"properties": self.properties, "groups": self.groups}

    def restore(self, data: dict[str, Any]) -> None:
        """Saved definitions; an object type the saved state predates gets its built-in ones."""
        at = self.now()
        self.properties = {t: data["properties"].get(t) or schema.built_in_properties(t, at)
                           for t in schema.OBJECT_TYPES}
        self.groups = {t: data["groups"].get(t) or schema.built_in_groups(t)
                       for t in schema.OBJECT_TYPES}


def _normalise(prop: dict[str, Any], raw: Any, owner_ids: Collection[str],
               ) -> tuple[str, tuple[str, str] | None]:
    if raw is None:
        return "", None
    value = ("true" if raw else "false") if isinstance(raw, bool) else str(raw)
    if isinstance(raw, float) and raw.is_integer():
        value = str(int(raw))
    if value == "":
        return "", None
    kind = prop["type"]
    if prop["name"] == "email":
        value = value.strip().lower()
        if not EMAIL.match(value):
            return value, ("INVALID_EMAIL", f"Email address {value} is invalid")
    elif kind == "number":
        try:
            float(value)
        except ValueError:
            return value, ("INVALID_FLOAT", f"{value} was not a valid number.")
    elif kind in ("datetime", "date"):
        moment = timestamps.parse(value)
        if moment is None:
            return value, ("INVALID_LONG", f"{value} was not a valid long.")
        if kind == "date":
            if moment.hour or moment.minute or moment.second or moment.microsecond:
                return value, ("INVALID_DATE", f"{value} is at "
                               f"{moment.strftime('%H:%M:%S.%f')[:-3]} UTC, not midnight!")
            return moment.date().isoformat(), None
        return timestamps.iso(moment), None
    elif kind == "bool":
        if value.lower() not in ("true", "false"):
            return value, ("INVALID_BOOLEAN", f"{value} was not a valid boolean.")
        return value.lower(), None
    elif kind == "enumeration":
        if prop.get("referencedObjectType") == "OWNER":
            if value not in owner_ids:
                return value, ("INVALID_OWNER_ID", f"{value} is not a valid owner id")
            return value, None
        allowed = [o["value"] for o in prop["options"]]
        chosen = value.split(";") if prop["fieldType"] == "checkbox" else [value]
        wrong = [v for v in chosen if v not in allowed]
        if wrong:
            return value, ("INVALID_OPTION", f"{wrong[0]} was not one of the allowed options: "
                           f"[{', '.join(allowed)}]")
    return value, None


# -- endpoints -------------------------------------------------------------------------------

def list_properties(catalog: PropertyCatalog, object_type: str, archived: bool,
                    ) -> tuple[int, Any]:
    results = [p for p in catalog.properties[object_type].values() if p["archived"] == archived]
    return 200, {"results": results}


def read_property(catalog: PropertyCatalog, object_type: str, name: str) -> tuple[int, Any]:
    prop = catalog.get(object_type, name)
    if prop is None:
        raise not_found(f"Unable to find property {name} for object type {object_type}")
    return 200, prop


def create_property(catalog: PropertyCatalog, object_type: str, body: dict[str, Any],
                    ) -> tuple[int, Any]:
    missing = [f for f in ("name", "label", "type", "fieldType", "groupName") if not body.get(f)]
    if missing:
        raise validation_error(f"Some required fields were not set: [{', '.join(missing)}]")
    name, type_, field_type = str(body["name"]), str(body["type"]), str(body["fieldType"])
    if name in catalog.properties[object_type]:
        raise HubSpotError(409, "OBJECT_ALREADY_EXISTS", f"Property named '{name}' already exists.")
    if not NAME.match(name):
        raise validation_error(f"Property name '{name}' is invalid: it must start with a letter "
                               "and contain only lowercase letters, numbers and underscores.")
    if field_type not in FIELD_TYPES.get(type_, set()):
        raise validation_error(f"Invalid property type/fieldType combination: {type_}/"
                               f"{field_type}")
    if body["groupName"] not in catalog.groups[object_type]:
        raise validation_error(f"Property group {body['groupName']} does not exist.")
    prop = schema.property_model(
        name, str(body["label"]), type_, field_type, str(body["groupName"]), at=catalog.now(),
        options_=schema.options(body.get("options") or []),
        description=str(body.get("description") or ""), hubspot_defined=False,
        unique=bool(body.get("hasUniqueValue", False)),
        display_order=int(body.get("displayOrder", -1)))
    prop["hidden"] = bool(body.get("hidden", False))
    prop["formField"] = bool(body.get("formField", False))
    catalog.properties[object_type][name] = prop
    return 201, prop


def update_property(catalog: PropertyCatalog, object_type: str, name: str,
                    body: dict[str, Any]) -> tuple[int, Any]:
    _, prop = read_property(catalog, object_type, name)
    if prop["modificationMetadata"]["readOnlyDefinition"]:
        raise validation_error(f"Property {name} is a HubSpot-defined property and its "
                               "definition cannot be changed.")
    for field in ("label", "description", "groupName", "displayOrder", "hidden", "formField"):
        if field in body:
            prop[field] = body[field]
    if "options" in body:
        prop["options"] = schema.options(body["options"] or [])
    prop["updatedAt"] = catalog.now()
    return 200, prop


def archive_property(catalog: PropertyCatalog, object_type: str, name: str) -> tuple[int, Any]:
    _, prop = read_property(catalog, object_type, name)
    if not prop["modificationMetadata"]["archivable"]:
        raise validation_error(f"Property {name} is a HubSpot-defined property and cannot be "
                               "archived.")
    prop["archived"], prop["archivedAt"] = True, catalog.now()
    return 204, None


def list_groups(catalog: PropertyCatalog, object_type: str) -> tuple[int, Any]:
    return 200, {"results": [g for g in catalog.groups[object_type].values()
                             if not g["archived"]]}


def read_group(catalog: PropertyCatalog, object_type: str, name: str) -> tuple[int, Any]:
    group = catalog.groups[object_type].get(name)
    if group is None or group["archived"]:
        raise not_found(f"Unable to find property group {name} for object type {object_type}")
    return 200, group


def create_group(catalog: PropertyCatalog, object_type: str, body: dict[str, Any],
                 ) -> tuple[int, Any]:
    missing = [f for f in ("name", "label") if not body.get(f)]
    if missing:
        raise validation_error(f"Some required fields were not set: [{', '.join(missing)}]")
    name = str(body["name"])
    if name in catalog.groups[object_type]:
        raise HubSpotError(409, "OBJECT_ALREADY_EXISTS",
                           f"Property group named '{name}' already exists.")
    if not NAME.match(name):
        raise validation_error(f"Property group name '{name}' is invalid.")
    group = {"name": name, "label": str(body["label"]),
             "displayOrder": int(body.get("displayOrder", -1)), "archived": False}
    catalog.groups[object_type][name] = group
    return 201, group


def update_group(catalog: PropertyCatalog, object_type: str, name: str,
                 body: dict[str, Any]) -> tuple[int, Any]:
    _, group = read_group(catalog, object_type, name)
    for field in ("label", "displayOrder"):
        if field in body:
            group[field] = body[field]
    return 200, group


def archive_group(catalog: PropertyCatalog, object_type: str, name: str) -> tuple[int, Any]:
    _, group = read_group(catalog, object_type, name)
    group["archived"] = True
    return 204, None
