"""Stage 3 of a sync pass, judging: each changed lead against the shared lead definition.

A page of pairs in, its ``Judgement`` out: the verdict stamps each side of a lead must hold, and
the leads that stay in marketing (not handed over). Each lead is put in its canonical form
once (``Qualifier.lead``); the conversions made on the way are kept on the pair
(``Pair.converted``), so the planner that follows does not convert the same values again, and
the canonical lead is handed on with its verdict.

Each verdict is also a fact of the lead's journey (``Judgement.journeys``, rows of
``connector.journey_capture.verdict_row``): the sync records a page's in one upsert, before its
writes go out, and a dry run records none.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from leadsync.connector.definition import Verdict
from leadsync.connector.journey_capture import verdict_row
from leadsync.connector.models import FieldValue, Side
from leadsync.connector.plan import Pair
from leadsync.connector.qualify import Qualifier
from leadsync.connector.transforms import TransformContext


@dataclass
class Judgement:
    """The verdicts on one page of pairs, by lead key."""

    stamps: dict[str, dict[Side, dict[str, FieldValue]]] = field(default_factory=dict)
    hold: set[str] = field(default_factory=set)  # leads kept in marketing
    leads: dict[str, dict[str, Any]] = field(default_factory=dict)  # canonical, as judged
    verdicts: dict[str, Verdict] = field(default_factory=dict)
    journeys: list[dict[str, Any]] = field(default_factory=list)  # journey facts, a row a lead

    @property
    def evaluated(self) -> int:
        return len(self.verdicts)

    @property
    def qualified(self) -> int:
        return sum(verdict.qualified for verdict in self.verdicts.values())


class Judge:
    """Judges leads at one instant with a qualifier; without one, every judgement is empty."""

    def __init__(self, qualifier: Qualifier | None, now: datetime) -> None:
        self.qualifier, self.now = qualifier, now

    def judge(self, pairs: Iterable[Pair], ctx: TransformContext | None) -> Judgement:
        """The verdicts on the leads of ``pairs`` that changed; ``ctx`` is the CRM's."""
        judgement = Judgement()
        qualifier = self.qualifier
        if qualifier is None:
            return judgement
        for pair in pairs:
            if not pair.changed:
                continue
            pair.converted = {}  # the planner converts nothing twice that this converts
            lead = qualifier.lead(pair.records, ctx, pair.converted)
            verdict = qualifier.judge(lead, pair.records, self.now)
            judgement.leads[pair.key], judgement.verdicts[pair.key] = lead, verdict
            stamps = judgement.stamps[pair.key] = qualifier.stamps(verdict, pair.records,
                                                                  self.now)
            returned = verdict.qualified and \
                qualifier.recycled_since_qualified(pair.records) is not None
            judgement.journeys.append(verdict_row(pair.key, lead, verdict, stamps,
                                                  qualifier.view, self.now, returned))
            if pair.records["crm"] is None and not qualifier.hands_over(verdict):
                judgement.hold.add(pair.key)
        return judgement
