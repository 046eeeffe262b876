"""HubSpot as the CRM of the SLA: touches, escalation tasks, owners and teams, through the real
client over HTTPS to the sandbox portal."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hubspot import HubSpot

from leadsync.adapters.hubspot.activities import HubSpotActivities, counts
from leadsync.adapters.hubspot.system import HubSpotSystem
from leadsync.connector.errors import ConfigError
from leadsync.connector.models import Record, TaskSpec
from leadsync.sandbox.server import Sandbox
from tests.sandbox.hubspot_support import new_contact

T0 = datetime(2026, 11, 2, 14, 0, tzinfo=UTC)


@pytest.fixture
def activities(sandbox: Sandbox, hs: HubSpot) -> HubSpotActivities:
    return HubSpotActivities(HubSpotSystem("hubspot", hs).calls)


def associate(contact_id: str, type_id: int) -> list[dict[str, object]]:
    return [{"to": {"id": contact_id}, "types": [{"associationCategory": "HUBSPOT_DEFINED",
                                                  "associationTypeId": type_id}]}]


def call(hs: HubSpot, contact_id: str, at: datetime, status: str = "COMPLETED") -> str:
    made = hs.crm.objects.calls.basic_api.create({
        "properties": {"hs_timestamp": at.isoformat(), "hs_call_title": f"call {status}",
                       "hs_call_status": status, "hs_call_direction": "OUTBOUND"},
        "associations": associate(contact_id, 194)})
    return str(made.id)


def email(hs: HubSpot, contact_id: str, at: datetime, direction: str = "EMAIL",
          status: str = "SENT") -> str:
    made = hs.crm.objects.emails.basic_api.create({
        "properties": {"hs_timestamp": at.isoformat(), "hs_email_subject": "hello",
                       "hs_email_direction": direction, "hs_email_status": status},
        "associations": associate(contact_id, 198)})
    return str(made.id)


def test_completed_calls_and_sent_emails_in_the_window_are_touches(
        hs: HubSpot, activities: HubSpotActivities) -> None:
    ada = new_contact(hs, email="ada@example.com").id
    bob = new_contact(hs, email="bob@example.com").id
    counted = {call(hs, ada, T0 + timedelta(hours=1)), email(hs, ada, T0 + timedelta(hours=2)),
               call(hs, bob, T0 + timedelta(hours=3))}
    call(hs, ada, T0 + timedelta(hours=1), status="NO_ANSWER")
    call(hs, ada, T0 - timedelta(minutes=1))  # before the handoff
    call(hs, ada, T0 + timedelta(days=3))  # after "now"
    email(hs, ada, T0 + timedelta(hours=2), direction="INCOMING_EMAIL")  # the lead wrote
    email(hs, ada, T0 + timedelta(hours=2), status="BOUNCED")

    found = activities.read_activities([ada, bob], T0, T0 + timedelta(days=1))

    assert {a.id for a in found} == counted
    by_id = {a.id: a for a in found}
    assert sorted((a.record_id, a.kind) for a in found) == [
        (ada, "call"), (ada, "email"), (bob, "call")]
    assert all(a.at >= T0 for a in by_id.values())


def test_a_contact_without_activities_has_no_touches(
        hs: HubSpot, activities: HubSpotActivities) -> None:
    ada = new_contact(hs, email="ada@example.com").id
    assert activities.read_activities([ada], T0, T0 + timedelta(days=1)) == []


def test_what_counts_as_a_touch() -> None:
    assert counts("calls", {"hs_call_status": "COMPLETED"})
    assert not counts("calls", {"hs_call_status": "BUSY"})
    assert counts("emails", {"hs_email_direction": "EMAIL"})  # logged, no status
    assert not counts("emails", {"hs_email_direction": "EMAIL", "hs_email_status": "FAILED"})
    assert not counts("emails", {"hs_email_direction": "FORWARDED_EMAIL",
                                 "hs_email_status": "SENT"})


def test_owners_are_the_reps(sandbox: Sandbox, activities: HubSpotActivities) -> None:
    owner = sandbox.hubspot.owners.add("Rick", "Rep", "Rick@Sales.example",
                                       sandbox.hubspot.stamp())
    [rep] = [r for r in activities.reps() if r.id == owner["id"]]
    assert (rep.email, rep.name, rep.active, rep.manager_id) == (
        "rick@sales.example", "Rick Rep", True, None)


def test_the_contact_sales_process() -> None:
    process = HubSpotActivities.process
    lead = Record("hubspot", "1", {"firstname": "Ada", "lastname": "Lovelace",
                                   "lifecyclestage": "opportunity", "email": "a@x.example"},
                  T0)
    assert process.is_converted(lead)
    assert not process.is_converted(Record("hubspot", "2", {"lifecyclestage": "lead"}, T0))
    assert process.display_name(lead) == "Ada Lovelace"
    assert process.display_name(Record("hubspot", "3", {"email": "b@x.example"}, T0)) == \
        "b@x.example"
    assert process.status == "hs_lead_status" and process.owner == "hubspot_owner_id"


def test_an_unknown_team_is_a_config_error_naming_the_teams(
        activities: HubSpotActivities, sandbox: Sandbox) -> None:
    sandbox.hubspot.owners.add("Rick", "Rep", "rick@sales.example", sandbox.hubspot.stamp())
    with pytest.raises(ConfigError, match=r"no team named 'Nobody'.*Sales") as caught:
        activities.queue_members("Nobody")
    assert caught.value.where == "sla.pool.queue"


def test_escalation_tasks_are_created_on_the_contact_for_the_manager(
        hs: HubSpot, sandbox: Sandbox, activities: HubSpotActivities) -> None:
    ada = new_contact(hs, email="ada@example.com").id
    owner = sandbox.hubspot.owners.add("Cyndi", "Park", "cyndi@sales.example",
                                       sandbox.hubspot.stamp())["id"]
    missing = activities.missing_task_fields(activities.task_fields)
    assert activities.create_task_fields(missing) == ["leadsync_key"]

    [result] = activities.create_tasks([TaskSpec("k:first_touch", ada, owner,
                                                 "SLA breach: first touch", "missed")])

    assert result.ok and result.id
    task = hs.crm.objects.tasks.basic_api.get_by_id(
        result.id, properties=["hs_task_subject", "hs_task_status", "hs_task_priority",
                               "hubspot_owner_id", "leadsync_key"], associations=["contacts"])
    assert task.properties["leadsync_key"] == "k:first_touch"
    assert activities.missing_task_fields(activities.task_fields) == []
    assert task.properties["hs_task_subject"] == "SLA breach: first touch"
    assert (task.properties["hs_task_status"], task.properties["hs_task_priority"]) == (
        "NOT_STARTED", "HIGH")
    assert task.properties["hubspot_owner_id"] == owner
    assert [a.id for a in task.associations["contacts"].results] == [ada]


def test_a_contact_with_more_associations_than_a_page_is_read_to_the_end() -> None:
    """HubSpot pages each contact's associations on its own (``paging.next.after`` per
    result); the sandbox never does, so this one is faked at the HTTP boundary."""
    from tests.adapters.test_hubspot_system import FakeHubSpotHttp, FakeTime, batch, make_system

    http = FakeHubSpotHttp()
    pages = {None: (["9001", "9002"], "MjAw"), "MjAw": (["9003"], None)}

    def associations(body: dict) -> tuple:
        results = []
        for given in body["inputs"]:
            ids, after = pages[given.get("after")]
            result = {"from": {"id": given["id"]}, "to": [
                {"toObjectId": int(i), "associationTypes": [
                    {"category": "HUBSPOT_DEFINED", "typeId": 193,
                     "label": None}]} for i in ids]}
            if after:
                result["paging"] = {"next": {"after": after, "link": None}}
            results.append(result)
        return batch(results)

    http.on_call("POST", "/crm/v4/associations/contacts/calls/batch/read", associations)
    http.on_call("POST", "/crm/v4/associations/contacts/emails/batch/read",
                 lambda body: batch([]))
    http.on_call("POST", "/crm/v3/objects/calls/batch/read", lambda body: batch([
        {"id": i["id"], "properties": {"hs_timestamp": "2026-11-02T15:00:00Z",
                                       "hs_call_status": "COMPLETED"},
         "createdAt": "2026-11-02T15:00:00Z", "updatedAt": "2026-11-02T15:00:00Z",
         "archived": False} for i in body["inputs"]]))

    found = HubSpotActivities(make_system(http, FakeTime()).calls).read_activities(
        ["501"], T0, T0 + timedelta(days=1))

    assert sorted(a.id for a in found) == ["9001", "9002", "9003"]
    asked = [r.body["inputs"] for r in http.sent(
        "/crm/v4/associations/contacts/calls/batch/read")]
    assert asked == [[{"id": "501"}], [{"id": "501", "after": "MjAw"}]]
