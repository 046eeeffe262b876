"""Why a planned write puts a value in a field, in words an admin reads in reconcile's report.

The planner (``connector.plan``) decides with the conflict rules of ``connector.conflict``;
this module says, for one field of one write, which rule that was and what in the records made
it go that way: an edit since both sides agreed (the ledger), a blank filled, the later
modification, the side a rule always prefers, the lead definition's verdict, LeadSync's note.
It decides nothing: it reads the pair as the planner saw it.
"""

from __future__ import annotations

from collections.abc import Mapping

from leadsync.connector.mapping import FieldMapping, FieldRule
from leadsync.connector.models import FieldValue, Side
from leadsync.connector.plan import Pair, PlannedWrite, other
from leadsync.connector.values import equal


def decision(pair: Pair | None, write: PlannedWrite, name: str, mapping: FieldMapping,
             names: Mapping[Side, str], notes: Mapping[Side, str]) -> tuple[str, str]:
    """(rule, why) for field ``name`` of ``write``."""
    target = write.side
    source = other(target)
    if name == notes[target]:
        return "on_delete", "LeadSync's note on what became of the other side's record"
    if any(sides.get(target) == name for sides in mapping.view.verdict.values()):
        return "lead definition", "the verdict of the lead definition in force"
    rule = next((r for r in mapping.rules_to(target) if r.target_field(target) == name), None)
    if rule is None:
        return "leadsync", "a field LeadSync sets itself"
    conflict = str(rule.conflict)
    if write.create:
        return conflict, f"no record in {names[target]}: created from {names[source]}"
    if write.follows is not None:
        return conflict, (f"carried back: what {names[source]} holds after LeadSync's write "
                          f"there")
    if pair is None:
        return conflict, ""
    return conflict, why(conflict, pair, rule, target, names)


def why(conflict: str, pair: Pair, rule: FieldRule, target: Side,
        names: Mapping[Side, str]) -> str:
    """What made ``conflict`` carry the other side's value of ``rule`` to ``target``."""
    source = other(target)
    here, there = names[target], names[source]
    value = {side: _value(pair, rule, side) for side in (target, source)}
    agreed = {side: pair.ledger.get((names[side], _field(rule, side))) for side in (target, source)}
    known = all((names[side], _field(rule, side)) in pair.ledger for side in (target, source))
    edited = {side: known and not equal(value[side], agreed[side]) for side in (target, source)}
    change = "cleared" if value[source] in (None, "") else "changed"
    if conflict == f"always_{source}":
        cleared = f" (cleared there since both agreed on {agreed[source]!r})" if (
            edited[source] and change == "cleared") else ""
        return f"{there}'s value always wins{cleared}"
    if conflict == f"prefer_{source}_unless_blank":
        return f"{there}'s value wins whenever it has one"
    if conflict in (f"prefer_{target}_unless_blank", "fill_blank_only"):
        return f"blank in {here}: filled from {there}"
    if known and edited[source] and not edited[target]:
        return (f"{change} in {there} since both agreed on {agreed[source]!r}; {here} still "
                f"held the agreed value")
    if known and edited[source]:
        return f"{change} on both sides since both agreed; {_later(pair, target, names)}"
    if value[target] in (None, ""):
        return f"no agreed value, blank in {here}: filled from {there}"
    return f"no agreed value; {_later(pair, target, names)}"


def _later(pair: Pair, target: Side, names: Mapping[Side, str]) -> str:
    """Why the side other than ``target`` won on time: it was modified later, or a tie."""
    stamps = {side: record.modified_at if (record := pair.records[side]) else None
              for side in (target, other(target))}
    if stamps[target] is not None and stamps[target] == stamps[other(target)]:
        return f"modified at the same instant: {names['crm']}, the CRM, wins ties"
    return f"{names[other(target)]} was modified later"


def _field(rule: FieldRule, side: Side) -> str:
    return rule.marketing if side == "marketing" else rule.crm


def _value(pair: Pair, rule: FieldRule, side: Side) -> FieldValue:
    record = pair.records[side]
    return None if record is None else record.fields.get(_field(rule, side))
