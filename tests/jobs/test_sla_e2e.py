"""The SLA sweep end to end on the sandbox orgs, stepping ``now`` through time.

Clocks here run on the 24x7 calendar so that deadlines do not depend on the day the suite
runs; business calendars are covered by tests/connector/test_calendar.py and test_sla.py.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from simple_salesforce import Salesforce

from leadsync.demo import DEFINITION, US_SALES_CALENDAR, sandbox_config
from leadsync.jobs.sla import run_sweep
from leadsync.jobs.sync import run_sync
from leadsync.sandbox.server import Sandbox
from tests.conftest import hubspot_client, salesforce_client

SLA = US_SALES_CALENDAR + """
[sla]
default_calendar = "us_sales"
nurture_list = "Recycled by LeadSync"

[[sla.policies]]
name = "hot_inbound"
priority = 10
match = { hot = true }
calendar = "24x7"
first_touch_within = "1h"
cadence = { calls = 2, emails = 1, within = "3d" }
on_breach = ["escalate"]
on_exhausted = "recycle"

[[sla.policies]]
name = "standard"
calendar = "24x7"
first_touch_within = "24h"
cadence = { calls = 2, emails = 1, within = "5d" }
on_breach = ["escalate"]
on_exhausted = "recycle"
"""

HOT = {"email": "ada@analytical.example", "firstname": "Ada", "lastname": "Lovelace",
       "jobtitle": "VP of Engineering", "company": "Analytical Engines", "country": "GB",
       "numemployees": "100-500", "industry": "Technology", "lead_source": "Demo Request"}
LEAD_FIELDS = ("Id, Status, OwnerId, LeadSync_SLA_Policy__c, LeadSync_Handoff_At__c, "
               "LeadSync_First_Touch_By__c, LeadSync_Cadence_End__c, LeadSync_SLA_Status__c, "
               "LeadSync_Breached_At__c, LeadSync_First_Touch_At__c, LeadSync_Calls__c, "
               "LeadSync_Emails__c, LeadSync_Recycle_Reason__c, LeadSync_Recycle_Count__c")


@pytest.fixture
def handed_off(make_sandbox: Callable[..., Sandbox], tmp_path: Path):  # type: ignore[no-untyped-def]
    """A hot lead handed to a rep (who has a manager) by a real sync pass."""
    sandbox = make_sandbox()
    manager = sandbox.salesforce.insert_raw("User", {
        "FirstName": "Cyndi", "LastName": "Park", "Email": "cyndi@sales.example",
        "Username": "cyndi@sales.example", "TimeZoneSidKey": "America/New_York",
        "IsActive": True})
    rep = sandbox.salesforce.insert_raw("User", {
        "FirstName": "Rick", "LastName": "Rep", "Email": "rick@sales.example",
        "Username": "rick@sales.example", "TimeZoneSidKey": "America/New_York",
        "IsActive": True, "ManagerId": manager})
    owner = sandbox.hubspot.owners.add("Rick", "Rep", "rick@sales.example",
                                       sandbox.hubspot.stamp())["id"]
    config = sandbox_config(sandbox.info, tmp_path, definition=DEFINITION, extra=SLA)
    hs = hubspot_client(sandbox)
    hs.crm.contacts.basic_api.create(simple_public_object_input_for_create={
        "properties": {**HOT, "hubspot_owner_id": str(owner)}})
    run_sync(config)
    sf = salesforce_client(sandbox)
    [lead] = sf.query(f"SELECT {LEAD_FIELDS} FROM Lead")["records"]
    assert lead["OwnerId"] == rep
    return sandbox, config, sf, hs, lead, rep, manager


def reps(sandbox: Sandbox, *names: str) -> dict[str, str]:
    """Salesforce users for these first names (name@sales.example), by name."""
    return {name: sandbox.salesforce.insert_raw("User", {
        "FirstName": name.title(), "LastName": "Rep", "Email": f"{name}@sales.example",
        "Username": f"{name}@sales.example", "TimeZoneSidKey": "America/New_York",
        "IsActive": True}) for name in names}


def lead_now(sf: Salesforce, lead_id: str) -> dict:
    return sf.query(f"SELECT {LEAD_FIELDS} FROM Lead WHERE Id = '{lead_id}'")["records"][0]


def handoff_of(lead: dict) -> datetime:
    return datetime.fromisoformat(lead["LeadSync_Handoff_At__c"].replace("+0000", "+00:00"))


def log(sf: Salesforce, lead_id: str, kind: str) -> None:
    sf.Task.create({"WhoId": lead_id, "Subject": kind, "TaskSubtype": kind.title(),
                    "Status": "Completed"})


def test_handoff_stamps_the_policy_and_deadlines_on_the_lead(handed_off) -> None:
    _, config, sf, _, lead, _, _ = handed_off
    result = run_sweep(config, datetime.now(UTC) + timedelta(minutes=1), allow_future_writes=True)
    stamped = lead_now(sf, lead["Id"])
    assert result.started == 1
    assert stamped["LeadSync_SLA_Policy__c"] == "hot_inbound"
    assert stamped["LeadSync_SLA_Status__c"] == "pending"
    first_touch_by = datetime.fromisoformat(
        stamped["LeadSync_First_Touch_By__c"].replace("+0000", "+00:00"))
    assert first_touch_by - handoff_of(stamped) == timedelta(hours=1)
    assert stamped["LeadSync_Calls__c"] == 0


def test_calls_and_emails_logged_in_salesforce_flip_the_lead_to_met(handed_off) -> None:
    _, config, sf, _, lead, _, _ = handed_off
    run_sweep(config, datetime.now(UTC) + timedelta(minutes=1), allow_future_writes=True)
    log(sf, lead["Id"], "call")
    log(sf, lead["Id"], "call")
    log(sf, lead["Id"], "email")
    run_sweep(config, datetime.now(UTC) + timedelta(minutes=5), allow_future_writes=True)
    stamped = lead_now(sf, lead["Id"])
    assert stamped["LeadSync_SLA_Status__c"] == "met"
    assert (stamped["LeadSync_Calls__c"], stamped["LeadSync_Emails__c"]) == (2, 1)
    assert stamped["LeadSync_First_Touch_At__c"]
    run_sweep(config, datetime.now(UTC) + timedelta(minutes=10), allow_future_writes=True)
    assert lead_now(sf, lead["Id"])["LeadSync_Calls__c"] == 2  # one activity counts once


def test_an_untouched_lead_breaches_and_is_escalated_to_the_manager_exactly_once(
        handed_off) -> None:
    _, config, sf, _, lead, rep, manager = handed_off
    run_sweep(config, datetime.now(UTC) + timedelta(minutes=1), allow_future_writes=True)
    handoff = handoff_of(lead_now(sf, lead["Id"]))
    run_sweep(config, handoff + timedelta(minutes=30), allow_future_writes=True)
    first = run_sweep(config, handoff + timedelta(hours=2), allow_future_writes=True)
    second = run_sweep(config, handoff + timedelta(hours=3), allow_future_writes=True)
    stamped = lead_now(sf, lead["Id"])
    assert stamped["LeadSync_SLA_Status__c"] == "breached"
    assert stamped["LeadSync_Breached_At__c"]
    assert first.escalations == 1 and second.escalations == 0
    tasks = sf.query(f"SELECT Id, OwnerId, Subject FROM Task WHERE WhoId = '{lead['Id']}'")
    escalations = [t for t in tasks["records"] if t["Subject"].startswith("SLA breach")]
    assert len(escalations) == 1 and escalations[0]["OwnerId"] == manager
    assert stamped["OwnerId"] == rep  # escalated, not reassigned: the policy says escalate


def test_a_lead_that_finishes_its_cadence_unconverted_is_recycled_to_the_nurture_list(
        handed_off) -> None:
    _, config, sf, hs, lead, _, _ = handed_off
    run_sweep(config, datetime.now(UTC) + timedelta(minutes=1), allow_future_writes=True)
    for kind in ("call", "call", "email"):
        log(sf, lead["Id"], kind)
    handoff = handoff_of(lead_now(sf, lead["Id"]))
    run_sweep(config, handoff + timedelta(days=3, minutes=1), allow_future_writes=True)
    stamped = lead_now(sf, lead["Id"])
    assert stamped["Status"] == "Recycled - Nurture"
    assert stamped["LeadSync_SLA_Status__c"] == "recycled"
    assert stamped["LeadSync_Recycle_Count__c"] == 1
    assert stamped["LeadSync_Recycle_Reason__c"].startswith("Cadence complete")
    contact = hs.crm.contacts.basic_api.get_by_id(
        HOT["email"], id_property="email",
        properties=["hs_lead_status", "leadsync_recycle_reason", "leadsync_recycled_at"])
    assert contact.properties["hs_lead_status"] == "BAD_TIMING"
    assert contact.properties["leadsync_recycle_reason"] == stamped["LeadSync_Recycle_Reason__c"]
    assert contact.properties["leadsync_recycled_at"]
    nurture = hs.crm.lists.lists_api.get_by_name(list_name="Recycled by LeadSync",
                                                object_type_id="0-1")
    members = hs.crm.lists.memberships_api.get_page(list_id=nurture.list.list_id)
    assert [m.record_id for m in members.results] == [contact.id]
    again = run_sweep(config, handoff + timedelta(days=4), allow_future_writes=True)
    assert again.recycled == 0  # recycled once


def test_a_disqualified_lead_is_resolved_and_its_clock_stops(handed_off) -> None:
    _, config, sf, _, lead, _, _ = handed_off
    run_sweep(config, datetime.now(UTC) + timedelta(minutes=1), allow_future_writes=True)
    sf.Lead.update(lead["Id"], {"Status": "Closed - Not Converted"})
    handoff = handoff_of(lead_now(sf, lead["Id"]))
    resolved = run_sweep(config, handoff + timedelta(minutes=30), allow_future_writes=True)
    later = run_sweep(config, handoff + timedelta(days=10), allow_future_writes=True)
    stamped = lead_now(sf, lead["Id"])
    assert resolved.resolved == 1
    assert stamped["LeadSync_SLA_Status__c"] == "resolved"
    assert later.breaches == 0 and later.leads == 0 and later.recycled == 0


def test_every_step_is_in_the_audit_log(handed_off) -> None:
    _, config, sf, _, lead, _, _ = handed_off
    run_sweep(config, datetime.now(UTC) + timedelta(minutes=1), allow_future_writes=True)
    handoff = handoff_of(lead_now(sf, lead["Id"]))
    run_sweep(config, handoff + timedelta(hours=2), allow_future_writes=True)
    from leadsync.connector.state import StateStore

    store = StateStore(config.state.url)
    sla = [e for e in store.events("default", email=HOT["email"])
           if not e["event"].startswith("sync_")]  # the sync's writes are in the trail too
    assert [e["event"] for e in sla][:3] == ["handoff", "breach", "escalated"]
    assert all(e["policy"] == "hot_inbound" for e in sla)


def test_a_pool_takes_new_handoffs_and_reassigns_breaches_skipping_reps_out_of_office(
        make_sandbox: Callable[..., Sandbox], tmp_path: Path) -> None:
    sandbox = make_sandbox()
    ids = reps(sandbox, "amy", "bob", "cara")
    today = datetime.now(UTC).date()
    away = f"[{today - timedelta(days=1)}, {today + timedelta(days=7)}]"
    pool = f"""
