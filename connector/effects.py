"""Every SLA effect exactly once: the effects a sweep did, by their actions' keys.

A sweep's plan (``connector.sweep_actions``) names each effect by a deterministic key: the
same clock and decision give the same key in every run. ``Effects`` is the apply step's view of
the store's ``effects`` table: which of a plan's keys are done, and the record of each effect
made the moment its system confirms it, before the next call, so that a sweep that dies
anywhere (kill -9, the daily API limit, an exception) leaves a record of all it did but the
effect in flight. That one carries its key on the vendor record (a task's key field) or to the
receiver (a notification's ``Idempotency-Key``).

A repeated sweep (its clocks were not saved, so it decides the same again) then:

- ``make_tasks``: completes a task recorded as done from the record; finds a task made but not
  recorded (the sweep died in between) by its key in the CRM and records it; creates only the
  rest, each with its key on the task;
- ``notify``: sends only the notifications not recorded as delivered;
- ``follow_recorded``: repeats a reassignment or recycle already done as it was done (the same
  rep; the same recycle stamp, reason and count), so that the lead, the audit and the counts
  do not change twice: both are field writes, idempotent by value;
- ``record_changes``: records the reassignments and recycles whose CRM write went through.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from leadsync.connector.compliance import iso
from leadsync.connector.leadview import LeadView
from leadsync.connector.models import FieldValue, SalesProcess, Side, WriteResult
from leadsync.connector.ports import Activities, Notifier
from leadsync.connector.qualify import instant
from leadsync.connector.store import Effect, Store
from leadsync.connector.sweep_actions import FieldWrite, Notification, SweepPlan, TaskAction

TASK, NOTIFICATION, ASSIGNMENT, RECYCLE = "task", "notification", "assignment", "recycle"
TASK_BATCH = 200  # tasks created between two records of what was made


def recycle_fields(view: LeadView, process: SalesProcess) -> set[str]:
    """The CRM fields a recycle sets: the status, and the recycle stamp, reason and count."""
    return {process.status, *filter(None, (view.sla_field(name, "crm") for name in (
        "recycled_at", "recycle_reason", "recycle_count")))}


def plan_keys(plan: SweepPlan) -> list[str]:
    """The keys of every effect in ``plan`` that is done once."""
    return [*(t.key for t in plan.tasks), *(n.key for n in plan.notifications),
            *(a.key for a in plan.assignments), *(r.key for r in plan.recycles.values())]


@dataclass
class Effects:
    """The effects of one connection already done, read once per sweep, recorded one by one."""

    store: Store
    connection: str
    done: dict[str, Effect] = field(default_factory=dict)
    recorded: int = 0  # effects this sweep did and recorded
    found: int = 0  # tasks a dead sweep made, found by their key and recorded
    skipped: int = 0  # effects in the plan already recorded as done

    @classmethod
    def of(cls, store: Store, connection: str, plan: SweepPlan) -> Effects:
        return cls(store, connection, store.effects(connection, plan_keys(plan)))

    def record(self, key: str, kind: str, target: str | None,
               details: Mapping[str, Any] | None = None, found: bool = False) -> None:
        """Record an effect done by this sweep, or (``found``) one a dead sweep did."""
        effect = Effect(key, kind, target, dict(details or {}))
        self.store.record_effect(self.connection, effect)
        self.done[key] = effect
        if found:
            self.found += 1
        else:
            self.recorded += 1

    def counts(self) -> dict[str, int]:
        return {"recorded": self.recorded, "found": self.found, "skipped": self.skipped}


def make_tasks(effects: Effects, activities: Activities, actions: Sequence[TaskAction]) -> None:
    """Each task of ``actions`` once; see the module docstring."""
    todo = []
    for action in actions:
        effect = effects.done.get(action.key)
        if effect is not None:
            effects.skipped += 1
            action.done(WriteResult(action.key, True, effect.target))
        else:
            todo.append(action)
    if not todo:
        return
    found = activities.tasks_by_key([a.key for a in todo])
    missing = []
    for action in todo:
        if action.key in found:
            effects.record(action.key, TASK, found[action.key], {"found": True}, found=True)
            action.done(WriteResult(action.key, True, found[action.key]))
        else:
            missing.append(action)
    for chunk in _chunks(missing, TASK_BATCH):
        results = activities.create_tasks([replace(a.task, key=a.key) for a in chunk])
        for action, result in zip(chunk, results, strict=True):
            action.done(result)
            if result.ok:
                effects.record(action.key, TASK, result.id)


def notify(effects: Effects, notifier: Notifier | None,
           notifications: Sequence[Notification]) -> None:
    """Each notification delivered once: those recorded as delivered are not sent again."""
    for notification in notifications:
        if notification.key in effects.done:
            effects.skipped += 1
            notification.delivered(WriteResult(notification.key, True))
            continue
        if notifier is None:
            continue
        result = notifier.notify(notification.key, notification.event)
        notification.delivered(result)
        if result.ok:
            effects.record(notification.key, NOTIFICATION, None, {"code": result.code})


def follow_recorded(plan: SweepPlan, done: Mapping[str, Effect], owner_field: str,
                    recycle_fields: Collection[str]) -> int:
    """Make ``plan`` repeat the reassignments and recycles already done as they were done;
    how many it changed. ``owner_field``: the CRM's owner field; ``recycle_fields``: the CRM
    fields a recycle sets (status, stamp, reason, count)."""
    by_crm = {j.crm_id: j for j in plan.judged.values()}
    changed = 0
    for index, assignment in enumerate(plan.assignments):
        effect = done.get(assignment.key)
        to = effect.details.get("to") if effect else None
        if not to or to == assignment.to_id:
            continue
        plan.assignments[index] = replace(assignment, to_id=to)
        _set(plan, "crm", assignment.crm_id, {owner_field: to})
        judged = by_crm.get(assignment.crm_id)
        if judged is not None:
            if judged.clock.owner_id == assignment.to_id:
                judged.clock.owner_id = to
            for event in plan.events:
                if (event.key == judged.clock.key and event.event in ("assigned", "reassigned")
                        and event.details.get("to") == assignment.to_id):
                    event.details["to"] = to
        changed += 1
    for crm_id, recycle in plan.recycles.items():
        effect = done.get(recycle.key)
        judged = by_crm.get(crm_id)
        if effect is None or judged is None:
            continue
        judged.clock.recycled_at = instant(effect.details.get("at")) or judged.clock.recycled_at
        judged.clock.recycle_reason = effect.details.get("reason", judged.clock.recycle_reason)
        crm = effect.details.get("crm") or {}
        _set(plan, "crm", crm_id, {k: v for k, v in crm.items() if k in recycle_fields})
        _set(plan, "marketing", crm_id, effect.details.get("marketing") or {})
        changed += 1
    return changed


def record_changes(effects: Effects, plan: SweepPlan, refused: Collection[str],
                   recycle_fields: Collection[str]) -> None:
    """Record the reassignments and recycles whose CRM write went through (not ``refused``)."""
    for assignment in plan.assignments:
        if assignment.crm_id in refused or assignment.key in effects.done:
            continue
        effects.record(assignment.key, ASSIGNMENT, assignment.crm_id,
                       {"from": assignment.from_id, "to": assignment.to_id})
    by_crm = {j.crm_id: j for j in plan.judged.values()}
    for crm_id, recycle in plan.recycles.items():
        judged = by_crm.get(crm_id)
        if crm_id in refused or recycle.key in effects.done or judged is None:
            continue
        crm = _write(plan, "crm", crm_id)
        marketing = _write(plan, "marketing", crm_id)
        effects.record(recycle.key, RECYCLE, crm_id, {
            "at": iso(judged.clock.recycled_at), "reason": judged.clock.recycle_reason,
            "crm": {k: v for k, v in (crm.op.fields.items() if crm else ())
                    if k in recycle_fields},
            "marketing": dict(marketing.op.fields) if marketing else {}})


def _write(plan: SweepPlan, side: Side, crm_id: str) -> FieldWrite | None:
    """The CRM lead's write, or on the marketing side the write of its recycle."""
    return next((w for w in plan.writes if w.side == side and
                 (w.op.target_id == crm_id if side == "crm" else w.after == crm_id)), None)


def _set(plan: SweepPlan, side: Side, crm_id: str, values: Mapping[str, FieldValue]) -> None:
    write = _write(plan, side, crm_id)
    if write is None or not values:
        return
    op = replace(write.op, fields={**write.op.fields, **values})
    plan.writes[plan.writes.index(write)] = replace(write, op=op)


def _chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


__all__ = ["ASSIGNMENT", "NOTIFICATION", "RECYCLE", "TASK", "Effects", "follow_recorded",
           "make_tasks", "notify", "plan_keys", "record_changes", "recycle_fields"]
