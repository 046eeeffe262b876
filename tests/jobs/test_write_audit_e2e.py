"""The sync's writes in the audit trail, on the sandbox orgs through the vendors' clients:
each confirmed write once, with before, after, the rule and the side that won; none for a dry
run; none twice and none lost when a pass dies between the call and its commit."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hubspot import HubSpot
from simple_salesforce import Salesforce

from leadsync.connector.config import Config
from leadsync.connector.state import StateStore
from leadsync.jobs.sync import prepare
from leadsync.sandbox.server import Sandbox
from tests.conftest import hubspot_client, salesforce_client
from tests.jobs.test_sync_e2e import lead_by_email, write_config

EMAIL = "ada@analytical.example"


@pytest.fixture
def synced(make_sandbox: Callable[..., Sandbox], tmp_path: Path, state_url: str
           ) -> tuple[Config, Salesforce, HubSpot, str]:
    """Ada, created in HubSpot and synced to Salesforce by a first pass (the state in SQLite,
    then in PostgreSQL)."""
    sandbox = make_sandbox()
    config = write_config(sandbox, tmp_path)
    config = config.model_copy(update={"state": config.state.model_copy(
        update={"url": state_url})})
    hs = hubspot_client(sandbox)
    contact = hs.crm.contacts.basic_api.create(simple_public_object_input_for_create={
        "properties": {"email": EMAIL, "firstname": "Ada", "lastname": "Lovelace",
                       "company": "Analytical", "jobtitle": "Countess",
                       "lifecyclestage": "lead"}})
    prepare(config).run()
    return config, salesforce_client(sandbox), hs, contact.id


def writes_of(config: Config, field: str) -> list[dict[str, Any]]:
    """Each audited write of ``field`` on Ada: the event's details and the field's entry."""
    store = StateStore(config.state.url)
    try:
        events = store.events("default", email=EMAIL)
    finally:
        store.close()
    return [{**e["details"], "event": e["event"], "change": change} for e in events
            if e["event"] in ("sync_write", "sync_create")
            for change in e["details"]["fields"] if change["field"] == field]


def test_a_value_changed_in_hubspot_is_audited_with_before_after_rule_and_winner(
        synced) -> None:
    config, sf, hs, contact_id = synced
    [created] = writes_of(config, "Title")
    lead = lead_by_email(sf, EMAIL)
    assert (created["event"], created["system"], created["record_id"]) == (
        "sync_create", "salesforce", lead["Id"])
    assert created["change"]["after"] == "Countess" and "before" not in created["change"]

    hs.crm.contacts.basic_api.update(contact_id, simple_public_object_input={
        "properties": {"jobtitle": "Enchantress of Numbers"}})
    result = prepare(config).run()

    [_, written] = writes_of(config, "Title")
    assert written["event"] == "sync_write" and written["run_id"] == result.run_id
    assert (written["system"], written["record_id"], written["from"]) == (
        "salesforce", lead["Id"], "hubspot")
    change = written["change"]
    assert (change["before"], change["after"]) == ("Countess", "Enchantress of Numbers")
    assert (change["rule"], change["winner"]) == ("two_way", "hubspot")
    assert "changed in hubspot since both agreed on 'Countess'" in change["why"]


def test_a_value_changed_in_salesforce_names_salesforce_the_winner(synced) -> None:
    config, sf, _, contact_id = synced
    lead = lead_by_email(sf, EMAIL)
    sf.Lead.update(lead["Id"], {"Company": "Analytical Engines Ltd"})
    prepare(config).run()
    [written] = [w for w in writes_of(config, "company") if w["event"] == "sync_write"]
    assert (written["system"], written["record_id"], written["from"]) == (
        "hubspot", contact_id, "salesforce")
    assert (written["change"]["before"], written["change"]["after"]) == (
        "Analytical", "Analytical Engines Ltd")
    assert written["change"]["winner"] == "salesforce"


def test_a_dry_run_records_no_write(synced) -> None:
    config, _, hs, contact_id = synced
    hs.crm.contacts.basic_api.update(contact_id, simple_public_object_input={
        "properties": {"jobtitle": "Enchantress of Numbers"}})
    before = len(writes_of(config, "Title"))
    prepare(config).run(dry_run=True)
    assert len(writes_of(config, "Title")) == before == 1


def test_a_refused_write_is_parked_not_audited(synced) -> None:
    config, _, hs, contact_id = synced
    hs.crm.contacts.basic_api.update(contact_id, simple_public_object_input={
        "properties": {"jobtitle": "T" * 200}})  # Title holds 128 characters
    result = prepare(config).run()
    assert result.sides["salesforce"].failed == 1
    assert len(writes_of(config, "Title")) == 1  # the create only
    store = StateStore(config.state.url)
    try:
        [parked] = store.dead_letters("default")
    finally:
        store.close()
    assert parked.email == EMAIL


def test_a_pass_dying_between_the_call_and_its_commit_leaves_one_event_per_write(
        synced, monkeypatch: pytest.MonkeyPatch) -> None:
    config, sf, hs, contact_id = synced
    hs.crm.contacts.basic_api.update(contact_id, simple_public_object_input={
        "properties": {"jobtitle": "Enchantress of Numbers"}})
    import leadsync.connector.commit as commit

    def dies(*args: Any, **kwargs: Any) -> list[dict[str, Any]]:
        raise RuntimeError("killed between the call and the commit")

    monkeypatch.setattr(commit, "confirmed", dies)
    with pytest.raises(RuntimeError):
        prepare(config).run()
    assert lead_by_email(sf, EMAIL)["Title"] == "Enchantress of Numbers"  # the call went out
    assert len(writes_of(config, "Title")) == 1  # the create only: nothing committed
    monkeypatch.undo()

    prepare(config).run()
    prepare(config).run()
    titles = [w for w in writes_of(config, "Title") if w["event"] == "sync_write"]
    assert [(w["change"]["before"], w["change"]["after"]) for w in titles] == [
        ("Countess", "Enchantress of Numbers")]
    assert "stopped before its commit" in titles[0]["note"]
    assert titles[0]["record_id"] == lead_by_email(sf, EMAIL)["Id"]
    assert sent_rows(config) == {}


def test_a_create_whose_commit_died_is_audited_once_by_the_next_pass(
        make_sandbox: Callable[..., Sandbox], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    sandbox = make_sandbox()
    config = write_config(sandbox, tmp_path)
    salesforce_client(sandbox).Lead.create({"Email": "grace@navy.example", "LastName": "Hopper",
                                            "Company": "Navy"})
    import leadsync.connector.commit as commit

    def dies(*args: Any, **kwargs: Any) -> list[dict[str, Any]]:
        raise RuntimeError("killed between the call and the commit")

    monkeypatch.setattr(commit, "confirmed", dies)
    with pytest.raises(RuntimeError):
        prepare(config).run()
    assert len(sent_rows(config)) == 1  # the batch sent, its commit never made
    monkeypatch.undo()
    prepare(config).run()
    prepare(config).run()
    store = StateStore(config.state.url)
    try:
        events = [e for e in store.events("default", email="grace@navy.example")
                  if e["event"] == "sync_create"]
    finally:
        store.close()
    [created] = events
    contact = hubspot_client(sandbox).crm.contacts.basic_api.get_by_id(
        "grace@navy.example", id_property="email")
    assert (created["details"]["system"], created["details"]["record_id"]) == (
        "hubspot", contact.id)
    assert {f["field"]: f["after"] for f in created["details"]["fields"]}["lastname"] == \
        "Hopper"
    assert sent_rows(config) == {}


def sent_rows(config: Config) -> dict[str, list[dict[str, Any]]]:
    store = StateStore(config.state.url)
    try:
        return store.sent_writes("default")
    finally:
        store.close()