[sla.pool]
reps = ["amy@sales.example", "bob@sales.example", "cara@sales.example"]
out_of_office = {{ "bob@sales.example" = {away} }}
"""
    sla = SLA.replace('on_breach = ["escalate"]', 'on_breach = ["reassign"]', 1)
    config = sandbox_config(sandbox.info, tmp_path, definition=DEFINITION, extra=sla + pool)
    hubspot_client(sandbox).crm.contacts.basic_api.create(
        simple_public_object_input_for_create={"properties": HOT})
    run_sync(config)
    sf = salesforce_client(sandbox)

    started = run_sweep(config, datetime.now(UTC) + timedelta(minutes=1), allow_future_writes=True)
    [lead] = sf.query(f"SELECT {LEAD_FIELDS} FROM Lead")["records"]
    assert started.started == 1 and lead["OwnerId"] == ids["amy"]

    breached = run_sweep(config, handoff_of(lead) + timedelta(hours=2), allow_future_writes=True)
    assert breached.reassignments == 1
    assert lead_now(sf, lead["Id"])["OwnerId"] == ids["cara"]
    from leadsync.connector.state import StateStore

    events = {e["event"]: e for e in StateStore(config.state.url).events(
        "default", email=HOT["email"])}
    assert events["assigned"]["details"]["to"] == ids["amy"]
    reassigned = events["reassigned"]
    assert reassigned["details"]["from"] == ids["amy"]
    assert reassigned["details"]["to"] == ids["cara"]
    assert any("bob@sales.example: out of office until" in s
               for s in reassigned["details"]["skipped"])
    assert "first touch deadline missed" in reassigned["reason"]


def test_a_held_meeting_counts_as_a_touch_and_a_breach_posts_to_the_webhook(
        make_sandbox: Callable[..., Sandbox], tmp_path: Path) -> None:
    import json
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    received: list[dict] = []

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        sandbox = make_sandbox()
        sla = SLA.replace('[sla]\n', f'[sla]\nwebhook_url = "http://127.0.0.1:'
                                     f'{server.server_port}/sla"\n')
        config = sandbox_config(sandbox.info, tmp_path, definition=DEFINITION, extra=sla)
        hubspot_client(sandbox).crm.contacts.basic_api.create(
            simple_public_object_input_for_create={"properties": HOT})
        hubspot_client(sandbox).crm.contacts.basic_api.create(
            simple_public_object_input_for_create={"properties": {
                **HOT, "email": "grace@analytical.example", "lastname": "Hopper"}})
        run_sync(config)
        sf = salesforce_client(sandbox)
        run_sweep(config, datetime.now(UTC) + timedelta(minutes=1), allow_future_writes=True)
        leads = {r["Email"]: r for r in sf.query(f"SELECT Email, {LEAD_FIELDS} FROM Lead")
                 ["records"]}
        met = leads["grace@analytical.example"]
        start = handoff_of(lead_now(sf, met["Id"])) + timedelta(minutes=20)
        sf.Event.create({"WhoId": met["Id"], "Subject": "Discovery call",
                         "StartDateTime": start.strftime("%Y-%m-%dT%H:%M:%S.000+0000"),
                         "EndDateTime": (start + timedelta(minutes=30))
                         .strftime("%Y-%m-%dT%H:%M:%S.000+0000")})
        run_sweep(config, handoff_of(lead_now(sf, met["Id"])) + timedelta(hours=2),
                  allow_future_writes=True)
        touched = lead_now(sf, met["Id"])
        assert touched["LeadSync_Calls__c"] == 1 and touched["LeadSync_First_Touch_At__c"]
        assert touched["LeadSync_SLA_Status__c"] != "breached"
        [hook] = received
        assert hook["event"] == "sla.breach" and hook["kind"] == "first_touch"
        assert hook["lead"]["email"] == HOT["email"] and hook["policy"] == "hot_inbound"
    finally:
        server.shutdown()


def test_a_write_the_crm_refuses_is_parked_with_its_code_and_the_sweep_goes_on(
        make_sandbox: Callable[..., Sandbox], tmp_path: Path) -> None:
    import dataclasses

    sandbox = make_sandbox()
    config = sandbox_config(sandbox.info, tmp_path, definition=DEFINITION, extra=SLA)
    hubspot_client(sandbox).crm.contacts.basic_api.create(
        simple_public_object_input_for_create={"properties": HOT})
    run_sync(config)
    sf = salesforce_client(sandbox)
    run_sweep(config, datetime.now(UTC) + timedelta(minutes=1), allow_future_writes=True)
    [lead] = sf.query(f"SELECT {LEAD_FIELDS} FROM Lead")["records"]
    # An admin shortens the recycle-reason field in Setup: the recycle no longer fits.
    objects = sandbox.salesforce.objects["Lead"]
    wide = objects.fields["LeadSync_Recycle_Reason__c"]
    objects.add_field(dataclasses.replace(wide, length=10))

    result = run_sweep(config, handoff_of(lead) + timedelta(days=3, minutes=1),
                       allow_future_writes=True)

    assert result.recycled == 0 and result.failed == 1
    from leadsync.connector.state import StateStore

    [parked] = StateStore(config.state.url).parked("default", "salesforce:sla")
    assert parked.code == "STRING_TOO_LONG"
    assert parked.record_id == lead["Id"] and parked.email == HOT["email"].lower()
    assert parked.payload["fields"]["Status"] == "Recycled - Nurture"
    assert lead_now(sf, lead["Id"])["Status"] != "Recycled - Nurture"
    hs = hubspot_client(sandbox)
    contact = hs.crm.contacts.basic_api.get_by_id(
        HOT["email"], id_property="email",
        properties=["hs_lead_status", "leadsync_recycled_at"])
    assert not contact.properties.get("leadsync_recycled_at")  # marketing was not told
    assert contact.properties.get("hs_lead_status") != "BAD_TIMING"

    # The admin widens the field again: the next sweep recycles the lead and clears the refusal.
    objects.add_field(wide)
    retried = run_sweep(config, handoff_of(lead) + timedelta(days=3, minutes=5),
                        allow_future_writes=True)
    assert retried.recycled == 1 and retried.failed == 0
    assert lead_now(sf, lead["Id"])["Status"] == "Recycled - Nurture"
    assert StateStore(config.state.url).parked("default", "salesforce:sla") == []


def test_a_nurture_status_the_crm_does_not_offer_stops_the_sweep_before_any_write(
        make_sandbox: Callable[..., Sandbox], tmp_path: Path) -> None:
    from leadsync.connector.errors import ConfigError

    sandbox = make_sandbox()
    sla = SLA.replace("[sla]\n", '[sla]\nnurture_status = "Gone Fishing"\n')
    config = sandbox_config(sandbox.info, tmp_path, definition=DEFINITION, extra=sla)
    with pytest.raises(ConfigError, match=r"sla\.nurture_status: 'Gone Fishing' is not a "
                       r"value of Status; its values: Closed - Converted"):
        run_sweep(config, datetime.now(UTC), allow_future_writes=True)


def test_a_recycled_lead_waits_in_nurture_until_it_engages_again_then_is_handed_off_anew(
        handed_off) -> None:
    sandbox, config, sf, hs, lead, _, _ = handed_off
    run_sweep(config, datetime.now(UTC) + timedelta(minutes=1), allow_future_writes=True)
    for kind in ("call", "call", "email"):
        log(sf, lead["Id"], kind)
    handoff = handoff_of(lead_now(sf, lead["Id"]))
    run_sweep(config, handoff + timedelta(days=3, minutes=1), allow_future_writes=True)
    assert lead_now(sf, lead["Id"])["Status"] == "Recycled - Nurture"

    run_sync(config, now=handoff + timedelta(days=3, hours=1))  # the facts have not changed
    waiting = sf.query(f"SELECT LeadSync_Qualified__c, LeadSync_Reason__c, LeadSync_Flag__c "
                       f"FROM Lead WHERE Id = '{lead['Id']}'")["records"][0]
    assert waiting["LeadSync_Qualified__c"] is False
    assert waiting["LeadSync_Reason__c"].startswith("Recycled for nurture on ")
    assert waiting["LeadSync_Flag__c"] is None  # not a lead that stopped qualifying
    assert run_sweep(config, handoff + timedelta(days=3, hours=2),
                     allow_future_writes=True).started == 0

    contact = hs.crm.contacts.basic_api.get_by_id(HOT["email"], id_property="email")
    with sandbox.hubspot.lock:  # a new form submission, as HubSpot's forms would stamp it
        record = sandbox.hubspot.store.get("contacts", contact.id)
        sandbox.hubspot.store.update("contacts", record, {
            "recent_conversion_date": (handoff + timedelta(days=3, hours=5)).isoformat()})
    again_at = handoff + timedelta(days=4)
    run_sync(config, now=again_at)
    swept = run_sweep(config, again_at + timedelta(minutes=1), allow_future_writes=True)
    stamped = lead_now(sf, lead["Id"])
    assert swept.started == 1
    assert stamped["Status"] == "Open - Not Contacted"
    assert stamped["LeadSync_SLA_Status__c"] == "pending"
    assert handoff_of(stamped) == again_at
    assert stamped["LeadSync_Calls__c"] == 0 and stamped["LeadSync_Recycle_Count__c"] == 1
    from leadsync.connector.state import StateStore

    events = [e for e in StateStore(config.state.url).events("default", email=HOT["email"])
              if e["event"] == "handoff"]
    assert len(events) == 2 and "handed off again" in events[-1]["reason"]


def test_a_pool_from_a_salesforce_queue_takes_the_leads_the_queue_owns(
        make_sandbox: Callable[..., Sandbox], tmp_path: Path) -> None:
    sandbox = make_sandbox()
    sf = salesforce_client(sandbox)
    queue = sf.Group.create({"Name": "Inbound SDRs", "DeveloperName": "Inbound_SDRs",
                             "Type": "Queue"})["id"]
    ids = reps(sandbox, "amy", "bob", "otto")
    for name in ("amy", "bob"):  # otto is not in the queue
        sf.GroupMember.create({"GroupId": queue, "UserOrGroupId": ids[name]})
    sla = SLA.replace('on_breach = ["escalate"]', 'on_breach = ["reassign"]', 1)
    config = sandbox_config(sandbox.info, tmp_path, definition=DEFINITION,
                            extra=sla + '\n[sla.pool]\nqueue = "Inbound_SDRs"\n')
    hubspot_client(sandbox).crm.contacts.basic_api.create(
        simple_public_object_input_for_create={"properties": HOT})
    run_sync(config)
    [lead] = sf.query(f"SELECT {LEAD_FIELDS} FROM Lead")["records"]
    sf.Lead.update(lead["Id"], {"OwnerId": queue})  # assignment rules parked it in the queue

    started = run_sweep(config, datetime.now(UTC) + timedelta(minutes=1), allow_future_writes=True)
    first = lead_now(sf, lead["Id"])["OwnerId"]
    assert started.started == 1 and first in (ids["amy"], ids["bob"])
    breached = run_sweep(config, handoff_of(lead_now(sf, lead["Id"])) + timedelta(hours=2),
                         allow_future_writes=True)
    second = lead_now(sf, lead["Id"])["OwnerId"]
    assert breached.reassignments == 1
    assert {first, second} == {ids["amy"], ids["bob"]}  # never otto, who is not in the queue


def test_an_unknown_queue_stops_the_sweep_naming_the_queue(
        make_sandbox: Callable[..., Sandbox], tmp_path: Path) -> None:
    sandbox = make_sandbox()
    config = sandbox_config(sandbox.info, tmp_path, definition=DEFINITION,
                            extra=SLA + '\n[sla.pool]\nqueue = "Nobody_Home"\n')
    hubspot_client(sandbox).crm.contacts.basic_api.create(
        simple_public_object_input_for_create={"properties": HOT})
    run_sync(config)
    from leadsync.connector.errors import ConfigError

    with pytest.raises(ConfigError, match="no queue named 'Nobody_Home'") as caught:
        run_sweep(config, datetime.now(UTC) + timedelta(minutes=1), allow_future_writes=True)
    assert caught.value.where == "sla.pool.queue"


def test_a_recycle_can_move_the_hubspot_lifecycle_stage_back_to_lead(
        make_sandbox: Callable[..., Sandbox], tmp_path: Path) -> None:
    sandbox = make_sandbox()
    sla = SLA.replace("[sla]\n", '[sla]\nmarketing_on_recycle = { lifecyclestage = "lead", '
                      'hs_lead_status = "BAD_TIMING" }\n')
    config = sandbox_config(sandbox.info, tmp_path, definition=DEFINITION, extra=sla)
    hs = hubspot_client(sandbox)
    hs.crm.contacts.basic_api.create(simple_public_object_input_for_create={
        "properties": {**HOT, "lifecyclestage": "marketingqualifiedlead"}})
    run_sync(config)
    sf = salesforce_client(sandbox)
    [lead] = sf.query(f"SELECT {LEAD_FIELDS} FROM Lead")["records"]
    run_sweep(config, datetime.now(UTC) + timedelta(minutes=1), allow_future_writes=True)
    recycled = run_sweep(config, handoff_of(lead_now(sf, lead["Id"])) + timedelta(days=4),
                         allow_future_writes=True)
    contact = hs.crm.contacts.basic_api.get_by_id(
        HOT["email"], id_property="email", properties=["lifecyclestage", "hs_lead_status"])
    assert recycled.recycled == 1
    assert contact.properties["lifecyclestage"] == "lead"  # back, although HubSpot moves forward
    assert contact.properties["hs_lead_status"] == "BAD_TIMING"
