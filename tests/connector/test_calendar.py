"""Business calendars: hand-computed cases first, then properties over several calendars."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

import holidays
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leadsync.connector.calendar import BusinessCalendar, Duration, always_open
from leadsync.connector.errors import ConfigError

NY = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")
NINE_TO_FIVE = {day: ["09:00-17:00"] for day in ("mon", "tue", "wed", "thu", "fri")}


def ny(*args: int) -> datetime:
    return datetime(*args, tzinfo=NY)  # type: ignore[misc]


def hours(n: float) -> Duration:
    return Duration(minutes=round(n * 60))


def days(n: int) -> Duration:
    return Duration(days=n)


def utc(instant: datetime) -> datetime:
    """Compare results in UTC: Python compares datetimes of one zone by wall clock, ignoring
    ``fold``, and never finds two zones' datetimes equal inside a fall-back overlap (PEP 495)."""
    return instant.astimezone(UTC)


@pytest.fixture(scope="module")
def us() -> BusinessCalendar:
    """Mon-Fri 09:00-17:00 in New York with the US federal holidays."""
    return BusinessCalendar("us", "America/New_York", NINE_TO_FIVE, holidays_country="US")


@pytest.fixture(scope="module")
def plain() -> BusinessCalendar:
    """Mon-Fri 09:00-17:00 in New York, no holidays."""
    return BusinessCalendar("plain", "America/New_York", NINE_TO_FIVE)


# -- opening, closing and the weekend -----------------------------------------------------------


def test_a_clock_started_after_hours_on_friday_starts_at_the_monday_opening(
    plain: BusinessCalendar,
) -> None:
    assert plain.add(ny(2026, 6, 5, 18), hours(1)) == ny(2026, 6, 8, 10)


def test_minutes_are_not_counted_over_the_weekend(plain: BusinessCalendar) -> None:
    assert plain.add(ny(2026, 6, 5, 16), hours(2)) == ny(2026, 6, 8, 10)
    assert plain.add(ny(2026, 6, 6, 12), hours(1)) == ny(2026, 6, 8, 10)


def test_minutes_running_out_at_closing_time_end_at_that_closing(plain: BusinessCalendar) -> None:
    end = plain.add(ny(2026, 6, 1, 9), hours(8))
    assert end == ny(2026, 6, 1, 17)
    assert not plain.is_open(end)  # half-open: 17:00 itself is closed
    assert plain.is_open(end - timedelta(microseconds=1))
    assert plain.add(end, hours(1)) == ny(2026, 6, 2, 10)


def test_adding_zero_gives_the_next_opening(plain: BusinessCalendar) -> None:
    assert plain.add(ny(2026, 6, 1, 17), Duration()) == ny(2026, 6, 2, 9)
    assert plain.add(ny(2026, 6, 1, 11, 5), Duration()) == ny(2026, 6, 1, 11, 5)
    assert plain.next_open(ny(2026, 6, 1, 11, 5)) == ny(2026, 6, 1, 11, 5)
    assert plain.next_open(ny(2026, 6, 6, 3)) == ny(2026, 6, 8, 9)


def test_is_open_is_half_open_from_opening_to_closing(plain: BusinessCalendar) -> None:
    assert plain.is_open(ny(2026, 6, 1, 9))
    assert not plain.is_open(ny(2026, 6, 1, 8, 59, 59))
    assert not plain.is_open(ny(2026, 6, 1, 17))
    assert not plain.is_open(ny(2026, 6, 6, 12))  # Saturday


def test_results_are_aware_datetimes_in_the_calendar_zone(plain: BusinessCalendar) -> None:
    start = datetime(2026, 6, 1, 14, tzinfo=UTC)  # 10:00 in New York
    end = plain.add(start, hours(1))
    assert end.tzinfo == NY and end == ny(2026, 6, 1, 11)


def test_naive_instants_are_refused(plain: BusinessCalendar) -> None:
    with pytest.raises(ValueError, match="time zone"):
        plain.add(datetime(2026, 6, 1, 9), hours(1))
    with pytest.raises(ValueError, match="time zone"):
        plain.elapsed_minutes(ny(2026, 6, 1, 9), datetime(2026, 6, 1, 10))


