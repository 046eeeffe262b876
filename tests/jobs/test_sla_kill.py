"""A real kill -9: ``leadsync sla sweep`` as a subprocess against a sandbox served by another
process with latency, killed with SIGKILL at seeded random moments, then run to the end: each
task, notification and reassignment happens once, as in a run nobody killed.

The only tests that sleep for real: the moments to kill at, and a webhook receiver that takes
its time, so that those moments fall inside the sweep's apply step.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from simple_salesforce import Salesforce

from leadsync.adapters.transport import ca_session
from leadsync.connector.config import Config
from leadsync.connector.state import StateStore
from leadsync.demo import DEFINITION, sandbox_config, sandbox_secrets
from leadsync.jobs.sla import run_sweep
from leadsync.jobs.sync import run_sync
from leadsync.sandbox.server import Sandbox
from tests.jobs.test_sla_effects_e2e import POLICY, Receiver

PEOPLE, KILLS, LATENCY_MS = 60, 6, 40
HOOK_SECONDS = 0.04  # the receiver's time per POST: the sweep's apply step lasts a while
BREACH = timedelta(days=2)


def client(info: dict[str, Any]) -> Salesforce:
    return Salesforce(instance_url=info["salesforce"]["instance_url"],
                      session_id=info["salesforce"]["session_id"],
                      version=info["salesforce"]["api_version"],
                      session=ca_session(info["ca_bundle"]))


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A real local webhook receiver that takes its time answering."""
    got = Receiver("")

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            time.sleep(HOOK_SECONDS)
            got.keys.append(self.headers["Idempotency-Key"])
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    got.url = f"http://127.0.0.1:{server.server_port}/sla"
    yield got
    server.shutdown()


@pytest.fixture
def served(tmp_path: Path) -> Iterator[dict[str, Any]]:
    """``leadsync sandbox serve`` in its own process, seeded, with latency on every request."""
    process = subprocess.Popen(
        [sys.executable, "-m", "leadsync", "sandbox", "serve", "--seed", str(PEOPLE),
         "--latency", str(LATENCY_MS), "--state", str(tmp_path / "orgs.json")],
        stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    try:
        yield json.loads(process.stdout.readline())
    finally:
        process.terminate()
        process.wait(timeout=30)


def configure(info: dict[str, Any], folder: Path, hook: Receiver) -> Config:
    """Escalate and reassign on breach, to a pool of the seeded reps, posting to ``hook``."""
    emails = sorted(r["Email"] for r in client(info).query_all(
        "SELECT Email FROM User WHERE Email LIKE '%sandbox-sales%'")["records"])
    pool = f'\n[sla.pool]\nreps = {json.dumps(emails)}\n'
    sla = POLICY.replace("[sla]\n", f'[sla]\nwebhook_url = "{hook.url}"\n'
                                    f'escalate_to = "{emails[0]}"\n') + pool
    return sandbox_config(info, folder, definition=DEFINITION, extra=sla)


def started(info: dict[str, Any], config: Config) -> datetime:
    """Sync, start the clocks; the latest handoff."""
    run_sync(config)
    run_sweep(config, datetime.now(UTC) + timedelta(minutes=1), allow_future_writes=True)
    stamps = [r["LeadSync_Handoff_At__c"] for r in client(info).query_all(
        "SELECT LeadSync_Handoff_At__c FROM Lead WHERE LeadSync_Handoff_At__c != null")
        ["records"]]
    return max(datetime.fromisoformat(s.replace("+0000", "+00:00")) for s in stamps)


def counts(info: dict[str, Any], config: Config, hook: Receiver) -> dict[str, Any]:
    keys = [r["LeadSync_Key__c"] for r in client(info).query_all(
        "SELECT LeadSync_Key__c FROM Task WHERE LeadSync_Key__c != null")["records"]]
    store = StateStore(config.state.url)
    try:
        events = [e["event"] for e in store.events("default")]
    finally:
        store.close()
    return {"tasks": len(keys), "duplicate tasks": len(keys) - len(set(keys)),
            "notifications": len(set(hook.keys)),
            "reassigned": events.count("reassigned"), "escalated": events.count("escalated")}


def recorded(config: Config) -> int:
    from sqlalchemy import func, select

    from leadsync.connector.schema import effects

    store = StateStore(config.state.url)
    try:
        with store.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(effects)).scalar() or 0)
    finally:
        store.close()


def assert_journeys_follow_clocks(config: Config) -> None:
    """Each lead's journey names the owner and CRM lead of its clock: the facts were saved
    with the clocks, or not at all, whatever the kills."""
    store = StateStore(config.state.url)
    try:
        clocks = store.clocks("default", open_only=False)
        journeys = {j.key: j for j in store.journeys("default")}
    finally:
        store.close()
    assert clocks and set(clocks) <= set(journeys)
    for key, clock in clocks.items():
        assert (journeys[key].owner_id, journeys[key].crm_id) == (clock["owner_id"],
                                                                   clock["crm_id"]), key
        assert journeys[key].handed_off_at is not None, key


@pytest.mark.parametrize("seed", [10, 11])
def test_a_sweep_killed_at_random_moments_then_run_to_the_end_does_each_effect_once(
        seed: int, served: dict[str, Any], tmp_path: Path, receiver: Receiver) -> None:
    with Sandbox(seed=PEOPLE) as clean:  # the same orgs, swept once without a kill
        (tmp_path / "clean").mkdir()
        config = configure(clean.info, tmp_path / "clean", receiver)
        run_sweep(config, started(clean.info, config) + BREACH, allow_future_writes=True)
        expected = counts(clean.info, config, receiver)
    assert expected["tasks"] > 5 and expected["reassigned"] > 3
    receiver.keys.clear()
    (tmp_path / "killed").mkdir()
    config = configure(served, tmp_path / "killed", receiver)
    now = (started(served, config) + BREACH).isoformat()
    command = [sys.executable, "-m", "leadsync", "sla", "sweep", "--config",
               str(tmp_path / "killed" / "leadsync.toml"), "--now", now, "--allow-future-writes"]
    env = {**os.environ, **sandbox_secrets(served)}
    rng = random.Random(seed)
    progress = []  # effects recorded after each kill
    for _ in range(KILLS):
        before = recorded(config)
        sweep = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 120
        while recorded(config) == before and sweep.poll() is None:  # into its apply step
            assert time.monotonic() < deadline, "the sweep never reached its apply step"
            time.sleep(0.01)
        time.sleep(rng.uniform(0.0, 0.6))
        sweep.kill()
        if sweep.wait() == 0:
            break  # it finished before the kill: nothing left to kill it in
        progress.append(recorded(config))

    finished = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)

    assert finished.returncode == 0, finished.stderr
    got = counts(served, config, receiver)
    assert got == expected, f"raw webhook posts: {len(receiver.keys)}"
    assert_journeys_follow_clocks(config)
    total = recorded(config)
    assert progress, "every sweep finished before its kill"  # each kill came in or after
    # the apply step (an effect recorded), before the clocks were saved
    print(f"effects recorded after each kill: {progress} of {total}; webhook posts "
          f"{len(receiver.keys)} for {got['notifications']} notifications")
