"""Limits end to end: the Salesforce daily API reserve, through ``leadsync sync`` as an admin
runs it, against the sandbox orgs over HTTPS."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from leadsync.connector.state import StateStore
from leadsync.demo import sandbox_config
from leadsync.sandbox.server import Sandbox
from tests.jobs.test_cli import leadsync, secrets_env
from tests.jobs.test_sync_e2e import mutations

RESERVE = 0.25


def emails(sandbox: Sandbox) -> tuple[Counter[str], Counter[str]]:
    """Each side's emails (lower case) and how many live records carry each."""
    leads = Counter(str(r["Email"]).lower() for r in sandbox.salesforce.records["Lead"].values()
                    if r.get("Email") and not r.get("IsDeleted"))
    contacts = Counter(str(c["properties"]["email"]).lower()
                       for c in sandbox.hubspot.store.records["contacts"].values()
                       if c["properties"].get("email") and not c.get("archived"))
    return leads, contacts


def config_with_reserve(sandbox: Sandbox, folder: Path) -> str:
    sandbox_config(sandbox.info, folder, state="state.db",
                   extra=f"daily_api_reserve = {RESERVE}\n")  # into [systems.salesforce]
    path = folder / "leadsync.toml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("[sync]\n", "[sync]\nbatch_size = 50\n", 1), encoding="utf-8")
    return str(path)


def test_a_run_that_reaches_the_daily_reserve_stops_with_exit_5_and_the_next_run_resumes(
        make_sandbox: Callable[..., Sandbox], tmp_path: Path) -> None:
    sandbox = make_sandbox(seed=600)
    config, env = config_with_reserve(sandbox, tmp_path), secrets_env(sandbox)
    usage = sandbox.salesforce.usage
    for _ in range(2):  # the second dry run counts what a pass reads (the first may set up)
        before = usage.used
        assert leadsync("sync", "--config", config, "--dry-run", env=env).returncode == 0
    reads = usage.used - before
    # Today's allowance: what a pass reads plus three batches of writes, then the reserve.
    usage.maximum = math.ceil((usage.used + reads + 3) / (1 - RESERVE))
    unsynced = sum(1 for r in sandbox.salesforce.records["Lead"].values()
                   if not r.get("LeadSync_Id__c"))

    stopped = leadsync("sync", "--config", config, env=env)

    assert stopped.returncode == 5, stopped.stderr
    assert "kept for the org's other integrations" in stopped.stderr
    assert "next one resumes" in stopped.stderr
    assert usage.used <= usage.maximum * (1 - RESERVE)  # the reserve was left alone
    store = StateStore(f"sqlite:///{tmp_path / 'state.db'}")
    try:
        [last, *_] = store.runs("default")
        assert last["status"] == "reserve_reached"
        assert {"calls", "retries"} <= set(last["summary"]["counts"]["salesforce"])
        assert last["summary"]["calls"]["salesforce"] > 0
        budget = last["summary"]["budget"]["salesforce"]
        assert budget["daily_used"] <= budget["daily_limit"] * (1 - RESERVE)
    finally:
        store.close()
    leads, contacts = emails(sandbox)
    assert set(contacts) - set(leads)  # the pass stopped before every contact reached Salesforce

    for _day in range(6):  # each next day brings the same small allowance; each run resumes
        usage.used = 0
        resumed = leadsync("sync", "--config", config, env=env)
        assert resumed.returncode in (0, 5), resumed.stderr
        assert usage.used <= usage.maximum * (1 - RESERVE)
        if resumed.returncode == 0:
            break

    assert resumed.returncode == 0, resumed.stderr
    assert "retries" in resumed.stdout  # the summary table counts them
    leads, contacts = emails(sandbox)
    assert set(leads) == set(contacts)
    assert max(leads.values()) == 1 and max(contacts.values()) == 1  # nothing duplicated
    assert unsynced > 0
    written = mutations(sandbox)
    usage.used = 0  # another day: the idle pass is judged by what it writes, not its budget
    idle = leadsync("sync", "--config", config, env=env)
    assert idle.returncode == 0, idle.stderr
    assert mutations(sandbox) == written  # the resumed run left nothing undelivered


def test_sync_with_a_corrupt_state_file_exits_2_naming_the_file_and_key_without_a_traceback(
        make_sandbox: Callable[..., Sandbox], tmp_path: Path) -> None:
    sandbox = make_sandbox(seed=10)
    config = config_with_reserve(sandbox, tmp_path)
    assert leadsync("sync", "--config", config, env=secrets_env(sandbox)).returncode == 0
    state = tmp_path / "state.db"
    state.write_bytes(state.read_bytes()[:4096] + b"\0" * 100)  # cut short, as by a full disk
    written = mutations(sandbox)

    result = leadsync("sync", "--config", config, env=secrets_env(sandbox))

    assert result.returncode == 2, result.stderr
    assert "state.url" in result.stderr and "state.db" in result.stderr
    assert "is not a readable SQLite database" in result.stderr
    assert "Traceback" not in result.stderr
    assert mutations(sandbox) == written
