"""Who the ids in ghosts and the audit are: the CRM's users and the leads' emails and names.

``directory`` reads the CRM's users once (``Activities.reps()``: one read call after the login)
and the configured calendars' zones; ``offline`` makes no call at all, and ids are shown alone.
A CRM that cannot be reached is not a reason to show nothing: the error is given back to be
shown as a warning, and ids stand in for names. ``leads`` gives each lead's email and name
from what the state store knows (its journey, else its link), with no call.
"""

from __future__ import annotations

from collections.abc import Iterable

from leadsync.connector.config import Config
from leadsync.connector.errors import LeadSyncError
from leadsync.connector.people import Directory
from leadsync.connector.state import StateStore


def directory(config: Config, offline: bool = False) -> tuple[Directory, str | None]:
    """The users and calendar zones to show, and why the users could not be read (or None)."""
    zones = {name: str(table.get("time_zone") or "") for name, table in config.calendars.items()}
    if offline:
        return Directory((), zones), None
    from leadsync.adapters.registry import activities_for, build_system

    try:
        crm = build_system(*config.crm)
        reps = activities_for(crm).reps()
    except LeadSyncError as exc:
        return Directory((), zones), f"could not read {config.crm[0]}'s users ({exc})"
    return Directory(reps, zones), None


def leads(store: StateStore, connection: str, keys: Iterable[str]
          ) -> dict[str, tuple[str | None, str | None]]:
    """(email, name) of each lead, by key: its journey's, else its link's email."""
    wanted = list(dict.fromkeys(keys))
    found: dict[str, tuple[str | None, str | None]] = {
        j.key: (j.email, j.name) for j in store.journeys(connection, wanted)}
    for key in wanted:
        email, name = found.get(key, (None, None))
        if email is None:
            link = store.link(connection, key)
            email = link.email if link is not None else None
        found[key] = (email, name)
    return found

