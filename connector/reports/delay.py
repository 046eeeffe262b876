"""Whose delay is it: the system's (qualified -> owned in the CRM with its SLA stamped) against
the rep's (owned -> first touch), by source and by rep.

Counts the leads first handed off in the period (their journey's ``handed_off_at``):

- **system delay**: ``mql_at`` -> ``handed_off_at``, wall-clock hours (the sync and the sweep
  run on a schedule, around the clock);
- **rep delay**: ``handed_off_at`` -> ``first_touch_at``, in business hours on the calendar of
  the lead's first clock (the rep's hours) and in wall-clock hours, over the leads touched;
  ``untouched`` counts the others.

The rep of a lead is the owner its first clock was given to (the journey's owner without one).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from leadsync.connector.journey import Journey
from leadsync.connector.report_model import Chart, Column, Report
from leadsync.connector.reports.facts import Facts, label, wall_hours
from leadsync.connector.reports.stats import median, percentile
from leadsync.connector.sla import Clock

_COLUMNS = (
    Column("leads", "handed off", "count"),
    Column("system_median", "system delay median (h)", "hours"),
    Column("system_p90", "system delay p90 (h)", "hours"),
    Column("touched", "touched", "count"), Column("untouched", "untouched", "count"),
    Column("rep_business_median", "rep delay median (business h)", "hours"),
    Column("rep_business_p90", "rep delay p90 (business h)", "hours"),
    Column("rep_wall_median", "rep delay median (h)", "hours"),
    Column("rep_wall_p90", "rep delay p90 (h)", "hours"),
)


@dataclass(frozen=True, slots=True)
class _Lead:
    journey: Journey
    owner_id: str | None
    clock: Clock | None  # the lead's first clock


def delay_reports(facts: Facts) -> list[Report]:
    first: dict[str, Clock] = {}
    for fact in facts.clocks():
        first.setdefault(fact.cycle.key, fact.clock)
    leads = []
    for journey in facts.journeys:
        if not facts.in_period(journey.handed_off_at):
            continue
        clock = first.get(journey.key)
        owner = clock.owner_id if clock is not None and clock.owner_id else journey.owner_id
        leads.append(_Lead(journey, owner, clock))
    notes = [f"Leads first handed off {facts.period_words()}: {len(leads)}.",
             "System delay: qualified -> owned in the CRM with its SLA stamped (wall-clock). "
             "Rep delay: owned -> first touch, in business hours on the rep's calendar and in "
             "wall-clock hours."]
    unmeasured = sum(1 for lead in leads if lead.journey.first_touch_at is not None
                     and (lead.clock is None or facts.calendar_of(lead.clock) is None))
    if unmeasured:
        notes.append(f"{unmeasured} touched lead(s) have no clock kept or a calendar no longer "
                     "configured: in the wall-clock rep delay only.")
    by_source: dict[str, list[_Lead]] = defaultdict(list)
    by_rep: dict[str | None, list[_Lead]] = defaultdict(list)
    for lead in leads:
        by_source[label(lead.journey.source)].append(lead)
        by_rep[lead.owner_id].append(lead)
    sources = Report(
        "delay", "System delay against rep delay, by source",
        (Column("source", "source"), *_COLUMNS), notes=notes, period=facts.period,
        connection=facts.connection,
        charts=(Chart("Median delay by source (h)", "source",
                      ("system_median", "rep_business_median")),))
    for source in sorted(by_source, key=lambda s: (-len(by_source[s]), s)):
        sources.rows.append({"source": source, **_measure(by_source[source], facts)})
    reps = Report(
        "delay-reps", "System delay against rep delay, by rep",
        (Column("rep", "rep"), Column("rep_email", "email"), Column("rep_id", "CRM id"),
         Column("team", "team"), *_COLUMNS), period=facts.period,
        connection=facts.connection,
        charts=(Chart("Median delay by rep (h)", "rep",
                      ("system_median", "rep_business_median")),))
    for owner in sorted(by_rep, key=lambda o: (facts.rep_name(o).casefold(), o or "")):
        reps.rows.append({**facts.person(owner), **_measure(by_rep[owner], facts)})
    if leads:
        total = _measure(leads, facts)
        sources.rows.append({"source": "all", **total})
        reps.rows.append({"rep": "all reps", "rep_email": "", "rep_id": "", "team": "",
                          **total})
        sources.total_row = reps.total_row = True
    return [sources, reps]


def _measure(leads: list[_Lead], facts: Facts) -> dict[str, object]:
    system = [h for lead in leads
              if (h := wall_hours(lead.journey.mql_at, lead.journey.handed_off_at)) is not None]
    business: list[float] = []
    wall: list[float] = []
    touched = 0
    for lead in leads:
        start, touch = lead.journey.handed_off_at, lead.journey.first_touch_at
        if start is None or touch is None:
            continue
        touched += 1
        wall.append(max(0.0, (touch - start).total_seconds() / 3600))
        spent = facts.business_hours(lead.clock, start, touch) if lead.clock else None
        if spent is not None:
            business.append(spent)
    return {"leads": len(leads), "system_median": median(system),
            "system_p90": percentile(system, 0.9), "touched": touched,
            "untouched": len(leads) - touched, "rep_business_median": median(business),
            "rep_business_p90": percentile(business, 0.9), "rep_wall_median": median(wall),
            "rep_wall_p90": percentile(wall, 0.9)}
