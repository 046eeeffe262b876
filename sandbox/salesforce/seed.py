"""Fill an org with the synthetic population: a User per owner, a Lead per Salesforce person,
a Task per logged call or email, and a few leads already converted to a Contact and Account.

Seeding writes straight into the org (no API checks, no API calls counted) and keeps the
people's own creation times, so the org looks like it has a history.

``log_work`` and ``convert_lead`` play a rep working a lead later on (the demo tells the weeks
after a handoff ahead of the real clock): a completed call or email done at a given moment, a
conversion on a given date. Their records are stamped by the org's clock, as records written
now; only the moments they are about (``CompletedDateTime``, ``ConvertedDate``) are the story's.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from leadsync.sandbox.people import Owner, Person
from leadsync.sandbox.population import Drawn
from leadsync.sandbox.salesforce.standard import CONVERTED_STATUS
from leadsync.sandbox.salesforce.validation import format_datetime

if TYPE_CHECKING:
    from leadsync.sandbox.salesforce.org import SalesforceOrg

CONVERT_EVERY = 15  # one Salesforce lead in this many is already converted


def seed_org(org: SalesforceOrg, people: Sequence[Person], owners: Sequence[Owner]) -> None:
    manager_id = _manager(org) if owners else None
    owner_ids = [_user(org, owner, manager_id) for owner in owners]
    now = datetime.now(UTC)
    for number, person in enumerate(p for p in people if p.in_salesforce):
        owner_id = owner_ids[person.owner % len(owner_ids)] if owner_ids else org.api_user_id
        lead_id = org.insert_raw("Lead", {
            "FirstName": person.first_name, "LastName": person.last_name,
            "Email": person.salesforce_email, "Company": person.company or None,
            "Title": person.title, "Phone": person.phone, "Country": person.country or None,
            "State": person.state or None, "LeadSource": person.lead_source,
            "Status": person.lead_status, "OwnerId": owner_id, "Industry": person.industry,
            "NumberOfEmployees": person.employees,
            "LastActivityDate": _last_activity_date(person),
        }, created=format_datetime(person.created_at))
        who = lead_id
        if number % CONVERT_EVERY == CONVERT_EVERY - 1:
            converted_at = min(person.created_at + timedelta(days=2), now)
            who = _convert(org, lead_id, owner_id, converted_at)
        for activity in person.activities:
            at = format_datetime(activity.at)
            org.insert_raw("Task", {
                "Subject": activity.subject, "WhoId": who, "OwnerId": owner_id,
                "TaskSubtype": "Call" if activity.kind == "call" else "Email",
                "Type": "Call" if activity.kind == "call" else "Email",
                "Status": "Completed" if activity.completed else "Not Started",
                "CompletedDateTime": at if activity.completed else None,
                "ActivityDate": activity.at.date().isoformat(),
            }, created=at)


def load_org(org: SalesforceOrg, people: Iterable[Drawn], owners: Sequence[Owner]) -> int:
    """Put the Salesforce side of ``people`` straight into the org as leads (no tasks, none
    converted), fast enough for a million; returns how many were stored."""
    manager_id = _manager(org) if owners else None
    owner_ids = [_user(org, owner, manager_id) for owner in owners] or [org.api_user_id]
    lead = org.objects["Lead"]
    template = org.blank(lead)
    table = org.records["Lead"]
    latest = ""
    count = 0
    for person in people:
        if person.salesforce is None:
            continue
        v = {**person.values, **person.salesforce}
        stamp = format_datetime(person.created_at)
        record = dict(template)
        record.update({
            "FirstName": v["first_name"], "LastName": v["last_name"],
            "Name": f"{v['first_name']} {v['last_name']}", "Email": v["email"],
            "Company": v["company"] or None, "Title": v["title"] or None,
            "Phone": v["phone"] or None, "Country": v["country"] or None,
            "LeadSource": v["lead_source"], "Status": v["lead_status"],
            "Industry": v["industry"], "OwnerId": owner_ids[person.owner % len(owner_ids)],
            "Id": org.new_id(lead.key_prefix), "IsDeleted": False, "CreatedDate": stamp,
            "CreatedById": org.api_user_id, "LastModifiedDate": stamp, "SystemModstamp": stamp,
            "LastModifiedById": org.api_user_id})
        table[record["Id"]] = record
        latest = max(latest, stamp)
        count += 1
    if latest:
        org.clock.observe(latest)
    org.reindex_field("Lead")
    org.modstamps["Lead"].rebuild(table.values())
    org.mutations += 1
    return count


def log_work(org: SalesforceOrg, lead_id: str, kind: str, at: datetime) -> str:
    """A completed call or email (``kind``) on the lead, done by its owner at ``at``."""
    if kind not in ("call", "email"):
        raise ValueError(f"kind must be call or email, got {kind!r}")
    with org.lock:
        lead = org.records["Lead"][lead_id]
        subtype = "Call" if kind == "call" else "Email"
        return org.insert_raw("Task", {
            "Subject": "Call" if kind == "call" else "Following up", "WhoId": lead_id,
            "OwnerId": lead["OwnerId"], "TaskSubtype": subtype, "Type": subtype,
            "Status": "Completed", "CompletedDateTime": format_datetime(at),
            "ActivityDate": at.date().isoformat()})


def convert_lead(org: SalesforceOrg, lead_id: str, at: datetime) -> str:
    """Convert the lead on ``at``'s date as convertLead would: the new Contact's id."""
    with org.lock:
        lead = org.records["Lead"][lead_id]
        return _convert(org, lead_id, lead["OwnerId"], at, org.clock.stamp())


def _last_activity_date(person: Person) -> str | None:
    """What Salesforce derives from the lead's completed activities (a date)."""
    done = [a.at for a in person.activities if a.completed]
    return max(done).date().isoformat() if done else None


