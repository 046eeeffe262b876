"""What a job built on the sync pass sees of it, page by page: the ``Watch`` port.

Reconcile (``connector.repairs``) is a full sync pass whose writes are reported one by one:
the lead, the field, the value before and after, the rule that decided. Rather than a second
planner, the pass lets a watcher see what it does at three points: the pairs of a page before
they are planned (it may leave some alone: a lead whose record is gone on one side is reported,
not written), each page's plan (what a dry run would write), and each batch as its answer is
committed (what was written, or refused and parked). A plain sync has no watcher.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from leadsync.connector.models import Side, WriteResult
from leadsync.connector.plan import Pair, Plan, PlannedWrite


class Watch(Protocol):
    def screen(self, pairs: list[Pair]) -> list[Pair]:
        """The pairs of a page to plan; those left out are not planned, written or settled."""
        ...

    def planned(self, pairs: Sequence[Pair], planned: Plan) -> None:
        """A page's plan, before any of it is delivered."""
        ...

    def confirmed(self, side: Side, batch: Sequence[PlannedWrite],
                  results: Sequence[WriteResult]) -> None:
        """A batch written to ``side``, once its outcome is committed."""
        ...

    def summary(self) -> Mapping[str, Any]:
        """What the run's record adds to the pass's summary."""
        ...
