"""The lead definition: loading and its checks, verdicts, reasons and their properties."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leadsync.connector.definition import (
    REASON_LIMIT,
    Definition,
    RuleResult,
    Verdict,
)
from leadsync.connector.definition_file import load_definition, load_definition_text
from leadsync.connector.errors import ConfigError
from tests.connector.test_rules import toml

SHIPPED = Path(__file__).parents[2] / "definitions" / "example.toml"
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
HEAD = '[definition]\nname = "t"\nversion = "2026.11-1"\n\n'
FIELDS = ('[fields]\nemail = "string"\ntitle = "string"\ncompany = "string"\n'
          'employees = "number"\nsource = "string"\nrequired = ["email", "company"]\n\n')
RULES = """[[exclusions]]
name = "free_mail"
reason = "free-mail address"
when = { field = "email", ends_with = ["@gmail.com", "@yahoo.com"] }

[[exclusions]]
name = "student"
reason = "student"
when = { field = "title", contains = "student" }

[[fit]]
name = "senior_title"
points = 20
when = { field = "title", matches = '\\b(vp|director|chief)\\b' }

[[fit]]
name = "company_size"
points = 15
when = { field = "employees", between = [200, 5000] }

[[engagement]]
name = "demo_request"
points = 40
when = { field = "source", equals = "Demo Request" }

[[engagement]]
name = "webinar"
points = 10
when = { field = "source", equals = "Webinar" }

[[hot]]
name = "senior_demo"
when = { all = [ { rule = "demo_request" }, { rule = "senior_title" } ] }

