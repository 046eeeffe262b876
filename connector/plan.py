"""Sync planning: from what changed on each side to the writes that make both agree.

Planning is pure: it reads records, links and the ledger and returns a ``Plan``; it calls no
system and writes nothing, so ``--dry-run`` shows exactly what a real run would do.

Rules, per linked pair of records and per mapped field:
- a field *changed* on a side when its value differs from the ledger's last value for that side
  (a field never seen before counts as changed);
- a one-way field flows whenever its source record is read and holds a value (the source side
  owns it); an empty value flows only when the source cleared the field;
- a two-way field flows from the side that changed it; when both sides changed it, the side
  modified last wins;
- a write is planned only when the converted value differs from what the target holds now, so
  our own writes, read back, are not echoed;
- values a write puts on one side that a one-way rule carries back to the other go back in the
  same run, after it (``_plan_backflow``), so a second run with nothing changed writes nothing;
- a record with no counterpart is created on the other side with every field that flows there
  (``only_on_create`` fields included), under a key derived from its source id, so that a run
  repeated after a crash upserts the same record instead of making a second one.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from leadsync.connector.mapping import Conversions, FieldMapping, FieldRule, Skip, convert_once
from leadsync.connector.models import SIDES, FieldValue, Record, Side, WriteOp
from leadsync.connector.store import Link
from leadsync.connector.transforms import NORMALIZING, REGISTRY, TransformContext, TransformError

_KEY_NAMESPACE = uuid.UUID("5f1d7a52-8f0e-4c1b-9a57-2b6c1f0d9e11")


def other(side: Side) -> Side:
    return "crm" if side == "marketing" else "marketing"


def derived_key(connection: str, side: Side, record_id: str) -> str:
    """The LeadSync key for a record first seen on ``side``: the same on every run."""
    return uuid.uuid5(_KEY_NAMESPACE, f"{connection}/{side}/{record_id}").hex


@dataclass(slots=True)
class Pair:
    """One lead as LeadSync knows it: its key and its record on each side, where known."""

    key: str
    records: dict[Side, Record | None]
    changed: set[Side] = field(default_factory=set)  # sides whose record changed this run
    ledger: Mapping[tuple[str, str], FieldValue] = field(default_factory=dict)
    link: Link | None = None  # the stored link, when the lead was seen by an earlier run
    marketing_email: str | None = None  # each record's match email, normalised once (match)
    crm_email: str | None = None
    converted: Conversions | None = None  # values a judge put in the other side's form

    def email(self, side: Side) -> str | None:
        return self.marketing_email if side == "marketing" else self.crm_email

    def place(self, side: Side, record: Record, email: str | None) -> None:
        """Hold ``record`` as the lead's record on ``side``, with its normalised email."""
        self.records[side] = record
        if side == "marketing":
            self.marketing_email = email
        else:
            self.crm_email = email

    def linked_id(self, side: Side) -> str | None:
        if self.link is None:
            return None
        return self.link.marketing_id if side == "marketing" else self.link.crm_id


@dataclass(frozen=True)
class PlannedWrite:
    side: Side  # where the write goes
    op: WriteOp
    source: Record  # the record it comes from
    create: bool
    current: Record | None = None  # the target record as read, when it exists
    follows: str | None = None  # a write carried back after the write of this key
    counterpart_id: str | None = None  # the lead's record on the other side, if it has one


@dataclass(frozen=True)
class Refusal:
    """A record LeadSync itself cannot write: a value no transform or value map accepts."""

    side: Side
    key: str
    source: Record
    field: str
    message: str


@dataclass
class Plan:
    writes: list[PlannedWrite] = field(default_factory=list)
    refusals: list[Refusal] = field(default_factory=list)
    unchanged: dict[Side, int] = field(default_factory=lambda: {"marketing": 0, "crm": 0})
    held: int = 0  # leads kept in marketing: not qualified for handoff

    def for_side(self, side: Side) -> list[PlannedWrite]:
        return [w for w in self.writes if w.side == side]

    def extend(self, more: Plan) -> None:
        """Add the plan of another page of pairs to this one."""
        self.writes += more.writes
        self.refusals += more.refusals
        for side in SIDES:
            self.unchanged[side] += more.unchanged[side]
        self.held += more.held


