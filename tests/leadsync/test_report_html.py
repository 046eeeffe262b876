"""The HTML report as a document: self-contained, escaped, values in their kind, empty reports
said in words. The real-browser test is ``test_report_html_browser.py``."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta, timezone
from html.parser import HTMLParser

import pytest

from leadsync.connector.report_model import Chart, Column, Report
from leadsync.report_html import EMPTY, period_text, render_html
from leadsync.report_svg import MAX_BARS
from leadsync.report_values import show
from tests.leadsync.report_samples import GENERATED, NEW_YORK, NOVEMBER, all_reports, sla

XSS = "<script>alert(1)</script>"


def render(reports: list[Report]) -> str:
    return render_html(reports, title="Acme lead handoff, November 2026", generated_at=GENERATED)


class Elements(HTMLParser):
    """Every start tag with its attributes, and the text between tags."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(html: str) -> Elements:
    parser = Elements()
    parser.feed(html)
    return parser


def cells(html: str, section: str) -> list[list[str]]:
    """The text of each body row's cells in the table of ``section``."""
    body = html.split(f'id="{section}"', 1)[1].split("</section>", 1)[0]
    rows = re.findall(r"<tr>(.*?)</tr>", body.split("<tbody>", 1)[1])
    return [[re.sub(r"<[^>]+>", "", cell) for cell in re.findall(r"<td[^>]*>.*?</td>", row)]
            for row in rows]


def test_the_document_needs_nothing_but_itself() -> None:
    html = render(all_reports())
    assert html.startswith("<!DOCTYPE html>")
    # no URL of any kind, no script, no stylesheet, font or image to fetch
    assert not re.search(r"https?:|//[a-z]|\burl\(|@import|@font-face", html, re.IGNORECASE)
    tags = parse(html).tags
    assert not [tag for tag, _ in tags if tag in ("script", "link", "img", "iframe", "object")]
    assert not [attrs for _, attrs in tags if "src" in attrs]
    # what a crafted value could still try is refused by the page's own policy
    policy = [attrs["content"] for tag, attrs in tags
              if tag == "meta" and attrs.get("http-equiv") == "Content-Security-Policy"]
    assert policy == ["default-src 'none'; style-src 'unsafe-inline'; img-src data:"]
    assert "@media print" in html


def test_the_header_names_the_connection_the_period_and_when_with_its_zone() -> None:
    text = " ".join(parse(render(all_reports())).text)
    assert "Acme lead handoff, November 2026" in text
    assert "acme" in text
    # the period [Nov 1, Dec 1) ends at midnight: the last day shown is November 30
    assert "2026-11-01 to 2026-11-30, America/New_York" in text
    assert "2026-12-07 09:30 EST" in text


def test_the_contents_link_to_every_report_in_order() -> None:
    html = render(all_reports())
    tags = parse(html).tags
    links = [attrs["href"] for tag, attrs in tags if tag == "a"]
    sections = [attrs["id"] for tag, attrs in tags if tag == "section"]
    assert links == [f"#{anchor}" for anchor in sections]
    assert sections == ["report-sla", "report-ghosts", "report-recycled", "report-funnel",
                        "report-definition", "report-delay"]
    assert "5 rows" in html and "4 rows" in html


def test_values_are_shown_in_the_kind_of_their_column() -> None:
    html = render(all_reports())
    dana, luis, priya, tom, ines = cells(html, "report-sla")
    # Rep, Team, Handed off, Met, Breached, Met (share), Median, 90th percentile, Cadence
    assert dana == ["Dana Whitfield", "East", "40", "35", "5", "87.5%", "1.5 h", "6.3 h", "80%"]
    assert luis[5] == "64.5%"  # 20 of 31
    assert priya[6] == "0.8 h"  # 0.75 h, halves rounded up as by hand
    assert tom[5:] == ["25%", "14.0 h", "41.5 h", "17%"]
    # no lead handed to Ines: blanks are dashes, never zeros
    assert ines == ["Ines Moreau", "West", "0", "0", "0", "—", "—", "—", "—"]
    webinar = cells(html, "report-funnel")[0]
    assert webinar[:3] == ["Webinar", "Q4 Pipeline Webinar", "1,204"]
    demo = cells(html, "report-definition")[0]
    assert demo[8] == "33%\N{EN DASH}53%" and demo[12] == "3.2%\N{EN DASH}5.2%"
    assert cells(html, "report-ghosts")[0][-1] == "2026-11-03 09:15 EST"


def test_numbers_are_right_aligned_and_text_is_not() -> None:
    html = render([sla()])
    classes = re.findall(r'<td class="([a-z ]+)">', html)[:9]
    assert classes == ["text", "text", "num count", "num count", "num count", "num percent",
                       "num hours", "num hours", "num percent"]
    assert re.search(r"td\.num, th\.num \{ text-align: right; \}", html)