# -- holidays ----------------------------------------------------------------------------------


def test_christmas_day_is_skipped(us: BusinessCalendar) -> None:
    # 2026-12-25 is a Friday: Thursday 16:30 + 1h -> Monday 09:30
    assert not us.is_open(ny(2026, 12, 25, 10))
    assert us.add(ny(2026, 12, 24, 16, 30), hours(1)) == ny(2026, 12, 28, 9, 30)


def test_july_4th_on_a_saturday_closes_the_friday_before_as_observed(us: BusinessCalendar) -> None:
    assert not us.is_open(ny(2026, 7, 3, 10))
    assert us.add(ny(2026, 7, 2, 16), hours(2)) == ny(2026, 7, 6, 10)
    assert us.add(ny(2026, 7, 2, 10), days(1)) == ny(2026, 7, 6, 10)


def test_company_holidays_close_a_day(us: BusinessCalendar) -> None:
    cal = BusinessCalendar(
        "co", "America/New_York", NINE_TO_FIVE, "US", extra_holidays=[date(2026, 12, 24)]
    )
    assert cal.add(ny(2026, 12, 23, 16), hours(2)) == ny(2026, 12, 28, 10)
    assert us.add(ny(2026, 12, 23, 16), hours(2)) == ny(2026, 12, 24, 10)


def test_an_extra_working_saturday_opens_with_monday_hours() -> None:
    cal = BusinessCalendar(
        "co",
        "America/New_York",
        {"mon": ["08:00-16:00"], "tue": ["09:00-17:00"], "fri": ["09:00-17:00"]},
        extra_working_days=[date(2026, 12, 19)],
    )
    assert cal.is_open(ny(2026, 12, 19, 8)) and not cal.is_open(ny(2026, 12, 19, 16))
    assert cal.add(ny(2026, 12, 18, 16), hours(2)) == ny(2026, 12, 19, 9)


def test_an_extra_working_day_overrides_a_public_holiday() -> None:
    cal = BusinessCalendar(
        "co", "America/New_York", NINE_TO_FIVE, "US", extra_working_days=[date(2026, 7, 3)]
    )
    assert cal.is_open(ny(2026, 7, 3, 10))
    assert cal.add(ny(2026, 7, 2, 16), hours(2)) == ny(2026, 7, 3, 10)


def test_a_state_subdivision_adds_its_own_holidays() -> None:
    federal = BusinessCalendar("us", "America/Los_Angeles", NINE_TO_FIVE, "US")
    california = BusinessCalendar("ca", "America/Los_Angeles", NINE_TO_FIVE, "us", "ca")
    cesar_chavez_day = datetime(2026, 3, 31, 10, tzinfo=ZoneInfo("America/Los_Angeles"))
    assert federal.is_open(cesar_chavez_day) and not california.is_open(cesar_chavez_day)
    assert california.holidays_subdivision == "CA"


# -- split shifts and business days ------------------------------------------------------------


def test_a_split_shift_skips_the_lunch_break() -> None:
    split = {day: ["09:00-12:00", "13:00-17:00"] for day in ("mon", "tue", "wed", "thu", "fri")}
    cal = BusinessCalendar("split", "America/New_York", split)
    assert cal.add(ny(2026, 6, 1, 11, 30), hours(1)) == ny(2026, 6, 1, 13, 30)
    assert cal.add(ny(2026, 6, 1, 11), hours(1)) == ny(2026, 6, 1, 12)  # ends at the closing
    assert cal.next_open(ny(2026, 6, 1, 12, 15)) == ny(2026, 6, 1, 13)
    assert cal.elapsed(ny(2026, 6, 1, 11), ny(2026, 6, 1, 14)) == hours(2)


def test_business_days_keep_the_time_of_day(plain: BusinessCalendar) -> None:
    assert plain.add(ny(2026, 6, 2, 10, 15), days(1)) == ny(2026, 6, 3, 10, 15)
    assert plain.add(ny(2026, 6, 5, 10), days(1)) == ny(2026, 6, 8, 10)
    assert plain.add(ny(2026, 6, 1, 9), days(10)) == ny(2026, 6, 15, 9)


