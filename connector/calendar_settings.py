"""Reading a ``[calendars.<name>]`` table: every value checked, errors naming their key.

``calendar_arguments`` turns a table into the arguments of ``BusinessCalendar`` (whose
``from_settings`` calls it); the ``parse_*`` functions check each value and raise ``ConfigError``
naming ``calendars.<name>.<key>`` (for hours, ``calendars.<name>.hours.<weekday>`` with the weekday
and interval in the message). Holiday country and subdivision codes are those of the ``holidays``
package, in any case. The calendar and its arithmetic are in ``calendar``.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays as holidays_package

from leadsync.connector.errors import ConfigError

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_FULL_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_SETTINGS_KEYS = ("time_zone", "hours", "holidays", "company_holidays", "working_days")
_HOLIDAY_KEYS = ("country", "subdivision")
_INTERVAL = re.compile(r"(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})")

Hours = tuple[tuple[int, int], ...]  # (start, end) minutes after local midnight, sorted


def calendar_arguments(name: str, settings: Mapping[str, Any]) -> dict[str, Any]:
    """The ``BusinessCalendar`` arguments a ``[calendars.<name>]`` table gives, ``name`` aside;
    the calendar checks each value when it is built."""
    where = f"calendars.{name}"
    if not isinstance(settings, Mapping):
        raise ConfigError("expected a table", where)
    reject_unknown(settings, _SETTINGS_KEYS, where)
    for key in ("time_zone", "hours"):
        if key not in settings:
            raise ConfigError("required", f"{where}.{key}")
    country = subdivision = None
    table = settings.get("holidays")
    if table is not None:
        if not isinstance(table, Mapping):
            raise ConfigError(
                'expected a table like { country = "US", subdivision = "CA" }',
                f"{where}.holidays",
            )
        reject_unknown(table, _HOLIDAY_KEYS, f"{where}.holidays")
        if "country" not in table:
            raise ConfigError("required", f"{where}.holidays.country")
        country, subdivision = table["country"], table.get("subdivision")
    return {
        "tz": settings["time_zone"],
        "hours": settings["hours"],
        "holidays_country": country,
        "holidays_subdivision": subdivision,
        "extra_holidays": settings.get("company_holidays", ()),
        "extra_working_days": settings.get("working_days", ()),
    }


def parse_zone(tz: Any, where: str, error: type[Exception]) -> ZoneInfo:
    if isinstance(tz, ZoneInfo):
        return tz
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError, TypeError, OSError):
        message = f"unknown time zone {tz!r}: use an IANA name like 'America/New_York'"
        raise (ConfigError(message, where) if error is ConfigError else error(message)) from None


def reject_unknown(table: Mapping[str, Any], known: Sequence[str], where: str) -> None:
    for key in table:
        if key not in known:
            close = difflib.get_close_matches(str(key), known, n=1)
            hint = f'; did you mean "{close[0]}"?' if close else f"; known: {', '.join(known)}"
            raise ConfigError(f"unknown key{hint}", f"{where}.{key}")


def parse_week(hours: Any, where: str) -> dict[int, Hours]:
    if not isinstance(hours, Mapping):
        raise ConfigError('expected a table like { mon = ["09:00-17:00"], ... }', where)
    week: dict[int, Hours] = {}
    for key, intervals in hours.items():
        day = _weekday(key, f"{where}.{key}")
        if day in week:
            raise ConfigError(f"{_FULL_NAMES[day]} is given twice", f"{where}.{key}")
        week[day] = _parse_day(intervals, _FULL_NAMES[day], f"{where}.{key}")
    if not any(week.values()):
        raise ConfigError("no working hours on any weekday", where)
    return {day: week.get(day, ()) for day in range(7)}


def _weekday(key: Any, where: str) -> int:
    if isinstance(key, int) and not isinstance(key, bool) and 0 <= key <= 6:
        return key
    name = key.strip().lower() if isinstance(key, str) else None
    for names in (WEEKDAYS, _FULL_NAMES):
        if name in names:
            return names.index(name)
    raise ConfigError(f"unknown weekday {key!r}: use mon, tue, ... sun (or 0 for Monday)", where)


def _parse_day(intervals: Any, day: str, where: str) -> Hours:
    if isinstance(intervals, str):
        intervals = [intervals]
    if not isinstance(intervals, Sequence):
        raise ConfigError(f'{day}: expected a list like ["09:00-12:00", "13:00-17:00"]', where)
    parsed = sorted(_parse_interval(text, day, where) for text in intervals)
    merged: list[tuple[int, int, str]] = []
    for begin, end, text in parsed:
        if merged and begin < merged[-1][1]:
            raise ConfigError(f"{day}: {merged[-1][2]!r} overlaps {text!r}", where)
        if merged and begin == merged[-1][1]:
            merged[-1] = (merged[-1][0], end, f"{merged[-1][2]}, {text}")
        else:
            merged.append((begin, end, text))
    return tuple((begin, end) for begin, end, _ in merged)


def _parse_interval(text: Any, day: str, where: str) -> tuple[int, int, str]:
    match = _INTERVAL.fullmatch(text.strip()) if isinstance(text, str) else None
    if match is None:
        raise ConfigError(f"{day}: {text!r} is not an interval like '09:00-17:30'", where)
    start_h, start_m, end_h, end_m = (int(part) for part in match.groups())
    if start_h > 23 or start_m > 59 or end_m > 59 or end_h > 24 or (end_h == 24 and end_m):
        raise ConfigError(f"{day}: {text!r} is not a time of day (00:00 to 24:00)", where)
    begin, end = start_h * 60 + start_m, end_h * 60 + end_m
    if end <= begin:
        raise ConfigError(
            f"{day}: {text!r} ends before it starts; split a shift across midnight into "
            "'22:00-24:00' and the next day's '00:00-06:00'",
            where,
        )
    return begin, end, text.strip()


def parse_dates(values: Any, where: str) -> list[date]:
    if isinstance(values, str | bytes) or not isinstance(values, Sequence | frozenset | set):
        raise ConfigError("expected a list of dates like [2026-12-24]", where)
    found = []
    for i, value in enumerate(values):
        if isinstance(value, str):
            try:
                value = date.fromisoformat(value.strip())
            except ValueError:
                value = None
        if not isinstance(value, date) or isinstance(value, datetime):
            raise ConfigError("expected a date like 2026-12-24", f"{where}[{i}]")
        found.append(value)
    return found


@lru_cache(maxsize=1)
def _supported_countries() -> dict[str, list[str]]:
    return holidays_package.list_supported_countries()


def holiday_source(country: Any, subdivision: Any, where: str) -> tuple[str | None, str | None]:
    if country is None:
        if subdivision is not None:
            raise ConfigError("a subdivision needs a country", f"{where}.subdivision")
        return None, None
    code = country.strip().upper() if isinstance(country, str) else None
    if code not in _supported_countries():
        raise ConfigError(
            f"unknown holiday country {country!r}: use a country code like 'US' or 'DE'",
            f"{where}.country",
        )
    if subdivision is None:
        return code, None
    known = _supported_countries()[code]
    by_upper = {name.upper(): name for name in known}
    found = by_upper.get(subdivision.strip().upper()) if isinstance(subdivision, str) else None
    if found is None:
        listed = ", ".join(known) if known else "none"
        raise ConfigError(
            f"{code} has no subdivision {subdivision!r} (known: {listed})", f"{where}.subdivision"
        )
    return code, found
