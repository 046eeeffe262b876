"""The portal's records (contacts, calls, emails, tasks), with ids, timestamps and history.

A record is a plain JSON-ready dict: ``id``, ``properties`` (all strings), ``history`` (newest
first per property), ``createdAt``, ``updatedAt``, ``archived`` and, once merged away,
``mergedInto``. The store keeps ``hs_object_id``, the create and modify dates and the owner
assignment date up to date, refuses nothing itself (the API layer checks first) and keeps an index
of every identifying property (email, including a contact's additional emails, and properties with
unique values) and the orders records are read in (``ordering``).

Records loaded in bulk (``load``, for benchmarks) carry ``imported: true`` and no history of their
own: each of their values has one history entry, of source ``IMPORT`` at creation, made up when
read or when the value first changes, which saves most of their memory.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from leadsync.sandbox.hubspot import schema, timestamps
from leadsync.sandbox.hubspot.ordering import Ordering
from leadsync.sandbox.hubspot.properties import PropertyCatalog

Record = dict[str, Any]
STAGE_ORDER = {value: order for order, (value, _) in enumerate(schema.LIFECYCLE_STAGES)}
HISTORY_DEPTH = 20
FIRST_ID = 1001


class ObjectStore:
    def __init__(self, catalog: PropertyCatalog, now: Callable[[], datetime]) -> None:
        self.catalog, self.now = catalog, now
        self.records: dict[str, dict[str, Record]] = {t: {} for t in schema.OBJECT_TYPES}
        self.next_id = FIRST_ID
        self._indexes: dict[tuple[str, str], dict[str, str]] = {}
        self.order: dict[str, Ordering] = {t: Ordering() for t in schema.OBJECT_TYPES}

    # -- reading ---------------------------------------------------------------------------

    def get(self, object_type: str, record_id: str, archived: bool = False) -> Record | None:
        """The record with this id; a merged-away id leads to the record it was merged into."""
        record = self.records[object_type].get(str(record_id))
        for _ in range(10):
            if record is None or not record.get("mergedInto"):
                break
            record = self.records[object_type].get(record["mergedInto"])
        if record is None or record["archived"] != archived:
            return None
        return record

    def find(self, object_type: str, prop: str, value: str) -> Record | None:
        """The live record whose identifying property ``prop`` has this value."""
        if prop == "hs_object_id":
            return self.get(object_type, value)
        record_id = self._index(object_type, prop).get(_key(prop, value))
        return None if record_id is None else self.records[object_type][record_id]

    def live(self, object_type: str) -> list[Record]:
        return [r for r in self.records[object_type].values() if not r["archived"]]

    def archived(self, object_type: str) -> list[Record]:
        return [r for r in self.records[object_type].values()
                if r["archived"] and not r.get("mergedInto")]

    def by_ids(self, object_type: str, record_ids: Iterable[int]) -> list[Record]:
        table = self.records[object_type]
        return [table[str(i)] for i in record_ids]

    def history(self, record: Record, name: str) -> list[dict[str, Any]]:
        """A property's history, newest first (made up for a bulk-loaded value never changed)."""
        held = record["history"].get(name)
        if held is not None:
            return list(held)
        value = record["properties"].get(name)
        if record.get("imported") and value:
            return [{"value": value, "timestamp": record["createdAt"], "sourceType": "IMPORT"}]
        return []

    def conflict(self, object_type: str, values: dict[str, str],
                 own_id: str | None) -> tuple[str, str] | None:
        """The first identifying property whose new value another live record already holds."""
        for prop in sorted(self.catalog.unique_names(object_type) & values.keys()):
            if values[prop]:
                other = self.find(object_type, prop, values[prop])
                if other is not None and other["id"] != own_id:
                    return prop, other["id"]
        return None

    def view(self, object_type: str, record: Record, names: Iterable[str] | None = None,
             history: Iterable[str] | None = None) -> dict[str, Any]:
        """The ``SimplePublicObject`` a read answers with."""
        wanted = list(names) if names else list(schema.DEFAULT_PROPERTIES[object_type])
        wanted += [schema.CREATED_PROPERTY[object_type], schema.MODIFIED_PROPERTY[object_type],
                   "hs_object_id"]
        props = {n: record["properties"].get(n) for n in dict.fromkeys(wanted)
                 if self.catalog.get(object_type, n) is not None}
        body: dict[str, Any] = {"id": record["id"], "properties": props,
                                "createdAt": record["createdAt"],
                                "updatedAt": record["updatedAt"], "archived": record["archived"]}
        if record["archived"]:
            body["archivedAt"] = record["archivedAt"]
        if history:
            body["propertiesWithHistory"] = {
                n: self.history(record, n) for n in history
                if self.catalog.get(object_type, n) is not None}
        return body

    # -- writing ---------------------------------------------------------------------------

    def create(self, object_type: str, values: dict[str, str], source: str = "API",
               at: datetime | None = None) -> Record:
        moment = at or self.now()
        stamp = timestamps.iso(moment)
        record_id = str(self.next_id)
        self.next_id += 1
        created = values.get(schema.CREATED_PROPERTY[object_type]) or stamp
        record: Record = {"id": record_id, "properties": {}, "history": {},
                          "createdAt": created, "updatedAt": stamp, "archived": False,
                          "archivedAt": None}
        self.records[object_type][record_id] = record
        maintained = {"hs_object_id": record_id, schema.CREATED_PROPERTY[object_type]: created,
                      schema.MODIFIED_PROPERTY[object_type]: stamp}
        self._write(object_type, record, {**values, **maintained}, stamp, source)
        return record

    def update(self, object_type: str, record: Record, values: dict[str, str],
               source: str = "API") -> Record:
        values = dict(values)
        if object_type == "contacts":
            _keep_lifecycle_moving_forward(record, values)
        stamp = timestamps.iso(self.now())
        changed = {n: v for n, v in values.items() if record["properties"].get(n, "") != v}
        if changed:
            changed[schema.MODIFIED_PROPERTY[object_type]] = stamp
            record["updatedAt"] = stamp
            self._write(object_type, record, changed, stamp, source)
        return record

    def archive(self, object_type: str, record: Record, merged_into: str | None = None) -> None:
        self._unindex(object_type, record)
        record["archived"], record["archivedAt"] = True, timestamps.iso(self.now())
        if merged_into:
            record["mergedInto"] = merged_into
        self.order[object_type].archive(int(record["id"]), listed=not merged_into)

    def load(self, object_type: str, rows: Iterable[tuple[dict[str, str], datetime]]) -> int:
        """Store records as imported, each at its time, fast: no checks, no history of their
        own, the identifying-property indexes rebuilt when next used. Returns how many."""
        table, order = self.records[object_type], self.order[object_type]
        created, modified = schema.CREATED_PROPERTY[object_type], \
            schema.MODIFIED_PROPERTY[object_type]
        loaded: list[tuple[int, str]] = []
        for values, at in rows:
            stamp = timestamps.iso(at)
            record_id = str(self.next_id)
            self.next_id += 1
            values[created] = values[modified] = stamp
            values["hs_object_id"] = record_id
            table[record_id] = {"id": record_id, "properties": values, "history": {},
                                "createdAt": stamp, "updatedAt": stamp, "archived": False,
                                "archivedAt": None, "imported": True}
            loaded.append((int(record_id), stamp))
        order.put_many(loaded)
        self._indexes = {k: v for k, v in self._indexes.items() if k[0] != object_type}
        return len(loaded)

    def merge(self, object_type: str, primary: Record, merged: Record) -> Record:
        """Fill the primary's empty values from the merged record, then archive the merged one."""
        keep = {"hs_object_id", "hs_merged_object_ids", "hs_additional_emails", "email",
                schema.CREATED_PROPERTY[object_type], schema.MODIFIED_PROPERTY[object_type]}
        filled = {n: v for n, v in merged["properties"].items()
                  if v and n not in keep and not primary["properties"].get(n)}
        merged_ids = _split(primary["properties"].get("hs_merged_object_ids"))
        merged_ids += [merged["id"], *_split(merged["properties"].get("hs_merged_object_ids"))]
        filled["hs_merged_object_ids"] = ";".join(dict.fromkeys(merged_ids))
        if object_type == "contacts":
            emails = _split(primary["properties"].get("hs_additional_emails"))
            emails += [merged["properties"].get("email", ""),
                       *_split(merged["properties"].get("hs_additional_emails"))]
            filled["hs_additional_emails"] = ";".join(dict.fromkeys(e for e in emails if e))
        self.archive(object_type, merged, merged_into=primary["id"])
        for other in self.records[object_type].values():
            if other.get("mergedInto") == merged["id"]:
                other["mergedInto"] = primary["id"]
        return self.update(object_type, primary, filled, source="MERGE")

    def dump(self) -> dict[str, Any]:
        return {"records": self.records, "nextId": self.next_id}

    def restore(self, data: dict[str, Any]) -> None:
        self.records = {t: dict(data["records"].get(t, {})) for t in schema.OBJECT_TYPES}
        self.next_id = int(data["nextId"])
        self._indexes = {}
        self.order = {t: Ordering() for t in schema.OBJECT_TYPES}
        for object_type, table in self.records.items():
            order, modified = self.order[object_type], schema.MODIFIED_PROPERTY[object_type]
            order.put_many((int(r["id"]), r["properties"].get(modified, ""))
                           for r in table.values() if not r["archived"])
            for record in table.values():
                if record["archived"]:
                    order.archive(int(record["id"]), listed=not record.get("mergedInto"))

    # -- inside ----------------------------------------------------------------------------

    def _write(self, object_type: str, record: Record, values: dict[str, str], stamp: str,
               source: str) -> None:
        if values.get("hubspot_owner_id") and object_type == "contacts" and \
                values["hubspot_owner_id"] != record["properties"].get("hubspot_owner_id"):
            values["hubspot_owner_assigneddate"] = stamp
        self._unindex(object_type, record)
        for name, value in values.items():
            earlier = self.history(record, name)
            record["properties"][name] = value
            entry = {"value": value, "timestamp": stamp, "sourceType": source}
            record["history"][name] = [entry, *earlier][:HISTORY_DEPTH]
        if not record["archived"]:
            self._reindex(object_type, record)
            self.order[object_type].put(
                int(record["id"]), record["properties"].get(schema.MODIFIED_PROPERTY[object_type],
                                                            ""))

    def _index(self, object_type: str, prop: str) -> dict[str, str]:
        index = self._indexes.get((object_type, prop))
        if index is None:
            index = {}
            for record in self.live(object_type):
                for key in _index_keys(prop, record):
                    index.setdefault(key, record["id"])
            self._indexes[(object_type, prop)] = index
        return index

    def _unindex(self, object_type: str, record: Record) -> None:
        for (kind, prop), index in self._indexes.items():
            if kind == object_type:
                for key in _index_keys(prop, record):
                    if index.get(key) == record["id"]:
                        del index[key]

    def _reindex(self, object_type: str, record: Record) -> None:
        for (kind, prop), index in self._indexes.items():
            if kind == object_type:
                for key in _index_keys(prop, record):
                    index.setdefault(key, record["id"])


def _key(prop: str, value: str) -> str:
    return value.strip().lower() if prop == "email" else value


def _index_keys(prop: str, record: Record) -> list[str]:
    values = [record["properties"].get(prop, "")]
    if prop == "email":
        values += _split(record["properties"].get("hs_additional_emails"))
    return [_key(prop, v) for v in values if v]


def _split(value: str | None) -> list[str]:
    return [v for v in (value or "").split(";") if v]


def _keep_lifecycle_moving_forward(record: Record, values: dict[str, str]) -> None:
    """A lifecycle stage only moves forward; it moves back only after being cleared."""
    new, current = values.get("lifecyclestage"), record["properties"].get("lifecyclestage")
    if new and current and STAGE_ORDER.get(new, 99) < STAGE_ORDER.get(current, 99):
        del values["lifecyclestage"]
