"""Celery beat's schedule, generated from the config: which job runs on which connection when.

Each job of each connection (``Config.connection_names``) runs when its ``[schedules]`` entry
says (``connector.schedule``: a cron expression in an IANA time zone, a connection's own entry
winning key by key; unset, the sync and the SLA sweep every 15 minutes and the reconcile at
02:00), the same schedule ``leadsync run`` keeps on one machine. ``CronSchedule`` lets beat ask
that schedule, so time zones and daylight-saving changes are read as ``leadsync run`` reads
them. Tests and benchmarks may ask for a fixed interval instead (``every``).

A message beat sent expires at the job's next occurrence: if the workers are busy that long,
the next tick's message does the same job, so ticks never pile up behind a slow job.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from celery.schedules import BaseSchedule, schedstate

from leadsync.connector.config import Config
from leadsync.connector.schedule import JOBS, Schedule, job_schedule

TASKS = {"sync": "leadsync.sync", "sla_sweep": "leadsync.sla_sweep",
         "reconcile": "leadsync.reconcile"}
LOOK_AGAIN = 60.0  # seconds beat sleeps at most before asking a schedule again


class CronSchedule(BaseSchedule):
    """A job's ``[schedules]`` entry as Celery beat asks it: is it due, when to ask again."""

    def __init__(self, schedule: Schedule) -> None:
        super().__init__()
        self.schedule = schedule

    def remaining_estimate(self, last_run_at: datetime) -> timedelta:
        return self.schedule.next_after(_aware(last_run_at)) - datetime.now(UTC)

    def is_due(self, last_run_at: datetime) -> schedstate:
        now = datetime.now(UTC)
        if self.schedule.next_after(_aware(last_run_at)) <= now:
            return schedstate(True, (self.schedule.next_after(now) - now).total_seconds())
        wait = (self.schedule.next_after(_aware(last_run_at)) - now).total_seconds()
        return schedstate(False, min(wait, LOOK_AGAIN))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CronSchedule) and other.schedule == self.schedule

    def __hash__(self) -> int:
        return hash(self.schedule)

    def __reduce__(self) -> tuple[Any, ...]:  # beat keeps its entries in a shelve file
        return (CronSchedule, (self.schedule,))

    def __repr__(self) -> str:
        return f"<cron {self.schedule.cron!r} in {self.schedule.zone}>"


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


@dataclass(frozen=True)
class Scheduled:
    job: str  # a key of TASKS
    connection: str
    schedule: Schedule


def scheduled_jobs(config: Config) -> list[Scheduled]:
    """What runs when on each connection, from the config's ``[schedules]``."""
    return [Scheduled(job, connection, schedule)
            for connection in config.connection_names() for job in JOBS if job in TASKS
            if (schedule := job_schedule(config, connection, job)) is not None]


def beat_schedule(config: Config, every: timedelta | None = None,
                  path: Path | None = None) -> dict[str, dict[str, Any]]:
    """``beat_schedule`` of the Celery app: one entry per job and connection, sending the
    config file's path (``path``, else the file ``config`` was loaded from); ``every`` (tests,
    benchmarks) runs each job at that interval instead of its schedule."""
    source = path or config.source_path
    if source is None:
        return {}  # a config made in memory: nothing a worker could load
    entries = {}
    for s in scheduled_jobs(config):
        if every is not None:
            when: Any = every
            expires = every.total_seconds()
        else:
            when = CronSchedule(s.schedule)
            now = datetime.now(UTC)
            expires = (s.schedule.next_after(s.schedule.next_after(now)) -
                       s.schedule.next_after(now)).total_seconds()
        entries[f"{s.job} {s.connection}"] = {
            "task": TASKS[s.job], "schedule": when, "args": (str(source), s.connection),
            "options": {"expires": expires}}
    return entries
