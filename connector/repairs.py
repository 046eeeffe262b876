"""Reconcile's report: what a full pass repaired, field by field, and what it cannot repair.

Reconcile is a sync pass over every record of both systems (``SyncEngine.run(full=True)``):
the same matching, the same planner, the same conflict rules and ledger, so what it repairs
is exactly what the mapping says and nothing else (a first contact never writes a blank over
a value; every write is an upsert by LeadSync's key, so nothing is duplicated). It catches
what an incremental pass never sees: a value changed behind LeadSync's back (a data load with
old modification times, a restored backup), or a value both sides agreed on that one side no
longer holds. ``Repairs`` watches that pass (``connector.watch``) and writes down each write as
an admin wants to read it: the lead (email, both ids), the field, the system written, the value
before and after, the rule that decided and why (``connector.decisions``).

What it cannot repair is reported and left alone, with no write of any kind for it:

- a lead whose record is gone on one side (deleted, archived, merged away, or no longer found
  at all): LeadSync never deletes, and creating the record again would bring back what an admin
  removed; the sync flags deletions as it sees them (``[sync] on_delete``);
- records of one side that share an email: one holds the link, the others are not synced
  (``connector.identity``); an admin merges them.

A dry run reports every write the pass would make (``would repair``); a run, the writes as their
answers are committed: ``repaired``, or ``refused`` (parked with the vendor's code, retried by
the next pass as any parked record).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from leadsync.connector.decisions import decision
from leadsync.connector.identity import Duplicates, fate
from leadsync.connector.mapping import FieldMapping
from leadsync.connector.models import SIDES, FieldValue, Side, WriteResult
from leadsync.connector.plan import Pair, Plan, PlannedWrite, other

KEPT = 10_000  # entries a report keeps of each list; the counts cover them all

Outcome = Literal["repaired", "would repair", "refused"]


@dataclass(frozen=True, slots=True)
class Repair:
    """One field of one lead written (or to be written) by reconcile."""

    email: str | None
    marketing_id: str | None
    crm_id: str | None
    system: str  # the system written
    field: str
    before: FieldValue
    after: FieldValue
    rule: str  # the conflict rule, or what else decided (the lead definition, on_delete)
    why: str
    outcome: Outcome
    create: bool = False
    code: str = ""  # a refusal's vendor code and message
    message: str = ""


@dataclass(frozen=True, slots=True)
class Unrepairable:
    """A lead reconcile leaves alone, and why: ``gone`` (its record on ``system`` is no longer
    there) or ``shared_email`` (several records of ``system`` hold ``email``)."""

    kind: Literal["gone", "shared_email"]
    system: str
    email: str | None
    ids: tuple[str, ...]  # gone: the missing record's id; shared_email: the kept one first
    detail: str


@dataclass
class Repairs:
    """Watches a full pass (``connector.watch.Watch``) and keeps its report."""

    mapping: FieldMapping
    names: Mapping[Side, str]  # each side's system name
    notes: Mapping[Side, str]  # each side's note field (``connector.identity``)
    dry_run: bool = False
    kept: int = KEPT
    repairs: list[Repair] = field(default_factory=list)
    unrepairable: list[Unrepairable] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)
    _pairs: dict[str, Pair] = field(default_factory=dict)
    _leads: set[str] = field(default_factory=set)  # keys of the leads repaired

    # -- the watch ---------------------------------------------------------------------------

    def screen(self, pairs: list[Pair]) -> list[Pair]:
        """The pairs to plan: all but those whose record on one side is gone."""
        kept = []
        for pair in pairs:
            missing = gone(pair, self.names)
            if missing is None:
                kept.append(pair)
            else:
                self._leave(missing)
        return kept

    def planned(self, pairs: Sequence[Pair], planned: Plan) -> None:
        self._pairs = {pair.key: pair for pair in pairs}
        for refusal in planned.refusals:
            pair = self._pairs.get(refusal.key)
            ids = _ids(pair, None, None)
            self._add(Repair(_email(pair), ids["marketing"], ids["crm"],
                             self.names[refusal.side], refusal.field, None, None, "transform",
                             "the value has no form the target accepts", "refused",
                             code="INVALID_VALUE", message=refusal.message), refusal.key)
        if self.dry_run:
            for write in planned.writes:
                self._write(write, "would repair", None)

    def confirmed(self, side: Side, batch: Sequence[PlannedWrite],
                  results: Sequence[WriteResult]) -> None:
        for write, result in zip(batch, results, strict=True):
            self._write(write, "repaired" if result.ok else "refused", result)

    def summary(self) -> dict[str, Any]:
        return {"reconcile": {"leads": len(self._leads), **dict(sorted(self.counts.items()))}}

    # -- what cannot be repaired -------------------------------------------------------------

    def shared(self, duplicates: Duplicates) -> None:
        """Add the emails several records of one side share, as the pass found them."""
        for (system, email), ids in sorted(duplicates.found.items()):
            self._leave(Unrepairable(
                "shared_email", system, email, tuple(ids),
                f"{len(ids)} {system} records share this email: {ids[0]} holds the link, "
                f"{', '.join(ids[1:])} not synced; merge them in {system}"))

    def as_dict(self) -> dict[str, Any]:
        return {"counts": {"leads": len(self._leads), **dict(sorted(self.counts.items()))},
                "repairs": [asdict(r) for r in self.repairs],
                "cannot_repair": [{**asdict(u), "ids": list(u.ids)} for u in self.unrepairable]}

    # -- inside ------------------------------------------------------------------------------

    def _write(self, write: PlannedWrite, outcome: Outcome, result: WriteResult | None) -> None:
        pair = self._pairs.get(write.op.key)
        made = result.id if result is not None and result.ok else None
        ids = _ids(pair, write.side, made or write.op.target_id)
        refused = result is not None and not result.ok
        for name, after in write.op.fields.items():
            before = None if write.current is None else write.current.fields.get(name)
            rule, why = decision(pair, write, name, self.mapping, self.names, self.notes)
            self._add(Repair(_email(pair), ids["marketing"], ids["crm"], self.names[write.side],
                             name, before, after, rule, why, outcome, write.create,
                             result.code if refused and result else "",
                             result.message if refused and result else ""), write.op.key)

    def _add(self, repair: Repair, key: str) -> None:
        self.counts[repair.outcome.replace(" ", "_")] += 1
        if repair.outcome != "refused":
            self._leads.add(key)
        if len(self.repairs) < self.kept:
            self.repairs.append(repair)

    def _leave(self, entry: Unrepairable) -> None:
        self.counts[entry.kind] += 1
        if len(self.unrepairable) < self.kept:
            self.unrepairable.append(entry)


def gone(pair: Pair, names: Mapping[Side, str]) -> Unrepairable | None:
    """The record of a live lead that is gone on one side, if any: deleted, archived, merged
    away (read as such), or linked but no longer found."""
    for side in SIDES:
        here, there = pair.records[side], other(side)
        if here is None or here.deleted:
            continue
        missing = pair.records[there]
        if missing is not None and missing.deleted:
            end = fate(there, missing)
            assert end is not None  # a deleted record has a fate
            return Unrepairable("gone", names[there], _email(pair), (missing.id,),
                                f"{end.note(names[there])}; {names[side]} {here.id} left as is")
        linked = pair.linked_id(there)
        if missing is None and linked:
            return Unrepairable("gone", names[there], _email(pair), (linked,),
                                f"{linked} no longer found in {names[there]}; {names[side]} "
                                f"{here.id} left as is")
    return None


def _email(pair: Pair | None) -> str | None:
    if pair is None:
        return None
    return pair.marketing_email or pair.crm_email or (pair.link.email if pair.link else None)


def _ids(pair: Pair | None, side: Side | None, written: str | None) -> dict[Side, str | None]:
    """Both ids of the lead: as read, else as linked; ``written`` is the id on ``side``."""
    ids: dict[Side, str | None] = {}
    for each in SIDES:
        record = None if pair is None else pair.records[each]
        linked = None if pair is None else pair.linked_id(each)
        ids[each] = record.id if record is not None else linked
    if side is not None and written:
        ids[side] = written
    return ids
