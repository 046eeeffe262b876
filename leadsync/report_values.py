"""A report's values as a person reads them, by column kind (see ``connector/report_model``).

- ``count``: ``1,204``.
- ``percent`` (a fraction): ``87%``, or ``66.7%`` when the tenth matters.
- ``hours``: ``3.5 h``.
- ``interval`` (two fractions, a confidence interval): ``42%-61%``, with an en dash.
- ``instant`` (an aware datetime): ``2026-12-07 10:00 EST``, in the zone the report gave it;
  a naive one is taken as UTC and shown as such, never silently.
- ``text``: as it is; ``True``/``False`` as yes/no.

A blank value (``None``: nothing to divide, no touch yet) is an em dash, in every kind, so that
it is never mistaken for a zero. Nothing here computes a number; it only shows one.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from leadsync.connector.report_model import ColumnKind

BLANK = "\N{EM DASH}"
DASH = "\N{EN DASH}"
NUMERIC: frozenset[str] = frozenset({"count", "percent", "hours", "interval"})


def tenths(value: float) -> Decimal:
    """``value`` to one decimal, halves up as people round by hand (6.25 -> 6.3)."""
    return Decimal(repr(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def percent(fraction: float) -> str:
    """``0.87`` -> ``87%``; ``2/3`` -> ``66.7%``: a tenth only where rounding would hide it."""
    shown = tenths(fraction * 100)
    return f"{shown:.0f}%" if shown == shown.to_integral_value() else f"{shown}%"


def instant(moment: datetime) -> str:
    """``2026-12-07 10:00 EST``: the moment in its own zone, the zone named."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.strftime("%Y-%m-%d %H:%M ") + (moment.tzname() or "UTC")


def number(value: Any) -> float | None:
    """A plottable number, or None for a blank or a value that is no number."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if math.isnan(value) or math.isinf(value):
        return None
    return float(value)


def interval(value: Any) -> tuple[float, float] | None:
    """A (low, high) pair of fractions, or None."""
    if not isinstance(value, tuple | list) or len(value) != 2:
        return None
    low, high = number(value[0]), number(value[1])
    return None if low is None or high is None else (low, high)


def show(value: Any, kind: ColumnKind) -> str:
    """``value`` of a column of ``kind`` as text for a person."""
    if value is None:
        return BLANK
    if kind == "interval":
        pair = interval(value)
        return BLANK if pair is None else f"{percent(pair[0])}{DASH}{percent(pair[1])}"
    if kind == "instant" and isinstance(value, datetime):
        return instant(value)
    if kind in ("count", "percent", "hours"):
        plain = number(value)
        if plain is None:
            return str(value)
        if kind == "percent":
            return percent(plain)
        if kind == "hours":
            return f"{tenths(plain):,} h"
        return f"{plain:,.0f}" if plain.is_integer() else f"{plain:,.1f}"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)
