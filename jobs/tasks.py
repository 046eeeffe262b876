"""LeadSync's jobs as Celery tasks: each takes the config file's path and a connection's name.

A task loads the config itself (a worker runs the file as it is now, secrets from its own
environment) and runs the same job ``leadsync`` runs, holding the same run lock of its
connection (``connector.lock``). A task that finds the lock held is skipped, not failed and not
retried: the holder is alive (a dead holder on this machine is taken over at once, and a dead
one elsewhere has its lock expired by the time its job is handed on, see ``celery_app``), so
the job is being done right now, and the next scheduled run picks up whatever changed since
that run started. Queuing a retry instead would only run the same pass again behind it.

Failures are left to the schedule too: a configuration error fails the task with the key to
fix; a vendor away longer than the retry policy waits fails it, and the next tick runs again.
A run stopped at the daily API reserve has saved its progress, as with ``leadsync sync``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import structlog
from celery import shared_task

from leadsync.connector.config import Config
from leadsync.connector.errors import LockHeld, ReserveReached
from leadsync.connector.logs import configure_logging

log = structlog.get_logger("leadsync.tasks")

def load(config_path: str, connection: str) -> Config:
    """The config of ``connection`` in the file at ``config_path``; logging set up by it."""
    from leadsync.adapters.registry import load_builtin_kinds
    from leadsync.connector.config_file import load_config

    load_builtin_kinds()
    config = load_config(config_path).for_connection(connection)
    configure_logging(config.logging.format, config.logging.level)
    return config


def outcome(job: str, connection: str, run: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """Run a job; what became of it, for the worker's log. The lock held: skipped."""
    try:
        summary = run()
    except LockHeld as exc:
        log.info("job skipped: already running", job=job, connection=connection,
                 holder=exc.holder)
        return {"job": job, "connection": connection, "outcome": "skipped",
                "holder": exc.holder}
    except ReserveReached as exc:
        log.warning("job stopped at the daily API reserve", job=job, connection=connection,
                    error=str(exc))
        return {"job": job, "connection": connection, "outcome": "reserve_reached"}
    log.info("job done", job=job, connection=connection, **summary)
    return {"job": job, "connection": connection, "outcome": "done", **summary}


@shared_task(name="leadsync.sync")
def sync(config_path: str, connection: str) -> dict[str, Any]:
    """One sync pass on the connection."""
    from leadsync.jobs.sync import run_sync

    config = load(config_path, connection)

    def one_pass() -> dict[str, Any]:
        result = run_sync(config)
        return {"status": result.status, "sides": result.as_dict()}

    return outcome("sync", connection, one_pass)


@shared_task(name="leadsync.sla_sweep")
def sla_sweep(config_path: str, connection: str) -> dict[str, Any]:
    """One SLA sweep on the connection, as of now."""
    from leadsync.jobs.sla import run_sweep

    config = load(config_path, connection)
    return outcome("sla_sweep", connection,
                   lambda: run_sweep(config, datetime.now(UTC)).as_dict())


@shared_task(name="leadsync.reconcile")
def reconcile(config_path: str, connection: str) -> dict[str, Any]:
    """A full comparison of both sides of the connection, repairing drift (it holds the
    connection's sync lock: a sync running skips it, and the other way round)."""
    from leadsync.jobs.reconcile import run_reconcile

    config = load(config_path, connection)
    return outcome("reconcile", connection, lambda: run_reconcile(config).as_dict())


# -- sharded passes: one connection's sync or sweep split among the workers ---------------------

@shared_task(name="leadsync.sync_sharded")
def sync_sharded(config_path: str, connection: str, shards: int) -> dict[str, Any]:
    """Plan a sync pass of the connection in ``shards`` shards (``jobs.shards``) and send one
    task per shard; the shard that completes the pass last moves the cursors."""
    from leadsync.jobs.shards import plan_sync_shards

    config = load(config_path, connection)

    def planned() -> dict[str, Any]:
        spec = plan_sync_shards(config, shards)
        for index in range(shards):
            sync_shard.delay(config_path, spec.as_json(), index)
        return {"pass": spec.id, "shards": shards}

    return outcome("sync_sharded", connection, planned)


@shared_task(name="leadsync.sync_shard")
def sync_shard(config_path: str, spec: dict[str, Any], index: int) -> dict[str, Any]:
    """Shard ``index`` of a planned pass, then the pass finished if every shard is complete
    (the last shard to complete finds none missing). A shard of a pass already over is
    skipped; one that dies is given back by the broker and runs again, writing nothing twice."""
    from leadsync.connector.shards import PassOver, ShardedPass
    from leadsync.jobs.shards import finish_sync_shards, run_sync_shard

    planned = ShardedPass.from_json(spec)
    config = load(config_path, planned.connection)

    def one_shard() -> dict[str, Any]:
        try:
            result = run_sync_shard(config, planned, index)
            missing = finish_sync_shards(config, planned)
        except PassOver as exc:
            return {"status": "skipped", "why": str(exc)}
        return {"status": result.status, "shards_left": missing}

    return outcome(planned.shard_job(index), planned.connection, one_shard)


@shared_task(name="leadsync.sla_sweep_sharded")
def sla_sweep_sharded(config_path: str, connection: str, shards: int) -> dict[str, Any]:
    """Plan an SLA sweep of the connection in ``shards`` shards (``jobs.sla_shards``) and send
    one task per shard."""
    from leadsync.jobs.sla_shards import plan_sweep_shards

    config = load(config_path, connection)

    def planned() -> dict[str, Any]:
        spec = plan_sweep_shards(config, shards)
        for index in range(shards):
            sla_sweep_shard.delay(config_path, spec.as_json(), index)
        return {"pass": spec.id, "shards": shards}

    return outcome("sla_sweep_sharded", connection, planned)


@shared_task(name="leadsync.sla_sweep_shard")
def sla_sweep_shard(config_path: str, spec: dict[str, Any], index: int) -> dict[str, Any]:
    """Shard ``index`` of a planned sweep, then the sweep finished if every shard is
    complete."""
    from leadsync.connector.shards import PassOver, ShardedPass
    from leadsync.jobs.sla_shards import finish_sweep_shards, run_sweep_shard

    planned = ShardedPass.from_json(spec)
    config = load(config_path, planned.connection)

    def one_shard() -> dict[str, Any]:
        try:
            result = run_sweep_shard(config, planned, index)
            missing = finish_sweep_shards(config, planned)
        except PassOver as exc:
            return {"status": "skipped", "why": str(exc)}
        return {"leads": result.leads, "shards_left": missing}

    return outcome(planned.shard_job(index), planned.connection, one_shard)
