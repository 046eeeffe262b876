"""A report as data: what ``leadsync report`` computes and every format renders.

A ``Report`` is a titled table (``columns`` and ``rows``) with notes and charts. Reports are
computed in ``connector`` from the state store's facts and rendered at the edge as a table, CSV,
JSON or one self-contained HTML file; no renderer computes a number.

Column kinds tell a renderer how to show a value: ``text``, ``count`` (int), ``percent`` (a
fraction 0..1, or None when there is nothing to divide), ``hours`` (float hours), ``instant``
(an aware datetime) and ``interval`` (a (low, high) pair of fractions, a confidence interval).
A chart names the column of its labels and the columns of its series; ``bar`` draws them side by
side, ``stacked`` one on the other. A report whose last row totals the others (``all reps``)
says so with ``total_row``: charts leave that row out (its bar would dwarf the others).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

ColumnKind = Literal["text", "count", "percent", "hours", "instant", "interval"]
ChartKind = Literal["bar", "stacked"]


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    label: str
    kind: ColumnKind = "text"


@dataclass(frozen=True, slots=True)
class Chart:
    title: str
    label: str  # the column whose values label the bars
    series: tuple[str, ...]  # columns plotted, each a colour
    kind: ChartKind = "bar"


@dataclass(slots=True)
class Report:
    name: str  # sla, ghosts, recycled, funnel, definition, delay
    title: str
    columns: tuple[Column, ...]
    rows: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # how to read it, what it counts
    charts: tuple[Chart, ...] = ()
    period: tuple[datetime | None, datetime | None] = (None, None)  # [from, to)
    connection: str = "default"
    total_row: bool = False  # the last row is the total of the others

    def as_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data: instants in ISO-8601, intervals as two numbers."""
        def plain(value: Any) -> Any:
            if isinstance(value, datetime):
                return value.isoformat()
            if isinstance(value, tuple):
                return [plain(v) for v in value]
            return value

        return {"name": self.name, "title": self.title, "connection": self.connection,
                "from": plain(self.period[0]), "to": plain(self.period[1]),
                "columns": [{"key": c.key, "label": c.label, "kind": c.kind}
                            for c in self.columns],
                "rows": [{key: plain(value) for key, value in row.items()} for row in self.rows],
                "notes": list(self.notes)}
