"""One run at a time: the run lock in the state store (SQLite, PostgreSQL)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from leadsync.connector.errors import LockHeld
from leadsync.connector.lock import RunLock
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
    killed._stop.set()  # and its heartbeat died with it
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
    won: list[int] = []
    refused: list[int] = []

    def run(index: int) -> None:
        start.wait()
        try:
            lock(stores[index], Clock()).__enter__()
            won.append(index)
        except LockHeld:
            refused.append(index)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(stores))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(won) == 1 and len(refused) == len(stores) - 1