Stamps = Mapping[str, Mapping[Side, Mapping[str, FieldValue]]]


def plan(pairs: list[Pair], mapping: FieldMapping, contexts: Mapping[Side, TransformContext],
         systems: Mapping[Side, str], stamps: Stamps | None = None,
         hold: frozenset[str] | set[str] = frozenset()) -> Plan:
    """The writes for ``pairs``; ``systems`` names each side's system, as the ledger keys it.

    ``stamps`` are values some fields must hold, per key and side, besides what the mapping
    carries (the lead's verdict); ``hold`` are the keys not to be created in the CRM.
    """
    result = Plan()
    stamps = stamps or {}
    for pair in pairs:
        start = len(result.writes)
        for target in SIDES:
            _plan_side(pair, target, mapping, contexts[target], systems, result,
                       stamps.get(pair.key, {}).get(target, {}), pair.key in hold)
        for write in result.writes[start:]:
            _plan_backflow(pair, write, mapping, contexts[other(write.side)], systems, result)
    return result


def _plan_backflow(pair: Pair, write: PlannedWrite, mapping: FieldMapping,
                   ctx: TransformContext, systems: Mapping[Side, str], result: Plan) -> None:
    """Values a write puts on one side that one-way rules carry back to the other.

    Creating a lead in the CRM gives it a status; the rule that shows the CRM status in the
    marketing platform must see it now, not on the next run, or the next run is not a no-op.
    These writes go after the others, and only if the write they follow was confirmed.
    """
    back = other(write.side)
    record = pair.records[back]
    if record is None or record.deleted:
        return
    fields: dict[str, FieldValue] = {}
    for rule in mapping.rules_to(back):
        name = rule.source_field(back)
        if rule.flows_to(write.side) or name not in write.op.fields:
            continue
        try:
            value = rule.convert(write.op.fields[name], back, ctx)
        except (Skip, TransformError):
            continue
        if not _same(rule, value, _current(pair, rule, back, systems)):
            fields[rule.target_field(back)] = value
    if fields:
        result.writes.append(PlannedWrite(back, WriteOp(pair.key, fields, record.id),
                                          write.source, False, record, follows=write.op.key))


def _plan_side(pair: Pair, target: Side, mapping: FieldMapping, ctx: TransformContext,
               systems: Mapping[Side, str], result: Plan, stamps: Mapping[str, FieldValue],
               held: bool) -> None:
    source_side = other(target)
    source = pair.records[source_side]
    current = pair.records[target]
    if current is not None and (current.read_only or current.deleted):
        return  # conversion and deletion are followed by their own rules, not overwritten
    carries = source is not None and not source.deleted and source_side in pair.changed
    create = current is None
    if create and not carries:
        return
    if create and held and target == "crm":
        result.held += 1
        return
    fields: dict[str, FieldValue] = {}
    if carries and source is not None:
        carried = _carried(pair, source, target, create, mapping, ctx, systems, result)
        if carried is None:
            return
        fields.update(carried)
    for name, value in stamps.items():
        if create or not _equal(value, _held_value(pair, target, name, systems)):
            fields[name] = value
    if not fields:
        if carries or target in pair.changed:
            result.unchanged[target] += 1
        return
    if create:
        fields = {k: v for k, v in fields.items() if v is not None}
    target_id = None if current is None else current.id
    origin = source if carries else current
    assert origin is not None  # a write carries the source's values or stamps the current
    counterpart = source.id if source is not None else pair.linked_id(source_side)
    result.writes.append(PlannedWrite(target, WriteOp(pair.key, fields, target_id),
                                      origin, create, current, counterpart_id=counterpart))


