"""Business durations as SLA policies write them: parsed, formatted and added."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leadsync.connector.calendar import Duration as DurationFromCalendar
from leadsync.connector.durations import Duration, format_duration, parse_duration


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90m", Duration(minutes=90)),
        ("4h", Duration(minutes=240)),
        ("24h", Duration(minutes=1440)),
        ("10d", Duration(days=10)),
        ("1d 4h", Duration(minutes=240, days=1)),
        ("2w", Duration(days=10)),
        ("1h30m", Duration(minutes=90)),
        ("1H30M", Duration(minutes=90)),
        ("  3 days ", Duration(days=3)),
        ("1 week 2 days", Duration(days=7)),
        ("45min", Duration(minutes=45)),
        ("2 hours 15 minutes", Duration(minutes=135)),
        ("30m 1h", Duration(minutes=90)),
        ("0m", Duration()),
    ],
)
def test_parse_duration_reads_the_forms_policies_use(text: str, expected: Duration) -> None:
    assert parse_duration(text) == expected


def test_hours_are_business_minutes_and_never_become_days() -> None:
    assert parse_duration("24h") != parse_duration("1d")
    assert parse_duration("24h").days == 0


def test_a_week_is_five_business_days() -> None:
    assert parse_duration("2w") == parse_duration("10d") == Duration(days=10)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "empty duration"),
        ("   ", "empty duration"),
        ("4", "cannot read"),
        ("h", "cannot read"),
        ("1.5h", "cannot read"),
        ("-1h", "cannot read"),
        ("4 business hours", "unknown unit 'business'"),
        ("3y", "unknown unit 'y'"),
        ("1h 2h", "twice"),
        ("1h, 30m", "cannot read"),
    ],
)
def test_parse_duration_refuses_anything_else_with_a_clear_message(
    text: str, fragment: str
) -> None:
    with pytest.raises(ValueError, match=fragment):
        parse_duration(text)


def test_parse_duration_refuses_non_text() -> None:
    with pytest.raises(TypeError):
        parse_duration(90)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("duration", "text"),
    [
        (Duration(), "0m"),
        (Duration(minutes=90), "1h 30m"),
        (Duration(minutes=240), "4h"),
        (Duration(minutes=45), "45m"),
        (Duration(days=10), "10d"),
        (Duration(minutes=270, days=1), "1d 4h 30m"),
    ],
)
def test_format_duration_writes_the_canonical_form(duration: Duration, text: str) -> None:
    assert format_duration(duration) == text
    assert str(duration) == text


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 100_000), st.integers(0, 1_000))
def test_format_then_parse_gives_the_same_duration(minutes: int, days: int) -> None:
    duration = Duration(minutes=minutes, days=days)
    assert parse_duration(format_duration(duration)) == duration


def test_durations_add_part_by_part() -> None:
    assert Duration(minutes=30, days=1) + Duration(minutes=45, days=2) == Duration(75, 3)
    assert Duration(minutes=1).is_zero is False and Duration().is_zero is True


def test_durations_are_never_negative_nor_fractional() -> None:
    with pytest.raises(ValueError, match="negative"):
        Duration(minutes=-1)
    with pytest.raises(TypeError, match="int"):
        Duration(minutes=1.5)  # type: ignore[arg-type]


def test_the_calendar_module_exports_the_same_duration() -> None:
    assert DurationFromCalendar is Duration
