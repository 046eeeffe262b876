"""Each SLA effect once: the effects ledger with a real store and fake CRM and notifier."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta
from pathlib import Path

import pytest

from leadsync.connector.effects import (
    Effects,
    follow_recorded,
    make_tasks,
    notify,
    record_changes,
)
from leadsync.connector.models import TaskSpec, WriteResult
from leadsync.connector.state import StateStore
from leadsync.connector.store import Effect
from leadsync.connector.sweep_actions import SweepPlan
from tests.connector.test_sweep_plan import AMY, BOB, HOT, H, crm_fields, lead, rules, saved, sweep

RECYCLE_FIELDS = {"Status", "LeadSync_Recycled_At__c", "LeadSync_Recycle_Reason__c",
                  "LeadSync_Recycle_Count__c"}


class FakeTasks:
    """A CRM's tasks: made with their key, found by it; ``refuse`` names keys it refuses."""

    def __init__(self, refuse: Sequence[str] = ()) -> None:
        self.tasks: dict[str, TaskSpec] = {}  # id -> task
        self.refuse = set(refuse)
        self.created: list[str] = []

    def create_tasks(self, tasks: Sequence[TaskSpec]) -> list[WriteResult]:
        results = []
        for task in tasks:
            if task.key in self.refuse:
                results.append(WriteResult(task.key, False, code="INVALID_CROSS_REFERENCE_KEY"))
                continue
            task_id = f"00T{len(self.tasks) + 1}"
            self.tasks[task_id] = task
            self.created.append(task.key)
            results.append(WriteResult(task.key, True, task_id, created=True))
        return results

    def tasks_by_key(self, keys: Sequence[str]) -> dict[str, str]:
        return {t.key: task_id for task_id, t in self.tasks.items() if t.key in keys}


class FakeNotifier:
    def __init__(self, fail: bool = False) -> None:
        self.sent: list[str] = []
        self.fail = fail

    def notify(self, key: str, event: Mapping[str, object]) -> WriteResult:
        self.sent.append(key)
        return WriteResult(key, not self.fail, code="HTTP 500" if self.fail else "HTTP 200")


@pytest.fixture
def store(tmp_path: Path) -> StateStore:
    return StateStore(f"sqlite:///{tmp_path / 'state.db'}")


def breach_plan() -> SweepPlan:
    """Ada's first touch missed: an escalation task and a webhook, decided afresh each time."""
    policy = rules(webhook_url="https://hooks.example/sla")
    return sweep(policy, H + timedelta(hours=2), stored=saved(sweep(policy, H)))


def test_a_sweep_repeated_after_its_task_was_made_and_recorded_makes_none(
        store: StateStore) -> None:
    crm = FakeTasks()
    first = breach_plan()
    make_tasks(Effects.of(store, "default", first), crm, first.tasks)
    again = breach_plan()
    effects = Effects.of(store, "default", again)

    make_tasks(effects, crm, again.tasks)

    assert crm.created == [first.tasks[0].key]
    assert effects.counts() == {"recorded": 0, "found": 0, "skipped": 1}
    escalated = next(e for e in again.events if e.event == "escalated")
    assert escalated.details["task"] == "00T1" and escalated.details["ok"] is True


def test_each_task_is_made_with_its_action_key_on_the_task(store: StateStore) -> None:
    crm = FakeTasks()
    plan = breach_plan()
    make_tasks(Effects.of(store, "default", plan), crm, plan.tasks)
    [made] = crm.tasks.values()
    assert made.key == plan.tasks[0].key == f"key-1/{int(H.timestamp())}:first_touch:task"


def test_a_task_made_by_a_sweep_that_died_before_recording_it_is_found_and_recorded(
        store: StateStore) -> None:
    crm = FakeTasks()
    dead = breach_plan()
    crm.create_tasks([TaskSpec(dead.tasks[0].key, "00Q1", None, "made, never recorded")])
    again = breach_plan()
    effects = Effects.of(store, "default", again)

    make_tasks(effects, crm, again.tasks)

    assert len(crm.tasks) == 1
    assert effects.counts() == {"recorded": 0, "found": 1, "skipped": 0}
    assert store.effects("default", [again.tasks[0].key])[again.tasks[0].key].target == "00T1"


def test_a_task_the_crm_refuses_is_not_recorded_so_the_next_sweep_tries_again(
        store: StateStore) -> None:
    plan = breach_plan()
    make_tasks(Effects.of(store, "default", plan), FakeTasks(refuse=[plan.tasks[0].key]),
               plan.tasks)
    assert store.effects("default", [plan.tasks[0].key]) == {}
    crm = FakeTasks()
    again = breach_plan()
    make_tasks(Effects.of(store, "default", again), crm, again.tasks)
    assert crm.created == [again.tasks[0].key]


