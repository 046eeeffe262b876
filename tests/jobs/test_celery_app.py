"""The Celery app as the config makes it: delivery guarantees, beat's schedule, and tasks
that skip a job whose run lock is held (no worker, broker or vendor needed here)."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from leadsync.connector.config import Config
from leadsync.connector.errors import ConfigError
from leadsync.connector.lock import RunLock
from leadsync.connector.schedule import Schedule
from leadsync.connector.state import StateStore
from leadsync.demo import DEFINITION, sandbox_config, sandbox_secrets
from leadsync.jobs import tasks
from leadsync.jobs.beat import CronSchedule, beat_schedule
from leadsync.jobs.celery_app import make_app
from tests.jobs.test_sla_e2e import SLA

SCALE = '\n[scale]\nredis_url = "redis://:pw@127.0.0.1:6379/15"\nqueue = "unit"\n'


def info(folder: Path) -> dict[str, Any]:
    """Sandbox-shaped connection details for orgs that are never called."""
    ca = folder / "ca.pem"
    ca.write_text("not used\n")
    return {"hubspot": {"host": "https://127.0.0.1:9", "access_token": "pat-unit"},
            "salesforce": {"instance_url": "https://127.0.0.1:9", "session_id": "00Dunit",
                           "api_version": "59.0"},
            "ca_bundle": str(ca)}


def config(folder: Path, extra: str = SCALE, sla: bool = True) -> Config:
    return sandbox_config(info(folder), folder, state="state.db",
                          definition=DEFINITION if sla else None,
                          extra=(SLA if sla else "") + extra, install=False)


def test_jobs_are_acknowledged_when_done_given_back_when_their_worker_dies_one_at_a_time(
        tmp_path: Path) -> None:
    app = make_app(config(tmp_path))

    assert (app.conf.task_acks_late, app.conf.task_reject_on_worker_lost,
            app.conf.worker_prefetch_multiplier) == (True, True, 1)
    assert app.conf.broker_url == "redis://:pw@127.0.0.1:6379/15"
    assert app.conf.task_default_queue == "unit"
    options = app.conf.broker_transport_options
    assert (options["visibility_timeout"], options["global_keyprefix"]) == (3600, "unit:")


def test_no_scale_section_or_a_visibility_timeout_within_the_lock_expiry_is_refused(
        tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    with pytest.raises(ConfigError) as missing:
        make_app(config(tmp_path / "a", extra=""))
    assert missing.value.where == "scale"
    (tmp_path / "b").mkdir()
    with pytest.raises(ConfigError) as short:  # the config itself is refused (config check)
        config(tmp_path / "b", extra=SCALE + "visibility_timeout = 120\n")
    assert ("scale.visibility_timeout: should be longer than [state] lock_expiry_seconds (120)"
            in str(short.value))


def test_beat_sends_each_job_of_the_connection_on_its_schedule_with_the_config_path(
        tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    with_sla, without = config(tmp_path / "a"), config(tmp_path / "b", sla=False)

    schedule = beat_schedule(with_sla)

    path = str(tmp_path / "a" / "leadsync.toml")
    assert list(schedule) == ["sync default", "sla_sweep default", "reconcile default"]
    assert {name: (entry["task"], entry["args"], entry["options"])
            for name, entry in schedule.items()} == {
        "sync default": ("leadsync.sync", (path, "default"), {"expires": 900.0}),
        "sla_sweep default": ("leadsync.sla_sweep", (path, "default"), {"expires": 900.0}),
        "reconcile default": ("leadsync.reconcile", (path, "default"), {"expires": 86400.0})}
    crons = {name: (entry["schedule"].schedule.cron, str(entry["schedule"].schedule.zone))
             for name, entry in schedule.items()}
    assert crons == {"sync default": ("*/15 * * * *", "UTC"),
                     "sla_sweep default": ("*/15 * * * *", "UTC"),
                     "reconcile default": ("0 2 * * *", "UTC")}  # the [schedules] defaults
    assert list(beat_schedule(without)) == ["sync default", "reconcile default"]
    assert make_app(with_sla).conf.beat_schedule == schedule
    fixed = beat_schedule(with_sla, every=timedelta(seconds=2))  # tests and benchmarks
    assert {entry["schedule"] for entry in fixed.values()} == {timedelta(seconds=2)}


def test_a_cron_entry_is_due_at_its_occurrence_in_its_zone_and_pickles_for_beats_shelve(
        ) -> None:
    entry = CronSchedule(Schedule("sync", "30 9 * * *", ZoneInfo("America/New_York")))
    now = datetime.now(UTC)
    last = entry.schedule.latest(now)
    assert last is not None and last.astimezone(ZoneInfo("America/New_York")).hour == 9

    due_now = entry.is_due(last - timedelta(days=1))  # last ran the day before: due
    not_yet = entry.is_due(last + timedelta(seconds=1))  # ran at this occurrence: not due

    assert due_now.is_due and 0 < due_now.next <= 86_400
    assert not not_yet.is_due and 0 < not_yet.next <= 60  # asks again within a minute
    assert pickle.loads(pickle.dumps(entry)) == entry


@pytest.mark.parametrize(("task", "job"), [(tasks.sync, "sync"), (tasks.sla_sweep, "sla"),
                                           (tasks.reconcile, "sync")])
def test_a_task_whose_run_lock_is_held_is_skipped_naming_the_holder(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, task: Any, job: str) -> None:
    made = config(tmp_path)
    for name, value in sandbox_secrets(info(tmp_path)).items():
        monkeypatch.setenv(name, value)
    store = StateStore(made.state.url)
    with RunLock(store, job, "default"):
        outcome = task(str(made.source_path), "default")
    store.close()

    assert outcome["outcome"] == "skipped"
    assert f"held by pid {os.getpid()}" in outcome["holder"]


def test_a_connection_the_config_does_not_have_is_a_config_error(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch
                                                                 ) -> None:
    made = config(tmp_path)
    for name, value in sandbox_secrets(info(tmp_path)).items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match="east"):
        tasks.sync(str(made.source_path), "east")


def test_celery_finds_the_app_of_the_config_named_in_the_environment(tmp_path: Path) -> None:
    made = config(tmp_path)
    code = ("from leadsync.jobs import celery_app; a = celery_app.app; "
            "print(a.conf.task_default_queue, sorted(a.conf.beat_schedule))")
    env = {**os.environ, **sandbox_secrets(info(tmp_path)),
           "LEADSYNC_CONFIG": str(made.source_path)}

    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=env, check=True)

    assert out.stdout.strip() == "unit ['reconcile default', 'sla_sweep default', 'sync default']"


def test_the_engine_adapters_and_jobs_import_no_redis_nor_celery_until_a_config_asks() -> None:
    code = ("import sys, leadsync.connector.sync, leadsync.connector.budget, "
            "leadsync.adapters.registry, leadsync.jobs.sync, leadsync.jobs.sla; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('redis', 'celery')))")

    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)

    assert out.stdout.strip() == "[]"
