"""The reports end to end, as an admin gets them: sandbox orgs synced with the example lead
definition, the SLA sweep, the reps' work logged in Salesforce (calls and emails as tasks, one
lead converted), the sweep again once every cadence is over, then ``leadsync report`` run as a
command: ``all --format html --output FILE`` opened in a real headless Chromium, and ``sla
--format json`` checked against counts taken from Salesforce and the state store.

The reps' work, on the handed-off leads in the order of their Salesforce ids (worked out by
hand: the sweep as of after every cadence end judges each lead by it):

- the first is called 20 minutes after its handoff and converted a day later: met, resolved;
- the second gets the whole cadence (4 calls and 2 emails in its first five days): met, then
  recycled ("cadence complete");
- the third is called once: its first touch is in time, its cadence is not completed by its
  end: breached, recycled;
- every other lead is never touched: its first-touch deadline is missed: breached, recycled.

So of N leads handed off: 2 met, N - 2 breached, none open; 1 converted, N - 1 recycled; 3
touched.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from leadsync.connector.config import Config
from leadsync.connector.qualify import instant
from leadsync.connector.state import StateStore
from leadsync.demo import DEFINITION, DEMO_SLA, sandbox_config
from leadsync.jobs.sla import run_sweep
from leadsync.jobs.sync import run_sync
from leadsync.sandbox.salesforce.seed import convert_lead, log_work
from leadsync.sandbox.server import Sandbox
from tests.jobs.test_cli import leadsync, secrets_env
from tests.leadsync.browser import Browser, chromium_or_skip, save_screenshot

SEED = 40
SCREENSHOT = Path("/tmp/leadsync-report-e2e.png")
SECTIONS = ["sla", "sla-teams", "ghosts", "ghosts-months", "ghosts-leads", "recycled",
            "recycled-leads", "funnel", "funnel-campaigns", "definition", "delay", "delay-reps"]
PAGE = {
    "sections": "[...document.querySelectorAll('section.report')].map(s => s.id)",
    "headings": "[...document.querySelectorAll('section.report h2')].map(h => h.textContent)",
    "charts": "document.querySelectorAll('svg.chart').length",
    "text": "document.body.innerText",
}


@dataclass
class Worked:
    sandbox: Sandbox
    config: Config
    args: list[str]  # --config ...
    env: dict[str, str]
    later: datetime
    handed: list[dict[str, Any]]  # the handed-off Salesforce leads, by id


def _handed(sandbox: Sandbox) -> list[dict[str, Any]]:
    leads = [dict(r) for r in sandbox.salesforce.records["Lead"].values()
             if not r.get("IsDeleted") and r.get("LeadSync_SLA_Policy__c")]
    return sorted(leads, key=lambda r: str(r["Id"]))


def _moment(lead: dict[str, Any], name: str) -> datetime:
    moment = instant(lead.get(name))
    assert moment is not None, f"lead {lead['Id']}: no {name}"
    return moment


@pytest.fixture(scope="module")
def worked(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Worked]:
    folder = tmp_path_factory.mktemp("reports")
    with Sandbox(seed=SEED) as sandbox:
        config = sandbox_config(sandbox.info, folder, state=str(folder / "state.db"),
                                definition=DEFINITION, extra=DEMO_SLA)
        assert all(side.failed == 0 for side in run_sync(config).sides.values())
        now = datetime.now(UTC)
        assert run_sweep(config, now).failed == 0
        handed = _handed(sandbox)
        assert len(handed) >= 4, "the seed hands off too few leads for this test"
        org = sandbox.salesforce
        first, second, third = (str(lead["Id"]) for lead in handed[:3])
        handoff = {str(lead["Id"]): _moment(lead, "LeadSync_Handoff_At__c") for lead in handed}
        day = timedelta(days=1)
        at = handoff[first] + timedelta(minutes=20)
        log_work(org, first, "call", at)
        convert_lead(org, first, at + day)
        at = handoff[second] + timedelta(minutes=20)
        for kind, when in (("call", at), ("call", at + day), ("email", at + day),
                           ("call", at + 2 * day), ("call", at + 3 * day),
                           ("email", at + 4 * day)):
            log_work(org, second, kind, when)
        log_work(org, third, "call", handoff[third] + timedelta(minutes=20))
        last_end = max(_moment(lead, "LeadSync_Cadence_End__c") for lead in handed)
        later = last_end.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
        swept = run_sweep(config, later, allow_future_writes=True)
        assert swept.failed == 0 and swept.recycled == len(handed) - 1
        yield Worked(sandbox, config, ["--config", str(folder / "leadsync.toml")],
                     secrets_env(sandbox), later, _handed(sandbox))


def _now(worked: Worked) -> list[str]:
    return ["--now", worked.later.strftime("%Y-%m-%dT%H:%M:%SZ")]


def test_the_html_report_opens_in_chromium_with_every_section_and_nothing_fetched(
        worked: Worked, tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    result = leadsync("report", "all", "--format", "html", "--output", str(page), *_now(worked),
                      *worked.args, env=worked.env)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "" and f"wrote {page}" in result.stderr
    with Browser(chromium_or_skip()) as browser:
        visit = browser.visit(page.as_uri(), evaluate=PAGE)
    save_screenshot(visit, SCREENSHOT)
    assert visit.errors == []
    assert visit.requests == [page.as_uri()]  # nothing fetched but the file itself
    assert visit.values["sections"] == [f"report-{name}" for name in SECTIONS]
    assert visit.values["headings"][0] == "SLA compliance by rep"
    assert visit.values["charts"] >= 6
    # the reps by name, as the CRM knows them; times in the report's zone, the zone shown
    users = worked.sandbox.salesforce.records["User"]
    owner = users[str(worked.handed[0]["OwnerId"])]
    assert f"{owner['FirstName']} {owner['LastName']}" in visit.values["text"]
    # every time in the zone of the config's default calendar (New York), the zone named
    assert later_shown(worked) in visit.values["text"] and " UTC" not in visit.values["text"]


def later_shown(worked: Worked) -> str:
    """When the reports were made, as the page shows it: in New York's time, its zone named."""
    return worked.later.astimezone(ZoneInfo("America/New_York")).strftime("%Y-%m-%d %H:%M %Z")


