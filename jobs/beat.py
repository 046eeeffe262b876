"""Celery beat's schedule, generated from the config: which job runs on which connection when.

Until the config has schedules and several connections, every config schedules the sync
every 15 minutes and, with ``[sla]``, the SLA sweep as often, on its one connection
(``[sync] connection``). ``scheduled_jobs`` is the one place that reads what runs when, and
``connection_names`` and ``for_connection`` the one place that knows the connections; the
config's own schedules and connections replace them there.

A message beat sent expires after one interval: if the workers are busy that long, the next
tick's message does the same job, so ticks never pile up behind a slow job.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from leadsync.connector.config import Config
from leadsync.connector.errors import ConfigError

DEFAULT_EVERY = timedelta(minutes=15)
TASKS = {"sync": "leadsync.sync", "sla_sweep": "leadsync.sla_sweep",
         "reconcile": "leadsync.reconcile"}


@dataclass(frozen=True)
class Scheduled:
    job: str  # a key of TASKS
    connection: str
    every: timedelta


def connection_names(config: Config) -> list[str]:
    """The config's connections (one, for now: ``[sync] connection``)."""
    return [config.sync.connection]


def for_connection(config: Config, connection: str) -> Config:
    """The config of one connection, which every job takes."""
    if connection not in connection_names(config):
        raise ConfigError(f"no connection {connection!r} in this config; it has "
                          f"{', '.join(map(repr, connection_names(config)))}",
                          "sync.connection")
    return config


def scheduled_jobs(config: Config, every: timedelta = DEFAULT_EVERY) -> list[Scheduled]:
    """What runs how often on each connection: the sync, and the SLA sweep with ``[sla]``."""
    found = []
    for connection in connection_names(config):
        one = for_connection(config, connection)
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
