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
    report: Path


@pytest.fixture(scope="module")
def told(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Told]:
    folder = tmp_path_factory.mktemp("demo")
    out = io.StringIO()
    console = Console(file=out, width=100, force_terminal=False, color_system=None)
    report = folder / "leadsync-demo-report.html"
    with Sandbox(seed=SEED) as sandbox:
        story = tell(sandbox, folder, SEED, console, report)
        yield Told(story, sandbox, out.getvalue(), folder / "leadsync-demo.db", report)


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


def test_the_reports_it_ends_with_agree_with_the_story_it_told(told: Told) -> None:
    story = told.story
    numbers = story.headline
    assert numbers is not None and story.swept_later is not None
    ended = {row.label: row.people for row in story.ended}
    missed = sum(people for label, people in ended.items() if label.endswith("missed)"))
    # counted from Salesforce: the leads handed off (SLA stamped), converted by the reps
    stamped = [r for r in _leads(told.sandbox) if r.get("LeadSync_SLA_Policy__c")]
    converted = sum(bool(r.get("IsConverted")) for r in stamped)
    # SLA compliance: every lead handed off is one clock, met or breached once swept as of then
    assert numbers.handed_off == story.accounting.handed_off == len(stamped)
    assert (numbers.met + numbers.breached, numbers.breached) == (len(stamped), missed)
    # recycled: what the sweep recycled and HubSpot's nurture list holds; none came back yet
    assert numbers.recycled == story.swept_later.recycled == story.nurture_members > 0
    assert (numbers.came_back, numbers.converted_after) == (0, 0)
    # the funnel: every person judged, the qualified ones MQL, the reps' work and conversions
    assert (numbers.leads, numbers.mql) == (SEED, story.accounting.qualified)
    assert numbers.working == story.worked > 0
    assert numbers.converted == story.converted == converted == story.swept_later.resolved
    assert numbers.working <= numbers.accepted <= numbers.mql
    # and the console says so, in the report's own words
    out = told.output
    assert "SLA compliance by rep (leadsync report sla)" in out
    assert f"{numbers.recycled} leads recycled to nurture" in out
    assert (f"{SEED} leads judged -> {numbers.mql} MQL -> {numbers.accepted} accepted -> "
            f"{numbers.working} working -> {numbers.converted}") in " ".join(out.split())


def test_every_report_is_saved_in_one_html_file_that_needs_nothing_else(told: Told) -> None:
    assert told.story.report_path == told.report
    page = told.report.read_text(encoding="utf-8")
    names = {report.name for report in told.story.reports}
    assert {"sla", "ghosts", "recycled", "funnel", "definition", "delay"} <= names
    for report in told.story.reports:
        assert f'id="report-{report.name}"' in page
        assert report.title.replace("'", "&#x27;") in page
    assert page.count('<section class="report') == len(told.story.reports)
    assert "<script" not in page and "http://" not in page and "https://" not in page
    # the console says where it is (the path may wrap at 100 columns)
    assert str(told.report.resolve()) in "".join(told.output.split())


def test_the_demos_report_opens_in_chromium_without_an_error_or_a_request(told: Told) -> None:
    from tests.leadsync.browser import Browser, chromium_or_skip, save_screenshot

    with Browser(chromium_or_skip()) as browser:
        visit = browser.visit(told.report.as_uri(), evaluate={
            "sections": "document.querySelectorAll('section.report').length",
            "text": "document.body.innerText"})
    save_screenshot(visit, Path("/tmp/leadsync-demo-report.png"))  # for a person to look at
    assert visit.errors == [] and visit.requests == [told.report.as_uri()]
    assert visit.values["sections"] == len(told.story.reports)
    assert " EST" in visit.values["text"] and " UTC" not in visit.values["text"]


def test_the_demo_command_exits_0_and_writes_its_report_in_the_current_folder(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from leadsync.cli import app

    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["demo", "--seed", str(SEED)], env={"COLUMNS": "100"})
    assert result.exit_code == 0, result.output
    assert (tmp_path / "leadsync-demo-report.html").stat().st_size > 10_000
    assert f"Every one of the {SEED} people, accounted for" in result.output
    assert "opens offline" in result.output


def test_no_report_writes_none_and_report_names_the_file(monkeypatch: pytest.MonkeyPatch,
                                                        tmp_path: Path) -> None:
    from typer.testing import CliRunner

    import leadsync.demo
    from leadsync.cli import app

    asked: list[Path | None] = []

    def run_demo(seed: int, report_path: Path | None) -> int:
        asked.append(report_path)
        return 0

    monkeypatch.setattr(leadsync.demo, "run_demo", run_demo)
    runner = CliRunner()
    assert runner.invoke(app, ["demo", "--no-report"]).exit_code == 0
    assert runner.invoke(app, ["demo", "--report", str(tmp_path / "r.html")]).exit_code == 0
    assert runner.invoke(app, ["demo"]).exit_code == 0
    assert asked == [None, tmp_path / "r.html", Path("leadsync-demo-report.html")]
