"""When each job runs: ``[schedules]`` in the config, and the next run of a job.

A schedule is a cron expression read in an IANA time zone, per job (``sync``, ``sla_sweep``,
``reconcile``, ``report``)::

    [schedules]
    time_zone = "America/New_York"          # the jobs' zone unless one names its own; UTC
    sync = "*/15 * * * *"                   # a bare cron
    reconcile = { cron = "0 2 * * *", time_zone = "Europe/Berlin" }
    sla_sweep = { enabled = false }

    [connections.emea.schedules]            # one connection's own, over [schedules]
    time_zone = "Europe/Berlin"

Unset, sync runs every 15 minutes, the SLA sweep every 15 minutes when ``[sla]`` is set, the
reconcile at 02:00, and the report not at all. A connection's table wins over ``[schedules]``
key by key; its ``time_zone`` applies to each of its jobs that names none in that table.

Cron expressions are read with croniter, in the zone's wall time, so "02:00" stays 02:00 across
daylight-saving changes. Where the wall clock skips an hour (spring forward), a job set inside
it runs once, at the first minute after the change (croniter's behaviour: 02:30 runs at 03:00).
Where it repeats an hour (fall back), a job set at fixed hours runs once, on the first pass
through that hour, as cron does; a job whose hour field is ``*`` (every N minutes) keeps running
by the clock through both passes. Every instant this module returns is in UTC.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import TYPE_CHECKING, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import CroniterBadDateError, croniter
from pydantic import BaseModel, field_validator, model_validator
from pydantic_core import PydanticCustomError

from leadsync.connector.config_systems import MODEL_CONFIG

if TYPE_CHECKING:
    from leadsync.connector.config import Config

Job = Literal["sync", "sla_sweep", "reconcile", "report"]
JOBS: tuple[Job, ...] = ("sync", "sla_sweep", "reconcile", "report")
DEFAULT_CRON: dict[Job, str | None] = {
    "sync": "*/15 * * * *", "sla_sweep": "*/15 * * * *", "reconcile": "0 2 * * *",
    "report": None}
DEFAULT_ZONE = "UTC"
_DST_MARGIN = timedelta(hours=3)  # more than any zone's daylight-saving shift


def check_cron(value: str) -> str:
    """A five-field cron expression croniter reads; the message says what is expected."""
    text = " ".join(value.split())
    if len(text.split(" ")) != 5 or not croniter.is_valid(text):
        raise PydanticCustomError("cron", 'should be a cron expression of five fields (minute '
                                  'hour day-of-month month day-of-week), e.g. "*/15 * * * *"')
    try:
        croniter(text, datetime(2000, 1, 1, tzinfo=UTC)).get_next(datetime)
    except CroniterBadDateError as exc:
        raise PydanticCustomError("cron", "names a date that never comes") from exc
    return text


def check_zone(value: str) -> str:
    """An IANA time zone name the machine's zone database knows."""
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise PydanticCustomError("time_zone", 'should be an IANA time zone name, e.g. "UTC" or '
                                  '"America/New_York"') from exc
    return value


class JobSchedule(BaseModel):
    """One job's schedule; a bare string is its cron. Unset keys come from the defaults."""

    model_config = MODEL_CONFIG

    cron: str | None = None
    time_zone: str | None = None
    enabled: bool | None = None

    @model_validator(mode="before")
    @classmethod
    def _bare_cron(cls, value: Any) -> Any:
        return {"cron": value} if isinstance(value, str) else value

    @field_validator("cron")
    @classmethod
    def _cron(cls, value: str | None) -> str | None:
        return None if value is None else check_cron(value)

    @field_validator("time_zone")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        return None if value is None else check_zone(value)

    def over(self, base: JobSchedule | None, zone: str | None) -> JobSchedule:
        """This one's keys over ``base``'s; ``zone`` (a connection's) before ``base``'s zone."""
        base = base or JobSchedule()
        return JobSchedule.model_construct(
            cron=self.cron if self.cron is not None else base.cron,
            time_zone=self.time_zone or zone or base.time_zone,
            enabled=self.enabled if self.enabled is not None else base.enabled)


