"""Grades a hot rule sets, and excluded leads shown with no grade."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from leadsync.connector.definition_file import load_definition, load_definition_text
from leadsync.connector.errors import ConfigError
from tests.connector.test_definition import LEAD, TEXT, load

SHIPPED = Path(__file__).parents[2] / "definitions" / "example.toml"
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
SENIOR_DEMO = 'name = "senior_demo"\n'
# The shipped definition with its senior-demo hot rule widened to any demo request, as an org
# that calls back every demo request within the hour would write it.
ANY_DEMO = SHIPPED.read_text().replace(
    'when = { all = [ { rule = "demo_request" }, { rule = "senior_title" } ] }',
    'when = { rule = "demo_request" }')
OFFICE_MANAGER = {"email": "pat@northwind-freight.com", "company": "Northwind Freight",
                  "title": "Office Manager", "lead_source": "Demo Request", "employees": 40}


def test_a_hot_demo_request_from_an_office_manager_is_qualified_hot_and_grade_a() -> None:
    # demo_request +40, manager_title +10: score 50, grade C by score (C = 40); the hot rule
    # senior_demo_request (widened above) says grade = "A"
    assert 'grade = "A"' in ANY_DEMO
    verdict = load_definition_text(ANY_DEMO, "any_demo.toml").evaluate(OFFICE_MANAGER, NOW)

    assert (verdict.qualified, verdict.hot, verdict.excluded) == (True, True, False)
    assert (verdict.grade, verdict.score) == ("A", 50)
    assert verdict.reason == ("Hot MQL via senior_demo_request (A set by senior_demo_request; "
                              "score 50, C by score): demo_request +40, manager_title +10 "
                              "[v2026.11-1]")


def test_the_shipped_hot_demo_rule_grades_a_senior_demo_request_a_whatever_its_score() -> None:
    owner = {**OFFICE_MANAGER, "title": "Owner"}  # senior_title +20, demo_request +40: 60, B
    verdict = load_definition(SHIPPED).evaluate(owner, NOW)
    assert (verdict.hot, verdict.grade, verdict.score) == (True, "A", 60)
    # without the hot rule's grade the same lead is a B, by its score
    text = re.sub(r'(?m)^grade = "A".*\n', "", SHIPPED.read_text())
    plain = load_definition_text(text, "plain.toml")
    assert plain.evaluate(owner, NOW).grade == "B"


def test_a_hot_rule_without_a_grade_keeps_the_score_grade() -> None:
    verdict = load().evaluate({**LEAD, "title": "Director", "employees": 300,
                               "source": "Demo Request"}, NOW)
    assert (verdict.hot, verdict.grade) == (True, "B")


def test_of_several_matched_hot_rules_the_best_grade_wins() -> None:
    text = TEXT.replace(SENIOR_DEMO, SENIOR_DEMO + 'grade = "C"\n') + (
        '\n[[hot]]\nname = "any_demo"\ngrade = "A"\n'
        'when = { rule = "demo_request" }\n')
    verdict = load(text).evaluate({**LEAD, "title": "VP", "source": "Demo Request"}, NOW)
    assert (verdict.hot, verdict.grade) == (True, "A")  # senior_demo C, any_demo A: A
    assert "(A set by any_demo; score 60, B by score)" in verdict.reason


def test_a_hot_grade_does_not_lift_an_excluded_lead_or_one_missing_a_field() -> None:
    text = TEXT.replace(SENIOR_DEMO, SENIOR_DEMO + 'grade = "A"\n')
    hot_lead = {**LEAD, "title": "VP", "source": "Demo Request"}
    assert load(text).evaluate(hot_lead, NOW).grade == "A"
    excluded = load(text).evaluate({**hot_lead, "title": "VP and student"}, NOW)
    assert (excluded.qualified, excluded.hot, excluded.grade) == (False, False, "")
    missing = load(text).evaluate({**hot_lead, "company": None}, NOW)
    assert (missing.qualified, missing.hot, missing.grade) == (False, False, "B")  # by score
    assert missing.reason == "Not qualified: missing company [v2026.11-1]"


def test_an_excluded_lead_has_no_grade_and_its_reason_says_why() -> None:
    verdict = load().evaluate({**LEAD, "email": "ann@gmail.com", "title": "VP",
                               "employees": 300, "source": "Demo Request"}, NOW)
    assert (verdict.excluded, verdict.grade, verdict.score) == (True, "", 75)
    assert verdict.reason == ("Not qualified (excluded, no grade): free-mail address "
                              "[v2026.11-1]")
    assert verdict.as_dict()["grade"] == "" and verdict.as_dict()["verdict"] == "excluded"


@pytest.mark.parametrize(("grade", "message"), [
    ('"E"', "hot rule 'senior_demo': grade 'E' is not a grade of [verdict] grades: one of "
            "A, B, C, D"),
    ("1", "hot rule 'senior_demo': grade 1 is not a grade of [verdict] grades"),
])
def test_a_hot_grade_not_in_the_definitions_grades_is_refused_naming_rule_and_line(
        grade: str, message: str) -> None:
    text = TEXT.replace(SENIOR_DEMO, SENIOR_DEMO + f"grade = {grade}\n")
    line = text.splitlines().index(f"grade = {grade}") + 1
    with pytest.raises(ConfigError) as caught:
        load(text)
    assert f"d.toml:{line}: {message}" in str(caught.value)


def test_only_hot_rules_take_a_grade() -> None:
    text = TEXT.replace('name = "webinar"\n', 'name = "webinar"\ngrade = "A"\n')
    with pytest.raises(ConfigError, match=r"engagement rule 'webinar': unknown key 'grade'"):
        load(text)
