"""The CRM object endpoints for contacts, calls, emails and tasks: basic, batch, search, merge,
and the v4 association reads.

Batch semantics follow HubSpot's documentation: at most 100 inputs; batch read answers 207 with
``OBJECT_NOT_FOUND`` for ids it cannot find; batch create is all-or-nothing unless every input
carries a unique ``objectWriteTraceId`` (multi-status error handling), in which case it answers 207
with the inputs that failed; batch update refuses the whole batch for invalid values and reports
missing records in a 207; batch upsert reports each refused input in a 207 and marks each result
``new``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from leadsync.sandbox.hubspot import schema, search, timestamps
from leadsync.sandbox.hubspot.associations import TYPE_IDS, TYPE_NAMES
from leadsync.sandbox.hubspot.errors import (
    HubSpotError,
    batch_error,
    invalid_property_values,
    not_found,
    validation_error,
)
from leadsync.sandbox.hubspot.store import Record

if TYPE_CHECKING:
    from leadsync.sandbox.hubspot.portal import HubSpotPortal

Reply = tuple[int, Any]
MAX_BATCH = 100
MAX_ASSOCIATION_BATCH = 1000
MAX_PAGE = 100
SINGULAR = {"contacts": "contact", "calls": "call", "emails": "email", "tasks": "task"}


class ObjectsApi:
    def __init__(self, portal: HubSpotPortal) -> None:
        self.portal = portal
        self.store, self.catalog = portal.store, portal.catalog

    # -- basic -----------------------------------------------------------------------------

    def page(self, object_type: str, args: dict[str, Any]) -> Reply:
        limit, after = _number(args.get("limit") or 10, "limit"), args.get("after")
        if not 1 <= limit <= MAX_PAGE:
            raise validation_error(f"limit must be between 1 and {MAX_PAGE}, got {limit}")
        order = self.store.order[object_type]
        ids = (order.archived if args["archived"] else order.live).page(
            _number(after, "after") if after else 0, limit + 1)
        pool = self.store.by_ids(object_type, ids)
        body: dict[str, Any] = {"results": [self._view(object_type, r, args)
                                            for r in pool[:limit]]}
        if len(pool) > limit:
            next_id = pool[limit]["id"]
            body["paging"] = {"next": {"after": next_id,
                                       "link": f"?after={next_id}&limit={limit}"}}
        return 200, body

    def read(self, object_type: str, object_id: str, args: dict[str, Any]) -> Reply:
        record = self._find(object_type, object_id, args.get("idProperty"), args["archived"])
        if record is None:
            raise not_found()
        return 200, self._view(object_type, record, args)

    def create(self, object_type: str, body: dict[str, Any]) -> Reply:
        values = self._checked(object_type, body.get("properties"), None)
        links = self._checked_associations(object_type, body.get("associations") or [])
        record = self._create(object_type, values, links)
        return 201, self.store.view(object_type, record, self._shown(object_type, values))

    def update(self, object_type: str, object_id: str, args: dict[str, Any],
               body: dict[str, Any]) -> Reply:
        record = self._find(object_type, object_id, args.get("idProperty"), False)
        if record is None:
            raise not_found()
        values = self._checked(object_type, body.get("properties"), record["id"])
        self.store.update(object_type, record, values)
        self.portal.touch()
        return 200, self.store.view(object_type, record, self._shown(object_type, values))

    def archive(self, object_type: str, object_id: str) -> Reply:
        record = self.store.get(object_type, object_id)
        if record is not None:
            self.store.archive(object_type, record)
            self.portal.touch()
        return 204, None

    def merge(self, object_type: str, body: dict[str, Any]) -> Reply:
        primary_id, merged_id = body.get("primaryObjectId"), body.get("objectIdToMerge")
        if not primary_id or not merged_id:
            raise validation_error("Some required fields were not set: "
                                   "[primaryObjectId, objectIdToMerge]")
        primary = self.store.get(object_type, str(primary_id))
        merged = self.store.get(object_type, str(merged_id))
        if primary is None or merged is None:
            raise not_found(f"Could not find {SINGULAR[object_type]} "
                            f"{primary_id if primary is None else merged_id} to merge")
        if primary["id"] == merged["id"]:
            raise validation_error("Cannot merge an object with itself.")
        self.store.merge(object_type, primary, merged)
        self.portal.associations.move(object_type, merged["id"], primary["id"])
        if object_type == "contacts":
            self.portal.lists.move_member(merged["id"], primary["id"])
        self.portal.touch()
        return 200, self.store.view(object_type, primary)

    def search(self, object_type: str, body: dict[str, Any]) -> Reply:
        return 200, search.search(self.store, self.portal.associations, object_type, body)

    # -- batch -----------------------------------------------------------------------------

    def batch(self, object_type: str, action: str, args: dict[str, Any],
              body: dict[str, Any]) -> Reply:
        handler = {"read": self._batch_read, "create": self._batch_create,
                   "update": self._batch_update, "upsert": self._batch_upsert,
                   "archive": self._batch_archive}.get(action)
        if handler is None:
            raise not_found(f"Unknown batch action {action}")
        inputs = body.get("inputs")
        if not isinstance(inputs, list) or not all(isinstance(i, dict) for i in inputs):
            raise validation_error("Invalid input JSON: inputs must be a list of objects")
        if len(inputs) > MAX_BATCH:
            raise validation_error(f"Too many inputs: {len(inputs)}. A batch request may contain "
                                   f"at most {MAX_BATCH} inputs.",
                                   context={"inputs": [str(len(inputs))]})
        started = timestamps.iso(self.portal.now())
        return handler(object_type, inputs, args, body, started)

    def _batch_read(self, object_type: str, inputs: list[dict[str, Any]], args: dict[str, Any],
                    body: dict[str, Any], started: str) -> Reply:
        id_property = body.get("idProperty")
        shown = {"properties": body.get("properties") or [],
                 "propertiesWithHistory": body.get("propertiesWithHistory") or []}
        results: list[Record] = []
        missing: list[str] = []
        for item in inputs:
            record = self._find(object_type, str(item.get("id", "")), id_property,
                                args["archived"])
            if record is None:
                missing.append(str(item.get("id", "")))
            elif all(r["id"] != record["id"] for r in results):
                results.append(record)
        views = [self._view(object_type, r, shown) for r in results]
        errors = []
        if missing:
            errors.append(batch_error(
                "error", "OBJECT_NOT_FOUND",
                f"Could not get some {SINGULAR[object_type].upper()} objects, they may be "
                "deleted or not exist. Check that ids are valid.", context={"ids": missing}))
        return _batch_reply(views, errors, started, self.portal, success=200)

    def _batch_create(self, object_type: str, inputs: list[dict[str, Any]],
                      args: dict[str, Any], body: dict[str, Any], started: str) -> Reply:
        traces = [i.get("objectWriteTraceId") for i in inputs]
        multi_status = bool(inputs) and all(traces) and len(set(traces)) == len(traces)
        planned: list[tuple[dict[str, Any], dict[str, str], list[tuple[str, str, int]]]] = []
        errors = []
        claimed: dict[tuple[str, str], str] = {}
        for item in inputs:
            try:
                values = self._checked(object_type, item.get("properties"), None)
                self._claim(object_type, values, claimed, item.get("objectWriteTraceId") or "")
                links = self._checked_associations(object_type, item.get("associations") or [])
            except HubSpotError as error:
                if not multi_status:
                    raise
                errors.append(_as_batch_error(error, {"objectWriteTraceId":
                                                      [str(item["objectWriteTraceId"])]}))
                continue
            planned.append((item, values, links))
        views = []
        for item, values, links in planned:
            record = self._create(object_type, values, links)
            view = self.store.view(object_type, record, self._shown(object_type, values))
            if item.get("objectWriteTraceId"):
                view["objectWriteTraceId"] = item["objectWriteTraceId"]
            views.append(view)
        return _batch_reply(views, errors, started, self.portal, success=201)

    def _batch_update(self, object_type: str, inputs: list[dict[str, Any]],
                      args: dict[str, Any], body: dict[str, Any], started: str) -> Reply:
        _refuse_duplicate_ids(inputs)
        found = [(item, self._find(object_type, str(item.get("id", "")), item.get("idProperty"),
                                   False)) for item in inputs]
        # Invalid values refuse the whole batch; a record's own unique values are no conflict.
        checked = [(item, record, self._values(object_type, item.get("properties")))
                   for item, record in found]
        views, errors, missing = [], [], []
        for item, record, values in checked:
            if record is None:
                missing.append(str(item.get("id", "")))
                continue
            try:
                self._refuse_conflict(object_type, values, record["id"])
            except HubSpotError as error:
                errors.append(_as_batch_error(error, {"ids": [str(item["id"])]}))
                continue
            self.store.update(object_type, record, values)
            self.portal.touch()
            view = self.store.view(object_type, record, self._shown(object_type, values))
            if item.get("objectWriteTraceId"):
                view["objectWriteTraceId"] = item["objectWriteTraceId"]
            views.append(view)
        if missing:
            errors.append(batch_error(
                "error", "OBJECT_NOT_FOUND",
                f"Could not get some {SINGULAR[object_type].upper()} objects, they may be "
                "deleted or not exist. Check that ids are valid.", context={"ids": missing}))
        return _batch_reply(views, errors, started, self.portal, success=200)

    def _batch_upsert(self, object_type: str, inputs: list[dict[str, Any]],
                      args: dict[str, Any], body: dict[str, Any], started: str) -> Reply:
        _refuse_duplicate_ids(inputs)
        unique = self.catalog.unique_names(object_type)
        for item in inputs:
            id_property = item.get("idProperty")
            if not id_property:
                raise validation_error("idProperty is required for each upsert input")
            if id_property not in unique:
                raise validation_error(
                    f"{id_property} is not a unique identifier property for {object_type}; "
                    f"upsert needs one of: {', '.join(sorted(unique))}")
        views, errors = [], []
        for item in inputs:
            id_property, key = str(item["idProperty"]), str(item.get("id", ""))
            trace = item.get("objectWriteTraceId")
            try:
                record = self.store.find(object_type, id_property, key)
                given = item.get("properties")
                if isinstance(given, dict) and record is None:
                    given = {**given, id_property: key}
                values = self._checked(object_type, given,
                                       None if record is None else record["id"])
                if record is None:
                    record, new = self._create(object_type, values, []), True
                else:
                    self.store.update(object_type, record, values)
                    self.portal.touch()
                    new = False
            except HubSpotError as error:
                errors.append(_as_batch_error(error, {"ids": [key]}))
                continue
            view = self.store.view(object_type, record, self._shown(object_type, values))
            view["new"] = new
            if trace:
                view["objectWriteTraceId"] = trace
            views.append(view)
        return _batch_reply(views, errors, started, self.portal, success=200)

    def _batch_archive(self, object_type: str, inputs: list[dict[str, Any]],
                       args: dict[str, Any], body: dict[str, Any], started: str) -> Reply:
        for item in inputs:
            self.archive(object_type, str(item.get("id", "")))
        return 204, None

    # -- v4 associations -------------------------------------------------------------------

    def associations_page(self, object_type: str, object_id: str, to_type: str,
                          args: dict[str, Any]) -> Reply:
        limit = _number(args.get("limit") or 500, "limit")
        start = _number(args.get("after") or 0, "after")
        rows = self._association_rows(object_type, object_id, to_type)
        body: dict[str, Any] = {"results": rows[start:start + limit]}
        if start + limit < len(rows):
            body["paging"] = {"next": {"after": str(start + limit)}}
        return 200, body

    def associations_batch_read(self, from_type: str, to_type: str,
                                body: dict[str, Any]) -> Reply:
        inputs = body.get("inputs")
        if not isinstance(inputs, list):
            raise validation_error("Invalid input JSON: inputs must be a list")
        if len(inputs) > MAX_ASSOCIATION_BATCH:
            raise validation_error(f"Too many inputs: {len(inputs)}. At most "
                                   f"{MAX_ASSOCIATION_BATCH} are allowed.")
        started = timestamps.iso(self.portal.now())
        results, errors = [], []
        for item in inputs:
            from_id = str(item.get("id", "")) if isinstance(item, dict) else str(item)
            rows = self._association_rows(from_type, from_id, to_type)
            if rows:
                results.append({"from": {"id": from_id}, "to": rows})
            else:
                errors.append(batch_error(
                    "error", "OBJECT_NOT_FOUND",
                    f"No {SINGULAR[to_type]} is associated with {SINGULAR[from_type]} "
                    f"{from_id}.", context={"fromObjectId": [from_id]},
                    sub_category="crm.associations.NO_ASSOCIATIONS_FOUND"))
        return _batch_reply(results, errors, started, self.portal, success=200)

    # -- inside ----------------------------------------------------------------------------

    def _find(self, object_type: str, key: str, id_property: str | None,
              archived: bool) -> Record | None:
        if not id_property or id_property == "hs_object_id":
            return self.store.get(object_type, key, archived)
        if id_property not in self.catalog.unique_names(object_type):
            raise validation_error(f"{id_property} is not a unique identifier property for "
                                   f"{object_type}")
        if archived:
            return next((r for r in self.store.archived(object_type)
                         if r["properties"].get(id_property, "").lower() == key.lower()), None)
        return self.store.find(object_type, id_property, key)

    def _checked(self, object_type: str, raw: Any, own_id: str | None) -> dict[str, str]:
        if not isinstance(raw, dict):
            raise validation_error("Invalid input JSON: properties must be an object")
        values, problems = self.catalog.check(object_type, raw, self.portal.owners.ids())
        if own_id is None:
            problems += [self.catalog.problem(n, "REQUIRED_PROPERTY", f"{n} is required")
                         for n in schema.REQUIRED_ON_CREATE[object_type] if not values.get(n)]
        if problems:
            raise invalid_property_values(problems)
        self._refuse_conflict(object_type, values, own_id)
        return values

    def _values(self, object_type: str, raw: Any) -> dict[str, str]:
        """Checked values for an update: no required properties, conflicts judged later."""
        if not isinstance(raw, dict):
            raise validation_error("Invalid input JSON: properties must be an object")
        values, problems = self.catalog.check(object_type, raw, self.portal.owners.ids())
        if problems:
            raise invalid_property_values(problems)
        return values

    def _refuse_conflict(self, object_type: str, values: dict[str, str],
                         own_id: str | None) -> None:
        clash = self.store.conflict(object_type, values, own_id)
        if clash is not None:
            raise _conflict(object_type, clash[0], clash[1])

    def _claim(self, object_type: str, values: dict[str, str],
               claimed: dict[tuple[str, str], str], label: str) -> None:
        """Refuse a batch input whose identifying value an earlier input of the batch took."""
        for prop in self.catalog.unique_names(object_type) & values.keys():
            key = (prop, values[prop].lower() if prop == "email" else values[prop])
            if values[prop] and key in claimed:
                raise HubSpotError(409, "CONFLICT", f"Duplicate {prop} value {values[prop]} in "
                                   f"batch input ({claimed[key]} and {label})")
            claimed[key] = label or values[prop]

    def _checked_associations(self, object_type: str, raw: Any) -> list[tuple[str, str, int]]:
        if not isinstance(raw, list):
            raise validation_error("Invalid input JSON: associations must be a list")
        links = []
        for spec in raw:
            to_id = str(((spec or {}).get("to") or {}).get("id", ""))
            for kind in (spec or {}).get("types") or []:
                type_id = int(kind.get("associationTypeId", 0))
                to_type = next((t for (f, t), i in TYPE_IDS.items()
                                if f == object_type and i == type_id), None)
                if to_type is None:
                    raise validation_error(f"{kind.get('associationCategory')} association type "
                                           f"{type_id} is not valid for {object_type}")
                self.portal.associations.check(object_type, to_type,
                                               kind.get("associationCategory", ""), type_id)
                target = self.store.get(to_type, to_id)
                if target is None:
                    raise validation_error(f"Could not create association: "
                                           f"{SINGULAR[to_type]} {to_id} does not exist.")
                links.append((to_type, target["id"], type_id))
        return links

    def _create(self, object_type: str, values: dict[str, str],
                links: list[tuple[str, str, int]]) -> Record:
        record = self.store.create(object_type, values)
        for to_type, to_id, type_id in links:
            self.portal.associations.add(object_type, record["id"], to_type, to_id, type_id)
        self.portal.touch()
        return record

    def _shown(self, object_type: str, values: dict[str, str]) -> list[str]:
        return [*schema.DEFAULT_PROPERTIES[object_type], *values]

    def _view(self, object_type: str, record: Record, args: dict[str, Any]) -> dict[str, Any]:
        view = self.store.view(object_type, record, args.get("properties") or None,
                               args.get("propertiesWithHistory") or None)
        associations = {}
        for to_type in args.get("associations") or []:
            target = schema.OBJECT_TYPE_ALIASES.get(to_type)
            if target is None or target == object_type:
                continue
            rows = [{"id": row["toObjectId"], "type": TYPE_NAMES[kind["typeId"]]}
                    for row in self._association_rows(object_type, record["id"], target)
                    for kind in row["associationTypes"]]
            if rows:
                associations[to_type] = {"results": rows}
        if associations:
            view["associations"] = associations
        return view

    def _association_rows(self, object_type: str, object_id: str,
                          to_type: str) -> list[dict[str, Any]]:
        targets = self.portal.associations.targets(object_type, object_id, to_type)
        return [{"toObjectId": to_id,
                 "associationTypes": [{"category": "HUBSPOT_DEFINED", "typeId": type_id,
                                       "label": None} for type_id in type_ids]}
                for to_id, type_ids in targets.items()
                if self.store.get(to_type, to_id) is not None]


def _number(value: Any, name: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise validation_error(f"{name} must be an integer, got {value!r}") from None


def _conflict(object_type: str, prop: str, existing_id: str) -> HubSpotError:
    if object_type == "contacts" and prop == "email":
        return HubSpotError(409, "CONFLICT", f"Contact already exists. Existing ID: {existing_id}")
    return HubSpotError(409, "CONFLICT", f"A {SINGULAR[object_type]} with this {prop} already "
                        f"exists. Existing ID: {existing_id}")


def _refuse_duplicate_ids(inputs: list[dict[str, Any]]) -> None:
    ids = [str(i.get("id", "")) for i in inputs]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise validation_error(f"Duplicate IDs found in batch input: [{', '.join(duplicates)}]. "
                               "IDs must be unique")


def _as_batch_error(error: HubSpotError, context: dict[str, list[str]]) -> dict[str, Any]:
    return batch_error("error", error.category, error.message, context=context)


def _batch_reply(results: list[dict[str, Any]], errors: list[dict[str, Any]], started: str,
                 portal: HubSpotPortal, success: int) -> Reply:
    body: dict[str, Any] = {"status": "COMPLETE", "results": results, "startedAt": started,
                            "completedAt": timestamps.iso(portal.now())}
    if errors:
        body["numErrors"] = len(errors)
        body["errors"] = errors
        return 207, body
    return success, body
