"""Salesforce permission sets behind the ``FieldAccess`` port (``connector.access_plan``),
through the REST API as the Object Reference documents it.

- ``PermissionSet``: ``Name`` (API name, unique), ``Label``, ``Description``.
- ``FieldPermissions``: ``ParentId`` (the set), ``SobjectType`` (``Lead``), ``Field``
  (``Lead.LeadSync_Status__c``), ``PermissionsRead``, ``PermissionsEdit``; one per set and
  field.
- ``PermissionSetAssignment``: ``AssigneeId`` (a user), ``PermissionSetId``; one per pair.

Creates go through sObject Collections (``POST composite/sobjects``, ``allOrNone`` false, 200
records a call), which answer each record's result. A create whose answer was lost (killed,
timed out) is found on the next attempt: a set by its API name (``DUPLICATE_DEVELOPER_NAME``
then), a field permission or an assignment by ``DUPLICATE_VALUE``, which count as done. Any
other refusal is a ``ConfigError`` naming the record, the vendor's code and message.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from leadsync.adapters.salesforce.calls import SalesforceCalls
from leadsync.adapters.salesforce.system import soql_literal
from leadsync.connector.access_plan import FoundSet, Grant, PermissionSetSpec
from leadsync.connector.errors import ConfigError

BATCH = 200  # records per sObject Collections call
IN_CHUNK = 100  # values per SOQL IN list
ALREADY = frozenset({"DUPLICATE_VALUE", "DUPLICATE_DEVELOPER_NAME"})


class SalesforceAccess:
    """One org's permission sets, through the same calls (budget, retry) as its leads."""

    def __init__(self, calls: SalesforceCalls) -> None:
        self.calls = calls

    def permission_sets(self, names: Sequence[str]) -> dict[str, FoundSet]:
        soql = (f"SELECT Id, Name FROM PermissionSet WHERE Name IN "
                f"({', '.join(soql_literal(n) for n in names)})")
        ids = {row["Name"]: row["Id"] for rows in self.calls.query(soql) for row in rows}
        if not ids:
            return {}
        parents = ", ".join(soql_literal(i) for i in ids.values())
        fields: dict[str, dict[str, tuple[bool, bool]]] = {i: {} for i in ids.values()}
        soql = (f"SELECT ParentId, Field, PermissionsRead, PermissionsEdit FROM "
                f"FieldPermissions WHERE ParentId IN ({parents})")
        for rows in self.calls.query(soql):
            for row in rows:
                fields[row["ParentId"]][row["Field"]] = (bool(row["PermissionsRead"]),
                                                         bool(row["PermissionsEdit"]))
        assignees: dict[str, set[str]] = {i: set() for i in ids.values()}
        soql = (f"SELECT AssigneeId, PermissionSetId FROM PermissionSetAssignment WHERE "
                f"PermissionSetId IN ({parents})")
        for rows in self.calls.query(soql):
            for row in rows:
                assignees[row["PermissionSetId"]].add(row["AssigneeId"])
        return {name: FoundSet(set_id, fields[set_id], frozenset(assignees[set_id]))
                for name, set_id in ids.items()}

    def user_ids(self, emails: Sequence[str]) -> dict[str, str]:
        found: dict[str, str] = {}
        wanted = list(dict.fromkeys(e.strip().lower() for e in emails))
        for chunk in _chunks(wanted, IN_CHUNK):
            soql = (f"SELECT Id, Email FROM User WHERE IsActive = true AND Email IN "
                    f"({', '.join(soql_literal(e) for e in chunk)}) ORDER BY CreatedDate, Id")
            for rows in self.calls.query(soql):
                for row in rows:
                    found.setdefault(str(row["Email"]).lower(), row["Id"])
        return found

    def create_permission_set(self, spec: PermissionSetSpec) -> str:
        record = {"attributes": {"type": "PermissionSet"}, "Name": spec.name,
                  "Label": spec.label, "Description": spec.description}
        [result] = self._create([record], f"permission set {spec.name}")
        if result.get("success"):
            return str(result["id"])
        found = self.permission_sets([spec.name])  # made by an attempt whose answer was lost
        if spec.name not in found:
            raise _refused(f"permission set {spec.name}", result)
        return found[spec.name].id

    def grant(self, set_id: str, grants: Sequence[Grant]) -> list[str]:
        records = [{"attributes": {"type": "FieldPermissions"}, "ParentId": set_id,
                    "SobjectType": g.sobject, "Field": g.field, "PermissionsRead": True,
                    "PermissionsEdit": g.edit} for g in grants]
        results = self._create(records, "field permissions")
        for grant, result in zip(grants, results, strict=True):
            if not result.get("success") and _code(result) not in ALREADY:
                raise _refused(f"field permission {grant.field} in {grant.set_name}", result)
        return [g.field for g in grants]

    def assign(self, set_id: str, user_ids: Sequence[str]) -> list[str]:
        records = [{"attributes": {"type": "PermissionSetAssignment"}, "AssigneeId": user,
                    "PermissionSetId": set_id} for user in user_ids]
        results = self._create(records, "permission set assignments")
        for user, result in zip(user_ids, results, strict=True):
            if not result.get("success") and _code(result) not in ALREADY:
                raise _refused(f"the assignment of permission set {set_id} to user {user}",
                               result)
        return list(user_ids)

    def _create(self, records: list[dict[str, Any]], what: str) -> list[dict[str, Any]]:
        results: list[dict[str, Any]] = []
        for chunk in _chunks(records, BATCH):
            answer = self.calls(f"create {what}", self.calls.client.restful,
                                "composite/sobjects", method="POST",
                                json={"allOrNone": False, "records": chunk})
            results += list(answer or [])
        return results


def _code(result: dict[str, Any]) -> str:
    return str((result.get("errors") or [{}])[0].get("statusCode", ""))


def _refused(what: str, result: dict[str, Any]) -> ConfigError:
    error = (result.get("errors") or [{}])[0]
    return ConfigError(f"Salesforce refused {what}: {error.get('statusCode', '')}: "
                       f"{error.get('message', '')}", "leadsync install", _code(result))


def _chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]