def test_business_days_from_a_closed_instant_count_from_the_next_opening(
    plain: BusinessCalendar,
) -> None:
    assert plain.add(ny(2026, 6, 6, 12), days(1)) == ny(2026, 6, 9, 9)
    assert plain.add(ny(2026, 6, 1, 18), days(1)) == ny(2026, 6, 3, 9)


def test_a_business_day_landing_in_closed_time_moves_to_the_next_opening() -> None:
    short_friday = {**NINE_TO_FIVE, "fri": ["09:00-12:00"]}
    cal = BusinessCalendar("short", "America/New_York", short_friday)
    assert cal.add(ny(2026, 6, 4, 14), days(1)) == ny(2026, 6, 8, 9)
    assert cal.add(ny(2026, 6, 4, 11), days(1)) == ny(2026, 6, 5, 11)


def test_days_are_added_before_minutes() -> None:
    short_friday = {**NINE_TO_FIVE, "fri": ["09:00-12:00"]}
    cal = BusinessCalendar("short", "America/New_York", short_friday)
    # days first: Fri 11:00, then 1h on Friday and 1h on Monday
    assert cal.add(ny(2026, 6, 4, 11), Duration(minutes=120, days=1)) == ny(2026, 6, 8, 10)
    # (minutes first would give Thu 13:00, then Fri 13:00 closed -> Mon 09:00)


def test_sixty_business_days_cross_the_year_and_skip_the_holidays(us: BusinessCalendar) -> None:
    # skipped: Nov 11, Nov 26, Dec 25, Jan 1, Jan 18 (MLK) and the weekends
    assert us.add(ny(2026, 11, 2, 10), days(60)) == ny(2027, 2, 1, 10)
    assert us.add(ny(2026, 11, 2, 9), hours(60 * 8)) == ny(2027, 1, 29, 17)
    assert us.elapsed(ny(2026, 11, 2, 9), ny(2027, 1, 29, 17)) == hours(480)


def test_elapsed_across_a_weekend_and_a_holiday(us: BusinessCalendar) -> None:
    start, end = ny(2026, 12, 24, 15), ny(2026, 12, 28, 10)  # Friday the 25th is off
    assert us.elapsed(start, end) == Duration(minutes=180)
    assert us.elapsed_minutes(start, end + timedelta(seconds=30)) == 180.5
    assert us.elapsed(start, end + timedelta(seconds=59)) == Duration(minutes=180)
    assert us.elapsed(end, start) == Duration() and us.elapsed_minutes(end, end) == 0


def test_the_warning_point_is_a_fraction_of_the_business_time(plain: BusinessCalendar) -> None:
    start = ny(2026, 6, 1, 9)
    # 10 days of 8h = 80h; 75% = 60h = 7 days and 4h
    assert plain.fraction_point(start, days(10), 0.75) == ny(2026, 6, 10, 13)
    assert plain.fraction_point(start, hours(4), 0.5) == ny(2026, 6, 1, 11)
    assert plain.fraction_point(ny(2026, 6, 6), hours(4), 0) == ny(2026, 6, 8, 9)
    assert plain.fraction_point(start, days(10), 1) == plain.add(start, days(10))
    with pytest.raises(ValueError, match="between 0 and 1"):
        plain.fraction_point(start, days(1), 1.5)


# -- daylight saving -----------------------------------------------------------------------------


def test_hours_stay_at_nine_local_across_the_us_spring_forward(plain: BusinessCalendar) -> None:
    friday, monday = plain.next_open(ny(2026, 3, 6, 8)), plain.next_open(ny(2026, 3, 7, 12))
    assert friday == ny(2026, 3, 6, 9) and friday.utcoffset() == timedelta(hours=-5)
    assert monday == ny(2026, 3, 9, 9) and monday.utcoffset() == timedelta(hours=-4)
    assert monday.astimezone(UTC) == datetime(2026, 3, 9, 13, tzinfo=UTC)
    assert plain.add(ny(2026, 3, 6, 16), hours(2)) == ny(2026, 3, 9, 10)
    one_day = plain.add(ny(2026, 3, 6, 10), days(1))
    assert one_day == ny(2026, 3, 9, 10)
    real = one_day.astimezone(UTC) - ny(2026, 3, 6, 10).astimezone(UTC)
    assert real == timedelta(hours=71)  # a wall-clock day each, one real hour lost on Sunday


