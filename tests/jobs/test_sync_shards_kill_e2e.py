"""A shard killed mid-pass (SIGKILL of its process, as a worker dies) and run again.

The shard runs in a process of its own against orgs that answer slowly; it is killed right
after its first write reached an org, in the first sync and again in a pass of edits on both
sides. Until it is run again the pass is not finished and the cursors stay; once it has run
again (beside the other shard) and the pass is finished, the orgs hold what plain passes give
on identical orgs: no duplicate, no lost edit, and the pass after writes nothing.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from leadsync.connector.shards import ShardedPass, done
from leadsync.connector.state import StateStore
from leadsync.demo import sandbox_secrets
from leadsync.jobs.shards import finish_sync_shards, plan_sync_shards
from leadsync.jobs.sync import run_sync
from leadsync.sandbox.server import Sandbox
from tests.conftest import hubspot_client, salesforce_client
from tests.jobs.test_sync_recovery_e2e import contacts, leads
from tests.jobs.test_sync_shards_e2e import configure, cursors, edit, side_by_side

SEED = 60
SHARD = """
import json, sys
from leadsync.adapters.registry import load_builtin_kinds
from leadsync.connector.config_file import load_config
from leadsync.connector.shards import ShardedPass
from leadsync.jobs.shards import run_sync_shard
load_builtin_kinds()
run_sync_shard(load_config(sys.argv[1]), ShardedPass.from_json(json.loads(sys.argv[2])),
               int(sys.argv[3]))
"""


def mutations(sandbox: Sandbox) -> int:
    return sandbox.salesforce.mutations + sandbox.hubspot.mutations


def killed_after_first_write(sandbox: Sandbox, config_path: Path, spec: ShardedPass,
                             index: int) -> None:
    """Run shard ``index`` in a process and SIGKILL it once it has written to an org."""
    before = mutations(sandbox)
    process = subprocess.Popen(
        [sys.executable, "-c", SHARD, str(config_path), json.dumps(spec.as_json()), str(index)],
        env={**os.environ, **sandbox_secrets(sandbox.info)}, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)
    while mutations(sandbox) == before and process.poll() is None:
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    assert process.wait() == -signal.SIGKILL, "the shard ended before it could be killed"


def test_a_shard_killed_mid_pass_then_run_again_ends_as_plain_passes_do(
        make_sandbox: Callable[..., Sandbox], tmp_path: Path) -> None:
    plain_orgs = make_sandbox(seed=SEED)
    slow_orgs = make_sandbox(seed=SEED, latency_ms=150)
    plain = configure(plain_orgs, tmp_path / "plain", "sqlite")
    sharded = configure(slow_orgs, tmp_path / "sharded", "sqlite")
    clients = [(salesforce_client(orgs), hubspot_client(orgs)) for orgs in (plain_orgs,
                                                                           slow_orgs)]
    for round_ in (1, 2):  # the first sync; then edits on both sides
        if round_ == 2:
            for sf, hs in clients:
                edit(sf, hs)
        run_sync(plain)
        spec = plan_sync_shards(sharded, 2)
        before = cursors(sharded)
        killed_after_first_write(slow_orgs, tmp_path / "sharded" / "leadsync.toml", spec, 0)

        store = StateStore(sharded.state.url)
        try:
            assert 0 not in done(store, spec)  # killed before it was complete
        finally:
            store.close()
        assert finish_sync_shards(sharded, spec) == [0, 1]
        assert cursors(sharded) == before  # nothing moves while a shard is missing

        side_by_side(sharded, spec)  # shard 0 again (its lock's holder is gone), and shard 1
        assert finish_sync_shards(sharded, spec) == []
        assert cursors(sharded) != before
        ends = [(leads(sf), contacts(hs)) for sf, hs in clients]  # no duplicate on either
        assert ends[1] == ends[0]  # same records and values: no lost edit, nothing erased
    after = run_sync(sharded)
    assert all(s.created == s.updated == 0 for s in after.sides.values())
