"""Reports as one self-contained HTML file a sales manager can open, read, mail and print.

``render_html(reports, title=..., generated_at=...)`` returns one HTML5 document:

- a header: the title, the connection, the period (``2026-11-01 to 2026-11-30, EST``: the
  report's ``to`` is excluded, so a period ending at midnight shows the day before) and when it
  was generated, with the zone;
- a table of contents, one entry a report with its number of rows;
- one section a report: its notes (how to read it), its charts (inline SVG, drawn by
  ``report_svg``) and its table, numbers right-aligned in the kind of their column
  (``report_values``: ``87%``, ``3.5 h``, ``42%-61%``, ``2026-12-07 10:00 EST``). A report
  with no rows says "No leads in this period." and draws no empty chart or table.

Self-contained means needing nothing but itself: the CSS is inline, the charts are SVG drawn
here, the fonts are the reader's own, there is no script, and no URL of any kind (a
Content-Security-Policy in the head refuses any that customer data might smuggle in). Every text
is escaped: rep names, sources and recycle reasons are customer data. The CSS prints: each
report starts a page, charts and rows are not split, table headers repeat. A table of ``WIDE``
columns or more is set smaller, lets a long word or an interval break rather than run off the
page, and prints on a landscape page.

The renderer computes no number; a report's values are shown as the report holds them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, time, timedelta
from html import escape

from leadsync.connector.report_model import Chart, Report
from leadsync.report_svg import MAX_BARS, chart_svg, has_values
from leadsync.report_values import NUMERIC, instant, show

EMPTY = "No leads in this period."
WIDE = 10  # a table of this many columns or more is set smaller, and printed landscape
POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"


def render_html(reports: Sequence[Report], *, title: str, generated_at: datetime) -> str:
    """``reports`` as one self-contained HTML5 document titled ``title``."""
    ids = _section_ids(reports)
    connections = sorted({report.connection for report in reports})
    periods = {report.period for report in reports}
    shared_period = next(iter(periods)) if len(periods) == 1 else None
    facts = []
    if connections:
        facts.append(("Connection" if len(connections) == 1 else "Connections",
                      ", ".join(connections)))
    if shared_period is not None:
        facts.append(("Period", period_text(shared_period)))
    elif reports:
        facts.append(("Period", "differs by report (shown in each)"))
    facts.append(("Generated", instant(generated_at)))
    header = "".join(f"<div><dt>{escape(name)}</dt><dd>{escape(value)}</dd></div>"
                     for name, value in facts)
    sections = [_section(report, ids[index], shared_period, len(connections) > 1)
                for index, report in enumerate(reports)]
    body = "\n".join(sections) if sections else f'<p class="empty">{EMPTY}</p>'
    return (f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f'<meta http-equiv="Content-Security-Policy" content="{POLICY}">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f'<meta name="generator" content="LeadSync">\n'
            f'<meta name="color-scheme" content="light">\n'
            f"<title>{escape(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
            f'<header><h1>{escape(title)}</h1><dl class="facts">{header}</dl></header>\n'
            f"{_contents(reports, ids)}\n<main>\n{body}\n</main>\n"
            f"<footer>LeadSync report, generated {escape(instant(generated_at))}. Numbers "
            f"come from the sync's state store and the CRM's activities.</footer>\n"
            f"</body>\n</html>\n")


def period_text(period: tuple[datetime | None, datetime | None]) -> str:
    """A report's ``[from, to)`` as a person reads it."""
    start, end = period
    if start is None and end is None:
        return "all time"
    if start is None:
        return f"until {_bound(end, closing=True)}" if end else "all time"
    if end is None:
        return f"from {_bound(start, closing=False)}"
    if _midnight(start) and _midnight(end):
        last = end - timedelta(days=1)
        zone = _zone(start)
        if last.date() == start.date():
            return f"{start:%Y-%m-%d}, {zone}"
        return f"{start:%Y-%m-%d} to {last:%Y-%m-%d}, {zone}"
    return f"{instant(start)} to {instant(end)} (not included)"


def _midnight(moment: datetime) -> bool:
    return moment.timetz().replace(tzinfo=None) == time(0)


