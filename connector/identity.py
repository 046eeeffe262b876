"""Identity through a lead's life: conversion, merges, deletes and shared emails, decided purely.

What a pass does when a record stops being a plain, live lead (``[sync] on_delete``):

- **converted** (a Salesforce lead turned into a contact): the link stays on the lead, which
  the SLA reads and which Salesforce refuses to update; nothing is written to it again, and
  its changes (the status "Closed - Converted") still go to marketing. With ``flag`` the other
  side's record gets a note: ``converted in salesforce to 003... on 2026-12-06``;
- **merged** (the loser of a merge, deleted in Salesforce with ``MasterRecordId``, archived in
  HubSpot with its id in the survivor's ``hs_merged_object_ids``): when the survivor has no link
  of its own, the link moves to it and the pair syncs on with the survivor (``moves``); when
  the survivor is linked to another lead already, the loser's counterpart is kept, flagged
  (``merged in salesforce into 00Q... on ...``) and no longer synced; an admin merges it on its
  own side. The loser is never created again;
- **deleted** or archived: the other side's record is kept (LeadSync never deletes), flagged
  (``deleted in salesforce on ...``) with ``flag``, and the pair stops syncing either way; a
  record undeleted (Salesforce's recycle bin) is live again: the pair syncs on and the note is
  cleared;
- **one email, several records** on one side: the link goes to one of them by a fixed rule
  (``winner``: a live record before a deleted one, an unconverted lead before a converted one,
  then the oldest: the smallest id), the others are left alone and reported (``Duplicates``);
  nothing is created for them on the other side.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal, Protocol, runtime_checkable

from leadsync.connector.models import SIDES, FieldValue, Record, Side, WriteOp
from leadsync.connector.plan import Pair, Plan, PlannedWrite

OnDelete = Literal["flag", "ignore"]
NOTE_LABEL = "LeadSync identity note"
NOTE_FIELDS: Mapping[str, str] = {"hubspot": "leadsync_note", "salesforce": "LeadSync_Note__c"}


def note_field(kind: str) -> str:
    """The field of an adapter kind that holds LeadSync's note (created by ``install``)."""
    return NOTE_FIELDS.get(kind, "leadsync_note")


@runtime_checkable
class Tombstones(Protocol):
    """What a system can tell of records no longer live: an adapter may implement it beside
    ``System``; without it, a record not found is taken as not there."""

    def gone(self, ids: Sequence[str], fields: Sequence[str]) -> list[Record]:
        """The records of these ids that were deleted, archived or merged away, as deleted
        records (``became``: a merge's survivor); live ones and unknown ids are left out."""
        ...


@dataclass(frozen=True)
class Fate:
    """What became of a lead's record on one side, if it is no longer a plain live lead."""

    kind: Literal["converted", "merged", "deleted"]
    side: Side
    record_id: str
    into: str | None  # the contact a lead became, the survivor of a merge
    on: str  # the date it happened, as the system stamped the record (YYYY-MM-DD)

    def note(self, system: str) -> str:
        """The text the other side's record shows."""
        if self.kind == "converted":
            return f"converted in {system} to {self.into} on {self.on}"
        if self.kind == "merged":
            return f"merged in {system} into {self.into} on {self.on}"
        return f"deleted in {system} on {self.on}"


def fate(side: Side, record: Record | None) -> Fate | None:
    """The fate of ``record``: None for a live, unconverted record (or none at all)."""
    if record is None:
        return None
    on = record.modified_at.date().isoformat()
    if record.deleted:
        kind: Literal["merged", "deleted"] = "merged" if record.became else "deleted"
        return Fate(kind, side, record.id, record.became, on)
    if record.read_only:
        return Fate("converted", side, record.id, record.became, on)
    return None


def note_write(records: Mapping[Side, Record | None], systems: Mapping[Side, str],
               notes: Mapping[Side, str], on_delete: OnDelete
               ) -> tuple[Side, str, FieldValue] | None:
    """The note one record of a pair needs, as (side, field, value): the other side's fate,
    or a blank where a note stands and both records are live again (an undelete). None when
    the note is already right, with ``ignore``, or when there is no live record to note on."""
    if on_delete == "ignore":
        return None
    for side in SIDES:
        there: Side = "crm" if side == "marketing" else "marketing"
        here = records[side]
        if here is None or here.deleted or here.read_only:
            continue
        gone = fate(there, records[there])
        wanted: FieldValue = None if gone is None else gone.note(systems[there])
        if gone is None and records[there] is None:
            continue  # nothing known of the other side: leave any note alone
        held = here.fields.get(notes[side])
        if (held or None) != wanted:
            return side, notes[side], wanted
    return None


