"""Records people can read: names and emails beside ids, instants in the reader's zone.

A manager reading ghosts or a lead's history knows "Dana Reyes", not ``0058d00000001AbC``;
a rep reads deadlines in the rep's own time zone. ``Directory`` holds the CRM's users
(``Activities.reps()``, one read call, or none at all offline) and the calendars' zones, and
answers, for an owner id and the clock's calendar:

- who it is: ``"Dana Reyes <dana@example.com>"``, or the bare id when the user is unknown
  (offline, or a user since deleted): ids are never hidden, only put second;
- the zone to show times in: the rep's ``time_zone``; else the zone of the clock's calendar
  (``rep:America/Chicago`` names it, a named calendar has its own); else UTC, shown as UTC.

Pure: the command line reads the reps and the calendars, this module only looks them up.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from leadsync.connector.routing import Rep
from leadsync.connector.timefmt import local

REP_PREFIX = "rep:"


class Directory:
    """The CRM users and calendar zones a report shows times and people with."""

    def __init__(self, reps: Iterable[Rep] = (), calendars: Mapping[str, str] | None = None
                 ) -> None:
        self.reps = {rep.id: rep for rep in reps}
        self.calendars = dict(calendars or {})  # calendar name -> IANA zone

    def rep(self, rep_id: str | None) -> Rep | None:
        return self.reps.get(rep_id) if rep_id else None

    def name(self, rep_id: str | None) -> str | None:
        rep = self.rep(rep_id)
        return rep.name or None if rep else None

    def email(self, rep_id: str | None) -> str | None:
        rep = self.rep(rep_id)
        return rep.email or None if rep else None

    def label(self, rep_id: str | None) -> str:
        """``Name <email>``, else what is known, else the id (``-`` for none)."""
        rep = self.rep(rep_id)
        if rep is None:
            return rep_id or "-"
        if rep.name and rep.email:
            return f"{rep.name} <{rep.email}>"
        return rep.name or rep.email or rep.id

    def zone(self, rep_id: str | None, calendar: str | None = None) -> str:
        """The zone to show a lead's times in: its rep's, else its clock calendar's, else UTC."""
        rep = self.rep(rep_id)
        if rep is not None and rep.time_zone:
            return rep.time_zone
        if calendar and calendar.startswith(REP_PREFIX) and calendar[len(REP_PREFIX):]:
            return calendar[len(REP_PREFIX):]
        if calendar and self.calendars.get(calendar):
            return self.calendars[calendar]
        return "UTC"

    def when(self, moment: datetime | None, rep_id: str | None, calendar: str | None = None
             ) -> str:
        """``moment`` in the zone of ``zone(rep_id, calendar)``, the zone shown."""
        return local(moment, self.zone(rep_id, calendar))


def person(name: str | None, email: str | None) -> str:
    """``Name <email>``, or whichever of the two is known ("" for neither)."""
    if name and email:
        return f"{name} <{email}>"
    return name or email or ""
