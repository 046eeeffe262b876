"""How each format shows a report's values: tables for people, CSV and JSON for programs."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime

from rich.console import Console

from leadsync.connector.report_model import Column, Report
from leadsync.report_formats import print_tables, shown, to_csv, to_json

AT = datetime(2026, 12, 7, 15, 0, tzinfo=UTC)
REPORT = Report("sla", "SLA compliance by rep", (
    Column("rep", "rep"), Column("met", "met", "count"), Column("rate", "met %", "percent"),
    Column("hours", "median (h)", "hours"), Column("at", "handed off", "instant"),
    Column("ci", "95%", "interval")), rows=[
    {"rep": "Ann Lee", "met": 2, "rate": 2 / 3, "hours": 1.75, "at": AT, "ci": (0.2, 0.9)},
    {"rep": "Bo Chan", "met": 0, "rate": None, "hours": None, "at": None, "ci": None}],
    notes=["met % = met / (met + breached)"], period=(AT, None))


def test_a_table_cell_shows_each_kind_for_people() -> None:
    cells = [shown(REPORT.rows[0][c.key], c, "America/New_York") for c in REPORT.columns]
    assert cells == ["Ann Lee", "2", "66.7%", "1.8", "2026-12-07 10:00 EST", "20.0%-90.0%"]
    assert [shown(REPORT.rows[1][c.key], c, None) for c in REPORT.columns][2:] == [
        "", "", "", ""]


def test_csv_keeps_numbers_plain_and_splits_an_interval_in_two_columns() -> None:
    lines = to_csv([REPORT, Report("sla-teams", "By team", (Column("team", "team"),))])
    assert lines.splitlines() == [
        "# SLA compliance by rep", "rep,met,rate,hours,at,ci_low,ci_high",
        "Ann Lee,2,0.6667,1.75,2026-12-07T15:00:00+00:00,0.2,0.9", "Bo Chan,0,,,,,",
        "", "# By team", "team"]


def test_json_keeps_iso_instants_and_null_for_nothing_to_divide() -> None:
    document = json.loads(to_json([REPORT], AT))
    assert document["generated_at"] == "2026-12-07T15:00:00+00:00"
    assert document["from"] == "2026-12-07T15:00:00+00:00" and document["to"] is None
    (report,) = document["reports"]
    assert report["rows"][0]["ci"] == [0.2, 0.9] and report["rows"][1]["rate"] is None


def test_a_table_says_when_there_is_nothing_to_report() -> None:
    out = io.StringIO()
    empty = Report("ghosts", "Ghost leads by rep", (Column("rep", "rep"),), notes=["n"])
    print_tables([REPORT, empty], "UTC", Console(file=out, width=200))
    text = out.getvalue()
    assert "2026-12-07 15:00 UTC" in text and "met % = met / (met + breached)" in text
    assert "nothing to report in this period" in text


def test_the_table_rounds_a_half_as_the_html_report_does() -> None:
    from leadsync.report_values import show

    # 6.25 and 0.25 are exact in binary: a float format rounds them to even (6.2, 0.2)
    for value, kind, table, html in ((0.0625, "percent", "6.3%", "6.3%"),
                                     (0.25, "hours", "0.3", "0.3 h"),
                                     ((0.0625, 0.1875), "interval", "6.3%-18.8%",
                                      "6.3%\N{EN DASH}18.8%")):
        column = Column("x", "X", kind)  # type: ignore[arg-type]
        assert shown(value, column, None) == table
        assert show(value, kind) == html  # type: ignore[arg-type]
