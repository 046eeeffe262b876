"""The SLA sweep with HubSpot as the CRM: touches from HubSpot calls and emails, escalation
tasks in HubSpot, the lead status and compliance properties on the contact, a pool from a
HubSpot team.

HubSpot is the CRM here and Salesforce the marketing side, the one pairing LeadSync can make
with HubSpot as the CRM until a second marketing system (Marketo) lands; the sweep meets the
marketing side only when it recycles a lead.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hubspot import HubSpot

from leadsync.adapters.registry import load_builtin_kinds
from leadsync.connector.config import Config
from leadsync.connector.config_file import load_config
from leadsync.connector.state import StateStore
from leadsync.demo import DEFINITION, sandbox_secrets
from leadsync.jobs.install import run_install
from leadsync.jobs.sla import run_sweep
from leadsync.jobs.sync import run_sync
from leadsync.sandbox.server import Sandbox
from tests.conftest import hubspot_client, salesforce_client

MAPPING = """
version = 1

[objects]
marketing = "Lead"
crm = "contacts"

[match]
marketing = "Email"
crm = "email"

[[fields]]
marketing = "Email"
crm = "email"
direction = "both"
transform = "email"

[[fields]]
marketing = "FirstName"
crm = "firstname"
direction = "both"

[[fields]]
marketing = "LastName"
crm = "lastname"
direction = "both"

[[fields]]
marketing = "Company"
crm = "company"
direction = "both"

[[fields]]
marketing = "Title"
crm = "jobtitle"
direction = "both"

[[fields]]
marketing = "Country"
crm = "country"
direction = "both"

[[fields]]
marketing = "LeadSource"
crm = "lead_source"
direction = "both"

[[fields]]
marketing = "Industry"
crm = "industry"
direction = "both"

[[fields]]
marketing = "OwnerId"
crm = "hubspot_owner_id"
direction = "to_crm"
transform = "owner"
unmapped = "skip"

[lead]
email = { marketing = "Email", crm = "email" }
first_name = { marketing = "FirstName", crm = "firstname" }
last_name = { marketing = "LastName", crm = "lastname" }
title = { marketing = "Title", crm = "jobtitle" }
company = { marketing = "Company", crm = "company" }
country = { marketing = "Country", crm = "country" }
employees = { marketing = "NumberOfEmployees" }
industry = { marketing = "Industry", crm = "industry" }
lead_source = { marketing = "LeadSource", crm = "lead_source" }
score = { crm = "hubspotscore" }
last_activity = { marketing = "LastActivityDate", crm = "notes_last_updated" }
is_customer = { crm = "lifecyclestage", true_when = ["customer", "evangelist"] }

[verdict]
qualified = { marketing = "LeadSync_Qualified__c", crm = "leadsync_qualified" }
hot = { marketing = "LeadSync_Hot__c", crm = "leadsync_hot" }
grade = { marketing = "LeadSync_Grade__c", crm = "leadsync_grade" }
reason = { marketing = "LeadSync_Reason__c", crm = "leadsync_reason" }
qualified_at = { marketing = "LeadSync_Qualified_At__c", crm = "leadsync_qualified_at" }

[sla_fields]
policy = { crm = "leadsync_sla_policy" }
handoff_at = { crm = "leadsync_handoff_at" }
first_touch_by = { crm = "leadsync_first_touch_by" }
cadence_end = { crm = "leadsync_cadence_end" }
status = { crm = "leadsync_sla_status" }
first_touch_at = { crm = "leadsync_first_touch_at" }
calls = { crm = "leadsync_calls" }
emails = { crm = "leadsync_emails" }
recycle_reason = { crm = "leadsync_recycle_reason", marketing = "LeadSync_Recycle_Reason__c" }
recycled_at = { crm = "leadsync_recycled_at", marketing = "LeadSync_Recycled_At__c" }
recycle_count = { crm = "leadsync_recycle_count" }
"""

CONFIG = """
[state]
url = "sqlite:///{folder}/leadsync.db"

[sync]
mapping = "{folder}/mapping.toml"

[definition]
file = "{definition}"

[systems.salesforce]
kind = "salesforce"
role = "marketing"
auth = "session"
instance_url = "{instance_url}"
ca_bundle = "{ca_bundle}"

[systems.hubspot]
kind = "hubspot"
role = "crm"
host = "{hubspot_host}"
ca_bundle = "{ca_bundle}"

