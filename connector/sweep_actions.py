"""What an SLA sweep decided to do: its actions, audit events, counts and new clock states.

``connector.sweep_plan`` returns a ``SweepPlan``; the job applies it through the ports:

- ``FieldWrite``: an upsert of fields on one record (``side`` ``crm`` or ``marketing``). Those
  with ``after`` set belong to a recycle: they go only if the CRM took that lead's write.
- ``TaskAction``: a task for a person (an escalation to the owner's manager).
- ``Notification``: an event for the notifier (the webhook).
- ``NurtureAdd``: a recycled marketing record added to the nurture list (``after`` as above).

``Assignment`` (a new lead given to a pool rep, a breached one reassigned) and ``Recycle`` name
those decisions with their keys; their effects travel in the lead's CRM ``FieldWrite``.

Every action has a deterministic ``key``: the same clock and decision give the same key in any
run (``action_key``), so that a ledger can later make each effect happen exactly once. Field
writes are upserts recomputed by every sweep, so their key also names the sweep's instant.

Some audit events wait for their action's outcome: ``TaskAction.audit`` gets the task's id and
whether it was created, ``Notification.audit`` whether it was delivered (``delivered``).
``SweepPlan.settle(refused)`` then gives the clock rows to save: a clock whose recycle the CRM
refused runs on as it was (the next sweep recycles again), and the counts say so.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from leadsync.connector.models import Record, Side, TaskSpec, WriteOp, WriteResult
from leadsync.connector.sla import AT_RISK, BREACHED, MET, PENDING, Clock

OPEN_STATUSES = (PENDING, AT_RISK, MET, BREACHED)


def action_key(clock: Clock, what: str) -> str:
    """``<lead key>/<handoff epoch>:<what>``: one clock's decision, the same in every run."""
    return f"{clock.key}/{int(clock.deadlines.handoff_at.timestamp())}:{what}"


@dataclass(slots=True)
class AuditEvent:
    key: str  # the lead key
    email: str | None
    at: datetime
    event: str  # handoff, touch, breach, escalated, webhook, assigned, reassigned, ...
    policy: str | None
    reason: str
    details: dict[str, Any]

    def as_row(self) -> dict[str, Any]:
        return {"key": self.key, "email": self.email, "at": self.at, "event": self.event,
                "policy": self.policy, "reason": self.reason, "details": self.details}


@dataclass(frozen=True, slots=True)
class FieldWrite:
    key: str
    side: Side
    op: WriteOp
    after: str | None = None  # the CRM id whose write must go through first (a recycle)


@dataclass(frozen=True, slots=True)
class TaskAction:
    key: str
    task: TaskSpec
    audit: AuditEvent  # "escalated": completed by ``done``

    def done(self, result: WriteResult) -> None:
        self.audit.details.update(task=result.id, ok=result.ok)


@dataclass(frozen=True, slots=True)
class Notification:
    key: str
    event: dict[str, Any]  # the body the notifier sends
    audit: AuditEvent  # "webhook": completed by ``delivered``

    def delivered(self, result: WriteResult) -> None:
        self.audit.details["ok"] = result.ok
        if not result.ok:
            self.audit.reason = f"{self.audit.reason}; webhook failed: {result.code}"


@dataclass(frozen=True, slots=True)
class NurtureAdd:
    key: str
    list_name: str
    marketing_id: str
    after: str  # the CRM id whose recycle must go through first


@dataclass(frozen=True, slots=True)
class Assignment:
    key: str
    crm_id: str
    from_id: str | None
    to_id: str
    reason: str  # "round robin" for a new lead, the breach for a reassignment


@dataclass(frozen=True, slots=True)
class Recycle:
    key: str
    crm_id: str
    before: tuple[datetime | None, str | None, str]  # recycled_at, reason, status before


@dataclass
class SweepResult:
    leads: int = 0
    started: int = 0
    statuses: Counter[str] = field(default_factory=Counter)
    breaches: int = 0
    escalations: int = 0
    reassignments: int = 0
    recycled: int = 0
    resolved: int = 0
    written: int = 0
    failed: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {**{k: v for k, v in vars(self).items() if k != "statuses"},
                "statuses": dict(self.statuses)}


@dataclass(frozen=True, slots=True)
class Judged:
    clock: Clock
    crm_id: str
    status: str


@dataclass
class SweepPlan:
    now: datetime
    judged: dict[str, Judged] = field(default_factory=dict)  # by lead key
    writes: list[FieldWrite] = field(default_factory=list)
    tasks: list[TaskAction] = field(default_factory=list)
    notifications: list[Notification] = field(default_factory=list)
    nurture: list[NurtureAdd] = field(default_factory=list)
    assignments: list[Assignment] = field(default_factory=list)
    recycles: dict[str, Recycle] = field(default_factory=dict)  # by CRM id
    events: list[AuditEvent] = field(default_factory=list)
    position: int | None = None  # the round robin's, to save; None without a pool
    result: SweepResult = field(default_factory=SweepResult)
    # what it was planned from: the CRM leads by id, the stored clocks by lead key
    leads: Mapping[str, Record] = field(default_factory=dict)
    stored: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def writes_to(self, side: Side, refused: Collection[str] = ()) -> list[WriteOp]:
        """The writes for ``side``, without those that wait on a refused CRM write."""
        return [w.op for w in self.writes
                if w.side == side and (w.after is None or w.after not in refused)]

    def nurture_ids(self, refused: Collection[str] = ()) -> dict[str, list[str]]:
        """Marketing ids to add, by list, without those whose recycle was refused."""
        lists: dict[str, list[str]] = {}
        for add in self.nurture:
            if add.after not in refused:
                lists.setdefault(add.list_name, []).append(add.marketing_id)
        return lists

    def settle(self, refused: Collection[str]) -> list[dict[str, Any]]:
        """The clock rows to save once the CRM writes are done; ``refused``: the CRM ids whose
        write was refused. A refused recycle puts its clock back: it runs on."""
        rows = []
        for key, judged in self.judged.items():
            clock, status = judged.clock, judged.status
            recycle = self.recycles.get(judged.crm_id)
            if recycle is not None and judged.crm_id in refused:
                clock.recycled_at, clock.recycle_reason, clock.status = recycle.before
                status = clock.status
                self.result.recycled -= 1
            rows.append({"key": key, "crm_id": judged.crm_id, "owner_id": clock.owner_id,
                         "status": status, "handoff_at": clock.deadlines.handoff_at,
                         "open": status in OPEN_STATUSES, "clock": clock.to_json()})
            self.result.statuses[status] += 1
        self.result.leads = len(self.judged)
        return rows
