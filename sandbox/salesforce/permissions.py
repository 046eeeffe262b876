"""Permission sets: PermissionSet, FieldPermissions and PermissionSetAssignment, and what the
org does on writes to them.

As the Object Reference describes them (API 22.0 and later; FieldPermissions 24.0):

- ``PermissionSet`` (key prefix ``0PS``): ``Name`` is the API name, unique in the org; it
  "can contain only underscores and alphanumeric characters ... must begin with a letter, not
  include spaces, not end with an underscore, and not contain two consecutive underscores",
  up to 80 characters; ``Label`` up to 80, ``Description`` up to 255. A second one of a name
  is refused with ``DUPLICATE_DEVELOPER_NAME``.
- ``FieldPermissions`` (``01k``): ``ParentId`` (the permission set), ``SobjectType``
  (``Lead``), ``Field`` (the field's API name "prefixed with the SobjectType", e.g.
  ``Lead.LeadSync_Status__c``; both restricted picklists: a field the object does not have is
  ``INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST``), ``PermissionsRead``, ``PermissionsEdit``
  ("requires PermissionsRead for the same field to be true"). One record per permission set and
  field: a second is ``DUPLICATE_VALUE``. A field whose access cannot be changed (required, or
  not custom-permissionable such as ``Id``) is ``FIELD_INTEGRITY_EXCEPTION``, as is edit
  access on a field no one can edit (a formula, a system field).
- ``PermissionSetAssignment`` (``0Pa``): ``AssigneeId`` (a user), ``PermissionSetId``; one per
  user and permission set, a second is ``DUPLICATE_VALUE``; to change one, delete it and insert
  another (no update).
- All three are setup objects: a deleted one is gone (no recycle bin), deleting a permission
  set deletes its field permissions and assignments, and deleting a custom field (Tooling API)
  deletes the field permissions that name it.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from leadsync.sandbox.salesforce.errors import RecordError
from leadsync.sandbox.salesforce.schema import Field, SObjectType

if TYPE_CHECKING:
    from leadsync.sandbox.salesforce.org import SalesforceOrg

PERMISSION_SET = "PermissionSet"
FIELD_PERMISSIONS = "FieldPermissions"
ASSIGNMENT = "PermissionSetAssignment"
OBJECTS = (PERMISSION_SET, FIELD_PERMISSIONS, ASSIGNMENT)
_API_NAME = re.compile(r"[A-Za-z](?:[A-Za-z0-9]|_(?!_))*")
# Fields whose access no permission set changes: the id, and the system fields of every record.
_FIXED = frozenset({"Id", "IsDeleted", "CreatedDate", "CreatedById", "LastModifiedDate",
                    "LastModifiedById", "SystemModstamp", "MasterRecordId"})

Record = dict[str, Any]


def _id() -> Field:
    return Field("Id", "Record ID", "id", length=18, nillable=False, createable=False,
                 updateable=False, id_lookup=True, defaulted_on_create=True)


def _ref(name: str, label: str, to: str, relationship: str, **kw: Any) -> Field:
    return Field(name, label, "reference", length=18, reference_to=(to,),
                 relationship_name=relationship, nillable=False, **kw)


def _flag(name: str, label: str) -> Field:
    return Field(name, label, "boolean", nillable=False, default=False, defaulted_on_create=True)


def _audit() -> list[Field]:
    ro: dict[str, Any] = {"createable": False, "updateable": False, "nillable": False,
                          "defaulted_on_create": True}
    return [Field("CreatedDate", "Created Date", "datetime", **ro),
            Field("CreatedById", "Created By ID", "reference", length=18,
                  reference_to=("User",), relationship_name="CreatedBy", **ro),
            Field("LastModifiedDate", "Last Modified Date", "datetime", **ro),
            Field("LastModifiedById", "Last Modified By ID", "reference", length=18,
                  reference_to=("User",), relationship_name="LastModifiedBy", **ro),
            Field("SystemModstamp", "System Modstamp", "datetime", **ro)]


def permission_objects() -> dict[str, SObjectType]:
    """Fresh copies of the three objects, keyed by API name."""
    def obj(name: str, label: str, plural: str, prefix: str, fields: list[Field],
            **kw: Any) -> SObjectType:
        return SObjectType(name, label, plural, prefix, {f.name: f for f in fields}, **kw)

    return {o.name: o for o in (
        obj(PERMISSION_SET, "Permission Set", "Permission Sets", "0PS", [
            _id(),
            Field("Name", "Permission Set Name", "string", length=80, nillable=False),
            Field("Label", "Permission Set Label", "string", length=80, nillable=False,
                  name_field=True),
            Field("Description", "Description", "string", length=255),
            Field("IsOwnedByProfile", "Is Owned By Profile", "boolean", nillable=False,
                  default=False, defaulted_on_create=True, createable=False,
                  updateable=False),
            Field("IsCustom", "Is Custom", "boolean", nillable=False, default=True,
                  defaulted_on_create=True, createable=False, updateable=False),
            *_audit()]),
        obj(FIELD_PERMISSIONS, "Field Permissions", "Field Permissions", "01k", [
            _id(),
            _ref("ParentId", "Parent ID", PERMISSION_SET, "Parent", updateable=False,
                 child_relationship="FieldPerms"),
            Field("SobjectType", "SObject Type Name", "picklist", length=40, nillable=False,
                  updateable=False),
            Field("Field", "Field Name", "picklist", length=100, nillable=False,
                  updateable=False),
            _flag("PermissionsRead", "Read Field"),
            _flag("PermissionsEdit", "Edit Field"),
            Field("SystemModstamp", "System Modstamp", "datetime", nillable=False,
                  defaulted_on_create=True, createable=False, updateable=False)]),
        obj(ASSIGNMENT, "Permission Set Assignment", "Permission Set Assignments", "0Pa", [
            _id(),
            _ref("AssigneeId", "Assignee ID", "User", "Assignee", updateable=False),
            _ref("PermissionSetId", "Permission Set ID", PERMISSION_SET, "PermissionSet",
                 updateable=False, child_relationship="Assignments"),
            Field("SystemModstamp", "Date Assigned", "datetime", nillable=False,
                  defaulted_on_create=True, createable=False, updateable=False)],
            updateable=False),
    )}


def check(org: SalesforceOrg, sobject: str, record: Record,
          old: Record | None) -> list[RecordError]:
    """Why the org refuses this write to a permission set, a field permission or an
    assignment (nothing for other objects)."""
    if sobject == PERMISSION_SET:
        return _check_set(org, record)
    if sobject == FIELD_PERMISSIONS:
        return _check_field(org, record)
    if sobject == ASSIGNMENT:
        clash = _find(org, ASSIGNMENT, record, ("AssigneeId", "PermissionSetId"))
        return [_duplicate(clash)] if clash else []
    return []


def cascade(org: SalesforceOrg, sobject: str, record_id: str) -> list[tuple[str, Record]]:
    """The records that go with a deleted permission set: its field permissions and
    assignments."""
    if sobject != PERMISSION_SET:
        return []
    return [(child, r) for child, key in ((FIELD_PERMISSIONS, "ParentId"),
                                          (ASSIGNMENT, "PermissionSetId"))
            for r in _live(org, child) if r.get(key) == record_id]


def for_field(org: SalesforceOrg, full_name: str) -> list[Record]:
    """The field permissions naming ``Lead.Some__c`` (deleted with the field)."""
    return [r for r in _live(org, FIELD_PERMISSIONS)
            if str(r.get("Field") or "").lower() == full_name.lower()]


def _check_set(org: SalesforceOrg, record: Record) -> list[RecordError]:
    name = str(record.get("Name") or "")
    if name and (not _API_NAME.fullmatch(name) or name.endswith("_")):
        return [RecordError("INVALID_NAME", f"The API name {name!r} can contain only "
                            "underscores and alphanumeric characters, must begin with a "
                            "letter, not end with an underscore, and not contain two "
                            "consecutive underscores", ["Name"])]
    clash = next((s["Id"] for s in _live(org, PERMISSION_SET) if s["Id"] != record.get("Id")
                  and str(s.get("Name") or "").lower() == name.lower()), None)
    if name and clash:
        return [RecordError("DUPLICATE_DEVELOPER_NAME",
                            f"The API name {name} is already in use by permission set {clash}",
                            ["Name"])]
    return []


def _check_field(org: SalesforceOrg, record: Record) -> list[RecordError]:
    sobject, name = str(record.get("SobjectType") or ""), str(record.get("Field") or "")
    t = org.sobject(sobject) if sobject else None
    if sobject and t is None:
        return [_bad_value("SObject Type Name", sobject, "SobjectType")]
    if not name or t is None:
        return []  # required fields missing: reported by the generic checks
    prefix, _, field_name = name.partition(".")
    f = t.field(field_name) if prefix.lower() == t.name.lower() else None
    if f is None:
        return [_bad_value("Field Name", name, "Field")]
    if f.name in _FIXED or f.required:
        return [RecordError("FIELD_INTEGRITY_EXCEPTION", f"Field {name}: the permissions of "
                            f"this field cannot be changed", ["Field"])]
    errors = []
    if record.get("PermissionsEdit") and not record.get("PermissionsRead"):
        errors.append(RecordError("FIELD_INTEGRITY_EXCEPTION", "Permission Edit Field depends "
                                  "on permission(s): Read Field", ["PermissionsEdit"]))
    if record.get("PermissionsEdit") and (f.calculated or not f.updateable):
        errors.append(RecordError("FIELD_INTEGRITY_EXCEPTION", f"Field {name} is not "
                                  "editable: it cannot be given Edit Field", ["PermissionsEdit"]))
    record["Field"], record["SobjectType"] = f"{t.name}.{f.name}", t.name  # canonical names
    clash = _find(org, FIELD_PERMISSIONS, record, ("ParentId", "Field"))
    if clash:
        errors.append(_duplicate(clash))
    return errors


def _bad_value(label: str, value: str, field: str) -> RecordError:
    return RecordError("INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
                       f"{label}: bad value for restricted picklist field: {value}", [field])


def _duplicate(clash: str) -> RecordError:
    return RecordError("DUPLICATE_VALUE",
                       f"duplicate value found: <unknown> duplicates value on record with id: "
                       f"{clash}", [])


def _find(org: SalesforceOrg, sobject: str, record: Record, keys: tuple[str, ...]) -> str | None:
    wanted = tuple(str(record.get(k) or "").lower() for k in keys)
    return next((r["Id"] for r in _live(org, sobject) if r["Id"] != record.get("Id")
                 and tuple(str(r.get(k) or "").lower() for k in keys) == wanted), None)


def _live(org: SalesforceOrg, sobject: str) -> list[Record]:
    return [r for r in org.records[sobject].values() if not r.get("IsDeleted")]
