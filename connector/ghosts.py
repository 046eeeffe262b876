"""Ghost leads: handed-off leads nobody is working, by rep.

A stored clock is a ghost at ``now`` when its lead is

- ``untouched``: no touch was ever counted and ``now`` is past its first-touch deadline, or
- ``unresolved``: ``now`` is past its cadence end (the lead was never converted, disqualified or
  recycled in time, or its clock is still stopped there).

Untouched wins when both hold. Pure: ``find_ghosts`` reads the clocks the state store keeps
(``{"crm_id", "status", "clock"}`` by lead key) and returns the ghosts, each rep's together,
oldest handoff first; the command line only renders them. Each ghost carries what a person
reads it by (the lead's email and name, where the state store knows them: ``leads``) and its
instants (handoff, first-touch deadline, cadence end) with the clock's calendar, so they can be
shown in the rep's zone (``connector.people``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, Literal

from leadsync.connector.sla import Clock

GhostKind = Literal["untouched", "unresolved"]
_DAY = 86400


@dataclass(frozen=True, slots=True)
class Ghost:
    key: str
    crm_id: str
    owner: str | None
    policy: str
    status: str
    kind: GhostKind
    age_days: float  # since the handoff, to one decimal
    calls: int
    emails: int
    email: str | None = None  # the lead's
    name: str | None = None
    calendar: str | None = None  # the clock's: ``rep:<zone>`` or a calendar's name
    handoff_at: datetime | None = None
    first_touch_by: datetime | None = None
    cadence_end: datetime | None = None

    def as_dict(self) -> dict[str, Any]:
        """As JSON holds it: instants in ISO-8601."""
        row = asdict(self)
        for name in ("handoff_at", "first_touch_by", "cadence_end"):
            value = row[name]
            row[name] = value.isoformat() if value is not None else None
        return row


def ghost_kind(clock: Clock, now: datetime) -> GhostKind | None:
    """Why the lead of ``clock`` is a ghost at ``now``, or None when it is not one."""
    if clock.first_touch_at is None and now > clock.deadlines.first_touch_by:
        return "untouched"
    if now > clock.deadlines.cadence_end:
        return "unresolved"
    return None


def find_ghosts(stored: Mapping[str, Mapping[str, Any]], now: datetime,
                leads: Mapping[str, tuple[str | None, str | None]] | None = None
                ) -> list[Ghost]:
    """The ghosts among stored clocks, by rep (``str(owner)``), oldest handoff first;
    ``leads`` gives each lead's (email, name) by key, where known."""
    found = []
    leads = leads or {}
    for key, entry in stored.items():
        clock = Clock.from_json(entry["clock"])
        kind = ghost_kind(clock, now)
        if kind is None:
            continue
        age = round((now - clock.deadlines.handoff_at).total_seconds() / _DAY, 1)
        email, name = leads.get(key, (None, None))
        found.append(Ghost(key, entry["crm_id"], clock.owner_id, clock.policy, entry["status"],
                           kind, age, clock.calls, clock.emails, email, name, clock.calendar,
                           clock.deadlines.handoff_at, clock.deadlines.first_touch_by,
                           clock.deadlines.cadence_end))
    found.sort(key=lambda g: (str(g.owner), -g.age_days))
    return found
