"""HubSpot contacts behind the ``System`` port, through hubspot-api-client.

- Changes: read by ``changes.ContactChanges``: the list endpoint for a full read, search on
  ``lastmodifieddate`` from a cursor, then the archived list.
- Writes: batch upsert by LeadSync's unique key property for new contacts and batch update by
  id for known ones, 100 inputs a call. An update that resets a lifecycle stage clears it
  first, since HubSpot otherwise ignores a stage earlier than the current one. A batch HubSpot
  refuses whole (400, 409: ``BatchRefused``) is split until the refused inputs are alone, so
  one bad record never holds back the others.
- Every call goes through ``calls.HubSpotCalls`` (budgets, retry, counting), which the
  portal's activities and lists share, on a client whose API objects and connection pool are
  built once (``apis.reusing``).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

import structlog
from hubspot import HubSpot

from leadsync.adapters.hubspot.apis import reusing
from leadsync.adapters.hubspot.calls import HubSpotCalls
from leadsync.adapters.hubspot.changes import MERGED, ContactChanges, contact_record
from leadsync.adapters.hubspot.errors import refusal
from leadsync.adapters.hubspot.owners import read_owners
from leadsync.connector.budget import CallBudget
from leadsync.connector.errors import BatchRefused, NotFound, RecordRefused
from leadsync.connector.models import Cursor, FieldInfo, FieldValue, Record, WriteOp, WriteResult
from leadsync.connector.retry import RetryPolicy

log = structlog.get_logger("leadsync.hubspot")
BATCH = 100
PAGE = 200  # a search page
LIFECYCLE = "lifecyclestage"
_PROPERTY_TYPES = {"string": ("string", "text"), "textarea": ("string", "textarea"),
                   "boolean": ("bool", "booleancheckbox"), "datetime": ("datetime", "date"),
                   "date": ("date", "date"), "double": ("number", "number"),
                   "int": ("number", "number"), "picklist": ("enumeration", "select")}


class HubSpotSystem:
    kind = "hubspot"
    id_field = "hs_object_id"

    def __init__(self, name: str, client: HubSpot, key_field: str = "leadsync_id",
                 retry: RetryPolicy | None = None, window: CallBudget | None = None,
                 search_window: CallBudget | None = None,
                 timeout: float | None = None) -> None:
        self.name, self.key_field = name, key_field
        self.client = reusing(client)
        self.calls = HubSpotCalls(self.client, retry, window, search_window, timeout, name)
        self.changes = ContactChanges(name, self.calls)

    @property
    def calls_made(self) -> int:
        return self.calls.made

    @property
    def retries_made(self) -> int:
        return self.calls.retries

    @property
    def max_parallel(self) -> int:  # write calls connector.deliver sends at once
        return self.calls.max_parallel

    def budget(self) -> dict[str, float]:
        return self.calls.budget()

    @property
    def window(self) -> CallBudget:  # the budgets, for reports of the waits
        return self.calls.window

    @property
    def search_window(self) -> CallBudget:
        return self.calls.search_window

    # reading
    def read_changes(self, since: Cursor | None, until: datetime,
                     fields: Sequence[str]) -> Iterator[list[Record]]:
        return self.changes.read(since, until, self._properties(fields))

    def gone(self, ids: Sequence[str], fields: Sequence[str]) -> list[Record]:
        """Contacts of these ids that were archived or merged away, one read each (rare): a
        merged-away id answers with the contact it was merged into."""
        properties = self._properties(fields)
        basic = self.client.crm.contacts.basic_api
        found: list[Record] = []
        for contact_id in dict.fromkeys(ids):
            try:
                live = self._record(self.calls("read", basic.get_by_id, contact_id=contact_id,
                                               properties=properties))
            except NotFound:
                live = None
            if live is not None and live.id != contact_id:
                found.append(Record(self.name, contact_id, {}, live.modified_at, deleted=True,
                                    became=live.id))
                continue
            if live is not None:
                continue
            try:
                found.append(self._record(self.calls(
                    "read archived", basic.get_by_id, contact_id=contact_id,
                    properties=properties, archived=True)))
            except NotFound:
                continue
        return found

    def lookup(self, field: str, values: Sequence[FieldValue], fields: Sequence[str]
               ) -> list[Record]:
        """By id or a unique property: batch reads. By any other property (every qualified
        lead): search, paged by record id so that HubSpot's 10,000-result cap never bites."""
        properties = self._properties(fields)
        unique = list(dict.fromkeys(_as_property(v) for v in values if v not in (None, "")))
        if field not in (self.id_field, self.key_field, "email"):
            return self._search_equal(field, unique, properties)
        found: list[Record] = []
        for start in range(0, len(unique), BATCH):
            chunk = unique[start:start + BATCH]
            request: dict[str, Any] = {"inputs": [{"id": v} for v in chunk],
                                       "properties": properties}
            if field != self.id_field:
                request["idProperty"] = field
            answer = self.calls("batch read", self.client.crm.contacts.batch_api.read,
                                batch_read_input_simple_public_object_id=request)
            found.extend(self._record(item) for item in answer.get("results", []))
        return found

    def _search_equal(self, field: str, values: list[str], properties: list[str]
                      ) -> list[Record]:
        found: list[Record] = []
        for start in range(0, len(values), BATCH):
            chunk = values[start:start + BATCH]
            match = ({"propertyName": field, "operator": "EQ", "value": chunk[0]}
                     if len(chunk) == 1 else
                     {"propertyName": field, "operator": "IN", "values": chunk})
            last = "0"
            while True:
                request = {"filterGroups": [{"filters": [match, {
                    "propertyName": "hs_object_id", "operator": "GT", "value": last}]}],
                    "sorts": [{"propertyName": "hs_object_id", "direction": "ASCENDING"}],
                    "properties": properties, "limit": PAGE}
                answer = self.calls("search", self.client.crm.contacts.search_api.do_search,
                                    public_object_search_request=request, search=True)
                results = answer.get("results", [])
                found.extend(self._record(item) for item in results)
                if len(results) < PAGE:
                    break
                last = str(results[-1]["id"])
        return found

    def _properties(self, fields: Sequence[str]) -> list[str]:
        return list(dict.fromkeys(["email", "lastmodifieddate", self.key_field, MERGED,
                                   *fields]))

    def _record(self, item: dict[str, Any]) -> Record:
        return contact_record(self.name, item)

    # writing
    def write(self, ops: Sequence[WriteOp]) -> list[WriteResult]:
        results: dict[int, WriteResult] = {}
        indexed = list(enumerate(ops))
        updates = [(i, op) for i, op in indexed if op.target_id]
        upserts = [(i, op) for i, op in indexed if not op.target_id]
        for start in range(0, len(updates), BATCH):
            chunk = updates[start:start + BATCH]
            before = self._clear_lifecycle(chunk)
            sent = self._send(chunk, upsert=False)
            self._set_lifecycle({str(op.target_id): before[str(op.target_id)]
                                 for i, op in chunk if not sent[i].ok
                                 and before.get(str(op.target_id))})  # put back
            results.update(sent)
        for start in range(0, len(upserts), BATCH):
            results.update(self._send(upserts[start:start + BATCH], upsert=True))
        return [results[i] for i in range(len(ops))]

    def _clear_lifecycle(self, chunk: list[tuple[int, WriteOp]]) -> dict[str, str]:
        """HubSpot moves a lifecycle stage only forward; a write that resets it (a recycled
        lead back to "lead") clears it first, as HubSpot documents. The stages before, by id,
        to put back where the update is then refused."""
        ids = [str(op.target_id) for _, op in chunk
               if LIFECYCLE in op.reset and op.fields.get(LIFECYCLE)]
        if not ids:
            return {}
        batch = self.client.crm.contacts.batch_api
        answer = self.calls("read lifecycle stage", batch.read,
                            batch_read_input_simple_public_object_id={
                                "inputs": [{"id": i} for i in ids], "properties": [LIFECYCLE]})
        before = {str(item["id"]): (item.get("properties") or {}).get(LIFECYCLE) or ""
                  for item in answer.get("results", [])}
        self._set_lifecycle({i: "" for i, stage in before.items() if stage})
        return before

    def _set_lifecycle(self, stages: dict[str, str]) -> None:
        if not stages:
            return
        try:
            self.calls("set lifecycle stage", self.client.crm.contacts.batch_api.update,
                       batch_input_simple_public_object_batch_input={"inputs": [
                           {"id": i, "properties": {LIFECYCLE: stage}}
                           for i, stage in stages.items()]})
        except BatchRefused as exc:  # the update then fails to move it back: said per record
            log.warning("hubspot lifecycle stage not reset", contacts=sorted(stages),
                        error=str(exc))

    def _send(self, chunk: list[tuple[int, WriteOp]], upsert: bool
              ) -> dict[int, WriteResult]:
        inputs: list[dict[str, Any]] = []
        for _, op in chunk:
            properties = {k: _as_property(v) for k, v in op.fields.items()}
            properties[self.key_field] = op.key
            if upsert:
                inputs.append({"idProperty": self.key_field, "id": op.key,
                               "properties": properties})
            else:
                inputs.append({"id": op.target_id, "properties": properties})
        batch = self.client.crm.contacts.batch_api
        try:
            if upsert:
                answer = self.calls("batch upsert", batch.upsert,
                                    batch_input_simple_public_object_batch_input_upsert={
                                        "inputs": inputs})
            else:
                answer = self.calls("batch update", batch.update,
                                    batch_input_simple_public_object_batch_input={
                                        "inputs": inputs})
        except BatchRefused as exc:
            return self._split(chunk, upsert, exc)
        return self._results(chunk, answer, upsert)

    def _split(self, chunk: list[tuple[int, WriteOp]], upsert: bool,
               exc: BatchRefused) -> dict[int, WriteResult]:
        """A refused batch: halve it until each refused input stands alone."""
        if len(chunk) == 1:
            index, op = chunk[0]
            return {index: refused(op, exc.refusal(op.key))}
        middle = len(chunk) // 2
        return {**self._send(chunk[:middle], upsert), **self._send(chunk[middle:], upsert)}

    def _results(self, chunk: list[tuple[int, WriteOp]], answer: Any,
                 upsert: bool) -> dict[int, WriteResult]:
        by_key = {op.key: (index, op) for index, op in chunk}
        by_id = {op.target_id: (index, op) for index, op in chunk if op.target_id}
        results: dict[int, WriteResult] = {}
        for item in answer.get("results") or []:
            found = (by_key.get(str((item.get("properties") or {}).get(self.key_field)))
                     or by_id.get(str(item.get("id"))))
            if found is None:
                continue
            index, op = found
            created = bool(item.get("new", False)) if upsert else False
            results[index] = WriteResult(op.key, True, str(item["id"]), created=created,
                                         record=self._record(item) if created else None)
        errors = list(answer.get("errors") or [])
        for index, op in chunk:
            if index in results:
                continue
            results[index] = refused(op, refusal(op.key, _error_for(op, errors) or {}))
        return results

    # schema
    def describe(self) -> dict[str, FieldInfo]:
        answer = self.calls("properties", self.client.crm.properties.core_api.get_all,
                            object_type="contacts")
        return {p["name"]: _field_info(p) for p in answer.get("results", [])}

    def users(self) -> dict[str, str]:
        return {str(o["id"]): o["email"] for o in self.owners() if o.get("email")}

    def owners(self) -> list[dict[str, Any]]:
        """Every active owner, as ``/crm/v3/owners`` answers (teams included)."""
        return read_owners(self.calls)

    def create_fields(self, specs: Sequence[FieldInfo]) -> list[str]:
        missing = list(specs)
        if not missing:
            return []
        groups = self.calls("property groups",
                            self.client.crm.properties.groups_api.get_all, object_type="contacts")
        if "leadsync" not in {g["name"] for g in groups.get("results", [])}:
            self.calls("create property group", self.client.crm.properties.groups_api.create,
                       object_type="contacts", property_group_create={
                           "name": "leadsync", "label": "LeadSync", "displayOrder": -1})
        for spec in missing:
            self.calls("create property", self.client.crm.properties.core_api.create,
                       object_type="contacts", property_create=_property_create(spec))
        return [spec.name for spec in missing]


