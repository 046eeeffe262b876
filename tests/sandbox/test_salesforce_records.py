"""One record at a time: create, read, update and delete, with a real org's checks and stamps."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import requests
from simple_salesforce import Salesforce

from leadsync.sandbox.server import Sandbox
from tests.sandbox.salesforce_support import (
    DATETIME_PATTERN,
    base_url,
    module_sandbox,
    new_lead,
    refusal,
    tag,
)

NOT_FOUND = [{"errorCode": "NOT_FOUND", "message": "The requested resource does not exist"}]


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    yield from module_sandbox()


def test_create_answers_201_with_an_18_character_lead_id(sf: Salesforce) -> None:
    answer = sf.Lead.create({"LastName": "Hopper", "Company": tag()})

    assert answer["success"] is True and answer["errors"] == []
    assert re.fullmatch(r"00Q[A-Za-z0-9]{15}", answer["id"])


@pytest.mark.parametrize(("sobject", "fields", "prefix"), [
    ("Contact", {"LastName": "Hopper"}, "003"),
    ("Account", {"Name": "Acme"}, "001"),
    ("Task", {"Subject": "Call"}, "00T"),
    ("Event", {"Subject": "Demo", "StartDateTime": "2024-01-15T10:00:00Z",
               "DurationInMinutes": 30}, "00U"),
    ("Opportunity", {"Name": "Deal", "StageName": "Prospecting", "CloseDate": "2024-03-01"},
     "006"),
])
def test_each_object_has_its_key_prefix(sf: Salesforce, sobject: str, fields: dict[str, object],
                                        prefix: str) -> None:
    assert getattr(sf, sobject).create(fields)["id"][:3] == prefix


def test_read_returns_every_described_field_with_attributes(sf: Salesforce) -> None:
    lead_id = new_lead(sf, tag(), FirstName="Grace", Email="grace@navy.example.com")

    lead = sf.Lead.get(lead_id)

    assert lead["attributes"] == {"type": "Lead",
                                  "url": f"/services/data/v59.0/sobjects/Lead/{lead_id}"}
    described = [f["name"] for f in sf.Lead.describe()["fields"]]
    assert list(lead)[1:] == described
    assert lead["Name"] == "Grace Lovelace"
    assert lead["Status"] == "Open - Not Contacted"


def test_system_fields_are_kept_on_create(sf: Salesforce) -> None:
    lead = sf.Lead.get(new_lead(sf, tag()))

    for name in ("CreatedDate", "LastModifiedDate", "SystemModstamp"):
        assert re.fullmatch(DATETIME_PATTERN, lead[name])
    assert lead["CreatedDate"] == lead["SystemModstamp"]
    assert lead["CreatedById"].startswith("005")
    assert lead["OwnerId"] == lead["CreatedById"] == lead["LastModifiedById"]
    assert lead["IsDeleted"] is False and lead["IsConverted"] is False


def test_read_accepts_the_15_character_id(sf: Salesforce) -> None:
    lead_id = new_lead(sf, tag())

    assert sf.Lead.get(lead_id[:15])["Id"] == lead_id


def test_read_can_be_limited_to_some_fields(sf: Salesforce) -> None:
    lead = sf.Lead.get(new_lead(sf, tag()), params={"fields": "lastname,Company"})

    assert list(lead) == ["attributes", "LastName", "Company"]


def test_update_answers_204_and_moves_the_modification_stamps(sf: Salesforce) -> None:
    lead_id = new_lead(sf, tag())
    before = sf.Lead.get(lead_id)

    assert sf.Lead.update(lead_id, {"Title": "Rear Admiral"}) == 204
    after = sf.Lead.get(lead_id)
    assert after["Title"] == "Rear Admiral"
    assert after["SystemModstamp"] >= before["SystemModstamp"]
    assert after["CreatedDate"] == before["CreatedDate"]


def test_system_modstamp_never_goes_backwards_across_writes(sf: Salesforce) -> None:
    company = tag()
    ids = [new_lead(sf, company) for _ in range(5)]
    for lead_id in reversed(ids):
        sf.Lead.update(lead_id, {"Title": "Touched"})
    rows = sf.query(f"SELECT Id, SystemModstamp FROM Lead WHERE Company = '{company}'")
    stamps = {row["Id"]: row["SystemModstamp"] for row in rows["records"]}

    # In the order of the updates; two updates within one millisecond may share a stamp, as
    # they may in Salesforce, so the order is not strict.
    in_update_order = [stamps[lead_id] for lead_id in reversed(ids)]
    assert in_update_order == sorted(in_update_order)


def test_empty_text_is_stored_as_null(sf: Salesforce) -> None:
    lead_id = new_lead(sf, tag(), Title="")

    assert sf.Lead.get(lead_id)["Title"] is None


def test_unknown_record_answers_404_not_found(sf: Salesforce) -> None:
    missing = new_lead(sf, tag())[:12] + "zzzAAA"

    assert refusal(sf.Lead.get, missing) == (404, NOT_FOUND)


def test_text_that_is_no_id_answers_404_about_external_id_fields(sf: Salesforce) -> None:
    status, body = refusal(sf.Lead.get, "not-an-id")

    assert status == 404
    assert body == [{"errorCode": "NOT_FOUND", "message": "Provided external ID field does "
                     "not exist or is not accessible: not-an-id"}]


def test_unknown_object_answers_404_not_found(sf: Salesforce) -> None:
    assert refusal(sf.Prospect__c.create, {"Name": "x"}) == (404, NOT_FOUND)


def test_malformed_json_answers_400_json_parser_error(sf_http: requests.Session,
                                                      sandbox: Sandbox) -> None:
    response = sf_http.post(base_url(sandbox) + "/sobjects/Lead/", data='{"LastName": ',
                            headers={"Content-Type": "application/json"}, timeout=10)

    assert response.status_code == 400
    [error] = response.json()
    assert error["errorCode"] == "JSON_PARSER_ERROR"
    assert re.search(r"at \[line:1, column:\d+\]$", error["message"])


def test_unknown_field_answers_400_invalid_field(sf: Salesforce) -> None:
    status, body = refusal(sf.Lead.create, {"LastName": "X", "Company": "Y", "Shoe_Size": 9})

    assert status == 400
    assert body == [{"message": "No such column 'Shoe_Size' on sobject of type Lead",
                     "errorCode": "INVALID_FIELD"}]


def test_field_names_are_matched_without_regard_to_case(sf: Salesforce) -> None:
    lead_id = sf.Lead.create({"lastname": "Lower", "COMPANY": tag()})["id"]

    assert sf.Lead.get(lead_id)["LastName"] == "Lower"


@pytest.mark.parametrize(("fields", "refused"), [
    ({"Name": "Grace Hopper"}, ["Name"]),
    ({"IsDeleted": True, "SystemModstamp": "2024-01-01T00:00:00Z"},
     ["IsDeleted", "SystemModstamp"]),
])
def test_writing_a_read_only_field_is_invalid_field_for_insert_update(
        sf: Salesforce, fields: dict[str, object], refused: list[str]) -> None:
    status, body = refusal(sf.Lead.create, {"LastName": "X", "Company": "Y", **fields})

    assert status == 400
    assert body[0]["errorCode"] == "INVALID_FIELD_FOR_INSERT_UPDATE"
    assert body[0]["fields"] == refused
    assert body[0]["message"].startswith(f"Unable to create/update fields: {', '.join(refused)}.")


def test_create_only_field_cannot_be_updated(sf: Salesforce) -> None:
    lead_id = new_lead(sf, tag())

    status, body = refusal(sf.Lead.update, lead_id, {"IsConverted": True})

    assert status == 400
    assert body[0]["errorCode"] == "INVALID_FIELD_FOR_INSERT_UPDATE"


def test_lead_needs_last_name_and_company(sf: Salesforce) -> None:
    status, body = refusal(sf.Lead.create, {"FirstName": "Ada"})

    assert status == 400
    assert body == [{"message": "Required fields are missing: [LastName, Company]",
                     "errorCode": "REQUIRED_FIELD_MISSING", "fields": ["LastName", "Company"]}]


def test_required_field_cannot_be_cleared_by_an_update(sf: Salesforce) -> None:
    lead_id = new_lead(sf, tag())

    status, body = refusal(sf.Lead.update, lead_id, {"Company": None})

    assert status == 400
    assert body[0]["errorCode"] == "REQUIRED_FIELD_MISSING"
    assert body[0]["fields"] == ["Company"]


def test_invalid_email_is_refused(sf: Salesforce) -> None:
    status, body = refusal(sf.Lead.create, {"LastName": "X", "Company": "Y",
                                            "Email": "not-an-email"})

    assert status == 400
    assert body == [{"message": "Email: invalid email address: not-an-email",
                     "errorCode": "INVALID_EMAIL_ADDRESS", "fields": ["Email"]}]


@pytest.mark.parametrize(("field", "label", "length"), [
    ("LastName", "Last Name", 80), ("Company", "Company", 255), ("Title", "Title", 128),
    ("Phone", "Phone", 40), ("FirstName", "First Name", 40),
])
def test_text_longer_than_its_described_length_is_string_too_long(
        sf: Salesforce, field: str, label: str, length: int) -> None:
    fine = {"LastName": "X", "Company": "Y", field: "a" * length}
    assert sf.Lead.create(fine)["success"]

    too_long = "a" * (length + 1)
    status, body = refusal(sf.Lead.create, {**fine, field: too_long})

    assert status == 400
    assert body == [{"message": f"{label}: data value too large: {too_long} "
                                f"(max length={length})",
                     "errorCode": "STRING_TOO_LONG", "fields": [field]}]


def test_email_longer_than_80_characters_is_string_too_long(sf: Salesforce) -> None:
    email = "a" * 70 + "@example.com"

    status, body = refusal(sf.Lead.create, {"LastName": "X", "Company": "Y", "Email": email})

    assert status == 400
    assert body[0]["errorCode"] == "STRING_TOO_LONG"


def test_lead_status_is_a_restricted_picklist(sf: Salesforce) -> None:
    status, body = refusal(sf.Lead.create, {"LastName": "X", "Company": "Y",
                                            "Status": "Qualified"})

    assert status == 400
    assert body == [{"message": "Status: bad value for restricted picklist field: Qualified",
                     "errorCode": "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
                     "fields": ["Status"]}]


def test_lead_status_takes_the_nurture_value(sf: Salesforce) -> None:
    lead_id = new_lead(sf, tag())
    sf.Lead.update(lead_id, {"Status": "Recycled - Nurture"})

    assert sf.Lead.get(lead_id)["Status"] == "Recycled - Nurture"


def test_lead_source_is_not_restricted(sf: Salesforce) -> None:
    lead_id = new_lead(sf, tag(), LeadSource="Podcast")

    assert sf.Lead.get(lead_id)["LeadSource"] == "Podcast"


@pytest.mark.parametrize(("sobject", "fields", "java_type", "shown"), [
    ("Lead", {"NumberOfEmployees": "many"}, "int", "many"),
    ("Lead", {"HasOptedOutOfEmail": "yes"}, "boolean", "yes"),
    ("Lead", {"AnnualRevenue": "lots"}, "double", "lots"),
    ("Task", {"ActivityDate": "15/01/2024"}, "date", "15/01/2024"),
    ("Event", {"StartDateTime": "tomorrow at ten"}, "datetime", "tomorrow at ten"),
])
def test_value_of_the_wrong_type_is_a_json_parser_error(
        sf: Salesforce, sobject: str, fields: dict[str, object], java_type: str,
        shown: str) -> None:
    base = {"Lead": {"LastName": "X", "Company": "Y"}, "Task": {}, "Event": {}}[sobject]

    status, body = refusal(getattr(sf, sobject).create, {**base, **fields})

    assert status == 400
    [error] = body
    assert error["errorCode"] == "JSON_PARSER_ERROR"
    assert error["message"].startswith(f"Cannot deserialize instance of {java_type} from "
                                       f"VALUE_STRING value {shown} or request may be missing "
                                       "a required field at [line:1, column:")


def test_numbers_and_booleans_written_as_text_are_converted(sf: Salesforce) -> None:
    lead = sf.Lead.get(new_lead(sf, tag(), NumberOfEmployees="250", HasOptedOutOfEmail="true"))

    assert lead["NumberOfEmployees"] == 250
    assert lead["HasOptedOutOfEmail"] is True


def test_number_beyond_its_digits_is_number_outside_valid_range(sf: Salesforce) -> None:
    status, body = refusal(sf.Lead.create, {"LastName": "X", "Company": "Y",
                                            "NumberOfEmployees": 1_000_000_000})

    assert status == 400
    assert body[0]["errorCode"] == "NUMBER_OUTSIDE_VALID_RANGE"
    assert body[0]["fields"] == ["NumberOfEmployees"]


def test_date_times_are_stored_in_utc_with_milliseconds(sf: Salesforce) -> None:
    event_id = sf.Event.create({"Subject": "Demo", "StartDateTime": "2024-01-15T11:30:00+01:00",
                                "DurationInMinutes": 45})["id"]

    event = sf.Event.get(event_id)
    assert event["StartDateTime"] == "2024-01-15T10:30:00.000+0000"
    assert event["EndDateTime"] == "2024-01-15T11:15:00.000+0000"
    assert event["ActivityDate"] == "2024-01-15"


def test_event_needs_a_duration_or_an_end(sf: Salesforce) -> None:
    status, body = refusal(sf.Event.create, {"Subject": "Demo",
                                             "StartDateTime": "2024-01-15T10:00:00Z"})

    assert status == 400
    assert body[0]["errorCode"] == "REQUIRED_FIELD_MISSING"
    assert body[0]["fields"] == ["DurationInMinutes"]


@pytest.mark.parametrize(("owner", "code"), [
    ("nonsense", "MALFORMED_ID"),
    ("00Q000000000000AAA", "INVALID_CROSS_REFERENCE_KEY"),
])
def test_reference_to_no_record_is_refused(sf: Salesforce, owner: str, code: str) -> None:
    status, body = refusal(sf.Lead.create, {"LastName": "X", "Company": "Y", "OwnerId": owner})

    assert status == 400
    assert body[0]["errorCode"] == code
    assert body[0]["fields"] == ["OwnerId"]


def test_reference_to_a_record_of_the_wrong_object_is_refused(sf: Salesforce) -> None:
    lead_id = new_lead(sf, tag())

    status, body = refusal(sf.Lead.create, {"LastName": "X", "Company": "Y", "OwnerId": lead_id})

    assert status == 400
    assert body[0]["errorCode"] == "FIELD_INTEGRITY_EXCEPTION"


def test_task_is_closed_when_completed_and_records_when(sf: Salesforce) -> None:
    lead_id = new_lead(sf, tag())
    task_id = sf.Task.create({"Subject": "Call", "WhoId": lead_id, "TaskSubtype": "Call",
                              "Status": "Not Started"})["id"]
    open_task = sf.Task.get(task_id)

    sf.Task.update(task_id, {"Status": "Completed"})
    done = sf.Task.get(task_id)

    assert open_task["IsClosed"] is False and open_task["CompletedDateTime"] is None
    assert done["IsClosed"] is True
    assert re.fullmatch(DATETIME_PATTERN, done["CompletedDateTime"])
    assert done["TaskSubtype"] == "Call" and done["Priority"] == "Normal"


def test_task_subtype_is_set_on_create_only(sf: Salesforce) -> None:
    task_id = sf.Task.create({"Subject": "Email", "TaskSubtype": "Email"})["id"]

    status, body = refusal(sf.Task.update, task_id, {"TaskSubtype": "Call"})

    assert status == 400
    assert body[0]["errorCode"] == "INVALID_FIELD_FOR_INSERT_UPDATE"


def test_delete_answers_204_and_the_record_is_gone(sf: Salesforce) -> None:
    lead_id = new_lead(sf, tag())

    assert sf.Lead.delete(lead_id) == 204
    assert refusal(sf.Lead.get, lead_id) == (404, NOT_FOUND)


def test_writing_a_deleted_record_answers_404_entity_is_deleted(sf: Salesforce) -> None:
    lead_id = new_lead(sf, tag())
    sf.Lead.delete(lead_id)

    status, body = refusal(sf.Lead.update, lead_id, {"Title": "Ghost"})

    assert status == 404
    assert body == [{"message": "entity is deleted", "errorCode": "ENTITY_IS_DELETED",
                     "fields": []}]
    assert refusal(sf.Lead.delete, lead_id)[0] == 404


def test_deleting_a_lead_also_deletes_its_activities(sf: Salesforce) -> None:
    lead_id = new_lead(sf, tag())
    task_id = sf.Task.create({"Subject": "Call", "WhoId": lead_id})["id"]

    sf.Lead.delete(lead_id)

    found = sf.query_all(f"SELECT Id, IsDeleted FROM Task WHERE Id = '{task_id}'",
                         include_deleted=True)["records"]
    assert [r["IsDeleted"] for r in found] == [True]


def test_get_updated_lists_the_ids_changed_in_a_window(sf: Salesforce) -> None:
    start = datetime.now(UTC) - timedelta(minutes=2)
    lead_id = new_lead(sf, tag())

    answer = sf.Lead.updated(start, datetime.now(UTC) + timedelta(minutes=2))

    assert lead_id in answer["ids"]
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:00\.000\+0000",
                        answer["latestDateCovered"])


def test_get_deleted_lists_deleted_records_with_their_deletion_time(sf: Salesforce) -> None:
    start = datetime.now(UTC) - timedelta(minutes=2)
    lead_id = new_lead(sf, tag())
    sf.Lead.delete(lead_id)

    answer = sf.Lead.deleted(start, datetime.now(UTC) + timedelta(minutes=2))

    [entry] = [d for d in answer["deletedRecords"] if d["id"] == lead_id]
    assert re.fullmatch(DATETIME_PATTERN, entry["deletedDate"])
    assert set(answer) == {"deletedRecords", "earliestDateAvailable", "latestDateCovered"}
    assert lead_id not in sf.Lead.updated(start, datetime.now(UTC))["ids"]


def test_replication_window_may_not_start_more_than_30_days_back(sf: Salesforce) -> None:
    now = datetime.now(UTC)

    status, body = refusal(sf.Lead.deleted, now - timedelta(days=31), now)

    assert status == 400
    assert body[0]["errorCode"] == "INVALID_REPLICATION_DATE"
