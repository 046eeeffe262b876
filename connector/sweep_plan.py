"""The SLA sweep, decided with no I/O: every handed-off lead held to its policy, once a run.

As ``connector.plan`` is for the sync, ``SweepPlanner`` takes what the CRM and the state store
hold (``SweepInputs``: the CRM leads, the stored clocks, the reps, the pool and its position)
and the rules (``SweepRules``: policies, calendars, ``[sla]`` settings, the CRM's sales process,
the mapping's lead view), and returns a ``SweepPlan`` (``connector.sweep_actions``). Two steps,
because which touches to read depends on which clocks run:

1. ``open()``: each lead's stored clock, or a new one at handoff (``Clock.start`` on the
   calendar ``resolve_calendar`` gives, the one path for starting a clock), or none (no policy
   covers the lead; its clock has stopped: recycled or resolved, unless the lead qualified again
   after that, which is a new handoff). A new lead owned by nobody in the pool goes to the next
   eligible rep. Returns the ``TouchWindow`` to read touches for, or None.
2. ``plan(touches, counterparts)``: counts the new touches, judges every clock (``assess``),
   acts once on each new breach (a task for the owner's manager and a notification when the
   policy escalates; the next eligible rep when it reassigns), recycles a lead whose cadence
   ended unconverted (CRM status, marketing fields, the nurture list), and writes the compliance
   fields that changed. Everything decided is an audit event with the policy and the reason.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from leadsync.connector.calendar import BusinessCalendar
from leadsync.connector.compliance import changed_fields, clock_values, iso
from leadsync.connector.errors import ConfigError
from leadsync.connector.leadview import LeadView
from leadsync.connector.models import FieldValue, Record, SalesProcess, TaskSpec, WriteOp
from leadsync.connector.policies import DEFAULT_CALENDAR, resolve_calendar
from leadsync.connector.qualify import instant
from leadsync.connector.routing import Rep, RoundRobin, compliance
from leadsync.connector.sla import Clock, Policy, Touch, assess, select_policy
from leadsync.connector.sla_settings import SlaSettings
from leadsync.connector.sweep_actions import (
    OPEN_STATUSES,
    Assignment,
    AuditEvent,
    FieldWrite,
    Judged,
    Notification,
    NurtureAdd,
    Recycle,
    SweepPlan,
    TaskAction,
    action_key,
)


@dataclass(frozen=True, slots=True)
class SweepRules:
    """What the config and the systems' shape say; the same for every lead of a run."""

    policies: Sequence[Policy]
    calendars: Mapping[str, BusinessCalendar]  # by name, from [calendars] and 24x7
    settings: SlaSettings
    process: SalesProcess  # the CRM's, with [sla]'s status values
    view: LeadView  # the mapping's [lead], [verdict] and [sla_fields]
    key_field: str  # the CRM field that holds LeadSync's key
    crm_name: str = "the CRM"  # the config's name for the CRM, for messages
    on_recycle: Mapping[str, str] = field(default_factory=dict)  # marketing fields, recycled
    lists: bool = False  # the marketing system keeps lists (the nurture list)

    def policy(self, name: str) -> Policy:
        for policy in self.policies:
            if policy.name == name:
                return policy
        raise ConfigError(f"the clock's policy {name!r} is no longer in the config; restore it "
                          f"or resolve its leads", "sla.policies")

    def sla_fields(self, side: str) -> dict[str, str]:
        return {name: field for name, sides in self.view.sla.items()
                for where, field in sides.items() if where == side}


@dataclass(frozen=True, slots=True)
class SweepInputs:
    """What the CRM and the state store hold at ``now``."""

    now: datetime
    leads: Mapping[str, Record]  # CRM leads by id: the qualified, and those of open clocks
    stored: Mapping[str, Mapping[str, Any]]  # every stored clock by lead key (state store rows)
    reps: Mapping[str, Rep]  # by CRM user id
    pool: Sequence[Rep] | None = None  # the round robin's reps, in order; None: no pool
    position: int = 0  # the round robin's, as saved by the last sweep


