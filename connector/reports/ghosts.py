"""Ghost leads: handed-off leads nobody worked, by rep, by month of handoff, and one by one.

Every clock handed off in the period counts, open or closed: a lead the rep never touched is
the rep's ghost even after the sweep recycled it (that is how leads die untouched). A clock is

- **untouched** when no call or email was counted and its first-touch deadline passed before
  the clock stopped (recycled, resolved or replaced) or, while it runs, before ``now``;
- **unresolved** when it is still open past its cadence end (``connector.ghosts.ghost_kind``).

Untouched wins when both hold. A lead converted or disqualified is no ghost, touched or not.
"""

from __future__ import annotations

from collections import Counter, defaultdict

from leadsync.connector.ghosts import ghost_kind
from leadsync.connector.report_model import Chart, Column, Report
from leadsync.connector.reports.facts import ClockFact, Facts, label
from leadsync.connector.reports.stats import rate


def ghost_reports(facts: Facts) -> list[Report]:
    clocks = facts.clocks_in_period()
    found: list[tuple[ClockFact, str]] = []
    for fact in clocks:
        kind = _kind(fact, facts)
        if kind is not None:
            found.append((fact, kind))
    notes = [f"Clocks handed off {facts.period_words()}: {len(clocks)}; ghosts as of "
             f"{facts.shown(facts.now)}: {len(found)}.",
             "untouched: no call or email by the first-touch deadline, even if the lead was "
             "recycled since; unresolved: past the cadence end and still open (untouched wins "
             "when both hold)."]
    handed: Counter[str | None] = Counter(_owner(f) for f in clocks)
    kinds: dict[str | None, Counter[str]] = defaultdict(Counter)
    for fact, kind in found:
        kinds[_owner(fact)][kind] += 1
    by_rep = Report(
        "ghosts", "Ghost leads by rep (every rep handed a lead)",
        (Column("rep", "rep"), Column("rep_email", "email"), Column("rep_id", "CRM id"),
         Column("team", "team"), Column("handed_off", "handed off", "count"),
         Column("untouched", "untouched", "count"), Column("unresolved", "unresolved", "count"),
         Column("ghost_rate", "ghost %", "percent")),
        notes=notes, period=facts.period, connection=facts.connection,
        charts=(Chart("Ghost leads by rep", "rep", ("untouched", "unresolved"), "stacked"),))
    for owner in sorted(handed, key=lambda o: (facts.rep_name(o).casefold(), o or "")):
        count = kinds[owner]
        by_rep.rows.append({**facts.person(owner), "handed_off": handed[owner],
                            "untouched": count["untouched"], "unresolved": count["unresolved"],
                            "ghost_rate": rate(sum(count.values()), handed[owner])})
    months: dict[str, Counter[str]] = defaultdict(Counter)
    for fact in clocks:
        months[facts.month(fact.clock.deadlines.handoff_at)]["handed_off"] += 1
    for fact, kind in found:
        months[facts.month(fact.clock.deadlines.handoff_at)][kind] += 1
    by_month = Report(
        "ghosts-months", "Ghost leads by month of handoff",
        (Column("month", "month"), Column("handed_off", "handed off", "count"),
         Column("untouched", "untouched", "count"), Column("unresolved", "unresolved", "count"),
         Column("ghost_rate", "ghost %", "percent")),
        notes=[f"Months in {facts.zone or 'UTC'}."], period=facts.period,
        connection=facts.connection,
        charts=(Chart("Ghost leads by month", "month", ("untouched", "unresolved"),
                      "stacked"),))
    for month in sorted(months):
        count = months[month]
        by_month.rows.append({"month": month, "handed_off": count["handed_off"],
                              "untouched": count["untouched"],
                              "unresolved": count["unresolved"],
                              "ghost_rate": rate(count["untouched"] + count["unresolved"],
                                                 count["handed_off"])})
    detail = Report(
        "ghosts-leads", "Ghost leads, one by one",
        (Column("rep", "rep"), Column("rep_email", "rep email"), Column("email", "lead email"),
         Column("name", "lead"), Column("crm_id", "CRM id"), Column("kind", "kind"),
         Column("handed_off_at", "handed off", "instant"),
         Column("age_days", "age (whole days)", "count"), Column("calls", "calls", "count"),
         Column("emails", "emails", "count"), Column("policy", "policy"),
         Column("status", "status")),
        notes=["Oldest handoff first within each rep."], period=facts.period,
        connection=facts.connection)
    found.sort(key=lambda item: (facts.rep_name(_owner(item[0])).casefold(),
                                 item[0].clock.deadlines.handoff_at))
    for fact, kind in found:
        clock, journey = fact.clock, fact.journey
        handoff = clock.deadlines.handoff_at
        detail.rows.append({
            "rep": facts.rep_name(_owner(fact)), "rep_email": facts.rep_email(_owner(fact)),
            "email": label(journey.email if journey else None),
            "name": journey.name or "" if journey else "", "crm_id": fact.cycle.crm_id,
            "kind": kind, "handed_off_at": handoff,
            "age_days": (facts.now - handoff).days,
            "calls": clock.calls, "emails": clock.emails, "policy": clock.policy,
            "status": fact.cycle.status})
    return [by_rep, by_month, detail]


def _owner(fact: ClockFact) -> str | None:
    return fact.cycle.owner_id or fact.clock.owner_id


def _kind(fact: ClockFact, facts: Facts) -> str | None:
    clock, journey = fact.clock, fact.journey
    if journey is not None and (journey.converted_at is not None
                                or journey.disqualified_at is not None):
        return None
    stopped = [at for at in (clock.resolved_at, clock.recycled_at) if at is not None]
    if stopped or not fact.cycle.current:
        if clock.resolved_at is not None and clock.recycled_at is None:
            return None  # resolved by the rep (converted or disqualified on the CRM)
        end = min(stopped) if stopped else facts.now
        untouched = clock.first_touch_at is None and end > clock.deadlines.first_touch_by
        return "untouched" if untouched else None
    return ghost_kind(clock, facts.now)
