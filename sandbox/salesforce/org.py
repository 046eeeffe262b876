"""The org: its objects, its records, and every write as a real org performs it.

Records are kept by object and 18-character id, as dicts of canonical field names. Every write
goes through ``create``/``update``/``upsert``/``delete``, which apply defaults, derived fields
(Name, Task.IsClosed, ...), the checks of ``validation`` and unique-field indexes, then stamp the
system fields. ``savepoint()`` undoes a group of writes, for all-or-none requests and for
conversions and merges. Deleted records stay, with ``IsDeleted`` true, for ``queryAll``.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from werkzeug.wrappers import Response

from leadsync.sandbox.http import WSGIEnviron
from leadsync.sandbox.people import Owner, Person
from leadsync.sandbox.population import Drawn
from leadsync.sandbox.salesforce import groups, ids, permissions
from leadsync.sandbox.salesforce.app import App
from leadsync.sandbox.salesforce.errors import MultipleChoices, RecordError, RecordRefused
from leadsync.sandbox.salesforce.limits import ApiUsage
from leadsync.sandbox.salesforce.modstamps import ModstampIndex
from leadsync.sandbox.salesforce.query import Cursors
from leadsync.sandbox.salesforce.schema import SObjectType
from leadsync.sandbox.salesforce.seed import load_org, seed_org
from leadsync.sandbox.salesforce.standard import CLOSED_TASK_STATUSES, name_entity, standard_objects
from leadsync.sandbox.salesforce.tooling import field_from_definition, field_tables
from leadsync.sandbox.salesforce.validation import check_record, format_datetime, parse_datetime

DUMP_VERSION = 1
API_USER = {"FirstName": "LeadSync", "LastName": "Integration", "Alias": "lsync",
            "Username": "integration@leadsync-sandbox.example.com",
            "Email": "integration@leadsync-sandbox.example.com",
            "TimeZoneSidKey": "GMT", "IsActive": True}
PERSON_OBJECTS = frozenset({"Lead", "Contact", "User"})


class Clock:
    """System timestamps: UTC, millisecond precision and never earlier than the last one."""

    def __init__(self) -> None:
        self.last = datetime(2000, 1, 1, tzinfo=UTC)

    def stamp(self) -> str:
        now = datetime.now(UTC)
        now = now.replace(microsecond=now.microsecond // 1000 * 1000)
        self.last = max(self.last, now)
        return format_datetime(self.last)

    def observe(self, stamp: str) -> None:
        """Keep later stamps at or after ``stamp`` (a seeded or restored value)."""
        moment = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%f%z")
        self.last = max(self.last, moment)


class SalesforceOrg:
    """A Salesforce org served over the REST, Tooling and SOAP APIs (the Emulator port)."""

    def __init__(self, session_id: str, api_version: str = "59.0",
                 daily_api_limit: int = 100_000) -> None:
        self.session_id = session_id
        self.api_version = api_version
        self.lock = threading.RLock()
        self.mutations = 0
        self.usage = ApiUsage(daily_api_limit)
        self.clock = Clock()
        self.cursors = Cursors()
        self.custom_fields: list[dict[str, Any]] = []  # Tooling API CustomField definitions
        self._reset()
        self.api_user_id = ""
        self.api_user_id = self.insert_raw("User", dict(API_USER))
        self._app = App(self)

    def _reset(self) -> None:
        self.objects: dict[str, SObjectType] = standard_objects()
        self.name_entity = name_entity()
        self.records: dict[str, dict[str, dict[str, Any]]] = {n: {} for n in self.objects}
        self.counters: dict[str, int] = {}
        self._by_prefix = {o.key_prefix: o.name for o in self.objects.values()}
        self._lower = {n.lower(): n for n in self.objects}
        self._index: dict[tuple[str, str], dict[str, set[str]]] = {}
        self.modstamps: dict[str, ModstampIndex] = {n: ModstampIndex() for n in self.objects}
        self._journal: list[tuple[str, str, dict[str, Any] | None]] = []
        self._depth = 0

    # -- the Emulator port ------------------------------------------------------------------

    def __call__(self, environ: WSGIEnviron, start_response: Any) -> Iterable[bytes]:
        return self._app(environ, start_response)

    def throttle_response(self) -> Response:
        return self._app.throttle_response()

    def unavailable_response(self) -> Response:
        return self._app.unavailable_response()

    def seed(self, people: Sequence[Person], owners: Sequence[Owner]) -> None:
        with self.lock:
            seed_org(self, people, owners)

    def load(self, people: Iterable[Drawn], owners: Sequence[Owner]) -> int:
        """Put the Salesforce side of many people straight in, as leads (see ``seed.load_org``)."""
        with self.lock:
            return load_org(self, people, owners)

    def dump(self) -> dict[str, Any]:
        with self.lock:
            # Stored records are never changed in place (a write stores a new dict), so copying
            # the per-object tables is enough for the caller to serialise outside the lock.
            records = {name: dict(table) for name, table in self.records.items()}
            return {"version": DUMP_VERSION, "records": records,
                    "custom_fields": copy.deepcopy(self.custom_fields),
                    "counters": dict(self.counters), "usage": self.usage.dump(),
                    "clock": format_datetime(self.clock.last), "api_user_id": self.api_user_id}

    def restore(self, data: dict[str, Any]) -> None:
        with self.lock:
            self._reset()
            self.custom_fields = copy.deepcopy(data.get("custom_fields", []))
            for definition in self.custom_fields:
                for name in field_tables(definition["TableEnumOrId"]):
                    self.objects[name].add_field(field_from_definition(definition))
            for sobject, records in data.get("records", {}).items():
                self.records.setdefault(sobject, {}).update(copy.deepcopy(records))
                for record in records.values():
                    self._reindex(sobject, None, record)
            for sobject, table in self.records.items():
                self.modstamps.setdefault(sobject, ModstampIndex()).rebuild(table.values())
            self.counters = dict(data.get("counters", {}))
            self.usage.restore(data.get("usage", {}))
            self.clock.observe(data.get("clock", format_datetime(self.clock.last)))
            self.api_user_id = data.get("api_user_id", self.api_user_id)
            self.cursors.clear()

    # -- looking things up ------------------------------------------------------------------

    def sobject(self, name: str) -> SObjectType | None:
        """An object by API name, case-insensitively."""
        canonical = self._lower.get(name.lower())
        return self.objects[canonical] if canonical else None

    def locate(self, record_id: str) -> tuple[str, dict[str, Any]] | None:
        """The object and record behind a 15- or 18-character id, deleted or not."""
        full = ids.to_18(record_id)
        sobject = self._by_prefix.get(record_id[:3]) if full else None
        if sobject is None or full is None:
            return None
        record = self.records[sobject].get(full)
        return (sobject, record) if record is not None else None

    def resolve(self, record_id: str) -> tuple[str, bool] | None:
        found = self.locate(record_id)
        return (found[0], bool(found[1].get("IsDeleted"))) if found else None

    def find_by(self, sobject: str, field: str, value: Any) -> list[str]:
        """Live records whose indexed (external id or unique) ``field`` equals ``value``."""
        f = self.objects[sobject].fields[field]
        return sorted(self._index.get((sobject, field), {}).get(_key(f.case_sensitive, value),
                                                                set()))

    # -- writes -------------------------------------------------------------------------------

    def create(self, sobject: str, values: dict[str, Any],
               refused: Iterable[RecordError] = ()) -> str:
        """Insert one record; raises RecordRefused with every reason it was refused."""
        t = self.objects[sobject]
        record = self.blank(t)
        record.update(_normalise_references(t, values))
        errors = list(refused)
        errors += check_record(t, record, values, self.resolve, insert=True)
        errors += self._rules(t, record, None)
        errors += self._check_unique(t, record, values, None)
        if errors:
            raise RecordRefused(errors)
        existing = groups.existing_member(self, sobject, record)
        if existing is not None:
            return existing
        self._stamp_new(sobject, record, self.clock.stamp())
        self._derive(t, record, None)
        self._put(sobject, record)
        return str(record["Id"])

    def update(self, sobject: str, record_id: str, values: dict[str, Any],
               refused: Iterable[RecordError] = ()) -> None:
        t = self.objects[sobject]
        old = self._live(sobject, record_id)
        if sobject == "Lead" and old.get("IsConverted"):
            raise RecordRefused([RecordError("CANNOT_UPDATE_CONVERTED_LEAD",
                                             "cannot reference converted lead")])
        record = dict(old)
        record.update(_normalise_references(t, {k: v for k, v in values.items() if k != "Id"}))
        written = [k for k in values if k != "Id"]
        errors = list(refused)
        errors += check_record(t, record, written, self.resolve, insert=False)
        errors += self._rules(t, record, old)
        errors += self._check_unique(t, record, written, old["Id"])
        if errors:
            raise RecordRefused(errors)
        self._derive(t, record, old)
        self._touch(record, self.clock.stamp())
        self._put(sobject, record)

    def upsert(self, sobject: str, field: str, value: Any, values: dict[str, Any],
               refused: Iterable[RecordError] = ()) -> tuple[str, bool]:
        """Update the record whose external id ``field`` is ``value``, or create it.

        Returns (id, created); raises ApiError 300 when the value matches several records.
        """
        matches = self.find_by(sobject, field, value)
        if len(matches) > 1:
            raise MultipleChoices([f"/services/data/v{self.api_version}/sobjects/{sobject}/{m}"
                                   for m in matches])
        values = {**values, field: value}
        if matches:
            self.update(sobject, matches[0], values, refused)
            return matches[0], False
        return self.create(sobject, values, refused), True

    def delete(self, sobject: str, record_id: str, master_id: str | None = None) -> None:
        """Move a record (and the activities on it, or a group's memberships) to the recycle
        bin; objects without ``IsDeleted`` keep the flag for Get Deleted only (see ``groups``)."""
        record = dict(self._live(sobject, record_id))
        record["IsDeleted"] = True
        if master_id is not None:
            record["MasterRecordId"] = master_id
        stamp = self.clock.stamp()
        record["SystemModstamp"] = stamp
        self._put(sobject, record)
        if sobject in ("Lead", "Contact"):
            for activity in ("Task", "Event"):
                for child in list(self.records[activity].values()):
                    if child.get("WhoId") == record["Id"] and not child.get("IsDeleted"):
                        self._put(activity, {**child, "IsDeleted": True, "SystemModstamp": stamp})
        if sobject == "Group":
            for member in groups.memberships(self, record["Id"]):
                self._put("GroupMember", {**member, "IsDeleted": True, "SystemModstamp": stamp})
        for setup_object, child in permissions.cascade(self, sobject, record["Id"]):
            self._put(setup_object, {**child, "IsDeleted": True, "SystemModstamp": stamp})

    def insert_raw(self, sobject: str, values: dict[str, Any], created: str | None = None) -> str:
        """Store a record without the API's checks (seeding): defaults, ids and stamps only."""
        t = self.objects[sobject]
        record = self.blank(t)
        record.update(values)
        stamp = created or self.clock.stamp()
        self.clock.observe(stamp)
        self._stamp_new(sobject, record, stamp)
        self._derive(t, record, None)
        self._put(sobject, record)
        return str(record["Id"])

    def write_system(self, sobject: str, record_id: str, changes: dict[str, Any]) -> None:
        """Change fields the API may not write (conversion, merge, re-parenting) and stamp."""
        record = {**self.records[sobject][record_id], **changes}
        self._touch(record, self.clock.stamp())
        self._put(sobject, record)

    def replace_raw(self, sobject: str, record: dict[str, Any]) -> None:
        """Store a changed copy of a record as it is (seeding, conversions)."""
        self._put(sobject, record)

    @contextmanager
    def savepoint(self) -> Iterator[list[bool]]:
        """Undo every write made inside if the block raises or sets ``flag[0] = True``."""
        mark, self._depth = len(self._journal), self._depth + 1
        flag = [False]
        try:
            yield flag
        except BaseException:
            self._rollback(mark)
            raise
        else:
            if flag[0]:
                self._rollback(mark)
        finally:
            self._depth -= 1
            if self._depth == 0:
                self._journal.clear()

    # -- internals ----------------------------------------------------------------------------

    def new_id(self, prefix: str) -> str:
        self.counters[prefix] = self.counters.get(prefix, 0) + 1
        return ids.make_id(prefix, self.counters[prefix])

    def blank(self, t: SObjectType) -> dict[str, Any]:
        """A new record before its values: every field null but the defaults and the owner."""
        record: dict[str, Any] = {name: None for name in t.fields}
        for f in t.fields.values():
            if f.defaulted_on_create and f.default is not None:
                record[f.name] = f.default
        if "OwnerId" in t.fields:
            record["OwnerId"] = self.api_user_id
        return record

    def _live(self, sobject: str, record_id: str) -> dict[str, Any]:
        found = self.locate(record_id)
        if found is None or found[0] != sobject:
            raise RecordRefused([RecordError("INVALID_CROSS_REFERENCE_KEY",
                                             "invalid cross reference id")])
        if found[1].get("IsDeleted"):
            raise RecordRefused([RecordError("ENTITY_IS_DELETED", "entity is deleted")])
        return found[1]

    def _stamp_new(self, sobject: str, record: dict[str, Any], stamp: str) -> None:
        record["Id"] = record.get("Id") or self.new_id(self.objects[sobject].key_prefix)
        if "IsDeleted" in self.objects[sobject].fields:
            record["IsDeleted"] = False
        record["CreatedDate"] = stamp
        record["CreatedById"] = record.get("CreatedById") or self.api_user_id or record["Id"]
        self._touch(record, stamp)
        record["LastModifiedById"] = record["CreatedById"]

    def _touch(self, record: dict[str, Any], stamp: str) -> None:
        record["LastModifiedDate"] = record["SystemModstamp"] = stamp
        record["LastModifiedById"] = self.api_user_id or record["Id"]

    def _derive(self, t: SObjectType, record: dict[str, Any], old: dict[str, Any] | None) -> None:
        """Fields the org computes: names, closed flags, activity times, API names."""
        groups.derive(t.name, record)
        if t.name in PERSON_OBJECTS:
            record["Name"] = " ".join(p for p in (record.get("FirstName"),
                                                  record.get("LastName")) if p) or None
        if t.name == "User" and not record.get("Alias"):
            record["Alias"] = ((record.get("FirstName") or "")[:1]
                               + (record.get("LastName") or "")[:4]).lower() or None
        if t.name == "Task":
            closed = record.get("Status") in CLOSED_TASK_STATUSES
            record["IsClosed"] = closed
            if not closed:
                record["CompletedDateTime"] = None
            elif not (old and old.get("IsClosed")) and not record.get("CompletedDateTime"):
                record["CompletedDateTime"] = self.clock.stamp()
            record["TaskSubtype"] = record.get("TaskSubtype") or "Task"
        if t.name == "Event":
            _derive_event(record, old)
        if t.name == "Opportunity":
            record["IsClosed"] = record.get("StageName") in ("Closed Won", "Closed Lost")
            record["IsWon"] = record.get("StageName") == "Closed Won"

    def _rules(self, t: SObjectType, record: dict[str, Any],
               old: dict[str, Any] | None) -> list[RecordError]:
        """Object-specific requirements beyond required fields (owners, groups, events)."""
        errors = groups.check(self, t.name, record, old)
        errors += permissions.check(self, t.name, record, old)
        if t.name != "Event":
            return errors
        missing = []
        if not (record.get("StartDateTime") or record.get("ActivityDateTime")
                or (record.get("IsAllDayEvent") and record.get("ActivityDate"))):
            missing.append("ActivityDateTime")
        if not (record.get("DurationInMinutes") is not None or record.get("EndDateTime")
                or record.get("IsAllDayEvent")):
            missing.append("DurationInMinutes")
        if missing:
            errors.append(RecordError("REQUIRED_FIELD_MISSING",
                                      f"Required fields are missing: [{', '.join(missing)}]",
                                      missing))
        return errors

    def _check_unique(self, t: SObjectType, record: dict[str, Any], written: Iterable[str],
                      own_id: str | None) -> list[RecordError]:
        errors = []
        for name in written:
            f = t.fields.get(name)
            if f is None or not f.unique or record.get(name) is None:
                continue
            others = [i for i in self.find_by(t.name, name, record[name]) if i != own_id]
            if others:
                errors.append(RecordError(
                    "DUPLICATE_VALUE",
                    f"duplicate value found: {name} duplicates value on record with id: "
                    f"{others[0]}", []))
        return errors

    def _put(self, sobject: str, record: dict[str, Any] | None, record_id: str = "") -> None:
        record_id = record["Id"] if record is not None else record_id
        old = self.records[sobject].get(record_id)
        if self._depth:
            self._journal.append((sobject, record_id, old))
        if record is None:
            self.records[sobject].pop(record_id, None)
        else:
            self.records[sobject][record_id] = record
        self._reindex(sobject, old, record)
        self.modstamps.setdefault(sobject, ModstampIndex()).move(old, record)
        self.mutations += 1

    def _reindex(self, sobject: str, old: dict[str, Any] | None,
                 new: dict[str, Any] | None) -> None:
        for f in self.objects[sobject].fields.values():
            if not (f.unique or f.external_id):
                continue
            index = self._index.setdefault((sobject, f.name), {})
            for record, add in ((old, False), (new, True)):
                if record is None or record.get(f.name) is None or record.get("IsDeleted"):
                    continue
                bucket = index.setdefault(_key(f.case_sensitive, record[f.name]), set())
                if add:
                    bucket.add(record["Id"])
                else:
                    bucket.discard(record["Id"])

    def _rollback(self, mark: int) -> None:
        while len(self._journal) > mark:
            sobject, record_id, old = self._journal.pop()
            depth, self._depth = self._depth, 0
            self._put(sobject, old, record_id)
            self._depth = depth

    def reindex_field(self, sobject: str) -> None:
        """Rebuild the indexes of an object after its fields changed."""
        for key in [k for k in self._index if k[0] == sobject]:
            del self._index[key]
        for record in self.records[sobject].values():
            self._reindex(sobject, None, record)


def _key(case_sensitive: bool, value: Any) -> str:
    text = value if isinstance(value, str) else str(value)
    return text if case_sensitive else text.lower()


def _normalise_references(t: SObjectType, values: dict[str, Any]) -> dict[str, Any]:
    out = dict(values)
    for name, value in values.items():
        f = t.fields.get(name)
        if f is not None and f.type in ("reference", "id") and isinstance(value, str):
            out[name] = ids.to_18(value) or value
    return out


def _derive_event(record: dict[str, Any], old: dict[str, Any] | None) -> None:
    """Keep an event's start, end, duration and date consistent, as the org does."""
    start_text = record.get("StartDateTime") or record.get("ActivityDateTime")
    start = parse_datetime(start_text) if start_text else None
    record["EventSubtype"] = record.get("EventSubtype") or "Event"
    if start is None:
        return
    record["StartDateTime"] = record["ActivityDateTime"] = format_datetime(start)
    record["ActivityDate"] = start.date().isoformat()
    end_text = record.get("EndDateTime")
    end_moved = (old is not None and end_text != old.get("EndDateTime")
                 and record.get("DurationInMinutes") == old.get("DurationInMinutes"))
    if record.get("DurationInMinutes") is not None and not end_moved:
        end = start + timedelta(minutes=int(record["DurationInMinutes"]))
        record["EndDateTime"] = format_datetime(end)
    elif end_text:
        end = parse_datetime(end_text) or start
        record["DurationInMinutes"] = int((end - start).total_seconds() // 60)
