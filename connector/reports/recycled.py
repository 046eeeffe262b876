"""Recycled leads: why they went back to marketing, and whether they came back and converted.

A **recycle** is a clock that ended recycled (``Clock.recycled_at``, with its reason), so a lead
recycled twice counts twice; a lead whose clocks hold no recycle but whose journey does (its
clock was not kept) counts once, from the journey. Recycles in the period are counted. A recycle
**came back** when the lead qualified again later (its journey's ``returned_at`` after the
recycle), and **converted after coming back** when it was then converted (``converted_at``
after both).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from leadsync.connector.journey import Journey
from leadsync.connector.report_model import Chart, Column, Report
from leadsync.connector.reports.facts import Facts, label
from leadsync.connector.reports.stats import rate


@dataclass(frozen=True, slots=True)
class Recycle:
    key: str
    at: datetime
    reason: str
    owner_id: str | None
    journey: Journey | None

    @property
    def came_back(self) -> bool:
        back = self.journey.returned_at if self.journey else None
        return back is not None and back > self.at

    @property
    def converted_after(self) -> bool:
        if not self.came_back or self.journey is None:
            return False
        converted, back = self.journey.converted_at, self.journey.returned_at
        return converted is not None and back is not None and converted > back


def recycles(facts: Facts) -> list[Recycle]:
    """Every recycle in the period, oldest first."""
    found: list[Recycle] = []
    from_clocks: set[str] = set()
    for fact in facts.clocks():
        clock = fact.clock
        if clock.recycled_at is None:
            continue
        from_clocks.add(fact.cycle.key)
        if facts.in_period(clock.recycled_at):
            found.append(Recycle(fact.cycle.key, clock.recycled_at,
                                 clock.recycle_reason or "(no reason)",
                                 fact.cycle.owner_id or clock.owner_id, fact.journey))
    for journey in facts.journeys:
        if journey.key in from_clocks or journey.recycled_at is None:
            continue
        if facts.in_period(journey.recycled_at):
            found.append(Recycle(journey.key, journey.recycled_at,
                                 journey.recycle_reason or "(no reason)", journey.owner_id,
                                 journey))
    found.sort(key=lambda r: (r.at, r.key))
    return found


def recycled_reports(facts: Facts) -> list[Report]:
    found = recycles(facts)
    by_reason: dict[str, list[Recycle]] = defaultdict(list)
    for item in found:
        by_reason[item.reason].append(item)
    summary = Report(
        "recycled", "Recycled leads by reason",
        (Column("reason", "reason"), Column("recycled", "recycled", "count"),
         Column("came_back", "came back", "count"),
         Column("came_back_rate", "came back %", "percent"),
         Column("converted", "converted after coming back", "count"),
         Column("converted_rate", "converted % of recycled", "percent")),
        notes=[f"Recycles {facts.period_words()}: {len(found)} (a lead recycled twice counts "
               "twice).",
               "Came back: qualified again after the recycle; converted: converted after "
               "coming back."],
        period=facts.period, connection=facts.connection,
        charts=(Chart("Recycles by reason", "reason", ("recycled", "came_back", "converted")),))
    for reason in sorted(by_reason, key=lambda r: (-len(by_reason[r]), r)):
        summary.rows.append(_counts(reason, by_reason[reason]))
    if found:
        summary.rows.append(_counts("all reasons", found))
        summary.total_row = True
    leads = Report(
        "recycled-leads", "Recycled leads, one by one",
        (Column("email", "email"), Column("name", "name"), Column("reason", "reason"),
         Column("recycled_at", "recycled at", "instant"),
         Column("recycle_count", "times recycled", "count"), Column("rep", "rep"),
         Column("returned_at", "came back at", "instant"),
         Column("converted_at", "converted at", "instant")),
        notes=["Times recycled is the lead's count so far, in every period."],
        period=facts.period, connection=facts.connection)
    for item in found:
        journey = item.journey
        leads.rows.append({
            "email": label(journey.email if journey else None),
            "name": (journey.name or "") if journey else "", "reason": item.reason,
            "recycled_at": item.at, "recycle_count": journey.recycle_count if journey else 0,
            "rep": facts.rep_name(item.owner_id),
            "returned_at": journey.returned_at if item.came_back and journey else None,
            "converted_at": journey.converted_at if item.converted_after and journey
            else None})
    return [summary, leads]


def _counts(reason: str, items: list[Recycle]) -> dict[str, object]:
    back = sum(1 for item in items if item.came_back)
    converted = sum(1 for item in items if item.converted_after)
    return {"reason": reason, "recycled": len(items), "came_back": back,
            "came_back_rate": rate(back, len(items)), "converted": converted,
            "converted_rate": rate(converted, len(items))}
