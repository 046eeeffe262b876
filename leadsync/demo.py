"""``leadsync demo``: the main jobs on seeded sandbox orgs, with no credentials and no internet.

Starts both sandbox orgs in-process, writes a config for them (secrets passed the way an admin
would, through ``LEADSYNC_*`` environment variables), and tells the story each team lives:

1. the sync, and a few leads side by side in both systems with the verdict both teams see;
2. the SLA sweep, then where every seeded person is, in one table whose rows sum to the people
   seeded (the clocks started are the leads handed off; a qualified lead Salesforce holds
   converted already gets none: it is a contact on an account);
3. what a rep sees on the Salesforce lead: the owner's name and the deadlines in the owner's
   own time zone, the zone shown;
4. the sync again: a pass with nothing changed writes nothing;
5. time moved on past every cadence's end: the sandbox plays the reps (calls and emails logged
   as Salesforce tasks, some leads converted; the rest untouched), the sweep runs as of then
   (as ``sla sweep --now ... --allow-future-writes`` would), how each handed-off lead ended,
   and the recycled leads as marketing sees them in HubSpot: in the nurture list, with the
   reason, when and how many times;
6. the reports, as ``leadsync report`` computes them as of then (``demo_reports``): SLA
   compliance by rep, the recycled leads and the funnel in the console, and every report saved
   as one self-contained HTML file (``--report PATH``; ``--no-report`` writes none).

Every number shown is read back from the orgs and the state store (``demo_views``); what the
views mean is ``demo_story``'s.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from leadsync import shipped
from leadsync.adapters.registry import load_builtin_kinds
from leadsync.connector.config import Config
from leadsync.connector.config_file import load_config
from leadsync.connector.logs import configure_logging
from leadsync.connector.models import Record
from leadsync.connector.report_model import Report
from leadsync.connector.sweep_actions import SweepResult
from leadsync.connector.sync import SyncEngine
from leadsync.connector.timefmt import local
from leadsync.demo_reports import (
    DEFAULT_REPORT,
    Headline,
    headline,
    headline_lines,
    read_reports,
    report,
    save_html,
    sla_table,
)
from leadsync.demo_story import (
    Accounting,
    RecycledRow,
    RepRow,
    Row,
    later_than_every_cadence,
    outcomes,
    reps_work,
)
from leadsync.demo_views import (
    accounting_table,
    all_links,
    outcomes_table,
    read_accounting,
    read_outcomes,
    read_recycled,
    read_rep_rows,
    read_stamped,
    recycled_table,
    rep_table,
)
from leadsync.jobs.install import run_install
from leadsync.jobs.runs import recorded
from leadsync.jobs.sla import run_sweep
from leadsync.jobs.sync import prepare, sync_pass
from leadsync.render import summary_table
from leadsync.sandbox.salesforce.seed import convert_lead, log_work
from leadsync.sandbox.server import Sandbox

MAPPING = shipped.mapping()
DEFINITION = shipped.definition()

US_SALES_CALENDAR = """
[calendars.us_sales]
time_zone = "America/New_York"
holidays = { country = "US" }

[calendars.us_sales.hours]
mon = ["09:00-17:00"]
tue = ["09:00-17:00"]
wed = ["09:00-17:00"]
thu = ["09:00-17:00"]
fri = ["09:00-17:00"]
"""

DEMO_SLA = US_SALES_CALENDAR + """
[sla]
default_calendar = "us_sales"

[[sla.policies]]
name = "hot_inbound"
priority = 10
match = { hot = true }
calendar = "24x7"
first_touch_within = "1h"
cadence = { calls = 4, emails = 2, within = "10d" }
on_breach = ["escalate"]
on_exhausted = "recycle"

[[sla.policies]]
name = "standard"
calendar = "rep"
first_touch_within = "24h"
cadence = { calls = 4, emails = 2, within = "10d" }
on_breach = ["escalate"]
on_exhausted = "recycle"
"""

CONFIG = """# Written by LeadSync for the sandbox orgs; secrets come from the environment.
[state]
url = "sqlite:///{state}"

[sync]
mapping = "{mapping}"
{definition}
[systems.hubspot]
kind = "hubspot"
role = "marketing"
host = "{hubspot_host}"
ca_bundle = "{ca_bundle}"