def _bound(moment: datetime, *, closing: bool) -> str:
    if _midnight(moment):
        day = moment - timedelta(days=1) if closing else moment
        return f"{day:%Y-%m-%d}, {_zone(moment)}"
    return instant(moment) + (" (not included)" if closing else "")


def _zone(moment: datetime) -> str:
    """A zone for a span of days: its IANA name (a month can start in EDT and end in EST)."""
    return str(getattr(moment.tzinfo, "key", "") or moment.tzname() or "UTC")


def _section_ids(reports: Sequence[Report]) -> list[str]:
    ids: list[str] = []
    for report in reports:
        base = "report-" + ("".join(c if c.isalnum() else "-" for c in report.name.lower())
                            or "unnamed")
        candidate, suffix = base, 2
        while candidate in ids:
            candidate, suffix = f"{base}-{suffix}", suffix + 1
        ids.append(candidate)
    return ids


def _contents(reports: Sequence[Report], ids: list[str]) -> str:
    if not reports:
        return ""
    items = "".join(f'<li><a href="#{anchor}">{escape(report.title)}</a> '
                    f'<span class="count">{_rows_text(report)}</span></li>'
                    for report, anchor in zip(reports, ids, strict=True))
    return f'<nav class="contents"><h2>Contents</h2><ol>{items}</ol></nav>'


def _rows_text(report: Report) -> str:
    count = len(report.rows)
    return "no leads" if count == 0 else f"{count:,} row{'s' if count != 1 else ''}"


def _section(report: Report, anchor: str, shared_period: object, many: bool) -> str:
    wide = " wide" if len(report.columns) >= WIDE else ""
    parts = [f'<section class="report{wide}" id="{anchor}"><h2>{escape(report.title)}</h2>']
    facts = []
    if report.period != shared_period:
        facts.append(f"Period: {period_text(report.period)}")
    if many:
        facts.append(f"Connection: {report.connection}")
    if facts:
        parts.append(f'<p class="period">{escape(" · ".join(facts))}</p>')
    if report.notes:
        parts.append('<div class="notes">' + "".join(f"<p>{escape(note)}</p>"
                                                     for note in report.notes) + "</div>")
    if not report.rows:
        parts.append(f'<p class="empty">{EMPTY}</p></section>')
        return "".join(parts)
    for chart in report.charts:
        parts.append(_figure(report, chart))
    parts.append(_table(report))
    parts.append("</section>")
    return "".join(parts)


def _figure(report: Report, chart: Chart) -> str:
    caption = f"<figcaption>{escape(chart.title)}</figcaption>"
    if not has_values(report, chart):
        return (f'<figure class="chart">{caption}<p class="empty">Nothing to chart: every '
                f"value is zero or blank (the table shows them).</p></figure>")
    more = ""
    if len(report.rows) > MAX_BARS:
        more = (f'<p class="more">The chart shows the first {MAX_BARS} of '
                f"{len(report.rows):,} rows; the table has them all.</p>")
    return f'<figure class="chart">{caption}{chart_svg(report, chart)}{more}</figure>'


def _table(report: Report) -> str:
    head = "".join(f'<th scope="col" class="{_cell_class(column.kind)}">'
                   f"{escape(column.label)}</th>" for column in report.columns)
    lines = []
    last = len(report.rows) - 1
    for index, row in enumerate(report.rows):
        cells = "".join(f'<td class="{_cell_class(column.kind)}">'
                        f"{escape(show(row.get(column.key), column.kind))}</td>"
                        for column in report.columns)
        total = ' class="total"' if report.total_row and index == last else ""
        lines.append(f"<tr{total}>{cells}</tr>")
    return (f'<div class="table"><table><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(lines)}</tbody></table></div>')


def _cell_class(kind: str) -> str:
    return f"num {kind}" if kind in NUMERIC else kind


