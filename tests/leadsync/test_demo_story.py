"""The demo's views, worked out by hand on a few people: no orgs, no I/O."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from leadsync.connector.journey import Journey
from leadsync.connector.models import Record
from leadsync.connector.routing import Rep
from leadsync.demo_story import (
    CONVERTED_OTHER,
    CONVERTED_QUALIFIED,
    HANDED,
    HANDED_UNCLOCKED,
    KEPT,
    NOT_LINKED,
    SALES_OWN,
    Person,
    account,
    later_than_every_cadence,
    outcomes,
    recycled_rows,
    rep_rows,
    reps_work,
    ruled_out,
)

T0 = datetime(2026, 12, 7, 14, 0, tzinfo=UTC)  # a Monday, 09:00 in New York
SYDNEY = Rep("005syd", "mia@sales.example", "Mia Chen", "Australia/Sydney")
NEW_YORK = Rep("005nyc", "dan@sales.example", "Dan Ortiz", "America/New_York")
REPS = {rep.id: rep for rep in (SYDNEY, NEW_YORK)}


def who(key: str, qualified: bool = False, ruled: bool | None = False, in_crm: bool = False,
        converted: bool = False, clocked: bool = False) -> Person:
    return Person(key, f"{key}@example.com", qualified, ruled, in_crm, converted, clocked)


def lead(record_id: str, **fields: Any) -> Record:
    return Record("salesforce", record_id, {"FirstName": "Ada", "LastName": record_id,
                                            "Email": f"{record_id}@example.com", **fields}, T0)


def test_each_person_lands_in_one_row_and_the_rows_sum_to_those_seeded() -> None:
    people = [
        who("a", True, in_crm=True, clocked=True),  # handed off
        who("b", True, in_crm=True, clocked=True),  # handed off
        who("c", True, in_crm=True, converted=True),  # converted already
        who("d", False, True),  # kept: ruled out (excluded)
        who("e", False, True),  # kept: ruled out (a required field missing)
        who("f", False, False),  # kept: below the bar
        who("g", False, False, in_crm=True),  # sales' own lead
        who("h", False, True, in_crm=True, converted=True),
    ]
    # 2 handed + 1 converted qualified + 3 kept + 1 sales' own + 1 converted other = 8,
    # and 10 seeded: 2 never linked
    accounting = account(people, seeded=10)
    got = {row.label: row.people for row in accounting.rows}
    assert got == {HANDED: 2, CONVERTED_QUALIFIED: 1, KEPT: 3, SALES_OWN: 1,
                   CONVERTED_OTHER: 1, NOT_LINKED: 2}
    assert accounting.total == 10
    kept = next(row for row in accounting.rows if row.label == KEPT)
    assert kept.detail.startswith("2 ruled out") and kept.detail.endswith("1 below the bar")
    assert (accounting.ruled_out, accounting.below_the_bar) == (2, 1)
    assert (accounting.handed_off, accounting.clocks, accounting.qualified) == (2, 2, 3)


def test_a_kept_lead_with_no_verdict_stored_is_said_so_not_counted_below_the_bar() -> None:
    accounting = account([who("a", ruled=True), who("b", ruled=None), who("c", ruled=None)],
                         seeded=3)
    kept = next(row for row in accounting.rows if row.label == KEPT)
    assert kept.people == 3
    assert kept.detail.startswith("1 ruled out") and "0 below the bar" in kept.detail
    assert kept.detail.endswith("2 with no verdict stored")


def test_ruled_out_is_read_from_the_verdicts_facts_whatever_its_reason_says() -> None:
    # the definition requires email and company; its required rules bear the fields' names
    required = ("email", "company")
    judged = datetime(2026, 12, 1, tzinfo=UTC)

    def journey(**facts: Any) -> Journey:
        return Journey("k", first_judged_at=judged, version="2026.11-1", **facts)

    excluded = journey(excluded=True, matched=("email", "company", "free_mail"))
    no_company = journey(matched=("email", "demo_request"), grade="B", score=60)
    low = journey(matched=("email", "company"), grade="D", score=5)
    assert ruled_out(excluded, required) is True
    assert ruled_out(no_company, required) is True  # keeps its grade, still ruled out
    assert ruled_out(low, required) is False  # below the bar
    assert ruled_out(None, required) is None  # never judged: no verdict stored
    assert ruled_out(Journey("k", crm_id="00Q1"), required) is None  # the sweep's row only


def test_a_qualified_lead_without_a_clock_gets_its_own_row_and_shows_the_difference() -> None:
    accounting = account([who("a", True, in_crm=True, clocked=True),
                          who("b", True, in_crm=True)], seeded=2)
    assert accounting.count(HANDED_UNCLOCKED) == 1
    assert (accounting.handed_off, accounting.clocks) == (2, 1)


def test_deadlines_are_shown_in_the_owners_own_zone_going_round_the_zones() -> None:
    # 2026-12-07 23:00 UTC is 10:00 the next day in Sydney (AEDT, +11) and 18:00 in New
    # York (EST, -5); the cadence end 2026-12-21 14:00 UTC is 01:00 AEDT, 09:00 EST.
    stamps = {"LeadSync_SLA_Policy__c": "standard",
              "LeadSync_First_Touch_By__c": "2026-12-07T23:00:00.000Z",
              "LeadSync_Cadence_End__c": "2026-12-21T14:00:00.000+0000",
              "LeadSync_SLA_Status__c": "pending"}
    leads = [lead("00Q1", OwnerId=SYDNEY.id, **stamps), lead("00Q2", OwnerId=SYDNEY.id, **stamps),
             lead("00Q3", OwnerId=NEW_YORK.id, **stamps), lead("00Q4", OwnerId=NEW_YORK.id),
             lead("00Q5", OwnerId="005gone", **stamps)]
    rows = rep_rows(leads, REPS, limit=3)
    assert [(r.owner, r.zone) for r in rows] == [
        ("Dan Ortiz", "America/New_York"), ("Mia Chen", "Australia/Sydney"),
        ("005gone", "UTC")]  # one lead per zone first; an owner unknown to the CRM: UTC, said
    assert rows[0].first_touch_by == "2026-12-07 18:00 EST"
    assert rows[0].cadence_end == "2026-12-21 09:00 EST"
    assert rows[1].first_touch_by == "2026-12-08 10:00 AEDT"
    assert rows[1].cadence_end == "2026-12-22 01:00 AEDT"
    assert rows[1].lead == "Ada 00Q1\n00Q1@example.com" and rows[1].status == "pending"
    assert len(rep_rows(leads, REPS, limit=10)) == 4  # 00Q4 has no SLA stamped


def test_the_reps_work_one_lead_in_four_each_way_from_the_handoff() -> None:
    leads = [lead(f"00Q{n}", LeadSync_SLA_Policy__c="hot",
                  LeadSync_Handoff_At__c="2026-12-07T14:00:00.000Z") for n in range(8)]
    work = {w.lead_id: w for w in reps_work([*leads, lead("00Q9")])}
    assert sorted(work) == ["00Q0", "00Q1", "00Q2", "00Q4", "00Q5", "00Q6"]  # 3, 7 untouched
    first = T0 + timedelta(minutes=20)
    assert work["00Q0"].touches == (("call", first), ("call", first + timedelta(days=1)))
    assert work["00Q0"].converted_at == first + timedelta(days=2)
    kinds = [kind for kind, _ in work["00Q1"].touches]
    assert (kinds.count("call"), kinds.count("email")) == (4, 2)
    assert work["00Q1"].converted_at is None
    assert work["00Q2"].touches == (("call", first),)


def test_the_first_call_comes_ahead_of_the_first_touch_deadline_stamped() -> None:
    # In id order: a hot lead handed off Monday 15:00 UTC, due 16:00, is lead 0: its call
    # comes 30 minutes ahead (at most 80% of its hour, 48 minutes, may be taken), 15:30.
    # Standard leads handed off Sunday 14:00, due Monday 15:00: leads 1, 2 and 4 are called
    # 60, 90 and 150 minutes before the deadline; lead 3 is one of those never touched.
    due = "2026-12-07T15:00:00.000Z"
    hot = lead("00P9", LeadSync_SLA_Policy__c="hot", LeadSync_Handoff_At__c=due,
               LeadSync_First_Touch_By__c="2026-12-07T16:00:00.000Z")
    leads = [lead(f"00Q{n}", LeadSync_SLA_Policy__c="standard", LeadSync_First_Touch_By__c=due,
                  LeadSync_Handoff_At__c="2026-12-06T14:00:00.000Z") for n in range(4)]
    work = {w.lead_id: w.touches[0][1] for w in reps_work([hot, *leads])}
    monday = datetime(2026, 12, 7, 15, tzinfo=UTC)
    assert work["00P9"] == monday + timedelta(minutes=30)
    assert {key: monday - at for key, at in work.items() if key != "00P9"} == {
        "00Q0": timedelta(minutes=60), "00Q1": timedelta(minutes=90),
        "00Q3": timedelta(minutes=150)}


def test_how_the_leads_ended_is_counted_by_status_and_reason() -> None:
    reason = "Cadence not completed: 0 calls, 0 emails of 4 and 2 in 10 business days"
    leads = [lead("00Q1", LeadSync_SLA_Policy__c="hot", IsConverted=True,
                  LeadSync_SLA_Status__c="pending"),
             lead("00Q2", LeadSync_SLA_Policy__c="hot", LeadSync_SLA_Status__c="recycled",
                  LeadSync_Recycle_Reason__c=reason,
                  LeadSync_Breached_At__c="2026-12-07T15:00:00.000Z"),
             lead("00Q3", LeadSync_SLA_Policy__c="hot", LeadSync_SLA_Status__c="recycled",
                  LeadSync_Recycle_Reason__c=reason,
                  LeadSync_Breached_At__c="2026-12-07T15:00:00.000Z"),
             lead("00Q4")]  # never handed off: not counted
    rows = outcomes(leads)
    assert [(r.label, r.people) for r in rows] == [
        (f"recycled: {reason} (a deadline missed)", 2),
        ("resolved: converted by the rep", 1)]


def test_recycled_contacts_show_one_of_each_reason_first() -> None:
    def contact(record_id: str, reason: str) -> Record:
        return Record("hubspot", record_id, {
            "firstname": "Ada", "lastname": record_id, "email": f"{record_id}@example.com",
            "hs_lead_status": "BAD_TIMING", "leadsync_recycle_reason": reason,
            "leadsync_recycled_at": "2026-12-21T18:00:00.000Z",
            "leadsync_recycle_count": "2"}, T0)

    contacts = [contact("1010", "one call"), contact("1002", "no touch"),
                contact("1003", "no touch"), contact("999", "no touch")]
    rows = recycled_rows(contacts, "Nurture", "America/New_York", limit=3)
    assert [r.contact.split("\n")[1] for r in rows] == [
        "999@example.com", "1010@example.com", "1002@example.com"]
    assert rows[0].recycled_at == "2026-12-21 13:00 EST" and rows[0].times == 2
    assert rows[0].in_list == "Nurture"


def test_the_later_moment_is_the_next_whole_hour_after_the_last_cadence_end() -> None:
    leads = [lead("00Q1", LeadSync_Cadence_End__c="2026-12-21T14:45:00.000Z"),
             lead("00Q2", LeadSync_Cadence_End__c="2026-12-16T09:00:00.000Z"), lead("00Q3")]
    assert later_than_every_cadence(leads, T0) == datetime(2026, 12, 21, 15, 0, tzinfo=UTC)
    assert later_than_every_cadence(leads, datetime(2026, 12, 22, tzinfo=UTC)) is None
