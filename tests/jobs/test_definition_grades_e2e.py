"""Grades on the records, end to end: a hot rule's grade, and an excluded lead's grade cleared
on both sides (LeadSync's own field), through the real clients on the sandbox orgs."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from leadsync.demo import sandbox_config
from leadsync.jobs.sync import run_sync
from leadsync.sandbox.server import Sandbox
from tests.conftest import hubspot_client, salesforce_client
from tests.connector.test_definition_grades import ANY_DEMO
from tests.jobs.test_cli import leadsync
from tests.jobs.test_definition_e2e import EXAMPLE, HOT, contact, create_contact, leads

OFFICE_MANAGER = {"email": "pat@northwind.example", "firstname": "Pat", "lastname": "Lee",
                  "jobtitle": "Office Manager", "company": "Northwind Freight",
                  "country": "US", "lead_source": "Demo Request"}


def test_an_office_managers_demo_request_under_a_hot_rule_with_a_grade_is_grade_a_on_both_sides(
        make_sandbox: Callable[..., Sandbox], tmp_path: Path) -> None:
    definition = tmp_path / "any_demo.toml"
    definition.write_text(ANY_DEMO)
    sandbox = make_sandbox()
    config = sandbox_config(sandbox.info, tmp_path, definition=definition)
    hs, sf = hubspot_client(sandbox), salesforce_client(sandbox)
    create_contact(hs, OFFICE_MANAGER)

    run_sync(config)

    # demo_request +40, manager_title +10, target_region +10 = 60: B by score, A by the rule
    [lead] = leads(sf)
    assert (lead["LeadSync_Qualified__c"], lead["LeadSync_Hot__c"]) == (True, True)
    assert lead["LeadSync_Grade__c"] == "A" and lead["LeadSync_Score__c"] == 60
    assert "(A set by senior_demo_request; score 60, B by score)" in lead["LeadSync_Reason__c"]
    marketing = contact(hs, OFFICE_MANAGER["email"])
    assert marketing["leadsync_grade"] == "A"


def test_a_graded_lead_that_becomes_excluded_has_its_grade_cleared_on_both_sides(
        make_sandbox: Callable[..., Sandbox], tmp_path: Path) -> None:
    sandbox = make_sandbox()
    config = sandbox_config(sandbox.info, tmp_path, definition=EXAMPLE)
    hs, sf = hubspot_client(sandbox), salesforce_client(sandbox)
    contact_id = create_contact(hs, HOT)
    run_sync(config)
    [before] = leads(sf)
    assert before["LeadSync_Grade__c"] == "A"
    assert contact(hs, HOT["email"])["leadsync_grade"] == "A"

    hs.crm.contacts.basic_api.update(contact_id, simple_public_object_input={
        "properties": {"jobtitle": "Marketing Intern"}})  # student_or_job_seeker: excluded
    run_sync(config)

    [after] = leads(sf)
    assert after["Id"] == before["Id"] and after["LeadSync_Qualified__c"] is False
    assert after["LeadSync_Grade__c"] is None  # cleared: no score grade on an excluded lead
    assert after["LeadSync_Reason__c"].startswith(
        "Not qualified (excluded, no grade): student or job seeker")
    marketing = contact(hs, HOT["email"])
    assert marketing["leadsync_grade"] in ("", None)
    assert marketing["leadsync_reason"] == after["LeadSync_Reason__c"]


def test_definition_explain_says_an_excluded_lead_has_no_grade(tmp_path: Path) -> None:
    record = tmp_path / "lead.json"
    record.write_text(json.dumps({"email": "ada@gmail.com", "company": "AE", "title": "VP Sales",
                                  "lead_source": "Demo Request"}))
    result = leadsync("definition", "explain", "--record", str(record), "--definition",
                      str(EXAMPLE), "--now", "2026-11-23T12:00:00Z")
    assert result.returncode == 0, result.stderr
    assert "EXCLUDED: grade none (excluded leads are not graded), score 60" in " ".join(
        result.stdout.split())
    assert "reason: Not qualified (excluded, no grade): free-mail address" in result.stdout
