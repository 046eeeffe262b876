"""The demo's last part: the reports each team reads, as ``leadsync report`` computes them.

The reports are read the way the command reads them (``jobs.reports.gather`` from the state
store and the CRM's reps, then ``connector.reports.build``), as of the demo's last sweep; the
demo computes no number of its own here. The console shows a short SLA compliance by rep and one
line each for the recycled leads and the funnel, taken from the reports' total rows; the whole
set (every report, with its charts) is saved as one self-contained HTML file
(``leadsync.report_html``) that opens offline.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from rich.markup import escape
from rich.table import Table

from leadsync.connector.config import Config
from leadsync.connector.report_model import Column, Report
from leadsync.report_formats import shown

DEFAULT_REPORT = "leadsync-demo-report.html"
SLA_COLUMNS = ("rep", "handed_off", "met", "breached", "open", "met_rate", "first_touch_median",
               "cadence_rate")


@dataclass(frozen=True, slots=True)
class Headline:
    """The reports' totals the demo shows (each from a report's total row)."""

    handed_off: int  # sla: clocks handed off
    met: int
    breached: int
    recycled: int  # recycled: recycles
    came_back: int
    converted_after: int
    leads: int  # funnel: leads judged
    mql: int
    accepted: int
    working: int
    converted: int


def read_reports(config: Config, now: datetime) -> tuple[list[Report], str | None]:
    """Every report of ``config``'s connection as of ``now``, and the zone they show times in:
    what ``leadsync report all`` computes (the reps' names read from the CRM)."""
    from leadsync.connector.reports import build
    from leadsync.jobs.reports import crm_reps, gather

    facts = gather(config, None, None, now, crm_reps(config))
    return build(["all"], facts), facts.zone


def report(reports: Sequence[Report], name: str) -> Report:
    found = next((r for r in reports if r.name == name), None)
    if found is None:
        raise ValueError(f"no report named {name!r} among {', '.join(r.name for r in reports)}")
    return found


def total(found: Report, key: str, label: str) -> dict[str, Any]:
    """The row of ``found`` whose ``key`` is ``label`` (its total row); all zeros when the
    report has no rows."""
    row = next((row for row in found.rows if row.get(key) == label), None)
    return row if row is not None else {column.key: 0 for column in found.columns}


def headline(reports: Sequence[Report]) -> Headline:
    sla = total(report(reports, "sla"), "rep", "all reps")
    recycled = total(report(reports, "recycled"), "reason", "all reasons")
    funnel = total(report(reports, "funnel"), "source", "all")
    return Headline(sla["handed_off"], sla["met"], sla["breached"], recycled["recycled"],
                    recycled["came_back"], recycled["converted"], funnel["leads"],
                    funnel["mql"], funnel["accepted"], funnel["working"], funnel["converted"])


def sla_table(found: Report, zone: str | None) -> Table:
    """The SLA compliance by rep, its main columns, for a terminal 100 columns wide."""
    columns: list[Column] = [c for key in SLA_COLUMNS for c in found.columns if c.key == key]
    table = Table(title=f"What managers see: {found.title} (leadsync report sla)",
                  caption="met % = met / (met + breached); breached: a deadline missed")
    for column in columns:
        numeric = column.kind in ("count", "percent", "hours")
        table.add_column(escape(column.label), justify="right" if numeric else "left")
    for row in found.rows:
        if row.get("rep") == "all reps":
            table.add_section()
        table.add_row(*(escape(shown(row.get(c.key), c, zone)) for c in columns))
    return table


def headline_lines(numbers: Headline) -> list[str]:
    """One line for marketing's recycled leads, one for the funnel."""
    return [
        f"[bold]Marketing[/bold] (leadsync report recycled): {numbers.recycled} leads recycled "
        f"to nurture; {numbers.came_back} came back qualified so far, "
        f"{numbers.converted_after} of them converted.",
        f"[bold]Funnel[/bold] (leadsync report funnel): {numbers.leads} leads judged -> "
        f"{numbers.mql} MQL -> {numbers.accepted} accepted -> {numbers.working} working -> "
        f"{numbers.converted} converted.",
    ]


def save_html(reports: Sequence[Report], path: Path, now: datetime, zone: str | None) -> Path:
    """Every report in one self-contained HTML file at ``path``, times in ``zone`` (as
    ``leadsync report all --format html --output PATH`` writes it)."""
    from leadsync.connector.timefmt import zone as zone_info
    from leadsync.report_formats import in_zone
    from leadsync.report_html import render_html

    title = "LeadSync demo reports" + (f": {reports[0].connection}" if reports else "")
    path.write_text(render_html(in_zone(reports, zone), title=title,
                                generated_at=now.astimezone(zone_info(zone))), encoding="utf-8")
    return path