def test_hours_stay_at_nine_local_across_the_us_fall_back(plain: BusinessCalendar) -> None:
    monday = plain.add(ny(2026, 10, 30, 16), hours(2))
    assert monday == ny(2026, 11, 2, 10) and monday.utcoffset() == timedelta(hours=-5)
    assert monday.astimezone(UTC) == datetime(2026, 11, 2, 15, tzinfo=UTC)
    assert plain.elapsed(ny(2026, 10, 30, 16), monday) == hours(2)


@pytest.mark.parametrize(
    ("friday", "monday", "offset_before", "offset_after"),
    [((2026, 3, 27), (2026, 3, 30), 1, 2), ((2026, 10, 23), (2026, 10, 26), 2, 1)],
)
def test_hours_stay_at_nine_local_across_both_berlin_transitions(
    friday: tuple[int, int, int],
    monday: tuple[int, int, int],
    offset_before: int,
    offset_after: int,
) -> None:
    cal = BusinessCalendar("de", "Europe/Berlin", NINE_TO_FIVE, "DE", "BE")
    start = datetime(*friday, 16, tzinfo=BERLIN)
    end = cal.add(start, hours(2))
    assert start.utcoffset() == timedelta(hours=offset_before)
    assert end == datetime(*monday, 10, tzinfo=BERLIN)
    assert end.utcoffset() == timedelta(hours=offset_after)
    assert end.astimezone(UTC).hour == 10 - offset_after
    assert cal.next_open(start + timedelta(hours=2)).hour == 9


def test_an_interval_containing_a_transition_counts_its_real_minutes() -> None:
    cal = BusinessCalendar("night", "America/New_York", {"sun": ["01:00-03:00"]})
    assert cal.elapsed_minutes(ny(2026, 3, 8, 0), ny(2026, 3, 8, 12)) == 60
    assert cal.elapsed_minutes(ny(2026, 11, 1, 0), ny(2026, 11, 1, 12)) == 180
    assert cal.elapsed_minutes(ny(2026, 3, 15, 0), ny(2026, 3, 15, 12)) == 120


def test_a_boundary_inside_the_spring_forward_gap_is_taken_at_the_transition() -> None:
    cal = BusinessCalendar("night", "America/New_York", {"sun": ["02:30-04:00"]})
    opening = cal.next_open(ny(2026, 3, 8, 0))
    assert opening.astimezone(UTC) == datetime(2026, 3, 8, 7, tzinfo=UTC)  # 03:00 EDT
    assert cal.elapsed_minutes(ny(2026, 3, 8, 0), ny(2026, 3, 8, 12)) == 60


# -- far from UTC ---------------------------------------------------------------------------------


def test_auckland_hours_are_local_in_summer_and_winter() -> None:
    cal = BusinessCalendar("nz", "Pacific/Auckland", NINE_TO_FIVE, "NZ")
    friday_late = datetime(2026, 1, 9, 3, 30, tzinfo=UTC)  # Fri 16:30 NZDT (+13)
    assert cal.add(friday_late, hours(1)) == datetime(2026, 1, 11, 20, 30, tzinfo=UTC)
    winter_monday = cal.next_open(datetime(2026, 6, 7, 20, tzinfo=UTC))  # Mon 08:00 NZST
    assert winter_monday == datetime(2026, 6, 7, 21, tzinfo=UTC)
    assert winter_monday.utcoffset() == timedelta(hours=12)


