"""The portal's whole state survives a restart through the state file, and dump is JSON."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from hubspot.crm.contacts import PublicMergeInput
from hubspot.crm.lists import ListCreateRequest
from hubspot.crm.objects.calls import SimplePublicObjectInputForCreate as CallInput
from hubspot.crm.objects.tasks import SimplePublicObjectInputForCreate as TaskInput
from hubspot.crm.properties import PropertyCreate, PropertyGroupCreate

from leadsync.sandbox.hubspot import HubSpotPortal
from leadsync.sandbox.server import Sandbox
from tests.conftest import hubspot_client
from tests.sandbox.hubspot_support import new_contact


def test_a_restarted_sandbox_has_everything_the_first_one_had(
        make_sandbox: Callable[..., Sandbox], tmp_path: Path) -> None:
    state = tmp_path / "s.json"
    first = make_sandbox(state=state, seed=40)
    hs = hubspot_client(first)
    hs.crm.properties.groups_api.create("contacts", PropertyGroupCreate(name="ls", label="LS"))
    hs.crm.properties.core_api.create("contacts", PropertyCreate(
        name="ls_key", label="Key", type="string", field_type="text", group_name="ls",
        has_unique_value=True))
    kept = new_contact(hs, email="kept@example.com", ls_key="k-1")
    dup = new_contact(hs, email="dup@example.com")
    hs.crm.contacts.basic_api.merge(PublicMergeInput(primary_object_id=kept.id,
                                                     object_id_to_merge=dup.id))
    call = hs.crm.objects.calls.basic_api.create(CallInput(
        properties={"hs_timestamp": "1705314600000"},
        associations=[{"to": {"id": kept.id}, "types": [
            {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 194}]}]))
    list_id = hs.crm.lists.lists_api.create(ListCreateRequest(
        object_type_id="0-1", processing_type="MANUAL", name="Recycled")).list.list_id
    hs.crm.lists.memberships_api.add(list_id, [kept.id])
    before = first.hubspot.dump()
    first.stop()

    second = make_sandbox(state=state)
    hs = hubspot_client(second)

    assert second.hubspot.dump() == before
    again = hs.crm.contacts.basic_api.get_by_id("k-1", id_property="ls_key",
                                                associations=["calls"])
    assert again.id == kept.id
    assert again.associations["calls"].results[0].id == call.id
    assert hs.crm.contacts.basic_api.get_by_id(dup.id).id == kept.id
    assert [m.record_id for m in hs.crm.lists.memberships_api.get_page(list_id).results] == [
        kept.id]
    assert len(hs.crm.owners.owners_api.get_page().results) == 3
    assert int(new_contact(hs, email="new@example.com").id) > int(call.id)


def test_dump_is_json_and_restore_reproduces_it_in_a_fresh_portal(
        make_sandbox: Callable[..., Sandbox]) -> None:
    sandbox = make_sandbox(seed=30)
    data = json.loads(json.dumps(sandbox.hubspot.dump()))

    fresh = HubSpotPortal(access_token="pat-other")
    fresh.restore(data)

    assert fresh.dump() == data
    before = fresh.mutations
    fresh.seed([], [])
    assert fresh.mutations > before


def test_a_state_saved_before_tasks_existed_restores_with_tasks(
        make_sandbox: Callable[..., Sandbox], tmp_path: Path) -> None:
    state = tmp_path / "s.json"
    first = make_sandbox(state=state, seed=10)
    first.stop()
    data = json.loads(state.read_text())
    hubspot = data["hubspot"]
    for part in (hubspot["catalog"]["properties"], hubspot["catalog"]["groups"],
                 hubspot["store"]["records"]):
        del part["tasks"]
    state.write_text(json.dumps(data))

    hs = hubspot_client(make_sandbox(state=state))
    contact = hs.crm.contacts.basic_api.get_page(limit=1).results[0]
    task = hs.crm.objects.tasks.basic_api.create(TaskInput(
        properties={"hs_timestamp": "1705314600000", "hs_task_status": "NOT_STARTED"},
        associations=[{"to": {"id": contact.id}, "types": [
            {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 204}]}]))

    assert task.properties["hs_task_status"] == "NOT_STARTED"
    assert [g.name for g in hs.crm.properties.groups_api.get_all("tasks").results] == ["task"]
