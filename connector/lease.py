"""A pass's lease: the run lock of a job that several processes hold together.

A sharded pass (``connector.shards``) is planned in one process and run by shards in others,
possibly on other machines, and finished by whichever comes last. While it is under way a plain
run of the same job on the same connection must not start (it would move the cursors under the
shards' feet), so the pass takes the job's ordinary run lock (``connector.lock``) when it is
planned, under the pass's id as token, and keeps it until it is finished:

- every running shard renews it (a heartbeat every third of the expiry, as a run does), so the
  lock lives as long as any shard works, and expires once none has for ``expiry``;
- its holder is written as the pass, not as the planning process: a plain run does not take it
  over because the process that planned it has exited (``lock.gone``), only once it expired;
- a shard or the finishing step that finds the lease no longer the pass's (it expired and a
  plain run took the lock) stops before doing anything: ``LockHeld`` names the holder.

The lease is also refused when a plain run holds the lock: a pass is never planned beside one.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from types import TracebackType

import structlog

from leadsync.connector.errors import LockHeld
from leadsync.connector.heartbeat import Heartbeat
from leadsync.connector.lock import Holder, LockStore

log = structlog.get_logger("leadsync.lock")


def pass_holder(pass_id: str, now: datetime, expiry: timedelta) -> Holder:
    """The lock's holder for a pass: its id as token, a host no process check applies to."""
    return Holder(pass_id, f"{socket.gethostname()} (sharded pass {pass_id[:12]})",
                  os.getpid(), now, now, now + expiry)


def take(store: LockStore, job: str, connection: str, pass_id: str, expiry: timedelta,
         clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
    """Take ``job``'s lock for the pass; ``LockHeld`` when a run (or another pass) holds it."""
    current = store.acquire_lock(job, connection, pass_holder(pass_id, clock(), expiry))
    if current is not None:
        raise LockHeld(job, connection, current.describe())


def give_back(store: LockStore, job: str, connection: str, pass_id: str) -> None:
    store.release_lock(job, connection, pass_id)


class Lease:
    """``with Lease(store, job, connection, pass_id):`` renews the pass's lock for the block;
    ``LockHeld`` at the start when the lock is no longer the pass's."""

    def __init__(self, store: LockStore, job: str, connection: str, pass_id: str,
                 expiry: timedelta,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.store, self.job, self.connection = store, job, connection
        self.pass_id, self.expiry, self.clock = pass_id, expiry, clock
        self.heartbeat = Heartbeat(self.renew, expiry, "pass lock", job=job,
                                   connection=connection)

    def renew(self) -> bool:
        now = self.clock()
        return self.store.renew_lock(self.job, self.connection, self.pass_id, now,
                                     now + self.expiry)

    def __enter__(self) -> Lease:
        if not self.renew():
            raise LockHeld(self.job, self.connection,
                           f"the lock of pass {self.pass_id[:12]} expired and was taken over "
                           f"or given back")
        self.heartbeat.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.heartbeat.stop()