class ScheduleSettings(BaseModel):
    """``[schedules]`` (and ``[connections.<name>.schedules]``): each job's schedule."""

    model_config = MODEL_CONFIG

    time_zone: str | None = None  # the zone of jobs that name none; unset: UTC
    sync: JobSchedule | None = None
    sla_sweep: JobSchedule | None = None
    reconcile: JobSchedule | None = None
    report: JobSchedule | None = None

    @field_validator("time_zone")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        return None if value is None else check_zone(value)

    def job(self, job: Job) -> JobSchedule | None:
        found: JobSchedule | None = getattr(self, job)
        return found

    def under(self, connection: ScheduleSettings | None) -> ScheduleSettings:
        """These settings with a connection's own over them, key by key."""
        if connection is None:
            return self
        merged: dict[str, Any] = {"time_zone": connection.time_zone or self.time_zone}
        for job in JOBS:
            own = connection.job(job) or JobSchedule()
            merged[job] = own.over(self.job(job), connection.time_zone)
        return ScheduleSettings.model_construct(**merged)


@dataclass(frozen=True, slots=True)
class Schedule:
    """A job's schedule as it applies: its cron read in its zone."""

    job: Job
    cron: str
    zone: tzinfo

    def next_after(self, after: datetime) -> datetime:
        """The first occurrence strictly after ``after`` (aware), in UTC."""
        moment = after.astimezone(self.zone)
        found = croniter(self.cron, moment).get_next(datetime)
        while self._repeated(found):
            found = croniter(self.cron, found).get_next(datetime)
        return _utc(found)

    def latest(self, at: datetime) -> datetime | None:
        """The last occurrence at or before ``at`` (aware), in UTC; None if there is none."""
        try:
            rough = croniter(self.cron, at.astimezone(self.zone)).get_prev(datetime)
        except CroniterBadDateError:  # none in croniter's reach
            return None
        found = None
        moment = _utc(rough) - _DST_MARGIN
        while (following := self.next_after(moment)) <= at:
            found = moment = following
        return found

    def _repeated(self, moment: datetime) -> bool:
        """A fixed-hour occurrence on the second pass through a repeated hour (fall back)."""
        if self.cron.split(" ")[1].startswith("*"):
            return False
        local = moment.astimezone(self.zone)
        first = local.replace(fold=0)
        return local.fold == 1 and first.utcoffset() != local.utcoffset()


def resolve(settings: ScheduleSettings, job: Job, sla: bool = True) -> Schedule | None:
    """``job``'s schedule under ``settings``, or None when it does not run on a schedule
    (turned off, a report without a cron, the SLA sweep with no ``[sla]``)."""
    own = settings.job(job) or JobSchedule()
    if own.enabled is False:
        return None
    default = DEFAULT_CRON[job] if job != "sla_sweep" or sla else None
    cron = own.cron or default
    if cron is None:
        return None
    return Schedule(job, cron, ZoneInfo(own.time_zone or settings.time_zone or DEFAULT_ZONE))


def schedule_problems(settings: ScheduleSettings, sla: bool,
                      connections: Mapping[str, ScheduleSettings | None] | None = None,
                      ) -> list[tuple[tuple[str, ...], str]]:
    """What ``[schedules]`` and the connections' own tables ask for that cannot run: a sweep
    with no ``[sla]``, a report with no cron; each with its key path."""
    problems = _problems(settings, sla, ("schedules",))
    for name, own in (connections or {}).items():
        if own is not None:
            problems += _problems(own, sla, ("connections", name, "schedules"),
                                  settings.under(own))
    return problems


def _problems(own: ScheduleSettings, sla: bool, where: tuple[str, ...],
              merged: ScheduleSettings | None = None) -> list[tuple[tuple[str, ...], str]]:
    merged = merged or own
    problems: list[tuple[tuple[str, ...], str]] = []
    sweep = merged.sla_sweep
    if own.sla_sweep is not None and sweep is not None and sweep.enabled is not False \
            and sweep.cron and not sla:
        problems.append(((*where, "sla_sweep"), "there is no [sla] table to sweep; set one or "
                         "remove this schedule"))
    report = merged.report
    if own.report is not None and report is not None and report.enabled and not report.cron:
        problems.append(((*where, "report", "cron"), "the report has no default schedule; "
                         "give it a cron expression"))
    return problems


def job_schedule(config: Config, connection: str, job: Job) -> Schedule | None:
    """The schedule of ``job`` on ``connection`` of ``config`` (the whole config, or one
    connection's from ``Config.for_connection``)."""
    one = config.for_connection(connection)
    return resolve(one.schedules, job, sla=one.sla is not None)


def next_run(config: Config, connection: str, job: Job, after: datetime) -> datetime | None:
    """When ``job`` next runs on ``connection`` after ``after`` (aware), in UTC; None when it
    is not scheduled."""
    schedule = job_schedule(config, connection, job)
    return None if schedule is None else schedule.next_after(after)


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)
