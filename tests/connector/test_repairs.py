"""Reconcile's report, with no network: the real planner's writes, as ``Repairs`` reads them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from leadsync.connector.decisions import decision
from leadsync.connector.identity import Duplicates
from leadsync.connector.mapping import FieldMapping, FieldRule
from leadsync.connector.models import FieldValue, Record, Side, WriteResult
from leadsync.connector.plan import Pair, plan
from leadsync.connector.repairs import Repairs, gone
from leadsync.connector.store import Link
from leadsync.connector.transforms import TransformContext

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
LATER = T0 + timedelta(minutes=5)
NAMES: dict[Side, str] = {"marketing": "hubspot", "crm": "salesforce"}
NOTES: dict[Side, str] = {"marketing": "leadsync_note", "crm": "LeadSync_Note__c"}
CONTEXTS: dict[Side, TransformContext] = {"marketing": TransformContext(),
                                          "crm": TransformContext()}
LINK = Link("k1", "hs1", "00Q1", "ada@example.com")


def mapping(conflict: str = "two_way") -> FieldMapping:
    rules = (FieldRule("jobtitle", "Title", "both", conflict=conflict),
             FieldRule("hs_lead_status", "Status", "to_marketing"))
    return FieldMapping(Path("m.toml"), "contacts", "Lead", "email", "Email", rules)


def pair(hubspot: dict[str, FieldValue] | None, salesforce: dict[str, FieldValue] | None,
         agreed: dict[str, FieldValue] | None = None, link: Link | None = LINK,
         crm_deleted: bool = False) -> Pair:
    contact = None if hubspot is None else Record("hubspot", "hs1", hubspot, T0)
    lead = None if salesforce is None else Record("salesforce", "00Q1", salesforce, LATER,
                                                  deleted=crm_deleted)
    ledger: dict[tuple[str, str], FieldValue] = {}
    if agreed is not None:
        ledger = {("hubspot", "jobtitle"): agreed["title"],
                  ("salesforce", "Title"): agreed["title"]}
    found = Pair("k1", {"marketing": contact, "crm": lead},
                 changed={s for s, r in (("marketing", contact), ("crm", lead)) if r},
                 ledger=ledger, link=link)
    found.marketing_email = "ada@example.com" if contact else None
    found.crm_email = "ada@example.com" if lead else None
    return found


def watched(pairs: list[Pair], dry_run: bool = True, conflict: str = "two_way") -> Repairs:
    rules = mapping(conflict)
    report = Repairs(rules, NAMES, NOTES, dry_run=dry_run)
    kept = report.screen(pairs)
    report.planned(kept, plan(kept, rules, CONTEXTS, NAMES))
    return report


def test_a_dry_run_reports_each_field_it_would_write_with_before_after_and_the_rule() -> None:
    report = watched([pair({"jobtitle": "CTO"}, {"Title": "CEO"}, agreed={"title": "CTO"})])
    [repair] = report.repairs
    assert (repair.email, repair.marketing_id, repair.crm_id, repair.system, repair.field,
            repair.before, repair.after, repair.rule, repair.outcome) == (
        "ada@example.com", "hs1", "00Q1", "hubspot", "jobtitle", "CTO", "CEO", "two_way",
        "would repair")
    assert repair.why == ("changed in salesforce since both agreed on 'CTO'; hubspot still "
                          "held the agreed value")
    assert report.summary() == {"reconcile": {"leads": 1, "would_repair": 1}}


def test_a_value_cleared_on_one_side_since_both_agreed_is_reported_as_a_clear() -> None:
    [repair] = watched([pair({"jobtitle": "CTO"}, {"Title": ""}, agreed={"title": "CTO"})]
                       ).repairs
    assert (repair.system, repair.before, repair.after) == ("hubspot", "CTO", None)
    assert repair.why.startswith("cleared in salesforce since both agreed on 'CTO'")


def test_the_rule_named_is_the_fields_own_and_says_why_it_won() -> None:
    [repair] = watched([pair({"jobtitle": "CTO"}, {"Title": ""})],
                       conflict="prefer_marketing_unless_blank").repairs
    assert (repair.system, repair.after, repair.rule, repair.why) == (
        "salesforce", "CTO", "prefer_marketing_unless_blank",
        "hubspot's value wins whenever it has one")
    [status] = watched([pair({"hs_lead_status": "NEW"}, {"Status": "Working"})]).repairs
    assert (status.field, status.rule, status.why) == (
        "hs_lead_status", "always_crm", "salesforce's value always wins")


def test_with_no_agreed_value_a_blank_is_filled_and_the_later_change_wins() -> None:
    [fill] = watched([pair({"jobtitle": ""}, {"Title": "CEO"})]).repairs
    assert fill.why == "no agreed value, blank in hubspot: filled from salesforce"
    [later] = watched([pair({"jobtitle": "CTO"}, {"Title": "CEO"})]).repairs
    assert later.why == "no agreed value; salesforce was modified later"


def test_a_run_reports_confirmed_writes_as_repaired_and_refused_ones_with_the_code() -> None:
    rules = mapping()
    report = Repairs(rules, NAMES, NOTES, dry_run=False)
    pairs = report.screen([pair({"jobtitle": "CTO"}, {"Title": "CEO"}, agreed={"title": "CTO"})])
    planned = plan(pairs, rules, CONTEXTS, NAMES)
    report.planned(pairs, planned)
    assert report.repairs == []  # nothing until a batch is confirmed
    [write] = planned.writes
    report.confirmed("marketing", [write], [WriteResult("k1", True, "hs1")])
    report.confirmed("marketing", [write], [WriteResult(
        "k1", False, code="INVALID_OPTION", message="not an option")])
    assert [(r.outcome, r.code) for r in report.repairs] == [
        ("repaired", ""), ("refused", "INVALID_OPTION")]
    assert report.summary() == {"reconcile": {"leads": 1, "refused": 1, "repaired": 1}}


def test_a_created_record_is_reported_with_no_value_before_and_its_new_id() -> None:
    rules = mapping()
    report = Repairs(rules, NAMES, NOTES, dry_run=False)
    pairs = report.screen([pair({"jobtitle": "CTO"}, None, link=None)])
    planned = plan(pairs, rules, CONTEXTS, NAMES)
    report.planned(pairs, planned)
    [write] = planned.writes
    report.confirmed("crm", [write], [WriteResult("k1", True, "00Q9", created=True)])
    [repair] = report.repairs
    assert (repair.crm_id, repair.before, repair.after, repair.create, repair.why) == (
        "00Q9", None, "CTO", True, "no record in salesforce: created from hubspot")


def test_a_lead_whose_record_is_gone_on_one_side_is_left_alone_and_reported() -> None:
    deleted = pair({"jobtitle": "CTO"}, {"Title": "CEO"}, crm_deleted=True)
    missing = pair({"jobtitle": "CTO"}, None)  # linked to 00Q1, which is no longer found
    report = watched([deleted, missing])
    assert report.repairs == []
    assert [(u.kind, u.system, u.email, u.ids) for u in report.unrepairable] == [
        ("gone", "salesforce", "ada@example.com", ("00Q1",))] * 2
    assert report.unrepairable[0].detail == (
        "deleted in salesforce on 2026-11-02; hubspot hs1 left as is")
    assert report.unrepairable[1].detail == (
        "00Q1 no longer found in salesforce; hubspot hs1 left as is")
    assert report.summary() == {"reconcile": {"gone": 2, "leads": 0}}


def test_a_new_lead_and_a_live_pair_are_not_gone() -> None:
    assert gone(pair({"jobtitle": "CTO"}, None, link=None), NAMES) is None
    assert gone(pair({"jobtitle": "CTO"}, {"Title": "CTO"}), NAMES) is None
    assert gone(pair(None, {"Title": "CTO"}, crm_deleted=True, link=None), NAMES) is None


def test_shared_emails_are_reported_with_the_record_that_keeps_the_link_first() -> None:
    report = Repairs(mapping(), NAMES, NOTES)
    duplicates = Duplicates()
    duplicates.add("salesforce", "ada@example.com", "00Q1", ["00Q7"])
    report.shared(duplicates)
    [left] = report.unrepairable
    assert (left.kind, left.system, left.email, left.ids) == (
        "shared_email", "salesforce", "ada@example.com", ("00Q1", "00Q7"))
    assert "00Q1 holds the link, 00Q7 not synced" in left.detail


def test_notes_and_verdicts_are_named_for_what_decided_them() -> None:
    [write] = plan([pair({"jobtitle": "CTO"}, {"Title": "CEO"}, agreed={"title": "CTO"})],
                   mapping(), CONTEXTS, NAMES).writes
    assert decision(None, write, "leadsync_note", mapping(), NAMES, NOTES)[0] == "on_delete"
    assert decision(None, write, "leadsync_unknown", mapping(), NAMES, NOTES)[0] == "leadsync"
