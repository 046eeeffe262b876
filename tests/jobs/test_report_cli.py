"""``leadsync report`` as an admin runs it: the hand-worked org of report_fixture in a real
SQLite state store, the reps read from a sandbox Salesforce org over HTTPS (names, emails and
managers beside the ids), every format, and clear errors naming the option."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from leadsync.demo import sandbox_config
from leadsync.sandbox.server import Sandbox
from tests.connector.report_fixture import stored
from tests.connector.test_definition import TEXT
from tests.jobs.test_cli import leadsync, secrets_env

CALENDARS = """
[calendars.office]
time_zone = "UTC"

[calendars.office.hours]
mon = ["09:00-17:00"]
tue = ["09:00-17:00"]
wed = ["09:00-17:00"]
thu = ["09:00-17:00"]
fri = ["09:00-17:00"]

[calendars.us]
time_zone = "America/New_York"
hours = { mon = ["09:00-17:00"] }

[sla]
default_calendar = "us"

[[sla.policies]]
name = "standard"
calendar = "office"
first_touch_within = "4h"
cadence = { calls = 2, emails = 1, within = "2d" }
"""
NOVEMBER = ("--from", "2026-11-01", "--to", "2026-11-30", "--now", "2026-11-20T12:00:00Z")


@pytest.fixture
def org(make_sandbox: Callable[..., Sandbox], tmp_path: Path
        ) -> tuple[Sandbox, list[str], dict[str, str]]:
    """The fixture's org; its reps are users of the sandbox Salesforce org."""
    sandbox = make_sandbox()
    users = sandbox.salesforce

    def user(first: str, last: str, email: str, manager: str | None = None) -> str:
        return users.insert_raw("User", {
            "FirstName": first, "LastName": last, "Email": email, "Username": email,
            "TimeZoneSidKey": "America/New_York", "IsActive": True, "ManagerId": manager})

    mia = user("Mia", "Ross", "mia@acme.test")
    owners = {"005M": mia, "005A": user("Ann", "Lee", "ann@acme.test", mia),
              "005B": user("Bo", "Chan", "bo@acme.test", mia),
              "005C": user("Cy", "Diaz", "cy@acme.test")}
    definition = tmp_path / "definition.toml"
    definition.write_text(TEXT, encoding="utf-8")
    sandbox_config(sandbox.info, tmp_path, state=str(tmp_path / "state.db"),
                   definition=definition, extra=CALENDARS, install=False)
    stored(tmp_path, owners).close()
    return sandbox, ["--config", str(tmp_path / "leadsync.toml")], secrets_env(sandbox)


def test_report_json_names_the_reps_from_the_crm(org: tuple[Sandbox, list[str],
                                                            dict[str, str]]) -> None:
    _, config, env = org
    result = leadsync("report", "sla", *NOVEMBER, *config, "--format", "json", env=env)
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["from"] == "2026-11-01T00:00:00-04:00"  # midnight in the report's zone
    assert document["to"] == "2026-12-01T00:00:00-05:00"  # --to includes its day
    reps, teams = document["reports"]
    by_rep = {row["rep"]: row for row in reps["rows"]}
    assert by_rep["Ann Lee"]["rep_email"] == "ann@acme.test"
    assert by_rep["Ann Lee"]["team"] == "Mia Ross"
    assert (by_rep["Ann Lee"]["met"], by_rep["Ann Lee"]["breached"]) == (2, 1)
    assert {row["team"]: row["handed_off"] for row in teams["rows"]} == {
        "Mia Ross": 5, "no manager": 1}


def test_report_table_shows_names_and_instants_in_the_reports_zone(
        org: tuple[Sandbox, list[str], dict[str, str]]) -> None:
    _, config, env = org
    result = leadsync("report", "ghosts", *NOVEMBER, *config, env=env)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Ghost leads by rep" in out and "Ghost leads, one by one" in out
    assert "Ann Lee" in out and "ann@acme.test" in out and "k3@lead.test" in out
    # k3 was handed off Tue 3 Nov 09:00 UTC: 04:00 in New York (EST), the default calendar's.
    assert "2026-11-03 04:00 EST" in out


def test_report_csv_writes_each_table_after_its_title(
        org: tuple[Sandbox, list[str], dict[str, str]], tmp_path: Path) -> None:
    _, config, env = org
    target = tmp_path / "definition.csv"
    result = leadsync("report", "definition", *NOVEMBER, *config, "--format", "csv",
                      "--output", str(target), env=env)
    assert result.returncode == 0, result.stderr
    lines = target.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("# The lead definition's rules")
    rows = {row["rule"]: row for row in csv.DictReader(io.StringIO("\n".join(lines[1:])))}
    demo = rows["demo_request"]
    assert (demo["matched"], demo["matched_converted"], demo["matched_rate"]) == (
        "3", "1", "0.3333")
    assert float(demo["matched_interval_low"]) == pytest.approx(0.0615, abs=1e-4)


def test_report_all_offline_calls_no_system_and_shows_ids(
        org: tuple[Sandbox, list[str], dict[str, str]]) -> None:
    sandbox, config, env = org
    requests = sandbox.requests
    result = leadsync("report", "all", *NOVEMBER, *config, "--offline", "--format", "json",
                      env=env)
    assert result.returncode == 0, result.stderr
    assert sandbox.requests == requests  # not one call
    names = [report["name"] for report in json.loads(result.stdout)["reports"]]
    assert names == ["sla", "sla-teams", "ghosts", "ghosts-months", "ghosts-leads", "recycled",
                     "recycled-leads", "funnel", "funnel-campaigns", "definition", "delay",
                     "delay-reps"]
    sla = json.loads(result.stdout)["reports"][0]
    assert all(row["rep"].startswith("005") or row["rep"] == "all reps" for row in sla["rows"])


