"""Several connections in one config, end to end: two business units, each with its own
HubSpot portal and Salesforce org (two sandboxes), one state store. Each connection keeps its
own cursors, links and dead letters; `leadsync sync` goes through every connection in turn,
`--connection` picks one."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from leadsync.connector.state import StateStore
from leadsync.sandbox.server import Sandbox
from leadsync.sandbox_connections import connections_config, connections_secrets
from tests.conftest import hubspot_client, salesforce_client
from tests.jobs.test_cli import leadsync


def emails_in_hubspot(sandbox: Sandbox) -> set[str]:
    contacts = hubspot_client(sandbox).crm.contacts.get_all(properties=["email"])
    return {str(contact.properties.get("email")) for contact in contacts}


def test_sync_goes_through_every_connection_each_with_its_own_state(
        make_sandbox: Callable[..., Sandbox], tmp_path: Path) -> None:
    emea, amer = make_sandbox(), make_sandbox()
    infos = {"emea": emea.info, "amer": amer.info}
    config = connections_config(infos, tmp_path, state_url="sqlite:///state.db")
    env = {**connections_secrets(infos), "COLUMNS": "150"}
    salesforce_client(emea).Lead.create({"Email": "eu@example.com", "LastName": "Euro",
                                         "Company": "EU Co"})
    salesforce_client(amer).Lead.create({"Email": "us@example.com", "LastName": "Yank",
                                         "Company": "US Co"})
    path = str(tmp_path / "leadsync.toml")

    first = leadsync("sync", "--config", path, "--connection", "amer", env=env)
    assert first.returncode == 0, first.stderr
    assert "us@example.com" in emails_in_hubspot(amer)
    assert "eu@example.com" not in emails_in_hubspot(emea)  # not asked for

    both = leadsync("sync", "--config", path, env=env)
    assert both.returncode == 0, both.stderr
    assert "connection emea:" in both.stdout and "connection amer:" in both.stdout
    assert "eu@example.com" in emails_in_hubspot(emea)
    assert "eu@example.com" not in emails_in_hubspot(amer)  # each unit's leads stay its own
    assert "us@example.com" not in emails_in_hubspot(emea)

    store = StateStore(config.state.url)
    try:
        assert store.count_links("emea") == 1 and store.count_links("amer") == 1
        assert store.cursor("emea", "salesforce_emea") is not None
        assert store.cursor("amer", "salesforce_amer") is not None
        assert store.cursor("emea", "salesforce_amer") is None
    finally:
        store.close()

    hubspot_client(amer).crm.contacts.basic_api.create(
        simple_public_object_input_for_create={"properties": {
            "email": "bad@example.com", "lastname": "L" * 81, "company": "C"}})
    refused = leadsync("sync", "--config", path, env=env)
    assert refused.returncode == 3, refused.stderr  # amer parked one; emea is fine

    ambiguous = leadsync("errors", "list", "--config", path, "--json", env=env)
    assert ambiguous.returncode == 2
    assert "2 connections (emea, amer); name one with --connection" in ambiguous.stderr
    listed = [json.loads(leadsync("errors", "list", "--config", path, "--json",
                                  "--connection", name, env=env).stdout)["total"]
              for name in ("emea", "amer")]
    assert listed == [0, 1]


def test_config_check_and_install_cover_every_connection(
        make_sandbox: Callable[..., Sandbox], tmp_path: Path) -> None:
    emea, amer = make_sandbox(), make_sandbox()
    infos = {"emea": emea.info, "amer": amer.info}
    connections_config(infos, tmp_path, install=False)
    env = {**connections_secrets(infos), "COLUMNS": "150"}
    path = str(tmp_path / "leadsync.toml")

    checked = leadsync("config", "check", path, env=env)
    assert checked.returncode == 0, checked.stderr

    installed = leadsync("install", "--config", path, "--apply", "--json", env=env)
    assert installed.returncode == 0, installed.stderr
    result = json.loads(installed.stdout)
    assert set(result) == {"emea", "amer"}
    for sandbox in (emea, amer):  # each org got LeadSync's key field
        fields = {f["name"] for f in salesforce_client(sandbox).Lead.describe()["fields"]}
        assert "LeadSync_Id__c" in fields
