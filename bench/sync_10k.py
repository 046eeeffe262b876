"""Benchmark: sync N new leads from HubSpot to Salesforce on the sandbox orgs.

Seeds N contacts straight into the sandbox HubSpot portal (in-process, no HTTP), then runs one
real sync pass through the real vendor clients over HTTPS, and reports wall time, records per
second, API calls against the floor, and peak memory of this process (the sandbox servers run
in their own process, so their memory is not counted).

Run by hand: ``python bench/sync_10k.py [--leads 10000]``.
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import signal
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

from leadsync.demo import sandbox_config
from leadsync.jobs.sync import prepare


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--leads", type=int, default=10_000)
    parser.add_argument("--parallel", type=int, default=None,
                        help="[sync] parallel: write calls in flight at once (default: config)")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="leadsync-bench-"))
    state = folder / "orgs.json"
    seed_contacts(state, args.leads)
    process = subprocess.Popen(
        [sys.executable, "-m", "leadsync", "sandbox", "serve", "--state", str(state),
         "--rate-limit", "190"], stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        info = json.loads(process.stdout.readline())
        # install=True: `leadsync install --apply` first, as an admin would (outside the timing)
        config = sandbox_config(info, folder, state="bench-state.db", install=True)
        if args.parallel is not None:
            config = config.model_copy(update={
                "sync": config.sync.model_copy(update={"parallel": args.parallel})})
        engine = prepare(config)
        write_times = time_writes(engine.systems["marketing"])
        crm_calls, hub_calls = engine.systems["crm"].calls_made, \
            engine.systems["marketing"].calls_made
        tracemalloc.start()
        started = time.perf_counter()
        result = engine.run()
        elapsed = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        sf = result.sides["salesforce"]
        hs = result.sides["hubspot"]
        print(f"leads: {args.leads}; created in Salesforce: {sf.created}, failed: {sf.failed}")
        print(f"wall time: {elapsed:.1f} s, {sf.created / elapsed:,.0f} leads/s")
        print(f"Salesforce calls: {engine.systems['crm'].calls_made - crm_calls} "
              f"(floor: {math.ceil(args.leads / 200)} writes + 1 read + 1 users)")
        print(f"HubSpot calls: {engine.systems['marketing'].calls_made - hub_calls} "
              f"(floor: {math.ceil(args.leads / 200)} search pages + "
              f"{math.ceil(args.leads / 100)} back-flow writes + 1 owners)")
        hubspot = engine.systems["marketing"]
        print(f"HubSpot budget waits: {hubspot.window.waited:.1f} s "
              f"(rolling 10 s window), search: {hubspot.search_window.waited:.1f} s")
        print(f"HubSpot calls in flight at once: up to {config.sync.parallel}; most calls in "
              f"any 10 s: {hubspot.window.peak} of the 190 HubSpot allows "
              f"({hubspot.window.peak / 190:.0%}; budget {hubspot.window.limit}); "
              f"429 answers: {hubspot.calls.throttled}")
        if write_times:
            span = max(end for _, end in write_times) - min(start for start, _ in write_times)
            print(f"HubSpot write calls: {len(write_times)} in {span:.1f} s, "
                  f"{len(write_times) / max(span, 1e-9) * 10:.0f} per 10 s while writing")
        print(f"peak Python memory during the run: {peak / 2**20:.1f} MiB; "
              f"max RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
        print(f"(HubSpot read {hs.read}, updated {hs.updated})")
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)


def time_writes(hubspot: Any) -> list[tuple[float, float]]:
    """When each HubSpot batch write started and ended, noted as the calls go out."""
    times: list[tuple[float, float]] = []
    once = hubspot.calls.once

    def timed(what: str, *args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return once(what, *args, **kwargs)
        finally:
            if what.startswith("batch u"):  # batch upsert, batch update
                times.append((started, time.perf_counter()))

    hubspot.calls.once = timed
    return times


def seed_contacts(state: Path, count: int) -> None:
    """N marketing-only contacts, written to the sandbox state file."""
    from leadsync.sandbox.people import make_owners, make_people
    from leadsync.sandbox.server import Sandbox

    sandbox = Sandbox(state=state)
    owners = make_owners(5)
    people = [p for p in make_people(count * 3 + 50, len(owners)) if p.in_hubspot
              and not p.in_salesforce][:count]
    assert len(people) == count, "not enough marketing-only people drawn"
    sandbox.salesforce.seed([], owners)
    sandbox.hubspot.seed(people, owners)
    sandbox.save()


if __name__ == "__main__":
    main()