def test_kolkata_half_hour_offset() -> None:
    cal = BusinessCalendar("in", "Asia/Kolkata", NINE_TO_FIVE)
    friday_late = datetime(2026, 6, 5, 11, tzinfo=UTC)  # Fri 16:30 IST
    end = cal.add(friday_late, hours(1))
    assert end == datetime(2026, 6, 8, 4, tzinfo=UTC) and (end.hour, end.minute) == (9, 30)


def test_kiritimati_fourteen_hours_ahead() -> None:
    cal = BusinessCalendar("ki", "Pacific/Kiritimati", NINE_TO_FIVE)
    assert cal.next_open(datetime(2026, 6, 7, 18, tzinfo=UTC)) == datetime(
        2026, 6, 7, 19, tzinfo=UTC
    )  # Sunday 19:00 UTC is Monday 09:00 there
    assert cal.is_open(datetime(2026, 6, 4, 19, 30, tzinfo=UTC))  # Fri 09:30 local
    assert not cal.is_open(datetime(2026, 6, 5, 3, tzinfo=UTC))  # Fri 17:00 local


def test_a_reps_calendar_has_the_same_hours_in_their_own_zone(us: BusinessCalendar) -> None:
    la = ZoneInfo("America/Los_Angeles")
    rep = us.with_time_zone("America/Los_Angeles")
    assert rep.name == "us" and rep.tz == la and us.tz == NY
    assert rep.next_open(ny(2026, 6, 6, 12)) == datetime(2026, 6, 8, 9, tzinfo=la)
    assert not rep.is_open(datetime(2026, 7, 3, 10, tzinfo=la))  # same holidays
    assert us.with_time_zone("America/Los_Angeles") is rep  # one per zone, index kept
    assert rep.with_time_zone("America/New_York") is us
    with pytest.raises(ValueError, match="unknown time zone"):
        us.with_time_zone("Mars/Olympus_Mons")


# -- 24x7 -----------------------------------------------------------------------------------------

INSTANTS = st.integers(0, 3 * 366 * 24 * 3600).map(
    lambda s: datetime(2025, 10, 1, tzinfo=UTC) + timedelta(seconds=s)
)


@settings(max_examples=100, deadline=None)
@given(INSTANTS, st.integers(0, 100_000), st.sampled_from(["UTC", "America/New_York"]))
def test_the_24x7_calendar_is_plain_timedelta_arithmetic(
    start: datetime, minutes: int, zone: str
) -> None:
    cal = always_open().with_time_zone(zone)
    end = start + timedelta(minutes=minutes)
    assert cal.is_open(start)
    assert utc(cal.add(start, Duration(minutes=minutes))) == end
    assert cal.elapsed(start, end) == Duration(minutes=minutes)
    assert cal.elapsed_minutes(start, end + timedelta(seconds=3)) == minutes + 0.05


# -- settings -------------------------------------------------------------------------------------

SETTINGS_TOML = """
[calendars.emea]
time_zone = "Europe/Berlin"
hours = { monday = ["09:00-12:00", "13:00-17:30"], tue = ["09:00-17:30"], sat = [], fri = "08:00-24:00" }
holidays = { country = "DE", subdivision = "by" }
company_holidays = [2026-12-24, "2026-12-31"]
working_days = [2026-12-19]
"""  # noqa: E501


def emea_settings() -> dict[str, Any]:
    return tomllib.loads(SETTINGS_TOML)["calendars"]["emea"]


def test_settings_from_the_toml_table_build_the_calendar() -> None:
    cal = BusinessCalendar.from_settings("emea", emea_settings())
    berlin = lambda *a: datetime(*a, tzinfo=BERLIN)  # noqa: E731
    assert cal.name == "emea" and cal.tz == BERLIN and cal.holidays_subdivision == "BY"
    assert cal.add(berlin(2026, 6, 1, 11, 30), hours(1)) == berlin(2026, 6, 1, 13, 30)
    assert cal.is_open(berlin(2026, 6, 5, 23, 59)) and not cal.is_open(berlin(2026, 6, 3, 10))
    assert not cal.is_open(berlin(2026, 12, 24, 10)) and not cal.is_open(berlin(2026, 12, 31, 10))
    assert cal.is_open(berlin(2026, 12, 19, 9)) and not cal.is_open(berlin(2026, 12, 19, 12, 30))
    assert not cal.is_open(berlin(2026, 1, 6, 10))  # Epiphany, a Bavarian holiday


