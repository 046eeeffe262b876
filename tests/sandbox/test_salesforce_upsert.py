"""One record by external id: upsert's 201 and 200 answers, reads and ambiguity (300)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceMoreThanOneRecord

from leadsync.sandbox.server import Sandbox
from tests.conftest import salesforce_client
from tests.sandbox.salesforce_support import add_field, module_sandbox, refusal, tag

KEY = "LeadSync_Id__c"
LOOSE_KEY = "Legacy_Key__c"  # an external id that is not unique


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    yield from module_sandbox()


@pytest.fixture(scope="module", autouse=True)
def external_ids(sandbox: Sandbox) -> None:
    sf = salesforce_client(sandbox)
    add_field(sf, f"Lead.{KEY}", label="LeadSync Id", type="Text", length=64, unique=True,
              externalId=True)
    add_field(sf, f"Lead.{LOOSE_KEY}", label="Legacy Key", type="Text", length=64,
              externalId=True)


def test_upsert_of_a_new_key_answers_201_created(sf: Salesforce) -> None:
    key = tag()

    response = sf.Lead.upsert(f"{KEY}/{key}", {"LastName": "New", "Company": "Acme"},
                              raw_response=True)

    assert response.status_code == 201
    body = response.json()
    assert body["created"] is True and body["success"] is True and body["errors"] == []
    assert sf.Lead.get(body["id"])[KEY] == key


def test_upsert_of_a_known_key_answers_200_with_created_false(sf: Salesforce) -> None:
    key = tag()
    created = sf.Lead.upsert(f"{KEY}/{key}", {"LastName": "Old", "Company": "Acme"},
                             raw_response=True).json()

    response = sf.Lead.upsert(f"{KEY}/{key}", {"LastName": "Renamed"}, raw_response=True)

    assert response.status_code == 200
    assert response.json() == {"id": created["id"], "success": True, "errors": [],
                               "created": False}
    assert sf.Lead.get(created["id"])["LastName"] == "Renamed"


def test_upsert_matches_the_key_without_regard_to_case(sf: Salesforce) -> None:
    key = tag()
    first = sf.Lead.upsert(f"{KEY}/{key.lower()}", {"LastName": "A", "Company": "B"},
                           raw_response=True).json()

    again = sf.Lead.upsert(f"{KEY}/{key.upper()}", {"Title": "Same"}, raw_response=True).json()

    assert again["id"] == first["id"] and again["created"] is False


def test_upsert_that_would_create_still_checks_required_fields(sf: Salesforce) -> None:
    status, body = refusal(sf.Lead.upsert, f"{KEY}/{tag()}", {"LastName": "No company"})

    assert status == 400
    assert body[0]["errorCode"] == "REQUIRED_FIELD_MISSING"
    assert body[0]["fields"] == ["Company"]


def test_record_can_be_read_by_its_external_id(sf: Salesforce) -> None:
    key = tag()
    created = sf.Lead.upsert(f"{KEY}/{key}", {"LastName": "Read", "Company": "Me"},
                             raw_response=True).json()

    assert sf.Lead.get_by_custom_id(KEY, key)["Id"] == created["id"]


def test_upsert_on_a_field_that_is_no_external_id_answers_404(sf: Salesforce) -> None:
    status, body = refusal(sf.Lead.upsert, "LastName/Smith", {"Company": "X"})

    assert status == 404
    assert body == [{"errorCode": "NOT_FOUND", "message": "Provided external ID field does not "
                     "exist or is not accessible: LastName"}]


def test_key_matching_several_records_answers_300_with_their_urls(sf: Salesforce) -> None:
    key = tag()
    ids = [sf.Lead.create({"LastName": n, "Company": "Twins", LOOSE_KEY: key})["id"]
           for n in ("One", "Two")]

    with pytest.raises(SalesforceMoreThanOneRecord) as caught:
        sf.Lead.upsert(f"{LOOSE_KEY}/{key}", {"Title": "Which?"})

    assert caught.value.status == 300
    assert sorted(caught.value.content) == sorted(
        f"/services/data/v59.0/sobjects/Lead/{i}" for i in ids)
    assert all(sf.Lead.get(i)["Title"] is None for i in ids)


def test_upsert_cannot_set_a_read_only_field(sf: Salesforce) -> None:
    status, body = refusal(sf.Lead.upsert, f"{KEY}/{tag()}",
                           {"LastName": "X", "Company": "Y", "IsDeleted": True})

    assert status == 400
    assert body[0]["errorCode"] == "INVALID_FIELD_FOR_INSERT_UPDATE"
