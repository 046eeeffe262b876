"""``leadsync demo``: the main job on seeded sandbox orgs, with no credentials and no internet.

Starts both sandbox orgs in-process, writes a config for them (secrets passed the way an admin
would, through ``LEADSYNC_*`` environment variables), runs the sync, shows a few leads side by
side in both systems, then runs it again to show that a pass with nothing changed writes nothing.
"""

from __future__ import annotations

import tempfile
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
from leadsync.connector.state import StateStore
from leadsync.connector.store import Link, Store
from leadsync.jobs.install import run_install
from leadsync.jobs.runs import recorded
from leadsync.jobs.sla import run_sweep
from leadsync.jobs.sync import prepare, sync_pass
from leadsync.render import summary_table
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


def run_demo(seed: int = 200, console: Console | None = None) -> int:
    console = console or Console()
    configure_logging("console", "warning")
    with tempfile.TemporaryDirectory(prefix="leadsync-demo-") as folder, \
            Sandbox(seed=seed) as sandbox:
        console.print(f"[bold]Sandbox orgs up[/bold] with {seed} synthetic people: Salesforce "
                      f"{sandbox.info['salesforce']['instance_url']}, HubSpot "
                      f"{sandbox.info['hubspot']['host']}")
        config = sandbox_config(sandbox.info, Path(folder), state="leadsync-demo.db",
                                definition=DEFINITION, extra=DEMO_SLA, install=False)
        installed = run_install(config, apply=True)  # standard orgs: LeadSync's fields first
        console.print("[bold]leadsync install --apply[/bold]: created " + ", ".join(
            f"{len(names)} fields in {system}" for system, names in installed.created.items()))
        engine = prepare(config)
        with recorded(config, "sync") as run:
            first = sync_pass(engine, run)
        console.print(summary_table(first))
        console.print(side_by_side(engine.store, engine, limit=6))
        swept = run_sweep(config, datetime.now(UTC))
        console.print(f"[bold]SLA sweep[/bold]: {swept.started} clocks started on handed-off "
                      f"leads; deadlines and status written to {swept.written} Salesforce "
                      f"records")
        console.print(sla_table(engine, limit=6))
        with recorded(config, "sync") as run:
            second = sync_pass(engine, run)
        console.print(summary_table(second))
        writes = sum(s.created + s.updated for s in second.sides.values())
        engine.store.close()
        if writes:
            console.print(f"[red]The second run wrote {writes} records; it should write none.")
            return 1
        console.print("Second run: nothing changed, so nothing was written.")
    return 0


def side_by_side(store: Store, engine: object, limit: int) -> Table:
    """A few leads as each system holds them now, with LeadSync's verdict."""
    from leadsync.connector.sync import SyncEngine

    assert isinstance(engine, SyncEngine)
    links = [link for link in _links(store, engine.connection) if link.marketing_id]
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


def sla_table(engine: Any, limit: int) -> Table:
    """What a rep sees on a few handed-off leads in Salesforce."""
    crm = engine.systems["crm"]
    fields = ["Email", "LeadSync_Grade__c", "LeadSync_SLA_Policy__c",
              "LeadSync_First_Touch_By__c", "LeadSync_SLA_Status__c", "LeadSync_Calls__c",
              "LeadSync_Emails__c"]
    leads = [r for r in crm.lookup("LeadSync_Qualified__c", [True], fields)
             if r.fields.get("LeadSync_SLA_Policy__c")][:limit]
    table = Table(title="On the Salesforce lead: the SLA a rep works to")
    for column in ("email", "grade", "policy", "first touch by (UTC)", "status", "calls",
                   "emails"):
        table.add_column(column)
    for lead in leads:
        f = lead.fields
        table.add_row(escape(str(f.get("Email") or "")), str(f.get("LeadSync_Grade__c") or ""),
                      str(f.get("LeadSync_SLA_Policy__c")),
                      str(f.get("LeadSync_First_Touch_By__c") or "")[:16],
                      str(f.get("LeadSync_SLA_Status__c")),
                      str(int(f.get("LeadSync_Calls__c") or 0)),
                      str(int(f.get("LeadSync_Emails__c") or 0)))
    return table


def _links(store: Store, connection: str) -> list[Link]:
    """The connection's first links, read from the SQL tables: the port has no call for it."""
    from sqlalchemy import select

    from leadsync.connector.state import links

    assert isinstance(store, StateStore)  # the demo's store is the SQL one
    with store.engine.connect() as conn:
        rows = conn.execute(select(links).where(links.c.connection == connection)
                            .order_by(links.c.id).limit(200)).mappings()
        return [Link(r["key"], r["marketing_id"], r["crm_id"], r["email"]) for r in rows]
