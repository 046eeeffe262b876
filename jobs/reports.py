"""Gather what the reports are computed from: the state store's journeys and clocks, the
config's calendars, SLA policies and lead definition, and the reps (one read call to the CRM,
none when the caller passes no reader). Reports themselves are ``connector.reports``'."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime, time, timedelta

from leadsync.connector.calendar import BusinessCalendar
from leadsync.connector.config import Config
from leadsync.connector.policies import DEFAULT_CALENDAR, Policy
from leadsync.connector.reports import Facts
from leadsync.connector.routing import Rep
from leadsync.connector.state import StateStore
from leadsync.connector.timefmt import zone


def gather(config: Config, start: date | datetime | None, end: date | datetime | None,
           now: datetime, reps: Callable[[], Sequence[Rep]] | None = None) -> Facts:
    """The facts of ``config``'s connection for the period ``[start, end)``; ``reps`` reads the
    CRM's users (None: ids only). A date bound is midnight in the report's zone (the default
    calendar's, else UTC), and an ``end`` date includes that day. A config that does not load
    (calendars, policies, definition) is a ``ConfigError``."""
    calendars, policies = _sla(config)
    definition = None
    if config.definition is not None:
        from leadsync.connector.definition_file import load_definition

        definition = load_definition(config.definition.file)
    zone = calendars[DEFAULT_CALENDAR].tz.key if DEFAULT_CALENDAR in calendars else None
    store = StateStore(config.state.url)
    try:
        connection = config.sync.connection
        journeys, cycles = store.journeys(connection), store.clock_cycles(connection)
    finally:
        store.close()
    people = {rep.id: rep for rep in reps()} if reps is not None else {}
    return Facts(journeys, cycles, now, people, calendars, policies, definition,
                 bound(start, zone), bound(end, zone, next_day=True), connection, zone)


def bound(value: date | datetime | None, zone_name: str | None, next_day: bool = False
          ) -> datetime | None:
    """An instant as given; a date as its midnight in ``zone_name`` (the next day's with
    ``next_day``: an end date includes its day)."""
    if value is None or isinstance(value, datetime):
        return value
    day = value + timedelta(days=1) if next_day else value
    return datetime.combine(day, time(), tzinfo=zone(zone_name))


def _sla(config: Config) -> tuple[dict[str, BusinessCalendar], dict[str, Policy]]:
    """The calendars by name (``default`` standing for ``[sla] default_calendar``) and the
    policies by name; none without an ``[sla]`` section."""
    if config.sla is None:
        return {}, {}
    from leadsync.jobs.sla_setup import check_sla

    settings, calendars, policies = check_sla(config)
    calendars = dict(calendars)
    if settings.default_calendar in calendars:
        calendars[DEFAULT_CALENDAR] = calendars[settings.default_calendar]
    return calendars, {policy.name: policy for policy in policies}


def crm_reps(config: Config) -> Callable[[], Sequence[Rep]]:
    """A reader of the CRM's reps: one read call when called."""
    def read() -> Sequence[Rep]:
        from leadsync.adapters.registry import activities_for, build_system

        crm = build_system(*config.crm, parallel=config.sync.parallel)
        return activities_for(crm).reps()

    return read

