"""One run at a time: the run lock in the state store (SQLite, PostgreSQL)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta

import pytest

from leadsync.connector.errors import LockHeld
from leadsync.connector.lock import Holder, RunLock
from leadsync.connector.state import StateStore

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
EXPIRY = timedelta(seconds=60)


class Clock:
    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def lock(store: StateStore, clock: Clock, job: str = "sync",
         connection: str = "default") -> RunLock:
    return RunLock(store, job, connection, EXPIRY, clock)


def test_a_second_run_while_the_lock_is_held_is_refused_naming_the_holder(
        state_url: str) -> None:
    store, clock = StateStore(state_url), Clock()
    with lock(store, clock) as held:
        assert held.holder is not None
        with pytest.raises(LockHeld, match=rf"pid {held.holder.pid} on {held.holder.host}, "
                                           rf"run {held.holder.token[:12]}, since "
                                           rf"2026-11-02 09:00:00 UTC") as refused:
            lock(StateStore(state_url), clock).__enter__()
        assert refused.value.job == "sync" and refused.value.connection == "default"


def test_the_lock_is_per_job_and_connection_and_given_back_at_the_end(state_url: str) -> None:
    store, clock = StateStore(state_url), Clock()
    with lock(store, clock), lock(store, clock, job="sla"), \
            lock(store, clock, connection="emea"):
        pass
    with lock(store, clock):  # given back: the next run takes it
        pass


def test_a_killed_runs_lock_is_taken_over_once_expired_and_its_run_marked_interrupted(
        state_url: str) -> None:
    store, clock = StateStore(state_url), Clock()
    killed = lock(store, clock).__enter__()  # never left: the process was killed
    assert killed.heartbeat is not None
    killed.heartbeat.stop()  # and its heartbeat died with it
    run_id = store.start_run("default", "sync")
    clock.now = T0 + EXPIRY - timedelta(seconds=1)
    with pytest.raises(LockHeld):
        lock(store, clock).__enter__()
    assert store.runs("default")[0]["status"] == "running"

    clock.now = T0 + EXPIRY + timedelta(seconds=1)
    assert killed.holder is not None
    with lock(store, clock) as taken:
        assert taken.holder is not None and taken.holder.token != killed.holder.token
        [run] = store.runs("default")
        assert (run["id"], run["status"]) == (run_id, "interrupted")
    assert not killed.beat()  # the killed run, were it alive, finds the lock gone


def test_the_holder_is_named_by_its_run_once_it_has_started_one(state_url: str) -> None:
    store, clock = StateStore(state_url), Clock()
    with lock(store, clock):
        run_id = store.start_run("default", "sync")
        with pytest.raises(LockHeld, match=rf", run {run_id}, since "):
            lock(StateStore(state_url), clock).__enter__()


def test_a_heartbeat_keeps_a_long_run_from_being_taken_over(state_url: str) -> None:
    store, clock = StateStore(state_url), Clock()
    with lock(store, clock) as running:
        for minute in range(1, 4):
            clock.now = T0 + timedelta(minutes=minute)
            assert running.beat()
        clock.now = T0 + timedelta(minutes=3, seconds=59)
        with pytest.raises(LockHeld):
            lock(StateStore(state_url), clock).__enter__()


def test_runs_started_together_see_exactly_one_winner(state_url: str) -> None:
    stores = [StateStore(state_url) for _ in range(6)]
    start = threading.Barrier(len(stores))
    won: list[RunLock] = []
    refused: list[int] = []

    def run(index: int) -> None:
        start.wait()
        try:
            won.append(lock(stores[index], Clock()).__enter__())
        except LockHeld:
            refused.append(index)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(stores))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for held in won:  # given back: its heartbeat must not outlive the test and its store
        held.__exit__(None, None, None)
    assert len(won) == 1 and len(refused) == len(stores) - 1


def _pid_of_a_finished_process() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()  # reaped: no process of that id exists any more
    return process.pid


def _held_by(store: StateStore, host: str, pid: int) -> str:
    token = "killed-run-token"
    store.acquire_lock("sync", "default", Holder(token, host, pid, T0, T0, T0 + EXPIRY))
    return token


def test_a_lock_whose_process_on_this_machine_is_gone_is_taken_over_at_once(
        state_url: str) -> None:
    store, clock = StateStore(state_url), Clock()
    _held_by(store, socket.gethostname(), _pid_of_a_finished_process())
    run_id = store.start_run("default", "sync")
    with lock(store, clock) as taken:  # T0: long before the dead holder's lock expires
        assert taken.holder is not None and taken.holder.pid == os.getpid()
    assert next(r for r in store.runs("default") if r["id"] == run_id)["status"] == \
        "interrupted"


def test_a_lock_held_from_another_machine_waits_for_its_expiry(state_url: str) -> None:
    store, clock = StateStore(state_url), Clock()
    _held_by(store, "another-host.example", _pid_of_a_finished_process())
    with pytest.raises(LockHeld, match=r"on another-host\.example"):
        lock(store, clock).__enter__()
    clock.now = T0 + EXPIRY + timedelta(seconds=1)
    with lock(store, clock):
        pass


def test_of_two_runs_taking_over_a_gone_holder_one_wins() -> None:
    store = StateStore("sqlite://")
    token = _held_by(store, socket.gethostname(), _pid_of_a_finished_process())
    first, second = (Holder(f"run-{n}", "here", 1, T0, T0, T0 + EXPIRY) for n in (1, 2))
    assert store.take_over_lock("sync", "default", token, first) is True
    assert store.take_over_lock("sync", "default", token, second) is False