def _with(**changes: Any) -> dict[str, Any]:
    base = emea_settings()
    for key, value in changes.items():
        if value is None:
            base.pop(key)
        else:
            base[key] = value
    return base


@pytest.mark.parametrize(
    ("settings_", "where", "fragment"),
    [
        (_with(timezone="UTC"), "calendars.emea.timezone", 'did you mean "time_zone"'),
        (_with(time_zone=None), "calendars.emea.time_zone", "required"),
        (_with(hours=None), "calendars.emea.hours", "required"),
        (_with(time_zone="Europe/Atlantis"), "calendars.emea.time_zone", "unknown time zone"),
        (_with(holidays={"country": "XX"}), "calendars.emea.holidays.country", "unknown"),
        (
            _with(holidays={"country": "DE", "subdivision": "ZZ"}),
            "calendars.emea.holidays.subdivision",
            "no subdivision 'ZZ'",
        ),
        (_with(holidays={"country": "DE", "region": "BY"}), "calendars.emea.holidays.region", ""),
        (_with(holidays="DE"), "calendars.emea.holidays", "expected a table"),
        (_with(hours={"mon": ["9-17"]}), "calendars.emea.hours.mon", "monday: '9-17'"),
        (_with(hours={"tue": ["17:00-09:00"]}), "calendars.emea.hours.tue", "ends before"),
        (_with(hours={"wed": ["09:00-09:00"]}), "calendars.emea.hours.wed", "ends before"),
        (_with(hours={"thu": ["25:00-26:00"]}), "calendars.emea.hours.thu", "not a time"),
        (_with(hours={"thu": ["09:00-24:30"]}), "calendars.emea.hours.thu", "not a time"),
        (
            _with(hours={"fri": ["09:00-13:00", "12:00-17:00"]}),
            "calendars.emea.hours.fri",
            "friday: '09:00-13:00' overlaps '12:00-17:00'",
        ),
        (_with(hours={"mondy": ["09:00-17:00"]}), "calendars.emea.hours.mondy", "weekday"),
        (
            _with(hours={"mon": ["09:00-17:00"], "monday": ["09:00-17:00"]}),
            "calendars.emea.hours.monday",
            "twice",
        ),
        (_with(hours={"sat": [], "sun": []}), "calendars.emea.hours", "no working hours"),
        (_with(hours=["09:00-17:00"]), "calendars.emea.hours", "expected a table"),
        (
            _with(company_holidays=["2026-13-01"]),
            "calendars.emea.company_holidays[0]",
            "expected a date",
        ),
        (
            _with(working_days=[date(2026, 1, 1), datetime(2026, 1, 2, 9)]),
            "calendars.emea.working_days[1]",
            "expected a date",
        ),
        (_with(working_days="2026-12-19"), "calendars.emea.working_days", "list of dates"),
        (
            _with(working_days=[date(2026, 12, 24)]),
            "calendars.emea.working_days",
            "both a company holiday and a working day",
        ),
    ],
)
def test_bad_settings_raise_a_config_error_naming_the_key(
    settings_: Mapping[str, Any], where: str, fragment: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        BusinessCalendar.from_settings("emea", settings_)
    assert caught.value.where == where
    assert fragment in caught.value.message


def test_hours_accept_int_weekdays_and_overnight_shifts_split_at_midnight() -> None:
    cal = BusinessCalendar("nights", "UTC", {5: ["20:00-24:00"], "Sunday": ["00:00-02:00"]})
    saturday_late = datetime(2026, 6, 6, 23, tzinfo=UTC)
    assert cal.is_open(datetime(2026, 6, 7, 0, tzinfo=UTC))
    assert cal.add(saturday_late, hours(2)) == datetime(2026, 6, 7, 1, tzinfo=UTC)
    assert cal.add(saturday_late, hours(3)) == datetime(2026, 6, 7, 2, tzinfo=UTC)




# -- properties over several calendars ------------------------------------------------------------

WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
SPECS: dict[str, dict[str, Any]] = {
    "us": {
        "time_zone": "America/New_York",
        "hours": NINE_TO_FIVE,
        "holidays": {"country": "US"},
        "company_holidays": [date(2026, 12, 24), date(2027, 11, 26)],
        "working_days": [date(2026, 12, 19), date(2027, 7, 5)],
    },
    "berlin_split": {
        "time_zone": "Europe/Berlin",
        "hours": {
            **{d: ["09:00-12:00", "13:00-17:30"] for d in ("mon", "tue", "wed", "thu")},
            "fri": ["09:00-13:00"],
        },
        "holidays": {"country": "DE", "subdivision": "BE"},
    },
    "auckland": {
        "time_zone": "Pacific/Auckland",
        "hours": {
            **{d: ["08:30-12:30", "13:30-17:00"] for d in ("mon", "tue", "wed", "thu", "fri")},
            "sat": ["10:00-14:00"],
        },
        "holidays": {"country": "NZ"},
    },
    "ny_nights": {  # boundaries inside both New York transitions, overnight shifts
        "time_zone": "America/New_York",
        "hours": {
            "sun": ["00:00-01:30", "02:30-04:00"],
            "mon": ["20:00-24:00"],
            "tue": ["00:00-02:00", "20:00-24:00"],
            "wed": ["00:00-02:00"],
        },
    },
}
CALENDARS = {name: BusinessCalendar.from_settings(name, spec) for name, spec in SPECS.items()}
CALENDARS["ny_24x7"] = always_open().with_time_zone("America/New_York")
UNIFORM_HOURS = ("us",)  # every working day has the same hours, none inside a DST transition
ORACLE = ("us", "berlin_split", "auckland")  # no boundary inside a DST transition

NAMES = st.sampled_from(sorted(CALENDARS))
MINUTES = st.integers(0, 8 * 60 * 30).map(lambda m: Duration(minutes=m))
DAYS = st.integers(0, 40).map(days)


def is_working_day(cal: BusinessCalendar, day: date) -> bool:
    midnight = datetime.combine(day, datetime.min.time(), tzinfo=cal.tz)
    next_midnight = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=cal.tz)
    return cal.elapsed_minutes(midnight, next_midnight) > 0


