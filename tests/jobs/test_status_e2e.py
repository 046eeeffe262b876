"""``leadsync status`` and ``leadsync runs`` as an admin runs them, against the sandbox orgs over
HTTPS: lag, parked records by error type and API budget made non-zero and reported; runs of
the sync and the SLA sweep listed; no write call, and no call at all offline; no secret shown."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from hubspot import HubSpot

from leadsync.demo import DEFINITION, sandbox_config
from leadsync.jobs.sla import run_sweep
from leadsync.jobs.sync import run_sync
from leadsync.sandbox.server import Sandbox
from tests.conftest import hubspot_client, salesforce_client
from tests.jobs.test_cli import leadsync, secrets_env
from tests.jobs.test_sla_e2e import HOT, SLA
from tests.jobs.test_sync_e2e import write_config


def add_contact(hs: HubSpot, email: str, lastname: str) -> str:
    return str(hs.crm.contacts.basic_api.create(simple_public_object_input_for_create={
        "properties": {"email": email, "lastname": lastname, "company": "C"}}).id)


def modified_at(hs: HubSpot, contact_id: str) -> datetime:
    contact = hs.crm.contacts.basic_api.get_by_id(contact_id, properties=["lastmodifieddate"])
    stamp = contact.properties["lastmodifieddate"]
    return stamp if isinstance(stamp, datetime) else datetime.fromisoformat(
        stamp.replace("Z", "+00:00"))


def as_json(*args: str, env: dict[str, str]) -> Any:
    result = leadsync(*args, "--json", env=env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def secrets_of(sandbox: Sandbox) -> list[str]:
    return [sandbox.info["salesforce"]["session_id"], sandbox.info["hubspot"]["access_token"]]


def synced_with_a_refusal(make_sandbox: Callable[..., Sandbox], tmp_path: Path
                          ) -> tuple[Sandbox, HubSpot, str, dict[str, str], str]:
    """Orgs synced once with one record refused; the config path, env and a synced contact."""
    sandbox = make_sandbox()
    write_config(sandbox, tmp_path)
    hs = hubspot_client(sandbox)
    good = add_contact(hs, "good@example.com", "Good")
    add_contact(hs, "other@example.com", "Other")
    add_contact(hs, "long@example.com", "L" * 81)  # Salesforce's LastName holds 80
    config, env = str(tmp_path / "leadsync.toml"), secrets_env(sandbox)
    assert leadsync("sync", "--config", config, env=env).returncode == 3  # some refused
    return sandbox, hs, config, env, good


def test_status_reports_lag_parked_errors_by_type_and_budget_used_with_no_write_call(
        make_sandbox: Callable[..., Sandbox], tmp_path: Path) -> None:
    sandbox, hs, config, env, good = synced_with_a_refusal(make_sandbox, tmp_path)
    hs.crm.contacts.basic_api.update(good, simple_public_object_input={
        "properties": {"lastname": "Better"}})  # a change the sync has not carried yet
    edited_at = modified_at(hs, good)
    writes = sandbox.write_requests()

    found = as_json("status", "--config", config, env=env)

    assert sandbox.write_requests() == writes  # reads only
    hubspot, salesforce = found["systems"]["hubspot"], found["systems"]["salesforce"]
    assert hubspot["lag"]["lag_seconds"] > 0 and hubspot["lag"]["bound"] == "exact"
    assert datetime.fromisoformat(hubspot["lag"]["oldest_change_at"]) == edited_at
    # the other contact, changed only by LeadSync (its key written there), is not behind
    assert (hubspot["lag"]["changes_read"], hubspot["lag"]["own_writes_skipped"]) == (2, 1)
    assert salesforce["lag"]["lag_seconds"] == 0  # the lead it created is its own write
    assert found["parked"] == {"total": 1, "by_code": [
        {"system": "salesforce", "code": "STRING_TOO_LONG", "count": 1}]}
    for system in (hubspot, salesforce):
        budget = system["budget"]
        assert budget["daily_used"] > 0 and budget["source"] in ("live", "last_run")
        assert budget["daily_left"] == budget["daily_limit"] - budget["daily_used"]
    assert hubspot["budget"]["source"] == "live" and hubspot["budget"]["window_limit"] == 190
    assert salesforce["budget"]["daily_limit"] == 100_000
    sync, reconcile = found["jobs"]
    at = datetime.fromisoformat(found["at"])
    # no [schedules]: the defaults, a sync every 15 minutes and a reconcile at 02:00 UTC
    assert sync["job"] == "sync" and sync["next_run"] is not None
    assert timedelta(0) < datetime.fromisoformat(sync["next_run"]) - at <= timedelta(minutes=15)
    assert datetime.fromisoformat(sync["next_run"]).minute % 15 == 0
    assert (reconcile["job"], reconcile["last_run"]) == ("reconcile", None)
    assert datetime.fromisoformat(reconcile["next_run"]).strftime("%H:%M") == "02:00"
    assert sync["last_run"]["outcome"] == "ok" and sync["last_run"]["age_seconds"] >= 0
    assert sync["last_run"]["calls"]["salesforce"] > 0


def test_after_a_pass_with_nothing_left_the_lag_is_none_on_both_sides(
        make_sandbox: Callable[..., Sandbox], tmp_path: Path) -> None:
    sandbox = make_sandbox(seed=20)
    write_config(sandbox, tmp_path)
    config, env = str(tmp_path / "leadsync.toml"), secrets_env(sandbox)
    assert leadsync("sync", "--config", config, env=env).returncode == 0
    assert leadsync("sync", "--config", config, env=env).returncode == 0

    found = as_json("status", "--config", config, env=env)

    for name in ("hubspot", "salesforce"):
        lag = found["systems"][name]["lag"]
        assert (lag["lag_seconds"], lag["bound"], lag["complete"]) == (0, "exact", True), name
    assert found["parked"]["total"] == 0


def test_status_offline_calls_no_system_and_bounds_the_lag_by_the_last_good_pass(
        make_sandbox: Callable[..., Sandbox], tmp_path: Path) -> None:
    sandbox, _, config, env, _ = synced_with_a_refusal(make_sandbox, tmp_path)
    [last] = as_json("runs", "--config", config, env=env)
    requests = sandbox.requests

    found = as_json("status", "--config", config, "--offline", env=env)

    assert sandbox.requests == requests  # not one call
    for name in ("hubspot", "salesforce"):
        system = found["systems"][name]
        assert system["lag"]["bound"] == "at_most" and system["lag"]["lag_seconds"] > 0
        assert system["lag"]["synced_before"] == last["started_at"]
        assert system["budget"]["source"] == "last_run"
        assert system["budget"]["run_id"] == last["id"]
        assert system["budget"]["daily_used"] > 0
    assert found["parked"]["total"] == 1


def test_runs_lists_the_sync_and_sla_sweep_runs_newest_first_with_their_calls(
        make_sandbox: Callable[..., Sandbox], tmp_path: Path) -> None:
    sandbox = make_sandbox()
    config = sandbox_config(sandbox.info, tmp_path, definition=DEFINITION, extra=SLA,
                            state="state.db")
    hubspot_client(sandbox).crm.contacts.basic_api.create(
        simple_public_object_input_for_create={"properties": HOT})
    run_sync(config, dry_run=True)  # dry runs record nothing
    run_sweep(config, datetime.now(UTC), dry_run=True)
    run_sync(config)
    swept = run_sweep(config, datetime.now(UTC))
    run_sync(config)
    path, env = str(tmp_path / "leadsync.toml"), secrets_env(sandbox)

    listed = as_json("runs", "--config", path, env=env)
    assert [(run["job"], run["outcome"]) for run in listed] == [
        ("sync", "ok"), ("sla", "ok"), ("sync", "ok")]
    assert [run["id"] for run in listed] == sorted((run["id"] for run in listed), reverse=True)
    last = listed[0]  # its calls: the pass's, and those of the checks before it
    assert last["calls"]["salesforce"] > last["counts"]["salesforce"]["calls"] > 0
    sla = listed[1]
    assert sla["counts"]["started"] == swept.started == 1
    assert sla["counts"]["written"] == swept.written > 0
    assert sla["calls"]["salesforce"] > 0 and sla["duration_seconds"] >= 0
    assert sla["budget"]["salesforce"]["daily_used"] > 0
    [only] = as_json("runs", "--config", path, "--job", "sla", env=env)
    assert {**only, "age_seconds": 0} == {**sla, "age_seconds": 0}  # older by now
    assert [run["id"] for run in as_json("runs", "--config", path, "--limit", "1",
                                         env=env)] == [listed[0]["id"]]
    status = as_json("status", "--config", path, "--offline", env=env)
    assert [(job["job"], job["last_run"] and job["last_run"]["id"])
            for job in status["jobs"]] == [
        ("sync", listed[0]["id"]), ("sla", sla["id"]), ("reconcile", None)]
    assert salesforce_client(sandbox).query("SELECT Id FROM Lead")["totalSize"] == 1


def test_a_run_that_failed_is_listed_with_its_error_and_no_secret_anywhere(
        make_sandbox: Callable[..., Sandbox], tmp_path: Path) -> None:
    sandbox, _, config, env, _ = synced_with_a_refusal(make_sandbox, tmp_path)
    sandbox.salesforce.session_id = "00Dsomeothersessionthatisnotours"  # the session expired
    failed = leadsync("sync", "--config", config, env=env)
    assert failed.returncode == 2, failed.stderr

    listed = as_json("runs", "--config", config, env=env)
    assert [run["outcome"] for run in listed] == ["failed", "ok"]
    assert "AuthError" in listed[0]["error"]
    shown = [leadsync("runs", "--config", config, env=env),
             leadsync("status", "--config", config, env=env),
             leadsync("status", "--config", config, "--json", env=env)]
    # the runs are listed; status reports the rest and exits 1: a system could not be read
    assert [result.returncode for result in shown] == [0, 1, 1], shown
    assert "could not read salesforce (connection default)" in shown[1].stderr
    assert leadsync("status", "--config", config, "--offline", env=env).returncode == 0
    status = json.loads(shown[2].stdout)
    assert "AuthError" in status["systems"]["salesforce"]["error"]
    assert "STRING_TOO_LONG" in shown[1].stdout and "failed" in shown[0].stdout
    for text in [json.dumps(listed), *(r.stdout + r.stderr for r in shown)]:
        assert not any(secret in text for secret in secrets_of(sandbox))


def test_status_reads_two_pages_of_changes_at_most_and_then_says_the_lag_is_a_lower_bound(
        make_sandbox: Callable[..., Sandbox], tmp_path: Path) -> None:
    sandbox = make_sandbox()
    write_config(sandbox, tmp_path)
    add_contact(hubspot_client(sandbox), "first@example.com", "First")
    config, env = str(tmp_path / "leadsync.toml"), secrets_env(sandbox)
    assert leadsync("sync", "--config", config, env=env).returncode == 0
    with sandbox.hubspot.lock:  # more changes than two search pages (200 each) hold
        for n in range(450):
            sandbox.hubspot.store.create("contacts", {"email": f"seed{n}@example.com",
                                                      "lastname": f"Seed {n}"})
    before = sum(sandbox.requests["hubspot"].values())

    found = as_json("status", "--config", config, env=env)

    assert sum(sandbox.requests["hubspot"].values()) - before == 2  # two searches
    lag = found["systems"]["hubspot"]["lag"]
    assert (lag["changes_read"], lag["complete"], lag["bound"]) == (400, False, "at_least")
    assert lag["lag_seconds"] > 0
