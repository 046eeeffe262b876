"""A report's chart as inline SVG, drawn here so that the HTML report needs nothing but itself.

Bars are horizontal, one row per report row, labelled with the chart's ``label`` column on the
left (rep names are long; a long label is cut with an ellipsis and shown whole on hover). A
``bar`` chart draws its series side by side in each row, each with its value at the end of its
bar; an ``interval`` series is drawn as a range (a line between its two ends, with caps). A
``stacked`` chart draws its series one after the other in one bar, each segment labelled inside
when it is wide enough. Above, a legend names each series by its column label; below, an axis
with round ticks, in the kind of the series (``50%``, ``12 h``, ``40``). Percent charts run from
0% to 100%, so that two reports' bars compare at a glance. Axes start at zero: a negative value
(a difference of rates) draws no bar, and a blank draws none; both are still written as values.

Only the first ``MAX_BARS`` rows are drawn (the table below the chart has them all; the HTML
says so), and never a report's total row (``Report.total_row``): its bar would dwarf the rows
it sums. Every text is escaped: labels are customer data. Colours are the Okabe-Ito palette,
which reads for colour-blind people and prints in grey distinctly.
"""

from __future__ import annotations

import math
from html import escape
from typing import Any

from leadsync.connector.report_model import Chart, Column, Report
from leadsync.report_values import interval, number, percent, show

MAX_BARS = 25
WIDTH = 880
LABEL_CHARS = 30
CHAR_PX = 6.6  # average width of a 12 px sans-serif character
VALUE_ROOM = 78  # right of the plot, for the value at a bar's end
PALETTE = (("#0072B2", "#fff"), ("#E69F00", "#1a1a1a"), ("#009E73", "#fff"),
           ("#D55E00", "#fff"), ("#CC79A7", "#1a1a1a"), ("#56B4E9", "#1a1a1a"),
           ("#7f7f7f", "#fff"), ("#F0E442", "#1a1a1a"))


def chart_columns(report: Report, chart: Chart) -> tuple[Column, list[Column]]:
    """The label column and the series columns of ``chart``; a name the report lacks is an
    error naming the report, the chart and the column."""
    by_key = {column.key: column for column in report.columns}
    missing = [key for key in (chart.label, *chart.series) if key not in by_key]
    if missing:
        raise ValueError(f"report {report.name!r}: chart {chart.title!r} names column "
                         f"{missing[0]!r}, which the report does not have (it has "
                         f"{', '.join(by_key) or 'none'})")
    return by_key[chart.label], [by_key[key] for key in chart.series]


def drawn(report: Report) -> list[dict[str, Any]]:
    """The rows a chart draws: the first ``MAX_BARS``, the total row left out (its bar would
    dwarf the rows it sums)."""
    rows = report.rows[:-1] if report.total_row else report.rows
    return rows[:MAX_BARS]


def has_values(report: Report, chart: Chart) -> bool:
    """Whether any drawn row has a non-zero value in a series (else the chart would be empty)."""
    _, series = chart_columns(report, chart)
    for row in drawn(report):
        for column in series:
            value = row.get(column.key)
            pair = interval(value) if column.kind == "interval" else None
            if pair is not None and pair[1] > 0:
                return True
            plain = number(value) if column.kind != "interval" else None
            if plain is not None and plain != 0:
                return True
    return False


