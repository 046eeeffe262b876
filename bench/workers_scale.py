"""Benchmark: sync on Celery workers, one worker against two, within each vendor's limits.

Two scenarios, each a first sync of leads that start in Salesforce (the HubSpot writes, 100
records a call at 190 calls per rolling 10 s, are what limits the pass):

- ``connections``: two connections, each with its own sandbox orgs (one `leadsync sandbox
  serve` process per connection, enforcing HubSpot's limits), synced by one worker, then (on
  fresh orgs and a fresh state store) by two. Reported: wall time from the first task sent to
  the last run finished, records per second, the ratio of the two, and the retries the runs
  recorded (a 429 is a retry; the sandbox sends no other trouble here).
- ``sharded``: one connection's sync split into two shards that two workers take side by side,
  both under the connection's one HubSpot budget, shared in Redis. Reported: records per
  second against the limit's capacity (1,900 records/s: 19 calls/s of 100 records) and the
  retries (429s) the shards' runs recorded.

The state store is a PostgreSQL database made for the run (127.0.0.1:5432, trust auth) and the
broker and shared budgets Redis on 127.0.0.1:6379 (database 15), as a deployment has them.

Also reported: the CPU seconds of the workers (with their pool processes) and of the sandbox
processes (which includes seeding the orgs), from ``os.wait4``; and how busy the machine's
cores were over the timed window (``/proc/stat``: every process, PostgreSQL and Redis too),
which says whether a run was held back by the machine rather than by the vendors' limits.

Run by hand: ``python bench/workers_scale.py --leads 40000 [--scenario connections sharded]``.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

CAPACITY = 1_900.0  # HubSpot: 190 calls per 10 s, 100 records a call
POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/{database}"
REDIS = "redis://127.0.0.1:6379/15"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--leads", type=int, default=20_000, help="leads per connection")
    parser.add_argument("--scenario", nargs="+", choices=["connections", "sharded"],
                        default=["connections", "sharded"])
    args = parser.parse_args()
    if "connections" in args.scenario:
        one = connections(args.leads, workers=1)
        two = connections(args.leads, workers=2)
        print(f"two workers / one worker: {two['rate'] / one['rate']:.2f}x records/s")
    if "sharded" in args.scenario:
        sharded(args.leads * 2)


def connections(leads: int, workers: int) -> dict[str, Any]:
    """Two connections of ``leads`` each, synced by ``workers`` workers."""
    CPU.update(workers=0.0, sandboxes=0.0)
    with orgs(["emea", "amer"], leads) as (path, env), celery_workers(path, env, workers):
        started, cores = time.perf_counter(), machine_cpu()
        for name in ("emea", "amer"):
            send(path, env, "leadsync.sync", (str(path), name))
        runs = wait_for_runs(path, env, {"sync": 2})
        wall, busy = time.perf_counter() - started, busy_since(cores)
    figures = summarise(runs, wall, 2 * leads)
    print(f"## two connections x {leads:,} leads, {workers} worker(s): {wall:.1f} s, "
          f"{figures['rate']:,.0f} records/s, retries (429s) {figures['retries']}, "
          f"HubSpot calls {figures['hubspot_calls']}; CPU s: workers {CPU['workers']:.1f} "
          f"({CPU['workers'] / (2 * leads) * 1000:.3f} ms/record), sandboxes "
          f"{CPU['sandboxes']:.1f}; machine {busy}")
    return figures


def sharded(leads: int) -> dict[str, Any]:
    """One connection of ``leads``, its sync in two shards taken by two workers."""
    CPU.update(workers=0.0, sandboxes=0.0)
    with orgs(["solo"], leads) as (path, env), celery_workers(path, env, 2):
        started, cores = time.perf_counter(), machine_cpu()
        send(path, env, "leadsync.sync_sharded", (str(path), "solo", 2))
        runs = wait_for_runs(path, env, {"sync:shard-0-of-2": 1, "sync:shard-1-of-2": 1})
        wall, busy = time.perf_counter() - started, busy_since(cores)
    figures = summarise(runs, wall, leads)
    print(f"## one connection x {leads:,} leads, two shards on two workers: {wall:.1f} s, "
          f"{figures['rate']:,.0f} records/s = {figures['rate'] / CAPACITY:.0%} of HubSpot's "
          f"{CAPACITY:,.0f}, retries (429s) {figures['retries']}, "
          f"HubSpot calls {figures['hubspot_calls']}; CPU s: workers {CPU['workers']:.1f} "
          f"({CPU['workers'] / leads * 1000:.3f} ms/record), sandboxes "
          f"{CPU['sandboxes']:.1f}; machine {busy}")
    return figures


def machine_cpu() -> list[int]:
    """The machine's CPU time so far, in ticks: user, nice, system, idle, iowait, ..."""
    with open("/proc/stat", encoding="ascii") as stat:
        return [int(tick) for tick in stat.readline().split()[1:]]


def busy_since(before: list[int]) -> str:
    """How busy the cores were since ``before`` (``machine_cpu``), as a phrase."""
    spent = [after - then for after, then in zip(machine_cpu(), before, strict=False)]
    idle = spent[3] + spent[4]
    steal = spent[7] if len(spent) > 7 else 0  # taken by the hypervisor for other machines
    return (f"{1 - idle / sum(spent):.0%} busy over {os.cpu_count()} cores "
            f"(every process; {steal / sum(spent):.0%} of it stolen by the hypervisor)")


