"""The Celery app: LeadSync's jobs run by workers on several machines, Redis as the broker.

Start workers and beat with the config file in ``LEADSYNC_CONFIG`` (and its secrets in the
environment, as for any command)::

    celery -A leadsync.jobs.celery_app worker -c 1
    celery -A leadsync.jobs.celery_app beat -s /var/lib/leadsync/beat-schedule

The config needs ``[scale]`` (the Redis server) and, for workers on more than one machine, a
PostgreSQL ``[state] url``. Every job is a task taking the config file's path and a connection
name (``jobs.tasks``); beat sends them as the config's schedule says (``jobs.beat``).

A job's message is acknowledged only once the job has ended (``acks_late``), a worker takes one
message at a time (prefetch 1), and a message whose worker process died is given back
(``reject_on_worker_lost``): a job killed mid-way runs again on another worker, and every job
resumes where its committed progress stands (cursors, ledger, effects recorded by key). A whole
worker lost (its machine) leaves its message with Redis, which hands it to another worker after
``[scale] visibility_timeout``; that is required to exceed ``[state] lock_expiry_seconds``, so
the dead worker's run lock has expired by then and is taken over. The run lock is what keeps a
job from running twice at once; the broker alone does not (a message may be delivered twice).
"""

from __future__ import annotations

from typing import Any

from celery import Celery

from leadsync.connector.config import Config
from leadsync.connector.errors import ConfigError
from leadsync.jobs.beat import beat_schedule

RESTORE_EVERY = 10  # seconds between looks for messages whose worker is gone, at most


def make_app(config: Config) -> Celery:
    """The app for ``config``: broker, delivery guarantees and beat schedule."""
    scale = config.scale
    if scale is None:
        raise ConfigError('no [scale] section: name the Redis server, e.g. [scale] redis_url = '
                          '"redis://127.0.0.1:6379/0"', "scale")
    if scale.visibility_timeout <= config.state.lock_expiry_seconds:
        raise ConfigError(f"should be longer than [state] lock_expiry_seconds "
                          f"({config.state.lock_expiry_seconds}): a killed worker's job is "
                          f"handed on after it, and its run lock must have expired by then",
                          "scale.visibility_timeout")
    app = Celery("leadsync", broker=scale.redis_url, include=["leadsync.jobs.tasks"])
    app.conf.update(
        broker_transport_options={
            "visibility_timeout": scale.visibility_timeout,
            "unacked_restore_interval": max(1, min(RESTORE_EVERY,
                                                   scale.visibility_timeout // 10)),
            "unacked_restore_throttle": 1,
            "global_keyprefix": f"{scale.queue}:",  # configs sharing a Redis keep apart
        },
        broker_connection_retry_on_startup=True,
        task_default_queue=scale.queue,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_ignore_result=True,  # outcomes are in the state store's runs
        task_serializer="json",
        accept_content=["json"],
        timezone="UTC",
        enable_utc=True,
        beat_schedule=beat_schedule(config),
    )
    return app


def _from_environment() -> Celery:
    """The app for the config ``LEADSYNC_CONFIG`` names (else ./leadsync.toml)."""
    from leadsync.adapters.registry import load_builtin_kinds
    from leadsync.connector.config_file import load_config

    load_builtin_kinds()
    return make_app(load_config(None))


def __getattr__(name: str) -> Any:
    """``app``, made when ``celery -A leadsync.jobs.celery_app`` first asks for it, so that
    importing this module needs no config."""
    if name == "app":
        globals()["app"] = made = _from_environment()
        return made
    raise AttributeError(name)
