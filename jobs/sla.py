"""The SLA sweep: hold every handed-off lead to its policy, on the CRM record, once a run.

For every qualified lead in the CRM (and every clock still open): start its clock at handoff
(deadlines computed once, on its policy's calendar), count new touches from CRM activities,
judge its status, act once on each new breach (escalate to the manager, reassign), recycle it
to marketing when its cadence ends without conversion, and write the compliance fields that
changed. Everything it does is recorded in the audit log with the policy and the reason.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import requests
import structlog
from leadsync.connector.calendar import BusinessCalendar
from leadsync.connector.compliance import changed_fields, clock_values, iso
from leadsync.connector.config import Config
from leadsync.connector.errors import ConfigError
from leadsync.connector.models import Record, TaskSpec, WriteOp
from leadsync.connector.qualify import instant
from leadsync.connector.routing import Rep, RoundRobin, compliance
from leadsync.connector.sla import Clock, Policy, Touch, assess, deadlines, select_policy
from leadsync.connector.sync import SyncEngine
from leadsync.jobs.sla_setup import SlaContext

log = structlog.get_logger("leadsync.sla")
OPEN_STATUSES = ("pending", "at_risk", "met", "breached")


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


class Sweep:
    def __init__(self, ctx: SlaContext, now: datetime,
                 post: Callable[..., Any] = requests.post) -> None:
        self.ctx, self.now, self.post = ctx, now, post
        self.engine: SyncEngine = ctx.engine
        self.store = self.engine.store
        self.connection = self.engine.connection
        self.view = self.engine.mapping.view
        self.process = ctx.process
        self.result = SweepResult()
        self.events: list[dict[str, Any]] = []
        self.crm_writes: dict[str, dict[str, Any]] = defaultdict(dict)  # crm id -> fields
        self.keys: dict[str, str] = {}  # crm id -> lead key
        self.marketing_writes: dict[str, dict[str, Any]] = defaultdict(dict)
        self.nurture: list[str] = []
        self.refused: set[str] = set()  # record ids whose write was refused
        self.recycling: dict[str, tuple[Any, Any, str]] = {}  # key -> clock state before
        self.told: dict[str, str] = {}  # crm id -> marketing id told of its recycle

    # the run
    def run(self) -> SweepResult:
        leads = self._leads()
        stored = self.store.clocks(self.connection, open_only=False)
        reps = {rep.id: rep for rep in self.ctx.activities.reps()}
        if self.ctx.settings.escalate_to and self._escalate_to(reps) is None:
            raise ConfigError(f"{self.ctx.settings.escalate_to!r} is not a user of "
                              f"{self.engine.names['crm']}; escalations would go nowhere",
                              "sla.escalate_to")
        pool = self._pool(reps, stored)
        clocks: dict[str, tuple[Clock, Record]] = {}
        for lead in leads.values():
            key = self._key(lead)
            entry = stored.get(key)
            if entry is not None and entry["status"] not in OPEN_STATUSES:
                if not self._handed_off_again(lead, Clock.from_json(entry["clock"])):
                    continue  # recycled or resolved: its clock stays stopped
                entry = None
            clock = (Clock.from_json(entry["clock"]) if entry
                     else self._start(key, lead, reps, pool))
            if clock is not None:
                clocks[key] = (clock, lead)
        self._count_touches(clocks)
        statuses = {key: self._judge(key, clock, lead, reps, pool)
                    for key, (clock, lead) in clocks.items()}
        self._write()
        saved = []
        for key, (clock, lead) in clocks.items():
            status = statuses[key]
            if lead.id in self.refused and key in self.recycling:
                # the CRM refused the recycle: the clock runs on, and the next sweep recycles
                # again with the config as it is then (the refusal is parked, with its code)
                clock.recycled_at, clock.recycle_reason, clock.status = self.recycling[key]
                status = clock.status
                self.result.recycled -= 1
            saved.append({"key": key, "crm_id": lead.id, "owner_id": clock.owner_id,
                          "status": status, "handoff_at": clock.deadlines.handoff_at,
                          "open": status in OPEN_STATUSES, "clock": clock.to_json()})
            self.result.statuses[status] += 1
        with self.store.transaction() as conn:
            self.store.save_clocks(self.connection, saved, conn)
            self.store.record_events(self.connection, self.events, conn)
            if pool is not None:
                self.store.set_job_value(self.connection, "round_robin", pool.position, conn)
        self.result.leads = len(clocks)
        log.info("sla sweep finished", **self.result.as_dict())
        return self.result

    # reading
    def _leads(self) -> dict[str, Record]:
        """Qualified leads in the CRM, and the leads of clocks still open."""
        crm = self.engine.systems["crm"]
        fields = self.ctx.crm_fields
        qualified = self.view.verdict.get("qualified", {}).get("crm")
        found = {r.id: r for r in crm.lookup(qualified, [True], fields)} if qualified else {}
        missing = [c["crm_id"] for c in self.store.clocks(self.connection).values()
                   if c["crm_id"] not in found]  # open clocks of leads no longer qualified
        if missing:
            found.update({r.id: r for r in crm.lookup(crm.id_field, missing, fields)})
        return found

    def _key(self, lead: Record) -> str:
        key = lead.fields.get(self.engine.systems["crm"].key_field)
        self.keys[lead.id] = str(key or lead.id)
        return self.keys[lead.id]

    def _start(self, key: str, lead: Record, reps: dict[str, Rep],
               pool: RoundRobin | None) -> Clock | None:
        facts = {"grade": self._verdict(lead, "grade"), "hot": self._verdict(lead, "hot"),
                 "lead_source": self._lead_value(lead, "lead_source"),
                 "country": self._lead_value(lead, "country")}
        policy = select_policy(self.ctx.policies, facts)
        if policy is None:
            return None
        handoff = instant(self._verdict(lead, "qualified_at")) or self.now
        owner = lead.fields.get(self.process.owner)
        if pool is not None and str(owner) not in {rep.id for rep in pool.pool}:
            owner = self._assign(key, lead, policy, pool) or owner
        calendar = self._calendar(policy, reps.get(str(owner)))
        clock = Clock(key=key, policy=policy.name, calendar=calendar.name,
                      deadlines=deadlines(policy, calendar, handoff),
                      owner_id=str(owner) if owner else None)
        self.result.started += 1
        again = ""
        process = self.process
        if lead.fields.get(process.status) == process.nurture_status:
            # recycled, engaged again and qualified again: back to sales as a new lead
            self.crm_writes[lead.id][process.status] = process.reopen_status
            again = f" (handed off again after a recycle; status {process.reopen_status})"
        self._event(key, lead, "handoff", policy.name,
                    f"SLA {policy.name} started at {iso(handoff)} on calendar {calendar.name}"
                    f"{again}",
                    {"first_touch_by": iso(clock.deadlines.first_touch_by),
                     "cadence_end": iso(clock.deadlines.cadence_end), "owner": owner})
        return clock

    def _handed_off_again(self, lead: Record, clock: Clock) -> bool:
        """A stopped clock's lead qualified again after the clock stopped: a new handoff."""
        stopped = clock.recycled_at or clock.resolved_at
        qualified_at = instant(self._verdict(lead, "qualified_at"))
        return bool(stopped and qualified_at and qualified_at > stopped)

    def _calendar(self, policy: Policy, rep: Rep | None) -> BusinessCalendar:
        if policy.calendar == "rep":
            base = self.ctx.calendars[self.ctx.settings.default_calendar]
            return base.with_time_zone(rep.time_zone) if rep and rep.time_zone else base
        return self.ctx.calendars[policy.calendar]

    def _lead_value(self, lead: Record, name: str) -> Any:
        """A [lead] field of the mapping, as the CRM record holds it."""
        field_name = next((f.crm for f in self.view.fields if f.name == name), None)
        return lead.fields.get(field_name) if field_name else None

    def _verdict(self, lead: Record, name: str) -> Any:
        field_name = self.view.verdict.get(name, {}).get("crm")
        return lead.fields.get(field_name) if field_name else None

    def _count_touches(self, clocks: dict[str, tuple[Clock, Record]]) -> None:
        running = [(c, lead) for c, lead in clocks.values() if c.status in OPEN_STATUSES]
        if not running:
            return
        since = min(c.deadlines.handoff_at for c, _ in running)
        by_lead: dict[str, list[Touch]] = defaultdict(list)
        ids = [lead.id for _, lead in running]
        for activity in self.ctx.activities.read_activities(ids, since, self.now):
            by_lead[activity.record_id].append(Touch(activity.id, activity.kind, activity.at))
        for clock, lead in running:
            for touch in clock.count(by_lead.get(lead.id, [])):
                self._event(clock.key, lead, "touch", clock.policy,
                            f"{touch.kind} at {iso(touch.at)}", {"activity": touch.id})

    # judging and acting
    def _judge(self, key: str, clock: Clock, lead: Record, reps: dict[str, Rep],
               pool: RoundRobin | None) -> str:
        policy = self.ctx.policy(clock.policy)
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
            self._event(key, lead, "resolved", policy.name,
                        "converted" if converted else f"disqualified: {status_value}", {})
        for kind in assessment.new_breaches:
            self._breach(clock, lead, policy, kind, reps, pool)
        status = assessment.status
        if assessment.exhausted and policy.on_exhausted == "recycle" and \
                clock.recycled_at is None and status != "resolved":
            self._recycle(clock, lead, assessment.recycle_reason or "cadence ended")
            status = "recycled"
        count = int(float(self._sla_value(lead, "recycle_count") or 0))
        if status == "recycled" and clock.recycled_at == self.now:
            count += 1
        wanted = clock_values(clock, status, count if clock.recycled_at else None)
        changes = changed_fields(wanted, self.ctx.sla_fields("crm"), lead.fields, self.now)
        if changes:
            self.crm_writes[lead.id].update(changes)
        return status

    def _sla_value(self, lead: Record, name: str) -> Any:
        field_name = self.view.sla_field(name, "crm")
        return lead.fields.get(field_name) if field_name else None

    def _breach(self, clock: Clock, lead: Record, policy: Policy, kind: str,
                reps: dict[str, Rep], pool: RoundRobin | None) -> None:
        if kind in clock.acted:
            return
        clock.acted.add(kind)
        self.result.breaches += 1
        reason = f"{kind.replace('_', ' ')} deadline missed ({_deadline(clock, kind)})"
        self._event(clock.key, lead, "breach", policy.name, reason, {"owner": clock.owner_id})
        if "escalate" in policy.on_breach:
            self._escalate(clock, lead, policy, kind, reason, reps)
        if "reassign" in policy.on_breach and pool is not None:
            self._reassign(clock, lead, policy, reason, pool)

    def _escalate(self, clock: Clock, lead: Record, policy: Policy, kind: str, reason: str,
                  reps: dict[str, Rep]) -> None:
        owner = reps.get(clock.owner_id or "")
        manager = (owner.manager_id if owner else None) or self._escalate_to(reps)
        name = self.process.display_name(lead)
        task = TaskSpec(f"{clock.key}:{kind}", lead.id, manager or clock.owner_id,
                        f"SLA breach: {kind.replace('_', ' ')} on {name}"[:255],
                        f"{reason}. Policy {policy.name}; owner "
                        f"{owner.email if owner else clock.owner_id}.", due=self.now)
        [result] = self.ctx.activities.create_tasks([task])
        if self.ctx.settings.webhook_url:
            self._webhook(clock, lead, policy, kind, reason)
        self.result.escalations += 1
        self._event(clock.key, lead, "escalated", policy.name, reason,
                    {"task": result.id, "to": manager or clock.owner_id, "ok": result.ok})

    def _escalate_to(self, reps: dict[str, Rep]) -> str | None:
        """The user ``[sla] escalate_to`` names, for owners without a manager."""
        email = (self.ctx.settings.escalate_to or "").lower()
        return next((rep.id for rep in reps.values() if email and rep.email.lower() == email),
                    None)

    def _webhook(self, clock: Clock, lead: Record, policy: Policy, kind: str,
                 reason: str) -> None:
        body = {"event": "sla.breach", "kind": kind, "policy": policy.name, "reason": reason,
                "lead": {"crm_id": lead.id, "key": clock.key,
                         "email": lead.fields.get(self.process.email)},
                "owner_id": clock.owner_id, "at": iso(self.now)}
        try:
            response = self.post(self.ctx.settings.webhook_url, data=json.dumps(body),
                                 headers={"Content-Type": "application/json"}, timeout=10)
            ok = 200 <= int(getattr(response, "status_code", 0)) < 300
        except requests.RequestException as exc:
            ok, reason = False, f"{reason}; webhook failed: {type(exc).__name__}"
        self._event(clock.key, lead, "webhook", policy.name, reason, {"ok": ok})

    def _assign(self, key: str, lead: Record, policy: Policy, pool: RoundRobin) -> str | None:
        """A new handoff owned by nobody in the pool (a queue, the integration user) goes to
        the next eligible rep."""
        pick = pool.pick(self.now, self.ctx.compliance, self.ctx.out_of_office)
        skipped = [f"{rep.email}: {why}" for rep, why in pick.skipped]
        if pick.rep is None:
            self._event(key, lead, "assign_failed", policy.name, "no eligible rep in the pool",
                        {"skipped": skipped})
            return None
        self.crm_writes[lead.id][self.process.owner] = pick.rep.id
        self._event(key, lead, "assigned", policy.name, f"round robin: {pick.rep.email}",
                    {"from": lead.fields.get(self.process.owner), "to": pick.rep.id,
                     "skipped": skipped})
        return pick.rep.id

    def _reassign(self, clock: Clock, lead: Record, policy: Policy, reason: str,
                  pool: RoundRobin) -> None:
        pick = pool.pick(self.now, self.ctx.compliance, self.ctx.out_of_office,
                         exclude={clock.owner_id} if clock.owner_id else set())
        skipped = [f"{rep.email}: {why}" for rep, why in pick.skipped]
        if pick.rep is None:
            self._event(clock.key, lead, "reassign_failed", policy.name,
                        "no eligible rep in the pool", {"skipped": skipped})
            return
        self.crm_writes[lead.id][self.process.owner] = pick.rep.id
        self._event(clock.key, lead, "reassigned", policy.name, reason,
                    {"from": clock.owner_id, "to": pick.rep.id, "skipped": skipped})
        clock.owner_id = pick.rep.id
        self.result.reassignments += 1

    def _recycle(self, clock: Clock, lead: Record, reason: str) -> None:
        settings = self.ctx.settings
        self.recycling[clock.key] = (clock.recycled_at, clock.recycle_reason, clock.status)
        clock.recycle(self.now, reason)
        self.crm_writes[lead.id][self.process.status] = self.process.nurture_status
        link = self.store.links_by_id(self.connection, "crm", [lead.id]).get(lead.id)
        if link is not None and link.marketing_id:
            count = int(float(self._sla_value(lead, "recycle_count") or 0)) + 1
            fields = dict(self.ctx.on_recycle)
            for name, value in (("recycle_reason", reason), ("recycled_at", iso(self.now)),
                                ("recycle_count", count)):
                target = self.view.sla_field(name, "marketing")
                if target:
                    fields[target] = value
            self.marketing_writes[link.marketing_id].update(fields)
            self.nurture.append(link.marketing_id)
            self.told[lead.id] = link.marketing_id
        self.result.recycled += 1
        self._event(clock.key, lead, "recycled", clock.policy, reason,
                    {"crm_status": self.process.nurture_status,
                     "marketing": link.marketing_id if link else None,
                     "list": settings.nurture_list if self.ctx.lists else None})

    def _pool(self, reps: dict[str, Rep], stored: dict[str, dict[str, Any]]
              ) -> RoundRobin | None:
        pool = self.ctx.settings.pool
        if pool is None:
            return None
        by_email = {rep.email.lower(): rep for rep in reps.values()}
        if pool.queue:  # the queue's members as the CRM has them now, in a stable order
            members = [reps[i] for i in self.ctx.activities.queue_members(pool.queue)
                       if i in reps]
        else:
            members = [by_email[e.lower()] for e in pool.reps if e.lower() in by_email]
        history = [Clock.from_json(c["clock"]) for c in stored.values()]
        self.ctx.compliance = compliance(history, self.now, pool.window_days)
        self.ctx.out_of_office = {by_email[e.lower()].id: dates for e, dates in
                                  pool.out_of_office.items() if e.lower() in by_email}
        position = int(self.store.job_value(self.connection, "round_robin", 0) or 0)
        return RoundRobin(members, position, pool.min_compliance, window_days=pool.window_days)

    # writing
    def _write(self) -> None:
        """Write what changed, in batches; a refused write is parked (``<system>:sla``) and
        unparked when a later sweep gets it through (each sweep recomputes what to write)."""
        crm, marketing = self.engine.systems["crm"], self.engine.systems["marketing"]
        ops = [WriteOp(self.keys[crm_id], fields, crm_id)
               for crm_id, fields in self.crm_writes.items() if fields]
        self._send(crm, ops)
        for crm_id in self.refused & set(self.told):  # not recycled after all: marketing waits
            self.marketing_writes.pop(self.told[crm_id], None)
            self.nurture.remove(self.told[crm_id])
        links = self.store.links_by_id(self.connection, "marketing", list(self.marketing_writes))
        reset = tuple(self.ctx.on_recycle)  # the recycle's values are meant, even backwards
        ops = [WriteOp(links[mid].key if mid in links else mid, fields, mid, reset=reset)
               for mid, fields in self.marketing_writes.items()]
        self._send(marketing, ops)
        if self.nurture and self.ctx.lists and self.ctx.settings.nurture_list:
            self.ctx.lists.add_to_list(self.ctx.settings.nurture_list, self.nurture)

    def _send(self, system: Any, ops: list[WriteOp]) -> None:
        if not ops:
            return
        parked_as = f"{system.name}:sla"
        delivered = []
        for op, result in zip(ops, system.write(ops), strict=True):
            if result.ok:
                self.result.written += 1
                delivered.append(op.key)
                continue
            self.result.failed += 1
            self.refused.add(str(op.target_id))
            self.store.park(self.connection, None, parked_as, op.key, op.target_id, result.code,
                            result.message, result.fields, {"fields": dict(op.fields)})
            log.warning("sla write refused", system=system.name, key=result.key,
                        code=result.code, message=result.message)
        self.store.unpark(self.connection, parked_as, delivered)

    def _event(self, key: str, lead: Record, event: str, policy: str | None, reason: str,
               details: dict[str, Any]) -> None:
        email = lead.fields.get(self.process.email)
        self.events.append({"key": key, "email": str(email).lower() if email else None,
                            "at": self.now, "event": event, "policy": policy,
                            "reason": reason, "details": details})


def _deadline(clock: Clock, kind: str) -> str:
    moment = {"accept": clock.deadlines.accept_by,
              "first_touch": clock.deadlines.first_touch_by,
              "cadence": clock.deadlines.cadence_end}.get(kind)
    return f"due {iso(moment)}" if moment else kind


def run_sweep(config: Config, now: datetime) -> SweepResult:
    from leadsync.jobs.sla_setup import prepare_sla

    ctx = prepare_sla(config)
    try:
        return Sweep(ctx, now).run()
    finally:
        ctx.engine.store.close()


__all__ = ["ConfigError", "Sweep", "SweepResult", "run_sweep"]
