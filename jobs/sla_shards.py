"""Sharded SLA sweeps as plain functions a Celery task, a thread or a process can call.

::

    spec = plan_sweep_shards(config, 4)         # once: fixes the sweep's instant, takes its lock
    run_sweep_shard(config, spec, i)            # for i in 0..3, anywhere, in any order
    finish_sweep_shards(config, spec)           # after them: gives the lock back

Shard i takes the leads whose CRM id hashes to it (``connector.shards.owner``), with their
clocks: it reads their touches, plans as a plain sweep does, applies, and commits its own
clocks, audit events and effects (each effect once, by its key: ``connector.effects``). Every
shard judges at the pass's instant, so a sharded sweep decides what one sweep at that instant
decides. Compliance is judged over every stored clock, as a plain sweep does.

The round robin has one position for the connection (job state ``round_robin``), and two
shards that each read it and each gave the next leads to the reps from there would give the
same reps the same turns. So a shard whose plan gives leads to pool reps (new handoffs,
reassignments) takes the pool's turn, a lock of its own (``sla:pool``), waiting for it while
another shard has it. Holding it, the shard reads the position again, plans again from there
(the touches it read stay), and reserves the turns its plan takes in one transaction: each
assignment recorded as an effect (``connector.effects``), their audit events, the new
position, and where its turns began. Then it gives the turn back and applies its plan while
the next shard takes its turns. A shard whose plan gives no lead to the pool neither waits nor
writes the position.

A shard that dies after reserving leaves the position past its turns, and another shard goes
on from there; its second attempt plans from where its turns began and gives each lead the rep
it reserved (``effects.follow_recorded``), reserving nothing more: no rep loses a turn or gets
two. A compare-and-set of the position alone would not do: the reps are given their leads
(written to the CRM) before a sweep saves the position, so a shard that lost the race would
already have given away turns that were not its own. A reserved assignment whose CRM write is
refused stays recorded, as a plain sweep's clock keeps the rep it picked when the write is
refused.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import structlog

from leadsync.connector import lease
from leadsync.connector.config import Config
from leadsync.connector.effects import ASSIGNMENT
from leadsync.connector.errors import LockHeld
from leadsync.connector.lock import RunLock
from leadsync.connector.models import Record
from leadsync.connector.ports import Notifier
from leadsync.connector.shards import (
    ShardDone,
    ShardedPass,
    check_current,
    done,
    owner,
    pass_name,
    record_done,
)
from leadsync.connector.sla import Touch
from leadsync.connector.state import StateStore
from leadsync.connector.store import Effect, Store
from leadsync.connector.sweep_actions import SweepPlan, SweepResult
from leadsync.connector.sweep_plan import Counterpart, SweepPlanner, SweepRules, TouchWindow
from leadsync.jobs.locking import locked
from leadsync.jobs.runs import recorded
from leadsync.jobs.shards import expiry
from leadsync.jobs.sla import Sweep
from leadsync.jobs.sla_setup import SlaContext

log = structlog.get_logger("leadsync.shards")

SLA = "sla"
POOL = "sla:pool"  # the round robin's turn: one shard at a time gives leads to pool reps
POOL_WAIT = 600.0  # seconds a shard waits for the turn before it gives up (``LockHeld``)
TURNS = ("assigned", "reassigned")  # the audit events of turns taken, saved as reserved


def turn_name(index: int) -> str:
    """Job state: where shard ``index``'s turns began, in which pass."""
    return f"sla_shard_turns:{index}"


