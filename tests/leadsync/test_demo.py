"""``leadsync demo`` end to end on sandbox orgs of 60 people, its numbers checked against what
the orgs and the state store hold (counted here from the orgs' own records, not from the
demo's counters).

The demo runs once for the module; each test reads a part of the story it told.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from rich.console import Console

from leadsync.connector.state import StateStore
from leadsync.demo import Story, tell
from leadsync.demo_story import (
    CONVERTED_OTHER,
    CONVERTED_QUALIFIED,
    HANDED,
    KEPT,
    NOT_LINKED,
    SALES_OWN,
)
from leadsync.sandbox.server import Sandbox

SEED = 60
NURTURE_LIST = "LeadSync: recycled for nurture"


@dataclass
class Told:
    story: Story
    sandbox: Sandbox
    output: str
    state: Path


@pytest.fixture(scope="module")
def told(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Told]:
    folder = tmp_path_factory.mktemp("demo")
    out = io.StringIO()
    console = Console(file=out, width=100, force_terminal=False, color_system=None)
    with Sandbox(seed=SEED) as sandbox:
        story = tell(sandbox, folder, SEED, console)
        yield Told(story, sandbox, out.getvalue(), folder / "leadsync-demo.db")


def _leads(sandbox: Sandbox) -> list[dict[str, Any]]:
    return [r for r in sandbox.salesforce.records["Lead"].values() if not r.get("IsDeleted")]


def _contacts(sandbox: Sandbox) -> list[dict[str, Any]]:
    return sandbox.hubspot.store.live("contacts")


def test_every_seeded_person_is_in_exactly_one_row_and_the_rows_sum_to_the_total(
        told: Told) -> None:
    accounting = told.story.accounting
    contacts = _contacts(told.sandbox)
    leads = {str(r["Email"]).lower(): r for r in _leads(told.sandbox)}
    assert len(contacts) == SEED  # every person ends up in HubSpot, once
    # Counted from the orgs: a lead stamped with an SLA policy was handed off (the reps'
    # conversions came after); a converted lead without one was converted before LeadSync.
    qualified = {str(c["properties"]["email"]).lower(): c["properties"].get(
        "leadsync_qualified") == "true" for c in contacts}
    counts = {HANDED: 0, CONVERTED_QUALIFIED: 0, KEPT: 0, SALES_OWN: 0, CONVERTED_OTHER: 0}
    for email, is_qualified in qualified.items():
        lead = leads.get(email)
        if lead is None:
            counts[KEPT] += 1
            assert not is_qualified  # a qualified person is always handed to Salesforce
        elif lead.get("LeadSync_SLA_Policy__c"):
            counts[HANDED] += 1
        elif lead.get("IsConverted"):
            counts[CONVERTED_QUALIFIED if is_qualified else CONVERTED_OTHER] += 1
        else:
            counts[SALES_OWN] += 1
            assert not is_qualified
    assert {label: accounting.count(label) for label in counts} == counts
    assert accounting.count(NOT_LINKED) == 0
    assert accounting.total == sum(counts.values()) == SEED
    assert counts[HANDED] > 0 and counts[KEPT] > 0 and counts[SALES_OWN] > 0


def test_the_leads_kept_in_marketing_split_by_what_their_verdict_found_not_its_wording(
        told: Told) -> None:
    # Counted from HubSpot, apart from any reason's text: a person kept in HubSpot (no
    # Salesforce lead) was ruled out when excluded (an excluded lead has no grade) or missing a
    # field the definition requires (email, company; such a lead keeps its grade); the others
    # scored below the bar.
    leads = {str(r["Email"]).lower() for r in _leads(told.sandbox)}
    ruled = below = 0
    for contact in _contacts(told.sandbox):
        held = contact["properties"]
        if str(held["email"]).lower() in leads:
            continue
        assert held.get("leadsync_qualified") == "false"
        if not held.get("leadsync_grade") or not str(held.get("company") or "").strip():
            ruled += 1
        else:
            below += 1
    accounting = told.story.accounting
    assert (accounting.ruled_out, accounting.below_the_bar) == (ruled, below)
    assert ruled > 0 and below > 0 and ruled + below == accounting.count(KEPT)
    kept = next(row for row in accounting.rows if row.label == KEPT)
    assert kept.detail == (f"{ruled} ruled out (an exclusion or a missing field), {below} "
                           f"below the bar")


def test_the_clocks_in_the_state_store_are_the_leads_handed_off(told: Told) -> None:
    store = StateStore(f"sqlite:///{told.state}")
    try:
        clocks = store.clocks("default", open_only=False)
    finally:
        store.close()
    stamped = [r for r in _leads(told.sandbox) if r.get("LeadSync_SLA_Policy__c")]
    accounting = told.story.accounting
    assert len(clocks) == len(stamped) == accounting.clocks == accounting.handed_off
    # the sync's qualified leads are those handed off and those Salesforce holds converted
    assert accounting.qualified == told.story.sync_qualified
    assert accounting.qualified == accounting.handed_off + accounting.count(CONVERTED_QUALIFIED)
    assert {r["LeadSync_Id__c"] for r in stamped} == set(clocks)


def test_a_rep_sees_each_deadline_in_their_own_time_zone_with_the_zone_shown(
        told: Told) -> None:
    sandbox = told.sandbox
    users = sandbox.salesforce.records["User"]
    leads = {f"{r['FirstName']} {r['LastName']}\n{r['Email']}": r for r in _leads(sandbox)}
    rows = told.story.reps
    assert len(rows) == 6
    assert len({row.zone for row in rows}) >= 2  # the rows go round the reps' zones
    for row in rows:
        lead = leads[row.lead]
        owner = users[lead["OwnerId"]]
        assert (row.owner, row.zone) == (f"{owner['FirstName']} {owner['LastName']}",
                                          owner["TimeZoneSidKey"])
        assert row.zone != "UTC"
        # read the shown time back in the rep's zone: it is the instant Salesforce holds
        shown, abbreviation = row.first_touch_by.rsplit(" ", 1)
        moment = datetime.strptime(shown, "%Y-%m-%d %H:%M").replace(tzinfo=ZoneInfo(row.zone))
        held = datetime.strptime(lead["LeadSync_First_Touch_By__c"], "%Y-%m-%dT%H:%M:%S.%f%z")
        assert moment.astimezone(UTC) == held.replace(second=0, microsecond=0)
        assert abbreviation == moment.tzname() and abbreviation != "UTC"


def test_the_recycled_leads_are_read_back_from_hubspots_nurture_list(told: Told) -> None:
    sandbox, story = told.sandbox, told.story
    [nurture] = [entry for entry in sandbox.hubspot.lists.lists.values()
                 if entry["name"] == NURTURE_LIST]
    members = {str(member) for member in nurture["members"]}
    assert story.swept_later is not None and story.swept_later.recycled > 0
    assert story.nurture_members == len(members) == story.swept_later.recycled
    contacts = {str(c["properties"]["email"]).lower(): c for c in _contacts(sandbox)}
    leads = {str(r["Email"]).lower(): r for r in _leads(sandbox)}
    assert len(story.recycled) == 3
    for row in story.recycled:
        email = row.contact.split("\n")[1].lower()
        contact = contacts[email]
        assert contact["id"] in members and row.in_list == NURTURE_LIST
        held = contact["properties"]
        assert row.reason == held["leadsync_recycle_reason"] and row.reason
        assert row.times == 1 == int(float(held["leadsync_recycle_count"]))
        assert row.lead_status == held["hs_lead_status"] == "BAD_TIMING"
        assert row.recycled_at.endswith(" EST")  # the marketing team's zone, shown
        assert leads[email]["LeadSync_Recycle_Reason__c"] == row.reason  # the rep sees it too
    # one row for each reason: complete cadence, one call, never touched
    assert len({row.reason for row in story.recycled}) == 3


def test_every_handed_off_lead_ended_converted_or_recycled(told: Told) -> None:
    story = told.story
    ended = {row.label: row.people for row in story.ended}
    assert sum(ended.values()) == story.accounting.handed_off
    stamped = [r for r in _leads(told.sandbox) if r.get("LeadSync_SLA_Policy__c")]
    converted = sum(bool(r.get("IsConverted")) for r in stamped)
    assert ended["resolved: converted by the rep"] == converted > 0
    assert story.swept_later is not None
    assert story.swept_later.resolved == converted and story.swept_later.failed == 0
    assert story.swept_later.recycled == len(stamped) - converted


def test_the_second_run_writes_nothing_and_the_output_fits_100_columns(told: Told) -> None:
    assert told.story.second_writes == 0
    assert "Second run: nothing changed, so nothing was written." in told.output
    assert "Time moves on" in told.output and "--allow-future-writes" in told.output
    assert max(len(line) for line in told.output.splitlines()) <= 100


def test_the_demo_command_exits_0_once_every_check_holds() -> None:
    from leadsync.demo import run_demo

    out = io.StringIO()
    assert run_demo(SEED, Console(file=out, width=100, color_system=None)) == 0
    assert f"Every one of the {SEED} people, accounted for" in out.getvalue()
