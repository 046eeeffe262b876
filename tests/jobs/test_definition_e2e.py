"""The shared lead definition end to end, on the sandbox orgs through the real clients."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from hubspot import HubSpot
from simple_salesforce import Salesforce

from leadsync.connector.definition_file import load_definition
from leadsync.connector.errors import ConfigError
from leadsync.demo import DEMO_SLA, sandbox_config
from leadsync.jobs.definition import diff
from leadsync.jobs.sync import adopt, prepare, run_sync
from leadsync.sandbox.server import Sandbox
from tests.conftest import hubspot_client, salesforce_client

ROOT = Path(__file__).parents[2]
EXAMPLE = ROOT / "definitions" / "example.toml"
STAMPS = ["leadsync_qualified", "leadsync_grade", "leadsync_reason",
          "leadsync_definition_version", "leadsync_qualified_at", "leadsync_flag", "email"]

HOT = {"email": "ada@analytical.example", "firstname": "Ada", "lastname": "Lovelace",
       "jobtitle": "VP of Engineering", "company": "Analytical Engines", "country": "GB",
       "numemployees": "100-500", "industry": "Technology", "lead_source": "Demo Request"}
NOT_QUALIFIED = {"email": "bob@gmail.com", "lastname": "Jones", "company": "Bob's Garage",
                 "jobtitle": "Student", "country": "US", "lead_source": "Web"}


def create_contact(hs: HubSpot, properties: dict[str, str]) -> str:
    created = hs.crm.contacts.basic_api.create(
        simple_public_object_input_for_create={"properties": properties})
    return str(created.id)


def contact(hs: HubSpot, email: str) -> dict[str, str]:
    return hs.crm.contacts.basic_api.get_by_id(email, id_property="email",
                                              properties=STAMPS).properties


def leads(sf: Salesforce, where: str = "") -> list[dict]:
    return sf.query_all(
        "SELECT Id, Email, OwnerId, Status, LeadSync_Qualified__c, LeadSync_Hot__c, "
        "LeadSync_Grade__c, LeadSync_Score__c, LeadSync_Reason__c, "
        "LeadSync_Definition_Version__c, LeadSync_Qualified_At__c, LeadSync_Flag__c "
        f"FROM Lead {where}")["records"]


@pytest.fixture
def orgs(make_sandbox: Callable[..., Sandbox], tmp_path: Path
         ) -> tuple[Sandbox, Path, Salesforce, HubSpot]:
    sandbox = make_sandbox()
    sandbox_config(sandbox.info, tmp_path, definition=EXAMPLE)  # installed, as an admin would
    return sandbox, tmp_path, salesforce_client(sandbox), hubspot_client(sandbox)


def test_only_qualified_leads_reach_salesforce_and_the_verdict_is_on_both_sides(orgs) -> None:
    sandbox, folder, sf, hs = orgs
    create_contact(hs, HOT)
    create_contact(hs, NOT_QUALIFIED)

    result = run_sync(sandbox_config(sandbox.info, folder, definition=EXAMPLE))

    [lead] = leads(sf)
    assert lead["Email"] == "ada@analytical.example"
    assert lead["LeadSync_Qualified__c"] is True and lead["LeadSync_Hot__c"] is True
    assert lead["LeadSync_Grade__c"] == "A"
    assert lead["LeadSync_Reason__c"].startswith("Hot MQL via senior_demo_request")
    assert lead["LeadSync_Definition_Version__c"] == "2026.11-1"
    assert lead["LeadSync_Qualified_At__c"]
    hot = contact(hs, "ada@analytical.example")
    assert hot["leadsync_qualified"] == "true" and hot["leadsync_grade"] == "A"
    assert hot["leadsync_reason"] == lead["LeadSync_Reason__c"]
    kept = contact(hs, "bob@gmail.com")
    assert kept["leadsync_qualified"] == "false"
    assert kept["leadsync_reason"].startswith("Not qualified (excluded, no grade): free-mail")
    assert result.qualified == 1 and result.plan.held == 1


def test_a_lead_that_stops_qualifying_after_handoff_is_flagged_and_stays_with_its_rep(
        orgs) -> None:
    sandbox, folder, sf, hs = orgs
    contact_id = create_contact(hs, HOT)
    config = sandbox_config(sandbox.info, folder, definition=EXAMPLE)
    run_sync(config)
    [before] = leads(sf)

    hs.crm.contacts.basic_api.update(contact_id, simple_public_object_input={
        "properties": {"jobtitle": "Marketing Intern", "lead_source": "Web"}})
    run_sync(config)

    [after] = leads(sf)
    assert after["Id"] == before["Id"] and after["OwnerId"] == before["OwnerId"]
    assert after["LeadSync_Qualified__c"] is False
    assert after["LeadSync_Flag__c"].startswith("No longer qualifies since")
    assert "student or job seeker" in after["LeadSync_Flag__c"]
    assert after["LeadSync_Qualified_At__c"] == before["LeadSync_Qualified_At__c"]


def test_a_rerun_with_a_definition_writes_nothing(make_sandbox: Callable[..., Sandbox],
                                                   tmp_path: Path) -> None:
    sandbox = make_sandbox(seed=80)
    engine = prepare(sandbox_config(sandbox.info, tmp_path, definition=EXAMPLE))
    engine.run(full=adopt(engine))
    before = sandbox.salesforce.mutations + sandbox.hubspot.mutations
    second = engine.run()
    assert sandbox.salesforce.mutations + sandbox.hubspot.mutations == before
    # it read back what the first wrote, and knew it for its own writes: nothing to judge
    assert sum(s.read for s in second.sides.values()) > 0
    assert all(s.unchanged == s.read for s in second.sides.values())
    assert second.evaluated == 0
    assert all(s.created == s.updated == 0 for s in second.sides.values())


def test_diff_predicts_exactly_what_adopting_a_new_version_changes(
        make_sandbox: Callable[..., Sandbox], tmp_path: Path) -> None:
    sandbox = make_sandbox(seed=120)
    run_sync(sandbox_config(sandbox.info, tmp_path, definition=EXAMPLE))
    stricter = tmp_path / "v2.toml"
    stricter.write_text(EXAMPLE.read_text().replace('version = "2026.11-1"',
                                                    'version = "2026.12-1"')
                        .replace("mql_score = 50 ", "mql_score = 65 "))
    hs = hubspot_client(sandbox)
    before = qualified_by_email(hs)

    engine = prepare(sandbox_config(sandbox.info, tmp_path, definition=EXAMPLE))
    predicted = diff(engine, load_definition(stricter))
    assert predicted.verdict_changes > 0 and predicted.newly_qualified == 0

    config = sandbox_config(sandbox.info, tmp_path, definition=stricter)
    result = run_sync(config)
    after = qualified_by_email(hs)

    changed = {email for email in before if before[email] != after.get(email)}
    assert len(changed) == predicted.verdict_changes
    assert {c.email for c in predicted.examples} <= changed
    assert result.evaluated == predicted.leads  # adopting judged every lead again
    versions = {v for v in versions_in_hubspot(hs)}
    assert versions == {"2026.12-1"}
    history = prepare(config).store.definition_history("default")
    assert [h["version"] for h in history] == ["2026.11-1", "2026.12-1"]


def qualified_by_email(hs: HubSpot) -> dict[str, str]:
    return {c["email"]: c["leadsync_qualified"] for c in all_contacts(hs)}


def versions_in_hubspot(hs: HubSpot) -> set[str]:
    return {c["leadsync_definition_version"] for c in all_contacts(hs)}


def all_contacts(hs: HubSpot) -> list[dict[str, str]]:
    found, after = [], None
    while True:
        page = hs.crm.contacts.basic_api.get_page(limit=100, after=after, properties=STAMPS)
        found += [c.properties for c in page.results]
        if not page.paging or not page.paging.next:
            return found
        after = page.paging.next.after


def test_a_mapping_without_a_field_the_definition_uses_is_refused_before_any_write(
        orgs, tmp_path: Path) -> None:
    sandbox, folder, _, _ = orgs
    mapping = tmp_path / "mapping.toml"
    mapping.write_text((ROOT / "mappings" / "hubspot_salesforce.toml").read_text()
                       .replace('score = { marketing = "hubspotscore" }\n', ""))
    config = sandbox_config(sandbox.info, folder, mapping=mapping, definition=EXAMPLE)
    with pytest.raises(ConfigError, match=r"\[lead\] has no 'score'"):
        prepare(config)


def test_explain_diff_and_the_sync_agree_that_a_recycled_lead_waits_in_nurture(
        orgs, tmp_path: Path) -> None:
    from datetime import UTC, datetime, timedelta

    from leadsync.jobs.definition import explain_email

    sandbox, folder, sf, hs = orgs
    config = sandbox_config(sandbox.info, folder, definition=EXAMPLE,
                            extra=DEMO_SLA)  # recycles are the SLA's: its fields installed
    create_contact(hs, HOT)
    run_sync(config)
    [lead] = leads(sf)
    recycled_at = datetime.now(UTC) + timedelta(minutes=1)
    sf.Lead.update(lead["Id"], {"LeadSync_Recycled_At__c": recycled_at.isoformat()})
    later = recycled_at + timedelta(minutes=1)

    synced = run_sync(config, now=later)  # the sync: recycled, not engaged since
    assert synced.qualified == 0
    assert contact(hs, HOT["email"])["leadsync_qualified"] == "false"

    verdict, _, _ = explain_email(prepare(config), HOT["email"], later)  # explain
    assert verdict.qualified is False and not verdict.hot
    assert verdict.reason.startswith("Recycled for nurture on ")

    stricter = tmp_path / "strict.toml"  # a version under which the lead would not qualify
    competitors = 'ends_with = ["@rivalmetrics.com"'
    stricter.write_text(EXAMPLE.read_text().replace(
        competitors, competitors.replace('["', '["@analytical.example", "')))
    predicted = diff(prepare(config), load_definition(stricter), later)  # diff
    assert predicted.leads == 1
    assert predicted.verdict_changes == 0  # not qualified before either, as the sync says
