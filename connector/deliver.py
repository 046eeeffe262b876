"""Stage 5 of a sync pass, delivery: a page's planned writes, sent to each side in batches.

Writes that lead go first, each side in batches of ``batch_size``; the values they carry back
(``PlannedWrite.follows``) go after, and only when the write they follow was confirmed. Each
batch is committed as soon as its results are in (``connector.commit``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from leadsync.connector.commit import Commit, SideSummary
from leadsync.connector.models import SIDES, Side
from leadsync.connector.plan import Pair, Plan, PlannedWrite
from leadsync.connector.ports import System

Progress = Callable[[str, int, int], None]  # (what, done, total)


class Deliver:
    """Sends planned writes to the systems of one connection and commits each batch."""

    def __init__(self, systems: Mapping[Side, System], names: Mapping[Side, str],
                 batch_size: int, commit: Commit, progress: Progress | None = None) -> None:
        self.systems, self.names, self.batch_size = systems, names, batch_size
        self.commit, self.progress = commit, progress

    def deliver(self, planned: Plan, pairs: Sequence[Pair],
                summaries: Mapping[Side, SideSummary]) -> None:
        """Write one page's plan: leading writes, then those carried back after them."""
        by_key = {pair.key: pair for pair in pairs}
        failed: set[str] = set()
        for side in SIDES:
            writes = [w for w in planned.for_side(side) if w.follows is None]
            failed |= self._write(side, writes, by_key, summaries[side])
        for side in SIDES:
            writes = [w for w in planned.for_side(side)
                      if w.follows is not None and w.follows not in failed]
            self._write(side, writes, by_key, summaries[side])

    def _write(self, side: Side, writes: list[PlannedWrite], pairs: Mapping[str, Pair],
               summary: SideSummary) -> set[str]:
        """Write in batches, committing each; the keys whose write was refused."""
        system = self.systems[side]
        refused: set[str] = set()
        for start in range(0, len(writes), self.batch_size):
            batch = writes[start:start + self.batch_size]
            results = system.write([w.op for w in batch])
            refused |= {r.key for r in results if not r.ok}
            self.commit.batch(side, batch, results, summary, pairs)
            if self.progress:
                self.progress(self.names[side], start + len(batch), len(writes))
        return refused
