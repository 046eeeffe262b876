"""Sharded SLA sweeps end to end: two shards side by side against the sandbox orgs.

Identical orgs get the same SLA phases (handoff with round-robin assignment, a breach that
escalates and reassigns, the cadence's end that recycles), one by plain sweeps, the other by
sweeps split into two shards running at the same time. Both must make the same tasks,
notifications, reassignments and recycles, each once; and the round robin, replayed from the
audit trail, must have given every lead to the rep whose turn it was: none skipped, none given
a turn twice, the saved position where the turns end.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest

from leadsync.connector.errors import LockHeld
from leadsync.connector.shards import ShardedPass
from leadsync.connector.state import StateStore
from leadsync.connector.sweep_actions import SweepPlan
from leadsync.demo import DEFINITION, sandbox_config
from leadsync.jobs.sla import run_sweep
from leadsync.jobs.sla_shards import finish_sweep_shards, plan_sweep_shards, run_sweep_shard
from leadsync.jobs.sync import run_sync
from leadsync.sandbox.server import Sandbox
from tests.conftest import hubspot_client, salesforce_client
from tests.jobs.test_sla_e2e import HOT, reps
from tests.jobs.test_sla_effects_e2e import (
    POLICY,
    POOL,
    Killed,
    Orgs,
    Receiver,
    Tripwire,
)
from tests.jobs.test_sla_effects_e2e import tripwire as tripwire  # a fixture

PEOPLE = 8
PHASES = {"breach": timedelta(hours=2), "recycle": timedelta(days=3, hours=1)}


@contextmanager
def receiver() -> Iterator[Receiver]:
    """A real local webhook receiver."""
    got = Receiver("")

    class Hook(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            got.keys.append(self.headers["Idempotency-Key"])
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    got.url = f"http://127.0.0.1:{server.server_port}/sla"
    try:
        yield got
    finally:
        server.shutdown()


def synced(make_sandbox: Callable[..., Sandbox], folder: Path, hook: Receiver) -> Orgs:
    """Hot leads synced to Salesforce, owned by a rep outside the pool (the first sweep gives
    them to the pool's reps); no sweep yet."""
    folder.mkdir()
    sandbox = make_sandbox(seed=0)
    manager = sandbox.salesforce.insert_raw("User", {
        "FirstName": "Cyndi", "LastName": "Park", "Email": "cyndi@sales.example",
        "Username": "cyndi@sales.example", "TimeZoneSidKey": "America/New_York",
        "IsActive": True})
    sandbox.salesforce.insert_raw("User", {
        "FirstName": "Rick", "LastName": "Rep", "Email": "rick@sales.example",
        "Username": "rick@sales.example", "TimeZoneSidKey": "America/New_York",
        "IsActive": True, "ManagerId": manager})
    reps(sandbox, "amy", "bob", "cara")
    owner = sandbox.hubspot.owners.add("Rick", "Rep", "rick@sales.example",
                                       sandbox.hubspot.stamp())["id"]
    sla = POLICY.replace("[sla]\n", f'[sla]\nwebhook_url = "{hook.url}"\n') + POOL
    config = sandbox_config(sandbox.info, folder, definition=DEFINITION, extra=sla)
    hs = hubspot_client(sandbox)
    for n in range(PEOPLE):
        hs.crm.contacts.basic_api.create(simple_public_object_input_for_create={"properties": {
            **HOT, "email": f"person{n}@analytical.example", "lastname": f"Person {n}",
            "hubspot_owner_id": str(owner)}})
    run_sync(config)
    return Orgs(sandbox, config, datetime.now(UTC), hook)


def handoff(orgs: Orgs) -> datetime:
    rows = salesforce_client(orgs.sandbox).query(
        "SELECT LeadSync_Handoff_At__c FROM Lead")["records"]
    return max(datetime.fromisoformat(r["LeadSync_Handoff_At__c"].replace("+0000", "+00:00"))
               for r in rows)


def sharded_sweep(orgs: Orgs, now: datetime, rerun: int | None = None) -> ShardedPass:
    """A sweep at ``now`` in two shards side by side (threads); ``rerun``: that shard runs
    once more before the sweep is finished."""
    spec = plan_sweep_shards(orgs.config, 2, now=now)
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def shard(index: int) -> None:
        try:
            start.wait()
            run_sweep_shard(orgs.config, spec, index)
        except BaseException as exc:  # raised again below
            errors.append(exc)

    threads = [threading.Thread(target=shard, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    if rerun is not None:
        run_sweep_shard(orgs.config, spec, rerun)
    assert finish_sweep_shards(orgs.config, spec) == []
    return spec


def state(orgs: Orgs) -> dict[str, Any]:
    """What the orgs, the receiver and the audit hold, each lead's status and recycle count
    (its owner is the round robin's business: ``turns``)."""
    counts = orgs.counts()
    leads = counts.pop("leads")
    return {**counts, "statuses": sorted((e, s, n) for e, (_, s, n) in leads.items())}


def turns(orgs: Orgs, pool: list[str]) -> tuple[int, Counter[str]]:
    """Replay every assignment of the audit trail, in the order it was recorded, on the
    round robin: each must have gone to the next rep in turn (passing over only the owner a
    breached lead is taken from), and the saved position must be where the replay ends. The
    position, and the leads each rep owns now."""
    store = StateStore(orgs.config.state.url)
    try:
        events = [e for e in store.events("default") if e["event"] in ("assigned",
                                                                        "reassigned")]
        saved = store.job_value("default", "round_robin")
    finally:
        store.close()
    position = 0
    for event in events:
        away = event["details"]["from"] if event["event"] == "reassigned" else None
        order = [pool[(position + step) % len(pool)] for step in range(len(pool))]
        turn = next(rep for rep in order if rep != away)
        assert event["details"]["to"] == turn, f"{event['key']}: not the rep in turn"
        position = (pool.index(turn) + 1) % len(pool)
    assert saved == position
    leads = salesforce_client(orgs.sandbox).query_all("SELECT OwnerId FROM Lead")["records"]
    return position, Counter(r["OwnerId"] for r in leads)


def pool_ids(orgs: Orgs) -> list[str]:
    users = salesforce_client(orgs.sandbox).query_all(
        "SELECT Id, Email FROM User")["records"]
    by_email = {u["Email"]: u["Id"] for u in users}
    return [by_email[f"{name}@sales.example"] for name in ("amy", "bob", "cara")]


def test_two_sweep_shards_side_by_side_do_what_one_sweep_does_each_effect_once(
        make_sandbox: Callable[..., Sandbox], tmp_path: Path) -> None:
    with receiver() as plain_hook, receiver() as sharded_hook:
        plain = synced(make_sandbox, tmp_path / "plain", plain_hook)
        sharded = synced(make_sandbox, tmp_path / "sharded", sharded_hook)
        pool = pool_ids(sharded)
        start = datetime.now(UTC) + timedelta(minutes=1)
        run_sweep(plain.config, start, allow_future_writes=True)
        sharded_sweep(sharded, start)
        assert state(sharded) == state(plain)
        assert state(sharded)["assigned"] == PEOPLE
        position, owners = turns(sharded, pool)  # 8 leads, 3 reps: 3, 3 and 2, from amy
        assert (position, sorted(owners.values())) == (PEOPLE % 3, [2, 3, 3])

        for phase, offset in PHASES.items():
            run_sweep(plain.config, handoff(plain) + offset, allow_future_writes=True)
            sharded_sweep(sharded, handoff(sharded) + offset, rerun=0)  # shard 0 twice
            ends = state(sharded)
            assert ends == state(plain), phase  # the same effects, each once
            assert ends["tasks"] == ends["distinct tasks"] > 0
            assert ends["notifications"] == ends["distinct notifications"] == ends["tasks"]
            assert ends["reassigned"] >= PEOPLE
            turns(sharded, pool)
        assert ends["recycled"] == PEOPLE


def test_a_plain_sweep_waits_for_a_sharded_one(make_sandbox: Callable[..., Sandbox],
                                               tmp_path: Path) -> None:
    with receiver() as hook:
        orgs = synced(make_sandbox, tmp_path / "orgs", hook)
        now = datetime.now(UTC) + timedelta(minutes=1)
        spec = plan_sweep_shards(orgs.config, 2, now=now)
        with pytest.raises(LockHeld, match="sharded pass"):
            run_sweep(orgs.config, now, allow_future_writes=True)
        run_sweep_shard(orgs.config, spec, 1)
        assert finish_sweep_shards(orgs.config, spec) == [0]
        run_sweep_shard(orgs.config, spec, 0)
        assert finish_sweep_shards(orgs.config, spec) == []
        result = run_sweep(orgs.config, now, allow_future_writes=True)  # the lock is back
        assert result.started == 0 and state(orgs)["assigned"] == PEOPLE


@pytest.mark.parametrize("stop", ["before the CRM write", "before the clocks are saved"])
def test_a_sweep_shard_stopped_mid_apply_then_run_again_after_the_other_does_each_effect_once(
        stop: str, make_sandbox: Callable[..., Sandbox], tmp_path: Path,
        tripwire: Tripwire, monkeypatch: pytest.MonkeyPatch) -> None:
    """Shard 0 dies (after it reserved its turns) before its apply step's write, or after
    it; shard 1 then takes its turns and completes; shard 0's second attempt gives each lead
    the rep it reserved, and the next sweep goes on from the right turn."""
    with receiver() as plain_hook, receiver() as hook:
        plain = synced(make_sandbox, tmp_path / "plain", plain_hook)
        orgs = synced(make_sandbox, tmp_path / "sharded", hook)
        pool = pool_ids(orgs)
        start = datetime.now(UTC) + timedelta(minutes=1)
        run_sweep(plain.config, start, allow_future_writes=True)
        run_sweep(plain.config, handoff(plain) + PHASES["breach"], allow_future_writes=True)
        spec = plan_sweep_shards(orgs.config, 2, now=start)
        if stop == "before the CRM write":
            tripwire.at, tripwire.calls = 0, []
        else:
            def die(self: SweepPlan, refused: Any) -> Any:
                raise Killed("after the apply step")

            monkeypatch.setattr(SweepPlan, "settle", die)
        with pytest.raises(Killed):
            run_sweep_shard(orgs.config, spec, 0)  # the handoffs: assignments
        tripwire.at = None
        monkeypatch.undo()
        assert finish_sweep_shards(orgs.config, spec) == [0, 1]
        run_sweep_shard(orgs.config, spec, 1)
        run_sweep_shard(orgs.config, spec, 0)
        assert finish_sweep_shards(orgs.config, spec) == []
        position, owners = turns(orgs, pool)
        assert (position, sorted(owners.values())) == (PEOPLE % 3, [2, 3, 3])
        sharded_sweep(orgs, handoff(orgs) + PHASES["breach"])
        assert state(orgs) == state(plain)
        turns(orgs, pool)
