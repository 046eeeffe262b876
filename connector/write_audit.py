"""The sync's writes in a lead's audit trail: what was written where, by which rule, and why.

Every confirmed write of a sync pass becomes one audit event (``sync_create`` for a record
the write made, ``sync_write`` for an update), recorded by ``connector.commit`` in the very
transaction that commits the batch's links and ledger. So:

- a write refused by the system is parked (``connector.deadletter``), never audited as done;
- a pass killed between the call and the commit leaves neither the ledger nor the event; the
  next pass plans the write again and records it once, when it is confirmed. (A write the
  system took before the kill, and that the next pass finds already agreed on both sides, is
  not written again and so gets no event of its own; the ledger then records the agreement.)
- a dry run commits nothing, so it records nothing.

One event per written record, not per field, keeps the cost at one batched insert per
confirmed batch. Its ``details``::

    {"system": "salesforce", "record_id": "00Q...", "from": "hubspot", "source_id": "51",
     "run_id": 7, "fields": [{"field": "FirstName", "before": "Ann", "after": "Anne",
                              "rule": "two_way", "winner": "hubspot",
                              "why": "changed in hubspot since both agreed on 'Ann'; ..."}]}

``before`` is what the target held as read (absent on a create). ``rule`` is the field's
conflict rule (or ``lead definition``, ``on_delete``, ``leadsync`` for the values LeadSync sets
itself) and ``winner`` the system whose value went across (``leadsync`` for those). The rule
and the reason come from ``connector.decisions``, which reconcile's report uses too.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from leadsync.connector.models import FieldValue, Side, WriteResult
from leadsync.connector.plan import Pair, PlannedWrite, other

# (rule, why) for one field of a write: ``connector.decisions.decision`` with the mapping bound
Explain = Callable[[Pair | None, PlannedWrite, str], tuple[str, str]]
# the rules whose value is LeadSync's own, not either system's
OWN_RULES = frozenset({"lead definition", "on_delete", "leadsync"})
CREATE, WRITE = "sync_create", "sync_write"
EVENTS = (CREATE, WRITE)


def write_events(side: Side, batch: Sequence[PlannedWrite], results: Sequence[WriteResult],
                 pairs: Mapping[str, Pair], names: Mapping[Side, str],
                 explain: Explain | None, run_id: int | None, at: datetime
                 ) -> list[dict[str, Any]]:
    """The audit events of the confirmed writes of one batch written to ``side``."""
    events = []
    target, source_name = names[side], names[other(side)]
    for planned, outcome in zip(batch, results, strict=True):
        if not outcome.ok:
            continue
        pair = pairs.get(planned.op.key)
        created = planned.follows is None and (outcome.created or planned.create)
        fields = [_field(planned, name, value, pair, created, explain, source_name)
                  for name, value in planned.op.fields.items()]
        record_id = outcome.id or planned.op.target_id
        # a write of LeadSync's own values alone (a verdict stamp) comes from no other record
        came_from = source_name if (planned.follows is not None
                                    or planned.source.system != target) else "leadsync"
        if created:
            reason = f"created in {target} from {came_from}"
        else:
            shown = ", ".join(f["field"] for f in fields[:4]) + (", ..." if len(fields) > 4
                                                                 else "")
            reason = f"{len(fields)} field{'s' * (len(fields) != 1)} written in {target}: {shown}"
        events.append({
            "key": planned.op.key, "email": _email(pair, side), "at": at,
            "event": CREATE if created else WRITE, "policy": None, "reason": reason,
            "details": {"system": target, "record_id": record_id, "from": came_from,
                        "source_id": planned.source.id, "run_id": run_id,
                        "fields": fields}})
    return events


def _field(planned: PlannedWrite, name: str, value: FieldValue, pair: Pair | None,
           created: bool, explain: Explain | None, source_name: str) -> dict[str, Any]:
    rule, why = explain(pair, planned, name) if explain is not None else ("", "")
    entry: dict[str, Any] = {"field": name}
    if not created:
        current = planned.current
        entry["before"] = plain(current.fields.get(name) if current is not None else None)
    entry["after"] = plain(value)
    entry["rule"] = rule
    entry["winner"] = "leadsync" if rule in OWN_RULES else source_name
    if why:
        entry["why"] = why
    return entry


def _email(pair: Pair | None, side: Side) -> str | None:
    """The lead's normalised email: as the other side holds it, else as this side does."""
    if pair is None:
        return None
    return pair.email(other(side)) or pair.email(side)


def plain(value: Any) -> Any:
    """``value`` as JSON holds it: instants as ISO-8601, decimals as text."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value