CSS = """
:root { --ink: #1d2330; --muted: #5b6475; --line: #d9dee7; --band: #f4f6fa; --accent: #0072B2; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0 auto; max-width: 1320px; padding: 24px 32px 48px; color: var(--ink);
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Liberation Sans",
  "DejaVu Sans", Arial, sans-serif; background: #fff; }
h1 { font-size: 26px; margin: 0 0 8px; }
h2 { font-size: 20px; margin: 0 0 8px; }
header { border-bottom: 3px solid var(--accent); padding-bottom: 12px; margin-bottom: 16px; }
dl.facts { display: flex; flex-wrap: wrap; gap: 6px 28px; margin: 0; }
dl.facts div { display: flex; gap: 6px; }
dl.facts dt { color: var(--muted); }
dl.facts dt::after { content: ":"; }
dl.facts dd { margin: 0; font-weight: 600; }
nav.contents { background: var(--band); border-radius: 6px; padding: 12px 20px;
  margin-bottom: 24px; }
nav.contents h2 { font-size: 15px; text-transform: uppercase; letter-spacing: .04em;
  color: var(--muted); margin-bottom: 4px; }
nav.contents ol { margin: 0; padding-left: 22px; columns: 2; column-gap: 40px; }
nav.contents li { margin: 2px 0; }
nav.contents a { color: var(--accent); text-decoration: none; font-weight: 600; }
nav.contents a:hover { text-decoration: underline; }
nav.contents .count { color: var(--muted); font-size: 12px; white-space: nowrap; }
section.report { margin: 0 0 36px; padding-top: 8px; border-top: 1px solid var(--line); }
.period { color: var(--muted); margin: 0 0 8px; }
.notes { color: var(--muted); margin-bottom: 12px; max-width: 80ch; }
.notes p { margin: 4px 0; }
.empty { font-style: italic; color: var(--muted); padding: 12px 16px; background: var(--band);
  border-radius: 6px; }
figure.chart { margin: 12px 0 20px; break-inside: avoid; page-break-inside: avoid; }
figure.chart figcaption { font-weight: 600; margin-bottom: 4px; }
svg.chart { width: 100%; max-width: 880px; height: auto; display: block; }
svg.chart text { font: 12px system-ui, -apple-system, "Segoe UI", Roboto, "Liberation Sans",
  "DejaVu Sans", Arial, sans-serif; }
svg.chart text.label, svg.chart text.value, svg.chart text.legend { fill: var(--ink); }
svg.chart text.tick { fill: var(--muted); font-size: 11px; }
svg.chart text.value { font-size: 11px; font-variant-numeric: tabular-nums; }
svg.chart text.inside { font-size: 11px; font-weight: 600; }
svg.chart line.grid { stroke: var(--line); stroke-width: 1; }
svg.chart line.axis { stroke: var(--muted); stroke-width: 1; }
.more { color: var(--muted); font-size: 12px; margin: 4px 0 0; }
div.table { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { padding: 5px 8px; border-bottom: 1px solid var(--line); text-align: left;
  vertical-align: top; }
th { background: var(--band); font-weight: 600; position: sticky; top: 0; }
td.num, th.num { text-align: right; }
td.num { white-space: nowrap; }
td.num.interval { white-space: normal; }  /* "6.1%-79.2%" may break after its dash */
td.instant { white-space: nowrap; }
section.wide table { font-size: 12.5px; }
section.wide th, section.wide td { padding: 4px 6px; }
/* a long word breaks rather than push the table off the page, but not a short one */
section.wide td.text { overflow-wrap: anywhere; min-width: 11ch; }
tbody tr:nth-child(even) { background: #fafbfd; }
tbody tr.total td { font-weight: 600; border-top: 2px solid var(--line); }
footer { color: var(--muted); font-size: 12px; border-top: 1px solid var(--line);
  padding-top: 8px; margin-top: 24px; }
@media print {
  @page { margin: 14mm; }
  @page wide { size: landscape; }
  section.wide { page: wide; }
  section.wide table { font-size: 9.5px; }
  body { max-width: none; padding: 0; font-size: 11px; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  nav.contents { background: none; border: 1px solid var(--line); }
  nav.contents a { color: var(--ink); }
  section.report { break-before: page; page-break-before: always; border-top: none; }
  div.table { overflow: visible; }
  th { position: static; }
  thead { display: table-header-group; }
  tr { break-inside: avoid; page-break-inside: avoid; }
}
"""
