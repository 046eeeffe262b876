"""Business calendars: when the clock of an SLA runs, and business-time arithmetic on it.

A ``BusinessCalendar`` is a time zone, weekly working hours (per weekday, split shifts allowed),
public holidays (a country and subdivision from the ``holidays`` package, observed days included
as the package computes them) and company dates (extra days off, extra working days). It comes
from a ``[calendars.<name>]`` table::

    [calendars.us_sales]
    time_zone = "America/New_York"
    hours = { mon = ["09:00-12:00", "13:00-17:30"], tue = ["09:00-17:30"], sat = [] }
    holidays = { country = "US", subdivision = "NY" }
    company_holidays = [2026-12-24]
    working_days = [2026-12-19]          # a Saturday worked: it gets Monday's hours

Rules (the SLA engine relies on each):

- Instants in and out are timezone-aware; a naive one is a ``ValueError``. Results are aware
  datetimes in the calendar's zone (callers convert). Compare them in UTC or by ``timestamp()``:
  Python compares two datetimes of one zone by wall clock (ignoring ``fold``), and never finds
  datetimes of two zones equal inside a fall-back overlap (PEP 495).
- ``hours`` keys are ``mon``..``sun``, full names (any case) or 0..6 (Monday is 0, as in
  ``date.weekday()``); a missing weekday is closed.
- Working hours are wall-clock times in the calendar's zone, so daylight saving never shifts
  them: 09:00 stays 09:00 local on both sides of a transition. An interval is the real time from
  its start's wall-clock reading to its end's; a reading that does not exist (spring-forward gap)
  is taken at the transition, one that occurs twice (fall-back overlap) at its first occurrence.
  So a working interval containing a transition counts its real minutes: 01:00-03:00 is 60
  minutes on New York's spring-forward day and 180 on its fall-back day.
- Intervals are half-open: ``is_open`` is true from 09:00 up to, not at, 17:00. ``24:00`` may end
  an interval; an overnight shift is written as ``22:00-24:00`` plus the next day's ``00:00-06:00``.
- A day is closed when its weekday has no hours, or it is a public or company holiday, unless it
  is listed in ``working_days``: then it is open with its weekday's hours, or Monday's when the
  weekday has none (the first weekday with hours if Monday has none either).
- A clock that starts outside working hours starts at the next opening; adding a zero duration
  gives ``next_open(start)``.
- Business minutes count only open time. When the minutes run out exactly at a closing, the
  result is that closing instant (09:00 + 8h on a 9-17 day is 17:00 that day, not 09:00 the next
  working day), so results are open instants or closing instants. Hence
  ``add(add(s, a), b) == add(s, a + b)`` for minute durations whenever ``b`` has minutes; with
  ``b`` zero the left side is ``next_open(add(s, a))``. ``elapsed(s, add(s, d)) == d`` for minute
  durations, from any ``s``.
- Business days: N business days from ``start`` is the same wall-clock time of day on the N-th
  following working day, counted from ``next_open(start)``; if that time is closed on the target
  day (split shifts, a short Friday), the result moves to the next opening. This is how Salesforce
  entitlements and most help desks count days. A working day is a date with open time. Results
  of day durations (no minutes) are always open instants, and for day durations
  ``add(add(s, a), b) == add(s, a + b)`` whenever the first step lands on the a-th working day
  without moving (the time of day of ``next_open(s)`` is open on that day): always, when every
  working day has the same hours.
- ``Duration(minutes, days)`` adds the days first, then the minutes. ``add`` is non-decreasing in
  ``start`` and in each part of the duration.
- ``elapsed`` is the business time between two instants in whole minutes, rounded down
  (``elapsed_minutes`` keeps the fraction); 0 when ``end <= start``.
- Warning points: ``fraction_point(start, duration, 0.75)`` is the instant at which 75% of the
  business time between ``start`` and ``add(start, duration)`` has been used, for minute and day
  durations alike (there is no ``Duration.scaled``: a business day's length in minutes depends on
  the calendar and the day). Like ``add``, it can be a closing instant; fraction 0 gives
  ``next_open(start)`` and 1 the deadline itself.
- ``with_time_zone(tz)`` keeps the wall-clock hours and the holidays and moves them to another
  zone: a rep's own calendar from the CRM user's ``TimeZoneSidKey``.
- Configuration errors are ``ConfigError`` naming ``calendars.<name>.<key>``; the table and
  its values are read and checked in ``calendar_settings``.

Arithmetic runs on a per-year index of open intervals in UTC microseconds with running totals,
built on first use (a few milliseconds) and cached, public holidays per country, subdivision and
year; ``add`` and ``elapsed_minutes`` then cost a few binary searches however long the duration.
"""