def _carried(pair: Pair, source: Record, target: Side, create: bool, mapping: FieldMapping,
             ctx: TransformContext, systems: Mapping[Side, str],
             result: Plan) -> dict[str, FieldValue] | None:
    """The values ``source`` carries to ``target``; None when one is refused."""
    fields: dict[str, FieldValue] = {}
    for rule in mapping.rules_to(target):
        if rule.only_on_create and not create:
            continue
        raw = source.fields.get(rule.source_field(target))
        if not create and not _wins(pair, rule, other(target), systems, raw):
            continue
        try:
            value = convert_once(rule, raw, target, ctx, pair.converted)
        except Skip:
            continue
        except TransformError as exc:
            result.refusals.append(Refusal(target, pair.key, source,
                                           rule.source_field(target), str(exc)))
            return None
        if create or not _same(rule, value, _current(pair, rule, target, systems)):
            fields[rule.target_field(target)] = value
    return fields


def _wins(pair: Pair, rule: FieldRule, source_side: Side, systems: Mapping[Side, str],
          raw: FieldValue) -> bool:
    """Whether the source side's value of this rule's field should overwrite the target's.

    A one-way rule does whenever the source holds a value (the source owns the field), and
    with an empty value only when the source cleared it. A two-way rule does when the source
    changed the field and the target did not, or changed it earlier.
    """
    target = other(source_side)
    if not rule.flows_to(source_side):
        return raw not in (None, "") or _changed(pair, source_side, rule, systems)
    source_changed = _changed(pair, source_side, rule, systems)
    target_changed = target in pair.changed and _changed(pair, target, rule, systems)
    if source_changed and target_changed:
        source_record, target_record = pair.records[source_side], pair.records[target]
        assert source_record is not None and target_record is not None
        return source_record.modified_at >= target_record.modified_at
    return source_changed


def _changed(pair: Pair, side: Side, rule: FieldRule, systems: Mapping[Side, str]) -> bool:
    record = pair.records[side]
    if record is None:
        return False
    name = rule.marketing if side == "marketing" else rule.crm
    key = (systems[side], name)
    return key not in pair.ledger or not _equal(record.fields.get(name), pair.ledger[key])


def _current(pair: Pair, rule: FieldRule, target: Side,
             systems: Mapping[Side, str]) -> FieldValue:
    record = pair.records[target]
    name = rule.target_field(target)
    if record is not None and name in record.fields:
        return record.fields[name]
    return pair.ledger.get((systems[target], name))


def _held_value(pair: Pair, side: Side, name: str, systems: Mapping[Side, str]) -> FieldValue:
    """What ``side`` holds in field ``name`` now: as read, else as last remembered."""
    record = pair.records[side]
    if record is not None and name in record.fields:
        return record.fields[name]
    return pair.ledger.get((systems[side], name))


def _same(rule: FieldRule, new: FieldValue, current: FieldValue) -> bool:
    if _equal(new, current):
        return True
    if rule.transform in NORMALIZING:
        try:
            return _equal(new, REGISTRY[rule.transform](current, TransformContext()))
        except TransformError:
            return False
    return False


def values_equal(a: FieldValue, b: FieldValue) -> bool:
    """Equal as the systems mean it: None and "" alike, "5" and 5 alike, "true" and True,
    and the same instant however a vendor writes it."""
    return _equal(a, b)


def _equal(a: FieldValue, b: FieldValue) -> bool:
    """Equal as the systems mean it: None and "" alike, "5" and 5 alike, "true" and True."""
    if a in (None, "") and b in (None, ""):
        return True
    if a is None or b is None:
        return False
    if isinstance(a, bool) or isinstance(b, bool):
        return str(a).lower() == str(b).lower()
    if isinstance(a, int | float) or isinstance(b, int | float):
        try:
            return float(a) == float(b)
        except ValueError:
            return False
    if a == b:
        return True
    return _instant(a) is not None and _instant(a) == _instant(b)


def _instant(value: FieldValue) -> datetime | None:
    """An ISO-8601 timestamp as an instant: vendors write the same moment differently."""
    text = str(value)
    if len(text) < 19 or text[4] != "-" or text[10] != "T":
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("+0000", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
