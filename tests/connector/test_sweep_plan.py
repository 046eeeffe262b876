"""The SLA planner: clocks, breaches, escalations, reassignments and recycles, with no I/O."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from leadsync import shipped
from leadsync.connector.calendar import BusinessCalendar, always_open
from leadsync.connector.errors import ConfigError
from leadsync.connector.mapping import load_mapping
from leadsync.connector.models import Record, SalesProcess
from leadsync.connector.routing import Rep
from leadsync.connector.sla import Clock, Touch, parse_policies, resolve_calendar
from leadsync.connector.sla_settings import SlaSettings
from leadsync.connector.sweep_actions import SweepPlan
from leadsync.connector.sweep_plan import (
    Counterpart,
    SweepInputs,
    SweepPlanner,
    SweepRules,
    pool_members,
)

H = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)  # a Monday
VIEW = load_mapping(shipped.mapping()).view
PROCESS = SalesProcess(
    owner="OwnerId", status="Status", email="Email", name=("Name",),
    converted="IsConverted", converted_when=("true",),
    accepted_statuses=("Working - Contacted",), disqualified_statuses=("Closed - Not Converted",),
    nurture_status="Recycled - Nurture", reopen_status="Open - Not Contacted")
NINE_TO_FIVE = BusinessCalendar("us_sales", "America/New_York",
                                {d: ["09:00-17:00"] for d in ("mon", "tue", "wed", "thu", "fri")})
HOT = {"name": "hot", "calendar": "24x7", "first_touch_within": "1h", "match": {"hot": True},
       "cadence": {"calls": 2, "emails": 1, "within": "3d"}, "on_breach": ["escalate"],
       "on_exhausted": "recycle"}
RICK = Rep("005rick", "rick@sales.example", time_zone="Europe/Berlin", manager_id="005cyndi")
CYNDI = Rep("005cyndi", "cyndi@sales.example")
AMY, BOB = Rep("005amy", "amy@sales.example"), Rep("005bob", "bob@sales.example")
REPS = {rep.id: rep for rep in (RICK, CYNDI, AMY, BOB)}
ADA = Counterpart("hs-1", "key-1")


def rules(*policies: dict[str, Any], **settings: Any) -> SweepRules:
    sla = SlaSettings.model_validate({"policies": list(policies) or [HOT],
                                      "default_calendar": "us_sales", **settings})
    return SweepRules(parse_policies(sla.policies, ("24x7", "us_sales", "rep", "default")),
                      {"24x7": always_open(), "us_sales": NINE_TO_FIVE}, sla, PROCESS, VIEW,
                      "LeadSync_Id__c", "salesforce", {"hs_lead_status": "BAD_TIMING"},
                      lists=True)


def lead(**fields: Any) -> Record:
    return Record("salesforce", "00Q1", {
        "LeadSync_Id__c": "key-1", "Email": "Ada@Analytical.example", "Name": "Ada Lovelace",
        "OwnerId": RICK.id, "Status": "Open - Not Contacted", "IsConverted": False,
        "LeadSync_Qualified__c": True, "LeadSync_Hot__c": True,
        "LeadSync_Qualified_At__c": "2026-11-02T09:00:00.000Z", **fields}, H)


def sweep(rules: SweepRules, now: datetime, leads: Sequence[Record] = (),
          stored: Mapping[str, Any] | None = None, touches: Sequence[Touch] = (),
          pool: Sequence[Rep] | None = None, position: int = 0) -> SweepPlan:
    inputs = SweepInputs(now, {r.id: r for r in leads or [lead()]}, stored or {}, REPS,
                         pool, position)
    planner = SweepPlanner(rules, inputs)
    planner.open()
    return planner.judge({"00Q1": list(touches)}, {"00Q1": ADA})


def saved(plan: SweepPlan, refused: Sequence[str] = ()) -> dict[str, Any]:
    return {row["key"]: row for row in plan.settle(refused)}


def crm_fields(plan: SweepPlan) -> Mapping[str, Any]:
    [op] = plan.writes_to("crm")
    return op.fields


def test_a_qualified_lead_starts_a_clock_at_its_qualified_at_and_stamps_it() -> None:
    planner = SweepPlanner(rules(), SweepInputs(H + timedelta(minutes=5), {"00Q1": lead()}, {},
                                                REPS))
    window = planner.open()
    assert window is not None and window.record_ids == ["00Q1"] and window.since == H
    plan = planner.judge({}, {})
    fields = crm_fields(plan)
    assert fields["LeadSync_SLA_Policy__c"] == "hot"
    assert fields["LeadSync_First_Touch_By__c"] == "2026-11-02T10:00:00.000Z"
    assert fields["LeadSync_SLA_Status__c"] == "pending"
    assert [e.event for e in plan.events] == ["handoff"]
    assert plan.events[0].email == "ada@analytical.example"
    assert plan.result.started == 1 and saved(plan)["key-1"]["open"] is True


def test_a_lead_no_policy_covers_gets_no_clock() -> None:
    plan = sweep(rules(), H, [lead(LeadSync_Hot__c=False)])
    assert plan.judged == {} and plan.writes == [] and plan.events == []


def test_a_rep_calendar_clock_starts_as_resolve_calendar_says_and_is_named_after_the_zone(
        ) -> None:
    policy = {**HOT, "calendar": "rep"}
    plan = sweep(rules(policy), H)
    clock = plan.judged["key-1"].clock
    same = Clock.start("key-1", rules(policy).policies[0],
                       resolve_calendar(rules(policy).policies[0], {"default": NINE_TO_FIVE},
                                        RICK.time_zone), H, RICK.id)
    assert clock.calendar == "rep:Europe/Berlin" == same.calendar
    assert clock.deadlines == same.deadlines
    assert "on calendar rep:Europe/Berlin" in plan.events[0].reason


def test_a_new_breach_plans_a_task_for_the_manager_and_a_notification_once() -> None:
    policy = rules(webhook_url="https://hooks.example/sla")
    started = saved(sweep(policy, H))
    plan = sweep(policy, H + timedelta(hours=2), stored=started)
    [task] = plan.tasks
    [note] = plan.notifications
    epoch = int(H.timestamp())
    assert task.task.owner_id == CYNDI.id and task.task.key == "key-1:first_touch"
    assert task.key == f"key-1/{epoch}:first_touch:task"
    assert note.key == f"key-1/{epoch}:first_touch:notify"
    assert note.event["kind"] == "first_touch" and note.event["policy"] == "hot"
    assert note.event["lead"] == {"crm_id": "00Q1", "key": "key-1",
                                  "email": "Ada@Analytical.example"}
    assert [e.event for e in plan.events] == ["breach", "webhook", "escalated"]
    assert plan.result.breaches == plan.result.escalations == 1
    again = sweep(policy, H + timedelta(hours=2), stored=started)
    assert [t.key for t in again.tasks] == [task.key]  # the same decision, the same key
    later = sweep(policy, H + timedelta(hours=3), stored=saved(plan))
    assert later.tasks == [] and later.notifications == []  # acted on once


def test_without_a_webhook_a_breach_plans_no_notification() -> None:
    plan = sweep(rules(), H + timedelta(hours=2), stored=saved(sweep(rules(), H)))
    assert len(plan.tasks) == 1 and plan.notifications == []


def test_an_outcome_completes_the_audit_events_that_wait_for_it() -> None:
    from leadsync.connector.models import WriteResult

    policy = rules(webhook_url="https://hooks.example/sla")
    plan = sweep(policy, H + timedelta(hours=2), stored=saved(sweep(policy, H)))
    plan.tasks[0].done(WriteResult("k", True, "00T1"))
    plan.notifications[0].delivered(WriteResult("k", False, code="HTTP 500"))
    webhook, escalated = plan.events[1], plan.events[2]
    assert escalated.details == {"task": "00T1", "to": CYNDI.id, "ok": True}
    assert webhook.details == {"ok": False} and webhook.reason.endswith("webhook failed: HTTP 500")


def test_a_breach_reassigns_to_the_next_eligible_rep_and_the_position_is_kept() -> None:
    policy = rules({**HOT, "on_breach": ["reassign"]},
                   pool={"reps": ["amy@sales.example", "bob@sales.example"]})
    members = pool_members(policy.settings, REPS)
    assert members == [AMY, BOB]
    started = sweep(policy, H, [lead(OwnerId=AMY.id)], pool=members)
    assert started.position == 0  # amy's own lead: nobody assigned
    plan = sweep(policy, H + timedelta(hours=2), [lead(OwnerId=AMY.id)], saved(started),
                 pool=members)
    assert crm_fields(plan)["OwnerId"] == BOB.id
    assert plan.judged["key-1"].clock.owner_id == BOB.id
    assert plan.position == 0 and plan.result.reassignments == 1
    [move] = plan.assignments
    assert (move.from_id, move.to_id) == (AMY.id, BOB.id)
    assert move.key == f"key-1/{int(H.timestamp())}:first_touch:reassign"
    [reassigned] = [e for e in plan.events if e.event == "reassigned"]
    assert reassigned.details["from"] == AMY.id and "amy@sales.example: excluded" in \
        reassigned.details["skipped"]


def test_a_new_lead_owned_by_nobody_in_the_pool_goes_to_the_next_rep() -> None:
    policy = rules(pool={"reps": ["amy@sales.example", "bob@sales.example"]})
    plan = sweep(policy, H, [lead(OwnerId="00Gqueue")], pool=[AMY, BOB], position=1)
    assert crm_fields(plan)["OwnerId"] == BOB.id
    assert plan.position == 0
    assert [e.event for e in plan.events] == ["assigned", "handoff"]
    [given] = plan.assignments
    assert given.key == f"key-1/{int(H.timestamp())}:assign" and given.from_id == "00Gqueue"


def test_an_exhausted_lead_is_recycled_in_the_crm_in_marketing_and_to_the_nurture_list(
        ) -> None:
    started = saved(sweep(rules(), H))
    plan = sweep(rules(), H + timedelta(days=3, minutes=1), stored=started)
    fields = crm_fields(plan)
    assert fields["Status"] == "Recycled - Nurture"
    assert fields["LeadSync_SLA_Status__c"] == "recycled"
    assert fields["LeadSync_Recycle_Count__c"] == 1
    [marketing] = plan.writes_to("marketing")
    assert marketing.key == "key-1" and marketing.target_id == "hs-1"
    assert marketing.fields["hs_lead_status"] == "BAD_TIMING"
    assert marketing.fields["leadsync_recycle_count"] == 1
    assert marketing.reset == ("hs_lead_status",)
    assert plan.nurture_ids() == {"LeadSync: recycled for nurture": ["hs-1"]}
    row = saved(plan)["key-1"]
    assert row["status"] == "recycled" and row["open"] is False
    assert plan.result.recycled == 1
    assert plan.recycles["00Q1"].key == f"key-1/{int(H.timestamp())}:recycle"


def test_a_recycle_the_crm_refuses_leaves_the_clock_running_and_marketing_untold() -> None:
    started = saved(sweep(rules(), H))
    plan = sweep(rules(), H + timedelta(days=3, minutes=1), stored=started)
    row = saved(plan, refused=["00Q1"])["key-1"]
    assert row["open"] is True and row["status"] == "breached"
    assert row["clock"]["recycled_at"] is None
    assert plan.writes_to("marketing", ["00Q1"]) == []
    assert plan.nurture_ids(["00Q1"]) == {}
    assert plan.result.recycled == 0
    retried = sweep(rules(), H + timedelta(days=3, minutes=5), stored={"key-1": row})
    assert retried.result.recycled == 1  # the next sweep recycles again


def test_touches_count_once_and_meet_the_policy() -> None:
    started = saved(sweep(rules(), H))
    touches = [Touch("t1", "call", H + timedelta(minutes=10)),
               Touch("t2", "meeting", H + timedelta(minutes=20)),
               Touch("t3", "email", H + timedelta(minutes=30))]
    plan = sweep(rules(), H + timedelta(hours=1), stored=started, touches=touches)
    assert plan.judged["key-1"].status == "met"
    assert [e.event for e in plan.events] == ["touch", "touch", "touch"]
    again = sweep(rules(), H + timedelta(hours=2), stored=saved(plan), touches=touches)
    assert again.events == [] and again.judged["key-1"].clock.calls == 2


def test_a_recycled_lead_qualified_again_later_is_handed_off_anew_and_reopened() -> None:
    recycled = saved(sweep(rules(), H + timedelta(days=4), stored=saved(sweep(rules(), H))))
    assert recycled["key-1"]["status"] == "recycled"
    waiting = sweep(rules(), H + timedelta(days=5), [lead(Status="Recycled - Nurture")],
                    recycled)
    assert waiting.judged == {}  # its clock stays stopped
    again = H + timedelta(days=6)
    plan = sweep(rules(), again + timedelta(minutes=1),
                 [lead(Status="Recycled - Nurture",
                       LeadSync_Qualified_At__c=again.isoformat())], recycled)
    fields = crm_fields(plan)
    assert fields["Status"] == "Open - Not Contacted"
    assert plan.judged["key-1"].clock.deadlines.handoff_at == again
    assert "handed off again" in plan.events[0].reason


def test_a_disqualified_lead_is_resolved_once() -> None:
    started = saved(sweep(rules(), H))
    plan = sweep(rules(), H + timedelta(minutes=30), [lead(Status="Closed - Not Converted")],
                 started)
    assert plan.judged["key-1"].status == "resolved" and plan.result.resolved == 1
    assert [e.reason for e in plan.events] == ["disqualified: Closed - Not Converted"]


def test_a_converted_lead_is_resolved_without_a_write_the_crm_would_refuse() -> None:
    # Salesforce refuses any update to a converted lead (CANNOT_UPDATE_CONVERTED_LEAD): the
    # clock is resolved in the state store and nothing is planned for the lead itself.
    started = saved(sweep(rules(), H))
    converted = Record("salesforce", "00Q1", {**lead().fields, "IsConverted": True}, H,
                       read_only=True)
    plan = sweep(rules(), H + timedelta(minutes=30), [converted], started)
    assert plan.judged["key-1"].status == "resolved" and plan.result.resolved == 1
    assert plan.writes_to("crm") == [] and saved(plan)["key-1"]["status"] == "resolved"


def test_an_escalate_to_that_is_no_user_is_refused_naming_the_crm() -> None:
    with pytest.raises(ConfigError, match=r"'nobody@sales\.example' is not a user of salesforce"):
        sweep(rules(escalate_to="nobody@sales.example"), H)


def test_a_pool_from_a_queue_takes_its_members_in_the_crms_order() -> None:
    settings = rules(pool={"queue": "Inbound"}).settings
    assert pool_members(settings, REPS, ["005bob", "005gone", "005amy"]) == [BOB, AMY]
    assert pool_members(rules().settings, REPS) is None