[systems.salesforce]
kind = "salesforce"
role = "crm"
auth = "session"
instance_url = "{instance_url}"
ca_bundle = "{ca_bundle}"
"""


def sandbox_config(info: dict[str, Any], folder: Path, mapping: Path = MAPPING,
                   state: str = "leadsync.db", definition: Path | None = None,
                   handoff: str = "qualified_only", extra: str = "",
                   install: bool = True) -> Config:
    """A config for sandbox orgs (``Sandbox.info``), written to ``folder/leadsync.toml``.

    The secrets are passed as an admin would pass them: ``LEADSYNC_*`` environment variables.
    ``extra`` is more TOML (calendars, SLA policies) appended as it is. With ``install``, the
    fields the config needs are then created as an admin would: ``leadsync install --apply``.
    """
    path = folder / "leadsync.toml"
    table = (f'\n[definition]\nfile = "{definition.as_posix()}"\nhandoff = "{handoff}"\n'
             if definition else "")
    path.write_text(CONFIG.format(state=state, mapping=mapping.as_posix(), definition=table,
                                  hubspot_host=info["hubspot"]["host"],
                                  instance_url=info["salesforce"]["instance_url"],
                                  ca_bundle=info["ca_bundle"]) + extra, encoding="utf-8")
    load_builtin_kinds()
    config = load_config(path, env=sandbox_secrets(info))
    if install:
        run_install(config, apply=True)
    return config


def sandbox_secrets(info: dict[str, Any]) -> dict[str, str]:
    return {"LEADSYNC_SYSTEMS__HUBSPOT__ACCESS_TOKEN": info["hubspot"]["access_token"],
            "LEADSYNC_SYSTEMS__SALESFORCE__SESSION_ID": info["salesforce"]["session_id"]}


@dataclass
class Story:
    """What the demo showed, as read back from the orgs (for its tests)."""

    accounting: Accounting
    reps: list[RepRow]
    second_writes: int
    sync_qualified: int  # the first sync's count of qualified leads
    later: datetime | None = None
    swept_later: SweepResult | None = None
    nurture_members: int = 0
    recycled: list[RecycledRow] = field(default_factory=list)
    ended: list[Row] = field(default_factory=list)  # how the handed-off leads ended
    worked: int = 0  # leads the reps touched
    converted: int = 0  # ... and converted
    reports: list[Report] = field(default_factory=list)  # as `leadsync report all` as of then
    headline: Headline | None = None
    report_path: Path | None = None  # the HTML report written


def run_demo(seed: int = 200, console: Console | None = None,
             report_path: Path | None = Path(DEFAULT_REPORT)) -> int:
    """The demo; its HTML report is written to ``report_path`` (None: not written)."""
    console = console or Console()
    configure_logging("console", "warning")
    with tempfile.TemporaryDirectory(prefix="leadsync-demo-") as folder, \
            Sandbox(seed=seed) as sandbox:
        story = tell(sandbox, Path(folder), seed, console, report_path)
    refused = story.swept_later.failed if story.swept_later else 0
    return 1 if story.second_writes or refused or story.accounting.total != seed else 0


def tell(sandbox: Sandbox, folder: Path, seed: int, console: Console,
         report_path: Path | None = None) -> Story:
    """The demo on running sandbox orgs seeded with ``seed`` people; its config and state
    store are written to ``folder``, its HTML report to ``report_path`` (None: not written)."""
    console.print(f"[bold]Sandbox orgs up[/bold] with {seed} synthetic people: Salesforce "
                  f"{sandbox.info['salesforce']['instance_url']}, HubSpot "
                  f"{sandbox.info['hubspot']['host']}")
    config = sandbox_config(sandbox.info, folder, state="leadsync-demo.db",
                            definition=DEFINITION, extra=DEMO_SLA, install=False)
    installed = run_install(config, apply=True)  # standard orgs: LeadSync's fields first
    console.print("[bold]leadsync install --apply[/bold]: created " + ", ".join(
        f"{len(names)} fields in {system}" for system, names in installed.created.items()))
    engine = prepare(config)
    try:
        with recorded(config, "sync") as run:
            first = sync_pass(engine, run)
        console.print(_titled(summary_table(first), f"Sync (run {first.run_id})"))
        console.print(side_by_side(engine, limit=6))
        now = datetime.now(UTC)
        swept = run_sweep(config, now)
        console.print(f"[bold]SLA sweep[/bold]: {swept.started} clocks started on handed-off "
                      f"leads; deadlines and status written to {swept.written} Salesforce "
                      f"records")
        accounting = read_accounting(engine, seed)
        console.print(accounting_table(accounting))
        stamped = read_stamped(engine)
        reps = read_rep_rows(engine, stamped, limit=6)
        console.print(rep_table(reps))
        with recorded(config, "sync") as run:
            second = sync_pass(engine, run)
        console.print(_titled(summary_table(second), f"Sync again, nothing changed since "
                                                     f"(run {second.run_id})"))
        writes = sum(s.created + s.updated for s in second.sides.values())
        if writes:
            console.print(f"[red]The second run wrote {writes} records; it should write none.")
        else:
            console.print("Second run: nothing changed, so nothing was written.")
        story = Story(accounting, reps, writes, first.qualified)
        later = later_than_every_cadence(stamped, now)
        if later is not None and config.sla is not None and config.sla.nurture_list:
            weeks_later(sandbox, config, engine, story, stamped, now, later, console)
        show_reports(config, story, story.later or now, report_path, console)
        if accounting.total != seed:
            console.print(f"[red]{accounting.total} people accounted for of {seed}.")
        return story
    finally:
        engine.store.close()


def weeks_later(sandbox: Sandbox, config: Config, engine: SyncEngine, story: Story,
                stamped: list[Record], now: datetime, later: datetime,
                console: Console) -> None:
    """The reps work some leads, time moves on past every cadence's end, the sweep runs as of
    then; how the handed-off leads ended, and the recycled ones as HubSpot holds them."""
    assert config.sla is not None and config.sla.nurture_list
    zone = str(config.calendars.get(config.sla.default_calendar, {}).get("time_zone", "UTC"))
    work = reps_work(stamped)
    for done in work:
        for kind, at in done.touches:
            log_work(sandbox.salesforce, done.lead_id, kind, at)
        if done.converted_at is not None:
            convert_lead(sandbox.salesforce, done.lead_id, done.converted_at)
    converted = sum(done.converted_at is not None for done in work)
    console.print(
        f"\n[bold]Time moves on[/bold] {(later - now).days} days, to {local(later, zone)}, "
        f"past the end of every cadence. Meanwhile the reps worked {len(work)} of the "
        f"{len(stamped)} leads (the sandbox logs their calls and emails as Salesforce tasks, "
        f"and converts {converted} leads); nobody touched the other "
        f"{len(stamped) - len(work)}. The sweep runs as of then, as `leadsync sla sweep "
        f"--now {later.strftime('%Y-%m-%dT%H:%M:%SZ')} --allow-future-writes` would (a "
        f"what-if, here on throwaway orgs).")
    swept = run_sweep(config, later, allow_future_writes=True)
    console.print(f"[bold]SLA sweep[/bold] as of then: {swept.breaches} deadlines missed, "
                  f"{swept.escalations} escalated to the rep's manager (a Salesforce task "
                  f"each), {swept.recycled} leads recycled to marketing, {swept.resolved} "
                  f"resolved" + (f"; [red]{swept.failed} writes refused[/red] (see `leadsync "
                                 f"errors`)" if swept.failed else ""))
    ended = outcomes(read_outcomes(engine))
    console.print(outcomes_table(ended, len(stamped)))
    members, rows = read_recycled(engine, config.sla.nurture_list, zone, limit=3)
    console.print(recycled_table(rows, members, config.sla.nurture_list))
    story.later, story.swept_later, story.ended = later, swept, ended
    story.nurture_members, story.recycled = members, rows
    story.worked, story.converted = len(work), converted


def show_reports(config: Config, story: Story, now: datetime, path: Path | None,
                 console: Console) -> None:
    """The reports as of ``now``, as ``leadsync report`` computes them: SLA compliance by rep,
    the recycled leads and the funnel shown; every report saved as HTML to ``path``."""
    reports, zone = read_reports(config, now)
    story.reports, story.headline = reports, headline(reports)
    console.print(f"\n[bold]The reports[/bold] as of {local(now, zone)}, from the state store "
                  f"and the CRM's reps, as `leadsync report NAME` shows them:")
    console.print(sla_table(report(reports, "sla"), zone))
    for line in headline_lines(story.headline):
        console.print(line)
    if path is not None:
        story.report_path = save_html(reports, path, now, zone)
        console.print(f"Every report, with charts, in one file that opens offline in any "
                      f"browser: [bold]{escape(str(path.resolve()))}[/bold]")


def side_by_side(engine: SyncEngine, limit: int) -> Table:
    """A few leads as each system holds them now, with LeadSync's verdict."""
    links = [link for link in all_links(engine) if link.marketing_id]
    handed = [link for link in links if link.crm_id][:limit]
    kept = [link for link in links if not link.crm_id][:max(2, limit // 2)]
    marketing, crm = engine.systems["marketing"], engine.systems["crm"]
    fields_m = ["email", "company", "leadsync_grade", "leadsync_reason"]
    fields_c = ["Email", "Status", "LeadSync_Grade__c", "LeadSync_Reason__c"]
    contacts = {r.id: r for r in marketing.lookup(
        marketing.id_field, [link.marketing_id for link in handed + kept], fields_m)}
    leads = {r.id: r for r in crm.lookup(crm.id_field, [link.crm_id for link in handed],
                                         fields_c)}
    table = Table(title="Leads in HubSpot and Salesforce, with the verdict both teams see")
    for column in ("email (HubSpot)", "in Salesforce", "grade", "why (LeadSync reason)"):
        table.add_column(column)
    for link in handed + kept:
        contact = contacts.get(link.marketing_id or "")
        if contact is None:
            continue
        m = contact.fields
        lead = leads.get(link.crm_id or "")
        where = f"yes, {lead.fields.get('Status')}" if lead else "no: kept in marketing"
        table.add_row(escape(str(m.get("email") or "")), escape(where),
                      str(m.get("leadsync_grade") or ""),
                      escape(str(m.get("leadsync_reason") or "")))
    return table


def _titled(table: Table, title: str) -> Table:
    table.title = title
    return table
