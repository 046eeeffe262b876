"""The SLA sweep job: read, plan, apply, record; every decision is ``connector.sweep_plan``'s.

Reads the qualified CRM leads (and those of clocks still open), the stored clocks, the reps,
the pool and its position; asks the planner which clocks run; reads their touches; plans; then
applies the plan through the ports (tasks, notifications, CRM writes, marketing writes, the
nurture list) and records the clocks, the audit events, the round robin's position and the
journeys' new facts (``connector.journey_capture``) in one transaction; a clock a new handoff
replaces is kept in the clock history in that transaction too. Asked to stop (``stop``
answers True: the scheduler got SIGTERM), it ends between two of those groups of effects,
raising ``Stopped``: the effects done are recorded, the clocks are not, and the next sweep
plans again and does the rest, as after a sweep that died. A refused write is parked
(``<system>:sla``) and unparked when a later sweep gets it through (each sweep recomputes what
to write). Each effect is done once (``connector.effects``): recorded by its key as soon as it
is done, so that a sweep repeated after dying anywhere does not do it again.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from contextlib import nullcontext
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog

from leadsync.connector.config import Config
from leadsync.connector.deadletter import fingerprint, truncate
from leadsync.connector.deliver import Stop
from leadsync.connector.effects import (
    Effects,
    follow_recorded,
    make_tasks,
    notify,
    record_changes,
    recycle_fields,
)
from leadsync.connector.errors import ConfigError, Stopped
from leadsync.connector.journey_capture import sweep_facts
from leadsync.connector.models import Record, Side, WriteOp
from leadsync.connector.ports import Notifier
from leadsync.connector.progress import Progress, named
from leadsync.connector.sla import Touch
from leadsync.connector.sweep_actions import AuditEvent, SweepPlan, SweepResult
from leadsync.connector.sweep_plan import (
    Counterpart,
    SweepInputs,
    SweepPlanner,
    SweepRules,
    pool_members,
)
from leadsync.connector.sync import SyncEngine
from leadsync.jobs.locking import locked
from leadsync.jobs.runs import recorded
from leadsync.jobs.sla_setup import SlaContext

log = structlog.get_logger("leadsync.sla")
FUTURE_TOLERANCE = timedelta(minutes=1)  # clock skew allowed before --now counts as a what-if


class Sweep:
    def __init__(self, ctx: SlaContext, now: datetime, notifier: Notifier | None = None,
                 dry_run: bool = False, progress: Progress | None = None,
                 stop: Stop | None = None) -> None:
        self.ctx, self.now, self.dry_run = ctx, now, dry_run  # dry: plan, apply nothing
        self.progress = progress  # told each phase's headway (``connector.progress``)
        self.stop = stop  # answers True once the sweep is asked to stop
        self.engine: SyncEngine = ctx.engine
        self.store, self.connection = self.engine.store, self.engine.connection
        self.notifier = notifier if notifier is not None else _webhook(ctx)
        self.result: SweepResult | None = None  # once planned: what the sweep did so far

    def run(self) -> SweepResult:
        inputs = self._inputs()
        leads = len(inputs.leads)
        named(self.progress, "reading leads")(leads, leads)
        planner = SweepPlanner(self._rules(), inputs)
        window = planner.open()
        touches: dict[str, list[Touch]] = defaultdict(list)
        counterparts: dict[str, Counterpart] = {}
        judging = named(self.progress, "judging leads")
        judging(0, leads)
        if window is not None:
            read = named(self.progress, "reading touches")
            for count, activity in enumerate(self.ctx.activities.read_activities(
                    window.record_ids, window.since, self.now), 1):
                touches[activity.record_id].append(Touch(activity.id, activity.kind,
                                                         activity.at))
                read(count, None)
            links = self.store.links_by_id(self.connection, "crm", window.record_ids)
            counterparts = {crm_id: Counterpart(link.marketing_id, link.key)
                            for crm_id, link in links.items() if link.marketing_id}
        plan = planner.judge(touches, counterparts)
        self.result = plan.result
        judging(leads, leads)
        if self.dry_run:
            log.info("sla sweep planned (dry run: nothing written)", **plan.result.as_dict())
            return plan.result
        refused = self._apply(plan)
        rows = plan.settle(refused)
        with self.store.transaction() as conn:
            self._save(plan, rows, plan.events, conn)
            if plan.position is not None:
                self.store.set_job_value(self.connection, "round_robin", plan.position, conn)
        log.info("sla sweep finished", **plan.result.as_dict())
        return plan.result

    def _save(self, plan: SweepPlan, rows: list[dict[str, Any]], events: list[AuditEvent],
              conn: Any) -> None:
        """In the caller's transaction: the clocks (each one a new handoff replaces kept in
        the clock history), the audit events and the journeys' new facts."""
        facts = sweep_facts(plan, rows, self.engine.mapping.view, self.ctx.process)
        for key, stored in facts.replaced.items():
            self.store.archive_clock(self.connection, key, dict(stored), conn)
        self.store.save_clocks(self.connection, rows, conn)
        self.store.record_events(self.connection, [e.as_row() for e in events], conn)
        self.store.record_sweep_facts(self.connection, facts.rows, conn)

    # reading
    def _rules(self) -> SweepRules:
        ctx = self.ctx
        return SweepRules(ctx.policies, ctx.calendars, ctx.settings, ctx.process,
                          self.engine.mapping.view, self.engine.systems["crm"].key_field,
                          self.engine.names["crm"], ctx.on_recycle, ctx.lists is not None)

    def _inputs(self) -> SweepInputs:
        reps = {rep.id: rep for rep in self.ctx.activities.reps()}
        pool = self.ctx.settings.pool
        queue = self.ctx.activities.queue_members(pool.queue) if pool and pool.queue else []
        position = int(self.store.job_value(self.connection, "round_robin", 0) or 0)
        return SweepInputs(self.now, self._leads(),
                           self.store.clocks(self.connection, open_only=False), reps,
                           pool_members(self.ctx.settings, reps, queue), position)

    def _leads(self) -> dict[str, Record]:
        """Qualified leads in the CRM, and the leads of clocks still open."""
        crm = self.engine.systems["crm"]
        fields = self.ctx.crm_fields
        qualified = self.engine.mapping.view.verdict.get("qualified", {}).get("crm")
        found = {r.id: r for r in crm.lookup(qualified, [True], fields)} if qualified else {}
        missing = [c["crm_id"] for c in self.store.clocks(self.connection).values()
                   if c["crm_id"] not in found]  # open clocks of leads no longer qualified
        if missing:
            found.update({r.id: r for r in crm.lookup(crm.id_field, missing, fields)})
        return found

    # applying
    def _apply(self, plan: SweepPlan) -> set[str]:
        """Carry the plan out, each effect once (``connector.effects``); the record ids whose
        write was refused."""
        effects = Effects.of(self.store, self.connection, plan)
        recycling = recycle_fields(self.engine.mapping.view, self.ctx.process)
        follow_recorded(plan, effects.done, self.ctx.process.owner, recycling)
        applying = _Headway(named(self.progress, "applying effects"), len(plan.tasks)
                            + len(plan.notifications) + len(plan.writes_to("crm"))
                            + len(plan.writes_to("marketing")))
        self._check_stop()
        make_tasks(effects, self.ctx.activities, plan.tasks)
        applying.add(len(plan.tasks))
        self._check_stop()
        notify(effects, self.notifier, plan.notifications)
        applying.add(len(plan.notifications))
        self._check_stop()
        crm_writes = plan.writes_to("crm")
        refused = self._send("crm", plan, crm_writes)
        applying.add(len(crm_writes))
        record_changes(effects, plan, refused, recycling)
        self._check_stop()
        marketing_writes = plan.writes_to("marketing", refused)
        refused |= self._send("marketing", plan, marketing_writes)
        applying.add(len(marketing_writes), last=True)
        for name, ids in plan.nurture_ids(refused).items():
            if self.ctx.lists is not None:
                self.ctx.lists.add_to_list(name, ids)
        log.info("sla effects", **effects.counts())
        return refused

    def _check_stop(self) -> None:
        """Raise ``Stopped`` when asked to stop: between two groups of effects."""
        if self.stop is not None and self.stop():
            log.info("sla sweep stopping: the effects done are kept, the clocks are planned "
                     "again by the next sweep", connection=self.connection)
            raise Stopped()

    def _send(self, side: Side, plan: SweepPlan, ops: list[WriteOp]) -> set[str]:
        if not ops:
            return set()
        system = self.engine.systems[side]
        parked_as = f"{system.name}:sla"
        delivered, refused = [], set()
        for op, result in zip(ops, system.write(ops), strict=True):
            if result.ok:
                plan.result.written += 1
                delivered.append(op.key)
                continue
            plan.result.failed += 1
            refused.add(str(op.target_id))
            link = self.store.link(self.connection, op.key)  # op.key is the lead's key
            self.store.park(self.connection, None, parked_as, op.key, op.target_id, result.code,
                            result.message, result.fields, {"fields": dict(op.fields)},
                            email=link.email if link else None, target_id=op.target_id,
                            fingerprint=fingerprint(op.fields))
            log.warning("sla write refused", system=system.name, key=result.key,
                        code=result.code, message=truncate(result.message))
        self.store.unpark(self.connection, parked_as, delivered)
        return refused