def chart_svg(report: Report, chart: Chart) -> str:
    """``chart`` of ``report`` as one ``<svg>`` element (no namespace needed inline in HTML5)."""
    label_column, series = chart_columns(report, chart)
    if chart.kind == "stacked":
        series = [column for column in series if column.kind != "interval"]
    rows = drawn(report)
    labels = [_label(row.get(label_column.key), label_column) for row in rows]
    label_px = min(max((len(_cut(text)) for text in labels), default=8) * CHAR_PX + 14, 230)
    left = max(label_px, 80.0)
    plot = WIDTH - left - VALUE_ROOM
    kinds = {column.kind for column in series}
    axis_kind = "percent" if kinds <= {"percent", "interval"} else (
        series[0].kind if len(kinds) == 1 else "count")
    top = _domain(rows, series, chart, axis_kind)

    def x(value: float) -> float:
        return left + plot * max(0.0, min(value, top)) / top

    legend, legend_h = _legend(series, left)
    stacked = chart.kind == "stacked"
    bar_h = 18.0 if stacked or len(series) == 1 else 12.0
    row_h = (bar_h if stacked else bar_h * len(series)) + 12
    y0 = legend_h + 8
    height = y0 + row_h * len(rows) + 30
    parts = [f'<svg class="chart" viewBox="0 0 {WIDTH} {height:.0f}" role="img" '
             f'aria-label="{escape(chart.title)}" preserveAspectRatio="xMinYMin meet">',
             f"<title>{escape(chart.title)}</title>", legend]
    parts += _axis(top, axis_kind, x, y0, y0 + row_h * len(rows))
    for index, (row, text) in enumerate(zip(rows, labels, strict=True)):
        y = y0 + row_h * index + 6
        parts.append(f'<text class="label" x="{left - 8:.1f}" y="{y + (row_h - 12) / 2 + 4:.1f}"'
                     f' text-anchor="end"><title>{escape(text)}</title>'
                     f"{escape(_cut(text))}</text>")
        if stacked:
            parts += _stack(row, text, series, x, y, bar_h)
        else:
            for position, column in enumerate(series):
                parts += _bar(row, text, column, position, x, y + bar_h * position, bar_h)
    parts.append("</svg>")
    return "".join(parts)


def _label(value: Any, column: Column) -> str:
    return "(none)" if value is None or value == "" else show(value, column.kind)


def _cut(text: str) -> str:
    return text if len(text) <= LABEL_CHARS else text[:LABEL_CHARS - 1] + "…"


def _colour(position: int) -> tuple[str, str]:
    return PALETTE[position % len(PALETTE)]


def _domain(rows: list[dict[str, Any]], series: list[Column], chart: Chart,
            axis_kind: str) -> float:
    """The axis's end: 100% for percents, else a round number at or above the largest bar."""
    largest = 0.0
    for row in rows:
        values = []
        for column in series:
            pair = interval(row.get(column.key)) if column.kind == "interval" else None
            values.append(pair[1] if pair else (number(row.get(column.key)) or 0.0))
        positive = [max(value, 0.0) for value in values]
        largest = max(largest, sum(positive) if chart.kind == "stacked" else max(positive,
                                                                                  default=0))
    if axis_kind == "percent" and largest <= 1:
        return 1.0
    step = _step(largest or 1.0, integral=axis_kind == "count", finest=_finest(axis_kind))
    return math.ceil(largest / step) * step if largest > 0 else step * 5


def _step(largest: float, *, integral: bool, finest: float = 0.0) -> float:
    """A round step for ticks up to ``largest``, never finer than ``finest`` (what a tick can
    show: a step below it would label ticks alike, and a value too small to show fill the
    chart)."""
    raw = largest / 5
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    return max(1.0, math.ceil(step)) if integral else max(step, finest)


def _finest(kind: str) -> float:
    """The smallest step a tick of ``kind`` shows apart: ticks are shown to tenths, percents
    to a tenth of a percent."""
    return 0.001 if kind == "percent" else 0.1


def _tick(value: float, kind: str) -> str:
    if kind == "percent":
        return percent(value)
    text = f"{value:,.1f}".removesuffix(".0")
    return f"{text} h" if kind == "hours" else text


def _axis(top: float, kind: str, x: Any, y_top: float, y_bottom: float) -> list[str]:
    step = 0.25 if kind == "percent" and top == 1.0 else _step(
        top, integral=kind == "count", finest=_finest(kind))
    ticks = [step * i for i in range(round(top / step) + 1)]
    parts = []
    for value in ticks:
        px = x(value)
        parts.append(f'<line class="grid" x1="{px:.1f}" y1="{y_top:.1f}" x2="{px:.1f}" '
                     f'y2="{y_bottom:.1f}"/>')
        parts.append(f'<text class="tick" x="{px:.1f}" y="{y_bottom + 16:.1f}" '
                     f'text-anchor="middle">{escape(_tick(value, kind))}</text>')
    parts.append(f'<line class="axis" x1="{x(0):.1f}" y1="{y_top:.1f}" x2="{x(0):.1f}" '
                 f'y2="{y_bottom:.1f}"/>')
    return parts


