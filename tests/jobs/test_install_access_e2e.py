"""``leadsync install`` and Salesforce permission sets, on the sandbox org through
simple-salesforce over HTTPS: the plan, a dry run that writes nothing, idempotent creation,
a set missing some grants, assignments, and runs cut short by faults and by SIGKILL."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from simple_salesforce import Salesforce

from leadsync.connector.errors import ConfigError
from leadsync.demo import DEFINITION, sandbox_config
from leadsync.jobs.install import run_install
from leadsync.sandbox.server import Sandbox
from tests.conftest import salesforce_client
from tests.jobs.test_cli import leadsync, secrets_env
from tests.jobs.test_sla_e2e import SLA

SETS = ("LeadSync_Fields", "LeadSync_Integration")
RANDOM_SEED = 4  # its draws put faults among the permission set writes


def grants(sf: Salesforce) -> dict[str, dict[str, tuple[bool, bool]]]:
    """Each LeadSync permission set's field permissions, field -> (read, edit)."""
    found: dict[str, dict[str, tuple[bool, bool]]] = {name: {} for name in SETS}
    rows = sf.query_all("SELECT Parent.Name, Field, PermissionsRead, PermissionsEdit FROM "
                        "FieldPermissions")["records"]
    for row in rows:
        if row["Parent"]["Name"] in found:
            found[row["Parent"]["Name"]][row["Field"]] = (row["PermissionsRead"],
                                                          row["PermissionsEdit"])
    return found


def no_duplicates(sandbox: Sandbox) -> None:
    """At most one set per name, one field permission per set and field, in the org itself."""
    org = sandbox.salesforce
    live = [r for r in org.records["PermissionSet"].values() if not r.get("IsDeleted")]
    names = Counter(r["Name"] for r in live)
    assert all(count == 1 for count in names.values()), names
    pairs = Counter((r["ParentId"], r["Field"])
                    for r in org.records["FieldPermissions"].values() if not r.get("IsDeleted"))
    assert all(count == 1 for count in pairs.values()), pairs


def config_for(sandbox: Sandbox, folder: Path) -> Any:
    return sandbox_config(sandbox.info, folder, definition=DEFINITION, extra=SLA, install=False)


def lead_fields(result: Any) -> set[str]:
    rows = result.plan.present + result.plan.create
    return {f"Lead.{n.spec.name}" for n in rows if n.side == "crm"}


def test_the_plan_shows_both_permission_sets_and_every_grant_and_a_dry_run_writes_nothing(
        make_sandbox: Callable[..., Sandbox], tmp_path: Path) -> None:
    sandbox = make_sandbox()
    result = run_install(config_for(sandbox, tmp_path))

    assert sandbox.write_requests() == 0
    shown = result.as_dict()["access"]
    assert shown["permission_sets"] == {"present": [], "create": list(SETS)}
    wanted = {(g["permission_set"], g["field"], g["access"]) for g in shown["grants"]["create"]}
    fields = lead_fields(result)
    assert {"Lead.LeadSync_Id__c", "Lead.LeadSync_SLA_Status__c",
            "Lead.LeadSync_Grade__c"} <= fields
    assert wanted == ({("LeadSync_Fields", f, "read") for f in fields}
                      | {("LeadSync_Integration", f, "read, edit") for f in fields}
                      | {("LeadSync_Integration", "Task.LeadSync_Key__c", "read, edit")})


def test_install_apply_creates_the_sets_and_grants_once_and_a_second_run_writes_nothing(
        make_sandbox: Callable[..., Sandbox], tmp_path: Path) -> None:
    sandbox = make_sandbox()
    config = config_for(sandbox, tmp_path)
    sf = salesforce_client(sandbox)

    first = run_install(config, apply=True)
    writes = sandbox.write_requests()
    second = run_install(config, apply=True)

    assert sandbox.write_requests() == writes
    assert second.access is not None and second.access.writes() == 0
    assert second.access.sets_present == list(SETS) and second.granted == {}
    found = grants(sf)
    fields = lead_fields(first)
    assert found["LeadSync_Fields"] == {f: (True, False) for f in fields}
    assert found["LeadSync_Integration"] == {**{f: (True, True) for f in fields},
                                             "Task.LeadSync_Key__c": (True, True)}
    [row] = sf.query("SELECT Label, Description FROM PermissionSet WHERE "
                     "Name = 'LeadSync_Fields'")["records"]
    assert row["Label"] == "LeadSync fields" and "reps" in row["Description"]
    no_duplicates(sandbox)


