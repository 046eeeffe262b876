"""The condition language: every operator and group, on present, missing and odd values."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest

from leadsync.connector.definition import Definition
from leadsync.connector.definition_file import load_definition_text
from leadsync.connector.errors import ConfigError

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
FIELDS = {"title": "string", "email": "string", "country": "string", "employees": "number",
          "is_customer": "boolean", "signed_up": "date", "last_activity": "datetime"}


def toml(value: Any) -> str:
    """``value`` written as a TOML value (inline tables for conditions)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(toml(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{key} = {toml(item)}" for key, item in value.items()) + " }"
    return repr(value)


def definition_with(condition: dict[str, Any]) -> Definition:
    fields = "\n".join(f"{name} = {toml(kind)}" for name, kind in FIELDS.items())
    return load_definition_text(
        f'[definition]\nname = "t"\nversion = "1"\n\n[fields]\n{fields}\n\n'
        f'[[fit]]\nname = "rule"\npoints = 10\nwhen = {toml(condition)}\n\n'
        "[verdict]\nmql_score = 10\ngrades = { A = 10, B = 0 }\n", "rules.toml")


def matches(condition: dict[str, Any], lead: dict[str, Any], now: datetime = NOW) -> bool:
    verdict = definition_with(condition).evaluate(lead, now)
    return verdict.results[-1].matched


MISSING: dict[str, Any] = {}
DAYS_AGO = {days: (NOW - timedelta(days=days)).isoformat() for days in (0, 13, 14, 15, 90, 91)}

CASES: list[tuple[str, dict[str, Any], dict[str, Any], bool]] = [
    # equals / not_equals: trimmed, NFKC, case-folded
    ("equals ignores case", {"field": "title", "equals": "Director"}, {"title": "DIRECTOR"},
     True),
    ("equals trims", {"field": "title", "equals": "Director"}, {"title": "  director\t"}, True),
    ("equals is whole value", {"field": "title", "equals": "Director"},
     {"title": "Director of IT"}, False),
    ("equals is not a prefix match", {"field": "title", "equals": "Director"},
     {"title": "Directrice"}, False),
    ("equals folds German", {"field": "title", "equals": "Geschäftsführer"},
     {"title": "GESCHÄFTSFÜHRER"}, True),
    ("equals composes accents", {"field": "title", "equals": "Geschäftsführer"},
     {"title": "Gescha\u0308ftsfu\u0308hrer"}, True),
    ("equals folds sharp s", {"field": "title", "equals": "Leiter Außendienst"},
     {"title": "LEITER AUSSENDIENST"}, True),
    ("equals on missing", {"field": "title", "equals": "Director"}, MISSING, False),
    ("equals on None", {"field": "title", "equals": "Director"}, {"title": None}, False),
    ("equals on empty", {"field": "title", "equals": "Director"}, {"title": ""}, False),
    ("case_sensitive equals keeps case", {"field": "title", "equals": "Director",
                                          "case_sensitive": True}, {"title": "DIRECTOR"}, False),
    ("case_sensitive equals still trims", {"field": "title", "equals": "Director",
                                           "case_sensitive": True}, {"title": " Director "},
     True),
    ("not_equals differs", {"field": "title", "not_equals": "Student"}, {"title": "CEO"}, True),
    ("not_equals same ignoring case", {"field": "title", "not_equals": "Student"},
     {"title": "STUDENT"}, False),
    ("not_equals on missing is true", {"field": "title", "not_equals": "Student"}, MISSING,
     True),
    ("not_equals on blank is true", {"field": "title", "not_equals": "Student"},
     {"title": "   "}, True),
    # in / not_in
    ("in ignores case and spaces", {"field": "country", "in": ["US", "DE"]},
     {"country": " de "}, True),
    ("in without the value", {"field": "country", "in": ["US", "DE"]}, {"country": "FR"},
     False),
    ("in on missing", {"field": "country", "in": ["US", "DE"]}, MISSING, False),
    ("case_sensitive in", {"field": "country", "in": ["US"], "case_sensitive": True},
     {"country": "us"}, False),
    ("not_in without the value", {"field": "country", "not_in": ["US"]}, {"country": "FR"},
     True),
    ("not_in with the value", {"field": "country", "not_in": ["US"]}, {"country": "us"}, False),
    ("not_in on missing is true", {"field": "country", "not_in": ["US"]}, MISSING, True),
    ("not_in on empty is true", {"field": "country", "not_in": ["US"]}, {"country": ""}, True),
    # contains / starts_with / ends_with
    ("contains ignores case", {"field": "title", "contains": "vp"}, {"title": "SVP Sales"},
     True),
    ("contains any of a list", {"field": "title", "contains": ["chief", "head"]},
     {"title": "Head of Data"}, True),
    ("contains none of a list", {"field": "title", "contains": ["chief", "head"]},
     {"title": "Engineer"}, False),
    ("contains on missing", {"field": "title", "contains": "vp"}, MISSING, False),
    ("contains unicode", {"field": "title", "contains": "führer"},
     {"title": "Geschäftsführerin"}, True),
    ("starts_with", {"field": "email", "starts_with": "info@"}, {"email": "INFO@acme.com"},
     True),
    ("starts_with misses", {"field": "email", "starts_with": "info@"},
     {"email": "ann@info.com"}, False),
    ("ends_with any of a list", {"field": "email", "ends_with": ["@gmail.com", "@yahoo.com"]},
     {"email": "Ann@GMAIL.com"}, True),
    ("ends_with is the end", {"field": "email", "ends_with": "@gmail.com"},
     {"email": "ann@gmail.company"}, False),
    ("ends_with on missing", {"field": "email", "ends_with": "@gmail.com"}, MISSING, False),
    # matches: a regular expression searched anywhere, ignoring case by default
    ("matches a word", {"field": "title", "matches": r"\b(vp|director)\b"},
     {"title": "Director, Sales"}, True),
    ("matches ignores case", {"field": "title", "matches": r"\b(vp|director)\b"},
     {"title": "DIRECTOR"}, True),
    ("matches respects word boundaries", {"field": "title", "matches": r"\bdirector\b"},
     {"title": "Directrice"}, False),
    ("matches French feminine", {"field": "title", "matches": r"^direct(eur|rice)\b"},
     {"title": "Directrice commerciale"}, True),
    ("matches unicode ignoring case", {"field": "title", "matches": "^geschäftsführer"},
     {"title": "GESCHÄFTSFÜHRER"}, True),
    ("matches sharp s as written", {"field": "title", "matches": "außendienst"},
     {"title": "Leiter Außendienst"}, True),
    ("matches case_sensitive", {"field": "title", "matches": "^VP", "case_sensitive": True},
     {"title": "vp sales"}, False),
    ("matches case_sensitive same case", {"field": "title", "matches": "^VP",
                                          "case_sensitive": True}, {"title": " VP Sales"}, True),
    ("matches on missing", {"field": "title", "matches": ".*"}, MISSING, False),
    ("matches on empty", {"field": "title", "matches": ".*"}, {"title": ""}, False),
    ("matches a number given to a text field", {"field": "title", "matches": "^42$"},
     {"title": 42}, True),
    # numbers: numbers as text are numbers, "1,200" is not
    ("gt below", {"field": "employees", "gt": 200}, {"employees": 200}, False),
    ("gt above", {"field": "employees", "gt": 200}, {"employees": 201}, True),
    ("gte boundary", {"field": "employees", "gte": 200}, {"employees": 200}, True),
    ("lt boundary", {"field": "employees", "lt": 200}, {"employees": 200}, False),
    ("lt float", {"field": "employees", "lt": 200}, {"employees": 199.5}, True),
    ("lte boundary", {"field": "employees", "lte": 200}, {"employees": 200}, True),
    ("number as text", {"field": "employees", "gt": 200}, {"employees": "250"}, True),
    ("number as padded text", {"field": "employees", "gt": 200}, {"employees": " 250 "}, True),
    ("number in exponent form", {"field": "employees", "gte": 1000}, {"employees": "1e3"},
     True),
    ("thousands separator is unreadable", {"field": "employees", "gt": 200},
     {"employees": "1,200"}, False),
    ("underscores are unreadable", {"field": "employees", "gt": 200},
     {"employees": "1_200"}, False),
    ("words are unreadable", {"field": "employees", "gt": 200}, {"employees": "lots"}, False),
    ("nan is unreadable", {"field": "employees", "lt": 200}, {"employees": "nan"}, False),
    ("a boolean is not a number", {"field": "employees", "gte": 1}, {"employees": True},
     False),
    ("gt on missing", {"field": "employees", "gt": 200}, MISSING, False),
    ("lt on missing", {"field": "employees", "lt": 200}, MISSING, False),
    ("equals number given as text", {"field": "employees", "equals": 250},
     {"employees": "250"}, True),
    ("equals float and int", {"field": "employees", "equals": 250}, {"employees": 250.0},
     True),
    ("in numbers", {"field": "employees", "in": [1, 2]}, {"employees": "2"}, True),
    ("not_equals number on unreadable", {"field": "employees", "not_equals": 5},
     {"employees": "n/a"}, True),
    ("between low end", {"field": "employees", "between": [200, 5000]}, {"employees": 200},
     True),
    ("between high end", {"field": "employees", "between": [200, 5000]},
     {"employees": "5000"}, True),
    ("between below", {"field": "employees", "between": [200, 5000]}, {"employees": 199},
     False),
    ("between above", {"field": "employees", "between": [200, 5000]}, {"employees": 5001},
     False),
    ("between on missing", {"field": "employees", "between": [200, 5000]}, MISSING, False),
    # booleans
    ("boolean true", {"field": "is_customer", "equals": True}, {"is_customer": True}, True),
    ("boolean as text", {"field": "is_customer", "equals": True}, {"is_customer": "true"},
     True),
    ("boolean yes", {"field": "is_customer", "equals": True}, {"is_customer": " YES "}, True),
    ("boolean one", {"field": "is_customer", "equals": True}, {"is_customer": 1}, True),
    ("boolean false", {"field": "is_customer", "equals": True}, {"is_customer": "false"},
     False),
    ("boolean unreadable", {"field": "is_customer", "equals": False},
     {"is_customer": "maybe"}, False),
    ("boolean missing", {"field": "is_customer", "equals": False}, MISSING, False),
    ("boolean not_equals on missing", {"field": "is_customer", "not_equals": True}, MISSING,
     True),
    # recency of date-times (now = 2026-11-20T12:00Z)
    ("within_days today", {"field": "last_activity", "within_days": 14},
     {"last_activity": DAYS_AGO[0]}, True),
    ("within_days exactly N days", {"field": "last_activity", "within_days": 14},
     {"last_activity": DAYS_AGO[14]}, True),
    ("within_days one second past", {"field": "last_activity", "within_days": 14},
     {"last_activity": "2026-11-06T11:59:59Z"}, False),
    ("within_days with an offset", {"field": "last_activity", "within_days": 14},
     {"last_activity": "2026-11-06T13:00:00+01:00"}, True),
    ("within_days with Z", {"field": "last_activity", "within_days": 1},
     {"last_activity": "2026-11-20T01:00:00Z"}, True),
    ("within_days a datetime object", {"field": "last_activity", "within_days": 14},
     {"last_activity": datetime(2026, 11, 10, tzinfo=timezone(timedelta(hours=-5)))}, True),
    ("within_days naive is UTC", {"field": "last_activity", "within_days": 14},
     {"last_activity": "2026-11-06T12:00:00"}, True),
    ("within_days a date is midnight UTC", {"field": "last_activity", "within_days": 14},
     {"last_activity": date(2026, 11, 7)}, True),
    ("within_days after now", {"field": "last_activity", "within_days": 14},
     {"last_activity": "2026-11-21T00:00:00Z"}, True),
    ("within_days unreadable", {"field": "last_activity", "within_days": 14},
     {"last_activity": "last tuesday"}, False),
    ("within_days missing", {"field": "last_activity", "within_days": 14}, MISSING, False),
    ("older_than_days exactly N", {"field": "last_activity", "older_than_days": 90},
     {"last_activity": DAYS_AGO[90]}, False),
    ("older_than_days past N", {"field": "last_activity", "older_than_days": 90},
     {"last_activity": DAYS_AGO[91]}, True),
    ("older_than_days missing", {"field": "last_activity", "older_than_days": 90}, MISSING,
     False),
    ("datetime gte a TOML date-time", {"field": "last_activity",
                                        "gte": datetime(2026, 11, 1, tzinfo=UTC)},
     {"last_activity": "2026-11-01T00:00:00Z"}, True),
    ("datetime lt a TOML date", {"field": "last_activity", "lt": date(2026, 11, 1)},
     {"last_activity": "2026-10-31T23:59:59Z"}, True),
    # dates count calendar days
    ("date within_days exactly N", {"field": "signed_up", "within_days": 7},
     {"signed_up": date(2026, 11, 13)}, True),
    ("date within_days past N", {"field": "signed_up", "within_days": 7},
     {"signed_up": "2026-11-12"}, False),
    ("date from a date-time", {"field": "signed_up", "within_days": 7},
     {"signed_up": "2026-11-13T23:00:00Z"}, True),
    ("date older_than_days", {"field": "signed_up", "older_than_days": 7},
     {"signed_up": "2026-11-12"}, True),
    ("date between", {"field": "signed_up", "between": [date(2026, 1, 1), date(2026, 12, 31)]},
     {"signed_up": "2026-12-31"}, True),
    ("date unreadable", {"field": "signed_up", "gt": date(2026, 1, 1)},
     {"signed_up": "2026-13-45"}, False),
    # present
    ("present with a value", {"field": "title", "present": True}, {"title": "x"}, True),
    ("present on blank", {"field": "title", "present": True}, {"title": "  "}, False),
    ("missing on blank", {"field": "title", "present": False}, {"title": "  "}, True),
    ("missing on None", {"field": "title", "present": False}, {"title": None}, True),
    ("missing on absent", {"field": "title", "present": False}, MISSING, True),
    ("missing with a value", {"field": "title", "present": False}, {"title": "x"}, False),
    ("an unreadable value is missing", {"field": "employees", "present": False},
     {"employees": "lots"}, True),
    ("zero is present", {"field": "employees", "present": True}, {"employees": 0}, True),
    ("false is present", {"field": "is_customer", "present": True}, {"is_customer": False},
     True),
    # groups
    ("any: one true", {"any": [{"field": "title", "contains": "vp"},
                               {"field": "title", "contains": "chief"}]},
     {"title": "Chief of Staff"}, True),
    ("any: none true", {"any": [{"field": "title", "contains": "vp"},
                                {"field": "country", "equals": "US"}]}, {"title": "Eng"},
     False),
    ("any of four", {"any": [{"field": "country", "equals": c} for c in "ABCD"]},
     {"country": "d"}, True),
    ("all: every one true", {"all": [{"field": "title", "contains": "vp"},
                                     {"field": "country", "equals": "US"}]},
     {"title": "VP", "country": "us"}, True),
    ("all: one false", {"all": [{"field": "title", "contains": "vp"},
                                {"field": "country", "equals": "US"}]},
     {"title": "VP", "country": "DE"}, False),
    ("all of four", {"all": [{"field": "title", "contains": c} for c in "abcd"]},
     {"title": "dcba"}, True),
    ("none: all false", {"none": [{"field": "title", "contains": "student"}]},
     {"title": "CEO"}, True),
    ("none: one true", {"none": [{"field": "title", "contains": "student"},
                                 {"field": "title", "contains": "intern"}]},
     {"title": "Intern"}, False),
    ("none on a missing field is true", {"none": [{"field": "title", "contains": "student"}]},
     MISSING, True),
    ("nested groups", {"all": [{"field": "country", "present": True},
                               {"none": [{"field": "country", "in": ["CU", "IR"]}]},
                               {"any": [{"field": "employees", "gte": 200},
                                        {"field": "title", "matches": "founder"}]}]},
     {"country": "DE", "title": "Co-Founder"}, True),
    ("present and not in, on missing", {"all": [{"field": "country", "present": True},
                                                {"field": "country", "not_in": ["US"]}]},
     MISSING, False),
]


@pytest.mark.parametrize(("condition", "lead", "expected"),
                         [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_each_operator_on_present_missing_and_odd_values(condition: dict[str, Any],
                                                         lead: dict[str, Any],
                                                         expected: bool) -> None:
    assert matches(condition, lead) is expected


def test_recency_follows_the_now_passed_in_and_never_the_clock() -> None:
    condition = {"field": "last_activity", "within_days": 14}
    lead = {"last_activity": "2026-11-01T00:00:00Z"}
    assert matches(condition, lead, now=datetime(2026, 11, 10, tzinfo=UTC))
    assert not matches(condition, lead, now=datetime(2026, 12, 10, tzinfo=UTC))
    assert matches(condition, lead, now=datetime(2026, 11, 10))  # naive now is UTC


@pytest.mark.parametrize(("condition", "detail"), [
    ({"field": "employees", "between": [200, 5000]}, "employees between 200 and 5000"),
    ({"field": "title", "matches": r"\bvp\b"}, r"title matches /\bvp\b/"),
    ({"field": "country", "in": ["US", "DE"]}, "country in ['US', 'DE']"),
    ({"field": "country", "not_in": ["US"]}, "country not in ['US']"),
    ({"field": "title", "equals": "CEO", "case_sensitive": True},
     "title is 'CEO' (case-sensitive)"),
    ({"field": "is_customer", "equals": True}, "is_customer is true"),
    ({"field": "employees", "gte": 200}, "employees >= 200"),
    ({"field": "last_activity", "within_days": 14}, "last_activity within 14 days"),
    ({"field": "last_activity", "older_than_days": 90}, "last_activity older than 90 days"),
    ({"field": "title", "present": False}, "title is missing"),
    ({"none": [{"field": "title", "contains": "student"}]},
     "none of (title contains 'student')"),
    ({"all": [{"field": "email", "ends_with": ["@a.com"]}, {"field": "title", "present": True}]},
     "all of (email ends with ['@a.com']; title is present)"),
])
def test_a_rule_explains_itself_in_words(condition: dict[str, Any], detail: str) -> None:
    verdict = definition_with(condition).evaluate({}, NOW)
    assert verdict.results[-1].detail == detail


def test_long_details_are_cut_to_120_characters() -> None:
    condition = {"field": "country", "in": [f"C{i:03}" for i in range(100)]}
    detail = definition_with(condition).evaluate({}, NOW).results[-1].detail
    assert len(detail) == 120 and detail.endswith("…")


@pytest.mark.parametrize(("condition", "message"), [
    ({"field": "titel", "equals": "x"},
     r"rules.toml:17: fit rule 'rule': when: unknown field 'titel' \(did you mean 'title'\?\)"),
    ({"field": "title", "matches": "(vp"},
     r"when: matches on string field 'title': bad regular expression '\(vp': missing \), "
     r"unterminated subpattern at position 0"),
    ({"field": "employees", "gt": "abc"},
     r"gt on number field 'employees': needs a number, not text 'abc'"),
    ({"field": "title", "within_days": 3},
     r"within_days does not apply to string field 'title' \(a string field takes equals"),
    ({"field": "is_customer", "gt": 1}, r"gt does not apply to boolean field 'is_customer'"),
    ({"field": "employees", "between": [5000, 200]},
     r"between on number field 'employees': \[5000, 200\] is reversed"),
    ({"field": "employees", "between": [200]}, r"between .* needs two values \[low, high\]"),
    ({"field": "employees", "between": ["a", "b"]}, r"between .* needs a number, not text 'a'"),
    ({"field": "last_activity", "within_days": "14"},
     r"within_days .* needs a number of days \(0 or more\), not text '14'"),
    ({"field": "last_activity", "within_days": -1}, r"needs a number of days"),
    ({"field": "signed_up", "gt": "soon"}, r"gt on date field 'signed_up': needs a date"),
    ({"field": "title", "equal": "x"}, r"unknown operator 'equal' \(did you mean 'equals'\?\)"),
    ({"field": "title"}, r"field 'title' needs an operator, one of equals"),
    ({"field": "employees", "gt": 1, "lt": 5},
     r"has two operators 'gt' and 'lt': one per condition"),
    ({"field": "title", "equals": ""}, r"needs non-empty text; .* present = true or false"),
    ({"field": "title", "in": []}, r"in on string field 'title': needs a non-empty list"),
    ({"field": "title", "in": "CEO"}, r"needs a non-empty list, not text 'CEO'"),
    ({"field": "title", "in": [1, 2]}, r"needs text, not the number 1"),
    ({"field": "title", "contains": [1]}, r"needs text or a non-empty list of texts"),
    ({"field": "title", "present": "yes"}, r"present .* needs true or false"),
    ({"field": "is_customer", "equals": "yes"}, r"needs true or false, not text 'yes'"),
    ({"field": "employees", "gt": 5, "case_sensitive": True},
     r"case_sensitive applies only to text tests"),
    ({"field": "title", "equals": "x", "case_sensitive": "yes"},
     r"case_sensitive must be true or false"),
    ({"any": []}, r"when: any needs a non-empty list of conditions"),
    ({"all": [{"field": "title", "present": True}, {"none": []}]},
     r"when.all\[1\]: none needs a non-empty list"),
    ({"any": [{"field": "title", "present": True}], "field": "title"},
     r"mixes 'field' and 'any'"),
    ({"anyy": [{"field": "title", "present": True}]},
     r"has 'anyy' but needs 'field', 'rule', 'any', 'all' or 'none' \(did you mean 'any'\?\)"),
    ({"rule": "rule"}, r"refers to itself \('rule'\)"),
    ({"rule": "nope"}, r"refers to unknown rule 'nope'"),
])
def test_a_bad_condition_is_refused_naming_file_line_rule_and_key(condition: dict[str, Any],
                                                                  message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        definition_with(condition)


def test_every_problem_in_a_condition_is_reported_at_once() -> None:
    condition = {"all": [{"field": "titel", "equals": "x"}, {"field": "employees", "gt": "a"},
                         {"any": []}, {"field": "title", "matches": "["}]}
    with pytest.raises(ConfigError) as caught:
        definition_with(condition)
    text = str(caught.value)
    assert text.count("rules.toml:17: fit rule 'rule': when.all[") == 4
    assert "4 problems in the lead definition" in text