"""
VERDICT = ("[verdict]\nmql_score = 50\nmin_fit_points = 10\n"
           "grades = { A = 80, B = 60, C = 40, D = 0 }\n")
TEXT = HEAD + FIELDS + RULES + VERDICT
LEAD = {"email": "ann@acme.com", "company": "Acme"}


def load(text: str = TEXT) -> Definition:
    return load_definition_text(text, "d.toml")


# --- the shipped example ----------------------------------------------------------------------

def test_the_shipped_definition_loads_with_its_signatures() -> None:
    definition = load_definition(SHIPPED)
    assert definition.version == "2026.11-1"
    assert definition.agreed_by == ("Tom Reyes (CMO)", "Cyndi Park (VP Sales)")
    assert definition.agreed_on == date(2026, 11, 2)
    assert definition.required == ("email", "company")
    assert {"email", "title", "employees", "last_activity"} <= set(definition.field_names())
    assert definition.fields["last_activity"] == "datetime"


@pytest.mark.parametrize(("lead", "reason"), [
    ({"email": "ann@globex.io", "company": "Globex", "title": "VP Marketing",
      "lead_source": "Demo Request", "employees": "1200", "country": "US"},
     "Hot MQL via senior_demo_request (A, 85): demo_request +40, senior_title +20, "
     "company_size +15, target_region +10 [v2026.11-1]"),
    ({"email": "kai@initech.de", "company": "Initech", "title": "Geschäftsführer",
      "lead_source": "Webinar", "employees": 300, "country": "DE", "industry": "Technology",
      "last_activity": "2026-11-19T08:00:00+01:00"},
     "MQL (A, 80): senior_title +20, target_industry +15, company_size +15, target_region +10, "
     "content_or_event +10, recent_activity +10 [v2026.11-1]"),
    ({"email": "bob@gmail.com", "company": "Bob's", "lead_source": "Demo Request"},
     "Not qualified (excluded, no grade): free-mail address [v2026.11-1]"),
    ({"email": "eve@acme-corp.com", "title": "Marketing Manager", "lead_source": "Webinar"},
     "Not qualified: missing company [v2026.11-1]"),
    ({"email": "lee@acme-corp.com", "company": "Acme", "title": "Analyst",
      "lead_source": "Free Trial", "score": "75", "employees": "1,200"},
     "Not qualified (C, 45 < 50): trial_signup +30, high_platform_score +15; "
     "unreadable: employees [v2026.11-1]"),
    ({"email": "sam@acme-corp.com", "company": "Acme", "lead_source": "Demo Request",
      "score": 90},
     "Not qualified (C, 55; fit 0 < 10): demo_request +40, high_platform_score +15 "
     "[v2026.11-1]"),
])
def test_the_shipped_definition_judges_typical_leads(lead: dict[str, Any], reason: str) -> None:
    assert load_definition(SHIPPED).evaluate(lead, NOW).reason == reason


# --- verdicts and their reasons ---------------------------------------------------------------

@pytest.mark.parametrize(("lead", "outcome", "grade", "score", "reason"), [
    ({**LEAD, "title": "VP Sales", "employees": 300, "source": "Webinar"}, "no", "C", 45,
     "Not qualified (C, 45 < 50): senior_title +20, company_size +15, webinar +10"),
    ({**LEAD, "title": "Director", "employees": 300, "source": "Demo Request"}, "hot", "B", 75,
     "Hot MQL via senior_demo (B, 75): demo_request +40, senior_title +20, company_size +15"),
    ({**LEAD, "employees": 300, "source": "Demo Request"}, "mql", "C", 55,
     "MQL (C, 55): demo_request +40, company_size +15"),
    ({**LEAD, "source": "Demo Request"}, "no", "C", 40,
     "Not qualified (C, 40 < 50): demo_request +40"),
    ({**LEAD, "title": "Chief Student", "source": "Demo Request"}, "excluded", "", 60,
     "Not qualified (excluded, no grade): student"),
    ({**LEAD, "email": "x@gmail.com", "title": "student", "company": None}, "excluded", "", 0,
     "Not qualified (excluded, no grade): free-mail address; student; missing company"),
    ({"title": "VP", "source": "Demo Request"}, "no", "B", 60,
     "Not qualified: missing email, company"),
    (LEAD, "no", "D", 0, "Not qualified (D, 0 < 50): no points"),
])
def test_the_verdict_says_the_outcome_first_and_why(lead: dict[str, Any], outcome: str,
                                                    grade: str, score: int, reason: str) -> None:
    verdict = load().evaluate(lead, NOW)
    assert verdict.reason == f"{reason} [v2026.11-1]"
    assert (verdict.qualified, verdict.hot, verdict.excluded) == {
        "mql": (True, False, False), "hot": (True, True, False), "no": (False, False, False),
        "excluded": (False, False, True)}[outcome]
    assert (verdict.grade, verdict.score, verdict.version) == (grade, score, "2026.11-1")


def test_a_lead_with_enough_points_but_too_little_fit_is_not_qualified() -> None:
    verdict = load().evaluate({**LEAD, "source": "Demo Request", "title": "x"}, NOW)
    assert not verdict.qualified
    text = TEXT.replace('equals = "Webinar"', 'equals = "Demo Request"')
    verdict = load(text).evaluate({**LEAD, "source": "Demo Request"}, NOW)
    assert verdict.score == 50 and verdict.fit_points == 0 and not verdict.qualified
    assert verdict.reason.startswith("Not qualified (C, 50; fit 0 < 10): demo_request +40")


def test_hot_skips_the_score_but_not_exclusions_or_required_fields() -> None:
    hot_lead = {**LEAD, "title": "VP", "source": "Demo Request"}
    assert load().evaluate(hot_lead, NOW).hot
    assert load().evaluate({**hot_lead, "title": "VP and student"}, NOW).hot is False
    verdict = load().evaluate({**hot_lead, "company": " "}, NOW)
    assert (verdict.qualified, verdict.hot, verdict.excluded) == (False, False, False)
    assert verdict.results[1] == RuleResult("company", "required", False, 0, "missing: company")


def test_results_list_every_rule_in_evaluation_order_with_its_points() -> None:
    verdict = load().evaluate({**LEAD, "title": "VP", "source": "Webinar"}, NOW)
    assert [(r.name, r.kind, r.matched, r.points) for r in verdict.results] == [
        ("email", "required", True, 0), ("company", "required", True, 0),
        ("free_mail", "exclusion", False, 0), ("student", "exclusion", False, 0),
        ("senior_title", "fit", True, 20), ("company_size", "fit", False, 15),
        ("demo_request", "engagement", False, 40), ("webinar", "engagement", True, 10),
        ("senior_demo", "hot", False, 0)]
    assert verdict.results[0].detail == "present: email"
    assert verdict.results[4].detail == r"title matches /\b(vp|director|chief)\b/"


def test_as_dict_is_json_ready() -> None:
    verdict = load().evaluate({**LEAD, "employees": "lots", "source": "Demo Request"}, NOW)
    data = json.loads(json.dumps(verdict.as_dict()))
    assert data["verdict"] == "not_qualified" and data["grade"] == "C" and data["score"] == 40
    assert data["unreadable"] == ["employees"] and data["version"] == "2026.11-1"
    assert data["rules"][6] == {"name": "demo_request", "kind": "engagement", "matched": True,
                                "points": 40, "detail": "source is 'Demo Request'"}
    excluded = load().evaluate({**LEAD, "email": "a@gmail.com"}, NOW).as_dict()
    assert excluded["verdict"] == "excluded"


def test_a_long_reason_is_cut_to_255_characters_keeping_the_version() -> None:
    rules = "".join(f'[[fit]]\nname = "{"criterion_" + str(i) * 50}"\npoints = {i + 1}\n'
                    f'when = {{ field = "title", present = true }}\n\n' for i in range(9))
    verdict = load(HEAD + FIELDS + rules + VERDICT.replace("mql_score = 50", "mql_score = 0")
                   ).evaluate({**LEAD, "title": "x"}, NOW)
    assert len(verdict.reason) == REASON_LIMIT or len(verdict.reason) < REASON_LIMIT
    assert verdict.reason.endswith(", … [v2026.11-1]")
    assert verdict.reason.startswith("MQL (C, 45): criterion_8")  # the most points first
    assert verdict.score == 45


def test_a_version_that_starts_with_v_is_not_tagged_twice() -> None:
    verdict = load(TEXT.replace('"2026.11-1"', '"v7"')).evaluate(LEAD, NOW)
    assert verdict.reason.endswith(" [v7]")


def test_negative_points_can_take_a_score_below_zero_into_the_floor_grade() -> None:
    text = TEXT.replace("points = 10\nwhen = { field = \"source\", equals = \"Webinar\" }",
                        "points = -30\nwhen = { field = \"source\", equals = \"Webinar\" }")
    verdict = load(text).evaluate({**LEAD, "source": "Webinar"}, NOW)
    assert (verdict.score, verdict.grade) == (-30, "D")
    assert "webinar -30" in verdict.reason


def test_verdicts_are_the_same_with_and_without_the_verdict_cache() -> None:
    cached, fresh = load(), load()
    fresh.verdict_cache_size = 0
    leads = [LEAD, {**LEAD, "title": "VP"}, {**LEAD, "employees": "x"}, {"title": "student"}]
    for lead in leads * 2:
        assert cached.evaluate(lead, NOW) == fresh.evaluate(lead, NOW)
    assert cached.evaluate(LEAD, NOW) is cached.evaluate(dict(LEAD), NOW)
    assert not fresh._cache


def test_the_fingerprint_ignores_layout_and_catches_an_edit_under_the_same_version() -> None:
    base = load().fingerprint()
    assert load("# a comment\n" + TEXT.replace("points = 20", "points   =   20")).fingerprint() \
        == base
    assert load(TEXT.replace("points = 20", "points = 25")).fingerprint() != base
    assert len(base) == 16


# --- loading and its checks -------------------------------------------------------------------

def test_load_definition_reads_a_file(tmp_path: Path) -> None:
    path = tmp_path / "lead.toml"
    path.write_text(TEXT, encoding="utf-8")
    definition = load_definition(path)
    assert definition.source == str(path) and definition.name == "t"


def test_a_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read lead definition"):
        load_definition(tmp_path / "nope.toml")


def test_bad_toml_is_refused_with_its_line() -> None:
    with pytest.raises(ConfigError, match=r"^d.toml:5: not valid TOML"):
        load(HEAD + "x = = 1\n")


def line_of(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if needle in line)


@pytest.mark.parametrize(("old", "new", "line_at", "message"), [
    ('version = "2026.11-1"\n', "", "[definition]",
     r"\[definition\] version is required"),
    ('version = "2026.11-1"', "version = 3", "version = 3",
     r"\[definition\] version must be one line of text \(e.g. version = "),
    ('name = "t"', 'name = "t"\nagreed_on = "2026-11-02"', "agreed_on",
     r"agreed_on must be a date written without quotes"),
    ('name = "t"', 'name = "t"\nagreed_by = "Tom"', "agreed_by",
     r"agreed_by must be a list of names"),
    ('name = "t"', 'name = "t"\nverson = "1"', "verson",
     r"\[definition\] has unknown key 'verson' \(did you mean 'version'\?\)"),
    ('employees = "number"', 'employees = "int"', "employees =",
     r"field 'employees' has type 'int'; types are string, number"),
    ('employees = "number"', 'employees = "numbr"', "employees =",
     r"field 'employees' has type 'numbr' \(did you mean 'number'\?\); types are [^\n]*$"),
    ('required = ["email", "company"]', 'required = ["email", "compny"]', "required =",
     r"required names unknown field 'compny' \(did you mean 'company'\?\)"),
    ("points = 20", 'points = "20"', 'points = "20"',
     r"fit rule 'senior_title': points must be a whole number, not '20'"),
    ("points = 20", "points = 20.5", "points = 20.5",
     r"fit rule 'senior_title': points must be a whole number, not 20.5"),
    ("points = 20\n", "", "[[fit]]", r"fit rule 'senior_title': points is required"),
    ('name = "company_size"', 'name = "senior_title"  # again', "# again",
     r"fit rule 'senior_title': duplicate rule name 'senior_title' \(first at line 24\)"),
    ('name = "company_size"\npoints = 15', 'name = "company_size"\npoints = 15\npoint = 1',
     "point = 1",
     r"fit rule 'company_size': unknown key 'point' \(did you mean 'points'\?\) "
     r"\(fit rules take name, "),
    ('reason = "student"', 'reason = "student"\npoints = 5', "points = 5",
     r"exclusion rule 'student': unknown key 'points' \(exclusion rules take name, reason, "
     r"when, description\)"),
    ('name = "webinar"', 'name = "web inar"', "web inar",
     r"engagement rule 'web inar': needs a name: letters, digits"),
    ('{ rule = "demo_request" }', '{ rule = "demo_requests" }', "demo_requests",
     r"hot rule 'senior_demo': when.all\[0\]: refers to unknown rule 'demo_requests' "
     r"\(did you mean 'demo_request'\?\)"),
    ('when = { field = "title", contains = "student" }', 'when = { rule = "senior_title" }',
     'when = { rule = "senior_title" }',
     r"exclusion rule 'student': when: refers to fit rule 'senior_title', which is evaluated "
     r"after this one"),
    ('when = { field = "source", equals = "Demo Request" }\n', "", "[[engagement]]",
     r"engagement rule 'demo_request': needs a condition: when = \{ ... \}"),
    ("grades = { A = 80, B = 60, C = 40, D = 0 }", "grades = { A = 80, B = 90, D = 0 }",
     "grades =", r"grades must run from the highest threshold down: 'B' \(90\) comes after "
                 r"'A' \(80\)"),
    ("grades = { A = 80, B = 60, C = 40, D = 0 }", "grades = { A = 80, B = 60, C = 40 }",
     "grades =", r"grades need a floor at 0 \(e.g. C = 0\)"),
    ("grades = { A = 80, B = 60, C = 40, D = 0 }", 'grades = { A = "high", D = 0 }',
     "grades =", r"grade 'A' needs a whole-number threshold"),
    ("mql_score = 50", "mql_score = 50.5", "mql_score",
     r"\[verdict\] mql_score must be a whole number, 0 or more, not 50.5"),
    ("mql_score = 50", "mql_score = 500", "mql_score", None),  # has hot rules: allowed
    ("min_fit_points = 10", "min_fit_points = 40", "min_fit_points",
     r"min_fit_points 40 cannot be reached: the fit rules add up to 35 at most"),
    ("min_fit_points = 10", "min_fit_point = 10", "min_fit_point",
     r"\[verdict\] has unknown key 'min_fit_point' \(did you mean 'min_fit_points'\?\)"),
    ("[verdict]", "[verdcit]", "[verdcit]",
     r"unknown top-level key 'verdcit' \(did you mean 'verdict'\?\)"),
    ("[[hot]]", "[[hots]]", "[[hots]]", r"unknown top-level key 'hots' \(did you mean 'hot'\?\)"),
    ("[[hot]]", "[hot]", "[hot]", r"write each hot rule as its own \[\[hot\]\] table"),
])
def test_a_bad_definition_is_refused_naming_file_line_and_key(old: str, new: str, line_at: str,
                                                             message: str | None) -> None:
    assert old in TEXT
    text = TEXT.replace(old, new, 1)
    if message is None:
        load(text)
        return
    with pytest.raises(ConfigError, match=rf"\nd.toml:{line_of(text, line_at)}: {message}"):
        load(text)


def test_mql_score_out_of_reach_is_refused_when_no_hot_rule_could_qualify() -> None:
    text = TEXT[:TEXT.index("[[hot]]")] + VERDICT.replace("mql_score = 50", "mql_score = 90")
    with pytest.raises(ConfigError, match="mql_score 90 cannot be reached: the fit and "
                                          "engagement rules add up to 85 at most"):
        load(text)


def test_missing_tables_are_named() -> None:
    with pytest.raises(ConfigError) as caught:
        load("")
    text = str(caught.value)
    for needed in ("[definition] is required", "[fields] is required", "[verdict] is required",
                   "the definition has no rules"):
        assert needed in text


def test_every_problem_in_a_file_is_reported_at_once_in_file_order() -> None:
    text = (TEXT.replace('version = "2026.11-1"\n', "")
            .replace('field = "employees", between', 'field = "employes", between')
            .replace("points = 40", "points = true")
            .replace("D = 0 }", "D = 10 }"))
    with pytest.raises(ConfigError) as caught:
        load(text)
    lines = str(caught.value).splitlines()
    assert lines[0] == "d.toml: 4 problems in the lead definition:"
    numbers = [int(line.split(":")[1]) for line in lines[1:]]
    assert numbers == sorted(numbers) and len(numbers) == 4
    assert "(did you mean 'employees'?)" in lines[2]


# --- properties -------------------------------------------------------------------------------

texts = st.one_of(st.none(), st.just(""), st.sampled_from(
    ["VP Sales", "DIRECTOR", "Directrice", "Geschäftsführer", "student", "Demo Request",
     "Webinar", "ann@gmail.com", "ann@acme.com", " Acme ", "1,200", "250"]), st.text(max_size=12))
leads = st.fixed_dictionaries({}, optional={
    "email": texts, "title": texts, "company": texts, "source": texts,
    "employees": st.one_of(texts, st.integers(-10, 10_000), st.floats(allow_nan=True)),
})


@settings(max_examples=300, deadline=None)
@given(lead=leads)
def test_evaluation_is_deterministic_and_the_score_is_the_sum_of_matched_points(
        lead: dict[str, Any]) -> None:
    cached, fresh = SAMPLE, load()
    fresh.verdict_cache_size = 0
    first = cached.evaluate(lead, NOW)
    assert first == cached.evaluate(dict(lead), NOW) == fresh.evaluate(lead, NOW)
    scoring = [r for r in first.results if r.kind in ("fit", "engagement")]
    assert first.score == sum(r.points for r in scoring if r.matched)
    assert first.fit_points == sum(r.points for r in scoring if r.matched and r.kind == "fit")
    assert len(first.reason) <= REASON_LIMIT


SAMPLE = load()
names = st.from_regex(r"[a-z][a-z0-9_]{0,63}", fullmatch=True)
fields = st.sampled_from(["email", "title", "company", "employees", "source"])


@st.composite
def definitions(draw: st.DrawFn) -> tuple[str, list[int]]:
    """A definition text with random rules, names and points; and the points of each rule."""
    rule_names = draw(st.lists(names, min_size=1, max_size=12, unique=True))
    points, body = [], []
    for index, name in enumerate(rule_names):
        field = draw(fields)
        condition = {"field": field, "present": True} if draw(st.booleans()) else \
            {"field": field, "not_equals": "x"} if field != "employees" else \
            {"field": field, "gte": draw(st.integers(0, 500))}
        section = draw(st.sampled_from(["fit", "engagement", "exclusions"])) if index else "fit"
        if section == "exclusions":
            reason = draw(st.text(st.characters(min_codepoint=32, max_codepoint=0x2FF,
                                                exclude_characters="\x7f"),
                                  min_size=1, max_size=120).filter(str.strip))
            body.append(f"[[exclusions]]\nname = {toml(name)}\nreason = {toml(reason)}\n")
            points.append(0)
        else:
            points.append(draw(st.integers(-50, 100)))
            body.append(f"[[{section}]]\nname = {toml(name)}\npoints = {points[-1]}\n")
        body[-1] += f"when = {toml(condition)}\n\n"
    version = draw(st.from_regex(r"[0-9][0-9a-z.\-]{0,39}", fullmatch=True))
    text = (f'[definition]\nname = "p"\nversion = {toml(version)}\n\n' + FIELDS
            + "".join(body) + "[verdict]\nmql_score = 0\n"
            "grades = { A = 200, B = 100, C = 50, D = 0 }\n")
    return text, points


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(drawn=definitions(), lead=leads)
def test_the_reason_always_fits_in_255_characters_with_the_version(
        drawn: tuple[str, list[int]], lead: dict[str, Any]) -> None:
    definition = load(drawn[0])
    verdict = definition.evaluate(lead, NOW)
    assert len(verdict.reason) <= REASON_LIMIT
    assert verdict.reason.endswith(f" [v{definition.version}]")
    assert "\n" not in verdict.reason


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(drawn=definitions(), lead=leads, extra=st.integers(0, 200), data=st.data())
def test_more_points_on_a_matched_rule_never_lower_the_grade(
        drawn: tuple[str, list[int]], lead: dict[str, Any], extra: int,
        data: st.DataObject) -> None:
    text, _ = drawn
    before = load(text).evaluate(lead, NOW)
    matched = [r for r in before.results if r.matched and r.kind in ("fit", "engagement")]
    if not matched:
        return
    rule = data.draw(st.sampled_from(matched))
    old = f"name = {toml(rule.name)}\npoints = {rule.points}\n"
    after = load(text.replace(old, f"name = {toml(rule.name)}\npoints = {rule.points + extra}\n"
                              )).evaluate(lead, NOW)
    ranks = "ABCD"
    assert ranks.index(after.grade) <= ranks.index(before.grade)
    assert after.score == before.score + extra
    assert after.qualified or not before.qualified


def test_a_verdict_is_immutable() -> None:
    verdict = SAMPLE.evaluate(LEAD, NOW)
    with pytest.raises(AttributeError):
        verdict.score = 99  # type: ignore[misc]
    assert isinstance(replace(verdict, score=1), Verdict)
