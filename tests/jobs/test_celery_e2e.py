"""LeadSync on Celery, end to end: two worker processes (and beat) on the machine's Redis and
PostgreSQL, against sandbox orgs served by the test process through the real vendor clients.

Beat sends the sync and the SLA sweep of two connections (each its own portal and org) every
two seconds while people are edited on both sides of each, and another process of the same
HubSpot app reads beside the workers: no run of a job overlaps another of the same job on its
connection, every edit reaches the other side, and each sandbox's HubSpot, with a limit lowered
so that the calls meet it, answers no 429 (with each process's own budget, even fed HubSpot's
count of the window, the workers' parallel calls met a dozen). A worker killed with SIGKILL
mid-sync has its job taken up again, and the orgs end as passes nobody interrupted leave them.
"""

from __future__ import annotations

import bisect
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from simple_salesforce import Salesforce

from leadsync.adapters.hubspot.system import HubSpotSystem
from leadsync.connector.config import Config
from leadsync.connector.state import StateStore
from leadsync.demo import DEFINITION, sandbox_config, sandbox_secrets
from leadsync.jobs.celery_app import make_app
from leadsync.jobs.sync import adopt, prepare
from leadsync.sandbox.server import Sandbox
from tests.conftest import hubspot_client, salesforce_client
from tests.jobs.celery_support import (
    Processes,
    celery_config,
    connection_secrets,
    connections_config,
    overlapping,
    until,
)
from tests.jobs.test_sla_e2e import SLA
from tests.jobs.test_sync_recovery_e2e import contacts, leads

ROUNDS, EDITS = 3, 4
LIMIT = 20  # HubSpot calls per 10 s, in the sandbox and the config (less 10%: 18)


@pytest.fixture
def processes() -> Iterator[list[Processes]]:
    started: list[Processes] = []
    yield started
    for group in started:
        group.stop_all()


class Traffic:
    """What the sandbox's HubSpot answers from now on: the 429s, and when each request it
    admitted came (its own clock)."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.refused, self.admitted = 0, []  # type: list[float]
        limits = sandbox.hubspot.limits
        admit, refusal = limits.admit, limits.refusal

        def admitted(*args: Any, **kwargs: Any) -> Any:
            answer = admit(*args, **kwargs)
            if answer is None:
                self.admitted.append(limits.clock())
            return answer

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.refused += 1
            return refusal(*args, **kwargs)

        limits.admit, limits.refusal = admitted, counted  # type: ignore[method-assign]

    def peak(self, seconds: float = 10.0) -> int:
        """The most requests admitted in any ``seconds``."""
        times = sorted(self.admitted)
        return max((bisect.bisect_left(times, t + seconds) - i for i, t in enumerate(times)),
                   default=0)


def job_runs(url: str, connection: str, job: str = "sync") -> list[dict[str, Any]]:
    store = StateStore(url)
    try:
        return store.runs(connection, limit=500, job=job)
    finally:
        store.close()


def sync_runs(url: str) -> list[dict[str, Any]]:
    return job_runs(url, "default")


def idle(run: dict[str, Any]) -> bool:
    """A sync that ended well and wrote nothing on either side."""
    if run["status"] != "ok":
        return False
    sides = [side for side in run["summary"]["counts"].values()
             if isinstance(side, dict) and "created" in side]
    assert len(sides) == 2, run["summary"]
    return all(side["created"] == side["updated"] == 0 for side in sides)


def portal_contacts(sandbox: Sandbox) -> dict[str, dict[str, Any]]:
    """The portal's live contacts by email, read in the sandbox: a test's reads through the
    API would take from the 10-second limit the workers share."""
    with sandbox.hubspot.lock:
        return {str(c["properties"]["email"]).lower(): {**c["properties"], "id": c["id"]}
                for c in sandbox.hubspot.store.live("contacts") if c["properties"].get("email")}


def on_both_sides(sf: Salesforce, sandbox: Sandbox
                  ) -> dict[str, tuple[dict[str, Any], dict[str, Any]]]:
    found_leads, found_contacts = leads(sf), portal_contacts(sandbox)
    return {email: (found_leads[email], found_contacts[email])
            for email in sorted(set(found_leads) & set(found_contacts))}


def edit_contact(sandbox: Sandbox, email: str, values: dict[str, str]) -> None:
    """An edit in HubSpot's own screens (no API call)."""
    store = sandbox.hubspot.store
    with sandbox.hubspot.lock:
        [record] = [c for c in store.live("contacts") if c["properties"].get("email") == email]
        store.update("contacts", record, values, source="CRM_UI")


