"""The demo's views read from the orgs through the adapters, and drawn as tables.

Each ``read_*`` asks the systems (and the state store) what its audience would see; the
``*_table`` functions draw it for a terminal 100 columns wide. What each view means is
``leadsync.demo_story``'s.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.markup import escape
from rich.table import Table

from leadsync.adapters.hubspot.lists import HubSpotLists
from leadsync.adapters.registry import activities_for, lists_for
from leadsync.connector.models import Record
from leadsync.connector.state import StateStore
from leadsync.connector.store import Link
from leadsync.connector.sync import SyncEngine
from leadsync.demo_story import (
    CONVERTED_QUALIFIED,
    Accounting,
    RecycledRow,
    RepRow,
    Row,
    account,
    person,
    recycled_rows,
    rep_rows,
)

REP_FIELDS = ["FirstName", "LastName", "Email", "OwnerId", "LeadSync_SLA_Policy__c",
              "LeadSync_Handoff_At__c", "LeadSync_First_Touch_By__c", "LeadSync_Cadence_End__c",
              "LeadSync_SLA_Status__c"]
OUTCOME_FIELDS = ["IsConverted", "LeadSync_SLA_Policy__c", "LeadSync_SLA_Status__c",
                  "LeadSync_Recycle_Reason__c", "LeadSync_Breached_At__c"]
RECYCLED_FIELDS = ["firstname", "lastname", "email", "hs_lead_status", "leadsync_recycle_reason",
                   "leadsync_recycled_at", "leadsync_recycle_count"]


def read_accounting(engine: SyncEngine, seeded: int) -> Accounting:
    """Every linked person placed, from the verdict HubSpot holds, the lead Salesforce holds,
    and the clocks and verdict facts (journeys) the state store holds."""
    links = all_links(engine)
    marketing, crm = engine.systems["marketing"], engine.systems["crm"]
    contacts = {r.id: r for r in marketing.lookup(
        marketing.id_field, [link.marketing_id for link in links if link.marketing_id],
        ["email", "leadsync_qualified"])}
    leads = {r.id: r for r in crm.lookup(
        crm.id_field, [link.crm_id for link in links if link.crm_id], ["IsConverted"])}
    clocked = set(engine.store.clocks(engine.connection, open_only=False))
    store = engine.store
    assert isinstance(store, StateStore)  # the demo's store is the SQL one
    journeys = {j.key: j for j in store.journeys(engine.connection)}
    required = engine.qualifier.definition.required if engine.qualifier else ()
    return account([person(link, contacts.get(link.marketing_id or ""),
                           leads.get(link.crm_id or ""), clocked, journeys.get(link.key),
                           required) for link in links], seeded)


def read_stamped(engine: SyncEngine) -> list[Record]:
    """The qualified Salesforce leads, with what a rep sees of their SLA."""
    return engine.systems["crm"].lookup("LeadSync_Qualified__c", [True], REP_FIELDS)


def read_outcomes(engine: SyncEngine) -> list[Record]:
    """The qualified Salesforce leads, with how their SLA ended."""
    return engine.systems["crm"].lookup("LeadSync_Qualified__c", [True], OUTCOME_FIELDS)


def read_rep_rows(engine: SyncEngine, leads: Sequence[Record], limit: int) -> list[RepRow]:
    reps = {rep.id: rep for rep in activities_for(engine.systems["crm"]).reps()}
    return rep_rows(leads, reps, limit)


def read_recycled(engine: SyncEngine, list_name: str, zone: str,
                  limit: int) -> tuple[int, list[RecycledRow]]:
    """How many contacts HubSpot's nurture list holds, and ``limit`` of them as HubSpot
    holds them."""
    marketing = engine.systems["marketing"]
    lists = lists_for(marketing)
    if not isinstance(lists, HubSpotLists):  # the one list keeper so far
        return 0, []
    members = lists.members(list_name)
    contacts = marketing.lookup(marketing.id_field, members, RECYCLED_FIELDS)
    return len(members), recycled_rows(contacts, list_name, zone, limit)


def all_links(engine: SyncEngine) -> list[Link]:
    """The connection's links, read from the SQL tables: the port has no call for it."""
    from sqlalchemy import select

    from leadsync.connector.state import links

    store = engine.store
    assert isinstance(store, StateStore)  # the demo's store is the SQL one
    with store.engine.connect() as conn:
        rows = conn.execute(select(links).where(links.c.connection == engine.connection)
                            .order_by(links.c.id)).mappings()
        return [Link(r["key"], r["marketing_id"], r["crm_id"], r["email"]) for r in rows]


def accounting_table(accounting: Accounting) -> Table:
    table = Table(title=f"Every one of the {accounting.seeded} people, accounted for")
    table.add_column("people", justify="right")
    table.add_column("where")
    table.add_column("detail")
    for row in accounting.rows:
        table.add_row(str(row.people), escape(row.label), escape(row.detail))
    table.add_section()
    table.add_row(str(accounting.total), "in all", "every person in one row")
    converted = accounting.count(CONVERTED_QUALIFIED)
    table.caption = (f"{accounting.qualified} qualified = {accounting.handed_off} handed off + "
                     f"{converted} already converted; SLA clocks in the state store: "
                     f"{accounting.clocks}, for the {accounting.handed_off} leads handed off")
    return table


def rep_table(rows: Sequence[RepRow]) -> Table:
    table = Table(title="What a rep sees on the Salesforce lead: deadlines in the rep's own time")
    table.add_column("lead", overflow="fold")
    table.add_column("owner, time zone", overflow="fold")
    table.add_column("policy")
    table.add_column("first touch by\ncadence ends", no_wrap=True)
    table.add_column("status")
    for row in rows:
        table.add_row(escape(row.lead), escape(f"{row.owner}\n{row.zone}"), row.policy,
                      f"{row.first_touch_by}\n{row.cadence_end}", row.status)
    return table


def outcomes_table(rows: Sequence[Row], handed_off: int) -> Table:
    table = Table(title=f"How the {handed_off} handed-off leads ended, as Salesforce holds them")
    table.add_column("leads", justify="right")
    table.add_column("SLA status: why")
    for row in rows:
        table.add_row(str(row.people), escape(row.label))
    table.add_section()
    table.add_row(str(sum(row.people for row in rows)), "in all")
    return table


def recycled_table(rows: Sequence[RecycledRow], members: int, list_name: str) -> Table:
    table = Table(title=f"What marketing sees in HubSpot: the list {list_name!r} holds "
                        f"{members} contacts; {len(rows)} of them")
    table.add_column("contact (in the list)", overflow="fold")
    table.add_column("lead status")
    table.add_column("recycled because")
    table.add_column("recycled at", no_wrap=True)
    table.add_column("times", justify="right")
    for row in rows:
        table.add_row(escape(row.contact), row.lead_status, escape(row.reason),
                      row.recycled_at.replace(" ", "\n", 1), str(row.times))
    return table
