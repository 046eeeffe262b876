"""The sync job end to end: real vendor clients over HTTPS against the sandbox orgs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from hubspot import HubSpot
from simple_salesforce import Salesforce

from leadsync.connector.config import Config
from leadsync.connector.config_file import load_config
from leadsync.connector.errors import ConfigError
from leadsync.demo import sandbox_config, sandbox_secrets
from leadsync.jobs.sync import prepare
from leadsync.sandbox.server import Sandbox
from tests.conftest import hubspot_client, salesforce_client

MAPPING = Path(__file__).parents[2] / "mappings" / "hubspot_salesforce.toml"


def write_config(sandbox: Sandbox, folder: Path, mapping: Path = MAPPING,
                 extra_sync: str = "", install: bool = True) -> Config:
    config = sandbox_config(sandbox.info, folder, mapping=mapping, state="state.db",
                            install=install)
    if not extra_sync:
        return config
    path = folder / "leadsync.toml"  # the [sync] table, with more keys in it
    path.write_text(path.read_text(encoding="utf-8").replace(
        "[sync]\n", "[sync]\n" + extra_sync, 1), encoding="utf-8")
    return load_config(path, env=sandbox_secrets(sandbox.info))


def mutations(sandbox: Sandbox) -> int:
    return sandbox.salesforce.mutations + sandbox.hubspot.mutations


def lead_by_email(sf: Salesforce, email: str) -> dict:
    rows = sf.query(f"SELECT Id, Email, LastName, Company, Title, Status, LeadSource, "
                    f"LeadSync_Id__c FROM Lead WHERE Email = '{email}'")["records"]
    assert len(rows) == 1, rows
    return rows[0]


def contact_by_email(hs: HubSpot, email: str) -> dict:
    contact = hs.crm.contacts.basic_api.get_by_id(
        email, id_property="email",
        properties=["email", "lastname", "company", "jobtitle", "hs_lead_status", "leadsync_id"])
    return contact.properties


@pytest.fixture
def orgs(make_sandbox: Callable[..., Sandbox], tmp_path: Path
         ) -> tuple[Sandbox, Config, Salesforce, HubSpot]:
    sandbox = make_sandbox()
    return sandbox, write_config(sandbox, tmp_path), salesforce_client(sandbox), \
        hubspot_client(sandbox)


def test_records_created_on_either_side_appear_on_the_other_with_mapped_fields(orgs) -> None:
    _, config, sf, hs = orgs
    hs.crm.contacts.basic_api.create(simple_public_object_input_for_create={"properties": {
        "email": "ada@analytical.example", "firstname": "Ada", "lastname": "Lovelace",
        "company": "", "jobtitle": "Countess", "lifecyclestage": "lead"}})
    sf.Lead.create({"Email": "Grace@Navy.example", "LastName": "Hopper", "Company": "Navy",
                    "Status": "Working - Contacted", "LeadSource": "Web"})

    result = prepare(config).run()

    lead = lead_by_email(sf, "ada@analytical.example")
    assert (lead["LastName"], lead["Company"], lead["Title"], lead["Status"]) == (
        "Lovelace", "[not provided]", "Countess", "Open - Not Contacted")
    assert lead["LeadSync_Id__c"]
    contact = contact_by_email(hs, "grace@navy.example")
    assert (contact["lastname"], contact["company"], contact["hs_lead_status"]) == (
        "Hopper", "Navy", "IN_PROGRESS")
    # The status Salesforce gave Ada's new lead is back in HubSpot in the same run.
    assert contact_by_email(hs, "ada@analytical.example")["hs_lead_status"] == "NEW"
    assert result.sides["salesforce"].created == 1 and result.sides["hubspot"].created == 1


def test_updates_flow_both_ways_as_the_directions_say(orgs) -> None:
    _, config, sf, hs = orgs
    created = hs.crm.contacts.basic_api.create(simple_public_object_input_for_create={
        "properties": {"email": "ada@analytical.example", "lastname": "Lovelace",
                       "company": "Analytical", "lifecyclestage": "lead"}})
    engine = prepare(config)
    engine.run()
    lead = lead_by_email(sf, "ada@analytical.example")

    hs.crm.contacts.basic_api.update(created.id, simple_public_object_input={"properties": {
        "company": "Analytical Engines", "lifecyclestage": "marketingqualifiedlead"}})
    sf.Lead.update(lead["Id"], {"Status": "Working - Contacted", "Title": "Mathematician"})
    engine.run()

    lead = lead_by_email(sf, "ada@analytical.example")
    contact = contact_by_email(hs, "ada@analytical.example")
    assert lead["Company"] == "Analytical Engines"  # both ways: HubSpot's change
    assert contact["jobtitle"] == "Mathematician"  # both ways: Salesforce's change
    assert contact["hs_lead_status"] == "IN_PROGRESS"  # to marketing only
    assert lead["Status"] == "Working - Contacted"  # lifecycle sets Status only on create


def test_a_rerun_with_nothing_changed_makes_no_write_calls(
        make_sandbox: Callable[..., Sandbox], tmp_path: Path) -> None:
    sandbox = make_sandbox(seed=60)
    engine = prepare(write_config(sandbox, tmp_path))
    first = engine.run()
    assert first.sides["salesforce"].created > 0 and first.sides["hubspot"].created > 0
    before = mutations(sandbox)
    second = engine.run()
    assert mutations(sandbox) == before
    assert all(s.created == s.updated == 0 for s in second.sides.values())


def test_links_and_cursors_survive_a_restart_of_leadsync_and_of_the_orgs(
        make_sandbox: Callable[..., Sandbox], tmp_path: Path) -> None:
    orgs_state = tmp_path / "orgs.json"
    sandbox = make_sandbox(seed=30, state=orgs_state)
    config = write_config(sandbox, tmp_path)
    prepare(config).run()
    prepare(config).run()  # reads back its own writes once: they change nothing
    links = prepare(config).store.count_links("default")
    sandbox.stop()

    restarted = make_sandbox(state=orgs_state)
    config = write_config(restarted, tmp_path)  # new ports and credentials, same state file
    before = mutations(restarted)
    result = prepare(config).run()
    assert mutations(restarted) == before
    assert result.sides["salesforce"].read == 0 and result.sides["hubspot"].read == 0
    assert prepare(config).store.count_links("default") == links > 0


def test_the_connection_named_in_sync_settings_keys_the_state_it_keeps(
        make_sandbox: Callable[..., Sandbox], tmp_path: Path) -> None:
    sandbox = make_sandbox(seed=10)
    config = write_config(sandbox, tmp_path, extra_sync='connection = "acme-eu"\n')
    assert config.sync.connection == "acme-eu"
    engine = prepare(config)
    assert engine.connection == "acme-eu"
    engine.run()
    assert engine.store.count_links("acme-eu") > 0
    assert engine.store.cursor("acme-eu", "hubspot") is not None
    assert engine.store.count_links("default") == 0
    assert engine.store.cursor("default", "hubspot") is None


def test_a_bad_mapping_file_stops_before_any_call(orgs, tmp_path: Path) -> None:
    sandbox, config, _, _ = orgs
    bad = tmp_path / "bad.toml"
    bad.write_text(MAPPING.read_text().replace('direction = "both"', 'direction = "sideways"', 1))
    config = write_config(sandbox, tmp_path, mapping=bad, install=False)
    used = sandbox.salesforce.usage.used
    hubspot_remaining = sandbox.hubspot.limits.headers()["X-HubSpot-RateLimit-Daily-Remaining"]
    with pytest.raises(ConfigError, match=r"bad\.toml:\d+: direction 'sideways'"):
        prepare(config)
    assert sandbox.salesforce.usage.used == used
    assert sandbox.hubspot.limits.headers()["X-HubSpot-RateLimit-Daily-Remaining"] == \
        hubspot_remaining


def test_a_mapping_naming_an_unknown_field_stops_before_any_write(orgs, tmp_path: Path) -> None:
    sandbox, config, _, _ = orgs
    bad = tmp_path / "bad.toml"
    bad.write_text(MAPPING.read_text().replace('crm = "Title"', 'crm = "Titel"'))
    config = write_config(sandbox, tmp_path, mapping=bad, install=False)
    with pytest.raises(ConfigError, match=r"crm field 'Titel' does not exist \(did you mean "
                                          r"'Title'\?\)"):
        prepare(config)


def test_a_refused_record_is_parked_and_the_others_go_through(orgs) -> None:
    _, config, _, hs = orgs
    for i in range(3):
        hs.crm.contacts.basic_api.create(simple_public_object_input_for_create={"properties": {
            "email": f"p{i}@example.com", "lastname": f"P{i}", "company": "C"}})
    hs.crm.contacts.basic_api.create(simple_public_object_input_for_create={"properties": {
        "email": "long@example.com", "lastname": "L" * 81, "company": "C"}})
    engine = prepare(config)
    result = engine.run()
    assert result.sides["salesforce"].created == 3 and result.sides["salesforce"].failed == 1
    [parked] = engine.store.parked("default")
    assert (parked.system, parked.code, parked.fields) == (
        "salesforce", "STRING_TOO_LONG", ("LastName",))


def test_the_sync_keeps_its_state_in_postgresql_when_configured(
        make_sandbox: Callable[..., Sandbox], tmp_path: Path, postgres_url: str) -> None:
    sandbox = make_sandbox(seed=30)
    config = write_config(sandbox, tmp_path)
    config = config.model_copy(update={"state": config.state.model_copy(
        update={"url": postgres_url})})
    first = prepare(config).run()
    assert first.sides["salesforce"].created > 0
    prepare(config).run()  # reads back its own writes
    before = mutations(sandbox)
    again = prepare(config).run()
    assert mutations(sandbox) == before
    assert again.sides["salesforce"].read == 0 and again.sides["hubspot"].read == 0
    assert prepare(config).store.engine.dialect.name == "postgresql"


def test_the_pass_right_after_a_first_sync_makes_no_write_when_salesforce_sets_the_owner(
        make_sandbox: Callable[..., Sandbox], tmp_path: Path) -> None:
    sandbox = make_sandbox(seed=60)
    portal = sandbox.hubspot  # the integration user is a HubSpot user too, as in many orgs
    portal.owners.add("LeadSync", "Integration", "integration@leadsync-sandbox.example.com",
                      portal.stamp())
    hs = hubspot_client(sandbox)
    for i in range(5):  # no owner in HubSpot: Salesforce gives each new lead one
        hs.crm.contacts.basic_api.create(simple_public_object_input_for_create={"properties": {
            "email": f"unowned{i}@example.com", "lastname": f"U{i}", "company": "C",
            "lifecyclestage": "lead"}})
    engine = prepare(write_config(sandbox, tmp_path))
    first = engine.run()
    assert first.sides["salesforce"].created > 5
    before = mutations(sandbox)
    second = engine.run()
    assert mutations(sandbox) == before
    assert all(side.created == side.updated == side.failed == 0
               for side in second.sides.values())
    owner = contact_owner(hs, "unowned0@example.com")
    assert owner == portal.owners.owners[-1]["id"]


def contact_owner(hs: HubSpot, email: str) -> str | None:
    contact = hs.crm.contacts.basic_api.get_by_id(email, id_property="email",
                                                  properties=["hubspot_owner_id"])
    return contact.properties.get("hubspot_owner_id")
