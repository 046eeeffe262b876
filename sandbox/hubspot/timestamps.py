"""HubSpot's time formats: ISO-8601 UTC with milliseconds out, ISO or epoch milliseconds in."""

from __future__ import annotations

from datetime import UTC, date, datetime, time


def iso(moment: datetime) -> str:
    """``2024-01-15T10:30:00.000Z``."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def parse(value: str) -> datetime | None:
    """A datetime from epoch milliseconds or ISO-8601 (a date alone is midnight UTC)."""
    text = str(value).strip()
    if not text:
        return None
    if text.lstrip("-").isdigit():
        try:
            return datetime.fromtimestamp(int(text) / 1000, tz=UTC)
        except (OverflowError, OSError, ValueError):
            return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        try:
            return datetime.combine(date.fromisoformat(text), time(), tzinfo=UTC)
        except ValueError:
            return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def millis(value: str) -> int | None:
    moment = parse(value)
    return None if moment is None else int(moment.timestamp() * 1000)