def _legend(series: list[Column], left: float) -> tuple[str, float]:
    parts, px, y = [], left, 6.0
    for position, column in enumerate(series):
        width = len(column.label) * CHAR_PX + 30
        if px + width > WIDTH and px > left:
            px, y = left, y + 18
        fill, _ = _colour(position)
        parts.append(f'<rect x="{px:.1f}" y="{y:.1f}" width="11" height="11" rx="2" '
                     f'fill="{fill}"/><text class="legend" x="{px + 16:.1f}" y="{y + 10:.1f}">'
                     f"{escape(column.label)}</text>")
        px += width
    return "".join(parts), y + 18


def _bar(row: dict[str, Any], label: str, column: Column, position: int, x: Any, y: float,
         height: float) -> list[str]:
    fill, _ = _colour(position)
    value = row.get(column.key)
    text = show(value, column.kind)
    hover = f"<title>{escape(label)}, {escape(column.label)}: {escape(text)}</title>"
    middle = y + height / 2
    if column.kind == "interval":
        pair = interval(value)
        if pair is None:
            return [f'<text class="value" x="{x(0) + 4:.1f}" y="{middle + 4:.1f}">'
                    f"{escape(text)}</text>"]
        low, high = x(pair[0]), x(pair[1])
        return [f'<g>{hover}<line x1="{low:.1f}" y1="{middle:.1f}" x2="{high:.1f}" '
                f'y2="{middle:.1f}" stroke="{fill}" stroke-width="3"/>'
                f'<line x1="{low:.1f}" y1="{y + 1:.1f}" x2="{low:.1f}" y2="{y + height - 1:.1f}"'
                f' stroke="{fill}" stroke-width="2"/><line x1="{high:.1f}" y1="{y + 1:.1f}" '
                f'x2="{high:.1f}" y2="{y + height - 1:.1f}" stroke="{fill}" stroke-width="2"/>'
                f'</g><text class="value" x="{high + 5:.1f}" y="{middle + 4:.1f}">'
                f"{escape(text)}</text>"]
    plain = number(value)
    end = x(plain) if plain is not None else x(0)
    parts = []
    if plain is not None and end > x(0):
        parts.append(f'<rect x="{x(0):.1f}" y="{y:.1f}" width="{end - x(0):.1f}" '
                     f'height="{height - 1:.1f}" fill="{fill}">{hover}</rect>')
    parts.append(f'<text class="value" x="{end + 5:.1f}" y="{middle + 4:.1f}">'
                 f"{escape(text)}</text>")
    return parts


def _stack(row: dict[str, Any], label: str, series: list[Column], x: Any, y: float,
           height: float) -> list[str]:
    parts, start = [], 0.0
    for position, column in enumerate(series):
        plain = number(row.get(column.key))
        if plain is None or plain <= 0:
            continue
        fill, ink = _colour(position)
        text = show(row.get(column.key), column.kind)
        left, right = x(start), x(start + plain)
        parts.append(f'<rect x="{left:.1f}" y="{y:.1f}" width="{right - left:.1f}" '
                     f'height="{height:.1f}" fill="{fill}"><title>{escape(label)}, '
                     f"{escape(column.label)}: {escape(text)}</title></rect>")
        if right - left >= len(text) * CHAR_PX + 6:
            parts.append(f'<text class="inside" x="{(left + right) / 2:.1f}" '
                         f'y="{y + height / 2 + 4:.1f}" text-anchor="middle" fill="{ink}">'
                         f"{escape(text)}</text>")
        start += plain
    return parts
