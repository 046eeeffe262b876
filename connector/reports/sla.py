"""SLA compliance by rep and by team.

Counts every SLA clock whose handoff falls in the period (a lead handed off again after a
recycle brings a new clock, so it counts again, for the rep it went to). Per clock:

- **breached**: some obligation missed (the clock holds a breach), whatever its status now;
- **met**: no breach, and every obligation kept or the lead closed first (status ``met``,
  ``resolved`` or ``recycled``): as ``routing.compliance`` judges reps;
- **open**: neither yet (``pending``, ``at_risk``): not counted as met nor breached.

``met %`` is met / (met + breached). **Time to first touch** is the business time from the
handoff to the first counted touch on the clock's own calendar (hours), median and 90th
percentile over the touched clocks. **Cadence completed %**: of the clocks whose cadence window
is over and which were not resolved first, those whose calls and emails reached the policy's
cadence; a clock whose policy is no longer configured is left out of it (a note says so).
"""

from __future__ import annotations

from collections import defaultdict

from leadsync.connector.report_model import Chart, Column, Report
from leadsync.connector.reports.facts import ClockFact, Facts
from leadsync.connector.reports.stats import median, percentile, rate
from leadsync.connector.sla import MET, RECYCLED, RESOLVED

_KEPT = frozenset((MET, RESOLVED, RECYCLED))

_COUNTS = (
    Column("handed_off", "handed off", "count"), Column("open", "open", "count"),
    Column("met", "met", "count"), Column("breached", "breached", "count"),
    Column("met_rate", "met %", "percent"),
    Column("first_touch_median", "first touch median (business h)", "hours"),
    Column("first_touch_p90", "first touch p90 (business h)", "hours"),
    Column("cadence_rate", "cadence completed %", "percent"),
)


def sla_reports(facts: Facts) -> list[Report]:
    clocks = facts.clocks_in_period()
    gone = sorted({f.clock.policy for f in clocks if f.clock.policy not in facts.policies})
    no_calendar = sum(1 for f in clocks if f.clock.first_touch_at is not None
                      and facts.calendar_of(f.clock) is None)
    notes = [f"Clocks handed off {facts.period_words()}: {len(clocks)} (a lead handed off again "
             "after a recycle counts once per clock).",
             "met % = met / (met + breached); open clocks (pending, at risk) are neither.",
             "First touch: business hours from handoff to the first call or email, on the "
             "clock's calendar.",
             "Cadence completed %: of the clocks whose cadence window is over and that were not "
             "resolved first, those that reached the policy's calls and emails."]
    if gone:
        notes.append(f"Policy no longer in the config: {', '.join(gone)}; its clocks are left "
                     "out of cadence completed %.")
    if no_calendar:
        notes.append(f"{no_calendar} touched clock(s) count on a calendar no longer "
                     "configured: left out of the first-touch times.")
    by_rep: dict[str | None, list[ClockFact]] = defaultdict(list)
    for fact in clocks:
        by_rep[fact.cycle.owner_id or fact.clock.owner_id].append(fact)
    reps = Report(
        "sla", "SLA compliance by rep",
        (Column("rep", "rep"), Column("rep_email", "email"), Column("rep_id", "CRM id"),
         Column("team", "team"), *_COUNTS),
        notes=notes, period=facts.period, connection=facts.connection,
        charts=(Chart("Clocks by rep", "rep", ("met", "breached", "open"), "stacked"),))
    for owner in sorted(by_rep, key=lambda o: (facts.rep_name(o).casefold(), o or "")):
        reps.rows.append({**facts.person(owner), **_measure(by_rep[owner], facts)})
    if clocks:
        reps.rows.append({"rep": "all reps", "rep_email": "", "rep_id": "", "team": "",
                          **_measure(clocks, facts)})
        reps.total_row = True
    by_team: dict[str, list[ClockFact]] = defaultdict(list)
    for owner, items in by_rep.items():
        by_team[facts.team(owner)] += items
    teams = Report(
        "sla-teams", "SLA compliance by team (the reps' manager)",
        (Column("team", "team"), Column("reps", "reps", "count"), *_COUNTS),
        notes=["A team is the reps who share a manager in the CRM."],
        period=facts.period, connection=facts.connection,
        charts=(Chart("Met % by team", "team", ("met_rate",)),))
    for team in sorted(by_team, key=str.casefold):
        members = {f.cycle.owner_id or f.clock.owner_id for f in by_team[team]}
        teams.rows.append({"team": team, "reps": len(members),
                           **_measure(by_team[team], facts)})
    return [reps, teams]


def _measure(items: list[ClockFact], facts: Facts) -> dict[str, object]:
    met = breached = 0
    touch_hours: list[float] = []
    judged = completed = 0
    for fact in items:
        clock = fact.clock
        if clock.breaches:
            breached += 1
        elif clock.status in _KEPT:
            met += 1
        if clock.first_touch_at is not None:
            spent = facts.business_hours(clock, clock.deadlines.handoff_at, clock.first_touch_at)
            if spent is not None:
                touch_hours.append(spent)
        policy = facts.policies.get(clock.policy)
        if policy is None or clock.resolved_at is not None \
                or facts.now < clock.deadlines.cadence_end:
            continue
        judged += 1
        completed += (clock.calls >= policy.cadence_calls
                      and clock.emails >= policy.cadence_emails)
    return {"handed_off": len(items), "open": len(items) - met - breached, "met": met,
            "breached": breached, "met_rate": rate(met, met + breached),
            "first_touch_median": median(touch_hours),
            "first_touch_p90": percentile(touch_hours, 0.9),
            "cadence_rate": rate(completed, judged)}