def _as_property(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _error_for(op: WriteOp, errors: list[dict[str, Any]]) -> dict[str, Any] | None:
    for error in errors:
        context = error.get("context") or {}
        ids = [str(v) for values in context.values() for v in (values or [])]
        if op.key in ids or (op.target_id and op.target_id in ids):
            return error
    return errors[0] if len(errors) == 1 else None


def refused(op: WriteOp, refusal: RecordRefused) -> WriteResult:
    """The result of an op HubSpot refused: parked with HubSpot's code and message."""
    return WriteResult(op.key, False, op.target_id, code=refusal.code,
                       message=refusal.vendor_message, fields=refusal.fields)


def _field_info(prop: dict[str, Any]) -> FieldInfo:
    metadata = prop.get("modificationMetadata") or {}
    read_only = bool(metadata.get("readOnlyValue")) or bool(prop.get("calculated"))
    options = (tuple(o["value"] for o in prop.get("options") or [])
               if prop.get("type") == "enumeration" else ())
    return FieldInfo(name=prop["name"], type=prop.get("type", "string"),
                     label=prop.get("label") or "", updateable=not read_only,
                     unique=bool(prop.get("hasUniqueValue")), options=options)


def _property_create(spec: FieldInfo) -> dict[str, Any]:
    kind, field_type = _PROPERTY_TYPES.get(spec.type, ("string", "text"))
    body: dict[str, Any] = {"name": spec.name, "label": spec.label or spec.name,
                            "type": kind, "fieldType": field_type, "groupName": "leadsync",
                            "hasUniqueValue": spec.unique}
    if kind == "enumeration":
        body["options"] = [{"label": v, "value": v, "displayOrder": i, "hidden": False}
                           for i, v in enumerate(spec.options)]
    elif kind == "bool":
        body["options"] = [{"label": "Yes", "value": "true", "displayOrder": 0, "hidden": False},
                           {"label": "No", "value": "false", "displayOrder": 1, "hidden": False}]
    return body