class ShardSweep(Sweep):
    """One shard's sweep: its leads only; the round robin's position under the pool's turn."""

    def __init__(self, ctx: SlaContext, spec: ShardedPass, index: int,
                 notifier: Notifier | None = None, wait: float = POOL_WAIT,
                 expiry: timedelta = timedelta(seconds=120)) -> None:
        super().__init__(ctx, spec.until, notifier)
        spec.check(index)
        self.spec, self.index, self.wait, self.expiry = spec, index, wait, expiry
        self._mine: dict[str, Record] | None = None

    def owns(self, crm_id: str) -> bool:
        return owner(crm_id, self.spec.shards) == self.index

    def run(self) -> SweepResult:
        rules = self._rules()
        planner = SweepPlanner(rules, self._inputs())
        touches, counterparts = self._touches(planner.open())
        plan = planner.judge(touches, counterparts)
        if plan.assignments:
            with pool_turn(self.store, self.connection, self.expiry, self.wait):
                plan = self._take_turns(rules, touches, counterparts)
        return self._carry_out(plan)

    def _take_turns(self, rules: SweepRules, touches: Mapping[str, Sequence[Touch]],
                    counterparts: Mapping[str, Counterpart]) -> SweepPlan:
        """Under the pool's turn: plan again from the round robin's position as it is now,
        and reserve the turns the plan takes, in one transaction (the assignments as effects,
        their audit events, the new position, and where this shard's turns began). A second
        attempt of the shard plans from where its turns began, takes the reps it reserved
        (``follow_recorded``) and reserves nothing more."""
        name = turn_name(self.index)
        taken = self.store.job_value(self.connection, name)
        again = isinstance(taken, Mapping) and taken.get("pass") == self.spec.id
        inputs = self._inputs()
        if again:
            inputs = replace(inputs, position=int(taken["from"]))
        planner = SweepPlanner(rules, inputs)
        planner.open()
        plan = planner.judge(touches, counterparts)
        if again:
            return plan
        with self.store.transaction() as conn:
            for a in plan.assignments:
                self.store.record_effect(self.connection, Effect(
                    a.key, ASSIGNMENT, a.crm_id, {"from": a.from_id, "to": a.to_id}), conn)
            self.store.record_events(self.connection, [e.as_row() for e in plan.events
                                                       if e.event in TURNS], conn)
            if plan.position is not None:
                self.store.set_job_value(self.connection, "round_robin", plan.position, conn)
            self.store.set_job_value(self.connection, name, {
                "pass": self.spec.id, "from": inputs.position, "to": plan.position}, conn)
        return plan

    def _leads(self) -> dict[str, Record]:
        """This shard's qualified CRM leads, and those of its clocks still open; read once."""
        if self._mine is None:
            crm = self.engine.systems["crm"]
            fields = self.ctx.crm_fields
            qualified = self.engine.mapping.view.verdict.get("qualified", {}).get("crm")
            found = {r.id: r for r in crm.lookup(qualified, [True], fields)
                     if self.owns(r.id)} if qualified else {}
            missing = [c["crm_id"] for c in self.store.clocks(self.connection).values()
                       if c["crm_id"] not in found and self.owns(c["crm_id"])]
            if missing:
                found.update({r.id: r for r in crm.lookup(crm.id_field, missing, fields)})
            self._mine = found
        return self._mine

    # as ``Sweep.run`` does, in two steps the pool's turn can come between
    def _touches(self, window: TouchWindow | None
                 ) -> tuple[dict[str, list[Touch]], dict[str, Counterpart]]:
        touches: dict[str, list[Touch]] = defaultdict(list)
        counterparts: dict[str, Counterpart] = {}
        if window is not None:
            for activity in self.ctx.activities.read_activities(window.record_ids,
                                                                window.since, self.now):
                touches[activity.record_id].append(Touch(activity.id, activity.kind,
                                                         activity.at))
            links = self.store.links_by_id(self.connection, "crm", window.record_ids)
            counterparts = {crm_id: Counterpart(link.marketing_id, link.key)
                            for crm_id, link in links.items() if link.marketing_id}
        return touches, counterparts

    def _carry_out(self, plan: SweepPlan) -> SweepResult:
        """Apply the plan and save its clocks, audit events and journey facts (the turns'
        events were saved when they were reserved)."""
        refused = self._apply(plan)
        rows = plan.settle(refused)
        with self.store.transaction() as conn:
            self._save(plan, rows, [e for e in plan.events if e.event not in TURNS], conn)
        log.info("sla sweep shard finished", shard=self.index, shards=self.spec.shards,
                 **plan.result.as_dict())
        return plan.result


