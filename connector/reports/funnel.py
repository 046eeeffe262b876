"""The funnel by source and by campaign: leads, MQL, accepted, working, converted.

Counts the leads first judged in the period (their journey's ``first_judged_at``). A stage
counts the leads that reached it, each stage within the one before:

- **MQL**: qualified at least once (``mql_at``);
- **accepted**: an MQL its rep accepted or touched (``accepted_at`` or ``first_touch_at``);
- **working**: an MQL with a first touch (``first_touch_at``);
- **converted**: an MQL converted (``converted_at``). A lead converted without ever qualifying
  is not in the funnel (a note counts them).

Rates: MQL / leads, accepted / MQL, working / accepted, converted / MQL. Time in each stage is
wall-clock hours, median over the leads that left it: MQL -> accepted, accepted -> working,
working -> converted.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import datetime

from leadsync.connector.journey import Journey
from leadsync.connector.report_model import Chart, Column, Report
from leadsync.connector.reports.facts import Facts, label, wall_hours
from leadsync.connector.reports.stats import median, rate

_COLUMNS = (
    Column("leads", "leads", "count"), Column("mql", "MQL", "count"),
    Column("accepted", "accepted", "count"), Column("working", "working", "count"),
    Column("converted", "converted", "count"),
    Column("mql_rate", "MQL % of leads", "percent"),
    Column("accepted_rate", "accepted % of MQL", "percent"),
    Column("working_rate", "working % of accepted", "percent"),
    Column("converted_rate", "converted % of MQL", "percent"),
    Column("mql_to_accepted", "MQL -> accepted (median h)", "hours"),
    Column("accepted_to_working", "accepted -> working (median h)", "hours"),
    Column("working_to_converted", "working -> converted (median h)", "hours"),
)
_SERIES = ("leads", "mql", "accepted", "working", "converted")


def funnel_reports(facts: Facts) -> list[Report]:
    leads = [j for j in facts.journeys if facts.in_period(j.first_judged_at)]
    outside = sum(1 for j in leads if j.mql_at is None and j.converted_at is not None)
    notes = [f"Leads first judged {facts.period_words()}: {len(leads)}.",
             "A stage counts the leads that reached it; a lead first touched counts as "
             "accepted. Times are wall-clock hours; a conversion is timed when the SLA sweep "
             "first saw it (Salesforce keeps only its date), so run the sweep often for "
             "close stage times."]
    if outside:
        notes.append(f"{outside} lead(s) converted without ever qualifying: not in the funnel.")
    reports = []
    for name, title, column in (("funnel", "Funnel by source", "source"),
                                ("funnel-campaigns", "Funnel by campaign", "campaign")):
        report = Report(name, title, (Column(column, column), *_COLUMNS),
                        notes=notes if name == "funnel" else [], period=facts.period,
                        connection=facts.connection,
                        charts=(Chart(title, column, _SERIES),))
        groups: dict[str, list[Journey]] = defaultdict(list)
        for journey in leads:
            groups[label(getattr(journey, column))].append(journey)
        for group in sorted(groups, key=lambda g: (-len(groups[g]), g)):
            report.rows.append({column: group, **_stages(groups[group])})
        if leads:
            report.rows.append({column: "all", **_stages(leads)})
            report.total_row = True
        reports.append(report)
    return reports


def _stages(items: list[Journey]) -> dict[str, object]:
    mql = [j for j in items if j.mql_at is not None]
    accepted = [j for j in mql if _accepted(j) is not None]
    working = [j for j in mql if j.first_touch_at is not None]
    converted = [j for j in mql if j.converted_at is not None]

    def spent(group: list[Journey], start: Callable[[Journey], datetime | None],
              end: Callable[[Journey], datetime | None]) -> float | None:
        return median(h for j in group if (h := wall_hours(start(j), end(j))) is not None)

    return {"leads": len(items), "mql": len(mql), "accepted": len(accepted),
            "working": len(working), "converted": len(converted),
            "mql_rate": rate(len(mql), len(items)),
            "accepted_rate": rate(len(accepted), len(mql)),
            "working_rate": rate(len(working), len(accepted)),
            "converted_rate": rate(len(converted), len(mql)),
            "mql_to_accepted": spent(accepted, lambda j: j.mql_at, _accepted),
            "accepted_to_working": spent(working, _accepted, lambda j: j.first_touch_at),
            "working_to_converted": spent([j for j in converted if j.first_touch_at],
                                          lambda j: j.first_touch_at, lambda j: j.converted_at)}


def _accepted(journey: Journey) -> datetime | None:
    """When the rep accepted the lead: the acceptance, or the first touch if earlier."""
    moments = [m for m in (journey.accepted_at, journey.first_touch_at) if m is not None]
    return min(moments) if moments else None
