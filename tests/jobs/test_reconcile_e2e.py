"""Reconcile end to end: real vendor clients over HTTPS against the sandbox orgs.

Drift is made as a data load or a restored backup makes it: the values are changed in the
orgs' own stores, in process, without their modification times moving, so an incremental
sync never sees them.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from leadsync.connector.config import Config
from leadsync.connector.errors import LockHeld
from leadsync.connector.state import StateStore
from leadsync.demo import sandbox_secrets
from leadsync.jobs.locking import locked
from leadsync.jobs.reconcile import Reconciled, run_reconcile
from leadsync.jobs.sync import run_sync
from leadsync.sandbox.server import Sandbox
from leadsync.sandbox_connections import connections_config, connections_secrets
from tests.jobs.test_cli import leadsync, secrets_env
from tests.jobs.test_sync_e2e import write_config

Lead = dict[str, Any]


@pytest.fixture
def synced(make_sandbox: Callable[..., Sandbox], tmp_path: Path) -> tuple[Sandbox, Config]:
    """Seeded orgs synced until a pass writes nothing."""
    sandbox = make_sandbox(seed=30)
    config = write_config(sandbox, tmp_path)
    for _ in range(4):
        result = run_sync(config)
        if all(side.created == side.updated == 0 for side in result.sides.values()):
            return sandbox, config
    raise AssertionError("the sync did not settle")


def linked(sandbox: Sandbox) -> list[tuple[str, Lead, Lead]]:
    """(email, lead, contact) of the live, unconverted leads in both orgs, as stored there."""
    contacts = {str(c["properties"].get("email") or "").lower(): c
                for c in sandbox.hubspot.store.live("contacts")}
    found = []
    for lead in sorted(sandbox.salesforce.records["Lead"].values(), key=lambda r: r["Id"]):
        email = str(lead.get("Email") or "").lower()
        if lead["IsDeleted"] or lead["IsConverted"] or not lead.get("LeadSync_Id__c"):
            continue
        if email in contacts:
            found.append((email, lead, contacts[email]))
    assert len(found) >= 6
    return found


def behind_the_back(record: Lead, **values: Any) -> None:
    """Change a stored record as a data load would: no modification time moves."""
    record.get("properties", record).update(values)


def repairs(done: Reconciled) -> set[tuple[Any, ...]]:
    return {(r.email, r.marketing_id, r.crm_id, r.system, r.field, r.before, r.after, r.rule)
            for r in done.report.repairs}


def test_reconcile_repairs_what_changed_behind_the_syncs_back_and_reports_each_repair(
        synced: tuple[Sandbox, Config]) -> None:
    sandbox, config = synced
    (a, lead_a, contact_a), (b, lead_b, contact_b), (c, lead_c, contact_c) = linked(sandbox)[:3]
    title, phone = lead_a["Title"], contact_b["properties"].get("phone")
    status = contact_c["properties"]["hs_lead_status"]
    behind_the_back(lead_a, Title="Chief Drift Officer")  # two_way, edited in Salesforce
    behind_the_back(contact_b, phone="+1 555 0199")  # two_way, edited in HubSpot
    behind_the_back(contact_c, hs_lead_status="BAD_TIMING")  # always_crm: Salesforce wins

    writes = sandbox.write_requests
    run_sync(config)  # incremental: the changes are older than its cursors
    assert sandbox.write_requests == writes
    assert contact_a["properties"]["jobtitle"] == title

    dry = run_reconcile(config, dry_run=True)
    assert sandbox.write_requests == writes  # a dry run makes no write call
    expected = {
        (a, contact_a["id"], lead_a["Id"], "hubspot", "jobtitle", title, "Chief Drift Officer",
         "two_way"),
        (b, contact_b["id"], lead_b["Id"], "salesforce", "Phone", lead_b["Phone"],
         "+1 555 0199", "two_way"),
        (c, contact_c["id"], lead_c["Id"], "hubspot", "hs_lead_status", "BAD_TIMING", status,
         "always_crm"),
    }
    assert repairs(dry) == expected
    assert {r.outcome for r in dry.report.repairs} == {"would repair"}
    assert dry.sync.run_id is None

    done = run_reconcile(config)
    assert repairs(done) == expected
    assert {r.outcome for r in done.report.repairs} == {"repaired"}
    why = {r.field: r.why for r in done.report.repairs}
    assert "changed in salesforce since both agreed on" in why["jobtitle"]
    assert why["hs_lead_status"] == "salesforce's value always wins"
    assert contact_a["properties"]["jobtitle"] == "Chief Drift Officer"
    assert sandbox.salesforce.records["Lead"][lead_b["Id"]]["Phone"] == "+1 555 0199" != phone
    assert contact_c["properties"]["hs_lead_status"] == status
    store = StateStore(config.state.url)
    [run] = store.runs("default", limit=1)
    store.close()
    assert (run["job"], run["status"], run["id"]) == ("reconcile", "ok", done.sync.run_id)
    assert run["summary"]["counts"]["reconcile"] == {"leads": 3, "repaired": 3}

    writes = sandbox.write_requests
    again = run_reconcile(config)
    assert again.report.repairs == [] and sandbox.write_requests == writes
    run_sync(config)  # the repairs read back by the incremental sync are known as its own
    assert sandbox.write_requests == writes


def test_with_no_agreed_value_reconcile_fills_a_blank_and_never_writes_one(
        synced: tuple[Sandbox, Config]) -> None:
    sandbox, config = synced
    (email, lead, contact) = linked(sandbox)[3]
    title = lead["Title"]
    assert title
    behind_the_back(contact, jobtitle="")  # a restored backup of HubSpot without the title
    Path(config.state.url.removeprefix("sqlite:///")).unlink()  # a lost state store

    done = run_reconcile(config)
    assert lead["Title"] == title  # the blank did not go to Salesforce
    assert contact["properties"]["jobtitle"] == title
    [repair] = [r for r in done.report.repairs if r.email == email]
    assert (repair.system, repair.field, repair.before, repair.after) == (
        "hubspot", "jobtitle", "", title)
    assert repair.why == "no agreed value, blank in hubspot: filled from salesforce"
    assert all(r.after not in (None, "") for r in done.report.repairs)


def test_a_refused_repair_is_parked_and_the_others_are_made(
        synced: tuple[Sandbox, Config]) -> None:
    sandbox, config = synced
    (a, _, contact_a), (_, lead_b, contact_b) = linked(sandbox)[4:6]
    behind_the_back(contact_a, lastname="L" * 81)  # longer than Salesforce's LastName
    behind_the_back(lead_b, Title="Head of Drift")

    done = run_reconcile(config)
    assert done.refused == 1
    [refused] = [r for r in done.report.repairs if r.outcome == "refused"]
    assert (refused.email, refused.system, refused.field, refused.code) == (
        a, "salesforce", "LastName", "STRING_TOO_LONG")
    assert contact_b["properties"]["jobtitle"] == "Head of Drift"
    store = StateStore(config.state.url)
    [parked] = store.parked("default")
    store.close()
    assert (parked.system, parked.code, parked.email) == ("salesforce", "STRING_TOO_LONG", a)


def test_leads_it_cannot_repair_are_reported_and_nothing_is_written_for_them(
        synced: tuple[Sandbox, Config]) -> None:
    sandbox, config = synced
    org = sandbox.salesforce
    (deleted, lead_d, contact_d), (purged, lead_p, _), (shared, lead_s, _) = \
        linked(sandbox)[:3]
    org.delete("Lead", lead_d["Id"])  # in the recycle bin, not yet seen by a sync
    org._put("Lead", None, lead_p["Id"])  # emptied from the recycle bin: no trace left
    twin = org.insert_raw("Lead", {"Email": shared.upper(), "LastName": "Twin",
                                   "Company": "Loaded"})  # a data load's duplicate
    note = contact_d["properties"].get("leadsync_note")
    writes = sandbox.write_requests

    done = run_reconcile(config)
    assert sandbox.write_requests == writes  # no note, no lead made again, nothing for the twin
    assert done.report.repairs == []
    left = {(u.kind, u.system, u.email, u.ids) for u in done.report.unrepairable}
    assert left == {("gone", "salesforce", deleted, (lead_d["Id"],)),
                    ("gone", "salesforce", purged, (lead_p["Id"],)),
                    ("shared_email", "salesforce", shared, (lead_s["Id"], twin))}
    details = {u.email: u.detail for u in done.report.unrepairable}
    assert details[deleted].startswith("deleted in salesforce on ")
    assert "no longer found in salesforce" in details[purged]
    assert contact_d["properties"].get("leadsync_note") == note
    assert not org.records["Lead"][twin].get("LeadSync_Id__c")


def test_the_command_reports_in_json_and_in_tables_and_a_dry_run_writes_nothing(
        synced: tuple[Sandbox, Config], tmp_path: Path) -> None:
    sandbox, _ = synced
    (email, lead, _) = linked(sandbox)[0]
    behind_the_back(lead, Title="Chief Drift Officer")
    env = {**secrets_env(sandbox), "COLUMNS": "250"}  # a row on one line
    config = str(tmp_path / "leadsync.toml")
    writes = sandbox.write_requests

    dry = leadsync("reconcile", "--config", config, "--dry-run", "--json", env=env)
    assert dry.returncode == 0, dry.stderr
    assert sandbox.write_requests == writes
    report = json.loads(dry.stdout)
    assert report["dry_run"] is True and report["counts"] == {"leads": 1, "would_repair": 1}
    [row] = report["repairs"]
    assert (row["email"], row["field"], row["after"], row["outcome"]) == (
        email, "jobtitle", "Chief Drift Officer", "would repair")

    done = leadsync("reconcile", "--config", config, env=env)
    assert done.returncode == 0, done.stderr
    assert "Repaired 1 fields of 1 leads" in done.stdout and email in done.stdout
    assert "Chief Drift Officer" in done.stdout
    for secret in sandbox_secrets(sandbox.info).values():
        assert secret not in done.stdout + done.stderr + dry.stdout + dry.stderr


def test_reconcile_waits_for_no_sync_it_holds_the_sync_lock_and_a_dry_run_needs_none(
        synced: tuple[Sandbox, Config]) -> None:
    sandbox, config = synced
    (_, lead, contact) = linked(sandbox)[0]
    behind_the_back(lead, Title="Chief Drift Officer")
    writes = sandbox.write_requests
    with locked(config, "sync"):  # a sync is running
        with pytest.raises(LockHeld, match="sync"):
            run_reconcile(config)
        assert sandbox.write_requests == writes
        assert [r.outcome for r in run_reconcile(config, dry_run=True).report.repairs] == [
            "would repair"]
    run_reconcile(config)
    assert contact["properties"]["jobtitle"] == "Chief Drift Officer"


def test_reconcile_keeps_its_state_and_runs_in_postgresql_when_configured(
        make_sandbox: Callable[..., Sandbox], tmp_path: Path, postgres_url: str) -> None:
    sandbox = make_sandbox(seed=30)
    config = write_config(sandbox, tmp_path)
    config = config.model_copy(update={"state": config.state.model_copy(
        update={"url": postgres_url})})
    run_sync(config)
    run_sync(config)
    (_, lead, contact) = linked(sandbox)[0]
    behind_the_back(lead, Title="Chief Drift Officer")
    done = run_reconcile(config)
    assert [(r.field, r.after) for r in done.report.repairs] == [
        ("jobtitle", "Chief Drift Officer")]
    assert contact["properties"]["jobtitle"] == "Chief Drift Officer"
    store = StateStore(postgres_url)
    [run] = store.runs("default", limit=1)
    store.close()
    assert (run["job"], run["status"], run["summary"]["counts"]["reconcile"]) == (
        "reconcile", "ok", {"leads": 1, "repaired": 1})
    assert run_reconcile(config).report.repairs == []


def test_reconcile_goes_through_every_connection_each_repairing_its_own_orgs(
        make_sandbox: Callable[..., Sandbox], tmp_path: Path) -> None:
    emea, amer = make_sandbox(seed=20), make_sandbox(seed=20)
    infos = {"emea": emea.info, "amer": amer.info}
    connections_config(infos, tmp_path, state_url="sqlite:///state.db")
    env = {**connections_secrets(infos), "COLUMNS": "250"}
    path = str(tmp_path / "leadsync.toml")
    for _ in range(2):
        assert leadsync("sync", "--config", path, env=env).returncode == 0
    (email, lead, contact) = linked(amer)[0]
    behind_the_back(lead, Title="Chief Drift Officer")

    both = leadsync("reconcile", "--config", path, "--json", env=env)
    assert both.returncode == 0, both.stderr
    reports = {report["connection"]: report for report in json.loads(both.stdout)}
    assert reports["emea"]["repairs"] == []
    [row] = reports["amer"]["repairs"]
    assert (row["email"], row["system"], row["after"]) == (
        email, "hubspot_amer", "Chief Drift Officer")
    assert contact["properties"]["jobtitle"] == "Chief Drift Officer"

    one = leadsync("reconcile", "--config", path, "--connection", "emea", "--json", env=env)
    assert one.returncode == 0, one.stderr
    assert json.loads(one.stdout)["connection"] == "emea"