def _manager(org: SalesforceOrg) -> str:
    """The sales manager every seeded rep reports to (escalations go to a rep's manager)."""
    return org.insert_raw("User", {
        "FirstName": "Cyndi", "LastName": "Park", "Email": "cyndi.park@sandbox-sales.example.com",
        "Username": "cyndi.park@sandbox-sales.example.com", "Title": "VP Sales",
        "TimeZoneSidKey": "America/New_York", "IsActive": True,
    })


def _user(org: SalesforceOrg, owner: Owner, manager_id: str | None) -> str:
    return org.insert_raw("User", {
        "FirstName": owner.first_name, "LastName": owner.last_name, "Email": owner.email,
        "Username": owner.email, "TimeZoneSidKey": owner.time_zone, "IsActive": True,
        "ManagerId": manager_id,
    })


def _convert(org: SalesforceOrg, lead_id: str, owner_id: str, at: datetime,
             stamp: str | None = None) -> str:
    """Convert a lead as convertLead would have: a new Account and Contact, on ``at``'s date,
    the records stamped ``stamp`` (default: ``at``, a seeded history)."""
    lead = org.records["Lead"][lead_id]
    stamp = stamp or format_datetime(at)
    account_id = org.insert_raw("Account", {"Name": lead["Company"], "OwnerId": owner_id,
                                            "BillingCountry": lead["Country"],
                                            "BillingState": lead["State"]}, created=stamp)
    contact_id = org.insert_raw("Contact", {
        "FirstName": lead["FirstName"], "LastName": lead["LastName"], "Email": lead["Email"],
        "Title": lead["Title"], "Phone": lead["Phone"], "AccountId": account_id,
        "OwnerId": owner_id, "LeadSource": lead["LeadSource"],
        "MailingCountry": lead["Country"], "MailingState": lead["State"],
    }, created=stamp)
    org.replace_raw("Lead", {**lead, "IsConverted": True, "Status": CONVERTED_STATUS,
                             "ConvertedDate": at.date().isoformat(),
                             "ConvertedAccountId": account_id, "ConvertedContactId": contact_id,
                             "LastModifiedDate": stamp, "SystemModstamp": stamp})
    return contact_id