def test_a_notification_delivered_and_recorded_is_not_sent_again(store: StateStore) -> None:
    receiver = FakeNotifier()
    first = breach_plan()
    notify(Effects.of(store, "default", first), receiver, first.notifications)
    again = breach_plan()
    notify(Effects.of(store, "default", again), receiver, again.notifications)
    assert receiver.sent == [first.notifications[0].key]
    webhook = next(e for e in again.events if e.event == "webhook")
    assert webhook.details["ok"] is True


def test_a_failed_delivery_is_not_recorded_so_the_next_sweep_sends_it(
        store: StateStore) -> None:
    first = breach_plan()
    notify(Effects.of(store, "default", first), FakeNotifier(fail=True), first.notifications)
    receiver = FakeNotifier()
    again = breach_plan()
    notify(Effects.of(store, "default", again), receiver, again.notifications)
    assert receiver.sent == [again.notifications[0].key]


def reassign_plan(owner: str = AMY.id, position: int = 0) -> SweepPlan:
    policy = rules({**HOT, "on_breach": ["reassign"]},
                   pool={"reps": ["amy@sales.example", "bob@sales.example",
                                  "cyndi@sales.example"]})
    members = [AMY, BOB]
    started = saved(sweep(policy, H, [lead(OwnerId=owner)], pool=members))
    return sweep(policy, H + timedelta(hours=2), [lead(OwnerId=owner)], started,
                 pool=members, position=position)


def test_a_reassignment_the_crm_took_is_recorded_with_its_rep(store: StateStore) -> None:
    plan = reassign_plan()
    effects = Effects.of(store, "default", plan)
    record_changes(effects, plan, set(), RECYCLE_FIELDS)
    [move] = plan.assignments
    assert store.effects("default", [move.key])[move.key].details == {"from": AMY.id,
                                                                      "to": BOB.id}


def test_a_reassignment_the_crm_refused_is_not_recorded(store: StateStore) -> None:
    plan = reassign_plan()
    record_changes(Effects.of(store, "default", plan), plan, {"00Q1"}, RECYCLE_FIELDS)
    assert store.effects("default", [plan.assignments[0].key]) == {}


def test_a_reassignment_already_made_is_repeated_to_the_same_rep_not_decided_again(
        store: StateStore) -> None:
    plan = reassign_plan()
    [move] = plan.assignments
    assert move.to_id == BOB.id
    done = {move.key: Effect(move.key, "assignment", "00Q1", {"from": AMY.id, "to": "005dan"})}

    assert follow_recorded(plan, done, "OwnerId", RECYCLE_FIELDS) == 1

    assert crm_fields(plan)["OwnerId"] == "005dan"
    assert plan.judged["key-1"].clock.owner_id == "005dan"
    assert plan.assignments[0].to_id == "005dan"
    [reassigned] = [e for e in plan.events if e.event == "reassigned"]
    assert reassigned.details["to"] == "005dan"


def test_a_recycle_already_made_keeps_its_stamp_reason_and_count(store: StateStore) -> None:
    started = saved(sweep(rules(), H))
    first = sweep(rules(), H + timedelta(days=3, minutes=1), stored=started)
    record_changes(Effects.of(store, "default", first), first, set(), RECYCLE_FIELDS)
    # the dead sweep's CRM write went through: the lead now says recycled once
    written = dict(crm_fields(first))
    later = H + timedelta(days=3, hours=5)
    again = sweep(rules(), later, [lead(**{k: v for k, v in written.items()
                                           if k == "LeadSync_Recycle_Count__c"})],
                  stored=started)
    assert crm_fields(again)["LeadSync_Recycle_Count__c"] == 2  # decided afresh: counted twice

    follow_recorded(again, store.effects("default", [again.recycles["00Q1"].key]), "OwnerId",
                    RECYCLE_FIELDS)

    fields = crm_fields(again)
    assert fields["LeadSync_Recycle_Count__c"] == 1
    assert fields["LeadSync_Recycled_At__c"] == written["LeadSync_Recycled_At__c"]
    assert again.judged["key-1"].clock.recycled_at == H + timedelta(days=3, minutes=1)
    [marketing] = again.writes_to("marketing")
    assert marketing.fields["leadsync_recycle_count"] == 1
