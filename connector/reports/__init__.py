"""The reports ``leadsync report`` computes: pure functions of the state store's facts.

Each report module takes ``Facts`` (``reports.facts``) and returns its ``Report`` tables
(``connector.report_model``): the first is the report itself, the others its breakdowns (by
team, by month, one by one). No report estimates a number: each counts journeys and SLA clocks
the sync and the sweep recorded, and says in its notes which leads the period covers.

=============  ==============================================  =================================
report         tables                                          the period covers
=============  ==============================================  =================================
sla            by rep, by team                                 clocks handed off in it
ghosts         by rep, by month of handoff, one by one         clocks handed off in it
recycled       by reason, one by one                           recycles in it
funnel         by source, by campaign                          leads first judged in it
definition     each rule: matched against not matched          leads first judged in it
delay          by source, by rep                               leads first handed off in it
=============  ==============================================  =================================
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from leadsync.connector.report_model import Report
from leadsync.connector.reports.definition import definition_reports
from leadsync.connector.reports.delay import delay_reports
from leadsync.connector.reports.facts import Facts
from leadsync.connector.reports.funnel import funnel_reports
from leadsync.connector.reports.ghosts import ghost_reports
from leadsync.connector.reports.recycled import recycled_reports
from leadsync.connector.reports.sla import sla_reports

BUILDERS: dict[str, Callable[[Facts], list[Report]]] = {
    "sla": sla_reports, "ghosts": ghost_reports, "recycled": recycled_reports,
    "funnel": funnel_reports, "definition": definition_reports, "delay": delay_reports,
}
NAMES = tuple(BUILDERS)


def build(names: Sequence[str], facts: Facts) -> list[Report]:
    """The tables of the reports ``names`` (``all``: every report), in that order."""
    wanted = list(NAMES) if "all" in names else list(names)
    unknown = [name for name in wanted if name not in BUILDERS]
    if unknown:
        raise ValueError(f"unknown report {unknown[0]!r}; known: {', '.join(NAMES)}, all")
    return [report for name in wanted for report in BUILDERS[name](facts)]


__all__ = ["BUILDERS", "NAMES", "Facts", "build"]