def summarise(runs: list[dict[str, Any]], wall: float, records: int) -> dict[str, Any]:
    bad = [run for run in runs if run["status"] != "ok"]
    if bad:
        raise SystemExit(f"runs did not end ok: {json.dumps(bad, default=str)[:2000]}")
    retries = sum(sum(run["summary"].get("retries", {}).values()) for run in runs)
    hubspot = sum(calls for run in runs
                  for name, calls in run["summary"].get("calls", {}).items()
                  if name.startswith("hubspot"))
    return {"wall": wall, "rate": records / wall, "retries": retries, "hubspot_calls": hubspot}


@contextmanager
def orgs(names: list[str], leads: int) -> Iterator[tuple[Path, dict[str, str]]]:
    """Sandbox orgs per connection (each in a process of its own), a PostgreSQL database and
    a config naming them, LeadSync's fields installed; the config's path and environment."""
    from leadsync.sandbox_connections import connections_config, connections_secrets

    folder = Path(tempfile.mkdtemp(prefix="leadsync-workers-"))
    database = f"leadsync_bench_{uuid.uuid4().hex[:8]}"
    sandboxes = [subprocess.Popen(
        [sys.executable, "-m", "leadsync", "sandbox", "serve", "--people", str(leads),
         "--where", "salesforce", "--rate-limit", "190", "--daily-api-limit", "100000000"],
        stdout=subprocess.PIPE, text=True) for _ in names]
    admin(f'CREATE DATABASE "{database}"')
    try:
        infos = {}
        for name, sandbox in zip(names, sandboxes, strict=True):
            assert sandbox.stdout is not None
            infos[name] = json.loads(sandbox.stdout.readline())
        queue = f"bench-{uuid.uuid4().hex[:8]}"
        connections_config(infos, folder, state_url=POSTGRES.format(database=database),
                           extra=f'\n[scale]\nredis_url = "{REDIS}"\nqueue = "{queue}"\n'
                                 '\n[logging]\nlevel = "warning"\n')
        env = {**os.environ, **connections_secrets(infos),
               "LEADSYNC_CONFIG": str(folder / "leadsync.toml")}
        yield folder / "leadsync.toml", env
    finally:
        for sandbox in sandboxes:
            sandbox.send_signal(signal.SIGTERM)
        for sandbox in sandboxes:
            CPU["sandboxes"] += reaped(sandbox)
        admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


@contextmanager
def celery_workers(path: Path, env: dict[str, str], count: int) -> Iterator[None]:
    workers = [subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "leadsync.jobs.celery_app", "worker", "-c", "1",
         "-n", f"bench{i}@%h", "--without-gossip", "--without-mingle", "-l", "warning"],
        env=env, cwd=path.parent) for i in range(count)]
    try:
        time.sleep(3)  # the workers connect to Redis before the first task is sent
        yield
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        for worker in workers:
            CPU["workers"] += reaped(worker)


def reaped(process: subprocess.Popen[Any], timeout: float = 120) -> float:
    """Wait for ``process`` to end; its CPU seconds and its children's (``os.wait4``)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        pid, _, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            process.returncode = 0
            return usage.ru_utime + usage.ru_stime
        time.sleep(0.1)
    process.kill()
    _, _, usage = os.wait4(process.pid, 0)
    return usage.ru_utime + usage.ru_stime


CPU = {"workers": 0.0, "sandboxes": 0.0}


def send(path: Path, env: dict[str, str], task: str, args: tuple[Any, ...]) -> None:
    """Send ``task`` as beat or an admin would, from this process (its app made once)."""
    from leadsync.adapters.registry import load_builtin_kinds
    from leadsync.connector.config_file import load_config
    from leadsync.jobs.celery_app import make_app

    if path not in APPS:
        load_builtin_kinds()
        APPS[path] = make_app(load_config(path, env=env))
    APPS[path].send_task(task, args=list(args))


APPS: dict[Path, Any] = {}


def wait_for_runs(path: Path, env: dict[str, str], wanted: dict[str, int],
                  timeout: float = 3600) -> list[dict[str, Any]]:
    """The finished runs of the jobs ``wanted`` (job -> how many), once all have ended.

    Polled every 0.1 s (the wall time is measured to the poll that sees the runs end) with one
    count per poll, light enough not to take the workers' CPU; the runs read once at the end.
    """
    from sqlalchemy import func, select

    from leadsync.adapters.registry import load_builtin_kinds
    from leadsync.connector.config_file import load_config
    from leadsync.connector.schema import runs
    from leadsync.connector.state import StateStore

    load_builtin_kinds()
    config = load_config(path, env=env)
    store = StateStore(config.state.url)
    names = config.connection_names()
    ended = (select(runs.c.job, func.count()).where(
        runs.c.connection.in_(names), runs.c.job.in_(list(wanted)),
        runs.c.status != "running").group_by(runs.c.job))
    deadline = time.monotonic() + timeout
    try:
        with store.engine.connect() as conn:
            while time.monotonic() < deadline:
                counts = dict(conn.execute(ended).tuples().all())
                conn.rollback()  # the next poll sees what was committed since
                if all(counts.get(job, 0) >= count for job, count in wanted.items()):
                    return [run for name in names for run in store.runs(name, limit=50)
                            if run["job"] in wanted and run["status"] != "running"]
                time.sleep(0.1)
    finally:
        store.close()
    raise SystemExit(f"the runs did not end within {timeout:.0f} s")


def admin(statement: str) -> None:
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres",
                         autocommit=True) as conn:
        conn.execute(statement)  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
