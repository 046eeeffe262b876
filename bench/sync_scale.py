"""Benchmark: a first sync and the pass after it, both directions, at 10k to 1,000,000 leads.

For each size and direction, the sandbox orgs run in their own process (``leadsync sandbox
serve --people N --where ...``) with the documented limits enforced (HubSpot 190 calls per
rolling 10 s and 5 searches/s, Salesforce query pages of 2,000); each pass runs in a child
process of its own, through the real vendor clients over HTTPS, so that its CPU time and peak
RSS are its own (``os.wait4``), never measured under tracemalloc. Reported per pass: wall time,
records/s against the write limit's capacity, API calls against the floor, 429 answers,
LeadSync's CPU per record, its peak RSS, and the sandbox's CPU over the same pass.

The floor is the fewest calls the documented limits allow for what the pass must do: each
side's changes read in pages of its read path (Salesforce REST 2,000, HubSpot list 100), writes
in batches (HubSpot 100, Salesforce 200), created Salesforce leads read back 2,000 a call (what
Salesforce sets on a new lead goes back in the same pass: owner, status) and those values
written to HubSpot; plus the users of each side and the describe the pass checks fields with.

The state store is SQLite in the run's folder, or (``--state postgresql``) a PostgreSQL
database made for the run on 127.0.0.1:5432 (trust auth) and dropped after it.

Run by hand: ``python bench/sync_scale.py --leads 10000 100000 [--direction sf-hs hs-sf]
[--state sqlite postgresql]``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

HUBSPOT_CALLS_PER_SECOND = 19.0  # 190 per rolling 10 s
WHERE = {"sf-hs": "salesforce", "hs-sf": "hubspot"}
POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/{database}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--leads", type=int, nargs="+", default=[10_000])
    parser.add_argument("--direction", nargs="+", choices=sorted(WHERE),
                        default=["sf-hs", "hs-sf"])
    parser.add_argument("--state", nargs="+", choices=["sqlite", "postgresql"],
                        default=["sqlite"])
    parser.add_argument("--child", help=argparse.SUPPRESS)  # one pass, in a child process
    args = parser.parse_args()
    if args.child:
        child(Path(args.child))
        return
    for leads in args.leads:
        for direction in args.direction:
            for state in args.state:
                run(direction, leads, state)


def run(direction: str, leads: int, state: str) -> None:
    from leadsync.connector.config_file import load_config
    from leadsync.demo import sandbox_config, sandbox_secrets
    from leadsync.jobs.install import run_install

    folder = Path(tempfile.mkdtemp(prefix="leadsync-scale-"))
    database = ""
    sandbox = subprocess.Popen(
        [sys.executable, "-m", "leadsync", "sandbox", "serve", "--people", str(leads),
         "--where", WHERE[direction], "--rate-limit", "190",
         "--daily-api-limit", "100000000"], stdout=subprocess.PIPE, text=True)
    try:
        assert sandbox.stdout is not None
        info = json.loads(sandbox.stdout.readline())
        sandbox_config(info, folder, state=str(folder / "state.db"), install=False)
        if state == "postgresql":
            database = f"leadsync_bench_{uuid.uuid4().hex[:8]}"
            admin(f'CREATE DATABASE "{database}"')
            path = folder / "leadsync.toml"
            path.write_text(path.read_text().replace(
                f'url = "sqlite:///{folder / "state.db"}"',
                f'url = "{POSTGRES.format(database=database)}"'))
        # `leadsync install --apply` first, as an admin would, outside the timing
        run_install(load_config(folder / "leadsync.toml", env=sandbox_secrets(info)),
                    apply=True)
        env = {**os.environ, **sandbox_secrets(info)}
        print(f"\n## {direction}, {leads:,} leads, state in {state}")
        for name in ("first pass", "next pass"):
            report(name, direction, leads, measure(folder, env, sandbox.pid))
    finally:
        if database:
            admin(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        sandbox.send_signal(signal.SIGTERM)
        sandbox.wait(timeout=120)


def measure(folder: Path, env: dict[str, str], sandbox_pid: int) -> dict[str, Any]:
    """One pass in a child process: its own figures, its CPU and RSS, the sandbox's CPU."""
    out = folder / "pass.json"
    before = cpu_seconds(sandbox_pid)
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, __file__, "--child", str(folder)], env=env,
                               cwd=folder)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    if status != 0:
        raise SystemExit(f"the pass failed (status {status})")
    figures: dict[str, Any] = json.loads(out.read_text())
    figures.update(wall=wall, cpu=usage.ru_utime + usage.ru_stime,
                   rss_mib=usage.ru_maxrss / 1024, sandbox_cpu=cpu_seconds(sandbox_pid) - before)
    return figures


