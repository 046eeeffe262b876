"""The records the engine moves, independent of any vendor.

A ``Record`` is one object as a system holds it (vendor field names, plain Python values). A
``Cursor`` marks how far a system's changes have been read. A ``WriteOp`` asks a system to make
one record hold some values; a ``WriteResult`` says what happened to it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

FieldValue = str | int | float | bool | None
Side = Literal["marketing", "crm"]  # the two ends of a connection; defined here only
SIDES: tuple[Side, Side] = ("marketing", "crm")


@dataclass(frozen=True, slots=True)
class Record:
    system: str
    id: str
    fields: Mapping[str, FieldValue]
    modified_at: datetime
    deleted: bool = False
    read_only: bool = False  # the system refuses updates to it (a converted Salesforce lead)
    # what the record became: a deleted record merged away, the survivor's id; a converted
    # lead, the contact's id (``connector.identity``)
    became: str | None = None
    absorbed: tuple[str, ...] = ()  # the ids of the records merged into this one


@dataclass(frozen=True, slots=True)
class Cursor:
    """How far a system's changes were read.

    The next read starts at ``modified_at`` inclusive; the records already seen at exactly that
    instant (``seen_at_boundary``) are dropped by id, so a boundary is never read twice nor
    skipped. A cursor never passes the start time of the run that wrote it.
    """

    modified_at: datetime
    seen_at_boundary: frozenset[str] = frozenset()

    def admits(self, record: Record) -> bool:
        if record.modified_at > self.modified_at:
            return True
        return record.modified_at == self.modified_at and record.id not in self.seen_at_boundary

    def advanced(self, records: list[Record]) -> Cursor:
        """This cursor moved past ``records`` (already filtered by ``admits``)."""
        if not records:
            return self
        latest = max(r.modified_at for r in records)
        if latest < self.modified_at:
            return self  # a cursor never moves back (records given out of time order)
        at_latest = {r.id for r in records if r.modified_at == latest}
        if latest == self.modified_at:
            return Cursor(latest, self.seen_at_boundary | at_latest)
        return Cursor(latest, frozenset(at_latest))

    def to_json(self) -> dict[str, Any]:
        return {"modified_at": self.modified_at.isoformat(),
                "seen_at_boundary": sorted(self.seen_at_boundary)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Cursor:
        return cls(datetime.fromisoformat(data["modified_at"]),
                   frozenset(data.get("seen_at_boundary", ())))


@dataclass(frozen=True, slots=True)
class WriteOp:
    """Make the record with LeadSync key ``key`` hold ``fields``.

    ``target_id`` is the system's own id when the record is known to exist there (an update);
    without it the write is an upsert by the key (or the system's match field), so sending it
    twice never makes two records.
    """

    key: str
    fields: Mapping[str, FieldValue]
    target_id: str | None = None
    # fields whose value is meant even if it goes backwards (a recycle's lifecycle stage): a
    # system that only moves such a field forward clears it first
    reset: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class WriteResult:
    key: str
    ok: bool
    id: str | None = None
    created: bool = False
    code: str = ""
    message: str = ""
    fields: tuple[str, ...] = field(default=())
    # a created record as the system answered the write, when its answer holds the record
    # (HubSpot's batch answers do): the engine then need not read it back
    record: Record | None = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class FieldInfo:
    """A field as a system describes it."""

    name: str
    type: str
    label: str = ""
    length: int | None = None
    updateable: bool = True
    required: bool = False
    unique: bool = False
    options: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Activity:
    """A call, email or meeting logged on a record (a touch, once the lead is handed off)."""

    id: str
    record_id: str  # the lead (Salesforce WhoId, HubSpot contact id)
    kind: str  # "call" | "email" | "meeting"
    at: datetime  # when it was completed or held
    owner_id: str | None = None
    subject: str = ""


@dataclass(frozen=True, slots=True)
class TaskSpec:
    """A to-do for a person on a record: how an escalation reaches a manager in the CRM."""

    key: str  # idempotence: the same key is never created twice by one adapter call
    record_id: str
    owner_id: str | None
    subject: str
    description: str = ""
    due: datetime | None = None  # None: now


@dataclass(frozen=True, slots=True)
class SalesProcess:
    """How a CRM keeps the sales side of a lead, as the SLA reads and sets it: who owns it, its
    working status and the status values that mean accepted, disqualified, recycled and reopened,
    and whether it converted. Each adapter gives its CRM's standard; ``[sla]`` overrides the
    status values (every org names its own)."""

    owner: str  # the field with the owner's user id
    status: str  # the field with the sales status
    email: str
    name: tuple[str, ...]  # the fields that name the lead, joined with spaces
    converted: str  # the field that tells conversion
    converted_when: tuple[str, ...]  # its values that mean converted ("true" for a checkbox)
    accepted_statuses: tuple[str, ...]
    disqualified_statuses: tuple[str, ...]
    nurture_status: str  # set when the lead is recycled to marketing
    reopen_status: str  # set when a recycled lead is handed off again

    def fields(self) -> list[str]:
        return list(dict.fromkeys([self.owner, self.status, self.email, *self.name,
                                   self.converted]))

    def is_converted(self, record: Record) -> bool:
        value = record.fields.get(self.converted)
        return value not in (None, "") and str(value).lower() in {
            v.lower() for v in self.converted_when}

    def display_name(self, record: Record) -> str:
        parts = [str(record.fields.get(f) or "").strip() for f in self.name]
        return " ".join(p for p in parts if p) or str(record.fields.get(self.email) or record.id)
