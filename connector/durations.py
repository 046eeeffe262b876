"""Business durations: "4 business hours", "10 business days", as written in SLA policies.

A ``Duration`` has two independent parts, counted on a ``BusinessCalendar``
(``connector.calendar``):

- ``minutes``: business minutes, counted only while the calendar is open;
- ``days``: whole business days, "the same time of day on the N-th following working day".

The parts are never converted into each other: how many minutes a business day holds depends on
the calendar and the day (split shifts, short Fridays), so ``Duration(days=1)`` and
``Duration(minutes=480)`` are different durations even on a 9-to-5 calendar. When both are set,
the days are added first, then the minutes.

Text form (``parse_duration`` / ``format_duration``), case-insensitive, parts in any order,
each unit at most once, spaces optional::

    90m  45min  4h  24h  1h30m  1d 4h  10d  2w  "3 days"  "1 week 2 days"

``w`` is five business days (``2w`` = ``10d``), whatever the calendar's week looks like; ``h`` is
60 business minutes (``24h`` is 24 business hours, about three 8-hour days, not one day).
``format_duration`` writes the canonical form (``1d 4h 30m``), which ``parse_duration`` reads back.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Duration", "format_duration", "parse_duration"]

_UNITS = {
    "w": "w", "wk": "w", "wks": "w", "week": "w", "weeks": "w",
    "d": "d", "day": "d", "days": "d",
    "h": "h", "hr": "h", "hrs": "h", "hour": "h", "hours": "h",
    "m": "m", "min": "m", "mins": "m", "minute": "m", "minutes": "m",
}  # fmt: skip
_PART = re.compile(r"\s*(\d+)\s*([a-z]+)\s*")
_EXAMPLES = "e.g. '90m', '4h', '1h30m', '10d', '1d 4h', '2w'"


@dataclass(frozen=True)
class Duration:
    """A business duration: ``minutes`` business minutes and ``days`` whole business days."""

    minutes: int = 0
    days: int = 0

    def __post_init__(self) -> None:
        for field in ("minutes", "days"):
            value = getattr(self, field)
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError(f"Duration.{field} must be an int, not {type(value).__name__}")
            if value < 0:
                raise ValueError(f"Duration.{field} must not be negative (got {value})")

    def __add__(self, other: Duration) -> Duration:
        if not isinstance(other, Duration):
            return NotImplemented
        return Duration(self.minutes + other.minutes, self.days + other.days)

    @property
    def is_zero(self) -> bool:
        return self.minutes == 0 and self.days == 0

    def __str__(self) -> str:
        return format_duration(self)


def parse_duration(text: str) -> Duration:
    """Read ``"90m"``, ``"4h"``, ``"1h30m"``, ``"10d"``, ``"1d 4h"``, ``"2w"``... (see above).

    Anything else is a ``ValueError`` saying what was expected.
    """
    if not isinstance(text, str):
        raise TypeError(f"a duration is text like {_EXAMPLES}, not {type(text).__name__}")
    source = text.strip().lower()
    if not source:
        raise ValueError(f"empty duration: expected {_EXAMPLES}")
    seen: dict[str, int] = {}
    position = 0
    while position < len(source):
        match = _PART.match(source, position)
        if match is None:
            raise ValueError(
                f"cannot read duration {text!r} at {source[position:]!r}: expected {_EXAMPLES}"
            )
        number, word = match.groups()
        unit = _UNITS.get(word)
        if unit is None:
            raise ValueError(
                f"unknown unit {word!r} in duration {text!r}: use w (weeks of 5 business days), "
                "d (business days), h (business hours) or m (business minutes)"
            )
        if unit in seen:
            raise ValueError(f"duration {text!r} gives the {word!r} part twice")
        seen[unit] = int(number)
        position = match.end()
    minutes = seen.get("h", 0) * 60 + seen.get("m", 0)
    days = seen.get("w", 0) * 5 + seen.get("d", 0)
    return Duration(minutes=minutes, days=days)


def format_duration(d: Duration) -> str:
    """The canonical text of ``d``: ``"1d 4h 30m"``, ``"10d"``, ``"1h 30m"``, ``"0m"``."""
    parts = []
    if d.days:
        parts.append(f"{d.days}d")
    hours, minutes = divmod(d.minutes, 60)
    if hours:
        parts.append(f"{hours}h")
    if minutes or not parts:
        parts.append(f"{minutes}m")
    return " ".join(parts)
