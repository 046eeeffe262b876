"""Batch read, create, update, upsert and archive of contacts, with HubSpot's 207 answers."""

from __future__ import annotations

from hubspot import HubSpot
from hubspot.crm.contacts import (
    BatchInputSimplePublicObjectBatchInput,
    BatchInputSimplePublicObjectBatchInputForCreate,
    BatchInputSimplePublicObjectBatchInputUpsert,
    BatchInputSimplePublicObjectId,
    BatchReadInputSimplePublicObjectId,
    SimplePublicObjectBatchInput,
    SimplePublicObjectBatchInputForCreate,
    SimplePublicObjectBatchInputUpsert,
    SimplePublicObjectId,
)

from tests.sandbox.hubspot_support import assert_hubspot_error, new_contact, refusal


def creates(*emails: str, traced: bool = False) -> BatchInputSimplePublicObjectBatchInputForCreate:
    return BatchInputSimplePublicObjectBatchInputForCreate(inputs=[
        SimplePublicObjectBatchInputForCreate(
            properties={"email": email}, object_write_trace_id=f"trace-{i}" if traced else None)
        for i, email in enumerate(emails)])


def upserts(*pairs: tuple[str, dict[str, str]],
            id_property: str = "email") -> BatchInputSimplePublicObjectBatchInputUpsert:
    return BatchInputSimplePublicObjectBatchInputUpsert(inputs=[
        SimplePublicObjectBatchInputUpsert(id=key, id_property=id_property, properties=props)
        for key, props in pairs])


def reads(*ids: str, id_property: str | None = None) -> BatchReadInputSimplePublicObjectId:
    return BatchReadInputSimplePublicObjectId(
        inputs=[SimplePublicObjectId(id=i) for i in ids], properties=["email"],
        properties_with_history=[], id_property=id_property)


def test_batch_create_answers_201_complete_with_every_record(hs: HubSpot) -> None:
    answer = hs.crm.contacts.batch_api.create(creates("a@example.com", "b@example.com"))

    assert answer.status == "COMPLETE"
    assert sorted(r.properties["email"] for r in answer.results) == ["a@example.com",
                                                                     "b@example.com"]
    assert answer.started_at <= answer.completed_at


def test_batch_create_is_all_or_nothing_without_trace_ids(hs: HubSpot) -> None:
    status, body = refusal(hs.crm.contacts.batch_api.create,
                           creates("fine@example.com", "broken-email"))

    assert status == 400
    assert_hubspot_error(body, "VALIDATION_ERROR")
    assert hs.crm.contacts.basic_api.get_page().results == []


def test_batch_create_with_unique_trace_ids_answers_207_for_partial_failure(hs: HubSpot) -> None:
    existing = new_contact(hs, email="taken@example.com")

    answer = hs.crm.contacts.batch_api.create(
        creates("fine@example.com", "broken-email", "taken@example.com", traced=True))

    assert [r.properties["email"] for r in answer.results] == ["fine@example.com"]
    assert answer.results[0].object_write_trace_id == "trace-0"
    assert answer.num_errors == 2
    by_trace = {e.context["objectWriteTraceId"][0]: e for e in answer.errors}
    assert by_trace["trace-1"].category == "VALIDATION_ERROR"
    assert by_trace["trace-2"].category == "CONFLICT"
    assert existing.id in by_trace["trace-2"].message


def test_batch_of_101_inputs_is_refused_with_400(hs: HubSpot) -> None:
    emails = [f"n{i}@example.com" for i in range(101)]

    for call, payload in ((hs.crm.contacts.batch_api.create, creates(*emails)),
                          (hs.crm.contacts.batch_api.upsert,
                           upserts(*((e, {}) for e in emails))),
                          (hs.crm.contacts.batch_api.read, reads(*map(str, range(101))))):
        status, body = refusal(call, payload)
        assert status == 400
        assert_hubspot_error(body, "VALIDATION_ERROR")
    assert hs.crm.contacts.basic_api.get_page().results == []


def test_batch_read_answers_207_with_object_not_found_for_missing_ids(hs: HubSpot) -> None:
    known = new_contact(hs, email="known@example.com")

    answer = hs.crm.contacts.batch_api.read(reads(known.id, "424242"))

    assert [r.id for r in answer.results] == [known.id]
    assert answer.num_errors == 1
    error = answer.errors[0]
    assert error.status == "error" and error.category == "OBJECT_NOT_FOUND"
    assert error.context == {"ids": ["424242"]}