def test_a_set_missing_some_grants_gets_only_those_and_a_read_only_grant_is_reported(
        make_sandbox: Callable[..., Sandbox], tmp_path: Path) -> None:
    sandbox = make_sandbox()
    config = config_for(sandbox, tmp_path)
    run_install(config, apply=True)
    sf = salesforce_client(sandbox)
    rows = sf.query_all("SELECT Id, Field, Parent.Name FROM FieldPermissions")["records"]
    removed = [r for r in rows if r["Parent"]["Name"] == "LeadSync_Fields"
               and r["Field"] in ("Lead.LeadSync_Grade__c", "Lead.LeadSync_SLA_Status__c")]
    assert len(removed) == 2
    for row in removed:  # an admin removed two of them
        sf.FieldPermissions.delete(row["Id"])
    [edit] = [r for r in rows if r["Parent"]["Name"] == "LeadSync_Integration"
              and r["Field"] == "Lead.LeadSync_Score__c"]
    sf.FieldPermissions.update(edit["Id"], {"PermissionsEdit": False})  # and an edit right
    writes = sandbox.write_requests()

    again = run_install(config, apply=True)

    assert again.granted == {"LeadSync_Fields": ["Lead.LeadSync_Grade__c",
                                                 "Lead.LeadSync_SLA_Status__c"]}
    assert sandbox.write_requests() == writes + 1  # one collection call, nothing else
    assert again.conflicts == [
        "permission set LeadSync_Integration grants Lead.LeadSync_Score__c read only, "
        "LeadSync needs edit there; LeadSync changes no existing permission: give it Edit "
        "in Setup"]
    assert grants(sf)["LeadSync_Integration"]["Lead.LeadSync_Score__c"] == (True, False)
    no_duplicates(sandbox)


def test_assign_to_gives_reps_the_read_set_once_and_an_unknown_email_is_named(
        make_sandbox: Callable[..., Sandbox], tmp_path: Path) -> None:
    sandbox = make_sandbox(seed=20)  # its reps are users
    config = config_for(sandbox, tmp_path)
    sf = salesforce_client(sandbox)
    users = sf.query("SELECT Id, Email FROM User WHERE IsActive = true ORDER BY Id "
                     "LIMIT 2")["records"]
    rep, integration = users[0], users[1]

    with pytest.raises(ConfigError, match=r"--assign-to: no active Salesforce user has the "
                                          r"email nobody@nowhere\.example"):
        run_install(config, apply=True, assign_to=["nobody@nowhere.example"])
    assert sandbox.write_requests() == 0  # refused before any write
    result = run_install(config, apply=True, assign_to=[rep["Email"].upper()],
                         integration_users=[integration["Email"]])
    again = run_install(config, apply=True, assign_to=[rep["Email"]])

    assert result.assigned == {"LeadSync_Fields": [rep["Id"]],
                               "LeadSync_Integration": [integration["Id"]]}
    assert again.assigned == {} and again.access is not None
    assert [a.user_id for a in again.access.assigned] == [rep["Id"]]
    rows = sf.query_all("SELECT AssigneeId, PermissionSet.Name FROM "
                        "PermissionSetAssignment")["records"]
    assert sorted((r["PermissionSet"]["Name"], r["AssigneeId"]) for r in rows) == [
        ("LeadSync_Fields", rep["Id"]), ("LeadSync_Integration", integration["Id"])]