[sla]
escalate_to = "cyndi@sales.example"
marketing_on_recycle = {{ Status = "Recycled - Nurture" }}
{pool}
[[sla.policies]]
name = "hot_inbound"
match = {{ hot = true }}
calendar = "24x7"
first_touch_within = "1h"
cadence = {{ calls = 2, emails = 1, within = "3d" }}
on_breach = ["escalate"{reassign}]
on_exhausted = "recycle"
"""

HOT = {"Email": "ada@analytical.example", "FirstName": "Ada", "LastName": "Lovelace",
       "Title": "VP of Engineering", "Company": "Analytical Engines", "Country": "GB",
       "NumberOfEmployees": 300, "Industry": "Technology", "LeadSource": "Demo Request"}
PROPERTIES = ["hs_lead_status", "hubspot_owner_id", "leadsync_sla_policy",
              "leadsync_handoff_at", "leadsync_first_touch_by", "leadsync_sla_status",
              "leadsync_first_touch_at", "leadsync_calls", "leadsync_emails",
              "leadsync_recycle_reason", "leadsync_recycle_count", "leadsync_qualified"]


def write_config(sandbox: Sandbox, folder: Path, pool: str = "", reassign: bool = False
                 ) -> Config:
    info = sandbox.info
    (folder / "mapping.toml").write_text(MAPPING, encoding="utf-8")
    path = folder / "leadsync.toml"
    path.write_text(CONFIG.format(
        folder=folder.as_posix(), definition=DEFINITION.as_posix(),
        instance_url=info["salesforce"]["instance_url"], hubspot_host=info["hubspot"]["host"],
        ca_bundle=info["ca_bundle"], pool=pool,
        reassign=', "reassign"' if reassign else ""), encoding="utf-8")
    load_builtin_kinds()
    config = load_config(path, env=sandbox_secrets(info))
    run_install(config, apply=True)  # as an admin would, before the first sync
    return config


def user(sandbox: Sandbox, first: str, email: str) -> str:
    return sandbox.salesforce.insert_raw("User", {
        "FirstName": first, "LastName": "Rep", "Email": email, "Username": email,
        "TimeZoneSidKey": "America/New_York", "IsActive": True})


@pytest.fixture
def handed_off(make_sandbox: Callable[..., Sandbox], tmp_path: Path):  # type: ignore[no-untyped-def]
    """A hot Salesforce lead handed to HubSpot, owned there by Rick (matched by email)."""
    sandbox = make_sandbox()
    stamp = sandbox.hubspot.stamp()
    rick = sandbox.hubspot.owners.add("Rick", "Rep", "rick@sales.example", stamp)["id"]
    cyndi = sandbox.hubspot.owners.add("Cyndi", "Park", "cyndi@sales.example", stamp)["id"]
    sf = salesforce_client(sandbox)
    lead = sf.Lead.create({**HOT, "OwnerId": user(sandbox, "Rick", "rick@sales.example")})
    config = write_config(sandbox, tmp_path)
    run_sync(config)
    hs = hubspot_client(sandbox)
    contact = contact_now(hs)
    assert contact["hubspot_owner_id"] == rick and contact["leadsync_qualified"] == "true"
    return config, sf, hs, contact, lead["id"], rick, cyndi


def contact_now(hs: HubSpot) -> dict:
    found = hs.crm.contacts.basic_api.get_by_id(HOT["Email"], id_property="email",
                                                properties=PROPERTIES)
    return {"id": found.id, **found.properties}


def handoff_of(contact: dict) -> datetime:
    return datetime.fromisoformat(contact["leadsync_handoff_at"].replace("Z", "+00:00"))


def log(hs: HubSpot, contact_id: str, kind: str, at: datetime) -> None:
    association = [{"to": {"id": contact_id}, "types": [{
        "associationCategory": "HUBSPOT_DEFINED",
        "associationTypeId": 194 if kind == "call" else 198}]}]
    if kind == "call":
        hs.crm.objects.calls.basic_api.create({"properties": {
            "hs_timestamp": at.isoformat(), "hs_call_status": "COMPLETED",
            "hs_call_title": "Intro"}, "associations": association})
    else:
        hs.crm.objects.emails.basic_api.create({"properties": {
            "hs_timestamp": at.isoformat(), "hs_email_direction": "EMAIL",
            "hs_email_status": "SENT", "hs_email_subject": "Hello"}, "associations": association})


def test_the_handoff_is_stamped_on_the_hubspot_contact(handed_off) -> None:
    config, _, hs, _, _, _, _ = handed_off
    result = run_sweep(config, datetime.now(UTC) + timedelta(minutes=1), allow_future_writes=True)
    stamped = contact_now(hs)
    assert result.started == 1
    assert stamped["leadsync_sla_policy"] == "hot_inbound"
    assert stamped["leadsync_sla_status"] == "pending"
    assert handoff_of(stamped) + timedelta(hours=1) == datetime.fromisoformat(
        stamped["leadsync_first_touch_by"].replace("Z", "+00:00"))


def test_hubspot_calls_and_emails_flip_the_contact_to_met(handed_off) -> None:
    config, _, hs, contact, _, _, _ = handed_off
    run_sweep(config, datetime.now(UTC) + timedelta(minutes=1), allow_future_writes=True)
    handoff = handoff_of(contact_now(hs))
    log(hs, contact["id"], "call", handoff - timedelta(minutes=5))  # before: does not count
    log(hs, contact["id"], "call", handoff + timedelta(minutes=20))
    log(hs, contact["id"], "email", handoff + timedelta(minutes=30))
    run_sweep(config, handoff + timedelta(minutes=40), allow_future_writes=True)
    assert contact_now(hs)["leadsync_sla_status"] == "pending"  # first touch in, cadence not
    log(hs, contact["id"], "call", handoff + timedelta(minutes=50))
    run_sweep(config, handoff + timedelta(minutes=55), allow_future_writes=True)
    stamped = contact_now(hs)
    assert stamped["leadsync_sla_status"] == "met"  # the whole cadence: 2 calls, 1 email
    assert (stamped["leadsync_calls"], stamped["leadsync_emails"]) == ("2", "1")
    assert stamped["leadsync_first_touch_at"].startswith(
        (handoff + timedelta(minutes=20)).strftime("%Y-%m-%dT%H:%M"))


def test_an_untouched_contact_breaches_once_and_escalates_to_a_hubspot_task(handed_off) -> None:
    config, _, hs, contact, _, _, cyndi = handed_off
    run_sweep(config, datetime.now(UTC) + timedelta(minutes=1), allow_future_writes=True)
    handoff = handoff_of(contact_now(hs))
    first = run_sweep(config, handoff + timedelta(hours=2), allow_future_writes=True)
    again = run_sweep(config, handoff + timedelta(hours=3), allow_future_writes=True)
    assert (first.breaches, first.escalations, again.escalations) == (1, 1, 0)
    assert contact_now(hs)["leadsync_sla_status"] == "breached"
    tasks = hs.crm.objects.tasks.basic_api.get_page(
        properties=["hs_task_subject", "hubspot_owner_id", "hs_timestamp"],
        associations=["contacts"]).results
    assert len(tasks) == 1
    assert tasks[0].properties["hubspot_owner_id"] == cyndi  # escalate_to: HubSpot has no managers
    assert tasks[0].properties["hs_task_subject"] == "SLA breach: first touch on Ada Lovelace"
    assert [a.id for a in tasks[0].associations["contacts"].results] == [contact["id"]]
    due = (handoff + timedelta(hours=2)).astimezone(UTC)
    assert tasks[0].properties["hs_timestamp"].startswith(due.strftime("%Y-%m-%dT%H:%M"))


def test_an_exhausted_contact_is_recycled_and_the_marketing_lead_told(handed_off) -> None:
    config, sf, hs, contact, lead_id, _, _ = handed_off
    run_sweep(config, datetime.now(UTC) + timedelta(minutes=1), allow_future_writes=True)
    handoff = handoff_of(contact_now(hs))
    for kind in ("call", "call", "email"):
        log(hs, contact["id"], kind, handoff + timedelta(minutes=10))
    result = run_sweep(config, handoff + timedelta(days=3, minutes=1), allow_future_writes=True)
    stamped = contact_now(hs)
    assert result.recycled == 1
    assert stamped["hs_lead_status"] == "BAD_TIMING"  # HubSpot's standard nurture status
    assert stamped["leadsync_sla_status"] == "recycled"
    assert stamped["leadsync_recycle_count"] == "1"
    lead = sf.Lead.get(lead_id)
    assert lead["Status"] == "Recycled - Nurture"  # marketing_on_recycle
    assert lead["LeadSync_Recycle_Reason__c"] == stamped["leadsync_recycle_reason"]


def test_an_unqualified_hubspot_status_resolves_the_clock(handed_off) -> None:
    config, _, hs, contact, _, _, _ = handed_off
    run_sweep(config, datetime.now(UTC) + timedelta(minutes=1), allow_future_writes=True)
    hs.crm.contacts.basic_api.update(contact["id"], {"properties": {
        "hs_lead_status": "UNQUALIFIED"}})
    handoff = handoff_of(contact_now(hs))
    resolved = run_sweep(config, handoff + timedelta(minutes=30), allow_future_writes=True)
    later = run_sweep(config, handoff + timedelta(days=5), allow_future_writes=True)
    assert resolved.resolved == 1 and contact_now(hs)["leadsync_sla_status"] == "resolved"
    assert later.leads == 0 and later.breaches == 0


def test_a_pool_from_a_hubspot_team_takes_reassignments(
        make_sandbox: Callable[..., Sandbox], tmp_path: Path) -> None:
    sandbox = make_sandbox()
    stamp = sandbox.hubspot.stamp()
    rick = sandbox.hubspot.owners.add("Rick", "Rep", "rick@sales.example", stamp,
                                      teams=("Inbound",))["id"]
    amy = sandbox.hubspot.owners.add("Amy", "Rep", "amy@sales.example", stamp,
                                     teams=("Inbound",))["id"]
    sandbox.hubspot.owners.add("Otto", "Rep", "otto@sales.example", stamp, teams=("Outbound",))
    sandbox.hubspot.owners.add("Cyndi", "Park", "cyndi@sales.example", stamp)  # escalate_to
    sf = salesforce_client(sandbox)
    sf.Lead.create({**HOT, "OwnerId": user(sandbox, "Rick", "rick@sales.example")})
    config = write_config(sandbox, tmp_path, pool='\n[sla.pool]\nqueue = "Inbound"\n',
                          reassign=True)
    run_sync(config)
    hs = hubspot_client(sandbox)
    run_sweep(config, datetime.now(UTC) + timedelta(minutes=1), allow_future_writes=True)
    handoff = handoff_of(contact_now(hs))
    breached = run_sweep(config, handoff + timedelta(hours=2), allow_future_writes=True)
    assert breached.reassignments == 1
    assert contact_now(hs)["hubspot_owner_id"] == amy  # Rick was excluded: he breached
    events = StateStore(config.state.url).events("default", email=HOT["Email"].lower())
    [moved] = [e for e in events if e["event"] == "reassigned"]
    assert (moved["details"]["from"], moved["details"]["to"]) == (rick, amy)


def test_a_status_the_crm_does_not_offer_and_an_unknown_escalate_to_are_named(
        make_sandbox: Callable[..., Sandbox], tmp_path: Path) -> None:
    from leadsync.connector.errors import ConfigError

    sandbox = make_sandbox()
    config = write_config(sandbox, tmp_path)
    text = config.source_path.read_text()
    (tmp_path / "leadsync.toml").write_text(text.replace(
        "[sla]\n", '[sla]\nnurture_status = "Recycled - Nurture"\n'))
    load_builtin_kinds()
    bad = load_config(tmp_path / "leadsync.toml", env=sandbox_secrets(sandbox.info))
    with pytest.raises(ConfigError) as caught:
        run_sweep(bad, datetime.now(UTC), allow_future_writes=True)
    message = str(caught.value)
    assert "sla.nurture_status: 'Recycled - Nurture' is not a value of hs_lead_status" in message
    assert "BAD_TIMING" in message  # the values it does offer

    (tmp_path / "leadsync.toml").write_text(text.replace(
        'escalate_to = "cyndi@sales.example"', 'escalate_to = "nobody@sales.example"'))
    unknown = load_config(tmp_path / "leadsync.toml", env=sandbox_secrets(sandbox.info))
    with pytest.raises(ConfigError) as caught:
        run_sweep(unknown, datetime.now(UTC), allow_future_writes=True)
    assert caught.value.where == "sla.escalate_to"
    assert "'nobody@sales.example' is not a user of hubspot" in str(caught.value)


def test_a_policy_on_a_fact_the_crm_side_does_not_hold_is_named(
        make_sandbox: Callable[..., Sandbox], tmp_path: Path) -> None:
    from leadsync.connector.errors import ConfigError

    sandbox = make_sandbox()
    config = write_config(sandbox, tmp_path)
    (tmp_path / "mapping.toml").write_text(MAPPING.replace(
        'country = { marketing = "Country", crm = "country" }',
        'country = { marketing = "Country" }'))
    text = config.source_path.read_text().replace(
        "match = { hot = true }", 'match = { hot = true, country = ["GB"] }')
    (tmp_path / "leadsync.toml").write_text(text)
    bad = load_config(tmp_path / "leadsync.toml", env=sandbox_secrets(sandbox.info))
    with pytest.raises(ConfigError, match=r"sla.policies\[0\] \(hot_inbound\).match: matches "
                       r"on country or region.*\[lead\] country names no crm field"):
        run_sweep(bad, datetime.now(UTC), allow_future_writes=True)


def test_a_nurture_list_is_refused_when_the_marketing_system_keeps_none(
        make_sandbox: Callable[..., Sandbox], tmp_path: Path) -> None:
    from leadsync.connector.errors import ConfigError

    sandbox = make_sandbox()
    config = write_config(sandbox, tmp_path)
    (tmp_path / "leadsync.toml").write_text(config.source_path.read_text().replace(
        "[sla]\n", '[sla]\nnurture_list = "Recycled"\n'))
    listed = load_config(tmp_path / "leadsync.toml", env=sandbox_secrets(sandbox.info))
    with pytest.raises(ConfigError, match="nurture lists are kept in HubSpot only") as caught:
        run_sweep(listed, datetime.now(UTC), allow_future_writes=True)
    assert caught.value.where == "sla.nurture_list"
