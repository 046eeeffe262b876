"""Reports as people and programs read them: a table (rich), CSV and JSON.

No format computes a number; each shows what ``connector.reports`` computed. How a value is
shown depends on its column's kind:

=========  ===========================  ==================================================
kind       table                        CSV / JSON
=========  ===========================  ==================================================
count      12                           12
percent    41.7%                        0.4167 (a fraction; JSON keeps every digit)
hours      3.5                          3.5 (CSV: 2 decimals)
instant    2026-12-07 10:00 EST         ISO-8601 with its offset
interval   22.1%-65.4%                  CSV: two columns, ``<key>_low`` and ``<key>_high``
=========  ===========================  ==================================================

A value missing (nothing to divide, nobody touched) is empty in a table and CSV, null in JSON.
Tables show instants in the report's zone, with the zone named; ``in_zone`` gives the HTML
renderer the reports with their instants in that zone, so the page shows them the same way.
CSV writes each table after a ``# <title>`` line, tables separated by an empty line.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from leadsync.connector.report_model import Column, Report
from leadsync.connector.timefmt import local
from leadsync.connector.timefmt import zone as zone_info
from leadsync.report_values import tenths

FORMATS = ("table", "csv", "json", "html")


def shown(value: Any, column: Column, zone: str | None) -> str:
    """A value as a table cell, rounded as the HTML report rounds it (``report_values.tenths``:
    halves up), so a figure never reads differently between the two."""
    if value is None:
        return ""
    kind = column.kind
    if kind == "percent":
        return f"{tenths(value * 100)}%"
    if kind == "hours":
        return f"{tenths(value)}"
    if kind == "instant":
        return local(value, zone)
    if kind == "interval":
        low, high = value
        return f"{tenths(low * 100)}%-{tenths(high * 100)}%"
    return str(value)


def print_tables(reports: Sequence[Report], zone: str | None, console: Console | None = None
                 ) -> None:
    """Each report as a rich table with its notes under it; wide when not on a terminal."""
    if console is None:
        console = Console()
        if not console.is_terminal:
            console = Console(width=240)
    for report in reports:
        table = Table(title=escape(report.title), title_justify="left")
        for column in report.columns:
            numeric = column.kind in ("count", "percent", "hours")
            table.add_column(escape(column.label), justify="right" if numeric else "left")
        for row in report.rows:
            table.add_row(*(escape(shown(row.get(c.key), c, zone)) for c in report.columns))
        console.print(table)
        if not report.rows:
            console.print("  nothing to report in this period")
        for note in report.notes:
            console.print(f"  [dim]{escape(note)}[/dim]")
        console.print()


def in_zone(reports: Sequence[Report], zone: str | None) -> list[Report]:
    """Copies of ``reports`` whose instants are the same moments in ``zone`` (None: UTC)."""
    where = zone_info(zone)
    moved = []
    for report in reports:
        instants = [c.key for c in report.columns if c.kind == "instant"]
        rows = [{**row, **{key: row[key].astimezone(where) for key in instants
                           if isinstance(row.get(key), datetime)}} for row in report.rows]
        moved.append(dataclasses.replace(report, rows=rows))
    return moved


def to_csv(reports: Sequence[Report]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for index, report in enumerate(reports):
        if index:
            out.write("\n")
        out.write(f"# {report.title}\n")
        header: list[str] = []
        for column in report.columns:
            header += ([f"{column.key}_low", f"{column.key}_high"]
                       if column.kind == "interval" else [column.key])
        writer.writerow(header)
        for row in report.rows:
            cells: list[Any] = []
            for column in report.columns:
                cells += _csv_cells(row.get(column.key), column)
            writer.writerow(cells)
    return out.getvalue()


def _csv_cells(value: Any, column: Column) -> list[Any]:
    if column.kind == "interval":
        return ["", ""] if value is None else [round(value[0], 4), round(value[1], 4)]
    if value is None:
        return [""]
    if column.kind == "percent":
        return [round(value, 4)]
    if column.kind == "hours":
        return [round(value, 2)]
    if isinstance(value, datetime):
        return [value.isoformat()]
    return [value]


def to_json(reports: Sequence[Report], generated_at: datetime) -> str:
    first = reports[0] if reports else None
    document = {"generated_at": generated_at.isoformat(),
                "connection": first.connection if first else None,
                "from": first.period[0].isoformat() if first and first.period[0] else None,
                "to": first.period[1].isoformat() if first and first.period[1] else None,
                "reports": [report.as_dict() for report in reports]}
    return json.dumps(document, indent=2)
