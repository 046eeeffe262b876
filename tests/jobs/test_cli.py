"""The command line as an admin uses it: config check and sync against the sandbox orgs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from leadsync.demo import DEFINITION as EXAMPLE
from leadsync.demo import sandbox_config, sandbox_secrets
from leadsync.sandbox.server import Sandbox
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


def test_definition_check_names_the_rule_key_and_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text(EXAMPLE.read_text().replace('field = "employees", between = [200, 5000]',
                                               'field = "employess", between = [200, 5000]'))
    result = leadsync("definition", "check", str(bad))
    assert result.returncode == 1
    assert "company_size" in result.stderr and "employess" in result.stderr
    assert "did you mean 'employees'" in result.stderr
    ok = leadsync("definition", "check", str(EXAMPLE))
    assert ok.returncode == 0 and "2026.11-1" in ok.stdout


def test_definition_explain_a_json_record_in_either_form(tmp_path: Path) -> None:
    record = tmp_path / "lead.json"
    record.write_text(json.dumps({"email": "ada@analytical.example", "company": "AE",
                                  "title": "VP Sales", "lead_source": "Demo Request"}))
    result = leadsync("definition", "explain", "--record", str(record), "--definition",
                      str(EXAMPLE), "--json", "--now", "2026-11-23T12:00:00Z")
    assert result.returncode == 0, result.stderr
    verdict = json.loads(result.stdout)
    assert verdict["verdict"] == "mql" and verdict["hot"] is True
    assert verdict["version"] == "2026.11-1" and len(verdict["reason"]) <= 255
    assert {"name": "demo_request", "kind": "engagement", "matched": True, "points": 40,
            "detail": "lead_source in ['Demo Request', 'Contact Sales']"} in verdict["rules"]


def test_definition_explain_and_diff_live_against_the_orgs(
        make_sandbox: Callable[..., Sandbox], tmp_path: Path) -> None:
    sandbox = make_sandbox(seed=40)
    sandbox_config(sandbox.info, tmp_path, definition=EXAMPLE)
    config = str(tmp_path / "leadsync.toml")
    env = secrets_env(sandbox)
    assert leadsync("sync", "--config", config, env=env).returncode == 0
    email = _any_email(sandbox)
    explained = leadsync("definition", "explain", "--email", email, "--config", config,
                         "--json", env=env)
    assert explained.returncode == 0, explained.stderr
    assert json.loads(explained.stdout)["lead"]["email"].lower() == email.lower()
    v2 = tmp_path / "v2.toml"
    v2.write_text(EXAMPLE.read_text().replace("mql_score = 50 ", "mql_score = 65 ")
                  .replace('version = "2026.11-1"', 'version = "2026.12-1"'))
    diffed = leadsync("definition", "diff", str(v2), "--config", config, "--json", env=env)
    assert diffed.returncode == 0, diffed.stderr
    report = json.loads(diffed.stdout)
    assert report["current"] == "2026.11-1" and report["candidate"] == "2026.12-1"
    assert report["leads"] > 0 and report["newly_qualified"] == 0
    history = leadsync("definition", "history", "--config", config, "--json", env=env)
    assert [h["version"] for h in json.loads(history.stdout)] == ["2026.11-1"]


def _any_email(sandbox: Sandbox) -> str:
    lead = next(iter(sandbox.salesforce.records["Lead"].values()))
    return str(lead["Email"])


def test_version_option_prints_the_installed_package_version() -> None:
    from importlib.metadata import version

    done = leadsync("--version")

    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == version("leadsync") != ""
