"""What every report is computed from, and the helpers they share to read it.

``Facts`` holds what the state store and the CRM know, read once by the job (``jobs.reports``):
the journeys, every SLA clock (past and current, ``ClockCycle``), the reps by CRM user id, the
business calendars by name, the SLA policies by name, the lead definition, the period
``[start, end)`` (either end open when None), ``now``, and the zone instants are shown in.

Shared rules:

- a person is shown by name and email beside the id; an id the CRM did not return (or
  ``--offline``) is shown alone. A rep's **team** is the name of their manager (the manager's
  id when the CRM does not know the manager), ``no manager`` otherwise;
- a clock's business time is counted on the calendar it was started on: its recorded name, or
  for ``rep:<zone>`` the default calendar in that zone (as ``policies.resolve_calendar`` built
  it); a calendar no longer configured gives no business time (the report says how many);
- hours are floats; ``month`` is ``YYYY-MM`` in the report's zone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from leadsync.connector.journey import ClockCycle, Journey
from leadsync.connector.policies import DEFAULT_CALENDAR, REP_CALENDAR
from leadsync.connector.routing import Rep
from leadsync.connector.sla import Clock
from leadsync.connector.timefmt import local
from leadsync.connector.timefmt import zone as zone_of

if TYPE_CHECKING:
    from leadsync.connector.calendar import BusinessCalendar
    from leadsync.connector.definition import Definition
    from leadsync.connector.policies import Policy

NO_MANAGER = "no manager"
NONE_LABEL = "(none)"


@dataclass(frozen=True, slots=True)
class ClockFact:
    """One SLA clock a lead was given, parsed, with the lead's journey when there is one."""

    cycle: ClockCycle
    clock: Clock
    journey: Journey | None


@dataclass
class Facts:
    journeys: list[Journey]
    cycles: list[ClockCycle]
    now: datetime
    reps: Mapping[str, Rep] = field(default_factory=dict)
    calendars: Mapping[str, BusinessCalendar] = field(default_factory=dict)
    policies: Mapping[str, Policy] = field(default_factory=dict)
    definition: Definition | None = None
    start: datetime | None = None
    end: datetime | None = None
    connection: str = "default"
    zone: str | None = None  # IANA name instants are shown in; None: UTC
    _clocks: list[ClockFact] | None = field(default=None, init=False, repr=False)
    _hours: dict[tuple[int, datetime, datetime], float | None] = field(
        default_factory=dict, init=False, repr=False)

    @property
    def period(self) -> tuple[datetime | None, datetime | None]:
        return self.start, self.end

    def in_period(self, moment: datetime | None) -> bool:
        if moment is None:
            return False
        return ((self.start is None or moment >= self.start)
                and (self.end is None or moment < self.end))

    def clocks(self) -> list[ClockFact]:
        """Every clock, parsed, by lead and cycle (each parsed once)."""
        if self._clocks is None:
            by_key = {j.key: j for j in self.journeys}
            self._clocks = [ClockFact(c, _parsed(c), by_key.get(c.key)) for c in self.cycles]
        return self._clocks

    def clocks_in_period(self) -> list[ClockFact]:
        """The clocks whose handoff is in the period."""
        return [f for f in self.clocks() if self.in_period(f.clock.deadlines.handoff_at)]

    # --- people ------------------------------------------------------------------------------

    def rep_name(self, owner_id: str | None) -> str:
        if owner_id is None:
            return NONE_LABEL
        rep = self.reps.get(owner_id)
        return rep.name if rep is not None and rep.name else owner_id

    def rep_email(self, owner_id: str | None) -> str:
        rep = self.reps.get(owner_id) if owner_id is not None else None
        return rep.email if rep is not None else ""

    def team(self, owner_id: str | None) -> str:
        rep = self.reps.get(owner_id) if owner_id is not None else None
        if rep is None or not rep.manager_id:
            return NO_MANAGER
        return self.rep_name(rep.manager_id)

    def person(self, owner_id: str | None) -> dict[str, str]:
        """The columns that name a rep: ``rep`` (name), ``rep_email``, ``rep_id``, ``team``."""
        return {"rep": self.rep_name(owner_id), "rep_email": self.rep_email(owner_id),
                "rep_id": owner_id or "", "team": self.team(owner_id)}

    # --- time --------------------------------------------------------------------------------

    def calendar_of(self, clock: Clock) -> BusinessCalendar | None:
        """The calendar ``clock`` was started on, or None when it is no longer configured."""
        name = clock.calendar
        if name.startswith(f"{REP_CALENDAR}:"):
            default = self.calendars.get(DEFAULT_CALENDAR)
            if default is None:
                return None
            try:
                return default.with_time_zone(name.split(":", 1)[1])
            except ValueError:
                return None
        return self.calendars.get(name)

    def business_hours(self, clock: Clock, start: datetime, end: datetime) -> float | None:
        """Business hours from ``start`` to ``end`` on ``clock``'s calendar (None: the calendar
        is gone); kept, as a clock is measured once per table it appears in."""
        key = (id(clock), start, end)
        if key not in self._hours:
            calendar = self.calendar_of(clock)
            self._hours[key] = None if calendar is None else \
                calendar.elapsed_minutes(start, end) / 60
        return self._hours[key]

    def month(self, moment: datetime) -> str:
        return moment.astimezone(zone_of(self.zone)).strftime("%Y-%m")

    def shown(self, moment: datetime) -> str:
        """An instant as notes show it: in the report's zone, the zone named."""
        return local(moment, self.zone)

    def period_words(self) -> str:
        start = self.shown(self.start) if self.start else "the beginning"
        return f"from {start} up to (not including) {self.shown(self.end)}" if self.end else \
            f"from {start} to now"


def _parsed(cycle: ClockCycle) -> Clock:
    try:
        return Clock.from_json(cycle.clock)
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"the SLA clock of lead {cycle.key} (cycle {cycle.cycle}, "
                         f"{cycle.crm_id}) cannot be read: {exc!r}") from exc


def wall_hours(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return max(0.0, (end - start).total_seconds() / 3600)


def label(value: str | None) -> str:
    return value if value else NONE_LABEL
