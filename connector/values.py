"""Values as the systems mean them: one field's value written the ways vendors write it.

None and "" alike, "5" and 5 alike, "true" and True, and one instant however a vendor spells
it ("2026-12-06T10:00:00Z", "2026-12-06T10:00:00.000+0000"). The planner compares with
``equal``; fingerprints (``connector.echo``) read instants with ``instant``.
"""

from __future__ import annotations

from datetime import UTC, datetime

from leadsync.connector.models import FieldValue


def values_equal(a: FieldValue, b: FieldValue) -> bool:
    """Equal as the systems mean it: None and "" alike, "5" and 5 alike, "true" and True,
    and the same instant however a vendor writes it."""
    return equal(a, b)


def equal(a: FieldValue, b: FieldValue) -> bool:
    """Equal as the systems mean it (``values_equal``)."""
    if a in (None, "") and b in (None, ""):
        return True
    if a is None or b is None:
        return False
    if isinstance(a, bool) or isinstance(b, bool):
        return str(a).lower() == str(b).lower()
    if isinstance(a, int | float) or isinstance(b, int | float):
        try:
            return float(a) == float(b)
        except ValueError:
            return False
    if a == b:
        return True
    return instant(a) is not None and instant(a) == instant(b)


def instant(value: FieldValue) -> datetime | None:
    """An ISO-8601 timestamp as an instant (vendors write the same moment differently); None
    for any other value."""
    text = str(value)
    if len(text) < 19 or text[4] != "-" or text[10] != "T":
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("+0000", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
