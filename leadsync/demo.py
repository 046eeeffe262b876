"""``leadsync demo``: the main job on seeded sandbox orgs, with no credentials and no internet.

Starts both sandbox orgs in-process, writes a config for them (secrets passed the way an admin
would, through ``LEADSYNC_*`` environment variables), runs the sync, shows a few leads side by
side in both systems, then runs it again to show that a pass with nothing changed writes nothing.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from adapters.registry import load_builtin_kinds
from connector.config import Config, load_config
from connector.logs import configure_logging
from connector.state import StateStore
from jobs.sync import adopt, prepare
from leadsync.render import summary_table
from sandbox.server import Sandbox

ROOT = Path(__file__).resolve().parents[1]
MAPPING = ROOT / "mappings" / "hubspot_salesforce.toml"
DEFINITION = ROOT / "definitions" / "example.toml"

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
                   handoff: str = "qualified_only", extra: str = "") -> Config:
    """A config for sandbox orgs (``Sandbox.info``), written to ``folder/leadsync.toml``.

    The secrets are passed as an admin would pass them: ``LEADSYNC_*`` environment variables.
    ``extra`` is more TOML (calendars, SLA policies) appended as it is.
    """
    path = folder / "leadsync.toml"
    table = (f'\n[definition]\nfile = "{definition.as_posix()}"\nhandoff = "{handoff}"\n'
             if definition else "")
    path.write_text(CONFIG.format(state=state, mapping=mapping.as_posix(), definition=table,
                                  hubspot_host=info["hubspot"]["host"],
                                  instance_url=info["salesforce"]["instance_url"],
                                  ca_bundle=info["ca_bundle"]) + extra, encoding="utf-8")
    load_builtin_kinds()
    return load_config(path, env=sandbox_secrets(info))


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
                                definition=DEFINITION)
        engine = prepare(config)
        first = engine.run(full=adopt(engine))
        console.print(summary_table(first))
        console.print(side_by_side(engine.store, engine, limit=6))
        second = engine.run()
        console.print(summary_table(second))
        writes = sum(s.created + s.updated for s in second.sides.values())
        engine.store.close()
        if writes:
            console.print(f"[red]The second run wrote {writes} records; it should write none.")
            return 1
        console.print("Second run: nothing changed, so nothing was written.")
    return 0


def side_by_side(store: StateStore, engine: object, limit: int) -> Table:
    """A few leads as each system holds them now, with LeadSync's verdict."""
    from connector.sync import SyncEngine

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


def _links(store: StateStore, connection: str) -> list:
    from sqlalchemy import select

    from connector.state import Link, links

    with store.engine.connect() as conn:
        rows = conn.execute(select(links).where(links.c.connection == connection)
                            .order_by(links.c.id).limit(200)).mappings()
        return [Link(r["key"], r["marketing_id"], r["crm_id"], r["email"]) for r in rows]