from __future__ import annotations

import copy
from bisect import bisect_left, bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any

import holidays as holidays_package

from leadsync.connector.calendar_settings import (
    Hours,
    calendar_arguments,
    holiday_source,
    parse_dates,
    parse_week,
    parse_zone,
)
from leadsync.connector.durations import Duration, format_duration, parse_duration
from leadsync.connector.errors import ConfigError

__all__ = [
    "BusinessCalendar",
    "Duration",
    "always_open",
    "format_duration",
    "parse_duration",
]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_US = timedelta(microseconds=1)
_SECOND_US = 1_000_000
_MINUTE_US = 60 * _SECOND_US
_MAX_CLOSED_YEARS = 3  # a calendar with no open time for this long is never open


@dataclass(frozen=True, slots=True)
class _Year:
    """One local year of a calendar: its merged open intervals and running totals (UTC us)."""

    year: int
    start: int
    end: int
    opens: list[int]
    closes: list[int]
    before: list[int]  # before[i]: open time in the year before opens[i]; before[-1]: total
    workdays: list[int]  # ordinals of the dates that have open time


class BusinessCalendar:
    """Working hours, holidays and a time zone; see the module docstring for the rules."""

    def __init__(
        self,
        name: str,
        tz: str,
        hours: Mapping[str, Sequence[str]] | Mapping[int, Sequence[str]],
        holidays_country: str | None = None,
        holidays_subdivision: str | None = None,
        extra_holidays: Sequence[date] = (),
        extra_working_days: Sequence[date] = (),
    ) -> None:
        where = f"calendars.{name}"
        self.name = name
        self.tz = parse_zone(tz, f"{where}.time_zone", ConfigError)
        self.hours: dict[int, Hours] = parse_week(hours, f"{where}.hours")
        self.holidays_country, self.holidays_subdivision = holiday_source(
            holidays_country, holidays_subdivision, f"{where}.holidays"
        )
        self._company_holidays = frozenset(parse_dates(extra_holidays, f"{where}.company_holidays"))
        self._working_days = frozenset(parse_dates(extra_working_days, f"{where}.working_days"))
        both = sorted(self._company_holidays & self._working_days)
        if both:
            raise ConfigError(
                f"{both[0].isoformat()} is both a company holiday and a working day",
                f"{where}.working_days",
            )
        self._fallback_hours = self.hours[0] or next(h for h in self.hours.values() if h)
        self._years: dict[int, _Year] = {}
        self._zones: dict[str, BusinessCalendar] = {self.tz.key: self}

    @classmethod
    def from_settings(cls, name: str, settings: Mapping[str, Any]) -> BusinessCalendar:
        """Build the calendar of a ``[calendars.<name>]`` table (see the module docstring)."""
        return cls(name, **calendar_arguments(name, settings))

    def __repr__(self) -> str:
        return f"BusinessCalendar({self.name!r}, {self.tz.key!r})"

    def with_time_zone(self, tz: str) -> BusinessCalendar:
        """The same wall-clock hours and holidays in another zone (a rep's own calendar).

        An unknown zone is a ``ValueError``: it comes from CRM data, not from the config. One
        calendar per zone is kept, with its year index, so asking per lead costs nothing.
        """
        zone = parse_zone(tz, "time zone", ValueError)
        clone = self._zones.get(zone.key)
        if clone is None:
            clone = copy.copy(self)  # shares self._zones: the whole family reuses its members
            clone.tz, clone._years = zone, {}
            self._zones[zone.key] = clone
        return clone

    # -- the public arithmetic ---------------------------------------------------------------

    def is_open(self, instant: datetime) -> bool:
        return self._is_open(_to_us(instant))

    def next_open(self, instant: datetime) -> datetime:
        """``instant`` itself when open, else the next opening."""
        return self._out(self._next_open(_to_us(instant)))

    def add(self, start: datetime, duration: Duration) -> datetime:
        """The instant ``duration`` of business time after ``start`` (days first, then minutes)."""
        return self._out(self._add(_to_us(start), duration))

    def elapsed(self, start: datetime, end: datetime) -> Duration:
        """Business time from ``start`` to ``end`` in whole minutes (rounded down)."""
        return Duration(minutes=self._elapsed(_to_us(start), _to_us(end)) // _MINUTE_US)

    def elapsed_minutes(self, start: datetime, end: datetime) -> float:
        """Business minutes from ``start`` to ``end``, with the fraction; 0 if ``end <= start``."""
        return self._elapsed(_to_us(start), _to_us(end)) / _MINUTE_US

    def fraction_point(self, start: datetime, duration: Duration, fraction: float) -> datetime:
        """The instant at which ``fraction`` (0..1) of the business time up to the deadline
        ``add(start, duration)`` has elapsed: the warning point of an SLA."""
        if not 0 <= fraction <= 1:
            raise ValueError(f"fraction must be between 0 and 1, not {fraction}")
        begin = _to_us(start)
        deadline = self._add(begin, duration)
        if fraction == 1:
            return self._out(deadline)
        part = round(self._elapsed(begin, deadline) * fraction)
        return self._out(self._advance(begin, part) if part else self._next_open(begin))

    # -- arithmetic on UTC microseconds -------------------------------------------------------

    def _add(self, start: int, duration: Duration) -> int:
        if not isinstance(duration, Duration):
            raise TypeError(f"expected a Duration, not {type(duration).__name__}")
        instant = self._add_days(start, duration.days) if duration.days else start
        if duration.minutes:
            return self._advance(instant, duration.minutes * _MINUTE_US)
        return instant if duration.days else self._next_open(instant)

    def _is_open(self, instant: int) -> bool:
        year = self._locate(instant)
        i = bisect_right(year.opens, instant) - 1
        return i >= 0 and instant < year.closes[i]

    def _next_open(self, instant: int) -> int:
        year = self._locate(instant)
        i = bisect_right(year.opens, instant) - 1
        if i >= 0 and instant < year.closes[i]:
            return instant
        if i + 1 < len(year.opens):
            return year.opens[i + 1]
        for _ in range(_MAX_CLOSED_YEARS):
            year = self._year(year.year + 1)
            if year.opens:
                return year.opens[0]
        raise ValueError(f"calendar {self.name!r} has no working hours after {self._out(instant)}")

    def _open_before(self, year: _Year, instant: int) -> int:
        """Open time in ``year`` before ``instant`` (which lies in that year)."""
        i = bisect_right(year.opens, instant) - 1
        if i < 0:
            return 0
        return year.before[i] + min(instant, year.closes[i]) - year.opens[i]

    def _elapsed(self, start: int, end: int) -> int:
        if end <= start:
            return 0
        first, last = self._locate(start), self._locate(end)
        if first is last:
            return self._open_before(last, end) - self._open_before(first, start)
        total = first.before[-1] - self._open_before(first, start)
        for year in range(first.year + 1, last.year):
            total += self._year(year).before[-1]
        return total + self._open_before(last, end)

    def _advance(self, start: int, amount: int) -> int:
        """The earliest instant by which ``amount`` (> 0) us of open time follow ``start``."""
        year = self._locate(start)
        target = self._open_before(year, start) + amount
        closed_years = 0
        while target > year.before[-1]:
            closed_years = 0 if year.before[-1] else closed_years + 1
            if closed_years >= _MAX_CLOSED_YEARS:
                raise ValueError(f"calendar {self.name!r} has no working hours after {year.year}")
            target -= year.before[-1]
            year = self._year(year.year + 1)
        i = bisect_left(year.before, target) - 1
        return year.opens[i] + target - year.before[i]

    def _add_days(self, start: int, days: int) -> int:
        opened = self._out(self._next_open(start))
        year = self._year(opened.year)
        k = bisect_right(year.workdays, opened.toordinal()) - 1 + days
        closed_years = 0
        while k >= len(year.workdays):
            closed_years = 0 if year.workdays else closed_years + 1
            if closed_years >= _MAX_CLOSED_YEARS:
                raise ValueError(f"calendar {self.name!r} has no working days after {year.year}")
            k -= len(year.workdays)
            year = self._year(year.year + 1)
        day = date.fromordinal(year.workdays[k])
        return self._next_open(self._wall(datetime.combine(day, opened.time())))

    # -- the per-year index -------------------------------------------------------------------

    def _locate(self, instant: int) -> _Year:
        year = self._year(self._out(instant).year)
        if instant < year.start:
            return self._year(year.year - 1)
        if instant >= year.end:
            return self._year(year.year + 1)
        return year

    def _year(self, year: int) -> _Year:
        found = self._years.get(year)
        if found is None:
            found = self._years[year] = self._build_year(year)
        return found

    def _build_year(self, year: int) -> _Year:
        public = (
            _public_holidays(self.holidays_country, self.holidays_subdivision, year)
            if self.holidays_country
            else frozenset()
        )
        opens: list[int] = []
        closes: list[int] = []
        workdays: list[int] = []
        day = date(year, 1, 1)
        while day.year == year:
            if day in self._working_days:
                hours = self.hours[day.weekday()] or self._fallback_hours
            elif day in public or day in self._company_holidays:
                hours = ()
            else:
                hours = self.hours[day.weekday()]
            midnight = datetime.combine(day, time())
            worked = False
            for begin, end in hours:
                start = self._wall(midnight + timedelta(minutes=begin))
                stop = self._wall(midnight + timedelta(minutes=end))
                if stop <= start:
                    continue  # wholly inside a daylight-saving gap
                worked = True
                if closes and closes[-1] == start:
                    closes[-1] = stop
                else:
                    opens.append(start)
                    closes.append(stop)
            if worked:
                workdays.append(day.toordinal())
            day += timedelta(days=1)
        before = [0]
        for start, stop in zip(opens, closes, strict=True):
            before.append(before[-1] + stop - start)
        start_wall, end_wall = datetime(year, 1, 1), datetime(year + 1, 1, 1)
        return _Year(
            year, self._wall(start_wall), self._wall(end_wall), opens, closes, before, workdays
        )

    def _wall(self, wall: datetime) -> int:
        """The instant of a naive local reading: a gap's reading maps to the transition, an
        overlap's to its first occurrence (so the mapping never goes backwards)."""
        first = _to_us(wall.replace(tzinfo=self.tz))
        second = _to_us(wall.replace(tzinfo=self.tz, fold=1))
        if first <= second:
            return first
        low, high = second // _SECOND_US, -(-first // _SECOND_US)
        while low < high:  # the first second whose reading is at or past `wall`
            middle = (low + high) // 2
            if self._out(middle * _SECOND_US).replace(tzinfo=None) >= wall:
                high = middle
            else:
                low = middle + 1
        return low * _SECOND_US

    def _out(self, instant: int) -> datetime:
        return (_EPOCH + timedelta(microseconds=instant)).astimezone(self.tz)


def always_open(name: str = "24x7") -> BusinessCalendar:
    """A calendar on which every minute counts (hot-lead SLAs in minutes)."""
    return BusinessCalendar(name, "UTC", {day: ["00:00-24:00"] for day in range(7)})


def _to_us(instant: datetime) -> int:
    if not isinstance(instant, datetime):
        raise TypeError(f"expected a datetime, not {type(instant).__name__}")
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError(f"{instant.isoformat()} has no time zone: pass an aware datetime")
    return (instant - _EPOCH) // _ONE_US


@lru_cache(maxsize=256)
def _public_holidays(country: str, subdivision: str | None, year: int) -> frozenset[date]:
    """The public holidays (observed days included) of one year, as the package computes them."""
    days = holidays_package.country_holidays(
        country, subdiv=subdivision, years=range(year - 1, year + 2)
    )
    return frozenset(day for day in days if day.year == year)
