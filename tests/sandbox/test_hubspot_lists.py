"""Static contact lists: creation, lookup, search and membership changes (v3 lists API)."""

from __future__ import annotations

from hubspot import HubSpot
from hubspot.crm.contacts import BatchInputSimplePublicObjectId, SimplePublicObjectId
from hubspot.crm.lists import ApiException as ListsApiException
from hubspot.crm.lists import ListCreateRequest, ListSearchRequest, MembershipChangeRequest

from tests.sandbox.hubspot_support import assert_hubspot_error, new_contact, refusal


def manual_list(hs: HubSpot, name: str = "Recycled leads") -> str:
    created = hs.crm.lists.lists_api.create(ListCreateRequest(
        object_type_id="0-1", processing_type="MANUAL", name=name))
    return str(created.list.list_id)


def test_a_created_list_is_read_by_id_and_by_name(hs: HubSpot) -> None:
    list_id = manual_list(hs)

    by_id = hs.crm.lists.lists_api.get_by_id(list_id).list
    by_name = hs.crm.lists.lists_api.get_by_name("Recycled leads", "0-1").list

    assert by_id.list_id == by_name.list_id == list_id
    assert by_id.processing_type == "MANUAL" and by_id.object_type_id == "0-1"
    assert by_id.processing_status == "COMPLETE" and by_id.size == 0


def test_snapshot_lists_are_static_and_names_are_unique(hs: HubSpot) -> None:
    snapshot = hs.crm.lists.lists_api.create(ListCreateRequest(
        object_type_id="0-1", processing_type="SNAPSHOT", name="Webinar March"))

    status, body = refusal(hs.crm.lists.lists_api.create, ListCreateRequest(
        object_type_id="0-1", processing_type="MANUAL", name="Webinar March"),
        error=ListsApiException)

    assert snapshot.list.processing_type == "SNAPSHOT"
    assert status == 400
    assert_hubspot_error(body, "VALIDATION_ERROR")


def test_an_unknown_list_is_404(hs: HubSpot) -> None:
    status, body = refusal(hs.crm.lists.lists_api.get_by_id, "987", error=ListsApiException)

    assert status == 404
    assert_hubspot_error(body, "OBJECT_NOT_FOUND")


def test_lists_are_found_by_search(hs: HubSpot) -> None:
    manual_list(hs, "Recycled leads")
    manual_list(hs, "Nurture")

    answer = hs.crm.lists.lists_api.do_search(ListSearchRequest(query="recyc"))

    assert [x.name for x in answer.lists] == ["Recycled leads"]
    assert answer.total == 1 and answer.has_more is False
    assert answer.lists[0].additional_properties == {"hs_list_size": "0"}


def test_members_are_added_removed_and_paged(hs: HubSpot) -> None:
    list_id = manual_list(hs)
    ids = [new_contact(hs, email=f"m{i}@example.com").id for i in range(5)]
    memberships = hs.crm.lists.memberships_api

    added = memberships.add(list_id, [*ids, "555555"])
    again = memberships.add(list_id, ids[:1])
    removed = memberships.remove(list_id, ids[:2])
    first = memberships.get_page(list_id, limit=2)
    rest = memberships.get_page(list_id, after=first.paging.next.after, limit=2)

    assert added.records_ids_added == ids and added.record_ids_missing == ["555555"]
    assert again.records_ids_added == []
    assert removed.record_ids_removed == ids[:2]
    assert [m.record_id for m in first.results + rest.results] == ids[2:]
    assert first.total == 3
    assert hs.crm.lists.lists_api.get_by_id(list_id).list.size == 3


def test_add_and_remove_in_one_request(hs: HubSpot) -> None:
    list_id = manual_list(hs)
    one, two = new_contact(hs, email="1@example.com").id, new_contact(hs, email="2@example.com").id
    hs.crm.lists.memberships_api.add(list_id, [one])

    answer = hs.crm.lists.memberships_api.add_and_remove(list_id, MembershipChangeRequest(
        record_ids_to_add=[two], record_ids_to_remove=[one]))

    assert answer.records_ids_added == [two] and answer.record_ids_removed == [one]
    assert [m.record_id for m in hs.crm.lists.memberships_api.get_page(list_id).results] == [two]


def test_a_contacts_lists_are_read_from_the_record_side(hs: HubSpot) -> None:
    first, second = manual_list(hs, "A"), manual_list(hs, "B")
    contact = new_contact(hs, email="c@example.com").id
    hs.crm.lists.memberships_api.add(first, [contact])
    hs.crm.lists.memberships_api.add(second, [contact])

    answer = hs.crm.lists.memberships_api.get_lists("0-1", contact)

    assert sorted(m.list_id for m in answer.results) == sorted([first, second])
    assert answer.results[0].first_added_timestamp is not None


def test_archived_contacts_drop_out_of_lists(hs: HubSpot) -> None:
    list_id = manual_list(hs)
    contact = new_contact(hs, email="gone@example.com").id
    hs.crm.lists.memberships_api.add(list_id, [contact])

    hs.crm.contacts.batch_api.archive(BatchInputSimplePublicObjectId(
        inputs=[SimplePublicObjectId(id=contact)]))

    assert hs.crm.lists.memberships_api.get_page(list_id).results == []