def read_beside(config: Config, done: threading.Event) -> None:
    """Another process of the same private app (a ``leadsync`` command beside the workers):
    a HubSpot read every 0.6 s, under the budget the workers share."""
    from leadsync.adapters.registry import build_system
    from leadsync.jobs.shared_budgets import budgets_for

    hubspot = build_system(*config.marketing, budgets=budgets_for(config))
    assert isinstance(hubspot, HubSpotSystem)
    while not done.wait(0.6):
        hubspot.calls("read", hubspot.client.crm.contacts.basic_api.get_page, limit=1)


def test_two_workers_and_beat_over_two_connections_run_jobs_once_at_a_time_losing_nothing(
        make_sandbox: Callable[..., Sandbox], tmp_path: Path, postgres_url: str,
        redis_url: str, processes: list[Processes]) -> None:
    orgs = {name: make_sandbox(seed=seed, latency_ms=20, rate_limit=LIMIT)
            for name, seed in (("east", 60), ("west", 61))}
    traffic = {name: Traffic(sandbox) for name, sandbox in orgs.items()}
    config = connections_config(orgs, tmp_path, postgres_url, redis_url,
                                hubspot=f"rate_limit = {LIMIT}\nrate_margin = 0.1\n",
                                sync="batch_size = 10\nparallel = 4\n")
    group = Processes(config, connection_secrets(orgs), tmp_path)
    processes.append(group)
    group.worker("one")
    group.worker("two")
    group.beat(every=2.0)
    sf = {name: salesforce_client(sandbox) for name, sandbox in orgs.items()}

    def settled(after: dict[str, int]) -> bool:
        for name in orgs:
            runs = [run for run in job_runs(postgres_url, name) if run["id"] > after[name]]
            if not runs or not idle(max(runs, key=lambda run: run["id"])):
                return False
        return True

    def explain() -> str:
        runs = {name: [(run["id"], run["status"], run["summary"].get("counts"))
                       for run in job_runs(postgres_url, name)[:6]] for name in orgs}
        return f"the latest sync runs: {runs}\n{group.logs()}"

    until(lambda: settled(dict.fromkeys(orgs, 0)), 300,
          "first syncs that leave nothing to write", explain)
    pairs = {name: list(on_both_sides(sf[name], sandbox)) for name, sandbox in orgs.items()}
    assert all(len(found) >= ROUNDS * EDITS * 2 for found in pairs.values())
    reading = threading.Event()
    reader = threading.Thread(target=read_beside, args=(config.for_connection("east"), reading),
                              daemon=True)
    reader.start()
    edited: dict[str, dict[str, tuple[str, str, str]]] = {name: {} for name in orgs}
    for round_ in range(ROUNDS):
        for name, sandbox in orgs.items():
            edited[name].update(edit(sandbox, sf[name], round_, pairs[name][
                round_ * EDITS * 2:(round_ + 1) * EDITS * 2]))
        time.sleep(1.5)  # edits land while beat's jobs run
    last = {name: max(run["id"] for run in job_runs(postgres_url, name)) for name in orgs}
    until(lambda: settled(last), 300, "syncs after the edits that leave nothing to write",
          explain)
    # beat sends the SLA sweep beside the syncs; on a loaded machine its first run may come
    # after the syncs settled: wait for one per connection, so that overlaps can be looked at
    until(lambda: all(job_runs(postgres_url, name, "sla") for name in orgs), 300,
          "an SLA sweep of each connection", group.logs)
    reading.set()
    reader.join(timeout=60)
    group.stop_all()

    for name, sandbox in orgs.items():
        runs = job_runs(postgres_url, name)
        # the first sync and one after the edits at least (a loaded machine may fold the
        # edits into one run); every one ended well
        assert len(runs) >= 2 and {run["status"] for run in runs} == {"ok"}, [
            (r["id"], r["started_at"].isoformat(), r["summary"]["counts"]) for r in runs]
        assert overlapping(runs) == []
        sweeps = job_runs(postgres_url, name, "sla")
        assert sweeps and overlapping(sweeps) == []
        end = on_both_sides(sf[name], sandbox)
        for email, (lead_field, contact_field, value) in edited[name].items():  # none lost
            lead, contact = end[email]
            assert (lead[lead_field], contact[contact_field]) == (value, value), email
        for email, (lead, contact) in end.items():  # both sides agree
            assert (lead["Title"] or "", lead["Phone"] or "") == (
                contact.get("jobtitle") or "", contact.get("phone") or ""), email
        assert traffic[name].refused == 0
    # the busiest 10 s of each portal within its limit: the workers' calls together, and the
    # reader's beside them, stayed under the one budget (how close they came depends on the
    # machine's load, so it is not asserted)
    assert all(traffic[name].peak() <= LIMIT for name in orgs)
    logs = "".join(path.read_text(errors="replace") for path in tmp_path.glob("*.log"))
    assert "job done" in logs  # a tick finding its job running is skipped (test_celery_app)
    assert not [secret for secret in connection_secrets(orgs).values() if secret in logs]


