"""Static contact lists (v3 lists API): lists, their memberships, and the endpoints.

Lists are ``MANUAL`` or ``SNAPSHOT`` (a snapshot list's filters are not evaluated here: it starts
empty and is changed by hand like a manual one). Members are contact ids; ids that are not live
contacts are reported back as missing, as HubSpot does, and records that leave the portal drop out
of every list.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from leadsync.sandbox.hubspot.errors import not_found, validation_error
from leadsync.sandbox.hubspot.store import ObjectStore

PROCESSING_TYPES = ("MANUAL", "SNAPSHOT", "DYNAMIC")
CONTACTS = "0-1"
MAX_MEMBERSHIP_PAGE = 250
MAX_SEARCH_COUNT = 500


class Lists:
    def __init__(self, store: ObjectStore, now: Callable[[], str]) -> None:
        self.store, self.now = store, now
        self.lists: dict[str, dict[str, Any]] = {}
        self.next_id = 1

    # -- lists -----------------------------------------------------------------------------

    def create(self, body: dict[str, Any]) -> tuple[int, Any]:
        missing = [f for f in ("name", "objectTypeId", "processingType") if not body.get(f)]
        if missing:
            raise validation_error(f"Some required fields were not set: [{', '.join(missing)}]")
        name, kind = str(body["name"]), str(body["processingType"])
        if str(body["objectTypeId"]) != CONTACTS:
            raise validation_error(f"Lists of object type {body['objectTypeId']} are not "
                                   "supported by this portal; use 0-1 (contacts).")
        if kind not in PROCESSING_TYPES:
            raise validation_error(f"processingType must be one of {', '.join(PROCESSING_TYPES)}")
        if kind == "DYNAMIC":
            raise validation_error("DYNAMIC (active) lists are not supported by this sandbox "
                                   "portal; create a MANUAL or SNAPSHOT list.")
        if self._by_name(name) is not None:
            raise validation_error(f"A list named '{name}' already exists.")
        at = self.now()
        record: dict[str, Any] = {
            "listId": str(self.next_id), "listVersion": 1, "name": name,
            "objectTypeId": CONTACTS, "processingType": kind,
            "processingStatus": "COMPLETE", "createdAt": at, "updatedAt": at,
            "filtersUpdatedAt": at, "createdById": "7100001", "updatedById": "7100001",
            "deletedAt": None, "members": {}}
        self.next_id += 1
        self.lists[record["listId"]] = record
        return 200, {"list": self._model(record)}

    def read(self, list_id: str) -> tuple[int, Any]:
        return 200, {"list": self._model(self._live(list_id))}

    def read_by_name(self, object_type_id: str, name: str) -> tuple[int, Any]:
        record = self._by_name(name)
        if record is None or record["objectTypeId"] != object_type_id:
            raise not_found(f"List with name {name} does not exist for object type "
                            f"{object_type_id}.")
        return 200, {"list": self._model(record)}

    def read_many(self, list_ids: list[str]) -> tuple[int, Any]:
        chosen = [r for r in self.lists.values() if not r["deletedAt"]
                  and (not list_ids or r["listId"] in list_ids)]
        return 200, {"lists": [self._model(r) for r in chosen]}

    def search(self, body: dict[str, Any]) -> tuple[int, Any]:
        query = str(body.get("query") or "").lower()
        kinds = body.get("processingTypes") or []
        ids = [str(i) for i in body.get("listIds") or []]
        offset, count = int(body.get("offset") or 0), int(body.get("count") or 20)
        if not 1 <= count <= MAX_SEARCH_COUNT:
            raise validation_error(f"count must be between 1 and {MAX_SEARCH_COUNT}")
        found = [r for r in self.lists.values() if not r["deletedAt"]
                 and query in r["name"].lower() and (not kinds or r["processingType"] in kinds)
                 and (not ids or r["listId"] in ids)]
        page = found[offset:offset + count]
        results = [{**{k: v for k, v in self._model(r).items() if k != "size"},
                    "additionalProperties": {"hs_list_size": str(self._size(r))}} for r in page]
        return 200, {"lists": results, "offset": offset + len(page),
                     "hasMore": offset + count < len(found), "total": len(found)}

    def rename(self, list_id: str, name: str | None) -> tuple[int, Any]:
        record = self._live(list_id)
        if not name:
            raise validation_error("listName is required")
        other = self._by_name(name)
        if other is not None and other is not record:
            raise validation_error(f"A list named '{name}' already exists.")
        record["name"], record["updatedAt"] = name, self.now()
        record["listVersion"] += 1
        return 200, {"updatedList": self._model(record)}

    def delete(self, list_id: str) -> tuple[int, Any]:
        self._live(list_id)["deletedAt"] = self.now()
        return 204, None

    def undelete(self, list_id: str) -> tuple[int, Any]:
        record = self.lists.get(list_id)
        if record is None or not record["deletedAt"]:
            raise not_found(f"List {list_id} is not deleted.")
        record["deletedAt"] = None
        return 204, None

    # -- memberships -----------------------------------------------------------------------

    def members(self, list_id: str, after: str | None, before: str | None,
                limit: str | None) -> tuple[int, Any]:
        record = self._live(list_id)
        size = int(limit or 100)
        if not 1 <= size <= MAX_MEMBERSHIP_PAGE:
            raise validation_error(f"limit must be between 1 and {MAX_MEMBERSHIP_PAGE}")
        rows = [{"recordId": rid, "membershipTimestamp": times["last"]}
                for rid, times in record["members"].items() if self._is_contact(rid)]
        end = int(before) if before else len(rows)
        start = int(after) if after else max(end - size, 0) if before else 0
        page = rows[start:min(start + size, end)]
        body: dict[str, Any] = {"results": page, "total": len(rows)}
        paging: dict[str, Any] = {}
        if start + len(page) < len(rows):
            paging["next"] = {"after": str(start + len(page))}
        if start > 0:
            paging["prev"] = {"before": str(start)}
        if paging:
            body["paging"] = paging
        return 200, body

    def change(self, list_id: str, to_add: list[Any], to_remove: list[Any]) -> tuple[int, Any]:
        record = self._live(list_id)
        if not isinstance(to_add, list) or not isinstance(to_remove, list):
            raise validation_error("Record ids must be given as a list")
        added, removed, missing = [], [], []
        at = self.now()
        for rid in map(str, to_add):
            if not self._is_contact(rid):
                missing.append(rid)
            elif rid not in record["members"]:
                record["members"][rid] = {"first": at, "last": at}
                added.append(rid)
        for rid in map(str, to_remove):
            if not self._is_contact(rid):
                missing.append(rid)
            elif record["members"].pop(rid, None) is not None:
                removed.append(rid)
        if added or removed:
            record["updatedAt"] = at
        return 200, {"recordsIdsAdded": added, "recordIdsRemoved": removed,
                     "recordIdsMissing": list(dict.fromkeys(missing))}

    def clear(self, list_id: str) -> tuple[int, Any]:
        self._live(list_id)["members"] = {}
        return 204, None

    def of_record(self, object_type_id: str, record_id: str) -> tuple[int, Any]:
        results = [{"listId": r["listId"], "listVersion": r["listVersion"],
                    "firstAddedTimestamp": r["members"][record_id]["first"],
                    "lastAddedTimestamp": r["members"][record_id]["last"]}
                   for r in self.lists.values()
                   if not r["deletedAt"] and r["objectTypeId"] == object_type_id
                   and record_id in r["members"] and self._is_contact(record_id)]
        return 200, {"results": results, "total": len(results)}

    def move_member(self, old_id: str, new_id: str) -> None:
        """A merged contact's memberships pass to the contact it was merged into."""
        for record in self.lists.values():
            times = record["members"].pop(old_id, None)
            if times is not None:
                record["members"].setdefault(new_id, times)

    def dump(self) -> dict[str, Any]:
        return {"lists": self.lists, "nextId": self.next_id}

    def restore(self, data: dict[str, Any]) -> None:
        self.lists, self.next_id = dict(data["lists"]), int(data["nextId"])

    # -- inside ----------------------------------------------------------------------------

    def _live(self, list_id: str) -> dict[str, Any]:
        record = self.lists.get(str(list_id))
        if record is None or record["deletedAt"]:
            raise not_found(f"List {list_id} does not exist.")
        return record

    def _by_name(self, name: str) -> dict[str, Any] | None:
        return next((r for r in self.lists.values()
                     if not r["deletedAt"] and r["name"].lower() == name.lower()), None)

    def _is_contact(self, record_id: str) -> bool:
        record = self.store.records["contacts"].get(record_id)
        return record is not None and not record["archived"]

    def _size(self, record: dict[str, Any]) -> int:
        return sum(1 for rid in record["members"] if self._is_contact(rid))

    def _model(self, record: dict[str, Any]) -> dict[str, Any]:
        model = {k: v for k, v in record.items() if k != "members" and v is not None}
        model["size"] = self._size(record)
        return model
