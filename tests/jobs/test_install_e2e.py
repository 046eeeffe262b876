"""``leadsync install`` on fresh, standard orgs, and runs that write nothing unasked: ``sync``
and ``sla sweep`` create no field, and their dry runs make zero write requests of any kind
(counted by the sandbox: POST, PATCH, PUT and DELETE on both orgs)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from leadsync.connector.errors import ConfigError
from leadsync.connector.state import StateStore
from leadsync.demo import DEFINITION, sandbox_config
from leadsync.jobs.install import run_install
from leadsync.jobs.sla import run_sweep
from leadsync.jobs.sync import prepare, run_sync
from leadsync.sandbox.server import Sandbox
from tests.conftest import hubspot_client, salesforce_client
from tests.jobs.test_cli import leadsync, secrets_env
from tests.jobs.test_sla_e2e import HOT, SLA


def names(needs: list[dict[str, Any]]) -> set[tuple[str, str]]:
    return {(n["system"], n["field"]) for n in needs}


def test_install_without_apply_shows_what_it_would_create_and_writes_nothing(
        make_sandbox: Callable[..., Sandbox], tmp_path: Path) -> None:
    sandbox = make_sandbox(seed=20)
    config = sandbox_config(sandbox.info, tmp_path, install=False)

    shown = run_install(config).as_dict()

    assert sandbox.write_requests() == 0
    assert names(shown["create"]) == {("salesforce", "LeadSync_Id__c"),
                                      ("hubspot", "leadsync_id"), ("hubspot", "lead_source"),
                                      ("salesforce", "LeadSync_Note__c"),  # on_delete = flag
                                      ("hubspot", "leadsync_note")}
    assert shown["present"] == []  # a standard org and portal: nothing of LeadSync's
    assert shown["conflicts"] == []


def test_install_apply_creates_what_is_missing_once(make_sandbox: Callable[..., Sandbox],
                                                     tmp_path: Path) -> None:
    sandbox = make_sandbox(seed=20)
    config = sandbox_config(sandbox.info, tmp_path, install=False)

    first = run_install(config, apply=True)
    writes = sandbox.write_requests()
    second = run_install(config, apply=True)

    assert first.created == {"salesforce": ["LeadSync_Id__c", "LeadSync_Note__c"],
                             "hubspot": ["leadsync_id", "leadsync_note", "lead_source"]}
    assert second.created == {} and second.plan.create == []
    assert sandbox.write_requests() == writes  # the second run wrote nothing
    lead_source = hubspot_client(sandbox).crm.properties.core_api.get_by_name(
        "contacts", "lead_source")
    assert lead_source.type == "string"  # Salesforce's open picklist: any value


def test_verdict_and_sla_fields_are_needed_only_with_their_features(
        make_sandbox: Callable[..., Sandbox], tmp_path: Path) -> None:
    sandbox = make_sandbox()
    plain = run_install(sandbox_config(sandbox.info, tmp_path, install=False)).as_dict()
    judged = run_install(sandbox_config(sandbox.info, tmp_path, definition=DEFINITION,
                                        install=False)).as_dict()
    swept = run_install(sandbox_config(sandbox.info, tmp_path, definition=DEFINITION,
                                       extra=SLA, install=False)).as_dict()

    assert not any("Qualified" in field for _, field in names(plain["create"]))
    assert ("salesforce", "LeadSync_Qualified__c") in names(judged["create"])
    assert not any("SLA" in field for _, field in names(judged["create"]))
    assert ("salesforce", "LeadSync_SLA_Policy__c") in names(swept["create"])


def test_the_key_each_sla_task_carries_is_installed_with_sla_and_a_sweep_without_it_stops(
        make_sandbox: Callable[..., Sandbox], tmp_path: Path) -> None:
    sandbox = make_sandbox()
    plain = run_install(sandbox_config(sandbox.info, tmp_path, install=False))
    assert plain.tasks_to_create == [] and plain.task_fields == []  # no SLA: no task field
    config = sandbox_config(sandbox.info, tmp_path, definition=DEFINITION, extra=SLA,
                            install=False)
    shown = run_install(config)
    assert [spec.name for spec in shown.tasks_to_create] == ["LeadSync_Key__c"]
    run_install(config, apply=False)
    assert sandbox.write_requests() == 0

    applied = run_install(config, apply=True)
    assert "LeadSync_Key__c" in applied.created["salesforce"]
    again = run_install(config)
    assert again.tasks_to_create == [] and again.task_fields == ["LeadSync_Key__c"]
    run_sweep(config, datetime.now(UTC))  # installed: the sweep runs

    sf = salesforce_client(sandbox)  # an admin deletes the task field
    [row] = sf.toolingexecute("query/?q=SELECT+Id+FROM+CustomField+WHERE+DeveloperName+"
                              "%3D+%27LeadSync_Key%27")["records"]
    sf.toolingexecute(f"sobjects/CustomField/{row['Id']}", method="DELETE")
    writes = sandbox.write_requests()
    with pytest.raises(ConfigError, match=r"LeadSync_Key__c.*leadsync install --apply"):
        run_sweep(config, datetime.now(UTC))
    assert sandbox.write_requests() == writes  # the sweep created nothing itself


def test_a_field_of_that_name_that_does_not_fit_is_a_conflict_and_is_left_alone(
        make_sandbox: Callable[..., Sandbox], tmp_path: Path) -> None:
    sandbox = make_sandbox()
    hs = hubspot_client(sandbox)
    hs.crm.properties.core_api.create("contacts", property_create={
        "name": "leadsync_id", "label": "Someone else's id", "type": "string",
        "fieldType": "text", "groupName": "contactinformation"})
    config = sandbox_config(sandbox.info, tmp_path, install=False)

    result = run_install(config, apply=True)

    [conflict] = result.plan.conflicts
    assert conflict.startswith("hubspot field leadsync_id (LeadSync's key): is not unique")
    assert "leadsync_id" not in result.created.get("hubspot", [])
    kept = hs.crm.properties.core_api.get_by_name("contacts", "leadsync_id")
    assert kept.label == "Someone else's id" and not kept.has_unique_value


def test_sync_on_orgs_not_installed_names_the_missing_fields_and_writes_nothing(
        make_sandbox: Callable[..., Sandbox], tmp_path: Path) -> None:
    sandbox = make_sandbox(seed=20)
    config = sandbox_config(sandbox.info, tmp_path, definition=DEFINITION, install=False)

    with pytest.raises(ConfigError) as caught:
        prepare(config)

    message = str(caught.value)
    assert "salesforce: LeadSync_Id__c (LeadSync's key)" in message
    assert "hubspot: leadsync_qualified (lead definition verdict)" in message
    assert f"leadsync install --config {tmp_path / 'leadsync.toml'} --apply" in message
    assert sandbox.write_requests() == 0


def test_sync_dry_run_on_fresh_orgs_makes_zero_write_calls(
        make_sandbox: Callable[..., Sandbox], tmp_path: Path) -> None:
    sandbox = make_sandbox(seed=30)
    state = sandbox_config(sandbox.info, tmp_path, definition=DEFINITION, install=False).state
    config, env = str(tmp_path / "leadsync.toml"), secrets_env(sandbox)

    refused = leadsync("sync", "--config", config, "--dry-run", env=env)
    assert refused.returncode == 2 and "leadsync install" in refused.stderr
    assert sandbox.write_requests() == 0

    assert leadsync("install", "--config", config, env=env).returncode == 0  # shows only
    assert sandbox.write_requests() == 0
    assert leadsync("install", "--config", config, "--apply", env=env).returncode == 0
    installed = sandbox.write_requests()
    planned = leadsync("sync", "--config", config, "--dry-run", env=env)
    assert planned.returncode == 0, planned.stderr
    assert sandbox.write_requests() == installed
    assert "salesforce" in planned.stdout  # the plan is printed
    store = StateStore(state.url)
    assert store.count_links("default") == 0 and store.cursor("default", "hubspot") is None
    assert store.definition_history("default") == []  # nothing adopted, nothing recorded


def test_sweep_dry_run_and_a_future_now_plan_without_writing(
        make_sandbox: Callable[..., Sandbox], tmp_path: Path) -> None:
    sandbox = make_sandbox()
    config = sandbox_config(sandbox.info, tmp_path, definition=DEFINITION, extra=SLA)
    hubspot_client(sandbox).crm.contacts.basic_api.create(
        simple_public_object_input_for_create={"properties": HOT})
    run_sync(config)
    before = sandbox.write_requests()
    later = datetime.now(UTC) + timedelta(hours=3)

    dry = run_sweep(config, datetime.now(UTC), dry_run=True)
    what_if = run_sweep(config, later)  # later than the clock, and not told to write
    assert sandbox.write_requests() == before
    assert StateStore(config.state.url).clocks("default") == {}  # no state written either
    assert dry.started == 1 and what_if.started == 1 and what_if.breaches == 1

    env = secrets_env(sandbox)
    shown = leadsync("sla", "sweep", "--config", str(tmp_path / "leadsync.toml"), "--now",
                     later.isoformat(), "--json", env=env)
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["dry_run"] is True and "planning only" in shown.stderr
    assert sandbox.write_requests() == before

    written = run_sweep(config, later, allow_future_writes=True)
    assert written.breaches == 1 and sandbox.write_requests() > before


def test_config_check_live_finds_fields_to_install_status_values_and_users(
        make_sandbox: Callable[..., Sandbox], tmp_path: Path) -> None:
    sandbox = make_sandbox(seed=20)
    bad_sla = SLA.replace("[sla]\n", '[sla]\nnurture_status = "Gone Fishing"\n'
                                     'escalate_to = "nobody@sales.example"\n')
    sandbox_config(sandbox.info, tmp_path, definition=DEFINITION, extra=bad_sla, install=False)
    config, env = str(tmp_path / "leadsync.toml"), secrets_env(sandbox)

    fresh = leadsync("config", "check", config, "--live", env=env)
    assert fresh.returncode == 1
    assert "salesforce has no field LeadSync_Id__c (LeadSync's key): run leadsync install" \
        in fresh.stderr
    assert leadsync("config", "check", config, env=env).returncode == 0  # offline: valid

    assert leadsync("install", "--config", config, "--apply", env=env).returncode == 0
    installed = sandbox.write_requests()
    checked = leadsync("config", "check", config, "--live", env=env)
    assert checked.returncode == 1
    assert "sla.nurture_status: 'Gone Fishing' is not a value of Status" in checked.stderr
    assert "sla.escalate_to: 'nobody@sales.example' is not an active user of salesforce" \
        in checked.stderr
    assert "has no field" not in checked.stderr

    sandbox_config(sandbox.info, tmp_path, definition=DEFINITION, extra=SLA)
    assert leadsync("config", "check", config, "--live", env=env).returncode == 0
    assert sandbox.write_requests() == installed  # read calls only


def test_config_check_warns_of_a_secret_in_the_file_naming_the_variable_to_use(
        make_sandbox: Callable[..., Sandbox], tmp_path: Path) -> None:
    sandbox = make_sandbox()
    sandbox_config(sandbox.info, tmp_path, install=False)
    path = tmp_path / "leadsync.toml"
    token = sandbox.info["hubspot"]["access_token"]
    path.write_text(path.read_text().replace(
        'kind = "hubspot"\n', f'kind = "hubspot"\naccess_token = "{token}"\n'))

    result = leadsync("config", "check", str(path), env=secrets_env(sandbox))

    assert result.returncode == 0, result.stderr
    assert ("warning: " f"{path}: systems.hubspot.access_token: a secret in the file; set "
            "LEADSYNC_SYSTEMS__HUBSPOT__ACCESS_TOKEN in the environment instead") \
        in result.stderr
    assert token not in result.stderr + result.stdout
    assert "session_id" not in result.stderr  # that one comes from the environment