@pytest.mark.parametrize(("args", "message"), [
    (("report", "pipeline"), "NAME: unknown report 'pipeline'"),
    (("report", "sla", "--from", "2026-13-01"), "--from: not a date"),
    (("report", "sla", "--to", "yesterday"), "--to: not an ISO-8601 instant"),
    (("report", "sla", "--from", "2026-11-30", "--to", "2026-11-01"), "--from 2026-11-30 is "
                                                                       "not before"),
    (("report", "sla", "--format", "xml"), "--format: unknown format 'xml'"),
])
def test_report_refuses_bad_options_naming_them(
        org: tuple[Sandbox, list[str], dict[str, str]], args: tuple[str, ...],
        message: str) -> None:
    _, config, env = org
    result = leadsync(*args, *config, "--offline", env=env)
    assert result.returncode == 2
    assert message in result.stderr


def test_definition_diff_shows_the_evidence_beside_each_rule_it_changes(
        make_sandbox: Callable[..., Sandbox], tmp_path: Path) -> None:
    from leadsync.demo import DEFINITION

    sandbox = make_sandbox()
    sandbox_config(sandbox.info, tmp_path, state=str(tmp_path / "state.db"),
                   definition=DEFINITION)
    stored(tmp_path).close()  # the fixture's journeys: demo_request matched k1 k5 k7
    candidate = tmp_path / "v2.toml"
    candidate.write_text(DEFINITION.read_text(encoding="utf-8")
                         .replace('version = "2026.11-1"', 'version = "2026.12-1"')
                         .replace('name = "demo_request"\npoints = 40',
                                  'name = "demo_request"\npoints = 30')
                         .replace('[[fit]]\nname = "smaller_company"',
                                  '[[fit]]\nname = "big_budget"\npoints = 10\n'
                                  'when = { field = "employees", gte = 10000 }\n\n'
                                  '[[fit]]\nname = "smaller_company"'), encoding="utf-8")
    env = secrets_env(sandbox)
    config = ["--config", str(tmp_path / "leadsync.toml")]
    result = leadsync("definition", "diff", str(candidate), *config, "--json", env=env)
    assert result.returncode == 0, result.stderr
    rules = {row["rule"]: row for row in json.loads(result.stdout)["rules"]}
    assert set(rules) == {"demo_request", "big_budget"}
    # Every stored MQL lead: k1..k8 but k9, k10 (8). demo_request matched k1 k5 k7 (k5
    # converted): 1 of 3; the other 5: 0 of 5.
    demo = rules["demo_request"]
    assert (demo["change"], demo["matched"], demo["matched_converted"], demo["unmatched"],
            demo["unmatched_converted"]) == ("changed", 3, 1, 5, 0)
    assert demo["evidence"] == "too few to conclude"
    assert (rules["big_budget"]["change"], rules["big_budget"]["evidence"]) == (
        "added", "no evidence yet")
    table = leadsync("definition", "diff", str(candidate), *config, env=env)
    assert table.returncode == 0, table.stderr
    assert "Rules changed" in table.stdout and "no evidence yet" in table.stdout
    assert "33% (6%-79%)" in table.stdout  # 1 of 3, Wilson 95%: 0.061-0.792


def test_report_html_hands_every_table_to_the_html_renderer(
        org: tuple[Sandbox, list[str], dict[str, str]], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """``--format html`` calls ``leadsync.report_html.render_html(reports, *, title,
    generated_at)`` and writes what it returns; a stand-in renderer records the call."""
    import sys
    import types
    from datetime import UTC, datetime

    from typer.testing import CliRunner

    from leadsync.cli import app

    calls: list[tuple[list[str], str, datetime]] = []

    def render_html(reports: list[Any], *, title: str, generated_at: datetime) -> str:
        calls.append(([r.name for r in reports], title, generated_at))
        return "<!doctype html><title>reports</title>"

    stand_in = types.ModuleType("leadsync.report_html")
    stand_in.render_html = render_html  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "leadsync.report_html", stand_in)
    _, config, env = org
    target = tmp_path / "report.html"
    done = CliRunner().invoke(app, ["report", "all", *NOVEMBER, *config, "--offline",
                                    "--format", "html", "--output", str(target)], env=env)
    assert done.exit_code == 0, done.output
    assert target.read_text(encoding="utf-8") == "<!doctype html><title>reports</title>"
    [(names, title, generated_at)] = calls
    assert names[0] == "sla" and names[-1] == "delay-reps" and len(names) == 12
    assert title == "LeadSync reports: default"
    assert generated_at == datetime(2026, 11, 20, 12, tzinfo=UTC)


def test_report_says_how_to_go_on_when_the_crm_cannot_be_reached(
        org: tuple[Sandbox, list[str], dict[str, str]]) -> None:
    sandbox, config, env = org
    secret = sandbox.info["salesforce"]["session_id"]
    sandbox.stop()
    result = leadsync("report", "sla", *NOVEMBER, *config, env=env)
    assert result.returncode == 1
    assert "cannot read the reps from the CRM" in result.stderr
    assert "--offline shows ids only" in result.stderr
    assert secret not in result.stderr + result.stdout