def test_sla_json_equals_the_counts_of_salesforce_and_the_state_store(worked: Worked) -> None:
    result = leadsync("report", "sla", "--format", "json", *_now(worked), *worked.args,
                      env=worked.env)
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    [by_rep, by_team] = document["reports"]
    rows = {row["rep_id"]: row for row in by_rep["rows"]}
    total = rows.pop("")
    handed = worked.handed
    n = len(handed)
    # from Salesforce: the leads handed off (SLA stamped), by owner; a breach stamped on each
    # lead that missed a deadline; the statuses the sweep wrote (the converted lead is locked)
    by_owner = Counter(str(lead["OwnerId"]) for lead in handed)
    breached = Counter(str(lead["OwnerId"]) for lead in handed
                       if lead.get("LeadSync_Breached_At__c"))
    statuses = Counter(str(lead.get("LeadSync_SLA_Status__c")) for lead in handed
                       if not lead.get("IsConverted"))
    assert statuses == {"recycled": n - 1}
    assert sum(bool(lead.get("IsConverted")) for lead in handed) == 1
    assert {rep: row["handed_off"] for rep, row in rows.items()} == dict(by_owner)
    assert {rep: row["breached"] for rep, row in rows.items() if row["breached"]} == \
        dict(breached)
    # from the state store: one clock a lead handed off
    store = StateStore(worked.config.state.url)
    try:
        cycles = store.clock_cycles("default")
    finally:
        store.close()
    assert len(cycles) == n and {c.crm_id for c in cycles} == {str(r["Id"]) for r in handed}
    # and as worked out by hand in the module docstring
    assert (total["handed_off"], total["met"], total["breached"], total["open"]) == \
        (n, 2, n - 2, 0)
    assert total["met_rate"] == pytest.approx(2 / n)
    users = worked.sandbox.salesforce.records["User"]
    for rep_id, row in rows.items():
        user = users[rep_id]
        assert (row["rep"], row["rep_email"]) == (f"{user['FirstName']} {user['LastName']}",
                                                  user["Email"])
    [team] = by_team["rows"]  # every seeded rep reports to one manager
    assert (team["team"], team["handed_off"], team["reps"]) == ("Cyndi Park", n, len(rows))