@dataclass(frozen=True)
class Move:
    """A link moved from a merge's loser to its survivor, on ``side``."""

    key: str
    side: Side
    loser: str
    survivor: str


def moves(losers: Mapping[str, str], linked: Mapping[str, str], side: Side) -> list[Move]:
    """The links that move to a merge's survivor on ``side``: ``losers`` maps each linked
    loser's id to its survivor's, ``linked`` each linked record's id (losers and survivors)
    to its key. A survivor with a link of its own keeps it (the loser's pair stops, flagged);
    of two linked losers merged into one unlinked survivor, the one of the smaller key moves."""
    taken = {record_id for record_id in linked if record_id not in losers}
    found: list[Move] = []
    for loser, survivor in sorted(losers.items(), key=lambda item: linked.get(item[0], "")):
        key = linked.get(loser)
        if key is None or survivor in taken:
            continue
        taken.add(survivor)
        found.append(Move(key, side, loser, survivor))
    return found


def winner(records: Sequence[Record]) -> Record:
    """Of records on one side sharing an email, the one that holds the link: a live record
    before a deleted one, an unconverted before a converted one, then the oldest (the smallest
    id: Salesforce and HubSpot ids grow with creation), longer ids after shorter ones."""
    return min(records, key=rank)


def rank(record: Record) -> tuple[bool, bool, int, str]:
    """The order ``winner`` takes records in: the first one wins."""
    return record.deleted, record.read_only, len(record.id), record.id


@dataclass
class Duplicates:
    """Emails held by several records of one side, as a pass found them (its warnings)."""

    found: dict[tuple[str, str], list[str]] = field(default_factory=dict)  # (system, email)

    def add(self, system: str, email: str, kept: str, others: Iterable[str]) -> None:
        ids = self.found.setdefault((system, email), [kept])
        ids += [i for i in others if i not in ids]

    def warnings(self) -> list[str]:
        return [f"{len(ids)} {system} records share the email {email}: {ids[0]} holds the "
                f"link; {', '.join(ids[1:])} are not synced"
                for (system, email), ids in sorted(self.found.items())]


def add_notes(planned: Plan, pairs: Iterable[Pair], systems: Mapping[Side, str],
              notes: Mapping[Side, str], on_delete: OnDelete) -> None:
    """Put in ``planned`` the notes ``note_write`` asks for: into the write a record already
    gets in this pass, or as a write of its own."""
    by_key: dict[str, list[int]] = {}  # the plan's writes of each pair, by position
    for index, write in enumerate(planned.writes):
        by_key.setdefault(write.op.key, []).append(index)
    for pair in pairs:
        mine = by_key.get(pair.key, [])
        wanted = note_write(pair.records, systems, notes, on_delete)
        if wanted is None:
            _note_on_create(planned, mine, pair, systems, notes, on_delete)
            continue
        side, name, value = wanted
        record = pair.records[side]
        assert record is not None  # note_write notes on a live record only
        for index in mine:
            write = planned.writes[index]
            if write.side == side and write.follows is None:
                op = replace(write.op, fields={**write.op.fields, name: value})
                planned.writes[index] = replace(write, op=op)
                break
        else:
            there: Side = "crm" if side == "marketing" else "marketing"
            held = pair.records[there]
            planned.writes.append(PlannedWrite(
                side, WriteOp(pair.key, {name: value}, record.id), record, False, record,
                counterpart_id=held.id if held is not None else pair.linked_id(there)))


def _note_on_create(planned: Plan, mine: Sequence[int], pair: Pair,
                    systems: Mapping[Side, str], notes: Mapping[Side, str],
                    on_delete: OnDelete) -> None:
    """A record created from a converted lead carries its note from the start (``mine``: the
    positions of the pair's writes in the plan)."""
    if on_delete == "ignore":
        return
    for index in mine:
        write = planned.writes[index]
        if not write.create:
            continue
        there: Side = "crm" if write.side == "marketing" else "marketing"
        gone = fate(there, pair.records[there])
        if gone is not None:
            op = replace(write.op, fields={**write.op.fields,
                                           notes[write.side]: gone.note(systems[there])})
            planned.writes[index] = replace(write, op=op)
