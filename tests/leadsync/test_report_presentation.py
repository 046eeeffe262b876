"""How a sales manager reads the reports: a total row is not charted beside the rows it sums
(its bar would dwarf them) and stands out in the table; the HTML shows times in the report's
zone, as the table format does; the closed loop's note names the definition and its version."""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from leadsync.connector.report_model import Chart, Column, Report
from leadsync.connector.reports import build
from leadsync.report_formats import in_zone
from leadsync.report_html import render_html
from leadsync.report_svg import chart_svg
from tests.connector.report_fixture import facts

COLUMNS = (Column("rep", "rep"), Column("met", "met", "count"),
           Column("breached", "breached", "count"),
           Column("recycled_at", "recycled at", "instant"))
CHART = Chart("Clocks by rep", "rep", ("met", "breached"), "stacked")
RECYCLED = datetime(2026, 12, 21, 18, 0, tzinfo=UTC)  # 13:00 in New York (EST)
NEW_YORK = ZoneInfo("America/New_York")


def by_rep(total: bool) -> Report:
    rows = [{"rep": "Ann Lee", "met": 3, "breached": 1, "recycled_at": RECYCLED},
            {"rep": "Bo Chan", "met": 1, "breached": 2, "recycled_at": None}]
    if total:
        rows.append({"rep": "all reps", "met": 4, "breached": 3, "recycled_at": None})
    return Report("sla", "SLA compliance by rep", COLUMNS, rows, charts=(CHART,),
                  total_row=total)


def axis_end(svg: str) -> int:
    """The largest tick of the chart's axis."""
    return max(int(tick) for tick in re.findall(r'class="tick"[^>]*>(\d+)<', svg))


def test_a_total_row_is_not_charted_beside_the_rows_it_sums() -> None:
    with_total = chart_svg(by_rep(total=True), CHART)
    assert ">Ann Lee<" in with_total and ">Bo Chan<" in with_total
    assert "all reps" not in with_total
    # the axis is drawn for the reps' bars (4 at most), not the total's 7
    assert axis_end(with_total) == axis_end(chart_svg(by_rep(total=False), CHART)) < 7
    # a report that says it has no total row draws every row
    unmarked = dataclasses.replace(by_rep(total=True), total_row=False)
    assert "all reps" in chart_svg(unmarked, CHART)


def test_the_total_row_stands_out_in_the_html_table() -> None:
    page = render_html([by_rep(total=True)], title="t", generated_at=RECYCLED)
    rows = re.findall(r"<tr(?: class=\"(\w+)\")?><td", page)
    assert rows == ["", "", "total"]
    assert "tbody tr.total td" in page  # the style that sets it apart


def test_html_times_are_in_the_reports_zone_with_the_zone_named() -> None:
    [moved] = in_zone([by_rep(total=False)], "America/New_York")
    assert moved.rows[0]["recycled_at"] == RECYCLED  # the same moment
    page = render_html([moved], title="t", generated_at=RECYCLED.astimezone(NEW_YORK))
    assert "2026-12-21 13:00 EST" in page and "2026-12-21 18:00 UTC" not in page
    assert by_rep(total=False).rows[0]["recycled_at"].tzname() == "UTC"  # not changed
    [unzoned] = in_zone([by_rep(total=False)], None)
    assert unzoned.rows[0]["recycled_at"].tzname() == "UTC"


def test_the_reports_that_total_their_rows_say_so(tmp_path: Path) -> None:
    reports = {r.name: r for r in build(["all"], facts(tmp_path))}
    totalled = {name for name, r in reports.items() if r.total_row}
    assert totalled == {"sla", "recycled", "funnel", "funnel-campaigns", "delay", "delay-reps"}
    for name in totalled:
        last = reports[name].rows[-1]
        assert str(next(iter(last.values()))).startswith("all"), (name, last)


def test_the_closed_loops_note_names_the_definition_and_its_version(tmp_path: Path) -> None:
    (report,) = build(["definition"], facts(tmp_path))
    assert report.notes[0].startswith('Definition "t", version 2026.11-1; leads first judged')


def ticks(svg: str) -> list[str]:
    return re.findall(r'class="tick"[^>]*>([^<]+)<', svg)


def delays(*values: float) -> Report:
    columns = (Column("rep", "rep"), Column("median", "median (h)", "hours"))
    return Report("delay", "Delay", columns,
                  [{"rep": f"rep {n}", "median": value} for n, value in enumerate(values)],
                  charts=(Chart("Median delay (h)", "rep", ("median",)),))


def test_hours_too_small_to_show_draw_no_full_bar_and_ticks_are_told_apart() -> None:
    # a second or two of system delay: 0.0 h shown, so it must not fill the chart
    tiny = chart_svg(delays(0.0003, 0.0005), Chart("Median delay (h)", "rep", ("median",)))
    assert ticks(tiny) == ["0 h", "0.1 h"]
    bars = re.findall(r'<rect x="[\d.]+" y="[\d.]+" width="([\d.]+)" height="17', tiny)
    widths = [float(width) for width in bars]
    assert widths and max(widths) < 5  # px, of a plot about 600 px wide
    # a fifth of an hour: ticks a tenth apart, each label once
    small = chart_svg(delays(0.23, 0.1), Chart("Median delay (h)", "rep", ("median",)))
    assert ticks(small) == ["0 h", "0.1 h", "0.2 h", "0.3 h"]