def edit(sandbox: Sandbox, sf: Salesforce, round_: int, emails: list[str]
         ) -> dict[str, tuple[str, str, str]]:
    """Titles edited in HubSpot and phones in Salesforce; email: lead field, contact field,
    value."""
    edited = {}
    for i, email in enumerate(emails):
        if i % 2:
            title = f"Title {round_}.{i}"
            edit_contact(sandbox, email, {"jobtitle": title})
            edited[email] = ("Title", "jobtitle", title)
        else:
            phone = f"+1 555 02{round_}{i}"
            sf.Lead.update(_lead_id(sf, email), {"Phone": phone})
            edited[email] = ("Phone", "phone", phone)
    return edited


def _lead_id(sf: Salesforce, email: str) -> str:
    [row] = sf.query(f"SELECT Id FROM Lead WHERE Email = '{email}'")["records"]
    return str(row["Id"])


@pytest.mark.parametrize("lost", ["machine", "process"])
def test_a_worker_killed_mid_sync_has_its_job_done_again_as_if_never_interrupted(
        make_sandbox: Callable[..., Sandbox], tmp_path: Path, postgres_url: str,
        redis_url: str, processes: list[Processes], lost: str) -> None:
    """``machine``: the worker and its pool process killed; Redis hands the job to the other
    worker after the visibility timeout. ``process``: only the pool process running the job
    killed (the OOM killer, say); its worker gives the job back at once (the visibility
    timeout is made too long to matter), and one of the two workers runs it."""
    sandbox = make_sandbox(seed=60, latency_ms=80)
    config = celery_config(sandbox, tmp_path, postgres_url, redis_url,
                           visibility=20 if lost == "machine" else 3600)
    group = Processes(config, sandbox_secrets(sandbox.info), tmp_path)
    processes.append(group)
    group.worker("one")
    group.worker("two")
    app = make_app(config)
    path = str(config.source_path)

    app.send_task("leadsync.sync", args=[path, "default"])
    holder = until(lambda: _running_holder(postgres_url), 120, "a sync holding its lock",
                   group.logs)
    killed = group.owner_of(holder)
    assert killed in ("one", "two"), (holder, group.logs())
    if lost == "machine":
        group.kill(killed)
    else:
        os.kill(holder, signal.SIGKILL)

    until(lambda: [run for run in sync_runs(postgres_url) if run["status"] == "ok"], 180,
          "the killed sync run again", group.logs)
    for _ in range(4):  # until a pass has nothing left to write, as the reference does
        if idle(max(sync_runs(postgres_url), key=lambda run: run["id"])):
            break
        app.send_task("leadsync.sync", args=[path, "default"])
        until(partial(one_more_finished, postgres_url, len(sync_runs(postgres_url))), 120,
              "one more sync", group.logs)
    runs = sorted(sync_runs(postgres_url), key=lambda run: run["id"])
    group.stop_all()

    assert [run["status"] for run in runs][:2] == ["interrupted", "ok"]
    assert overlapping(runs) == []
    assert idle(runs[-1])
    sf, hs = salesforce_client(sandbox), hubspot_client(sandbox)
    assert (leads(sf), contacts(hs)) == reference(make_sandbox, tmp_path / "reference")