def test_a_table_of_many_columns_is_set_smaller_and_printed_landscape() -> None:
    html = render(all_reports())
    assert '<section class="report wide" id="report-definition">' in html  # 14 columns
    assert '<section class="report" id="report-sla">' in html  # 9 columns
    assert "@page wide { size: landscape; }" in html and "section.wide { page: wide; }" in html


def test_customer_text_is_shown_as_text_in_tables_charts_and_titles() -> None:
    report = sla()
    report.rows[0]["rep"] = XSS
    report.rows[1]["team"] = 'East & "Partners"'
    report.title = "SLA <b>by rep</b>"
    report.notes.append("<img src=x onerror=alert(2)>")
    html = render_html([report], title="<i>Acme</i>", generated_at=GENERATED)
    assert "<script" not in html and "<img" not in html and "<b>" not in html
    assert "<i>" not in html
    assert html.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 4  # table, 2 charts' labels
    assert "East &amp; &quot;Partners&quot;" in html
    assert "&lt;img src=x onerror=alert(2)&gt;" in html
    assert "<title>&lt;i&gt;Acme&lt;/i&gt;</title>" in html


def test_every_chart_is_well_formed_svg() -> None:
    report = sla()
    report.rows[0]["rep"] = XSS + " & co"
    html = render([report, *all_reports()[1:]])
    charts = re.findall(r"<svg.*?</svg>", html, re.DOTALL)
    assert len(charts) == 8
    for chart in charts:
        ET.fromstring(chart)  # raises on a tag or an entity an unescaped value would break


def test_a_bar_chart_draws_each_series_side_by_side_with_its_value() -> None:
    report = sla()
    report.charts = (Chart("Met by rep", "rep", ("met_rate", "cadence")),)
    svg = re.search(r"<svg.*?</svg>", render([report]), re.DOTALL)
    assert svg is not None
    bars = re.findall(r'<rect x="[\d.]+" y="[\d.]+" width="([\d.]+)" height="[\d.]+" '
                      r'fill="(#[0-9A-F]+)"><title>([^<]*)</title>', svg.group())
    # four reps with values, two series each; Ines has none: no bar, a dash
    assert [title for _, _, title in bars][:2] == ["Dana Whitfield, Met (share): 87.5%",
                                                   "Dana Whitfield, Cadence completed: 80%"]
    assert len(bars) == 8
    assert {fill for _, fill, _ in bars[0::2]} == {"#0072B2"}
    assert {fill for _, fill, _ in bars[1::2]} == {"#E69F00"}
    # percents run on a 0-100% axis: Priya's 96.4% is longer than Dana's 87.5%
    widths = {title.split(",")[0]: float(width) for width, _, title in bars[0::2]}
    assert widths["Priya Raman"] > widths["Dana Whitfield"] > widths["Tom Becker"]
    assert ">100%</text>" in svg.group() and ">0%</text>" in svg.group()
    assert ">Met (share)</text>" in svg.group()  # the legend
    assert ">—</text>" in svg.group()


def test_a_stacked_chart_puts_the_series_end_to_end() -> None:
    report = sla()
    report.charts = (Chart("Met and breached", "rep", ("met", "breached"), "stacked"),)
    svg = re.search(r"<svg.*?</svg>", render([report]), re.DOTALL)
    assert svg is not None
    segments = re.findall(r'<rect x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" '
                          r'height="[\d.]+" fill="#[0-9A-F]+"><title>', svg.group())
    dana_met, dana_breached = segments[:2]
    assert dana_met[1] == dana_breached[1]  # one bar
    assert float(dana_met[0]) + float(dana_met[2]) == pytest.approx(float(dana_breached[0]),
                                                                     abs=0.2)
    # 35 met to 5 breached: seven times as wide
    assert float(dana_met[2]) == pytest.approx(7 * float(dana_breached[2]), rel=0.01)
    assert ">35</text>" in svg.group()  # labelled inside


def test_an_empty_report_says_so_and_draws_nothing() -> None:
    report = sla()
    report.rows = []
    html = render([report])
    section = html.split('id="report-sla"', 1)[1]
    assert EMPTY in section
    assert "<svg" not in html and "<table" not in html
    assert "no leads" in html.split("<main>", 1)[0]  # in the contents too
    assert "A lead meets its SLA" in section  # the notes still say what it counts


def test_a_chart_of_only_zeros_and_blanks_is_not_drawn() -> None:
    report = sla()
    report.rows = [report.rows[-1]]  # Ines: zeros and blanks
    html = render([report])
    assert "<svg" not in html
    assert html.count("Nothing to chart") == 2
    assert "<table" in html


