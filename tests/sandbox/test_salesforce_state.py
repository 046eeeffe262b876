"""The seeded population, and the org's whole state surviving a restart through the state file."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

from simple_salesforce import Salesforce

from leadsync.sandbox.people import make_owners, make_people
from leadsync.sandbox.server import Sandbox
from tests.conftest import salesforce_client
from tests.sandbox.salesforce_support import DATETIME_PATTERN, add_field

SEED = 60


def test_seed_makes_a_user_per_owner_and_a_lead_per_salesforce_person(
        make_sandbox: Callable[..., Sandbox]) -> None:
    sf = salesforce_client(make_sandbox(seed=SEED))
    owners = make_owners(3)
    people = [p for p in make_people(SEED, len(owners)) if p.in_salesforce]

    users = sf.query_all("SELECT Username, Email, TimeZoneSidKey, IsActive FROM User")["records"]
    leads = sf.query_all("SELECT Email, Company, Owner.Email, CreatedDate FROM Lead")["records"]

    assert {u["Username"] for u in users} >= {o.email for o in owners}
    assert all(u["IsActive"] for u in users)
    assert sorted(lead["Email"] for lead in leads) == sorted(p.salesforce_email for p in people)
    assert {lead["Owner"]["Email"] for lead in leads} <= {o.email for o in owners}
    assert all(re.fullmatch(DATETIME_PATTERN, lead["CreatedDate"]) for lead in leads)


def test_seed_logs_calls_and_emails_as_tasks_on_the_leads(
        make_sandbox: Callable[..., Sandbox]) -> None:
    sf = salesforce_client(make_sandbox(seed=SEED))
    people = [p for p in make_people(SEED, 3) if p.in_salesforce]

    tasks = sf.query_all("SELECT TaskSubtype, Status, IsClosed, CompletedDateTime, Who.Type "
                         "FROM Task")["records"]

    assert len(tasks) == sum(len(p.activities) for p in people)
    assert {t["TaskSubtype"] for t in tasks} <= {"Call", "Email"}
    for task in tasks:
        assert task["IsClosed"] == (task["Status"] == "Completed")
        assert (task["CompletedDateTime"] is not None) == task["IsClosed"]
        assert task["Who"]["Type"] in ("Lead", "Contact")


def test_seed_includes_a_few_converted_leads(make_sandbox: Callable[..., Sandbox]) -> None:
    sf = salesforce_client(make_sandbox(seed=SEED))

    converted = sf.query("SELECT Status, ConvertedContactId, ConvertedContact.AccountId, "
                         "ConvertedDate FROM Lead WHERE IsConverted = true")["records"]

    assert converted
    for lead in converted:
        assert lead["Status"] == "Closed - Converted"
        assert lead["ConvertedContactId"].startswith("003")
        assert lead["ConvertedContact"]["AccountId"].startswith("001")


def test_state_survives_a_restart(make_sandbox: Callable[..., Sandbox], tmp_path: Path) -> None:
    state = tmp_path / "s.json"
    first = make_sandbox(state=state)
    sf = salesforce_client(first)
    add_field(sf, "Lead.LeadSync_Id__c", label="LeadSync Id", type="Text", length=64,
              unique=True, externalId=True)
    kept = sf.Lead.create({"LastName": "Kept", "Company": "Acme", "LeadSync_Id__c": "k-1"})["id"]
    gone = sf.Lead.create({"LastName": "Gone", "Company": "Acme"})["id"]
    sf.Lead.delete(gone)
    before = sf.Lead.get(kept)
    used = sf.api_usage["api-usage"].used
    first.stop()

    second = make_sandbox(state=state)
    again: Salesforce = salesforce_client(second)

    assert second.info["salesforce"]["session_id"] != first.info["salesforce"]["session_id"]
    assert again.Lead.get(kept) == before
    assert again.Lead.get_by_custom_id("LeadSync_Id__c", "k-1")["Id"] == kept
    assert "LeadSync_Id__c" in [f["name"] for f in again.Lead.describe()["fields"]]
    deleted = again.query_all(f"SELECT Id FROM Lead WHERE Id = '{gone}'", include_deleted=True)
    assert deleted["totalSize"] == 1
    assert again.api_usage["api-usage"].used > used
    newer = again.Lead.create({"LastName": "Newer", "Company": "Acme"})["id"]
    assert newer not in (kept, gone)
    assert again.Lead.get(newer)["SystemModstamp"] >= before["SystemModstamp"]


def test_state_file_is_plain_json_with_the_org_inside(make_sandbox: Callable[..., Sandbox],
                                                      tmp_path: Path) -> None:
    state = tmp_path / "s.json"
    sandbox = make_sandbox(state=state)
    salesforce_client(sandbox).Lead.create({"LastName": "Saved", "Company": "Acme"})
    sandbox.stop()

    saved = json.loads(state.read_text(encoding="utf-8"))["salesforce"]

    assert [r["LastName"] for r in saved["records"]["Lead"].values()] == ["Saved"]
    assert {"custom_fields", "counters", "usage"} <= set(saved)