@dataclass(frozen=True, slots=True)
class TouchWindow:
    record_ids: list[str]  # the CRM leads of running clocks
    since: datetime  # the earliest handoff among them


@dataclass(frozen=True, slots=True)
class Counterpart:
    """A CRM lead's linked marketing record."""

    marketing_id: str
    key: str


class SweepPlanner:
    def __init__(self, rules: SweepRules, inputs: SweepInputs) -> None:
        self.rules, self.inputs, self.now = rules, inputs, inputs.now
        self.process, self.view = rules.process, rules.view
        self.plan = SweepPlan(inputs.now, leads=inputs.leads, stored=inputs.stored)
        self.result = self.plan.result
        self.escalate_to = self._escalate_to()
        self.pool = self._pool()
        self.calendars = dict(rules.calendars)
        if rules.settings.default_calendar in rules.calendars:
            self.calendars[DEFAULT_CALENDAR] = rules.calendars[rules.settings.default_calendar]
        self.clocks: dict[str, tuple[Clock, Record]] = {}
        self.crm: dict[str, dict[str, FieldValue]] = defaultdict(dict)  # crm id -> fields
        self.keys: dict[str, str] = {}  # crm id -> lead key
        self.marketing: list[FieldWrite] = []

    # step 1: the clocks
    def open(self) -> TouchWindow | None:
        for lead in self.inputs.leads.values():
            key = self.keys[lead.id] = str(lead.fields.get(self.rules.key_field) or lead.id)
            entry = self.inputs.stored.get(key)
            if entry is not None and entry["status"] not in OPEN_STATUSES:
                if not self._handed_off_again(lead, Clock.from_json(entry["clock"])):
                    continue  # recycled or resolved: its clock stays stopped
                entry = None
            clock = Clock.from_json(entry["clock"]) if entry else self._start(key, lead)
            if clock is not None:
                self.clocks[key] = (clock, lead)
        running = [(c, lead) for c, lead in self.clocks.values() if c.status in OPEN_STATUSES]
        if not running:
            return None
        return TouchWindow([lead.id for _, lead in running],
                           min(c.deadlines.handoff_at for c, _ in running))

    def _start(self, key: str, lead: Record) -> Clock | None:
        facts = {"grade": self._verdict(lead, "grade"), "hot": self._verdict(lead, "hot"),
                 "lead_source": self._lead_value(lead, "lead_source"),
                 "country": self._lead_value(lead, "country")}
        policy = select_policy(self.rules.policies, facts)
        if policy is None:
            return None
        handoff = instant(self._verdict(lead, "qualified_at")) or self.now
        owner = lead.fields.get(self.process.owner)
        if self.pool is not None and str(owner) not in {rep.id for rep in self.pool.pool}:
            owner = self._assign(key, lead, policy, self.pool, handoff) or owner
        rep = self.inputs.reps.get(str(owner))
        calendar = resolve_calendar(policy, self.calendars, rep.time_zone if rep else None)
        clock = Clock.start(key, policy, calendar, handoff, str(owner) if owner else None)
        self.result.started += 1
        again = ""
        if lead.fields.get(self.process.status) == self.process.nurture_status:
            # recycled, engaged again and qualified again: back to sales as a new lead
            self.crm[lead.id][self.process.status] = self.process.reopen_status
            again = (f" (handed off again after a recycle; status "
                     f"{self.process.reopen_status})")
        self._event(key, lead, "handoff", policy.name,
                    f"SLA {policy.name} started at {iso(handoff)} on calendar {clock.calendar}"
                    f"{again}",
                    {"first_touch_by": iso(clock.deadlines.first_touch_by),
                     "cadence_end": iso(clock.deadlines.cadence_end), "owner": owner})
        return clock

    def _handed_off_again(self, lead: Record, clock: Clock) -> bool:
        """A stopped clock's lead qualified again after the clock stopped: a new handoff."""
        stopped = clock.recycled_at or clock.resolved_at
        qualified_at = instant(self._verdict(lead, "qualified_at"))
        return bool(stopped and qualified_at and qualified_at > stopped)

    # step 2: touches, judgement, actions
    def judge(self, touches: Mapping[str, Sequence[Touch]],
              counterparts: Mapping[str, Counterpart]) -> SweepPlan:
        """The plan, given the touches on each CRM lead (by CRM id) since the window's start
        and the marketing record linked to each (by CRM id)."""
        for clock, lead in self.clocks.values():
            if clock.status not in OPEN_STATUSES:
                continue
            for touch in clock.count(touches.get(lead.id, ())):
                self._event(clock.key, lead, "touch", clock.policy,
                            f"{touch.kind} at {iso(touch.at)}", {"activity": touch.id})
        for key, (clock, lead) in self.clocks.items():
            status = self._judge(clock, lead, counterparts.get(lead.id))
            self.plan.judged[key] = Judged(clock, lead.id, status)
        stamp = int(self.now.timestamp())
        for crm_id, fields in self.crm.items():
            if fields:
                key = self.keys[crm_id]
                self.plan.writes.append(
                    FieldWrite(f"{key}@{stamp}:crm", "crm", WriteOp(key, fields, crm_id)))
        self.plan.writes += self.marketing
        self.plan.position = self.pool.position if self.pool is not None else None
        return self.plan

    def _judge(self, clock: Clock, lead: Record, counterpart: Counterpart | None) -> str:
        policy = self.rules.policy(clock.policy)
        status_value = str(lead.fields.get(self.process.status) or "")
        if status_value in self.process.accepted_statuses:
            clock.accept(self.now)
        converted = self.process.is_converted(lead)
        disqualified = status_value in self.process.disqualified_statuses or lead.deleted
        before = clock.status
        assessment = assess(clock, policy, self.now, converted=converted,
                            disqualified=disqualified)
        if assessment.status == "resolved" and before != "resolved":
            self.result.resolved += 1
            self._event(clock.key, lead, "resolved", policy.name,
                        "converted" if converted else f"disqualified: {status_value}", {})
        for kind in assessment.new_breaches:
            self._breach(clock, lead, policy, kind)
        status = assessment.status
        if assessment.exhausted and policy.on_exhausted == "recycle" and \
                clock.recycled_at is None and status != "resolved":
            self._recycle(clock, lead, assessment.recycle_reason or "cadence ended",
                          counterpart)
            status = "recycled"
        count = int(float(self._sla_value(lead, "recycle_count") or 0))
        if status == "recycled" and clock.recycled_at == self.now:
            count += 1
        wanted = clock_values(clock, status, count if clock.recycled_at else None)
        changes = changed_fields(wanted, self.rules.sla_fields("crm"), lead.fields, self.now)
        if changes and not lead.read_only:  # a converted Salesforce lead refuses every write
            self.crm[lead.id].update(changes)
        return status

    def _breach(self, clock: Clock, lead: Record, policy: Policy, kind: str) -> None:
        if kind in clock.acted:
            return
        clock.acted.add(kind)
        self.result.breaches += 1
        reason = f"{kind.replace('_', ' ')} deadline missed ({_deadline(clock, kind)})"
        self._event(clock.key, lead, "breach", policy.name, reason, {"owner": clock.owner_id})
        if "escalate" in policy.on_breach:
            self._escalate(clock, lead, policy, kind, reason)
        if "reassign" in policy.on_breach and self.pool is not None:
            self._reassign(clock, lead, policy, kind, reason, self.pool)

    def _escalate(self, clock: Clock, lead: Record, policy: Policy, kind: str,
                  reason: str) -> None:
        owner = self.inputs.reps.get(clock.owner_id or "")
        manager = (owner.manager_id if owner else None) or self.escalate_to
        name = self.process.display_name(lead)
        task = TaskSpec(f"{clock.key}:{kind}", lead.id, manager or clock.owner_id,
                        f"SLA breach: {kind.replace('_', ' ')} on {name}"[:255],
                        f"{reason}. Policy {policy.name}; owner "
                        f"{owner.email if owner else clock.owner_id}.", due=self.now)
        if self.rules.settings.webhook_url:
            body = {"event": "sla.breach", "kind": kind, "policy": policy.name,
                    "reason": reason, "lead": {"crm_id": lead.id, "key": clock.key,
                                               "email": lead.fields.get(self.process.email)},
                    "owner_id": clock.owner_id, "at": iso(self.now)}
            audit = self._event(clock.key, lead, "webhook", policy.name, reason, {"ok": None})
            self.plan.notifications.append(
                Notification(action_key(clock, f"{kind}:notify"), body, audit))
        self.result.escalations += 1
        audit = self._event(clock.key, lead, "escalated", policy.name, reason,
                            {"task": None, "to": manager or clock.owner_id, "ok": None})
        self.plan.tasks.append(TaskAction(action_key(clock, f"{kind}:task"), task, audit))

    def _escalate_to(self) -> str | None:
        """The user ``[sla] escalate_to`` names, for owners without a manager."""
        email = (self.rules.settings.escalate_to or "").lower()
        if not email:
            return None
        found = next((rep.id for rep in self.inputs.reps.values()
                      if rep.email.lower() == email), None)
        if found is None:
            raise ConfigError(f"{self.rules.settings.escalate_to!r} is not a user of "
                              f"{self.rules.crm_name}; escalations would go nowhere",
                              "sla.escalate_to")
        return found

    def _assign(self, key: str, lead: Record, policy: Policy, pool: RoundRobin,
                handoff: datetime) -> str | None:
        """A new handoff owned by nobody in the pool (a queue, the integration user) goes to
        the next eligible rep."""
        pick = pool.pick(self.now, self.compliance, self.out_of_office)
        skipped = [f"{rep.email}: {why}" for rep, why in pick.skipped]
        if pick.rep is None:
            self._event(key, lead, "assign_failed", policy.name, "no eligible rep in the pool",
                        {"skipped": skipped})
            return None
        self.crm[lead.id][self.process.owner] = pick.rep.id
        owner = lead.fields.get(self.process.owner)
        self.plan.assignments.append(Assignment(
            f"{key}/{int(handoff.timestamp())}:assign", lead.id,
            str(owner) if owner else None, pick.rep.id, "round robin"))
        self._event(key, lead, "assigned", policy.name, f"round robin: {pick.rep.email}",
                    {"from": owner, "to": pick.rep.id, "skipped": skipped})
        return pick.rep.id

    def _reassign(self, clock: Clock, lead: Record, policy: Policy, kind: str, reason: str,
                  pool: RoundRobin) -> None:
        pick = pool.pick(self.now, self.compliance, self.out_of_office,
                         exclude={clock.owner_id} if clock.owner_id else set())
        skipped = [f"{rep.email}: {why}" for rep, why in pick.skipped]
        if pick.rep is None:
            self._event(clock.key, lead, "reassign_failed", policy.name,
                        "no eligible rep in the pool", {"skipped": skipped})
            return
        self.crm[lead.id][self.process.owner] = pick.rep.id
        self.plan.assignments.append(Assignment(action_key(clock, f"{kind}:reassign"), lead.id,
                                                clock.owner_id, pick.rep.id, reason))
        self._event(clock.key, lead, "reassigned", policy.name, reason,
                    {"from": clock.owner_id, "to": pick.rep.id, "skipped": skipped})
        clock.owner_id = pick.rep.id
        self.result.reassignments += 1

    def _recycle(self, clock: Clock, lead: Record, reason: str,
                 counterpart: Counterpart | None) -> None:
        settings = self.rules.settings
        self.plan.recycles[lead.id] = Recycle(
            action_key(clock, "recycle"), lead.id,
            (clock.recycled_at, clock.recycle_reason, clock.status))
        clock.recycle(self.now, reason)
        self.crm[lead.id][self.process.status] = self.process.nurture_status
        if counterpart is not None:
            count = int(float(self._sla_value(lead, "recycle_count") or 0)) + 1
            fields: dict[str, FieldValue] = dict(self.rules.on_recycle)
            for name, value in (("recycle_reason", reason), ("recycled_at", iso(self.now)),
                                ("recycle_count", count)):
                target = self.view.sla_field(name, "marketing")
                if target:
                    fields[target] = value
            reset = tuple(self.rules.on_recycle)  # the recycle's values are meant, even back
            op = WriteOp(counterpart.key, fields, counterpart.marketing_id, reset=reset)
            self.marketing.append(FieldWrite(action_key(clock, "recycle:marketing"),
                                             "marketing", op, after=lead.id))
            if self.rules.lists and settings.nurture_list:
                self.plan.nurture.append(NurtureAdd(
                    action_key(clock, "recycle:nurture"), settings.nurture_list,
                    counterpart.marketing_id, after=lead.id))
        self.result.recycled += 1
        self._event(clock.key, lead, "recycled", clock.policy, reason,
                    {"crm_status": self.process.nurture_status,
                     "marketing": counterpart.marketing_id if counterpart else None,
                     "list": settings.nurture_list if self.rules.lists else None})

    # the pool
    def _pool(self) -> RoundRobin | None:
        pool = self.rules.settings.pool
        self.compliance: dict[str, float] = {}
        self.out_of_office: dict[str, Any] = {}
        if pool is None or self.inputs.pool is None:
            return None
        by_email = {rep.email.lower(): rep for rep in self.inputs.reps.values()}
        history = [Clock.from_json(c["clock"]) for c in self.inputs.stored.values()]
        self.compliance = compliance(history, self.now, pool.window_days)
        self.out_of_office = {by_email[e.lower()].id: dates for e, dates in
                              pool.out_of_office.items() if e.lower() in by_email}
        return RoundRobin(self.inputs.pool, self.inputs.position, pool.min_compliance,
                          window_days=pool.window_days)

    # reading a lead
    def _lead_value(self, lead: Record, name: str) -> Any:
        """A [lead] field of the mapping, as the CRM record holds it."""
        field_name = next((f.crm for f in self.view.fields if f.name == name), None)
        return lead.fields.get(field_name) if field_name else None

    def _verdict(self, lead: Record, name: str) -> Any:
        field_name = self.view.verdict.get(name, {}).get("crm")
        return lead.fields.get(field_name) if field_name else None

    def _sla_value(self, lead: Record, name: str) -> Any:
        field_name = self.view.sla_field(name, "crm")
        return lead.fields.get(field_name) if field_name else None

    def _event(self, key: str, lead: Record, event: str, policy: str | None, reason: str,
               details: dict[str, Any]) -> AuditEvent:
        email = lead.fields.get(self.process.email)
        made = AuditEvent(key, str(email).lower() if email else None, self.now, event, policy,
                          reason, details)
        self.plan.events.append(made)
        return made


def pool_members(settings: SlaSettings, reps: Mapping[str, Rep],
                 queue: Sequence[str] = ()) -> list[Rep] | None:
    """The round robin's reps: the queue's members (``queue``: their ids, as the CRM lists
    them) when ``[sla.pool] queue`` is set, else the reps ``reps`` names, in that order."""
    pool = settings.pool
    if pool is None:
        return None
    if pool.queue:
        return [reps[i] for i in queue if i in reps]
    by_email = {rep.email.lower(): rep for rep in reps.values()}
    return [by_email[e.lower()] for e in pool.reps if e.lower() in by_email]


def _deadline(clock: Clock, kind: str) -> str:
    moment = {"accept": clock.deadlines.accept_by,
              "first_touch": clock.deadlines.first_touch_by,
              "cadence": clock.deadlines.cadence_end}.get(kind)
    return f"due {iso(moment)}" if moment else kind