@contextmanager
def pool_turn(store: Store, connection: str, expiry: timedelta, wait: float) -> Iterator[None]:
    """Hold the round robin's turn for the block, waiting up to ``wait`` seconds for it."""
    turn = RunLock(store, POOL, connection, expiry)
    deadline, pause = time.monotonic() + wait, 0.05
    while True:
        try:
            turn.__enter__()
            break
        except LockHeld:
            if time.monotonic() >= deadline:
                raise
            time.sleep(pause)  # another shard gives leads to the pool's reps meanwhile
            pause = min(pause * 2, 1.0)
    try:
        yield
    finally:
        turn.__exit__(None, None, None)


def plan_sweep_shards(config: Config, shards: int, now: datetime | None = None,
                      connection: str | None = None) -> ShardedPass:
    """Plan one sharded sweep of the config's connection at ``now`` (default the clock). Takes
    the connection's SLA lock for the sweep (``LockHeld`` when a sweep runs). ``connection``
    picks one of the config's connections (default ``[sync] connection``)."""
    config = config.for_connection(connection or config.sync.connection)
    connection = config.sync.connection
    spec = ShardedPass.new(SLA, connection, now or datetime.now(UTC), shards)
    store = StateStore(config.state.url)
    try:
        lease.take(store, SLA, connection, spec.id, expiry(config))
        try:
            store.set_job_value(connection, pass_name(SLA), {**spec.as_json(),
                                                             "finished": False})
        except BaseException:
            lease.give_back(store, SLA, connection, spec.id)
            raise
    finally:
        store.close()
    log.info("sharded sla sweep planned", connection=connection, pass_id=spec.id,
             shards=shards, now=spec.until.isoformat())
    return spec


def run_sweep_shard(config: Config, spec: ShardedPass, index: int,
                    notifier: Notifier | None = None) -> SweepResult:
    """Run shard ``index`` of the sweep ``spec``; running it again is safe (each effect
    once)."""
    from leadsync.jobs.sla_setup import prepare_sla

    spec.check(index)
    config = config.for_connection(spec.connection)
    store = StateStore(config.state.url)
    try:
        check_current(store, spec)
        with lease.Lease(store, SLA, spec.connection, spec.id, expiry(config)), \
                locked(config, spec.shard_job(index)), \
                recorded(config, spec.shard_job(index)) as run:
            ctx = prepare_sla(config)
            run.watch(ctx.engine.systems.values(), from_start=True)
            try:
                sweep = ShardSweep(ctx, spec, index, notifier, expiry=expiry(config))
                run.report(lambda: sweep.result.as_dict() if sweep.result is not None else {})
                result = sweep.run()
            finally:
                ctx.engine.store.close()
            record_done(store, spec, ShardDone(spec.id, index, {}))
    finally:
        store.close()
    return result


def finish_sweep_shards(config: Config, spec: ShardedPass) -> list[int]:
    """When every shard of ``spec`` is complete: mark the sweep finished, give its lock back
    and return []. Otherwise return the shards still to run."""
    config = config.for_connection(spec.connection)
    store = StateStore(config.state.url)
    try:
        check_current(store, spec)
        with lease.Lease(store, SLA, spec.connection, spec.id, expiry(config)):
            complete = done(store, spec)
            missing = [i for i in range(spec.shards) if i not in complete]
            if missing:
                return missing
            store.set_job_value(spec.connection, pass_name(SLA),
                                {**spec.as_json(), "finished": True})
        lease.give_back(store, SLA, spec.connection, spec.id)
    finally:
        store.close()
    log.info("sharded sla sweep finished", connection=spec.connection, pass_id=spec.id)
    return []
