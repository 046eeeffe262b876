"""Celery beat's schedule, generated from the config: which job runs on which connection when.

Until the config has schedules, every connection of the config (``Config.connection_names``)
has its sync every 15 minutes and, with ``[sla]``, its SLA sweep as often. ``scheduled_jobs``
is the one place that reads what runs when; the config's own schedules replace it there.

A message beat sent expires after one interval: if the workers are busy that long, the next
tick's message does the same job, so ticks never pile up behind a slow job.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from leadsync.connector.config import Config

DEFAULT_EVERY = timedelta(minutes=15)
TASKS = {"sync": "leadsync.sync", "sla_sweep": "leadsync.sla_sweep",
         "reconcile": "leadsync.reconcile"}


@dataclass(frozen=True)
class Scheduled:
    job: str  # a key of TASKS
    connection: str
    every: timedelta


def scheduled_jobs(config: Config, every: timedelta = DEFAULT_EVERY) -> list[Scheduled]:
    """What runs how often on each connection: the sync, and the SLA sweep with ``[sla]``."""
    found = []
    for connection in config.connection_names():
        one = config.for_connection(connection)
        found.append(Scheduled("sync", connection, every))
        if one.sla is not None:
            found.append(Scheduled("sla_sweep", connection, every))
    return found


def beat_schedule(config: Config, every: timedelta = DEFAULT_EVERY,
                  path: Path | None = None) -> dict[str, dict[str, Any]]:
    """``beat_schedule`` of the Celery app: one entry per job and connection, sending the
    config file's path (``path``, else the file ``config`` was loaded from)."""
    source = path or config.source_path
    if source is None:
        return {}  # a config made in memory: nothing a worker could load
    return {f"{s.job} {s.connection}": {
        "task": TASKS[s.job], "schedule": s.every, "args": (str(source), s.connection),
        "options": {"expires": s.every.total_seconds()}}
        for s in scheduled_jobs(config, every)}
