"""``leadsync reconcile`` killed with SIGKILL midway: the next one finishes the job.

The orgs are served in process (so the test can make drift in their stores, as a data load
would) and slowed down; the reconcile runs as a user runs it, in a process of its own, writing
in small batches, and is killed once its first batch has reached HubSpot.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from leadsync.connector.state import StateStore
from leadsync.demo import sandbox_secrets
from leadsync.jobs.reconcile import run_reconcile
from leadsync.jobs.sync import run_sync
from leadsync.sandbox.server import Sandbox
from tests.conftest import hubspot_client, salesforce_client
from tests.jobs.test_reconcile_e2e import behind_the_back, linked
from tests.jobs.test_sync_e2e import write_config
from tests.jobs.test_sync_recovery_e2e import contacts, leads

DRIFTS = 9  # on each side


def test_a_reconcile_killed_midway_is_finished_by_the_next_with_nothing_written_twice(
        make_sandbox: Callable[..., Sandbox], tmp_path: Path) -> None:
    sandbox = make_sandbox(seed=40, latency_ms=40)
    config = write_config(sandbox, tmp_path, extra_sync="batch_size = 3\nparallel = 1\n")
    for _ in range(4):
        if all(s.created == s.updated == 0 for s in run_sync(config).sides.values()):
            break
    people = linked(sandbox)
    assert len(people) >= 2 * DRIFTS
    titles = {email: f"Drift title {i}" for i, (email, _, _) in enumerate(people[:DRIFTS])}
    phones = {email: f"+1 555 02{i:02}" for i, (email, _, _) in
              enumerate(people[DRIFTS:2 * DRIFTS])}
    for email, lead, contact in people[:2 * DRIFTS]:
        if email in titles:
            behind_the_back(lead, Title=titles[email])  # goes to HubSpot, written first
        else:
            behind_the_back(contact, phone=phones[email])  # goes to Salesforce

    written = sandbox.hubspot.mutations
    process = subprocess.Popen(
        [sys.executable, "-m", "leadsync", "reconcile", "--config",
         str(tmp_path / "leadsync.toml")], env={**os.environ, **sandbox_secrets(sandbox.info)},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while sandbox.hubspot.mutations == written and process.poll() is None:
        time.sleep(0.005)  # polling the org, no timing assumed
    process.send_signal(signal.SIGKILL)
    assert process.wait() == -signal.SIGKILL  # killed after its first write, before its end

    sf, hs = salesforce_client(sandbox), hubspot_client(sandbox)
    arrived = (sum(contacts(hs)[e]["jobtitle"] == t for e, t in titles.items())
               + sum(leads(sf)[e]["Phone"] == p for e, p in phones.items()))
    assert 0 < arrived < 2 * DRIFTS

    repeat = run_reconcile(config)
    assert repeat.report.counts["repaired"] == 2 * DRIFTS - arrived  # none written twice
    assert {e: contacts(hs)[e]["jobtitle"] for e in titles} == titles
    assert {e: leads(sf)[e]["Phone"] for e in phones} == phones  # one record per email, too

    writes = sandbox.write_requests
    assert run_reconcile(config).report.repairs == []
    assert sandbox.write_requests == writes
    store = StateStore(config.state.url)
    statuses = [(run["job"], run["status"]) for run in store.runs("default", limit=3)]
    store.close()
    assert statuses == [("reconcile", "ok"), ("reconcile", "ok"),
                        ("reconcile", "interrupted")]
