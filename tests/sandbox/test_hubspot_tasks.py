"""Tasks (object type 0-27) on contacts: basic, batch, search and list reads, their documented
properties and enumerations, and the task/contact associations (types 204 and 203)."""

from __future__ import annotations

import requests
from hubspot import HubSpot
from hubspot.crm.objects.tasks import ApiException as TasksApiException
from hubspot.crm.objects.tasks import (
    BatchInputSimplePublicObjectBatchInputForCreate,
    BatchReadInputSimplePublicObjectId,
    PublicObjectSearchRequest,
    SimplePublicObjectBatchInputForCreate,
    SimplePublicObjectId,
    SimplePublicObjectInput,
    SimplePublicObjectInputForCreate,
)

from leadsync.sandbox.server import Sandbox
from tests.sandbox.hubspot_support import assert_hubspot_error, new_contact, refusal

DUE = "2024-03-01T17:00:00Z"


def to_contact(contact_id: str, type_id: int = 204) -> list[dict[str, object]]:
    return [{"to": {"id": contact_id}, "types": [{"associationCategory": "HUBSPOT_DEFINED",
                                                  "associationTypeId": type_id}]}]


def new_task(hs: HubSpot, contact_id: str, subject: str = "Call back about pricing",
             **properties: str) -> str:
    task = hs.crm.objects.tasks.basic_api.create(SimplePublicObjectInputForCreate(
        properties={"hs_timestamp": DUE, "hs_task_subject": subject,
                    "hs_task_status": "NOT_STARTED", "hs_task_priority": "HIGH",
                    "hs_task_type": "TODO", **properties},
        associations=to_contact(contact_id)))
    return str(task.id)


def test_a_task_is_created_with_its_documented_properties_and_contact(hs: HubSpot) -> None:
    contact = new_contact(hs, email="c@example.com")

    task_id = new_task(hs, contact.id, hs_task_body="<p>Ask about seats</p>")

    task = hs.crm.objects.tasks.basic_api.get_by_id(task_id, properties=[
        "hs_timestamp", "hs_task_subject", "hs_task_body", "hs_task_status",
        "hs_task_priority", "hs_task_type"])
    assert task.properties == {
        "hs_timestamp": "2024-03-01T17:00:00.000Z", "hs_task_subject": "Call back about pricing",
        "hs_task_body": "<p>Ask about seats</p>", "hs_task_status": "NOT_STARTED",
        "hs_task_priority": "HIGH", "hs_task_type": "TODO", "hs_object_id": task_id,
        "hs_createdate": task.properties["hs_createdate"],
        "hs_lastmodifieddate": task.properties["hs_lastmodifieddate"]}
    with_tasks = hs.crm.contacts.basic_api.get_by_id(contact.id, associations=["tasks"])
    assert [(a.id, a.type) for a in with_tasks.associations["tasks"].results] == [
        (task_id, "contact_to_task")]


def test_task_associations_read_through_v4_with_types_204_and_203(hs: HubSpot) -> None:
    contact = new_contact(hs, email="c@example.com")
    task_id = new_task(hs, contact.id)

    from_contact = hs.crm.associations.v4.basic_api.get_page("contacts", contact.id, "tasks")
    from_task = hs.crm.associations.v4.basic_api.get_page("tasks", task_id, "contacts")

    assert [(r.to_object_id, r.association_types[0].type_id) for r in from_contact.results] == [
        (task_id, 203)]
    assert [(r.to_object_id, r.association_types[0].type_id) for r in from_task.results] == [
        (contact.id, 204)]
    assert from_task.results[0].association_types[0].category == "HUBSPOT_DEFINED"


