"""The funnel, the closed loop on the lead definition, system against rep delay, and the
statistics they use, against the hand-worked org of report_fixture (read its docstring)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from leadsync.connector.reports import build
from leadsync.connector.reports.definition import rule_changes
from leadsync.connector.reports.stats import median, percentile, rate, wilson
from tests.connector.report_fixture import facts
from tests.connector.test_definition import TEXT, load
from tests.connector.test_reports import rows


def test_percentile_interpolates_between_ranks() -> None:
    assert percentile([3, 1, 2, 4], 0.5) == 2.5 and median([5]) == 5
    # rank 0.9 * 3 = 2.7: 3 + 0.7 * (10 - 3)
    assert percentile([1, 2, 3, 10], 0.9) == pytest.approx(7.9)
    assert median([]) is None and rate(1, 0) is None and rate(1, 4) == 0.25


def test_wilson_interval_matches_published_values() -> None:
    # Wilson 95% for 5 of 10 is 0.2366-0.7634 and for 0 of 10 is 0-0.2775 (Newcombe 1998).
    low, high = wilson(5, 10) or (math.nan, math.nan)
    assert (round(low, 4), round(high, 4)) == (0.2366, 0.7634)
    assert wilson(0, 10) == (0.0, pytest.approx(0.2775, abs=1e-4))
    assert wilson(10, 10) == (pytest.approx(0.7225, abs=1e-4), 1.0)
    assert wilson(0, 0) is None


def test_funnel_by_source_counts_each_stage_within_the_one_before(tmp_path: Path) -> None:
    made = facts(tmp_path)
    by_source = rows(made, "funnel", "source")
    # Web, first judged in November: k1 k2 k5 k7 k9 (k6 is October). MQL: k1 k2 k5 k7.
    # Accepted (accepted or touched): k1 k2 k5; working: the same; converted: k5.
    web = by_source["Web"]
    assert [web[k] for k in ("leads", "mql", "accepted", "working", "converted")] == [
        5, 4, 3, 3, 1]
    assert (web["mql_rate"], web["accepted_rate"], web["working_rate"],
            web["converted_rate"]) == (0.8, 0.75, 1.0, 0.25)
    # MQL -> accepted: k1 1 Nov 12:00 -> 2 Nov 10:30 = 22.5 h, k2 2 Nov 15:00 -> 3 Nov 11:00
    # = 20 h, k5 2 h: median 20. Accepted -> working: k1 0, k2 0, k5 1: median 0. Working ->
    # converted: k5 2 Nov 12:00 -> 17 Nov 10:00 = 14 days 22 h = 358 h.
    assert (web["mql_to_accepted"], web["accepted_to_working"],
            web["working_to_converted"]) == (20.0, 0.0, 358.0)
    # Event: k3 k4 (MQL, untouched) and k10 (excluded); nothing accepted: no working rate.
    event = by_source["Event"]
    assert [event[k] for k in ("leads", "mql", "accepted", "converted")] == [3, 2, 0, 0]
    assert event["working_rate"] is None and event["mql_to_accepted"] is None
    assert [by_source["all"][k] for k in ("leads", "mql", "converted")] == [8, 6, 1]
    campaigns = rows(made, "funnel-campaigns", "campaign")
    # (none): k3 k7 k9 k10; Q4 demo: k1 k2 k5; Expo: k4. Largest first, then all.
    assert list(campaigns) == ["(none)", "Q4 demo", "Expo", "all"]
    assert (campaigns["Q4 demo"]["leads"], campaigns["Q4 demo"]["converted"]) == (3, 1)
    assert campaigns["(none)"]["mql"] == 2


def test_definition_compares_each_rule_matched_against_not_matched(tmp_path: Path) -> None:
    (report,) = build(["definition"], facts(tmp_path))
    by_rule = {str(row["rule"]): row for row in report.rows}
    assert list(by_rule) == [rule.name for rule in load().rules]
    # MQL leads of November: k1 k2 k3 k4 k5 k7; only k5 converted. demo_request matched k1 k5
    # k7: 1 of 3; not matched k2 k3 k4: 0 of 3; difference 1/3.
    demo = by_rule["demo_request"]
    assert (demo["population"], demo["matched"], demo["matched_converted"],
            demo["unmatched"], demo["unmatched_converted"]) == ("MQL leads", 3, 1, 3, 0)
    assert demo["matched_rate"] == pytest.approx(1 / 3) and demo["unmatched_rate"] == 0
    assert demo["difference"] == pytest.approx(1 / 3)
    assert demo["matched_interval"] == wilson(1, 3)
    assert demo["evidence"] == "too few to conclude"
    hot = by_rule["senior_demo"]  # k5 only: 1 of 1; the other 5 MQL leads: 0 of 5
    assert (hot["matched"], hot["matched_rate"], hot["unmatched"], hot["difference"]) == (
        1, 1.0, 5, 1.0)
    webinar = by_rule["webinar"]  # k2: 0 of 1; not: 1 of 5 -> -0.2
    assert webinar["difference"] == pytest.approx(-0.2)
    # Exclusions among every judged lead of November (8): student matched k10 (0 of 1); the
    # other 7 hold k5's conversion: 1 of 7.
    student = by_rule["student"]
    assert (student["population"], student["matched"], student["unmatched"],
            student["unmatched_converted"]) == ("judged leads", 1, 7, 1)
    assert by_rule["free_mail"]["evidence"] == "no evidence yet"
    assert by_rule["free_mail"]["difference"] is None


def test_thirty_leads_on_each_side_with_apart_intervals_conclude(tmp_path: Path) -> None:
    from dataclasses import replace

    made = facts(tmp_path)
    base = made.journeys[0]  # k1, an MQL of November
    # 40 matched demo_request and 30 converted; 40 did not and 2 converted.
    extra = [replace(base, key=f"m{i}", matched=("demo_request",),
                     converted_at=base.mql_at if i < 30 else None) for i in range(40)]
    extra += [replace(base, key=f"u{i}", matched=(),
                      converted_at=base.mql_at if i < 2 else None) for i in range(40)]
    made.journeys = extra
    (report,) = build(["definition"], made)
    demo = next(row for row in report.rows if row["rule"] == "demo_request")
    assert (demo["matched"], demo["unmatched"]) == (40, 40)
    assert demo["evidence"] == "converts better"
    webinar = next(row for row in report.rows if row["rule"] == "webinar")
    assert webinar["evidence"] == "no evidence yet"


def test_rule_changes_name_what_a_candidate_adds_removes_and_changes() -> None:
    candidate = load(TEXT.replace('name = "webinar"\npoints = 10', 'name = "webinar"\npoints = 5')
                     .replace('name = "student"', 'name = "job_seeker"'))
    changes = [(change, rule.name) for change, rule in rule_changes(load(), candidate)]
    assert changes == [("added", "job_seeker"), ("changed", "webinar"), ("removed", "student")]


def test_delay_splits_system_delay_from_rep_delay(tmp_path: Path) -> None:
    made = facts(tmp_path)
    by_source = rows(made, "delay", "source")
    # Web, first handed off in November: k1 (MQL 1 Nov 12:00 -> 2 Nov 09:00: 21 h), k2, k5, k7
    # (1 h each). Median 1; p90 at rank 2.7 of 1 1 1 21: 1 + 0.7 * 20 = 15. Touched: k1 1.5
    # business h (1.5 wall), k2 3 (19 wall), k5 2 (2): business median 2, p90 at rank 1.8 of
    # 1.5 2 3 = 2.8; wall median 2, p90 2 + 0.8 * 17 = 15.6. k7 never touched.
    web = by_source["Web"]
    assert (web["leads"], web["touched"], web["untouched"]) == (4, 3, 1)
    assert (web["system_median"], web["system_p90"]) == (1.0, pytest.approx(15.0))
    assert (web["rep_business_median"], web["rep_business_p90"]) == (2.0, pytest.approx(2.8))
    assert (web["rep_wall_median"], web["rep_wall_p90"]) == (2.0, pytest.approx(15.6))
    assert by_source["Event"]["rep_business_median"] is None
    by_rep = rows(made, "delay-reps", "rep")
    # The rep of k5 is Cy, who had its first clock (Ann has it now). Ann: k1 k2: system 21
    # and 1 -> median 11; business 1.5 and 3 -> 2.25; wall 1.5 and 19 -> 10.25.
    ann = by_rep["Ann Lee"]
    assert (ann["leads"], ann["system_median"], ann["rep_business_median"],
            ann["rep_wall_median"]) == (2, 11.0, 2.25, 10.25)
    assert (by_rep["Cy Diaz"]["leads"], by_rep["Cy Diaz"]["touched"]) == (2, 1)
    assert by_rep["all reps"]["system_p90"] == pytest.approx(11.0)  # rank 4.5 of 1x5, 21


def test_delay_without_the_clocks_calendar_counts_wall_clock_only_and_says_so(
        tmp_path: Path) -> None:
    (sources, _) = build(["delay"], facts(tmp_path, calendars={}))
    web = next(row for row in sources.rows if row["source"] == "Web")
    assert web["rep_business_median"] is None and web["rep_wall_median"] == 2.0
    assert any(note.startswith("3 touched lead(s)") for note in sources.notes)
