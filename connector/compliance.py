"""What the compliance fields on a lead should hold, from its SLA clock.

Pure: the sweep compares these values with what the record holds and writes only the fields
that changed. ``last_synced`` moves only when something else is written, so a sweep with
nothing new writes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from leadsync.connector.models import FieldValue
from leadsync.connector.values import values_equal


def iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def clock_values(clock: Any, status: str, recycle_count: int | None = None
                 ) -> dict[str, FieldValue]:
    """The SLA field values (by SLA field name) for a clock in ``status``."""
    deadlines = clock.deadlines
    values: dict[str, FieldValue] = {
        "policy": clock.policy,
        "handoff_at": iso(deadlines.handoff_at),
        "accept_by": iso(deadlines.accept_by),
        "first_touch_by": iso(deadlines.first_touch_by),
        "cadence_end": iso(deadlines.cadence_end),
        "status": status,
        "breached_at": iso(clock.breached_at),
        "first_touch_at": iso(clock.first_touch_at),
        "calls": clock.calls,
        "emails": clock.emails,
    }
    if clock.recycled_at is not None:
        values.update(recycle_reason=clock.recycle_reason, recycled_at=iso(clock.recycled_at),
                      recycle_count=recycle_count)
    return values


def changed_fields(wanted: Mapping[str, FieldValue], fields: Mapping[str, str],
                   record: Mapping[str, Any], now: datetime) -> dict[str, FieldValue]:
    """The record fields to write: ``wanted`` (by SLA field name) where the record differs,
    plus ``last_synced`` when anything is written. ``fields`` maps SLA names to field names."""
    changes: dict[str, FieldValue] = {}
    for name, value in wanted.items():
        field = fields.get(name)
        if field and not values_equal(value, record.get(field)):
            changes[field] = value
    if changes and fields.get("last_synced"):
        changes[fields["last_synced"]] = iso(now)
    return changes
