"""The dead-letter queue as an admin sees it: ``leadsync sync`` exit codes and
``leadsync errors list|show|retry|discard`` against the sandbox orgs."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hubspot import HubSpot

from leadsync.sandbox.server import Sandbox
from tests.conftest import hubspot_client
from tests.jobs.test_cli import leadsync, secrets_env
from tests.jobs.test_sync_e2e import write_config


def add_contact(hs: HubSpot, email: str, lastname: str) -> str:
    created = hs.crm.contacts.basic_api.create(simple_public_object_input_for_create={
        "properties": {"email": email, "lastname": lastname, "company": "C"}})
    return str(created.id)


def sync(config: str, env: dict[str, str]) -> tuple[int, dict[str, Any]]:
    """Run ``leadsync sync``; its exit code and the summary its last log line gives."""
    result = leadsync("sync", "--config", config, "--log-format", "json", env=env)
    lines = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    finished = [line for line in lines if line["event"] == "sync finished"]
    assert finished, result.stderr
    return result.returncode, finished[-1]


def errors(config: str, env: dict[str, str], *args: str) -> Any:
    result = leadsync("errors", *args, "--config", config, "--json", env=env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def setup(make_sandbox: Callable[..., Sandbox], tmp_path: Path,
          extra: str = "") -> tuple[HubSpot, str, dict[str, str]]:
    sandbox = make_sandbox()
    write_config(sandbox, tmp_path, extra_sync=extra)
    return hubspot_client(sandbox), str(tmp_path / "leadsync.toml"), secrets_env(sandbox)


def test_a_refused_record_exits_3_and_is_listed_with_its_email_field_and_reason(
        make_sandbox: Callable[..., Sandbox], tmp_path: Path) -> None:
    hs, config, env = setup(make_sandbox, tmp_path)
    add_contact(hs, "good@example.com", "Good")
    source_id = add_contact(hs, "long@example.com", "L" * 81)
    code, summary = sync(config, env)
    assert code == 3 and summary["salesforce"]["failed"] == 1

    listed = errors(config, env, "list")
    assert listed["total"] == 1
    [group] = listed["groups"]
    assert (group["code"], group["count"]) == ("STRING_TOO_LONG", 1)
    [row] = group["records"]
    assert (row["email"], row["system"], row["fields"], row["attempts"], row["status"],
            row["source_id"]) == ("long@example.com", "salesforce", ["LastName"], 1, "due",
                                  source_id)
    assert "LastName" in row["reason"] or "Last Name" in row["reason"]

    shown = errors(config, env, "show", str(row["id"]))
    assert shown["payload"]["fields"]["LastName"] == "L" * 81
    assert shown["first_at"] and shown["last_at"] and shown["key"]
    table = leadsync("errors", "list", "--config", config, env=env)
    assert table.returncode == 0 and "long@example.com" in table.stdout
    assert "STRING_TOO_LONG" in table.stdout


def test_a_refused_record_fixed_at_its_source_arrives_on_the_next_pass_and_exits_0(
        make_sandbox: Callable[..., Sandbox], tmp_path: Path) -> None:
    hs, config, env = setup(make_sandbox, tmp_path)
    source_id = add_contact(hs, "long@example.com", "L" * 81)
    assert sync(config, env)[0] == 3
    hs.crm.contacts.basic_api.update(source_id, simple_public_object_input={
        "properties": {"lastname": "Lovelace"}})
    code, summary = sync(config, env)
    assert code == 0 and summary["salesforce"]["created"] == 1
    assert errors(config, env, "list")["total"] == 0


def test_after_max_attempts_a_record_needs_action_until_retried_or_discarded(
        make_sandbox: Callable[..., Sandbox], tmp_path: Path) -> None:
    hs, config, env = setup(make_sandbox, tmp_path, extra="max_attempts = 2\n")
    add_contact(hs, "long@example.com", "L" * 81)
    assert sync(config, env)[0] == 3  # attempt 1
    assert sync(config, env)[0] == 3  # attempt 2: retried on the next pass
    [row] = errors(config, env, "list")["groups"][0]["records"]
    assert (row["attempts"], row["status"], row["next_attempt_at"]) == (2, "needs action", None)
    code, summary = sync(config, env)  # no longer tried by itself
    assert code == 0 and summary["hubspot"]["read"] == 0

    assert errors(config, env, "retry", str(row["id"])) == {"due": 1}
    code, summary = sync(config, env)
    assert code == 3 and summary["hubspot"]["read"] == 1
    assert errors(config, env, "show", str(row["id"]))["attempts"] == 3

    assert errors(config, env, "discard", str(row["id"])) == {"discarded": True}
    assert errors(config, env, "list")["total"] == 0
    assert errors(config, env, "retry", "--all") == {"due": 0}
    code, summary = sync(config, env)
    assert code == 0 and summary["hubspot"]["read"] == 0


def test_errors_commands_name_an_unknown_record_and_want_an_id_or_all(
        make_sandbox: Callable[..., Sandbox], tmp_path: Path) -> None:
    _, config, env = setup(make_sandbox, tmp_path)
    missing = leadsync("errors", "show", "42", "--config", config, env=env)
    assert missing.returncode == 1 and "no refused record 42" in missing.stderr
    neither = leadsync("errors", "retry", "--config", config, env=env)
    assert neither.returncode == 2 and "--all" in neither.stderr
    empty = leadsync("errors", "list", "--config", config, env=env)
    assert empty.returncode == 0 and "No refused records" in empty.stdout


def test_a_changed_config_makes_a_record_needing_action_due_again(
        make_sandbox: Callable[..., Sandbox], tmp_path: Path) -> None:
    hs, config, env = setup(make_sandbox, tmp_path, extra="max_attempts = 1\n")
    add_contact(hs, "long@example.com", "L" * 81)
    assert sync(config, env)[0] == 3
    assert sync(config, env)[1]["hubspot"]["read"] == 0  # needs action: not tried
    path = Path(config)
    path.write_text(path.read_text().replace("max_attempts = 1\n", "max_attempts = 1\n"
                                             "batch_size = 100\n"))
    code, summary = sync(config, env)
    assert code == 3 and summary["hubspot"]["read"] == 1


def test_a_refused_update_is_never_recorded_as_agreed_and_is_tried_again(
        make_sandbox: Callable[..., Sandbox], tmp_path: Path) -> None:
    hs, config, env = setup(make_sandbox, tmp_path)
    source_id = add_contact(hs, "ada@example.com", "Lovelace")
    assert sync(config, env)[0] == 0
    hs.crm.contacts.basic_api.update(source_id, simple_public_object_input={
        "properties": {"lastname": "L" * 81}})
    assert sync(config, env)[0] == 3
    code, summary = sync(config, env)  # the edit still differs from what both agreed on
    assert code == 3 and summary["salesforce"]["failed"] == 1
    [row] = errors(config, env, "list")["groups"][0]["records"]
    assert (row["email"], row["attempts"], row["target_id"] is not None) == (
        "ada@example.com", 2, True)
