"""Benchmark: what sharding a first sync costs in calls, against one plain pass.

Two identical pairs of sandbox orgs (in this process, ``--people`` people in ``--where``,
limits raised so that only the calls count) get the same first sync: one plain pass, and one
pass in ``--shards`` shards run side by side in threads. Reported per side: the calls of a
dry run (the reads and lookups every shard repeats), the calls of the plain pass, and the calls
of all the shards together; the extra calls of the sharded pass are the repeated reads.

Run by hand: ``python bench/sync_shards.py --people 10000 --shards 2 --where hubspot``.

Measured (10,000 people, 2 shards): from HubSpot, HubSpot 102 read calls of the plain pass's
202 (its list endpoint gives 100 contacts a call, as many as a batch write takes), Salesforce
2 of 57; the shards together made 309 and 69 calls (+46% in all). From Salesforce, 9 read
calls of the plain pass's 109 (Salesforce gives 2,000 leads a call); the shards made 123
(+13%).
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from pathlib import Path

from leadsync.connector.config import Config
from leadsync.connector.logs import configure_logging
from leadsync.demo import sandbox_config
from leadsync.jobs.shards import finish_sync_shards, plan_sync_shards, run_sync_shard
from leadsync.jobs.sync import run_sync
from leadsync.sandbox.server import Sandbox

MAPPING = Path(__file__).parents[1] / "mappings" / "hubspot_salesforce.toml"


def orgs(people: int, where: str, folder: Path) -> tuple[Sandbox, Config]:
    sandbox = Sandbox(people=people, where=where, rate_limit=100_000,
                      daily_api_limit=100_000_000).start()
    folder.mkdir()
    return sandbox, sandbox_config(sandbox.info, folder, mapping=MAPPING, state="state.db")



def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--shards", type=int, default=2)
    parser.add_argument("--where", default="hubspot", choices=["hubspot", "salesforce", "both"],
                        help="where the people are before the first sync (default hubspot)")
    args = parser.parse_args()
    configure_logging("console", "warning")
    folder = Path(tempfile.mkdtemp(prefix="leadsync-shards-"))
    plain_orgs, plain = orgs(args.people, args.where, folder / "plain")
    sharded_orgs, sharded = orgs(args.people, args.where, folder / "sharded")
    try:
        dry = run_sync(plain, dry_run=True)
        began = time.monotonic()
        one = run_sync(plain)
        plain_seconds = time.monotonic() - began

        spec = plan_sync_shards(sharded, args.shards)
        results: dict[int, dict[str, int]] = {}
        began = time.monotonic()

        def shard(index: int) -> None:
            result = run_sync_shard(sharded, spec, index)
            results[index] = {name: side.calls for name, side in result.sides.items()}

        threads = [threading.Thread(target=shard, args=(i,)) for i in range(args.shards)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert finish_sync_shards(sharded, spec) == []
        sharded_seconds = time.monotonic() - began
        print(f"first sync of {args.people:,} people in {args.where}; {args.shards} shards "
              f"side by side")
        print(f"{'system':<12}{'reads (dry run)':>17}{'plain pass':>12}{'all shards':>12}")
        for name, side in one.sides.items():
            total = sum(r[name] for r in results.values())
            print(f"{name:<12}{dry.sides[name].calls:>17,}{side.calls:>12,}{total:>12,}")
        print(f"wall time: plain {plain_seconds:.1f} s, sharded {sharded_seconds:.1f} s "
              f"(one process, one machine: the calls matter here, not the time)")
    finally:
        plain_orgs.stop()
        sharded_orgs.stop()


if __name__ == "__main__":
    main()