def test_tasks_are_reached_by_type_id_0_27_and_by_singular_name(hs: HubSpot,
                                                                 hs_http: requests.Session,
                                                                 sandbox: Sandbox) -> None:
    contact = new_contact(hs, email="c@example.com")
    task_id = new_task(hs, contact.id)
    host = sandbox.info["hubspot"]["host"]

    by_type_id = hs.crm.objects.basic_api.get_by_id("0-27", task_id,
                                                    properties=["hs_task_subject"])
    by_singular = hs_http.get(f"{host}/crm/v3/objects/task/{task_id}")

    assert by_type_id.properties["hs_task_subject"] == "Call back about pricing"
    assert by_singular.status_code == 200 and by_singular.json()["id"] == task_id


def test_a_task_needs_its_due_date_and_documented_values(hs: HubSpot) -> None:
    contact = new_contact(hs, email="c@example.com")
    create = hs.crm.objects.tasks.basic_api.create

    def refused(properties: dict[str, str], type_id: int = 204) -> tuple[int, dict[str, object]]:
        return refusal(create, SimplePublicObjectInputForCreate(
            properties=properties, associations=to_contact(contact.id, type_id)),
            error=TasksApiException)

    no_due_date = refused({"hs_task_subject": "x"})
    bad_status = refused({"hs_timestamp": DUE, "hs_task_status": "DONE"})
    bad_priority = refused({"hs_timestamp": DUE, "hs_task_priority": "URGENT"})
    bad_type = refused({"hs_timestamp": DUE, "hs_task_type": "MEETING"})
    call_association = refused({"hs_timestamp": DUE}, type_id=194)

    for status, body in (no_due_date, bad_status, bad_priority, bad_type, call_association):
        assert status == 400
        assert_hubspot_error(body, "VALIDATION_ERROR")
    assert [e["code"] for e in no_due_date[1]["errors"]] == ["REQUIRED_PROPERTY"]
    assert [e["code"] for e in bad_status[1]["errors"]] == ["INVALID_OPTION"]
    assert [e["code"] for e in bad_priority[1]["errors"]] == ["INVALID_OPTION"]
    assert [e["code"] for e in bad_type[1]["errors"]] == ["INVALID_OPTION"]
    assert hs.crm.objects.tasks.basic_api.get_page().results == []


def test_every_documented_status_priority_and_type_is_accepted(hs: HubSpot) -> None:
    contact = new_contact(hs, email="c@example.com")
    values = [("NOT_STARTED", "LOW", "EMAIL"), ("IN_PROGRESS", "MEDIUM", "CALL"),
              ("WAITING", "HIGH", "TODO"), ("COMPLETED", "NONE", "TODO"),
              ("DEFERRED", "LOW", "CALL")]

    for status, priority, kind in values:
        new_task(hs, contact.id, hs_task_status=status, hs_task_priority=priority,
                 hs_task_type=kind)

    page = hs.crm.objects.tasks.basic_api.get_page(
        limit=10, properties=["hs_task_status", "hs_task_priority", "hs_task_type"])
    assert [(t.properties["hs_task_status"], t.properties["hs_task_priority"],
             t.properties["hs_task_type"]) for t in page.results] == values


def test_a_task_is_updated_then_archived(hs: HubSpot) -> None:
    contact = new_contact(hs, email="c@example.com")
    task_id = new_task(hs, contact.id)
    api = hs.crm.objects.tasks.basic_api
    before = api.get_by_id(task_id).properties["hs_lastmodifieddate"]

    done = api.update(task_id, SimplePublicObjectInput(properties={"hs_task_status": "COMPLETED"}))
    api.archive(task_id)

    assert done.properties["hs_task_status"] == "COMPLETED"
    assert done.properties["hs_lastmodifieddate"] >= before
    status, body = refusal(api.get_by_id, task_id, error=TasksApiException)
    assert status == 404 and body["category"] == "OBJECT_NOT_FOUND"
    archived = api.get_page(archived=True).results
    assert [(t.id, t.archived) for t in archived] == [(task_id, True)]


