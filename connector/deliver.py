"""Stage 5 of a sync pass, delivery: a page's planned writes, sent to each side in batches.

Writes that lead go first, each side in batches of ``batch_size``; the values they carry back
(``PlannedWrite.follows``) go after, and only when the write they follow was confirmed; the
records the leading writes created are read back first (one lookup per side), so what the
system set on them itself goes back in the same pass. Each batch is committed as soon as its
results are in (``connector.commit``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from leadsync.connector.commit import Commit, SideSummary
from leadsync.connector.models import SIDES, Record, Side
from leadsync.connector.plan import Pair, Plan, PlannedWrite
from leadsync.connector.ports import System

Progress = Callable[[str, int, int], None]  # (what, done, total)
# the write carrying back what a created record holds as read back (``plan.plan_after_create``)
CarryBack = Callable[[Pair, Record, PlannedWrite], PlannedWrite | None]


class Deliver:
    """Sends planned writes to the systems of one connection and commits each batch."""

    def __init__(self, systems: Mapping[Side, System], names: Mapping[Side, str],
                 batch_size: int, commit: Commit, progress: Progress | None = None) -> None:
        self.systems, self.names, self.batch_size = systems, names, batch_size
        self.commit, self.progress = commit, progress

    def deliver(self, planned: Plan, pairs: Sequence[Pair], summaries: Mapping[Side, SideSummary],
                carry_back: CarryBack | None = None) -> None:
        """Write one page's plan: leading writes, then those carried back after them.

        With ``carry_back``, the records the leading writes created are read back, and what
        they hold then (values the system set itself) is carried back in place of the values
        sent alone.
        """
        by_key = {pair.key: pair for pair in pairs}
        failed: set[str] = set()
        created: dict[Side, dict[str, PlannedWrite]] = {}
        for side in SIDES:
            writes = [w for w in planned.for_side(side) if w.follows is None]
            refused, created[side] = self._write(side, writes, by_key, summaries[side])
            failed |= refused
        followers = [w for w in planned.writes if w.follows is not None and w.follows not in failed]
        if carry_back is not None:
            followers = self._read_back(created, followers, by_key, carry_back)
        for side in SIDES:
            self._write(side, [w for w in followers if w.side == side], by_key, summaries[side])

    def _read_back(self, created: Mapping[Side, Mapping[str, PlannedWrite]],
                   followers: list[PlannedWrite], pairs: Mapping[str, Pair],
                   carry_back: CarryBack) -> list[PlannedWrite]:
        """The carried-back writes, planned again from the created records as read back."""
        for side in SIDES:
            made = created[side]
            if not made:
                continue
            system = self.systems[side]
            for record in system.lookup(system.id_field, list(made), self.commit.fields[side]):
                write = made.get(record.id)
                if write is None:
                    continue
                followers = [w for w in followers if w.follows != write.op.key]
                back = carry_back(pairs[write.op.key], record, write)
                if back is not None:
                    followers.append(back)
        return followers

    def _write(self, side: Side, writes: list[PlannedWrite], pairs: Mapping[str, Pair],
               summary: SideSummary) -> tuple[set[str], dict[str, PlannedWrite]]:
        """Write in batches, committing each; the keys whose write was refused, and the
        confirmed creates by the id of the record made."""
        system = self.systems[side]
        refused: set[str] = set()
        created: dict[str, PlannedWrite] = {}
        for start in range(0, len(writes), self.batch_size):
            batch = writes[start:start + self.batch_size]
            results = system.write([w.op for w in batch])
            refused |= {r.key for r in results if not r.ok}
            created.update((r.id, w) for w, r in zip(batch, results, strict=True)
                           if r.ok and r.id and (r.created or w.create))
            self.commit.batch(side, batch, results, summary, pairs)
            if self.progress:
                self.progress(self.names[side], start + len(batch), len(writes))
        return refused, created
