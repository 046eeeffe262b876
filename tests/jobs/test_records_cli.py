"""``leadsync sla ghosts`` and ``leadsync audit`` as people read them, on the sandbox orgs:
names and emails beside ids, times in the rep's zone, the sync's writes in the lead's story."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from leadsync.connector.journey import Journey
from leadsync.connector.people import Directory
from leadsync.connector.routing import Rep
from leadsync.connector.state import StateStore
from leadsync.connector.store import Link, ParkedRecord
from leadsync.demo import DEFINITION, sandbox_config
from leadsync.jobs.people import leads
from leadsync.jobs.sla import run_sweep
from leadsync.jobs.sync import run_sync
from leadsync.records_view import audit_rows
from leadsync.sandbox.server import Sandbox
from tests.conftest import hubspot_client, salesforce_client
from tests.jobs.test_cli import leadsync, secrets_env
from tests.jobs.test_sla_e2e import HOT, SLA

REP_NAME = "Dana Whitfield-Okonkwo"
EMAIL = "ada.lovelace-byron@analytical-engines.example"  # 45 characters: longer than most
PACIFIC = re.compile(r"\b20\d\d-\d\d-\d\d \d\d:\d\d P[SD]T\b")  # Pacific, winter or summer


@pytest.fixture
def ghost(make_sandbox: Callable[..., Sandbox], tmp_path: Path) -> dict[str, Any]:
    """A hot lead handed to a rep in Los Angeles, untouched 3 hours later (1h deadline)."""
    sandbox = make_sandbox()
    rep = sandbox.salesforce.insert_raw("User", {
        "FirstName": "Dana", "LastName": "Whitfield-Okonkwo", "Email": "dana@sales.example",
        "Username": "dana@sales.example", "TimeZoneSidKey": "America/Los_Angeles",
        "IsActive": True})
    owner = sandbox.hubspot.owners.add("Dana", "Whitfield-Okonkwo", "dana@sales.example",
                                       sandbox.hubspot.stamp())["id"]
    config = sandbox_config(sandbox.info, tmp_path, definition=DEFINITION, extra=SLA)
    hubspot_client(sandbox).crm.contacts.basic_api.create(
        simple_public_object_input_for_create={"properties": {
            **HOT, "email": EMAIL, "hubspot_owner_id": str(owner)}})
    run_sync(config)
    later = datetime.now(UTC) + timedelta(hours=3)
    run_sweep(config, later, allow_future_writes=True)
    [lead] = salesforce_client(sandbox).query(
        f"SELECT Id, OwnerId FROM Lead WHERE Email = '{EMAIL}'")["records"]
    assert lead["OwnerId"] == rep
    env = {**secrets_env(sandbox), "COLUMNS": "100"}
    return {"sandbox": sandbox, "config": str(tmp_path / "leadsync.toml"), "env": env,
            "later": later.isoformat(), "lead": lead["Id"], "rep": rep}


def test_ghosts_name_the_rep_and_the_lead_at_100_columns_in_the_reps_zone(ghost) -> None:
    shown = leadsync("sla", "ghosts", "--config", ghost["config"], "--now", ghost["later"],
                     env=ghost["env"])
    assert shown.returncode == 0, shown.stderr
    out = shown.stdout
    assert REP_NAME in out and "dana@sales.example" in out  # the rep, in full
    assert EMAIL in out  # the lead, in full
    assert "times in America/Los_Angeles" in out and PACIFIC.search(out)
    assert ghost["rep"] in out and ghost["lead"] in out  # the ids are still there, second
    assert max(len(line) for line in out.splitlines()) <= 100


def test_ghosts_offline_show_ids_and_make_no_call(ghost) -> None:
    before = ghost["sandbox"].requests
    shown = leadsync("sla", "ghosts", "--config", ghost["config"], "--now", ghost["later"],
                     "--offline", env=ghost["env"])
    assert shown.returncode == 0, shown.stderr
    assert ghost["sandbox"].requests == before  # not even a login
    assert ghost["rep"] in shown.stdout and REP_NAME not in shown.stdout
    assert EMAIL in shown.stdout  # the state store knows the lead's email without a call


def test_ghosts_json_keep_iso_instants_and_add_the_names(ghost) -> None:
    shown = leadsync("sla", "ghosts", "--config", ghost["config"], "--now", ghost["later"],
                     "--json", env=ghost["env"])
    [row] = json.loads(shown.stdout)
    assert (row["owner"], row["owner_name"], row["owner_email"]) == (
        ghost["rep"], REP_NAME, "dana@sales.example")
    assert (row["email"], row["kind"], row["zone"]) == (EMAIL, "untouched",
                                                        "America/Los_Angeles")
    assert datetime.fromisoformat(row["first_touch_by"]).utcoffset() is not None


def test_audit_tells_the_sla_story_and_the_sync_writes_in_the_reps_zone(ghost) -> None:
    shown = leadsync("audit", "--email", EMAIL.upper(), "--config", ghost["config"],
                     env=ghost["env"])
    assert shown.returncode == 0, shown.stderr
    out = shown.stdout
    # the sync recorded the lead's journey, so its name stands beside its email
    assert f"History of Ada Lovelace <{EMAIL}>" in out
    assert f"owner: {REP_NAME} <dana@sales.example> ({ghost['rep']})" in out
    assert PACIFIC.search(out)
    for event in ("sync_create", "handoff", "breach"):
        assert event in out
    assert max(len(line) for line in out.splitlines()) <= 100

    events = json.loads(leadsync("audit", "--email", EMAIL, "--config", ghost["config"],
                                 "--json", env=ghost["env"]).stdout)
    created = next(e for e in events if e["event"] == "sync_create")
    assert created["details"]["system"] == "salesforce"
    assert created["details"]["record_id"] == ghost["lead"]
    assert created["details"]["from"] == "hubspot"
    email_field = next(f for f in created["details"]["fields"] if f["field"] == "Email")
    assert (email_field["after"], email_field["winner"]) == (EMAIL, "hubspot")
    assert "before" not in email_field  # a created record had nothing before
    assert all(e["owner_name"] == REP_NAME and e["zone"] == "America/Los_Angeles"
               for e in events)
    assert datetime.fromisoformat(created["at"]).utcoffset() == timedelta(0)


def test_audit_offline_shows_ids_and_makes_no_call(ghost) -> None:
    before = ghost["sandbox"].requests
    shown = leadsync("audit", "--email", EMAIL, "--config", ghost["config"], "--offline",
                     env=ghost["env"])
    assert shown.returncode == 0, shown.stderr
    assert ghost["sandbox"].requests == before
    assert f"owner: {ghost['rep']}" in shown.stdout and REP_NAME not in shown.stdout


def test_the_store_gives_a_leads_name_from_its_journey_and_else_its_links_email(
        tmp_path: Path) -> None:
    store = StateStore(f"sqlite:///{tmp_path / 'state.db'}")
    store.save_links("default", [Link("k1", "hs1", "00Q1", "ada@x.example"),
                                 Link("k2", "hs2", "00Q2", "bob@x.example")])
    store.put_journeys("default", [Journey("k1", email="ada@x.example", name="Ada Lovelace")])
    assert leads(store, "default", ["k1", "k2", "k3"]) == {
        "k1": ("ada@x.example", "Ada Lovelace"), "k2": ("bob@x.example", None),
        "k3": (None, None)}


def test_audit_rows_put_parked_records_among_events_in_time_order_in_the_reps_zone() -> None:
    people = Directory([Rep("005A", "dana@sales.example", REP_NAME, "America/Los_Angeles")])
    events = [{"key": "k1", "email": "ada@x.example", "event": "handoff", "policy": "hot",
               "reason": "SLA hot started", "details": {},
               "at": datetime(2026, 12, 7, 18, 0, tzinfo=UTC)}]
    parked = ParkedRecord(1, "salesforce", "k1", "hs1", "STRING_TOO_LONG", "Title: too long",
                          ("Title",), {}, 2, "parked", email="ada@x.example", target_id="00Q1",
                          first_at=datetime(2026, 12, 7, 17, 0, tzinfo=UTC),
                          last_at=datetime(2026, 12, 7, 17, 30, tzinfo=UTC))
    rows = audit_rows(events, [parked], people, "005A", "24x7", "Ada Lovelace")
    assert [(r["event"], r["at_local"]) for r in rows] == [
        ("parked", "2026-12-07 09:30 PST"), ("handoff", "2026-12-07 10:00 PST")]
    assert rows[0]["reason"] == "salesforce refused it: STRING_TOO_LONG Title: too long"
    assert rows[0]["details"]["record_id"] == "00Q1"
    assert {(r["owner_name"], r["zone"], r["name"]) for r in rows} == {
        (REP_NAME, "America/Los_Angeles", "Ada Lovelace")}