def test_tasks_are_created_in_a_batch_read_back_and_paged(hs: HubSpot) -> None:
    contact = new_contact(hs, email="c@example.com")

    created = hs.crm.objects.tasks.batch_api.create(
        BatchInputSimplePublicObjectBatchInputForCreate(inputs=[
            SimplePublicObjectBatchInputForCreate(
                properties={"hs_timestamp": DUE, "hs_task_subject": f"Follow up {i}",
                            "hs_task_status": "NOT_STARTED"},
                associations=to_contact(contact.id))
            for i in range(3)]))
    ids = sorted((t.id for t in created.results), key=int)
    read = hs.crm.objects.tasks.batch_api.read(BatchReadInputSimplePublicObjectId(
        inputs=[SimplePublicObjectId(id=i) for i in [*ids, "999999"]],
        properties=["hs_task_subject"], properties_with_history=[]))
    first = hs.crm.objects.tasks.basic_api.get_page(limit=2)
    rest = hs.crm.objects.tasks.basic_api.get_page(limit=2, after=first.paging.next.after)

    assert created.status == "COMPLETE" and len(ids) == 3
    assert sorted(t.properties["hs_task_subject"] for t in read.results) == [
        "Follow up 0", "Follow up 1", "Follow up 2"]
    assert read.errors[0].context == {"ids": ["999999"]}
    assert [t.id for t in first.results + rest.results] == ids
    page = hs.crm.associations.v4.basic_api.get_page("contacts", contact.id, "tasks")
    assert sorted((r.to_object_id for r in page.results), key=int) == ids


def test_tasks_are_searched_by_status_text_and_associated_contact(hs: HubSpot) -> None:
    mine, other = new_contact(hs, email="m@example.com"), new_contact(hs, email="o@example.com")
    wanted = new_task(hs, mine.id, "Send the proposal")
    new_task(hs, mine.id, "Book a demo", hs_task_status="COMPLETED")
    new_task(hs, other.id, "Send the contract")
    search = hs.crm.objects.tasks.search_api.do_search

    open_for_mine = search(PublicObjectSearchRequest(filter_groups=[{"filters": [
        {"propertyName": "associations.contact", "operator": "EQ", "value": mine.id},
        {"propertyName": "hs_task_status", "operator": "NEQ", "value": "COMPLETED"}]}],
        properties=["hs_task_subject"]))
    by_text = search(PublicObjectSearchRequest(query="send", sorts=[
        {"propertyName": "hs_task_subject", "direction": "ASCENDING"}],
        properties=["hs_task_subject"]))

    assert [(r.id, r.properties["hs_task_subject"]) for r in open_for_mine.results] == [
        (wanted, "Send the proposal")]
    assert [r.properties["hs_task_subject"] for r in by_text.results] == [
        "Send the contract", "Send the proposal"]


def test_task_properties_and_their_group_are_described(hs: HubSpot) -> None:
    properties = {p.name: p for p in hs.crm.properties.core_api.get_all("tasks").results}
    groups = [g.name for g in hs.crm.properties.groups_api.get_all("tasks").results]

    assert {"hs_timestamp", "hs_task_subject", "hs_task_body", "hs_task_status",
            "hs_task_priority", "hs_task_type", "hubspot_owner_id", "hs_createdate",
            "hs_lastmodifieddate", "hs_object_id"} <= set(properties)
    assert [o.value for o in properties["hs_task_status"].options] == [
        "NOT_STARTED", "IN_PROGRESS", "WAITING", "COMPLETED", "DEFERRED"]
    assert [o.value for o in properties["hs_task_priority"].options] == [
        "LOW", "MEDIUM", "HIGH", "NONE"]
    assert [o.value for o in properties["hs_task_type"].options] == ["EMAIL", "CALL", "TODO"]
    assert properties["hs_timestamp"].type == "datetime"
    assert properties["hubspot_owner_id"].referenced_object_type == "OWNER"
    assert {p.group_name for p in properties.values()} == {"task"}
    assert groups == ["task"]