def test_batch_read_by_email_id_property_answers_200_when_all_found(hs: HubSpot) -> None:
    known = new_contact(hs, email="known@example.com")

    answer = hs.crm.contacts.batch_api.read(reads("KNOWN@example.com", id_property="email"))

    assert answer.status == "COMPLETE" and [r.id for r in answer.results] == [known.id]
    assert getattr(answer, "errors", None) is None


def test_batch_update_changes_found_records_and_reports_missing_ones(hs: HubSpot) -> None:
    known = new_contact(hs, email="known@example.com")
    payload = BatchInputSimplePublicObjectBatchInput(inputs=[
        SimplePublicObjectBatchInput(id=known.id, properties={"company": "Acme"}),
        SimplePublicObjectBatchInput(id="777777", properties={"company": "Nowhere"})])

    answer = hs.crm.contacts.batch_api.update(payload)

    assert [r.properties["company"] for r in answer.results] == ["Acme"]
    assert answer.errors[0].category == "OBJECT_NOT_FOUND"
    assert answer.errors[0].context == {"ids": ["777777"]}


def test_batch_update_with_an_invalid_value_changes_nothing(hs: HubSpot) -> None:
    known = new_contact(hs, email="known@example.com")
    payload = BatchInputSimplePublicObjectBatchInput(inputs=[
        SimplePublicObjectBatchInput(id=known.id, properties={"company": "Acme"}),
        SimplePublicObjectBatchInput(id=known.id + "0", properties={"lifecyclestage": "MQL"})])

    status, _ = refusal(hs.crm.contacts.batch_api.update, payload)

    assert status == 400
    assert hs.crm.contacts.basic_api.get_by_id(
        known.id, properties=["company"]).properties["company"] is None


def test_batch_upsert_by_email_creates_or_updates_and_marks_new(hs: HubSpot) -> None:
    known = new_contact(hs, email="known@example.com")

    answer = hs.crm.contacts.batch_api.upsert(upserts(
        ("Known@Example.com", {"firstname": "Kay"}), ("fresh@example.com", {"firstname": "Fay"})))

    by_email = {r.properties["email"]: r for r in answer.results}
    assert by_email["known@example.com"].id == known.id
    assert by_email["known@example.com"].new is False
    assert by_email["fresh@example.com"].new is True
    assert by_email["known@example.com"].properties["firstname"] == "Kay"


def test_batch_upsert_twice_changes_nothing_the_second_time(hs: HubSpot) -> None:
    payload = upserts(("same@example.com", {"firstname": "Sam"}))
    first = hs.crm.contacts.batch_api.upsert(payload).results[0]

    second = hs.crm.contacts.batch_api.upsert(payload).results[0]

    assert second.id == first.id and second.new is False
    assert second.updated_at == first.updated_at


def test_batch_upsert_reports_invalid_inputs_in_a_207(hs: HubSpot) -> None:
    answer = hs.crm.contacts.batch_api.upsert(upserts(
        ("good@example.com", {"lifecyclestage": "lead"}),
        ("bad@example.com", {"lifecyclestage": "hot"}),
        ("worse@example.com", {"no_such_property": "x"})))

    assert [r.properties["email"] for r in answer.results] == ["good@example.com"]
    assert answer.num_errors == 2
    assert {e.context["ids"][0] for e in answer.errors} == {"bad@example.com",
                                                             "worse@example.com"}
    assert all(e.category == "VALIDATION_ERROR" for e in answer.errors)
    assert any("PROPERTY_DOESNT_EXIST" in e.message for e in answer.errors)


def test_batch_upsert_needs_a_unique_id_property_and_distinct_ids(hs: HubSpot) -> None:
    not_unique = refusal(hs.crm.contacts.batch_api.upsert,
                         upserts(("Ada", {}), id_property="firstname"))
    repeated = refusal(hs.crm.contacts.batch_api.upsert,
                       upserts(("a@example.com", {}), ("a@example.com", {})))

    assert not_unique[0] == 400 and "unique" in not_unique[1]["message"]
    assert repeated[0] == 400 and "Duplicate IDs" in repeated[1]["message"]


def test_batch_archive_archives_every_listed_contact(hs: HubSpot) -> None:
    ids = [new_contact(hs, email=f"z{i}@example.com").id for i in range(3)]

    hs.crm.contacts.batch_api.archive(BatchInputSimplePublicObjectId(
        inputs=[SimplePublicObjectId(id=i) for i in [*ids[:2], "999999"]]))

    assert [c.id for c in hs.crm.contacts.basic_api.get_page().results] == ids[2:]
    assert len(hs.crm.contacts.basic_api.get_page(archived=True).results) == 2