def is_open_or_closing(cal: BusinessCalendar, instant: datetime) -> bool:
    return cal.is_open(instant) or cal.is_open(instant - timedelta(microseconds=1))


@settings(max_examples=150, deadline=None)
@given(NAMES, INSTANTS, MINUTES, MINUTES)
def test_adding_minutes_in_two_steps_equals_adding_them_at_once(
    name: str, start: datetime, a: Duration, b: Duration
) -> None:
    cal = CALENDARS[name]
    middle = cal.add(start, a)
    if b.minutes:
        assert utc(cal.add(middle, b)) == utc(cal.add(start, a + b))
    else:
        assert utc(cal.add(middle, b)) == utc(cal.next_open(cal.add(start, a + b)))


@settings(max_examples=150, deadline=None)
@given(NAMES, INSTANTS, DAYS, DAYS)
def test_adding_days_in_two_steps_equals_adding_them_at_once_when_the_first_step_lands_exactly(
    name: str, start: datetime, a: Duration, b: Duration
) -> None:
    cal = CALENDARS[name]
    middle = cal.add(start, a)
    opened = cal.next_open(start)
    target = opened.date()
    for _ in range(a.days):  # the a-th following working day
        target += timedelta(days=1)
        while not is_working_day(cal, target):
            target += timedelta(days=1)
    landed = (middle.date(), middle.time()) == (target, opened.time())
    if name in UNIFORM_HOURS:
        assert landed
    if landed:
        assert utc(cal.add(middle, b)) == utc(cal.add(start, a + b))


@settings(max_examples=150, deadline=None)
@given(NAMES, INSTANTS, MINUTES)
def test_elapsed_from_start_to_start_plus_minutes_is_those_minutes(
    name: str, start: datetime, duration: Duration
) -> None:
    cal = CALENDARS[name]
    end = cal.add(start, duration)
    assert cal.elapsed(start, end) == duration
    assert cal.elapsed(cal.next_open(start), end) == duration


