"""The sync's writes in a lead's audit trail: what was written where, by which rule, and why.

Every confirmed write of a sync pass becomes one audit event (``sync_create`` for a record
the write made, ``sync_write`` for an update), so that any value can be traced to its write:

- before a batch is sent, ``intended`` gives the events its writes would make; they are kept
  in the state store under a token (``connector.state_sent``), one row per batch;
- the commit of the confirmed batch (``connector.commit``) records, in the very transaction
  that commits its links and ledger, the events of the writes the system took
  (``confirmed``), and drops the batch's row. A write refused by the system is parked
  (``connector.deadletter``), never audited as done;
- a pass killed between a call and its commit leaves the row. The next pass sees the lead
  again (its cursors did not move): the values of the row it finds both sides holding were
  delivered by that call, and are audited then, once (``recovered``, noted as such); the rest
  is planned again, written, and audited by its own commit. So no confirmed write goes
  without its event and no event is recorded twice or without its write;
- a dry run sends nothing and commits nothing, so it records nothing.

One event per written record, not per field, and one batched insert per confirmed batch keep
the cost low. Its ``details``::

    {"system": "salesforce", "record_id": "00Q...", "from": "hubspot", "source_id": "51",
     "run_id": 7, "carried_back": false,
     "fields": [{"field": "FirstName", "before": "Ann", "after": "Anne", "rule": "two_way",
                 "winner": "hubspot", "why": "changed in hubspot since both agreed on ..."}]}

``before`` is what the target held as read (absent on a create). ``rule`` is the field's
conflict rule (or ``lead definition``, ``on_delete``, ``leadsync`` for the values LeadSync sets
itself) and ``winner`` the system whose value went across (``leadsync`` for those). The rule
and the reason (``why``, given for updates: a create's or a carried-back value's is the event
itself) come from ``connector.decisions``, which reconcile's report uses too.
``carried_back`` marks the values a write put on one side carried back to the other in the
same pass (what Salesforce set on a lead LeadSync created: its owner, its status).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from leadsync.connector.models import FieldValue, Side, WriteResult
from leadsync.connector.plan import Pair, PlannedWrite, other
from leadsync.connector.values import equal

# (rule, why) for one field of a write: ``connector.decisions.decision`` with the mapping bound
Explain = Callable[[Pair | None, PlannedWrite, str], tuple[str, str]]
# the rules whose value is LeadSync's own, not either system's
OWN_RULES = frozenset({"lead definition", "on_delete", "leadsync"})
CREATE, WRITE = "sync_create", "sync_write"
EVENTS = (CREATE, WRITE)


def intended(side: Side, batch: Sequence[PlannedWrite], pairs: Mapping[str, Pair],
             names: Mapping[Side, str], explain: Explain | None, run_id: int | None
             ) -> list[dict[str, Any]]:
    """The events the writes of a batch to ``side`` make if confirmed, one per write, in
    order, JSON-safe (no ``at`` yet)."""
    events = []
    target, source_name = names[side], names[other(side)]
    # the rule of a field created or carried back depends on the field alone: asked once
    same: dict[tuple[str, bool], tuple[str, str]] = {}
    for planned in batch:
        pair = pairs.get(planned.op.key)
        created = planned.follows is None and planned.create
        fields = [_field(planned, name, value, pair, created, _asked(explain, same),
                         source_name) for name, value in planned.op.fields.items()]
        # a write of LeadSync's own values alone (a verdict stamp) comes from no other record
        came_from = source_name if (planned.follows is not None
                                    or planned.source.system != target) else "leadsync"
        events.append({
            "key": planned.op.key, "email": _email(pair, side), "event": WRITE,
            "policy": None, "reason": "",
            "details": {"system": target, "record_id": planned.op.target_id,
                        "from": came_from, "source_id": planned.source.id, "run_id": run_id,
                        "carried_back": planned.follows is not None, "fields": fields}})
    return events


def confirmed(events: Sequence[dict[str, Any]], batch: Sequence[PlannedWrite],
              results: Sequence[WriteResult], at: datetime) -> list[dict[str, Any]]:
    """The events (``intended`` for ``batch``) of the writes the system confirmed."""
    done = []
    for event, planned, outcome in zip(events, batch, results, strict=True):
        if not outcome.ok:
            continue
        created = planned.follows is None and (outcome.created or planned.create)
        details = {**event["details"], "record_id": outcome.id or planned.op.target_id}
        done.append(_stamped(event, details, CREATE if created else WRITE, at))
    return done


def recovered(event: Mapping[str, Any], holds: Mapping[str, Any], record_id: str | None,
              at: datetime) -> dict[str, Any] | None:
    """The part of an ``intended`` event left by a pass that died before its commit that a
    later pass finds delivered: the fields whose value the target now ``holds`` (as both
    sides hold it alike); None when there is none."""
    fields = [f for f in event["details"]["fields"]
              if f["field"] in holds and equal(plain(holds[f["field"]]), f["after"])]
    if not fields:
        return None
    created = "before" not in fields[0]
    details = {**event["details"], "fields": fields,
               "record_id": event["details"]["record_id"] or record_id,
               "note": "confirmed by the next pass: the pass that wrote it stopped before "
                       "its commit"}
    return _stamped(event, details, CREATE if created else WRITE, at)


def _stamped(event: Mapping[str, Any], details: dict[str, Any], kind: str, at: datetime
             ) -> dict[str, Any]:
    target, fields = details["system"], details["fields"]
    if kind == CREATE:
        reason = f"created in {target} from {details['from']}"
    else:
        shown = ", ".join(f["field"] for f in fields[:4]) + (", ..." if len(fields) > 4
                                                             else "")
        reason = f"{len(fields)} field{'s' * (len(fields) != 1)} written in {target}: {shown}"
    return {**event, "event": kind, "reason": reason, "details": details, "at": at}


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
    if why and not created and planned.follows is None:  # a create's says what the event does
        entry["why"] = why
    return entry


def _asked(explain: Explain | None, same: dict[tuple[str, bool], tuple[str, str]]
           ) -> Explain | None:
    """``explain``, remembering its answers for writes whose answer is the field's alone (a
    create, a value carried back: ``connector.decisions`` gives the rule and a fixed reason)."""
    if explain is None:
        return None

    def asked(pair: Pair | None, write: PlannedWrite, name: str) -> tuple[str, str]:
        if not write.create and write.follows is None:
            return explain(pair, write, name)
        key = (name, write.follows is not None)
        if key not in same:
            same[key] = explain(pair, write, name)
        return same[key]
    return asked


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
