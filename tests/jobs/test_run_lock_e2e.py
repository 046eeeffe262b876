"""One run at a time, end to end: ``leadsync sync`` processes on one config against sandbox
orgs served by the test process; the lock is in SQLite or PostgreSQL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from leadsync.connector.lock import RunLock
from leadsync.connector.schema import run_locks, runs
from leadsync.connector.state import StateStore
from leadsync.demo import DEFINITION, sandbox_config
from leadsync.sandbox.server import Sandbox
from tests.jobs.test_cli import leadsync, records, secrets_env
from tests.jobs.test_sla_e2e import SLA
from tests.jobs.test_sync_e2e import mutations, write_config


def start_sync(config: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "leadsync", "sync", "--config", str(config)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, **env})


def state_env(url: str, tmp_path: Path) -> dict[str, str]:
    """The state store a test's processes use: the config's SQLite file, or PostgreSQL."""
    return {} if url.startswith("sqlite") else {"LEADSYNC_STATE__URL": url}


def store_url(url: str, tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'state.db'}" if url.startswith("sqlite") else url


def holds_lock(store: StateStore, process: subprocess.Popen[str]) -> None:
    """Return once ``process`` holds a run lock (it has started its run)."""
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline and process.poll() is None:
            with store.engine.connect() as conn:
                if conn.execute(select(run_locks)).first() is not None:
                    return
            time.sleep(0.05)
        raise AssertionError("the first sync never held its lock")
    finally:
        store.close()


def test_two_syncs_started_together_one_runs_the_other_exits_4_and_writes_equal_one_runs(
        make_sandbox: Callable[..., Sandbox], tmp_path: Path, state_url: str) -> None:
    # the orgs the two runs share answer slowly, so that the first holds the lock for seconds
    together, alone = make_sandbox(seed=40, latency_ms=300), make_sandbox(seed=40, latency_ms=20)
    (tmp_path / "alone").mkdir()
    write_config(alone, tmp_path / "alone")
    reference = leadsync("sync", "--config", str(tmp_path / "alone" / "leadsync.toml"),
                         env=secrets_env(alone))
    assert reference.returncode in (0, 3), reference.stderr

    write_config(together, tmp_path)
    env = {**secrets_env(together), **state_env(state_url, tmp_path)}
    first = start_sync(tmp_path / "leadsync.toml", env)
    holds_lock(StateStore(store_url(state_url, tmp_path)), first)  # on a busy machine the
    second = start_sync(tmp_path / "leadsync.toml", env)  # second could start after it ended
    outcomes = sorted((process.wait(timeout=300), process.communicate()[1])
                      for process in (first, second))
    (ran, ran_err), (refused, refused_err) = outcomes
    assert ran == reference.returncode, ran_err
    assert refused == 4, refused_err
    assert "sync on connection 'default' is already running (held by pid" in refused_err
    assert "this run did nothing" in refused_err
    assert mutations(together) == mutations(alone)
    assert len(records(together)[0]) == len(records(alone)[0])
    store = StateStore(store_url(state_url, tmp_path))
    assert [run["status"] for run in store.runs("default")] == ["ok"]
    with store.engine.connect() as conn:  # given back at the end
        assert conn.execute(select(run_locks)).first() is None


def test_a_killed_syncs_lock_is_taken_over_after_it_expires_and_its_run_is_interrupted(
        make_sandbox: Callable[..., Sandbox], tmp_path: Path) -> None:
    sandbox = make_sandbox(seed=60, latency_ms=150)
    write_config(sandbox, tmp_path)
    path = tmp_path / "leadsync.toml"
    path.write_text(path.read_text().replace("[state]\n", "[state]\nlock_expiry_seconds = 2\n"))
    store = StateStore(f"sqlite:///{tmp_path / 'state.db'}")
    killed = start_sync(path, secrets_env(sandbox))
    while True:  # until it holds the lock and has started its run
        with store.engine.connect() as conn:
            lock = conn.execute(select(run_locks)).first()
            running = conn.execute(select(runs).where(runs.c.status == "running")).first()
        if lock is not None and running is not None:
            break
        assert killed.poll() is None, killed.communicate()[1]
        time.sleep(0.05)
    killed.send_signal(signal.SIGKILL)
    killed.wait()
    with store.engine.connect() as conn:
        expires_at = conn.execute(select(run_locks.c.expires_at)).scalar_one()
    time.sleep(max(0.0, (expires_at.replace(tzinfo=UTC) - datetime.now(UTC)).total_seconds())
               + 0.2)  # the killed run's lock expires: no heartbeat renews it

    taken = leadsync("sync", "--config", str(path), env=secrets_env(sandbox))
    assert taken.returncode in (0, 3), taken.stderr
    statuses = [run["status"] for run in reversed(store.runs("default"))]
    assert statuses == ["interrupted", "ok"]


@pytest.mark.parametrize("command", [("sync",), ("sla", "sweep")])
def test_a_run_while_the_lock_is_held_exits_4_naming_the_holder_and_writes_nothing(
        make_sandbox: Callable[..., Sandbox], tmp_path: Path, command: tuple[str, ...]) -> None:
    sandbox = make_sandbox(seed=20)
    sandbox_config(sandbox.info, tmp_path, state="state.db", definition=DEFINITION, extra=SLA)
    store = StateStore(f"sqlite:///{tmp_path / 'state.db'}")
    before, used = records(sandbox), mutations(sandbox)
    job = "sync" if command == ("sync",) else "sla"
    with RunLock(store, job, "default"):
        result = leadsync(*command, "--config", str(tmp_path / "leadsync.toml"),
                          env=secrets_env(sandbox))
    assert result.returncode == 4, result.stderr
    assert f"held by pid {os.getpid()}" in result.stderr
    assert records(sandbox) == before and mutations(sandbox) == used
