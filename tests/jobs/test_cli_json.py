"""``--json`` on ``sync`` and ``config check``: one JSON document on stdout, errors included,
with the exit codes of ``leadsync.exits``; ``sync`` gives each connection's result by name."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from leadsync.connector.lock import RunLock
from leadsync.connector.state import StateStore
from leadsync.sandbox.server import Sandbox
from leadsync.sandbox_connections import connections_config, connections_secrets
from tests.jobs.test_cli import leadsync, records, secrets_env
from tests.jobs.test_sync_e2e import write_config


def test_sync_json_is_one_document_with_each_systems_counts(
        make_sandbox: Callable[..., Sandbox], tmp_path: Path) -> None:
    sandbox = make_sandbox(seed=20)
    write_config(sandbox, tmp_path)

    done = leadsync("sync", "--config", str(tmp_path / "leadsync.toml"), "--json",
                    env=secrets_env(sandbox))

    assert done.returncode == 0, done.stderr
    whole = json.loads(done.stdout)
    assert whole["ok"] is True and whole["exit_code"] == 0 and list(whole["connections"]) == [
        "default"]
    document = whole["connections"]["default"]
    assert document["ok"] is True and document["exit_code"] == 0
    assert document["dry_run"] is False and isinstance(document["run_id"], int)
    assert set(document["systems"]) == {"hubspot", "salesforce"}
    created = document["systems"]["salesforce"]["created"]
    assert created == len(sandbox.salesforce.records["Lead"]) - \
        document["systems"]["salesforce"]["read"] > 0


def test_a_dry_run_in_json_carries_the_whole_plan_and_writes_nothing(
        make_sandbox: Callable[..., Sandbox], tmp_path: Path) -> None:
    sandbox = make_sandbox(seed=20)
    write_config(sandbox, tmp_path)
    before = records(sandbox)

    done = leadsync("sync", "--config", str(tmp_path / "leadsync.toml"), "--dry-run", "--json",
                    env=secrets_env(sandbox))

    assert done.returncode == 0, done.stderr
    plan = json.loads(done.stdout)["connections"]["default"]["plan"]
    creates = [w for w in plan["writes"] if w["action"] == "create"]
    assert creates and all(w["system"] in {"hubspot", "salesforce"} for w in creates)
    assert all(w["id"] is None and w["fields"] for w in creates)
    assert records(sandbox) == before


def test_a_config_error_in_json_is_a_document_and_exit_2(tmp_path: Path) -> None:
    path = tmp_path / "leadsync.toml"
    path.write_text("[sync]\nmapping = 3\n")

    done = leadsync("sync", "--config", str(path), "--json")

    assert done.returncode == 2
    document = json.loads(done.stdout)
    assert (document["ok"], document["exit_code"], document["error"]) == (False, 2, "config")
    assert "sync.mapping" in document["message"]


def test_a_held_lock_in_json_is_a_document_and_exit_4(make_sandbox: Callable[..., Sandbox],
                                                      tmp_path: Path) -> None:
    sandbox = make_sandbox(seed=5)
    write_config(sandbox, tmp_path)
    store = StateStore(f"sqlite:///{tmp_path / 'state.db'}")
    with RunLock(store, "sync", "default"):
        done = leadsync("sync", "--config", str(tmp_path / "leadsync.toml"), "--json",
                        env=secrets_env(sandbox))
    store.close()
    assert done.returncode == 4, done.stderr
    whole = json.loads(done.stdout)
    assert (whole["ok"], whole["exit_code"]) == (False, 4)
    document = whole["connections"]["default"]
    assert document["error"] == "locked" and "already running" in document["message"]


def test_config_check_json_lists_problems_and_keeps_exit_1(tmp_path: Path) -> None:
    path = tmp_path / "leadsync.toml"
    path.write_text('[sync]\nmapping = "m.toml"\nbatch_size = 500\n')

    done = leadsync("config", "check", str(path), "--json")

    assert done.returncode == 1
    document = json.loads(done.stdout)
    assert document["ok"] is False and document["file"] == str(path)
    assert any("sync.batch_size" in problem for problem in document["problems"])


def test_config_check_json_of_a_valid_file(make_sandbox: Callable[..., Sandbox],
                                           tmp_path: Path) -> None:
    sandbox = make_sandbox()
    write_config(sandbox, tmp_path)

    done = leadsync("config", "check", str(tmp_path / "leadsync.toml"), "--json",
                    env=secrets_env(sandbox))

    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"ok": True, "file": str(tmp_path / "leadsync.toml"),
                                       "live": False, "problems": [], "warnings": []}


def test_sync_json_of_two_connections_gives_each_by_name_and_the_worst_exit_code(
        make_sandbox: Callable[..., Sandbox], tmp_path: Path) -> None:
    emea, amer = make_sandbox(seed=5), make_sandbox(seed=5)
    infos = {"emea": emea.info, "amer": amer.info}
    connections_config(infos, tmp_path, state_url="sqlite:///state.db")
    env = {**connections_secrets(infos), "COLUMNS": "150"}
    amer.stop()  # one business unit's orgs are down

    done = leadsync("sync", "--config", str(tmp_path / "leadsync.toml"), "--json", env=env)

    assert done.returncode == 1, done.stderr
    whole = json.loads(done.stdout)
    assert (whole["ok"], whole["exit_code"]) == (False, 1)
    assert whole["connections"]["emea"]["ok"] is True
    assert sum(side["read"] for side in whole["connections"]["emea"]["systems"].values()) > 0
    failed = whole["connections"]["amer"]
    assert (failed["exit_code"], failed["error"]) == (1, "failed")
    assert "sync of amer failed" in failed["message"]
    assert "connection refused" in failed["message"]