def one_more_finished(url: str, count: int) -> bool:
    runs = sync_runs(url)
    return len(runs) > count and all(run["finished_at"] for run in runs)


def _running_holder(url: str) -> int | None:
    """The process id of a sync holding its lock with its run started."""
    from sqlalchemy import select

    from leadsync.connector.schema import run_locks

    store = StateStore(url)
    try:
        with store.engine.connect() as conn:
            row = conn.execute(select(run_locks).where(run_locks.c.job == "sync")).first()
        return int(row.pid) if row is not None and row.run_id is not None else None
    finally:
        store.close()


def reference(make_sandbox: Callable[..., Sandbox], folder: Path) -> Any:
    """The same orgs synced by passes nobody interrupts, until one writes nothing."""
    folder.mkdir()
    sandbox = make_sandbox(seed=60)
    engine = prepare(sandbox_config(sandbox.info, folder, state="state.db",
                                    definition=DEFINITION, extra=SLA))
    full = adopt(engine)
    for _ in range(4):
        result = engine.run(full=full)
        full = False
        if all(s.created == s.updated == 0 for s in result.sides.values()):
            break
    engine.store.close()
    return leads(salesforce_client(sandbox)), contacts(hubspot_client(sandbox))


def test_a_sharded_sync_sent_to_two_workers_ends_as_a_plain_pass_under_one_budget(
        make_sandbox: Callable[..., Sandbox], tmp_path: Path, postgres_url: str,
        redis_url: str, processes: list[Processes]) -> None:
    """One connection's sync in two shards: the planning task sends a task per shard, the two
    workers take one each under the connection's one HubSpot budget (shared in Redis), and the
    shard that completes the pass last moves the cursors."""
    sandbox = make_sandbox(seed=60, rate_limit=LIMIT)
    config = celery_config(sandbox, tmp_path, postgres_url, redis_url,
                           hubspot=f"rate_limit = {LIMIT}\nrate_margin = 0.1\n")
    traffic = Traffic(sandbox)
    group = Processes(config, sandbox_secrets(sandbox.info), tmp_path)
    processes.append(group)
    group.worker("one")
    group.worker("two")
    app = make_app(config)

    app.send_task("leadsync.sync_sharded", args=[str(config.source_path), "default", 2])
    shard_jobs = ("sync:shard-0-of-2", "sync:shard-1-of-2")
    until(lambda: all(any(run["status"] == "ok" for run in job_runs(postgres_url, "default",
                                                                   job)) for job in shard_jobs),
          240, "both shards done", group.logs)
    store = StateStore(postgres_url)
    try:
        until(lambda: store.cursor("default", "salesforce") is not None, 60,
              "the pass finished", group.logs)
        shards = [run for job in shard_jobs for run in store.runs("default", job=job)]
    finally:
        store.close()
    group.stop_all()

    assert [run["status"] for run in shards] == ["ok", "ok"]
    assert traffic.refused == 0 and traffic.peak() <= LIMIT  # two workers, one budget: no 429
    sf, hs = salesforce_client(sandbox), hubspot_client(sandbox)
    assert (leads(sf), contacts(hs)) == reference(make_sandbox, tmp_path / "reference")
