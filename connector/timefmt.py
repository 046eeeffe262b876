"""Instants as people read them: in a named time zone, with the zone shown.

Reps read deadlines in their own time zone (the CRM user's), managers and reports in the
connection's; machines read ISO-8601. ``local`` gives ``2026-12-07 10:00 EST``; an unknown or
missing zone falls back to UTC, which is then shown as such, never silently.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


def zone(name: str | None) -> ZoneInfo:
    """The zone called ``name`` (IANA), or UTC when it is missing or unknown."""
    if not name:
        return ZoneInfo("UTC")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def local(moment: datetime | None, zone_name: str | None, *, seconds: bool = False) -> str:
    """``moment`` in ``zone_name`` as ``YYYY-MM-DD HH:MM ABBR`` ("" for None)."""
    if moment is None:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    shown = moment.astimezone(zone(zone_name))
    clock = "%H:%M:%S" if seconds else "%H:%M"
    return shown.strftime(f"%Y-%m-%d {clock} ") + (shown.tzname() or "UTC")
