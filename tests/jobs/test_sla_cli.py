"""``leadsync sla calc|sweep|ghosts``, ``leadsync audit`` and SLA problems in ``config check``."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from leadsync.demo import DEFINITION, sandbox_config
from leadsync.sandbox.server import Sandbox
from tests.conftest import hubspot_client
from tests.jobs.test_cli import leadsync, secrets_env
from tests.jobs.test_sla_e2e import HOT, SLA


def configured(make_sandbox: Callable[..., Sandbox], tmp_path: Path,
               extra: str = SLA) -> tuple[Sandbox, str, dict[str, str]]:
    sandbox = make_sandbox()
    sandbox_config(sandbox.info, tmp_path, definition=DEFINITION, extra=extra)
    return sandbox, str(tmp_path / "leadsync.toml"), secrets_env(sandbox)


def test_sla_calc_adds_business_time_and_measures_it(make_sandbox: Callable[..., Sandbox],
                                                     tmp_path: Path) -> None:
    _, config, env = configured(make_sandbox, tmp_path)
    # Friday 16:00 in New York + 2 business hours on a 9-17 calendar -> Monday 10:00.
    added = leadsync("sla", "calc", "--config", config, "--calendar", "us_sales", "--start",
                     "2026-11-20T16:00:00-05:00", "--add", "2h", env=env)
    assert added.returncode == 0, added.stderr
    assert added.stdout.startswith("2026-11-23T10:00:00-05:00")
    between = leadsync("sla", "calc", "--config", config, "--calendar", "us_sales",
                       "--between", "2026-11-20T16:00:00-05:00", "2026-11-23T10:00:00-05:00",
                       env=env)
    assert between.returncode == 0, between.stderr
    assert "120 minutes" in between.stdout
    holiday = leadsync("sla", "calc", "--config", config, "--calendar", "us_sales", "--start",
                       "2026-11-25T16:00:00-05:00", "--add", "2h", env=env)
    assert holiday.stdout.startswith("2026-11-27T10:00:00-05:00")  # Thanksgiving is off


def test_sla_calc_refuses_an_unknown_calendar_and_a_bad_duration(
        make_sandbox: Callable[..., Sandbox], tmp_path: Path) -> None:
    _, config, env = configured(make_sandbox, tmp_path)
    unknown = leadsync("sla", "calc", "--config", config, "--calendar", "emea", "--start",
                       "2026-11-20T16:00:00Z", "--add", "2h", env=env)
    assert unknown.returncode == 2 and "us_sales" in unknown.stderr
    bad = leadsync("sla", "calc", "--config", config, "--calendar", "us_sales", "--start",
                   "2026-11-20T16:00:00Z", "--add", "2 fortnights", env=env)
    assert bad.returncode == 2 and "--add" in bad.stderr


def test_sweep_ghosts_and_audit_from_the_command_line(make_sandbox: Callable[..., Sandbox],
                                                      tmp_path: Path) -> None:
    sandbox, config, env = configured(make_sandbox, tmp_path)
    hubspot_client(sandbox).crm.contacts.basic_api.create(
        simple_public_object_input_for_create={"properties": HOT})
    assert leadsync("sync", "--config", config, env=env).returncode == 0
    later = (datetime.now(UTC) + timedelta(hours=3)).isoformat()
    swept = leadsync("sla", "sweep", "--config", config, "--now", later, "--json",
                     "--allow-future-writes", env=env)
    assert swept.returncode == 0, swept.stderr
    summary = json.loads(swept.stdout)
    assert summary["started"] == 1 and summary["breaches"] == 1
    assert summary["statuses"] == {"breached": 1}

    ghosts = leadsync("sla", "ghosts", "--config", config, "--now", later, "--json", env=env)
    [ghost] = json.loads(ghosts.stdout)
    assert ghost["kind"] == "untouched" and ghost["policy"] == "hot_inbound"

    history = leadsync("audit", "--email", HOT["email"].upper(), "--config", config, "--json",
                       env=env)
    events = [e["event"] for e in json.loads(history.stdout)]
    assert [e for e in events if not e.startswith("sync_")][:3] == [
        "handoff", "breach", "escalated"]
    assert events[0] == "sync_write"  # the verdict stamped on the contact, then the new lead


def test_ghosts_audit_and_definition_history_read_the_connection_the_config_names(
        make_sandbox: Callable[..., Sandbox], tmp_path: Path) -> None:
    sandbox, config, env = configured(make_sandbox, tmp_path)
    path = Path(config)
    path.write_text(path.read_text().replace("[sync]\n", '[sync]\nconnection = "emea"\n', 1))
    hubspot_client(sandbox).crm.contacts.basic_api.create(
        simple_public_object_input_for_create={"properties": HOT})
    assert leadsync("sync", "--config", config, env=env).returncode == 0
    later = (datetime.now(UTC) + timedelta(hours=3)).isoformat()
    assert leadsync("sla", "sweep", "--config", config, "--now", later,
                    "--allow-future-writes", env=env).returncode == 0

    ghosts = leadsync("sla", "ghosts", "--config", config, "--now", later, "--json", env=env)
    assert [g["kind"] for g in json.loads(ghosts.stdout)] == ["untouched"]
    audit = leadsync("audit", "--email", HOT["email"], "--config", config, "--json", env=env)
    assert [e["event"] for e in json.loads(audit.stdout)
            if not e["event"].startswith("sync_")][:1] == ["handoff"]
    history = leadsync("definition", "history", "--config", config, "--json", env=env)
    assert len(json.loads(history.stdout)) == 1


def test_config_check_reports_bad_sla_policies_and_calendars(
        make_sandbox: Callable[..., Sandbox], tmp_path: Path) -> None:
    bad = SLA.replace('first_touch_within = "1h"', 'first_touch_within = "soon"', 1) \
        .replace('time_zone = "America/New_York"', 'time_zone = "America/Gotham"')
    _, config, env = configured(make_sandbox, tmp_path, extra=bad)
    result = leadsync("config", "check", config, env=env)
    assert result.returncode == 1
    assert "calendars.us_sales.time_zone" in result.stderr


def test_config_check_names_a_bad_policy_key(make_sandbox: Callable[..., Sandbox],
                                             tmp_path: Path) -> None:
    bad = SLA.replace('first_touch_within = "1h"', 'first_touch_within = "soon"', 1)
    _, config, env = configured(make_sandbox, tmp_path, extra=bad)
    result = leadsync("config", "check", config, env=env)
    assert result.returncode == 1
    assert "sla.policies[0] (hot_inbound).first_touch_within" in result.stderr