class _Headway:
    """Effects done so far, of those planned, told as each group of them is done."""

    def __init__(self, report: Callable[[int, int | None], None], total: int) -> None:
        self.report, self.total, self.done = report, total, 0

    def add(self, done: int, last: bool = False) -> None:
        self.done += done
        self.report(self.done, self.done if last else max(self.total, self.done))


def _webhook(ctx: SlaContext) -> Notifier | None:
    settings = ctx.settings
    if not settings.webhook_url:
        return None
    from leadsync.adapters.webhook.notifier import WebhookNotifier

    secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else None
    return WebhookNotifier(settings.webhook_url, secret)


def plans_only(now: datetime, dry_run: bool = False, allow_future_writes: bool = False,
               clock: datetime | None = None) -> bool:
    """Whether a sweep as of ``now`` only plans: asked to (``--dry-run``), or ``now`` is later
    than the real clock (a what-if) and the run does not say ``--allow-future-writes``."""
    real = clock or datetime.now(UTC)
    return dry_run or (now > real + FUTURE_TOLERANCE and not allow_future_writes)


def run_sweep(config: Config, now: datetime, dry_run: bool = False,
              allow_future_writes: bool = False, progress: Progress | None = None,
              stop: Stop | None = None) -> SweepResult:
    """One sweep; it writes nothing when ``plans_only`` says so; ``progress`` is told how
    far each phase has got; once ``stop`` answers True it ends between two groups of effects
    (``Stopped``, the run recorded as stopped)."""
    from leadsync.jobs.sla_setup import prepare_sla

    planning = plans_only(now, dry_run, allow_future_writes)
    # a plan alone takes no lock and records no run
    with nullcontext() if planning else locked(config, "sla"), \
            recorded(config, "sla", record=not planning) as run:
        ctx = prepare_sla(config)
        try:
            run.watch(ctx.engine.systems.values(), from_start=True)  # setup calls count too
            sweep = Sweep(ctx, now, dry_run=planning, progress=progress, stop=stop)
            run.report(lambda: sweep.result.as_dict() if sweep.result is not None else {})
            return sweep.run()
        finally:
            ctx.engine.store.close()


__all__ = ["ConfigError", "Sweep", "SweepResult", "plans_only", "run_sweep"]
