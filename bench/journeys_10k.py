"""Benchmark: what recording journeys costs a first sync of N new leads, lead definition on.

Seeds N marketing-only contacts into the sandbox HubSpot portal (as ``sync_10k.py`` does), then
runs one real sync pass with the example lead definition through the real vendor clients over
HTTPS, timing the two things journeys add to it: building each judged lead's row
(``journey_capture.verdict_row``) and the state store's merging upserts (``record_verdicts``,
one a page). Reports them against the pass's wall time, and the rows recorded.

Run by hand: ``python bench/journeys_10k.py [--leads 10000]`` (SQLite state store).
"""

from __future__ import annotations

import argparse
import json
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import leadsync.connector.judge as judge_module
from leadsync.connector.state import StateStore
from leadsync.demo import DEFINITION, sandbox_config
from leadsync.jobs.sync import prepare

sys.path.insert(0, str(Path(__file__).resolve().parent))
from sync_10k import seed_contacts  # a sibling script, not a package


class Timer:
    def __init__(self) -> None:
        self.seconds, self.calls = 0.0, 0

    def wrap(self, function: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - started
                self.calls += 1
        return timed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--leads", type=int, default=10_000)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="leadsync-bench-"))
    state = folder / "orgs.json"
    seed_contacts(state, args.leads)
    process = subprocess.Popen(
        [sys.executable, "-m", "leadsync", "sandbox", "serve", "--state", str(state),
         "--rate-limit", "190"], stdout=subprocess.PIPE, text=True)
    rows, upserts = Timer(), Timer()
    judge_module.verdict_row = rows.wrap(judge_module.verdict_row)  # type: ignore[assignment]
    StateStore.record_verdicts = upserts.wrap(StateStore.record_verdicts)  # type: ignore[method-assign]
    try:
        assert process.stdout is not None
        info = json.loads(process.stdout.readline())
        config = sandbox_config(info, folder, state="bench-state.db", definition=DEFINITION,
                                install=True)
        engine = prepare(config)
        started = time.perf_counter()
        result = engine.run()
        elapsed = time.perf_counter() - started
        recorded = len(StateStore(config.state.url).journeys("default"))
        added = rows.seconds + upserts.seconds
        print(f"leads: {args.leads}; judged: {result.evaluated}, qualified: "
              f"{result.qualified}; journeys recorded: {recorded}")
        print(f"pass wall time: {elapsed:.1f} s")
        print(f"journey rows built: {rows.calls} in {rows.seconds:.2f} s; merging upserts: "
              f"{upserts.calls} (one a page) in {upserts.seconds:.2f} s")
        print(f"journeys' share of the pass: {added:.2f} s ({added / elapsed:.1%}), "
              f"{added / max(recorded, 1) * 1e6:.0f} us a lead")
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)


if __name__ == "__main__":
    main()
