"""The command line as an admin uses it: config check and sync against the sandbox orgs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from leadsync.demo import sandbox_secrets
from sandbox.server import Sandbox
from tests.jobs.test_sync_e2e import write_config


def leadsync(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "leadsync", *args], capture_output=True,
                          text=True, timeout=120, env={**os.environ, **(env or {})})


def secrets_env(sandbox: Sandbox) -> dict[str, str]:
    return {**sandbox_secrets(sandbox.info), "COLUMNS": "150"}


def records(sandbox: Sandbox) -> tuple[dict, dict]:
    leads = {i: dict(r) for i, r in sandbox.salesforce.records["Lead"].items()}
    return leads, sandbox.hubspot.store.dump()


def test_config_check_names_every_problem_with_its_key_path(tmp_path: Path) -> None:
    path = tmp_path / "leadsync.toml"
    path.write_text('[sync]\nmapping = "m.toml"\nbatch_size = 500\n[systems.hubspot]\n'
                    'kind = "hubspot"\nrole = "marketing"\n')
    result = leadsync("config", "check", str(path))
    assert result.returncode == 1
    assert "sync.batch_size" in result.stderr
    assert "systems.hubspot.access_token" in result.stderr
    assert "crm" in result.stderr  # no CRM system configured


def test_config_check_accepts_a_valid_file(make_sandbox: Callable[..., Sandbox],
                                           tmp_path: Path) -> None:
    sandbox = make_sandbox()
    write_config(sandbox, tmp_path)
    result = leadsync("config", "check", str(tmp_path / "leadsync.toml"),
                      env=secrets_env(sandbox))
    assert result.returncode == 0, result.stderr
    assert "valid" in result.stdout


def test_sync_dry_run_prints_the_plan_and_writes_nothing(
        make_sandbox: Callable[..., Sandbox], tmp_path: Path) -> None:
    sandbox = make_sandbox(seed=20)
    write_config(sandbox, tmp_path)
    before = records(sandbox)
    result = leadsync("sync", "--config", str(tmp_path / "leadsync.toml"), "--dry-run",
                      env=secrets_env(sandbox))
    assert result.returncode == 0, result.stderr
    assert "Planned writes" in result.stdout and "Dry run" in result.stdout
    # LeadSync's own fields may have been created; no record was written.
    assert records(sandbox) == before


def test_sync_runs_a_pass_and_logs_json_without_secrets(
        make_sandbox: Callable[..., Sandbox], tmp_path: Path) -> None:
    sandbox = make_sandbox(seed=20)
    write_config(sandbox, tmp_path)
    env = secrets_env(sandbox)
    result = leadsync("sync", "--config", str(tmp_path / "leadsync.toml"), "--log-format",
                      "json", env=env)
    assert result.returncode == 0, result.stderr
    assert "created" in result.stdout
    lines = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    assert any(line["event"] == "sync finished" for line in lines)
    for secret in (env["LEADSYNC_SYSTEMS__HUBSPOT__ACCESS_TOKEN"],
                   env["LEADSYNC_SYSTEMS__SALESFORCE__SESSION_ID"]):
        assert secret not in result.stderr and secret not in result.stdout


def test_sync_with_a_bad_config_exits_2_naming_the_key(tmp_path: Path) -> None:
    path = tmp_path / "leadsync.toml"
    path.write_text("[sync]\nmapping = 3\n")
    result = leadsync("sync", "--config", str(path))
    assert result.returncode == 2
    assert "sync.mapping" in result.stderr