@settings(max_examples=150, deadline=None)
@given(NAMES, INSTANTS, MINUTES, DAYS)
def test_results_are_open_instants_or_closings(
    name: str, start: datetime, minutes: Duration, day_count: Duration
) -> None:
    cal = CALENDARS[name]
    assert cal.is_open(cal.add(start, day_count))  # day and zero results are open
    assert is_open_or_closing(cal, cal.add(start, minutes + day_count))
    assert cal.add(start, minutes).tzinfo == cal.tz


@settings(max_examples=150, deadline=None)
@given(NAMES, INSTANTS, st.integers(0, 7 * 24 * 3600), MINUTES, DAYS, st.integers(0, 600))
def test_add_never_goes_backwards_in_start_or_duration(
    name: str, start: datetime, later_by: int, minutes: Duration, day_count: Duration, more: int
) -> None:
    cal = CALENDARS[name]
    duration = minutes + day_count
    result = utc(cal.add(start, duration))
    assert result >= utc(cal.next_open(start))
    assert utc(cal.add(start + timedelta(seconds=later_by), duration)) >= result
    assert utc(cal.add(start, duration + Duration(minutes=more))) >= result
    assert utc(cal.add(start, duration + days(more % 5))) >= result


@settings(max_examples=100, deadline=None)
@given(NAMES, INSTANTS, MINUTES | DAYS, st.floats(0, 1), st.floats(0, 1))
def test_the_warning_point_uses_its_fraction_and_grows_with_it(
    name: str, start: datetime, duration: Duration, f: float, g: float
) -> None:
    cal = CALENDARS[name]
    total = cal.elapsed_minutes(start, cal.add(start, duration))
    point = cal.fraction_point(start, duration, f)
    assert cal.elapsed_minutes(start, point) == pytest.approx(total * f, abs=1e-6)
    assert utc(cal.fraction_point(start, duration, max(f, g))) >= utc(point)


# -- an independent, minute-by-minute oracle ------------------------------------------------------


@cache
def oracle_holidays(name: str, year: int) -> frozenset[date]:
    spec = SPECS[name].get("holidays")
    if spec is None:
        return frozenset()
    found = holidays.country_holidays(spec["country"], subdiv=spec.get("subdivision"), years=year)
    return frozenset(found) | frozenset(SPECS[name].get("company_holidays", ()))


def oracle_open(name: str, instant: datetime) -> bool:
    spec = SPECS[name]
    local = instant.astimezone(ZoneInfo(spec["time_zone"]))
    day = local.date()
    week = spec["hours"]
    intervals = week.get(WEEKDAY_NAMES[day.weekday()], [])
    if day in spec.get("working_days", ()):
        intervals = intervals or week["mon"]
    elif day in oracle_holidays(name, day.year):
        intervals = []
    minute = local.hour * 60 + local.minute
    for interval in intervals:
        begin, end = (int(t[:2]) * 60 + int(t[3:]) for t in interval.split("-"))
        if begin <= minute < end:
            return True
    return False


@settings(max_examples=60, deadline=None)
@given(
    st.sampled_from(ORACLE),
    st.integers(0, 3 * 366 * 24 * 60),
    st.integers(0, 3 * 24 * 60),
    st.integers(0, 600),
)
def test_add_and_elapsed_agree_with_counting_minute_by_minute(
    name: str, offset: int, span: int, amount: int
) -> None:
    cal = CALENDARS[name]
    start = datetime(2025, 10, 1, tzinfo=UTC) + timedelta(minutes=offset)
    counted = sum(oracle_open(name, start + timedelta(minutes=i)) for i in range(span))
    assert cal.elapsed(start, start + timedelta(minutes=span)) == Duration(minutes=counted)
    end, left = start, amount
    while left or (amount == 0 and not oracle_open(name, end)):
        left -= oracle_open(name, end)
        end += timedelta(minutes=1)
    assert utc(cal.add(start, Duration(minutes=amount))) == end
