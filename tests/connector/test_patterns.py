"""Admins' regular expressions run in linear time (RE2), or are refused at load."""

from __future__ import annotations

import re
from typing import Any

import pytest

from leadsync.connector.errors import ConfigError
from leadsync.connector.patterns import PatternError, compile_search
from tests.connector.test_rules import definition_with, matches

CATASTROPHIC = r"^(\w+\s?)+$"  # exponential in Python's re on a long non-matching title
HOSTILE_TITLE = "Senior Vice President of Global Enterprise Sales!!"


def test_the_hostile_title_is_fifty_characters_ending_in_an_exclamation_mark() -> None:
    assert len(HOSTILE_TITLE) == 50 and HOSTILE_TITLE.endswith("!")


def test_a_catastrophic_pattern_on_a_hostile_title_completes_with_the_right_verdict() -> None:
    search = compile_search(CATASTROPHIC, ignore_case=True)

    assert search(HOSTILE_TITLE) is False  # the "!" is no word character
    assert search(HOSTILE_TITLE.rstrip("!")) is True


def test_a_definition_rule_with_that_pattern_judges_a_hostile_lead() -> None:
    condition = {"field": "title", "matches": CATASTROPHIC}

    assert matches(condition, {"title": HOSTILE_TITLE}) is False
    assert matches(condition, {"title": "Head of Sales"}) is True


@pytest.mark.parametrize(("pattern", "text", "found"), [
    (r"\b(vp|director)\b", "VP Sales", True),
    (r"\b(vp|director)\b", "Envoy", False),
    (r"@(gmail|proton(mail)?)\.", "ada@protonmail.com", True),
    (r"^c[eiot]o$", "CTO", True),
    (r"(?P<domain>acme)\.com$", "x@acme.com", True),
    (r"\pL+ \pL+", "Zoë Ñúñez", True),
    (r"geschäftsführer(in)?", "GESCHÄFTSFÜHRERIN", True),
])
def test_re2_finds_what_re_finds_in_the_usual_syntax(pattern: str, text: str,
                                                      found: bool) -> None:
    assert compile_search(pattern, ignore_case=True)(text) is found


def test_case_is_kept_when_asked() -> None:
    assert compile_search("CEO")("ceo") is False
    assert compile_search("CEO", ignore_case=True)("ceo") is True


@pytest.mark.parametrize(("pattern", "feature"), [
    (r"(a)\1", r"invalid escape sequence: \1"),
    (r"(?P<x>a)(?P=x)", "invalid perl operator: (?P"),
    (r"^(?!student)", "invalid perl operator: (?!"),
    (r"(?<=@)acme", "invalid perl operator: (?<="),
    (r"a++", "bad repetition operator: ++"),
])
def test_a_pattern_re2_cannot_run_is_refused_saying_what_it_uses(pattern: str,
                                                                  feature: str) -> None:
    re.compile(pattern)  # Python's re would run it, backtracking
    with pytest.raises(PatternError) as raised:
        compile_search(pattern)
    message = str(raised.value)
    assert feature in message and "cannot run in linear time" in message
    assert "lookahead or lookbehind" in message


def test_a_pattern_wrong_anywhere_gets_pythons_message_with_the_position() -> None:
    with pytest.raises(PatternError, match=r"bad regular expression '\(vp': missing \), "
                                           r"unterminated subpattern at position 0"):
        compile_search("(vp")


def test_a_backreference_in_a_definition_is_refused_at_load_naming_file_line_rule_and_key(
        ) -> None:
    condition: dict[str, Any] = {"any": [{"field": "title", "present": True},
                                         {"field": "title", "matches": r"(\w)\1"}]}
    with pytest.raises(ConfigError) as raised:
        definition_with(condition)
    message = str(raised.value)
    assert "rules.toml:17: fit rule 'rule': when.any[1]: matches on string field 'title'" \
        in message
    assert "cannot run in linear time" in message