def test_a_chart_draws_the_first_rows_and_says_the_table_has_them_all() -> None:
    report = sla()
    report.rows = [dict(report.rows[0], rep=f"Rep {n:02d}") for n in range(MAX_BARS + 5)]
    html = render([report])
    first_chart = re.search(r"<svg.*?</svg>", html, re.DOTALL)
    assert first_chart is not None
    assert ">Rep 24</text>" in first_chart.group() and "Rep 25" not in first_chart.group()
    assert f"The chart shows the first {MAX_BARS} of 30 rows" in html
    assert len(cells(html, "report-sla")) == 30


def test_a_long_label_is_cut_in_the_chart_and_whole_on_hover_and_in_the_table() -> None:
    report = sla()
    name = "Maximiliane Anastasia Featherstonehaugh-Worthington"
    report.rows[0]["rep"] = name
    html = render([report])
    assert f"<title>{name}</title>Maximiliane Anastasia Feather…</text>" in html
    assert cells(html, "report-sla")[0][0] == name


def test_a_chart_naming_a_column_the_report_lacks_is_an_error_naming_it() -> None:
    report = sla()
    report.charts = (Chart("Touches", "rep", ("touches",)),)
    with pytest.raises(ValueError, match=r"report 'sla': chart 'Touches' names column "
                                         r"'touches', which the report does not have"):
        render([report])


def test_reports_of_different_periods_and_connections_each_say_theirs() -> None:
    first, second = sla(), sla()
    second.connection = "emea"
    second.name = "sla"  # same name twice: the anchors still differ
    second.period = (datetime(2026, 10, 1, tzinfo=NEW_YORK), NOVEMBER[0])
    html = render([first, second])
    assert 'id="report-sla"' in html and 'id="report-sla-2"' in html
    assert "Period: 2026-10-01 to 2026-10-31, America/New_York · Connection: emea" in html
    assert "Connections:</dt>" not in html  # the ":" is drawn by the CSS
    assert "<dt>Connections</dt><dd>acme, emea</dd>" in html


def test_no_reports_at_all_is_a_page_that_says_so() -> None:
    html = render([])
    assert EMPTY in html and "<nav" not in html


@pytest.mark.parametrize(("period", "shown"), [
    ((None, None), "all time"),
    ((datetime(2026, 11, 1, tzinfo=UTC), None), "from 2026-11-01, UTC"),
    ((None, datetime(2026, 12, 1, tzinfo=UTC)), "until 2026-11-30, UTC"),
    ((datetime(2026, 11, 2, tzinfo=UTC), datetime(2026, 11, 3, tzinfo=UTC)), "2026-11-02, UTC"),
    ((datetime(2026, 11, 2, 9, tzinfo=NEW_YORK), datetime(2026, 11, 2, 17, tzinfo=NEW_YORK)),
     "2026-11-02 09:00 EST to 2026-11-02 17:00 EST (not included)"),
    ((datetime(2026, 11, 1, tzinfo=timezone(timedelta(hours=1))),
      datetime(2026, 11, 8, tzinfo=timezone(timedelta(hours=1)))),
     "2026-11-01 to 2026-11-07, UTC+01:00"),
])
def test_a_period_reads_as_days_when_it_runs_midnight_to_midnight(
        period: tuple[datetime | None, datetime | None], shown: str) -> None:
    assert period_text(period) == shown


@pytest.mark.parametrize(("value", "kind", "shown"), [
    (0.875, "percent", "87.5%"), (2 / 3, "percent", "66.7%"), (0.5, "percent", "50%"),
    (0.0625, "percent", "6.3%"), (0.0, "percent", "0%"), (None, "percent", "—"),
    (3.5, "hours", "3.5 h"), (6.25, "hours", "6.3 h"), (1234.5, "hours", "1,234.5 h"),
    ((0.42, 0.61), "interval", "42%\N{EN DASH}61%"),
    ([0.033, 0.05], "interval", "3.3%\N{EN DASH}5%"),
    (1204, "count", "1,204"), (0, "count", "0"), (True, "text", "yes"),
    (datetime(2026, 12, 7, 15, tzinfo=UTC), "instant", "2026-12-07 15:00 UTC"),
    (datetime(2026, 12, 7, 15), "instant", "2026-12-07 15:00 UTC"),  # naive: said to be UTC
    (datetime(2026, 12, 7, 10, tzinfo=NEW_YORK), "instant", "2026-12-07 10:00 EST"),
])
def test_values_read_as_people_write_them(value: object, kind: str, shown: str) -> None:
    assert show(value, kind) == shown  # type: ignore[arg-type]


def test_the_renderer_changes_no_report() -> None:
    reports = all_reports()
    before = [report.as_dict() for report in reports]
    render(reports)
    assert [report.as_dict() for report in reports] == before


def test_an_unknown_column_in_a_row_is_ignored_and_a_missing_one_is_blank() -> None:
    report = Report("sla", "SLA", (Column("rep", "Rep"), Column("met", "Met", "count")),
                    [{"rep": "Dana", "extra": "<x>"}], period=NOVEMBER)
    assert cells(render([report]), "report-sla") == [["Dana", "—"]]
