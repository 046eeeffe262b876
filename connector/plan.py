"""Sync planning: from what changed on each side to the writes that make both agree.

Planning is pure: it reads records, links and the ledger and returns a ``Plan``; it calls no
system and writes nothing, so ``--dry-run`` shows exactly what a real run would do.

Rules, per linked pair of records and per mapped field:
- the ledger holds, per field, the value both sides were last known to agree on (as each side
  holds it); a field was *edited* on a side when its value differs from that. A value becomes
  agreed only when the write that carries it is confirmed, or when both sides are seen to hold
  it already, so a pass stopped anywhere leaves every undelivered edit still an edit;
- the field's conflict rule (``connector.conflict``) says which side's value goes across:
  ``two_way`` from the side that edited it, the later-modified one when both did; with no agreed
  value (first contact) a blank never overwrites a value. A one-way direction alone means
  ``always_<source>``: the source's value flows whenever it has one, a blank only when the
  source cleared the field;
- a write is planned only when the converted value differs from what the target holds now, so
  our own writes, read back, are not echoed;
- values a write puts on one side that a one-way rule carries back to the other go back in the
  same run, after it (``_plan_backflow``), so a second run with nothing changed writes nothing;
- a record with no counterpart is created on the other side with every field that flows there
  (``only_on_create`` fields included), under a key derived from its source id, so that a run
  repeated after a crash upserts the same record instead of making a second one.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from leadsync.connector.conflict import FieldState, decide
from leadsync.connector.mapping import Conversions, FieldMapping, FieldRule, Skip, convert_once
from leadsync.connector.models import SIDES, FieldValue, Record, Side, WriteOp
from leadsync.connector.store import Link
from leadsync.connector.transforms import NORMALIZING, REGISTRY, TransformContext, TransformError
from leadsync.connector.values import equal as _equal

_KEY_NAMESPACE = uuid.UUID("5f1d7a52-8f0e-4c1b-9a57-2b6c1f0d9e11")
_NAMESPACE_BYTES = _KEY_NAMESPACE.bytes
_CLEARED = ~((0xC000 << 48) | (0xF000 << 64))  # the variant's and the version's bits
_VERSION_5 = (0x8000 << 48) | (5 << 76)


def other(side: Side) -> Side:
    return "crm" if side == "marketing" else "marketing"


def derived_key(connection: str, side: Side, record_id: str) -> str:
    """The LeadSync key for a record first seen on ``side``: the same on every run."""
    # ``uuid.uuid5(_KEY_NAMESPACE, name).hex`` without the UUID object (a record's key is
    # derived several times a pass): SHA-1 of namespace and name, RFC 4122 variant, version 5
    digest = hashlib.sha1(_NAMESPACE_BYTES + f"{connection}/{side}/{record_id}".encode(),
                          usedforsecurity=False).digest()
    value = int.from_bytes(digest[:16], "big") & _CLEARED | _VERSION_5
    return f"{value:032x}"


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


Agreed = dict[Side, dict[str, FieldValue]]  # side -> field -> value


@dataclass(frozen=True)
class PlannedWrite:
    side: Side  # where the write goes
    op: WriteOp
    source: Record  # the record it comes from
    create: bool
    current: Record | None = None  # the target record as read, when it exists
    follows: str | None = None  # a write carried back after the write of this key
    counterpart_id: str | None = None  # the lead's record on the other side, if it has one
    # what each side holds of the fields it carries once the write is confirmed: the values
    # both then agree on, for the ledger (``connector.commit``)
    agreed: Agreed = field(default_factory=lambda: {"marketing": {}, "crm": {}})


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
    # per key, the fields both sides already agree on with no write, as each side holds them
    agreed: dict[str, Agreed] = field(default_factory=dict)

    def for_side(self, side: Side) -> list[PlannedWrite]:
        return [w for w in self.writes if w.side == side]

    def extend(self, more: Plan, keep: int | None = None) -> None:
        """Add the plan of another page of pairs to this one; with ``keep``, only its counts
        and up to ``keep`` writes and refusals in all (a run's plan is then a sample, so that
        a pass of a million leads does not hold a million writes)."""
        if keep is None:
            self.writes += more.writes
            self.refusals += more.refusals
            self.agreed.update(more.agreed)
        else:
            self.writes += more.writes[:max(keep - len(self.writes), 0)]
            self.refusals += more.refusals[:max(keep - len(self.refusals), 0)]
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
            _plan_side(pair, target, mapping, contexts, systems, result,
                       stamps.get(pair.key, {}).get(target, {}), pair.key in hold)
        for write in result.writes[start:]:
            _plan_backflow(pair, write, mapping, contexts[other(write.side)], systems, result)
    return result


def plan_after_create(pair: Pair, created: Record, write: PlannedWrite, mapping: FieldMapping,
                      contexts: Mapping[Side, TransformContext],
                      systems: Mapping[Side, str]) -> PlannedWrite | None:
    """The write that carries back to the other side what a record holds right after ``write``
    created it (``created``, read back): the values the target set itself (the owner and
    status Salesforce gives a new lead) go in the same pass, so the next one has nothing to do.

    It replaces the carried-back write ``_plan_backflow`` planned from the values sent alone.
    """
    ledger = dict(pair.ledger)
    for side in SIDES:
        ledger.update({(systems[side], name): value
                       for name, value in write.agreed[side].items()})
    records = dict(pair.records)
    records[write.side] = created
    after = Pair(pair.key, records, changed={write.side}, ledger=ledger, link=pair.link,
                 marketing_email=pair.marketing_email, crm_email=pair.crm_email)
    result = Plan()
    sent, there = write.op.fields, other(write.side)
    # a rule whose two fields the write made agree (the ledger above says so), with the
    # created record holding what was sent, has nothing to carry back: only the others can
    rules = [rule for rule in mapping.rules_to(there)
             if (name := rule.source_field(there)) not in sent
             or rule.target_field(there) not in write.agreed[there]
             or not _equal(created.fields.get(name), sent[name])]
    _plan_side(after, there, mapping, contexts, systems, result, {}, False, rules)
    if not result.writes:
        return None
    back = result.writes[0]
    return PlannedWrite(back.side, back.op, back.source, False, back.current,
                        follows=write.op.key, counterpart_id=back.counterpart_id,
                        agreed=back.agreed)


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
    agreed: Agreed = {"marketing": {}, "crm": {}}
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
            agreed[back][rule.target_field(back)] = value
            agreed[write.side][name] = write.op.fields[name]
    if fields:
        result.writes.append(PlannedWrite(back, WriteOp(pair.key, fields, record.id),
                                          write.source, False, record, follows=write.op.key,
                                          agreed=agreed))


def _plan_side(pair: Pair, target: Side, mapping: FieldMapping,
               contexts: Mapping[Side, TransformContext], systems: Mapping[Side, str],
               result: Plan, stamps: Mapping[str, FieldValue], held: bool,
               rules: Sequence[FieldRule] | None = None) -> None:
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
    agreed: Agreed = {"marketing": {}, "crm": {}}
    if carries and source is not None:
        carried = _carried(pair, source, target, create, mapping, contexts, systems, result,
                           agreed, rules)
        if carried is None:
            return
        fields.update(carried)
    for name, value in stamps.items():
        if create or not _equal(value, _held_value(pair, target, name, systems)):
            fields[name] = agreed[target][name] = value
    if not fields:
        if carries or target in pair.changed:
            result.unchanged[target] += 1
        return
    if create:
        fields = {k: v for k, v in fields.items() if v is not None}
        agreed[target] = {k: v for k, v in agreed[target].items() if k in fields}
    target_id = None if current is None else current.id
    origin = source if carries else current
    assert origin is not None  # a write carries the source's values or stamps the current
    counterpart = source.id if source is not None else pair.linked_id(source_side)
    result.writes.append(PlannedWrite(target, WriteOp(pair.key, fields, target_id),
                                      origin, create, current, counterpart_id=counterpart,
                                      agreed=agreed))


def _carried(pair: Pair, source: Record, target: Side, create: bool, mapping: FieldMapping,
             contexts: Mapping[Side, TransformContext], systems: Mapping[Side, str],
             result: Plan, agreed: Agreed, rules: Sequence[FieldRule] | None = None
             ) -> dict[str, FieldValue] | None:
    """The values ``source`` carries to ``target`` (by ``rules``, else every rule to it); None
    when one is refused. What they agree on once the write is confirmed is put in ``agreed``;
    what already agrees, in the plan."""
    fields: dict[str, FieldValue] = {}
    source_side, ctx = other(target), contexts[target]
    for rule in mapping.rules_to(target) if rules is None else rules:
        if rule.only_on_create and not create:
            continue
        name = rule.source_field(target)
        raw = source.fields.get(name)
        wins = create or decide(str(rule.conflict), _states(pair, rule, systems, contexts)
                                ) == source_side
        try:
            value = convert_once(rule, raw, target, ctx, pair.converted)
        except Skip:
            continue
        except TransformError as exc:
            if not wins:
                continue  # a value that does not go across is not refused
            result.refusals.append(Refusal(target, pair.key, source, name, str(exc)))
            return None
        if create or not _same(rule, value, _current(pair, rule, target, systems)):
            if wins:
                fields[rule.target_field(target)] = value
                agreed[target][rule.target_field(target)] = value
                agreed[source_side][name] = raw
        elif _holds(pair.records[target], rule.target_field(target)):
            current = pair.records[target]
            assert current is not None
            in_step = result.agreed.setdefault(pair.key, {"marketing": {}, "crm": {}})
            in_step[target][rule.target_field(target)] = current.fields.get(
                rule.target_field(target))
            in_step[source_side][name] = raw
    return fields


def _states(pair: Pair, rule: FieldRule, systems: Mapping[Side, str],
            contexts: Mapping[Side, TransformContext]) -> dict[Side, FieldState]:
    """Each side's field of ``rule`` as it stands to the value both last agreed on.

    The ledger's two values count as agreed only when they match each other through the rule:
    a ledger that recorded an undelivered edit as if it were in step (an older LeadSync,
    stopped mid-pass) is read as no agreement at all. A value that is only the rule's default
    for a blank (``default_to_crm = "[not provided]"``) counts as blank.
    """
    names: dict[Side, str] = {"marketing": rule.marketing, "crm": rule.crm}
    keys = {side: (systems[side], names[side]) for side in SIDES}
    known = all(key in pair.ledger for key in keys.values()) and any(
        _matches(rule, pair.ledger[keys[other(side)]], pair.ledger[keys[side]], side,
                 contexts[side]) for side in SIDES if rule.flows_to(side))
    states: dict[Side, FieldState] = {}
    for side in SIDES:
        record = pair.records[side]
        value = None if record is None else record.fields.get(names[side])
        default = rule.default_to_crm if side == "crm" else rule.default_to_marketing
        agreed = pair.ledger.get(keys[side])
        states[side] = FieldState(value, value in (None, "") or _equal(value, default),
                                  known, known and not _equal(value, agreed),
                                  agreed in (None, "") or _equal(agreed, default),
                                  None if record is None else record.modified_at)
    return states


def _matches(rule: FieldRule, value: FieldValue, held: FieldValue, target: Side,
             ctx: TransformContext) -> bool:
    """Whether ``value`` of the other side, converted to ``target``, is what it ``held``."""
    try:
        return _same(rule, rule.convert(value, target, ctx), held)
    except (Skip, TransformError):
        return False


def _holds(record: Record | None, name: str) -> bool:
    return record is not None and not record.deleted and name in record.fields


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