def child(folder: Path) -> None:
    """Run one sync pass with the config in ``folder``; write what it did as JSON."""
    from leadsync.adapters.registry import load_builtin_kinds
    from leadsync.connector.config_file import load_config
    from leadsync.jobs.sync import prepare

    load_builtin_kinds()
    config = load_config(folder / "leadsync.toml")
    engine = prepare(config)
    started = time.perf_counter()
    result = engine.run()
    elapsed = time.perf_counter() - started
    sides: dict[str, Any] = {}
    for side, system in engine.systems.items():
        summary = result.sides[system.name]
        calls = getattr(system, "calls", None)
        sides[side] = {**vars(summary), "calls": system.calls_made,
                       "throttled": getattr(calls, "throttled", 0)}
    (folder / "pass.json").write_text(json.dumps({"sides": sides, "run": elapsed,
                                                  "status": result.status}))


def floor(direction: str, leads: int, first: bool) -> dict[str, int]:
    """The fewest calls each side's part of the pass needs (see the module's docstring)."""
    users = 1 + 1  # the users (owners) each side matches owners with, and the describe
    if not first:
        return {"marketing": 1, "crm": 1}  # one read each, nothing found
    if direction == "sf-hs":
        return {"crm": math.ceil(leads / 2_000) + users,
                "marketing": 2 + math.ceil(leads / 100) + users}  # empty read, archived
    return {"marketing": math.ceil(leads / 100) + 1 + math.ceil(leads / 100) + users,
            "crm": math.ceil(leads / 200) + math.ceil(leads / 2_000) + users}


def report(name: str, direction: str, leads: int, figures: dict[str, Any]) -> None:
    sides = figures["sides"]
    first = name == "first pass"
    floors = floor(direction, leads, first)
    target = "marketing" if direction == "sf-hs" else "crm"
    written = sides[target]["created"] + sides[target]["updated"]
    synced = max(written, sides["marketing"]["read"], sides["crm"]["read"], 1)
    print(f"### {name}: {figures['wall']:.1f} s wall ({figures['run']:.1f} s in the pass)")
    for side in ("crm", "marketing"):
        s = sides[side]
        print(f"- {side}: read {s['read']:,}, created {s['created']:,}, updated "
              f"{s['updated']:,}, failed {s['failed']}, calls {s['calls']:,} "
              f"(floor {floors[side]:,}: {s['calls'] / max(floors[side], 1):.2f}x), "
              f"429s {s['throttled']}, retries {s['retries']}")
    if written and direction == "sf-hs":
        rate = written / figures["run"]
        print(f"- HubSpot writes: {rate:,.0f} records/s against "
              f"{HUBSPOT_CALLS_PER_SECOND * 100:,.0f} ({rate / 1900:.0%} of the limit)")
    elif written:
        print(f"- Salesforce writes: {written / figures['run']:,.0f} records/s")
    print(f"- LeadSync CPU: {figures['cpu']:.1f} s, {figures['cpu'] / synced * 1000:.3f} ms "
          f"per record; peak RSS {figures['rss_mib']:.0f} MiB; sandbox CPU "
          f"{figures['sandbox_cpu']:.1f} s")


def cpu_seconds(pid: int) -> float:
    """User and system CPU seconds of a running process (all its threads)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def admin(statement: str) -> None:
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres",
                         autocommit=True) as conn:
        conn.execute(statement)  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
