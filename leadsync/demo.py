"""``leadsync demo``: seeded sandbox orgs in-process, read through the real vendor clients."""

from __future__ import annotations

from hubspot import HubSpot
from rich.console import Console
from rich.table import Table
from simple_salesforce import Salesforce

from adapters.transport import ca_session
from sandbox.server import Sandbox


def run_demo(seed: int = 200, console: Console | None = None) -> int:
    console = console or Console()
    with Sandbox(seed=seed) as sandbox:
        info = sandbox.info
        console.print(f"[bold]Sandbox orgs up[/bold] with {seed} synthetic people: "
                      f"Salesforce {info['salesforce']['instance_url']}, "
                      f"HubSpot {info['hubspot']['host']}")
        sf = Salesforce(instance_url=info["salesforce"]["instance_url"],
                        session_id=info["salesforce"]["session_id"],
                        version=info["salesforce"]["api_version"],
                        session=ca_session(info["ca_bundle"]))
        hs = HubSpot(access_token=info["hubspot"]["access_token"], host=info["hubspot"]["host"],
                     ssl_ca_cert=info["ca_bundle"])
        console.print(_salesforce_table(sf))
        console.print(_hubspot_table(hs))
    return 0


def _salesforce_table(sf: Salesforce) -> Table:
    leads = sf.query("SELECT COUNT() FROM Lead")["totalSize"]
    tasks = sf.query("SELECT COUNT() FROM Task")["totalSize"]
    users = sf.query("SELECT COUNT() FROM User")["totalSize"]
    table = Table(title=f"Salesforce: {leads} leads, {tasks} tasks, {users} users")
    for column in ("Name", "Email", "Company", "Status", "Owner"):
        table.add_column(column)
    rows = sf.query("SELECT Name, Email, Company, Status, Owner.Email FROM Lead "
                    "ORDER BY CreatedDate DESC LIMIT 5")["records"]
    for row in rows:
        owner = (row.get("Owner") or {}).get("Email") or ""
        table.add_row(row["Name"], row["Email"] or "", row["Company"] or "", row["Status"], owner)
    return table


def _hubspot_table(hs: HubSpot) -> Table:
    page = hs.crm.contacts.search_api.do_search(public_object_search_request={
        "sorts": [{"propertyName": "createdate", "direction": "DESCENDING"}],
        "properties": ["email", "firstname", "lastname", "company", "lifecyclestage"],
        "limit": 5,
    })
    table = Table(title=f"HubSpot: {page.total} contacts")
    for column in ("Name", "Email", "Company", "Lifecycle stage"):
        table.add_column(column)
    for contact in page.results:
        props = contact.properties
        table.add_row(f"{props.get('firstname') or ''} {props.get('lastname') or ''}".strip(),
                      props.get("email") or "", props.get("company") or "",
                      props.get("lifecyclestage") or "")
    return table