def test_install_through_throttling_dropped_and_lost_answers_finishes_without_duplicates(
        make_sandbox: Callable[..., Sandbox], tmp_path: Path) -> None:
    sandbox = make_sandbox(fault_kinds=("throttle", "unavailable", "drop", "lost"),
                           random_seed=RANDOM_SEED)
    config = config_for(sandbox, tmp_path)
    run_install(config, apply=True)
    sf = salesforce_client(sandbox)
    for row in sf.query("SELECT Id FROM PermissionSet")["records"]:
        sf.PermissionSet.delete(row["Id"])  # its grants go with it: only they are left to do
    sandbox.set_fault_rate(0.5)
    for _ in range(8):  # an install a fault stopped is run again, as an admin would
        try:
            run_install(config, apply=True)
            break
        except Exception:  # any failure: the rerun must finish the job
            continue
    sandbox.set_fault_rate(0.0)

    run_install(config, apply=True)

    drawn = sandbox.faults_drawn()  # all four kinds, among the permission set writes
    assert drawn["lost"] > 0 and drawn["throttle"] > 0 and drawn["drop"] > 0
    check = run_install(config)
    assert check.access is not None and check.access.writes() == 0
    found = grants(sf)
    assert len(found["LeadSync_Fields"]) == len(lead_fields(check))
    assert len(found["LeadSync_Integration"]) == len(lead_fields(check)) + 1
    no_duplicates(sandbox)


@pytest.mark.parametrize("after_sets", [1, 2, 3])
def test_install_killed_among_its_permission_set_writes_is_finished_by_a_rerun(
        make_sandbox: Callable[..., Sandbox], tmp_path: Path, after_sets: int) -> None:
    sandbox = make_sandbox(latency_ms=150)
    config = config_for(sandbox, tmp_path)
    planned = run_install(config)
    fields = len(planned.plan.create) + len(planned.tasks_to_create)  # one call a field
    kill_at = fields + after_sets  # 1: one set made; 2: both; 3: one set's grants too
    process = subprocess.Popen([sys.executable, "-m", "leadsync", "install", "--config",
                                str(tmp_path / "leadsync.toml"), "--apply"],
                               env={**os.environ, **secrets_env(sandbox)},
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while sandbox.write_requests() < kill_at and process.poll() is None:
        time.sleep(0.005)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL  # it did not finish on its own
    partial = grants(salesforce_client(sandbox))
    assert sum(map(len, partial.values())) < 2 * len(lead_fields(planned)) + 1

    rerun = leadsync("install", "--config", str(tmp_path / "leadsync.toml"), "--apply",
                     env=secrets_env(sandbox))

    assert rerun.returncode == 0, rerun.stderr
    done = run_install(config)
    assert done.access is not None and done.access.writes() == 0
    found = grants(salesforce_client(sandbox))
    assert len(found["LeadSync_Fields"]) == len(lead_fields(planned))
    no_duplicates(sandbox)


def test_the_install_command_shows_the_sets_then_applies_them_and_then_has_nothing_to_do(
        make_sandbox: Callable[..., Sandbox], tmp_path: Path) -> None:
    sandbox = make_sandbox(seed=20)
    config_for(sandbox, tmp_path)
    [rep] = salesforce_client(sandbox).query(
        "SELECT Id, Email FROM User WHERE IsActive = true ORDER BY Id LIMIT 1")["records"]
    command = ["install", "--config", str(tmp_path / "leadsync.toml")]

    shown = leadsync(*command, env=secrets_env(sandbox))
    applied = leadsync(*command, "--apply", "--assign-to", rep["Email"], "--json",
                       env=secrets_env(sandbox))
    again = leadsync(*command, "--apply", env=secrets_env(sandbox))

    assert shown.returncode == 0, shown.stderr
    assert "Permission sets in salesforce" in shown.stdout
    assert "permission set changes to make: run again with --apply." in shown.stdout
    assert applied.returncode == 0, applied.stderr
    result = json.loads(applied.stdout)
    assert result["access"]["permission_sets"]["create"] == list(SETS)
    assert result["assigned"] == {"LeadSync_Fields": [rep["Id"]]}
    assert {"permission_set": "LeadSync_Fields", "field": "Lead.LeadSync_SLA_Status__c",
            "access": "read"} in result["access"]["grants"]["create"]
    assert again.returncode == 0 and "Everything LeadSync needs is in place." in again.stdout
